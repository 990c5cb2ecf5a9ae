"""The virtual E3531 and E3131 against what the real sticks showed in the forum thread (fixtures/)."""
from __future__ import annotations

import re

from hilkit.config.paths import PROJECT_ROOT
from hilkit.modem.attach import AtAttachChecker

FIXTURES = PROJECT_ROOT / "fixtures"


def _lsusb_interfaces(text: str) -> list[tuple[int, int, int, int, int, tuple[int, ...]]]:
    """(number, alt, class, subclass, protocol, endpoint addresses) per interface descriptor in a dump."""
    out = []
    for block in text.split("Interface Descriptor:")[1:]:
        block = block.split("Interface Descriptor:")[0].split("Interface Association:")[0]
        field = lambda name: int(re.search(rf"{name}\s+(\d+)", block).group(1))  # noqa: E731, B023
        eps = tuple(int(a, 16) for a in re.findall(r"bEndpointAddress\s+0x([0-9a-f]{2})", block))
        out.append((field("bInterfaceNumber"), field("bAlternateSetting"), field("bInterfaceClass"),
                    field("bInterfaceSubClass"), field("bInterfaceProtocol"), eps))
    return out


def test_virtual_e3531_shows_the_descriptors_of_the_real_one(powered):
    dump = (FIXTURES / "huawei-e3531" / "lsusb-v.txt").read_text()
    info = powered("e3531").snapshot()
    seen = [(i.number, i.alt, i.cls, i.subclass, i.protocol, tuple(e.address for e in i.endpoints))
            for i in info.interfaces]
    assert seen == _lsusb_interfaces(dump)
    assert f"idProduct          0x{info.id.product:04x}" in dump
    assert re.search(rf"bDeviceClass\s+{info.device_class}\b", dump)
    assert re.search(rf"bConfigurationValue\s+{info.configuration}\b", dump)


def test_refusal_says_what_usb_modeswitch_said(powered):
    from hilkit.core.errors import SwitchRefused

    dongle = powered("e3531")
    log = (FIXTURES / "huawei-e3531" / "usb_modeswitch-W.txt").read_text()
    expected = re.search(r"Error: (.*)\. Abort", log).group(1)
    try:
        dongle.run_switch(dongle.profile.refuse[0].config)
    except SwitchRefused as refused:
        assert refused.problem == expected
    else:
        raise AssertionError("the storage message was not refused")


def test_virtual_e3531_attaches_like_mmcli_showed(powered):
    mmcli = (FIXTURES / "huawei-e3531" / "mmcli-m0.txt").read_text()
    wanted = {k: re.search(rf"{k}: (.+)", mmcli).group(1).strip()
              for k in ("operator name", "registration", "access tech", "signal quality")}
    dongle = powered("e3531")
    result = AtAttachChecker(dongle.open_at(), dongle.profile.attach).run(timeout=60)
    assert result.operator == wanted["operator name"]
    assert result.registration == wanted["registration"]
    assert result.technology == wanted["access tech"]
    assert f"{result.signal_percent}%" == wanted["signal quality"].split()[0]


def test_wvdial_init_strings_from_the_thread_are_accepted(powered):
    conf = (FIXTURES / "huawei-e3131" / "wvdial.conf").read_text()
    inits = re.findall(r"^Init\d+ = (.+)$", conf, flags=re.M)
    assert len(inits) == 3
    dongle = powered("e3131")
    dongle.switch_to("modem")
    modem = dongle.open_at()
    for command in inits:
        assert modem.command(command).ok, command
