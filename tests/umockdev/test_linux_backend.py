"""The Linux backend (pyudev + sysfs, libusb through pyusb, /dev/ttyUSB*) against emulated dongles.

Runs under umockdev-wrapper (tests/test_umockdev_lab.py starts it so): the code under test is
the code a rig runs; only the kernel is emulated.
"""
from __future__ import annotations

import errno
import os
from dataclasses import replace

import pytest
import usb.core
import usb.util

from hilkit.core.errors import RigError, WaitTimeout
from hilkit.dut import Dongle
from hilkit.lab.linux_lab import LinuxLab, pin_factory
from hilkit.modem.mmcli_client import ModemManager
from hilkit.modem.mmcli_json import text_value
from hilkit.sim.programs.real_modemmanager import unavailable as real_mm_unavailable
from hilkit.usb.describe import describe
from hilkit.usb.sysfs_bus import LinuxUsbBus, port_of

pytestmark = pytest.mark.timeout(60)


def test_snapshot_comes_from_sysfs_and_matches_what_libusb_reads(ulab, e3131):
    e3131.power_on()
    # the kernel binds drivers after it announces the device: wait for that too
    info = ulab.bus.wait_until("1-1.2", lambda i: [] if i and i.interface(0).driver else ["no driver yet"],
                               5, "usb-storage bound")
    assert info.port == "1-1.2" and str(info.id) == "12d1:14fe"
    assert info.extra["sys_path"].endswith("/usb1/1-1/1-1.2")
    assert info.bus == 1 and info.address > 2
    assert info.manufacturer == "HUAWEI"
    storage = info.interface(0)
    assert (storage.cls, storage.subclass, storage.protocol, storage.driver) == (8, 6, 0x50, "usb-storage")
    assert {ep.address for ep in storage.endpoints} == {0x01, 0x81}

    dev = ulab.bus.open("1-1.2")
    assert type(dev._ctx.backend).__name__ == "_LibUSB"   # the real libusb, not the sim backend
    seen = describe(dev)
    usb.util.dispose_resources(dev)
    assert seen.id == info.id and seen.configuration == info.configuration
    assert [(i.number, i.classes, i.endpoints) for i in seen.interfaces] == \
        [(i.number, i.classes, i.endpoints) for i in info.interfaces]


def test_switch_goes_through_libusb_and_the_at_port_through_dev_ttyusb(ulab, e3131):
    e3131.power_on()
    e3131.switch_to(e3131.profile.final_mode.name)
    info = ulab.bus.wait_until("1-1.2", lambda i: [] if i and len(i.ttys) == 3 else ["ttys not all there"],
                               5, "three ttys")
    assert all(tty.startswith("/dev/ttyUSB") for tty in info.ttys)
    assert {i.driver for i in info.interfaces if i.tty} == {"option"}
    cbw = [t for t in ulab.dongle("e3131").switch_transfers() if t.kind == "bulk"][0]
    assert cbw.data.hex() == e3131.profile.switches[0].config.get("MessageContent")
    at = e3131.open_at()
    assert at.port_name.startswith("/dev/ttyUSB")
    assert at.command("AT+CGMI").lines == ["huawei"]
    details = [e.detail for e in ulab.bus.events if e.port == "1-1.2"]
    assert "12d1:14fe" in details and any(d.startswith("tty /dev/ttyUSB") for d in details)


def test_dongles_are_followed_by_port_path_while_tty_numbers_move(ulab):
    e3131 = Dongle(ulab.rig.slot("e3131"), ulab)
    e3531 = Dongle(ulab.rig.slot("e3531"), ulab)
    try:
        for dongle in (e3131, e3531):
            dongle.power_on()
            dongle.switch_to(dongle.profile.final_mode.name)
        first = ulab.bus.wait_until("1-1.2", lambda i: [] if i and i.ttys else ["no tty"], 5, "ttys")
        other = ulab.bus.wait_until("1-1.4", lambda i: [] if i and i.ttys else ["no tty"], 5, "ttys")
        assert not set(first.ttys) & set(other.ttys)
        e3131.power_off()
        e3531.power_off()
        e3531.power_on()
        e3531.switch_to(e3531.profile.final_mode.name)
        again = ulab.bus.wait_until("1-1.4", lambda i: [] if i and i.ttys else ["no tty"], 5, "ttys")
        assert again.ttys != other.ttys            # the kernel numbered them afresh (lowest free)
        assert again.id == other.id and again.port == "1-1.4"
    finally:
        e3131.close()
        e3531.close()


def test_hilink_stick_shows_a_network_interface(ulab):
    e3372 = Dongle(ulab.rig.slot("e3372"), ulab)
    try:
        e3372.power_on()
        e3372.switch_to(e3372.profile.final_mode.name)
        info = ulab.bus.wait_until("1-1.3", lambda i: [] if i and i.nets else ["no net"], 5, "a net interface")
        assert info.nets == ["usb0"] and not info.ttys
        assert any(i.driver == "cdc_ether" for i in info.interfaces)
    finally:
        e3372.close()


def test_kernel_driver_claim_detach_and_standard_requests(ulab, e3131):
    e3131.power_on()
    dev = ulab.bus.open("1-1.2")
    try:
        assert dev.is_kernel_driver_active(0)
        with pytest.raises(usb.core.USBError) as busy:
            usb.util.claim_interface(dev, 0)
        assert busy.value.errno == errno.EBUSY
        dev.detach_kernel_driver(0)
        assert not dev.is_kernel_driver_active(0)
        usb.util.claim_interface(dev, 0)
        dev.set_interface_altsetting(0, 0)
        dev.clear_halt(0x81)
        assert dev.ctrl_transfer(0x80, 0x00, 0, 0, 2).tobytes() == b"\x00\x00"
        dev.set_configuration(1)
        dev.reset()
        usb.util.release_interface(dev, 0)
    finally:
        usb.util.dispose_resources(dev)
    kinds = [(t.kind, t.setup[:3] if t.setup else None) for t in ulab.dongle("e3131").transfers]
    assert ("control", (0x02, 0x01, 0)) in kinds and ("reset", None) in kinds


def test_a_wait_times_out_naming_what_was_expected_and_seen(ulab):
    with pytest.raises(WaitTimeout) as info:
        ulab.bus.wait_until("1-1.2", lambda i: [] if i else ["nothing yet"], 0.2, "the E3131")
    assert "the E3131 on port 1-1.2" in str(info.value) and "nothing on the port" in str(info.value)
    assert ulab.bus.open("1-1.2") is None
    assert ulab.bus.device_at("9-9") is None


def test_the_linux_lab_sees_what_the_emulated_kernel_shows(ulab, e3131, umock_rig):
    lab = LinuxLab(replace(umock_rig, backend="linux"))
    try:
        e3131.power_on()
        info = lab.bus.wait_until("1-1.2", lambda i: [] if i else ["absent"], 5, "the E3131")
        assert str(info.id) == "12d1:14fe"
        assert {d.port for d in lab.bus.devices()} >= {"1-1", "1-1.2"}
        relay = lab.power_switch(umock_rig.slot("e3131"))
        relay.on()
        assert relay.state is True
        relay.off()
        assert relay.state is False
        relay.close()
        e3131.power_off()
        lab.bus.wait_gone("1-1.2", 5)
        assert any(e.action == "remove" and e.port == "1-1.2" for e in lab.bus.events)
    finally:
        lab.close()


def test_a_pin_factory_that_cannot_start_is_one_line(umock_rig):
    assert pin_factory(replace(umock_rig, pin_factory="")) is None
    with pytest.raises(RigError) as info:
        pin_factory(replace(umock_rig, pin_factory="lgpio"))
    text = str(info.value)
    assert "pin_factory" in text and "lgpio" in text and "\n" not in text


def test_port_of_names_the_deepest_hub_port():
    assert port_of("/sys/devices/pci0000:00/usb1/1-1/1-1.2/1-1.2:1.0/ttyUSB0/tty/ttyUSB0") == "1-1.2"
    assert port_of("/sys/devices/pci0000:00/usb1") == ""


def test_a_second_bus_gets_uevents_and_stops_cleanly(ulab, e3131):
    bus = LinuxUsbBus()
    try:
        e3131.power_on()
        bus.wait_until("1-1.2", lambda i: [] if i else ["absent"], 5, "the E3131")
        assert any(e.detail == "12d1:14fe" for e in bus.events)
    finally:
        bus.close()
    assert not bus._observer.is_alive()


def test_devices_lists_hubs_and_dongles_with_their_sysfs_paths(ulab, e3131):
    e3131.power_on()
    ports = {d.port: d for d in ulab.bus.devices()}
    assert ports["1-1"].device_class == 9
    assert os.path.isdir(ports["1-1.2"].extra["sys_path"])


@pytest.mark.skipif(bool(real_mm_unavailable()), reason=f"real ModemManager: {real_mm_unavailable()}")
def test_the_real_modemmanager_finds_the_modem_through_udev(ulab):
    """As on a rig: the daemon watches (emulated) udev, picks its plugin by the device's ids and
    drivers, probes the ttys, and drops the modem when the device leaves."""
    import subprocess
    import threading
    import time

    slot = ulab.rig.slot("e3531")
    dongle = Dongle(slot, ulab)
    try:
        dongle.power_on()
        result = dongle.attach(timeout=90)   # a hang guard: MM's own probing takes ~10 s here
        assert "through udev" in ulab.hardware.mm_choice
        assert (result.sim, result.registration, result.technology) == ("ready", "home", "umts")
        modem = ModemManager(ulab.mmcli_command()).find_modem(slot.port)[1]
        assert text_value(modem, "generic.plugin") == "huawei"        # chosen by the real daemon, by vid
        assert "option" in modem["generic"]["drivers"]
        assert "--> 'AT+CGSN" in ulab.hardware.real_mm.transcript(slot.port)
        dongle.power_off()
        deadline, pause, listed = time.monotonic() + 30, threading.Event(), ""
        while time.monotonic() < deadline:
            listed = subprocess.run([*ulab.mmcli_command(), "-L"], capture_output=True, text=True).stdout
            if "No modems were found" in listed:
                break
            pause.wait(0.05)
        assert "No modems were found" in listed, f"expected the modem gone after unplug; seen {listed!r}"
    finally:
        dongle.close()
