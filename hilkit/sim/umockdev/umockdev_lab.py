"""The umockdev lab: the virtual lab's dongles (same model, same relays, same ModemManager and
HiLink fakes) seen through the real Linux backend -- pyudev, libusb and /dev/ttyUSB* -- instead
of the in-process pyusb backend. What it tests is the code a rig runs; what it fakes is the kernel.
"""
from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from functools import partial
from typing import Any

from hilkit.core.device import DeviceInfo
from hilkit.core.errors import HilkitError
from hilkit.core.rig import Rig
from hilkit.sim.adapters.pyusb_backend import SimUsbBackend
from hilkit.sim.model.fault_dice import FaultInjector
from hilkit.sim.simulated_lab import SimulatedLab
from hilkit.sim.umockdev import bindings_missing, preloaded, unavailable
from hilkit.sim.umockdev.world import TESTBED_LOCK, UmockdevWorld, next_address, sent_uevents
from hilkit.sim.virtual_hardware import VirtualHardware
from hilkit.usb.sysfs_bus import LinuxUsbBus

_TESTBED: Any = None
_BUS: LinuxUsbBus | None = None


def testbed() -> tuple[Any, Any]:
    """The process's one testbed (a second one would leave libusb's hotplug bound to the first)."""
    global _TESTBED
    reason = unavailable()
    if reason:
        raise HilkitError(f"the umockdev lab cannot start: {reason} "
                          "(start pytest as `umockdev-wrapper .venv/bin/pytest ...`; `hilkit run` does it itself)")
    from gi.repository import UMockdev
    if _TESTBED is None:
        _TESTBED = UMockdev.Testbed.new()
    return _TESTBED, UMockdev


class _SharedBus(LinuxUsbBus):
    """The testbed's bus: labs come and go within a process, the uevent monitor stays.

    Reads hold the testbed's lock: umockdev writes a device's files one by one, where the kernel
    shows a device whole, so a read must not land between the world's writes."""

    def device_at(self, port: str) -> DeviceInfo | None:
        with TESTBED_LOCK:
            return super().device_at(port)

    def devices(self) -> list[DeviceInfo]:
        with TESTBED_LOCK:
            return super().devices()

    def settle(self) -> None:
        """Every uevent the world has sent read by the monitor (umockdev writes them to the
        monitor's socket as it adds devices), then handled."""
        self.wait_read(sent_uevents(), self.SETTLE_LIMIT)
        super().settle()

    def close(self) -> None:
        """A lab closing does not stop it: the next lab in this process reads the same uevents."""


def shared_bus() -> LinuxUsbBus:
    """One Linux bus per testbed (see :class:`_SharedBus`)."""
    global _BUS
    if _BUS is None:
        _BUS = _SharedBus()
    return _BUS


class UmockdevLab(SimulatedLab):
    @classmethod
    def missing_here(cls) -> list[str]:
        missing = []
        if shutil.which("umockdev-wrapper") is None:
            missing.append("umockdev-wrapper is not installed (apt install umockdev)")
        problem = bindings_missing()
        if problem:
            missing.append(problem)
        return missing

    @classmethod
    def relaunch(cls, argv: Sequence[str]) -> list[str] | None:
        """umockdev's preload must be there from the process's start: ``hilkit ARGV`` again,
        under umockdev-wrapper (a one-line error when it is not installed)."""
        if preloaded():
            return None
        missing = cls.missing_here()
        if missing:
            raise HilkitError(f"the umockdev rig cannot run here: {'; '.join(missing)}")
        wrapper = shutil.which("umockdev-wrapper")
        assert wrapper is not None  # missing_here() says so otherwise
        return [wrapper, sys.executable, "-m", "hilkit", *argv]

    def __init__(self, rig: Rig, faults: FaultInjector | None = None) -> None:
        bed, umockdev = testbed()
        hardware = VirtualHardware(rig, faults, lambda bus: partial(next_address, bus),  # the testbed's addresses
                                   udev=True)
        super().__init__(rig, hardware)
        self.usb_backend = SimUsbBackend(hardware.dongles.values())
        self.world = UmockdevWorld(bed, umockdev, self.usb_backend, [s.port for s in rig.slots], shared_bus())
        self.bus = shared_bus()
        hardware.transport = self._to_kernel

    def _to_kernel(self, action: str, port: str, detail: str) -> None:
        """A dongle changed: the kernel side follows, and its uevents wake the bus."""
        dongle = self.hardware.by_port.get(port)
        if dongle is not None:
            self.world.event(dongle, action)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.world.close()
