"""Every usb-modeswitch-data entry, imported as a profile, switches a virtual dongle built from it,
and the dongle receives exactly the transfers usb_modeswitch 2.6.1 sends for that config.

The expected transfers are written here from the method table (shared/reference/usb_modeswitch.md,
checked against the 2.6.1 binary with a tracing fake libusb), independently of hilkit's method
table, so a wrong byte, order or request in either shows up.
"""
from __future__ import annotations

from collections import Counter

import pytest
from support.sweep import sweep

from hilkit.config.paths import PROJECT_ROOT
from hilkit.config.profiles import ProfileLibrary

LIBRARY = ProfileLibrary(PROJECT_ROOT / "device_profiles")
KEYS = [k for k in LIBRARY.keys() if k.startswith("usb-modeswitch-data/")]  # noqa: SIM118 - a ProfileLibrary, not a dict

EJECT = ["5553424387654321000000000000061e000000000000000000000000000000",
         "5553424397654321000000000000061b000000020000000000000000000000",
         "5553424387654321000000000001061e000000000000000000000000000000",
         "5553424397654321000000000001061b000000020000000000000000000000"]
FIXED = {"HuaweiNewMode": "55534243123456780000000000000011062000000101000100000000000000",
         "HuaweiAltMode": "55534243123456780000000000000011063000000000010000000000000000",
         "OptionMode": "55534243123456780000000000000601000000000000000000000000000000"}
CISCO = ["55534243f83bcd810002000080000afd000000030000000100000000000000",
         "55534243984300820002000080000afd000000070000000100000000000000",
         "55534243984300820000000000000afd000100071000000000000000000000",
         "55534243984300820002000080000afd000200230000000100000000000000",
         "55534243984300820000000000000afd000300238200000000000000000000",
         "55534243984300820002000080000afd000200260000000100000000000000",
         "55534243984300820000000000000afd00030026c800000000000000000000",
         "55534243d84c04820002000080000afd000010730000000100000000000000",
         "55534243d84c04820002000080000afd000200240000000100000000000000",
         "55534243d84c04820000000000000afd000300241300000000000000000000",
         "55534243d84c04820000000000000afd000110732400000000000000000000"]
# special mode -> control requests (bmRequestType, bRequest, wValue, wIndex, wLength, OUT data)
CONTROL = {"HuaweiMode": [(0x00, 0x03, 1, 0, 0, "")],
           "SierraMode": [(0x40, 0x0B, 1, 0, 0, "")],
           "SequansMode": [(0x40, 0x0B, 2, 0, 0, "")],
           "QuantaMode": [(0xC0, 0xFF, 0, 0, 0, "")],
           "KobilMode": [(0xC0, 0x88, 0, 0, 8, "")],
           "QisdaMode": [(0x40, 0x04, 0, 0, 16, "058c0408a0ee20005c01040898cdeabf")],
           "BlackberryMode": [(0xC0, 0xB1, 0, 0, 8, ""), (0xC0, 0xA9, 0x0E, 0, 2, "")],
           "GCTMode": [(0xA1, 0xA0, 0, 0, 1, ""), (0xA1, 0xFE, 0, 0, 1, "")],
           "SonyMode": [(0xC0, 0x11, 2, 0, 3, ""), (0xC0, 0x11, 2, 0, 3, "")]}
MA = ["3701fedbc1331f83", "370eb59d3b8a9151", "3487ba0dfc8a9151", "3304fe00f46c1ff0", "3207fef029b93af0"]


def _mobile_action() -> list[tuple]:
    init = [("control", (0x21, 0x09, 0x0300, 0, 8), "b004000002902686")] * 2
    rd = ("interrupt", 0x81, "")
    hand = [("interrupt", 0x02, MA[0]), rd, ("interrupt", 0x02, MA[1]), rd, ("interrupt", 0x02, MA[2])]
    return init + [rd, rd] + hand + [rd] * 63 + hand + [rd] * 73 + [
        ("interrupt", 0x02, MA[3]), rd, ("interrupt", 0x02, MA[4]), rd]


def expected(cfg: dict) -> list[tuple]:
    """What a device receives from usb_modeswitch 2.6.1 for ``cfg`` (usb_modeswitch's keys)."""
    out_ep = cfg.get("MessageEndpoint", 0x01)
    in_ep = cfg.get("ResponseEndpoint", 0x81)
    seen: list[tuple] = []

    def messages(hexes: list[str], cisco: bool = False) -> None:
        for message in hexes:
            seen.append(("bulk", out_ep, message))
            if "55534243" in message:
                seen.append(("csw", in_ep, message[8:16]))  # the CSW echoes the CBW's tag
        halts = (out_ep, in_ep) if cisco else (in_ep, out_ep)
        seen.extend(("control", (0x02, 0x01, 0, ep, 0), "") for ep in halts)

    special = next((k for k in ("HuaweiMode", "SierraMode", "GCTMode", "QisdaMode", "KobilMode", "QuantaMode",
                                "SequansMode", "MobileActionMode", "CiscoMode", "BlackberryMode", "PantechMode",
                                "SonyMode") if cfg.get(k)), None)
    if special == "MobileActionMode":
        seen += _mobile_action()
    elif special == "CiscoMode":
        messages(CISCO, cisco=True)
    elif special == "PantechMode":
        if cfg["PantechMode"] > 1:
            seen.append(("control", (0x40, 0x70, cfg["PantechMode"], 0, 0), ""))
    elif special is not None:
        seen += [("control", c[:5], c[5]) for c in CONTROL[special]]
    elif cfg.get("StandardEject"):
        messages(EJECT + ([cfg["MessageContent"]] if cfg.get("MessageContent") else []))
    elif any(cfg.get(k) for k in FIXED):
        messages([FIXED[next(k for k in FIXED if cfg.get(k))]])
    elif cfg.get("MessageContent"):
        messages([cfg[k] for k in ("MessageContent", "MessageContent2", "MessageContent3") if cfg.get(k)])
    if cfg.get("Configuration"):
        seen += [("configuration", 0), ("configuration", cfg["Configuration"])]
    return seen


def received(outcome) -> list[tuple]:
    out = []
    for r in outcome.received:
        if r.kind == "bulk" and r.endpoint & 0x80:
            out.append(("csw", r.endpoint, r.data[4:8].hex()))
        elif r.kind in ("bulk", "interrupt"):
            out.append((r.kind, r.endpoint, r.data.hex()))
        elif r.kind == "control":
            out.append(("control", r.setup, r.data.hex()))
        elif r.kind == "configuration":
            out.append(("configuration", r.setup[2]))
        else:
            out.append((r.kind,))
    return out


@pytest.fixture(scope="module")
def outcomes() -> dict:
    return {o.key: o for o in sweep([LIBRARY.get(k) for k in KEYS])}


def test_the_whole_database_is_imported():
    assert len(KEYS) == 512
    variants = [k for k in KEYS if "-u" in k.rsplit("/", 1)[1] or "-s" in k.rsplit("/", 1)[1]]
    assert len(variants) == 21   # the vvvv:pppp:uMa=... entries


def test_method_counts_match_the_database(outcomes):
    counts = Counter(o.method for o in outcomes.values())
    assert counts["StandardEject"] == 181 and counts["MessageContent"] == 108
    assert counts["HuaweiNewMode"] == 62 and counts["OptionMode"] == 61
    assert counts["Configuration"] == 40 and counts["none"] == 33   # Configuration=0, the dummy
    assert counts["HuaweiMode"] == 7 and counts["SierraMode"] == 5


@pytest.mark.parametrize("key", KEYS)
def test_config_switches_its_virtual_dongle_with_usb_modeswitchs_transfers(outcomes, key):
    outcome = outcomes[key]
    assert outcome.ok, outcome.error
    config = dict(LIBRARY.get(key).switches[0].config.values)
    assert received(outcome) == expected(config)


def test_imported_modes_assert_their_ids_only():
    """usb-modeswitch-data gives ids and switch keys: a real device with other interfaces than the
    virtual dongle's placeholders still is in the mode; another id is not."""
    from dataclasses import replace

    from hilkit.core.device import DeviceInfo, InterfaceInfo
    from hilkit.core.ids import UsbId
    from hilkit.core.modes import identify, mode_problems

    profile = LIBRARY.get("usb-modeswitch-data/046d/c261")   # default and target share 046d:c261
    assert {m.known for m in profile.modes.values()} == {"ids"}
    real = DeviceInfo("1-1", UsbId(0x046D, 0xC261), 0xEF, 1,
                      (InterfaceInfo(number=0, alt=0, cls=0x0E, subclass=1, protocol=0),))
    assert mode_problems(profile.modes["target"], real) == []
    assert mode_problems(profile.modes["target"], replace(real, id=UsbId(0x046D, 0xC262))) != []
    # the virtual dongle shows the placeholders: the full match tells the two modes apart
    hid = replace(real, interfaces=(InterfaceInfo(number=0, alt=0, cls=0x03, subclass=0, protocol=0),),
                  device_class=0)
    assert identify(profile, hid) == profile.modes["target"]
