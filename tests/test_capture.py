"""``hilkit profiles capture``: a draft profile from ``lsusb -v`` output.

The reference is the real dump of a Huawei E3531 from the forum thread
(``fixtures/huawei-e3531/lsusb-v.txt``) and the hand-written ``device_profiles/huawei/e3531.yaml``
made from the same thread: the draft must load and describe the same interfaces. Cut-off and garbled
dumps must fail as one ``path:line: key: problem`` line at the right line, and no input text may
raise anything but :class:`ProfileError` (checked with Hypothesis; ``HILKIT_FUZZ_EXAMPLES`` sets how
many examples, default 300).
"""
from __future__ import annotations

import io
import os
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from hilkit.cli.capture_cmd import capture_command
from hilkit.config.capture import (
    CapturedConfiguration,
    CapturedDevice,
    CapturedEndpoint,
    CapturedInterface,
    draft_profile,
    draft_yaml,
    guess_role,
    parse_lsusb,
)
from hilkit.config.paths import PROJECT_ROOT
from hilkit.config.profiles import load_profile
from hilkit.core.errors import ProfileError
from hilkit.core.ids import UsbId
from hilkit.usb.lsusb_format import format_lsusb

DUMP_PATH = PROJECT_ROOT / "fixtures" / "huawei-e3531" / "lsusb-v.txt"
DUMP = DUMP_PATH.read_text(encoding="utf-8")
HAND_WRITTEN = PROJECT_ROOT / "device_profiles" / "huawei" / "e3531.yaml"
FUZZ_EXAMPLES = int(os.environ.get("HILKIT_FUZZ_EXAMPLES", "300"))

# (number, alt) -> (class triple, endpoint addresses in dump order), read off the dump by eye
E3531_INTERFACES = {
    (0, 0): ("ff/ff/ff", (0x82, 0x81, 0x01)),
    (1, 0): ("ff/ff/ff", (0x83, 0x02)),
    (2, 0): ("ff/ff/ff", (0x84, 0x03)),
    (3, 0): ("02/0d/00", (0x86,)),
    (4, 0): ("0a/00/01", ()),
    (4, 1): ("0a/00/01", (0x85, 0x04)),
}
#: where the draft's guessed role differs from the hand-written profile: the rule "first ff/ff/ff is
#: at, the others diag" calls the E3531's third port diag; the forum's mmcli showed it answers AT.
DOCUMENTED_ROLE_DIFFERENCES = {(2, 0): ("diag", "at")}

# A root hub as usbutils prints it (typical layout, written for these tests; not a capture).
ROOT_HUB = """\
Bus 001 Device 001: ID 1d6b:0002 Linux Foundation 2.0 root hub
Device Descriptor:
  bLength                18
  bDescriptorType         1
  bcdUSB               2.00
  bDeviceClass            9 Hub
  bDeviceSubClass         0 
  bDeviceProtocol         1 Single TT
  bMaxPacketSize0        64
  idVendor           0x1d6b Linux Foundation
  idProduct          0x0002 2.0 root hub
  bcdDevice            5.15
  iManufacturer           3 Linux 5.15.0-91-generic ehci_hcd
  iProduct                2 EHCI Host Controller
  iSerial                 1 0000:00:1d.0
  bNumConfigurations      1
  Configuration Descriptor:
    bLength                 9
    bDescriptorType         2
    wTotalLength       0x0019
    bNumInterfaces          1
    bConfigurationValue     1
    iConfiguration          0 
    bmAttributes         0xe0
      Self Powered
      Remote Wakeup
    MaxPower                0mA
    Interface Descriptor:
      bLength                 9
      bDescriptorType         4
      bInterfaceNumber        0
      bAlternateSetting       0
      bNumEndpoints           1
      bInterfaceClass         9 Hub
      bInterfaceSubClass      0 
      bInterfaceProtocol      0 Full speed (or root) hub
      iInterface              0 
      Endpoint Descriptor:
        bLength                 7
        bDescriptorType         5
        bEndpointAddress     0x81  EP 1 IN
        bmAttributes            3
          Transfer Type            Interrupt
          Synch Type               None
          Usage Type               Data
        wMaxPacketSize     0x0004  1x 4 bytes
        bInterval              12
Hub Descriptor:
  bLength              11
  bDescriptorType      41
  nNbrPorts             8
  wHubCharacteristic 0x000a
    No power switching (usb 1.0)
    Per-port overcurrent protection
  bPwrOn2PwrGood       10 * 2 milli seconds
  bHubContrCurrent      0 milli Ampere
  DeviceRemovable    0x00 0x00
  PortPwrCtrlMask    0xff 0xff
 Hub Port Status:
   Port 1: 0000.0100 power
   Port 2: 0000.0503 highspeed power enable connect
Device Status:     0x0001
  Self Powered
"""

# An E3131 in its CD-ROM mode, laid out the way lsusb prints such sticks (written for these tests,
# from the shipped e3131 profile's storage mode; not a capture). lsusb could not open it.
E3131_STORAGE = """\
Bus 001 Device 009: ID 12d1:14fe Huawei Technologies Co., Ltd. Modem (Mass Storage Mode)
Couldn't open device, some information will be missing
Device Descriptor:
  bLength                18
  bDescriptorType         1
  bcdUSB               2.00
  bDeviceClass            0 (Defined at Interface level)
  bDeviceSubClass         0 
  bDeviceProtocol         0 
  bMaxPacketSize0        64
  idVendor           0x12d1 Huawei Technologies Co., Ltd.
  idProduct          0x14fe Modem (Mass Storage Mode)
  bcdDevice            1.02
  iManufacturer           1 
  iProduct                2 
  iSerial                 0 
  bNumConfigurations      1
  Configuration Descriptor:
    bLength                 9
    bDescriptorType         2
    wTotalLength       0x0020
    bNumInterfaces          1
    bConfigurationValue     1
    iConfiguration          0 
    bmAttributes         0x80
      (Bus Powered)
    MaxPower              500mA
    Interface Descriptor:
      bLength                 9
      bDescriptorType         4
      bInterfaceNumber        0
      bAlternateSetting       0
      bNumEndpoints           2
      bInterfaceClass         8 Mass Storage
      bInterfaceSubClass      6 SCSI
      bInterfaceProtocol     80 Bulk-Only
      iInterface              0 
      Endpoint Descriptor:
        bLength                 7
        bDescriptorType         5
        bEndpointAddress     0x81  EP 1 IN
        bmAttributes            2
          Transfer Type            Bulk
          Synch Type               None
          Usage Type               Data
        wMaxPacketSize     0x0200  1x 512 bytes
        bInterval               0
      Endpoint Descriptor:
        bLength                 7
        bDescriptorType         5
        bEndpointAddress     0x01  EP 1 OUT
        bmAttributes            2
          Transfer Type            Bulk
          Synch Type               None
          Usage Type               Data
        wMaxPacketSize     0x0200  1x 512 bytes
        bInterval               1
"""


def line_of(text: str, marker: str, occurrence: int = 1) -> int:
    """1-based number of the ``occurrence``-th line of ``text`` containing ``marker``."""
    hits = [n for n, line in enumerate(text.splitlines(), 1) if marker in line]
    assert len(hits) >= occurrence, f"{marker!r} is on {len(hits)} lines, wanted #{occurrence}"
    return hits[occurrence - 1]


def first_lines(text: str, count: int) -> str:
    return "".join(text.splitlines(keepends=True)[:count])


def parse_error(text: str, path: str = "dump.txt") -> ProfileError:
    """The ProfileError parsing ``text`` raises; it must be one line starting with the path."""
    with pytest.raises(ProfileError) as info:
        parse_lsusb(text, path)
    error = info.value
    assert "\n" not in str(error) and str(error).startswith(f"{path}:")
    return error


def capture(text: str, **kwargs) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = capture_command("-", out, err, stdin=io.StringIO(text), **kwargs)
    return code, out.getvalue(), err.getvalue()


def load_text(text: str, directory: Path, name: str = "captured.yaml"):
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return load_profile(path)


# --- the real E3531 dump ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def e3531() -> CapturedDevice:
    devices = parse_lsusb(DUMP, str(DUMP_PATH))
    assert len(devices) == 1
    return devices[0]


def test_device_descriptor_of_the_e3531(e3531):
    assert (e3531.bus, e3531.address, e3531.line) == (1, 8, 1)
    assert e3531.id == UsbId(0x12D1, 0x155E)
    assert (e3531.manufacturer, e3531.product, e3531.serial) == ("HUAWEI", "HUAWEI Mobile", "")
    assert e3531.bcd_usb == 0x0200 and e3531.bcd_device == 0x0102 and e3531.max_packet0 == 64
    assert (e3531.device_class, e3531.device_subclass, e3531.device_protocol) == (2, 0, 0)
    assert e3531.num_configurations == 1 and len(e3531.configurations) == 1
    assert not e3531.is_hub
    config = e3531.configuration
    assert (config.value, config.attributes, config.max_power_ma, config.num_interfaces) == (1, 0x80, 500, 5)
    assert config.line == line_of(DUMP, "Configuration Descriptor:")


def test_interfaces_and_endpoints_are_exactly_those_of_the_dump(e3531):
    config = e3531.configuration
    assert len(config.interfaces) == 6, "five interfaces, interface 4 with two alternate settings"
    assert config.numbers == [0, 1, 2, 3, 4]
    seen = {(i.number, i.alt): (i.classes, tuple(e.address for e in i.endpoints)) for i in config.interfaces}
    assert seen == E3531_INTERFACES
    assert [(i.number, i.alt) for i in config.interfaces] == list(E3531_INTERFACES), "dump order"
    # the same as a plain regex reading of the dump, endpoint for endpoint
    assert [e.address for i in config.interfaces for e in i.endpoints] == [
        int(a, 16) for a in re.findall(r"bEndpointAddress\s+0x([0-9a-f]{2})", DUMP)]
    first = config.interface(0)
    assert [(e.type, e.max_packet, e.interval) for e in first.endpoints] == [
        ("interrupt", 64, 5), ("bulk", 512, 0), ("bulk", 512, 0)]
    assert [(e.type, e.max_packet, e.interval) for e in config.interface(3).endpoints] == [("interrupt", 16, 9)]
    assert config.interface(3).name == "CDC Network Control Model (NCM)"
    assert config.interface(4, 1).name == config.interface(4, 0).name == "CDC Network Data"
    assert config.interface(0).name == ""
    assert first.line == line_of(DUMP, "Interface Descriptor:")
    assert first.endpoints[0].line == line_of(DUMP, "Endpoint Descriptor:")


def test_interface_association(e3531):
    (iad,) = e3531.configuration.associations
    assert (iad.first_interface, iad.interface_count, iad.classes, iad.name) == (0, 2, "02/0d/00", "HUAWEI Mobile")
    assert iad.next_interface == 3, "printed right before interface 3, not before interface 0"
    assert iad.line == line_of(DUMP, "Interface Association:")


def test_draft_of_the_e3531(e3531):
    profile = draft_profile(e3531)
    assert (profile["vendor"], profile["model"]) == ("HUAWEI", "HUAWEI Mobile")
    assert profile["source"] == f"captured from lsusb -v ({DUMP_PATH})"
    assert list(profile["modes"]) == ["modem"]
    mode = profile["modes"]["modem"]
    assert mode["initial"] is True and mode["ids"] == ["12d1:155e"]
    assert (mode["device_class"], mode["configuration"]) == (2, 1)
    roles = [(i["number"], i.get("alt", 0), i["role"]) for i in mode["interfaces"]]
    assert roles == [(0, 0, "at"), (1, 0, "diag"), (2, 0, "diag"), (3, 0, "net"), (4, 0, "data"), (4, 1, "data")]
    description = profile["description"]
    assert "Interface Association: interfaces 0-1" in description
    assert "bFirstInterface 0, bInterfaceCount 2" in description
    assert "02/0d/00" in description and "'HUAWEI Mobile'" in description
    assert "before interface 3" in description
    assert "guesses" in profile["notes"]


def test_draft_yaml_loads_and_matches_the_hand_written_profile(e3531, tmp_path):
    text = draft_yaml(draft_profile(e3531))
    captured = load_text(text, tmp_path)
    reference = load_profile(HAND_WRITTEN)
    mode, ref = captured.initial_mode, reference.initial_mode
    assert mode.name == ref.name == "modem"
    assert (mode.ids, mode.device_class, mode.configuration) == (ref.ids, ref.device_class, ref.configuration)
    assert (mode.manufacturer, mode.product) == (ref.manufacturer, ref.product)
    assert len(mode.interfaces) == len(ref.interfaces) == 6
    for got, want in zip(mode.interfaces, ref.interfaces, strict=True):
        where = (got.number, got.alt)
        assert (got.number, got.alt, got.cls, got.subclass, got.protocol, got.name) == \
               (want.number, want.alt, want.cls, want.subclass, want.protocol, want.name), where
        assert got.endpoints == want.endpoints, where  # address, type and max_packet
        if where in DOCUMENTED_ROLE_DIFFERENCES:
            assert (got.role, want.role) == DOCUMENTED_ROLE_DIFFERENCES[where]
        else:
            assert got.role == want.role, where
    assert captured.vendor == "HUAWEI" and captured.switches == () and captured.attach is None


def test_capture_command_on_the_dump(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    assert capture_command(str(DUMP_PATH), out, err) == 0
    assert err.getvalue() == ""
    assert "---" not in out.getvalue()
    assert out.getvalue() == draft_yaml(draft_profile(parse_lsusb(DUMP, str(DUMP_PATH))[0]))
    described = load_text(out.getvalue(), tmp_path).initial_mode.describe()
    assert described == load_profile(HAND_WRITTEN).initial_mode.describe()


def test_capture_command_from_stdin_with_vendor_and_model(tmp_path):
    code, out, err = capture(DUMP, vendor="Huawei", model="E3531")
    assert (code, err) == (0, "")
    profile = load_text(out, tmp_path)
    assert (profile.vendor, profile.model) == ("Huawei", "E3531")
    assert profile.source == "captured from lsusb -v (<stdin>)"


def test_capture_command_missing_file(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    missing = tmp_path / "nope.txt"
    assert capture_command(str(missing), out, err) == 1
    assert err.getvalue() == f"{missing}: no such file\n" and out.getvalue() == ""


# --- several devices, hubs, noise -------------------------------------------------------------

def test_several_devices_hubs_skipped(tmp_path):
    text = ROOT_HUB + "\n" + DUMP + "\n" + E3131_STORAGE
    devices = parse_lsusb(text, "all.txt")
    assert [str(d.id) for d in devices] == ["1d6b:0002", "12d1:155e", "12d1:14fe"]
    assert [d.is_hub for d in devices] == [True, False, False]
    assert [d.line for d in devices] == [1, line_of(text, "ID 12d1:155e"), line_of(text, "ID 12d1:14fe")]
    hub = devices[0]
    assert hub.configuration.interface(0).endpoints[0].max_packet == 4
    assert hub.manufacturer == "Linux 5.15.0-91-generic ehci_hcd"

    code, out, err = capture(text)
    assert (code, err) == (0, "")
    drafts = out.split("---\n")
    assert len(drafts) == 2
    modem = load_text(drafts[0], tmp_path, "modem.yaml")
    storage = load_text(drafts[1], tmp_path, "storage.yaml")
    assert list(modem.modes) == ["modem"] and list(storage.modes) == ["storage"]
    # lsusb's usb.ids names come first (here the strings are unreadable anyway: "Couldn't open device"),
    # the vendor cut to its first word; "Modem (Mass Storage Mode)" starts with no model number
    assert (storage.vendor, storage.model) == ("Huawei", "Modem (Mass Storage Mode)")
    e3131 = load_profile(PROJECT_ROOT / "device_profiles" / "huawei" / "e3131.yaml")
    got, want = storage.initial_mode, e3131.initial_mode
    assert [(i.number, i.classes, i.role, i.endpoints) for i in got.interfaces] == \
           [(i.number, i.classes, i.role, i.endpoints) for i in want.interfaces]
    assert "Couldn't open device" in parse_lsusb(text)[2].notes[0]


def test_several_configurations(tmp_path):
    second = E3131_STORAGE[E3131_STORAGE.index("  Configuration Descriptor:"):].replace(
        "bConfigurationValue     1", "bConfigurationValue     2").replace(
        "bInterfaceClass         8 Mass Storage", "bInterfaceClass       255 Vendor Specific Class")
    text = E3131_STORAGE.replace("bNumConfigurations      1", "bNumConfigurations      2") + second
    (device,) = parse_lsusb(text, "two.txt")
    assert [c.value for c in device.configurations] == [1, 2]
    assert device.configurations[1].interface(0).classes == "ff/06/50"
    profile = draft_profile(device)
    assert list(profile["modes"]) == ["storage"] and profile["modes"]["storage"]["configuration"] == 1
    assert "also has configuration 2, not drafted" in profile["description"]
    load_text(draft_yaml(profile), tmp_path)

    same = text.replace("bConfigurationValue     2", "bConfigurationValue     1")
    error = parse_error(same)
    assert (error.line, error.field) == (line_of(same, "Configuration Descriptor:", 2), "bConfigurationValue")
    assert "configuration 1 appears twice (also at line 18)" in error.problem
    error = parse_error(E3131_STORAGE + second)
    assert (error.line, error.field) == (line_of(text, "bNumConfigurations"), "bNumConfigurations")
    assert error.problem.startswith("says 1, but 2 Configuration Descriptors follow")


def test_ascii_output_gets_escapes(tmp_path):
    text = DUMP.replace("iProduct                2 HUAWEI Mobile", "iProduct                2 HUAWEI Mobile\u2122")
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="ascii")
    assert capture_command("-", out, io.StringIO(), stdin=io.StringIO(text)) == 0
    out.flush()
    draft = raw.getvalue().decode("ascii")
    assert "\\u2122" in draft
    assert load_text(draft, tmp_path).model == "HUAWEI Mobile\u2122"
    code, utf8, _ = capture(text)
    assert code == 0 and "HUAWEI Mobile\u2122" in utf8


def test_only_hubs_is_an_error():
    code, out, err = capture(ROOT_HUB)
    assert code == 1 and out == ""
    assert err == "<stdin>:1: only hubs in this dump (1): nothing to draft (expected the modem; " \
                  "try lsusb -v -d vvvv:pppp)\n"


def test_noise_and_formatting_variants_give_the_same_result(e3531):
    """CRLF, tabs for indentation and between key and value, trailing blanks, class names after
    numbers, a shell prompt before the dump, HID/unknown blocks with bmAttributes inside them."""
    variants = {
        "crlf": DUMP.replace("\n", "\r\n"),
        "tab-indent": "\n".join(re.sub(r"^((?:  )+)", lambda m: "\t" * (len(m.group(1)) // 2), line)
                                for line in DUMP.splitlines()),
        "tab-values": re.sub(r"(?m)^(\s*[A-Za-z]\w+) {2,}", lambda m: m.group(1) + "\t", DUMP),
        "trailing": "\n".join(line + "   \t" for line in DUMP.splitlines()) + "\n\n\n",
        "class-names": DUMP.replace("bInterfaceClass       255 ",
                                    "bInterfaceClass       255 Vendor Specific Class")
                           .replace("bDeviceClass            2 ", "bDeviceClass            2 Communications"),
        "prompt": "$ sudo lsusb -v -d 12d1:155e\n\n" + DUMP,
        "code-block": "".join("    " + line for line in DUMP.splitlines(keepends=True)),
        "flattened": FLAT_DUMP,
        "flattened-code-block": "".join("  " + line.lstrip(" ") for line in DUMP.splitlines(keepends=True)),
        "unknown-blocks": DUMP.replace(
            "      iInterface              8 CDC Network Control Model (NCM)\n",
            "      iInterface              8 CDC Network Control Model (NCM)\n"
            "      HID Device Descriptor:\n        bLength                 9\n        bmAttributes         0x42\n"
            "          Report Descriptors: \n            ** UNAVAILABLE **\n"),
    }
    want = _without_lines(e3531)
    for name, text in variants.items():
        (device,) = parse_lsusb(text, name)
        assert _without_lines(device) == want, name
        assert device.configuration.interface(3).name == "CDC Network Control Model (NCM)", name


def _without_lines(device: CapturedDevice) -> CapturedDevice:
    from dataclasses import replace
    configs = tuple(replace(c, line=0, interfaces=tuple(
        replace(i, line=0, endpoints=tuple(replace(e, line=0) for e in i.endpoints)) for i in c.interfaces),
        associations=tuple(replace(a, line=0) for a in c.associations)) for c in device.configurations)
    return replace(device, configurations=configs, line=0, path="")


def test_hilkits_own_lsusb_rendering_parses(powered):
    """format_lsusb (what reports attach) leaves out string indexes and bLength: still a dump."""
    info = powered("e3531").snapshot()
    (device,) = parse_lsusb(format_lsusb(info), "report")
    assert device.id == info.id and device.device_class == info.device_class
    assert [(i.number, i.alt, i.classes, i.name, tuple(e.address for e in i.endpoints))
            for i in device.configuration.interfaces] == \
           [(i.number, i.alt, i.classes, i.name, tuple(e.address for e in i.endpoints)) for i in info.interfaces]


# --- cut-off dumps ----------------------------------------------------------------------------

LAST_STRUCTURAL_LINE = line_of(DUMP, "bInterval", DUMP.count("bInterval"))


@pytest.mark.parametrize("text, line, field, says", [
    pytest.param(first_lines(DUMP, 1), 1, "Device Descriptor",
                 ("no 'Device Descriptor:' follows this Bus line", "cut off"), id="after-the-bus-line"),
    pytest.param(first_lines(DUMP, line_of(DUMP, "bNumConfigurations")), line_of(DUMP, "bNumConfigurations"),
                 "bNumConfigurations", ("says 1, but 0 Configuration Descriptors follow",
                                        "where the text ends: cut off?"), id="before-the-configuration"),
    pytest.param(first_lines(DUMP, line_of(DUMP, "wMaxPacketSize") - 1), line_of(DUMP, "Endpoint Descriptor:"),
                 "wMaxPacketSize", ("missing from the Endpoint Descriptor that starts here", "cut off"),
                 id="inside-an-endpoint"),
    pytest.param(DUMP[:DUMP.index("bInterval               5") + len("bInterv")],
                 line_of(DUMP, "Endpoint Descriptor:"), "bInterval", ("missing from the Endpoint Descriptor",),
                 id="in-the-middle-of-a-line"),
    pytest.param(first_lines(DUMP, line_of(DUMP, "Interface Descriptor:", 2) - 1) + "    Interface Desc",
                 line_of(DUMP, "Interface Descriptor:", 2), "Interface Descriptor",
                 ("'Interface Desc' is cut off or garbled (expected 'Interface Descriptor:')",),
                 id="in-the-middle-of-a-header"),
    pytest.param(first_lines(DUMP, line_of(DUMP, "bInterval", 2)), line_of(DUMP, "bNumEndpoints           3"),
                 "bNumEndpoints", ("says 3, but 2 Endpoint Descriptors follow in interface 0 alt 0",),
                 id="two-of-three-endpoints"),
    pytest.param(first_lines(DUMP, line_of(DUMP, "Interface Association:") - 1), line_of(DUMP, "bNumInterfaces"),
                 "bNumInterfaces", ("says 5, but Interface Descriptors for 3 interfaces (0, 1, 2) follow",),
                 id="three-of-five-interfaces"),
    pytest.param(first_lines(DUMP, line_of(DUMP, "iFunction")), line_of(DUMP, "bNumInterfaces"), "bNumInterfaces",
                 ("says 5, but Interface Descriptors for 3 interfaces",), id="after-the-iad"),
    pytest.param(first_lines(DUMP, line_of(DUMP, "bAlternateSetting       1")),
                 line_of(DUMP, "Interface Descriptor:", 6), "bNumEndpoints",
                 ("missing from the Interface Descriptor",), id="inside-the-alt-setting"),
])
def test_cut_off_dump_names_the_line(text, line, field, says):
    error = parse_error(text)
    assert error.line == line
    assert error.field == field
    for words in says:
        assert words in error.problem, (words, error.problem)


FLAT_DUMP = "".join(line.lstrip(" ") for line in DUMP.splitlines(keepends=True))  # as forums paste it


@pytest.mark.parametrize("dump", [DUMP, FLAT_DUMP], ids=["as-printed", "flattened"])
def test_every_cut_fails_inside_the_text_unless_it_leaves_a_whole_device(dump):
    """Cut after every line, and in the middle of the next one. Only two kinds of cut parse: after
    the last endpoint (just the Device Qualifier/Status noise is gone), and right after interface
    4's alt setting 0, where every count still adds up: nothing in a dump says how many alternate
    settings follow, so that cut cannot be told from a device without alt setting 1."""
    lines = dump.splitlines(keepends=True)
    alt0_complete = line_of(DUMP, "bInterfaceProtocol      1")   # iInterface is optional
    alt1_starts = line_of(DUMP, "Interface Descriptor:", 6)
    parsed = []
    for count in range(1, len(lines) + 1):
        for half in ("", lines[count][: len(lines[count]) // 2] if count < len(lines) else ""):
            text = "".join(lines[:count]) + half
            try:
                (device,) = parse_lsusb(text, "cut.txt")
            except ProfileError as error:
                assert "\n" not in str(error) and str(error).startswith("cut.txt:")
                assert 1 <= error.line <= count + (1 if half else 0), (count, half, str(error))
            else:
                parsed.append(count)
                assert [(i.number, i.alt) for i in device.configuration.interfaces] == \
                    list(E3531_INTERFACES)[: 5 if count < alt1_starts else 6]
    whole = range(LAST_STRUCTURAL_LINE, len(lines) + 1)
    assert sorted(set(parsed)) == [*range(alt0_complete, alt1_starts), *whole]


# --- garbled dumps ----------------------------------------------------------------------------

def garble(old: str, new: str, occurrence: int = 1) -> str:
    assert DUMP.count(old) >= occurrence, old
    start = -1
    for _ in range(occurrence):
        start = DUMP.index(old, start + 1)
    return DUMP[:start] + new + DUMP[start + len(old):]


@pytest.mark.parametrize("old, new, occurrence, marker, field, says", [
    pytest.param("Bus 001 Device 008: ID 12d1:155e  \n", "", 1, "Device Descriptor:", "Device Descriptor",
                 ("no 'Bus NNN Device NNN: ID vvvv:pppp' line before it",), id="bus-line-missing"),
    pytest.param("Bus 001 Device 008:", "Bus 001 Device 0O8:", 1, "Bus 001", "Bus line",
                 ("garbled", "expected 'Bus NNN Device NNN: ID vvvv:pppp ...'"), id="bus-line-garbled"),
    pytest.param("ID 12d1:155e", "ID 12d1:155f", 1, "idProduct", "idProduct",
                 ("12d1:155e differs from the ID 12d1:155f on the Bus line (line 1)",), id="id-differs"),
    pytest.param("bNumEndpoints           3", "bNumEndpoints           three", 1, "bNumEndpoints", "bNumEndpoints",
                 ("expected a number (decimal or 0x hex), got 'three'",), id="not-a-number"),
    pytest.param("bInterfaceClass       255 ", "bInterfaceClass       2x5 ", 2, ("bInterfaceClass", 2),
                 "bInterfaceClass", ("expected a number", "'2x5'"), id="class-not-a-number"),
    pytest.param("bInterfaceClass       255 ", "bInterfaceClass       256 ", 1, "bInterfaceClass",
                 "bInterfaceClass", ("256 is out of range (expected 0-255)",), id="class-out-of-range"),
    pytest.param("bcdUSB               2.00", "bcdUSB               2.0O", 1, "bcdUSB", "bcdUSB",
                 ("expected a BCD version like 2.00", "'2.0O'"), id="bcd"),
    pytest.param("MaxPower              500mA", "MaxPower              500", 1, "MaxPower", "MaxPower",
                 ("expected a current like 500mA",), id="max-power"),
    pytest.param("bEndpointAddress     0x84  EP 4 IN", "bEndpointAddress     0xf4  EP 4 IN", 1, "0xf4",
                 "bEndpointAddress", ("0xf4 is not an endpoint address (expected 0x01-0x0f or 0x81-0x8f)",),
                 id="endpoint-address"),
    pytest.param("bEndpointAddress     0x84  EP 4 IN", "bEndpointAddress     0x04  EP 4 IN", 1, "0x04  EP 4 IN",
                 "bEndpointAddress", ("does not match 'EP 4 IN'", "expected EP 4 OUT"), id="endpoint-direction"),
    pytest.param("Transfer Type            Interrupt", "Transfer Type            Bulk", 1, "Bulk",
                 "Transfer Type", ("says Bulk, but bmAttributes 3", "means Interrupt"), id="transfer-type"),
    pytest.param("wMaxPacketSize     0x0010  1x 16 bytes", "wMaxPacketSize     0x0011  1x 16 bytes", 1, "0x0011",
                 "wMaxPacketSize", ("does not match '1x 16 bytes'", "expected 1x 17 bytes"), id="packet-size"),
    pytest.param("    Interface Descriptor:\n      bLength                 9\n      bDescriptorType         4\n"
                 "      bInterfaceNumber        4\n      bAlternateSetting       1",
                 "      bLength                 9\n      bDescriptorType         4\n"
                 "      bInterfaceNumber        4\n      bAlternateSetting       1", 1,
                 ("bInterfaceNumber", 6), "bInterfaceNumber",
                 ("given twice in the Interface Descriptor", "first at line"), id="interface-header-missing"),
    pytest.param("      Endpoint Descriptor:\n", "      Endpoint Descriptr:\n", 3, ("bEndpointAddress", 3),
                 "bEndpointAddress", ("inside 'Endpoint Descriptr:'", "expected it under 'Endpoint Descriptor:'"),
                 id="endpoint-header-garbled"),
    pytest.param("      Endpoint Descriptor:\n        bLength                 7\n        bDescriptorType         5\n",
                 "", 1, ("bEndpointAddress", 1), "bEndpointAddress",
                 ("inside the Interface Descriptor of line 27", "a header line missing?"),
                 id="endpoint-header-missing"),
    pytest.param("  Configuration Descriptor:", "Configuration Descriptor:", 1, "Configuration Descriptor:",
                 "Configuration Descriptor", ("not indented under the Device Descriptor of line 2",
                                               "expected more than 0 columns, got 0"),
                 id="configuration-not-indented"),
    pytest.param("Device Qualifier (for other device speed):", "Device Descriptor:", 1, ("Device Descriptor:", 2),
                 "Device Descriptor", ("a second Device Descriptor for the Bus line at line 1",),
                 id="second-device"),
    pytest.param("      bAlternateSetting       0\n      bNumEndpoints           0",
                 "      bAlternateSetting       2\n      bNumEndpoints           0", 1, ("Interface Descriptor:", 5),
                 "bAlternateSetting", ("interface 4 has no alternate setting 0",), id="no-alt-0"),
])
def test_garbled_dump_names_the_line(old, new, occurrence, marker, field, says):
    text = garble(old, new, occurrence)
    error = parse_error(text)
    marker, nth = marker if isinstance(marker, tuple) else (marker, 1)
    assert error.line == line_of(text, marker, nth), str(error)
    assert error.field == field, str(error)
    for words in says:
        assert words in error.problem, (words, error.problem)


def test_garbled_flattened_dump():
    lines = FLAT_DUMP.splitlines(keepends=True)
    endpoint = line_of(FLAT_DUMP, "Endpoint Descriptor:", 3)
    error = parse_error("".join(lines[:endpoint - 1] + lines[endpoint:]))
    assert (error.line, error.field) == (endpoint + 2, "bEndpointAddress")  # counted without the deleted line
    assert "given twice in the Endpoint Descriptor of line 51" in error.problem  # merged into the one before
    interface = line_of(FLAT_DUMP, "Interface Descriptor:", 6)
    error = parse_error("".join(lines[:interface - 1] + lines[interface:]))
    assert (error.line, error.field) == (interface + 2, "bInterfaceNumber")
    assert "given twice in the Interface Descriptor of line 179" in error.problem
    two = "bNumEndpoints           2"
    error = parse_error(FLAT_DUMP.replace(two, "bNumEndpoints           1", 1))
    assert (error.line, error.field) == (line_of(FLAT_DUMP, two), "bNumEndpoints")
    assert "says 1, but 2 Endpoint Descriptors follow in interface 1 alt 0" in error.problem


def test_a_duplicated_interface_block():
    lines = DUMP.splitlines(keepends=True)
    start, end = line_of(DUMP, "Interface Descriptor:", 2), line_of(DUMP, "Interface Descriptor:", 3)
    text = "".join(lines[:end - 1] + lines[start - 1:end - 1] + lines[end - 1:])
    error = parse_error(text)
    assert error.line == end and error.field == "bInterfaceNumber"
    assert "interface 1 alt 0 appears twice (also at line 71)" in error.problem


def test_plain_lsusb_and_not_a_dump():
    error = parse_error("Bus 001 Device 008: ID 12d1:155e Huawei Technologies Co., Ltd.\n"
                           "Bus 001 Device 001: ID 1d6b:0002 Linux Foundation 2.0 root hub\n")
    assert (error.line, error.field) == (1, "Device Descriptor") and "lsusb without -v" in error.problem
    error = parse_error("hello\nworld\n")
    assert (error.line, error.field) == (1, "Bus line")
    with pytest.raises(ProfileError) as info:
        parse_lsusb("  \n\n", "empty.txt")
    assert str(info.value) == "empty.txt: empty: expected the output of lsusb -v"


def test_capture_command_prints_one_line_for_a_cut_dump():
    code, out, err = capture(first_lines(DUMP, 60))
    assert code == 1 and out == ""
    assert err == ("<stdin>:32: bNumEndpoints: says 3, but 2 Endpoint Descriptors follow in interface 0 alt 0 "
                   "(the Interface Descriptor of line 27 ends at line 60, where the text ends: cut off?)\n")


# --- roles and modes --------------------------------------------------------------------------

@pytest.mark.parametrize("classes, kwargs, role", [
    ((0xFF, 0xFF, 0xFF), {}, "at"),
    ((0xFF, 0xFF, 0xFF), {"at_taken": True}, "diag"),
    ((0x02, 0x0D, 0x00), {}, "net"),
    ((0x02, 0x06, 0x00), {}, "net"),
    ((0x02, 0x0E, 0x00), {}, "net"),
    ((0x02, 0x02, 0x01), {}, "at"),
    ((0x02, 0x02, 0x01), {"at_taken": True}, "at"),
    ((0xE0, 0x01, 0x03), {}, "net"),
    ((0x0A, 0x00, 0x01), {}, "data"),
    ((0x0A, 0x00, 0x00), {}, "data"),
    ((0x08, 0x06, 0x50), {}, "storage"),
    ((0xFF, 0x02, 0x01), {"vendor": 0x12D1}, "ppp"),
    ((0xFF, 0x02, 0x02), {"vendor": 0x12D1, "at_taken": True}, "at"),
    ((0xFF, 0x02, 0x16), {"vendor": 0x12D1}, "net"),
    ((0xFF, 0x01, 0x14), {"vendor": 0x12D1}, "other"),
    ((0xFF, 0x02, 0x01), {}, "other"),
    ((0xFF, 0x00, 0x00), {}, "other"),
    ((0x03, 0x01, 0x02), {}, "other"),
    ((0x09, 0x00, 0x00), {}, "other"),
])
def test_guess_role(classes, kwargs, role):
    assert guess_role(*classes, **kwargs) == role


def device_with(*interfaces: tuple[int, int, int, int, int], strings: tuple[str, str] = ("", ""),
                endpoints: tuple[CapturedEndpoint, ...] = ()) -> CapturedDevice:
    itfs = tuple(CapturedInterface(number=n, alt=a, cls=c, subclass=s, protocol=p, endpoints=endpoints)
                 for n, a, c, s, p in interfaces)
    config = CapturedConfiguration(value=1, attributes=0x80, max_power_ma=500,
                                   num_interfaces=len({i.number for i in itfs}), interfaces=itfs, line=5)
    return CapturedDevice(path="made.txt", line=1, bus=1, address=2, id=UsbId(0x1234, 0x5678), bcd_usb=0x200,
                          device_class=0, device_subclass=0, device_protocol=0, num_configurations=1,
                          configurations=(config,), manufacturer=strings[0], product=strings[1])


@pytest.mark.parametrize("interfaces, mode", [
    ([(0, 0, 0x08, 0x06, 0x50), (1, 0, 0x08, 0x06, 0x50)], "storage"),
    ([(0, 0, 0xFF, 0xFF, 0xFF), (1, 0, 0x08, 0x06, 0x50)], "modem"),
    ([(0, 0, 0x02, 0x06, 0x00), (1, 0, 0x0A, 0x00, 0x00), (1, 1, 0x0A, 0x00, 0x00)], "hilink"),
    ([(0, 0, 0xE0, 0x01, 0x03), (1, 0, 0x0A, 0x00, 0x00)], "hilink"),
    ([(0, 0, 0x02, 0x0E, 0x00), (1, 0, 0x0A, 0x00, 0x02)], "default"),
    ([(0, 0, 0x03, 0x01, 0x02)], "default"),
])
def test_mode_name(interfaces, mode, tmp_path):
    profile = draft_profile(device_with(*interfaces))
    assert list(profile["modes"]) == [mode]
    assert (profile["vendor"], profile["model"]) == ("unknown", "unknown")
    assert load_text(draft_yaml(profile), tmp_path).initial_mode.name == mode


def test_what_a_profile_cannot_hold():
    with pytest.raises(ProfileError) as info:
        draft_profile(device_with((0, 0, 0xFF, 0xFF, 0xFF), (2, 0, 0xFF, 0xFF, 0xFF)))
    assert info.value.line == 5 and "interface numbers [0, 2] have gaps" in info.value.problem
    control = CapturedEndpoint(address=0x83, type="control", max_packet=64, interval=0, line=9)
    with pytest.raises(ProfileError) as info:
        draft_profile(device_with((0, 0, 0xFF, 0xFF, 0xFF), endpoints=(control,)))
    assert info.value.line == 9 and "control endpoint" in info.value.problem


def test_small_packets_are_left_out_with_a_note(tmp_path):
    tiny = CapturedEndpoint(address=0x81, type="interrupt", max_packet=4, interval=12, line=9)
    profile = draft_profile(device_with((0, 0, 0x03, 0x01, 0x02), endpoints=(tiny,)), vendor="Acme", model="X")
    (endpoint,) = profile["modes"]["default"]["interfaces"][0]["endpoints"]
    assert endpoint == {"address": 0x81, "type": "interrupt"}
    assert "0x81 (4 bytes)" in profile["notes"]
    loaded = load_text(draft_yaml(profile), tmp_path)
    assert (loaded.vendor, loaded.model) == ("Acme", "X")


def test_strange_strings_stay_one_line_yaml(tmp_path):
    profile = draft_profile(device_with((0, 0, 0xFF, 0xFF, 0xFF), strings=("yes", "null: \x00\x1b[1m{x}\u2028#")))
    loaded = load_text(draft_yaml(profile), tmp_path)
    assert loaded.vendor == "yes" and loaded.model == "null: [1m{x} #"


# --- no input text raises anything but ProfileError -------------------------------------------

DUMP_LINES = DUMP.splitlines(keepends=True)
NOISE = (st.text(alphabet=st.sampled_from(" \t:0123456789abcdefxABCDEF\nBusDevice IDEndpoint*()"), max_size=30)
         | st.text(max_size=30))


@st.composite
def mangled_dumps(draw) -> str:
    lines = list(DUMP_LINES if draw(st.integers(0, 3)) else FLAT_DUMP.splitlines(keepends=True))
    if draw(st.booleans()):
        lines += [ROOT_HUB, "\n"] if draw(st.booleans()) else ["\n", E3131_STORAGE]
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["delete", "duplicate", "substitute", "swap", "insert"]))
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            lines.insert(i, draw(NOISE) + "\n")
        elif lines[i]:
            j = draw(st.integers(0, len(lines[i]) - 1))
            lines[i] = lines[i][:j] + draw(st.characters()) + lines[i][j + 1:]
    text = "".join(lines)
    if draw(st.integers(0, 3)) == 0:
        text = text[: draw(st.integers(0, len(text)))]
    return text


def check_any_text(text: str) -> None:
    try:
        devices = parse_lsusb(text, "fuzz.txt")
    except ProfileError as exc:
        event(f"ProfileError on {exc.field or 'the text'}")
        assert "\n" not in exc.one_line()
        assert exc.line is None or 1 <= exc.line <= len(re.split(r"\r\n|\r|\n", text)), exc.one_line()
    else:
        event("parsed")
        assert devices and all(d.configurations and d.configuration.interfaces for d in devices)
    code, out, err = capture(text)
    if code == 1:
        assert out == "" and err.count("\n") == 1
        return
    assert code == 0 and err == ""
    with tempfile.TemporaryDirectory() as tmp:
        for n, draft in enumerate(out.split("---\n")):
            load_text(draft, Path(tmp), f"draft{n}.yaml")  # every draft printed loads


WORDS = ["Bus 001 Device 002: ID 12d1:155e", "Device Descriptor:", "Configuration Descriptor:",
         "Interface Association:", "Interface Descriptor:", "Endpoint Descriptor:", "CDC Header:",
         "Device Qualifier (for other device speed):", "bcdUSB", "bDeviceClass", "bDeviceSubClass",
         "bDeviceProtocol", "idVendor", "idProduct", "iManufacturer", "iProduct", "bNumConfigurations",
         "bNumInterfaces", "bConfigurationValue", "bmAttributes", "MaxPower", "bFirstInterface",
         "bInterfaceCount", "bFunctionClass", "bFunctionSubClass", "bFunctionProtocol", "iFunction",
         "bInterfaceNumber", "bAlternateSetting", "bNumEndpoints", "bInterfaceClass", "bInterfaceSubClass",
         "bInterfaceProtocol", "iInterface", "bEndpointAddress", "Transfer Type", "wMaxPacketSize", "bInterval",
         "** UNRECOGNIZED:", "(Bus Powered)", "Couldn't open device, some information will be missing"]
VALUES = st.sampled_from(["", "0", "1", "2", "3", "255", "256", "0x81", "0x01", "0x0200  1x 512 bytes",
                          "0x12d1", "2.00", "500mA", "Bulk", "Interrupt", "Control", "1 HUAWEI", "EP 1 IN"]) | NOISE
DUMP_LIKE_LINES = st.tuples(st.sampled_from(["", "  ", "    ", "      ", "        ", "\t", " \t "]),
                            st.sampled_from(WORDS), st.sampled_from([" ", "    ", "\t"]), VALUES
                            ).map(lambda t: "".join(t))


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mangled_dumps())
def test_mangled_dumps_give_a_result_or_a_profile_error(text):
    check_any_text(text)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=400), st.lists(NOISE, max_size=20).map("\n".join),
                 st.lists(DUMP_LIKE_LINES, max_size=60).map(
                     lambda lines: "Bus 001 Device 002: ID 12d1:155e\nDevice Descriptor:\n" + "\n".join(lines))))
def test_any_text_gives_a_result_or_a_profile_error(text):
    check_any_text(text)
