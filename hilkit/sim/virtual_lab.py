"""The virtual lab: simulated dongles behind gpiozero mock relays, on a pyusb backend, with ptys.

It plugs in under the real libraries (a gpiozero pin factory, a pyusb backend, pyserial-openable
ptys), so fixtures, switch engine and AT client run the code a rig runs. Its transport is
in-process: the dongles' hotplug goes straight to a virtual bus.
"""
from __future__ import annotations

import itertools
import threading

from hilkit.core.rig import Rig, Slot
from hilkit.core.usb_capture import UrbEvent
from hilkit.sim.adapters.pyusb_backend import SimUsbBackend
from hilkit.sim.adapters.usb_traffic import UsbTraffic
from hilkit.sim.adapters.virtual_bus import SimUsbBus
from hilkit.sim.model.fault_dice import FaultInjector
from hilkit.sim.simulated_lab import SimulatedLab
from hilkit.sim.virtual_hardware import VirtualHardware


class VirtualLab(SimulatedLab):
    def __init__(self, rig: Rig, faults: FaultInjector | None = None) -> None:
        addresses = itertools.count(2)
        lock = threading.Lock()

        def next_address() -> int:
            with lock:
                return next(addresses) % 127 + 1

        hardware = VirtualHardware(rig, faults, lambda bus: next_address)
        super().__init__(rig, hardware)
        self.usb_backend = SimUsbBackend(hardware.dongles.values())
        self.bus = SimUsbBus(self.usb_backend, self._kernel_view, hardware.scheduler.run_due, self._gave_up,
                             self._settled)
        self.traffic = UsbTraffic(self.usb_backend)
        hardware.transport = self._heard

    def _heard(self, action: str, port: str, detail: str) -> None:
        """A hotplug event: the host hears of it, and the traffic record notes what it read."""
        if action == "add":
            self.traffic.enumerated(port)
        self.bus.notify(action, port, detail)

    def usb_capture(self, slot: Slot, since: float) -> list[UrbEvent] | None:
        return self.traffic.capture(self.hardware.dongles[slot.name], since)

    def _settled(self, port: str) -> bool | None:
        dongle = self.hardware.by_port.get(port)
        return dongle.settled() if dongle else None

    def _gave_up(self, port: str) -> None:
        dongle = self.hardware.by_port.get(port)
        if dongle is not None:
            dongle.host_gave_up()

    def _kernel_view(self, port: str) -> dict[int, dict[str, str]]:
        dongle = self.hardware.by_port.get(port)
        return dongle.kernel_view() if dongle else {}
