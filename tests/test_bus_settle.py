"""A wait with a settle window ends as soon as a device that came back has stayed quiet in a wrong
state, and only then: an unchanged port, or an empty one, waits out the budget as before. The
outcomes do not depend on the machine's speed (a slow machine only reaches them later)."""
from __future__ import annotations

import threading

import pytest

from hilkit.core.device import DeviceInfo
from hilkit.core.errors import SettledWrong, WaitTimeout
from hilkit.core.ids import UsbId
from hilkit.usb.bus import UsbBus

STORAGE = DeviceInfo("1-1.2", UsbId(0x12D1, 0x14FE), 0, 1, ())
E173 = DeviceInfo("1-1.2", UsbId(0x12D1, 0x1C05), 0, 1, ())


class HandBus(UsbBus):
    """A bus whose one port the test changes by hand, telling waiters as a real backend does."""

    def __init__(self, device: DeviceInfo | None) -> None:
        super().__init__()
        self.device = device

    def devices(self) -> list[DeviceInfo]:
        return [self.device] if self.device else []

    def open(self, port: str):
        return None

    def replug(self, device: DeviceInfo | None) -> None:
        self.device = device
        self.notify("add" if device else "remove", "1-1.2", str(device.id) if device else "")


def wants_1506(info: DeviceInfo | None) -> list[str]:
    if info is None:
        return ["nothing on the port yet"]
    return [] if info.id.product == 0x1506 else [f"id {info.id} not a target"]


def replugged_once(bus: HandBus, device: DeviceInfo | None):
    """wants_1506, replugging ``device`` once the wait has begun (as the stick does after the message)."""
    done = []

    def check(info: DeviceInfo | None) -> list[str]:
        if not done:
            done.append(True)
            threading.Thread(target=bus.replug, args=(device,)).start()
        return wants_1506(info)
    return check


def test_a_device_that_came_back_wrong_fails_once_quiet():
    bus = HandBus(STORAGE)
    with pytest.raises(SettledWrong) as info:
        bus.wait_until("1-1.2", replugged_once(bus, E173), 30.0, "12d1:1506", settled_after=0.05)
    assert "no USB event for 0.05 s" in str(info.value) and "12d1:1c05" in str(info.value)
    assert info.value.after < 30.0


def test_an_unchanged_port_waits_out_its_budget():
    """The message was sent, nothing happened yet: the stick may take its time to react."""
    bus = HandBus(STORAGE)
    with pytest.raises(WaitTimeout) as info:
        bus.wait_until("1-1.2", wants_1506, 0.2, "12d1:1506", settled_after=0.01)
    assert not isinstance(info.value, SettledWrong)


def test_an_empty_port_is_not_settled():
    bus = HandBus(STORAGE)
    with pytest.raises(WaitTimeout) as info:
        bus.wait_until("1-1.2", replugged_once(bus, None), 0.3, "12d1:1506", settled_after=0.01)
    assert not isinstance(info.value, SettledWrong)


def test_the_right_device_returns_whatever_the_window():
    bus = HandBus(STORAGE)
    target = DeviceInfo("1-1.2", UsbId(0x12D1, 0x1506), 0, 1, ())
    assert bus.wait_until("1-1.2", replugged_once(bus, target), 30.0, "12d1:1506",
                          settled_after=0.01).id.product == 0x1506


def test_a_bus_that_knows_it_has_settled_does_not_wait_the_window():
    bus = HandBus(STORAGE)
    bus.known_settled = lambda port: True  # a simulator with nothing scheduled
    with pytest.raises(SettledWrong) as info:
        bus.wait_until("1-1.2", replugged_once(bus, E173), 30.0, "12d1:1506", settled_after=3600)
    assert "the lab has nothing more on its way" in str(info.value)
