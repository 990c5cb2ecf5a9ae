"""The switch engine, through pyusb, against virtual dongles built from the shipped profiles."""
from __future__ import annotations

import inspect

import pytest

from hilkit.core.errors import SwitchFailed, SwitchRefused
from hilkit.core.switchconfig import SwitchConfig

FORUM_E3131 = "55534243123456780000000000000011060000000000000000000000000000"
FORUM_HILINK = "55534243123456780000000000000011063000000100010000000000000000"


def test_switch_message_reaches_the_dongle_as_bytes_through_pyusb(vlab, powered, monkeypatch):
    dongle = powered("e3131")
    callers = []
    original = vlab.usb_backend.bulk_write

    def spy(handle, ep, intf, data, timeout):
        callers.append({frame.frame.f_globals.get("__name__") for frame in inspect.stack()[1:6]})
        return original(handle, ep, intf, data, timeout)

    monkeypatch.setattr(vlab.usb_backend, "bulk_write", spy)
    results = dongle.switch_to("modem")

    assert callers and "usb.core" in callers[0], "the bulk write did not come through pyusb's core"
    received = vlab.dongle("e3131").switch_transfers()
    writes = [t for t in received if t.kind == "bulk" and not t.endpoint & 0x80]
    reads = [t for t in received if t.kind == "bulk" and t.endpoint & 0x80]
    assert [w.data.hex() for w in writes] == [FORUM_E3131]
    assert writes[0].endpoint == 0x01
    assert reads and reads[0].data[:4] == b"USBS" and reads[0].data[4:8] == bytes.fromhex("12345678")
    assert reads[0].data[12] == 0, "the firmware should have accepted the command (CSW status 0)"
    assert str(dongle.snapshot().id) == "12d1:1c05"  # asked for 1506, came up as 1c05, as in the forum
    assert results[0].reenumeration_time > 0


def test_wrong_message_leaves_dongle_in_storage_and_names_expected_and_seen_ids(vlab, powered):
    dongle = powered("e3131")
    wrong = SwitchConfig.from_mapping({"TargetVendor": 0x12d1, "TargetProductList": "1506,1c05",
                                       "MessageContent": FORUM_HILINK})
    with pytest.raises(SwitchFailed) as failed:
        dongle.run_switch(wrong, target="modem", timeout=0.6)
    message = str(failed.value)
    assert "12d1:1506" in message and "12d1:1c05" in message, message   # expected
    assert "seen 12d1:14fe" in message, message                          # seen
    assert dongle.mode().name == "storage"
    sent = [t.data.hex() for t in vlab.dongle("e3131").switch_transfers() if t.kind == "bulk" and t.endpoint == 1]
    assert sent == [FORUM_HILINK], "the wrong message must have reached the device"
    csw = [t.data for t in vlab.dongle("e3131").switch_transfers() if t.kind == "bulk" and t.endpoint == 0x81]
    assert csw[0][12] == 1, "an unknown command fails its CSW"


def test_e3531_storage_message_refused_before_anything_is_sent(vlab, powered):
    dongle = powered("e3531")
    case = dongle.profile.refuse[0]
    with pytest.raises(SwitchRefused) as refused:
        dongle.run_switch(case.config, where=f"{dongle.profile.path}:{case.line}")
    text = str(refused.value)
    assert ("can't use storage command in MessageContent with interface 0; interface class is 2, expected 8"
            in text)
    assert "needs no switch" in text and f"e3531.yaml:{case.line}" in text
    assert vlab.dongle("e3531").switch_transfers() == []
    assert dongle.mode().name == "modem"


def test_already_in_target_mode_needs_no_switch(vlab, powered):
    dongle = powered("e3131")
    dongle.switch_to("modem")
    before = len(vlab.dongle("e3131").switch_transfers())
    with pytest.raises(SwitchRefused, match="no switch needed"):
        dongle.run_switch(dongle.profile.switches[0].config)
    assert len(vlab.dongle("e3131").switch_transfers()) == before


def test_hilink_switch_brings_up_a_network_interface_and_no_serial_port(vlab, powered):
    dongle = powered("e3372")
    dongle.switch_to("hilink")
    info = dongle.snapshot()
    assert str(info.id) == "12d1:14dc"
    net = info.interface(0)
    assert net.classes == "02/06/00" and net.driver == "cdc_ether" and net.net.startswith("usb")
    assert info.ttys == []


def test_old_handle_fails_after_reenumeration(vlab, powered):
    """pyusb handles name one enumeration: after the switch the old device object is gone (ENODEV)."""
    import usb.core

    dongle = powered("e3131")
    old = vlab.bus.open(dongle.port)
    dongle.switch_to("modem")
    with pytest.raises(usb.core.USBError) as gone:
        old.get_active_configuration()
    assert gone.value.errno == 19
