"""The external engine (the installed usb_modeswitch) and the byte comparison with hilkit's native
engine, both against emulated dongles under umockdev; and the sysfs descriptor parser."""
from __future__ import annotations

import shutil
import struct
from dataclasses import replace

import pytest
from support.reference import compare

from hilkit.config.paths import PROJECT_ROOT
from hilkit.config.profiles import ProfileLibrary
from hilkit.core.errors import SwitchFailed
from hilkit.core.switch_plan import plan
from hilkit.core.switchconfig import SwitchConfig
from hilkit.dut import Dongle
from hilkit.sim.adapters.descriptor_blob import descriptor_blob
from hilkit.sim.adapters.pyusb_backend import DeviceHandle
from hilkit.sim.umockdev.umockdev_lab import UmockdevLab
from hilkit.switch.external import ExternalSwitchEngine, parse_output
from hilkit.usb.rawdesc import DescriptorError, parse

pytestmark = pytest.mark.timeout(120)
needs_binary = pytest.mark.skipif(shutil.which("usb_modeswitch") is None, reason="usb_modeswitch not installed")

LIBRARY = ProfileLibrary(PROJECT_ROOT / "device_profiles")
DATABASE = [k for k in LIBRARY.keys() if k.startswith("usb-modeswitch-data/")]  # noqa: SIM118 - a ProfileLibrary, not a dict


def _one_per_method() -> dict[str, str]:
    first: dict[str, str] = {}
    for key in DATABASE:
        first.setdefault(plan(LIBRARY.get(key).switches[0].config, 0).method, key)
    return first


ONE_PER_METHOD = _one_per_method()


# --- usb_modeswitch's own switch, watched by hilkit ---------------------------------------------

@needs_binary
def test_usb_modeswitch_switches_the_e3131_and_hilkit_sees_it_come_back(umock_rig):
    lab = UmockdevLab(replace(umock_rig, switch_engine="usb_modeswitch"))
    dongle = Dongle(lab.rig.slot("e3131"), lab)
    try:
        dongle.power_on()
        (result,) = dongle.switch_to("modem")
        assert isinstance(dongle.engine, ExternalSwitchEngine)
        assert result.after is not None and result.after.id.product in (0x1506, 0x1c05)
        message = dongle.profile.switches[0].config.get("MessageContent")
        sent = [t for t in result.transfers if t.direction == "OUT" and t.kind == "bulk"]
        assert sent and sent[0].data.hex() == message and sent[0].result == "ok"
        assert any(t.direction == "IN" and "CSW status 0" in t.result for t in result.transfers)
        # what usb_modeswitch says it sent is what the device got
        assert lab.dongle("e3131").switch_transfers()[0].data.hex() == message
        assert "usb_modeswitch (exit 0)" in result.notes[0]
    finally:
        dongle.close()
        lab.close()


@needs_binary
def test_usb_modeswitchs_refusal_is_reported_at_once_in_its_own_words(ulab):
    """The forum's folklore: a storage message sent to a stick that is already a modem."""
    dongle = Dongle(ulab.rig.slot("e3131"), ulab)
    try:
        dongle.power_on()
        dongle.switch_to("modem")
        now = ulab.bus.device_at("1-1.2")
        config = SwitchConfig.from_mapping({
            "DefaultVendor": now.id.vendor, "DefaultProduct": now.id.product,
            "MessageContent": "55534243123456780000000000000011060000000000000000000000000000"})
        with pytest.raises(SwitchFailed) as info:   # at once, not after the wait for a switch that never came:
            ExternalSwitchEngine(ulab.bus).switch("1-1.2", config, timeout=10_000)   # pytest-timeout guards
        text = str(info.value)
        assert "can't use storage command in MessageContent with interface 0" in text
        assert "interface class is 255, expected 8" in text
    finally:
        dongle.close()


def test_a_missing_binary_is_one_line(ulab):
    dongle = Dongle(ulab.rig.slot("e3131"), ulab)
    try:
        dongle.power_on()
        engine = ExternalSwitchEngine(ulab.bus, command="/nonexistent/usb_modeswitch")
        with pytest.raises(SwitchFailed, match="not found: install usb-modeswitch"):
            engine.switch("1-1.2", dongle.profile.switches[0].config, timeout=5)
        with pytest.raises(SwitchFailed, match="no device on port 1-1.9"):
            engine.switch("1-1.9", dongle.profile.switches[0].config, timeout=5)
    finally:
        dongle.close()


def test_parse_output_reads_sends_reads_resets_and_errors():
    config = SwitchConfig.from_mapping({"DefaultVendor": 0x12d1, "DefaultProduct": 0x14fe,
                                        "MessageContent": "55534243" + "00" * 27})
    output = ("Trying to send message 1 to endpoint 0x01 ...\n OK, message successfully sent\n"
              "Read the response to message 1 (CSW) ...\n Response successfully read (13 bytes), status 0\n"
              "Reset response endpoint 0x81\nTrying to send message 2 to endpoint 0x01 ...\n"
              " Sending the message returned error -9. Try to continue\n"
              "Error: could not get description string \"manufacturer\"\n")
    transfers, problems = parse_output(output, config)
    assert [(t.direction, t.kind, t.endpoint) for t in transfers] == \
        [("OUT", "bulk", 1), ("IN", "bulk", 0x81), ("OUT", "control", 0), ("OUT", "bulk", 1)]
    assert transfers[0].data == bytes.fromhex("55534243" + "00" * 27) and transfers[0].result == "ok"
    assert transfers[1].result == "ok, CSW status 0"
    assert transfers[2].setup == (0x02, 0x01, 0, 0x81, 0)
    assert transfers[3].result.startswith("error: Sending the message returned error -9")
    assert problems == ["Sending the message returned error -9. Try to continue",
                        'Error: could not get description string "manufacturer"']


# --- byte comparison ------------------------------------------------------------------------------

KNOWN = {"SonyMode": "usb_modeswitch 2.6.1 ends with SIGSEGV (exit -11) after the Sony stick's "
                     "reconnect when run with -b/-g; hilkit's transfers are checked by the in-process sweep"}


@needs_binary
@pytest.mark.parametrize("method", sorted(ONE_PER_METHOD))
def test_native_engine_sends_usb_modeswitchs_bytes(method):
    result = compare(LIBRARY.get(ONE_PER_METHOD[method]), port="1-1.5")
    assert result.native.ok, result.native.error
    if method in KNOWN:
        assert not result.compared and "exit -11" in result.reference.error, KNOWN[method]
        return
    assert result.compared, result.reference.error
    assert result.identical, result.difference()
    if method in ("MessageContent", "StandardEject", "HuaweiNewMode", "MobileActionMode", "SierraMode"):
        assert result.native.wire   # the comparison compared something


# --- sysfs descriptors ----------------------------------------------------------------------------

def test_descriptor_blob_round_trips_through_the_parser(ulab):
    dongle = ulab.dongle("e3131")
    dongle.set_power(True)
    ulab.bus.wait_until("1-1.2", lambda i: [] if i else ["absent"], 5, "the E3131")
    raw = parse(descriptor_blob(ulab.usb_backend, DeviceHandle(dongle, dongle.generation)))
    assert (raw.vendor, raw.product, raw.num_configurations) == (0x12d1, 0x14fe, 1)
    (itf,) = raw.config(1).interfaces
    assert (itf.cls, itf.subclass, itf.protocol) == (8, 6, 0x50)
    assert raw.config(2) is None


DEVICE = bytes([18, 1, 0, 2, 0, 0, 0, 64]) + struct.pack("<HHH", 0x12d1, 0x14fe, 0x102) + bytes([1, 2, 0, 1])


@pytest.mark.parametrize("blob, where", [
    (b"", "offset 0"),
    (DEVICE[:10], "offset 0"),
    (DEVICE + bytes([9, 4, 0, 0, 0, 0, 0, 0, 0]), "no configuration descriptor at offset 18"),
    (DEVICE + bytes([9, 2, 200, 0, 1, 1, 0, 0x80, 250]), "claims 200 bytes, 9 left"),
    (DEVICE + bytes([9, 2, 11, 0, 1, 1, 0, 0x80, 250, 0, 4]), "descriptor at offset 27 has length 0"),
])
def test_a_bad_descriptor_blob_names_the_offset(blob, where):
    with pytest.raises(DescriptorError, match=where):
        parse(blob)
