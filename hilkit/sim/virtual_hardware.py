"""A simulated rig's hardware: its dongles and what they live on -- the clock, the virtual kernel,
their relays (gpiozero mock pins), the fake ModemManager that watches their hotplug, the fault
dice. A lab composes it with a transport that shows the dongles to the host: in-process (a pyusb
backend and a virtual bus: :mod:`hilkit.sim.virtual_lab`) or at the kernel interface
(:mod:`hilkit.sim.umockdev.umockdev_lab`)."""
from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from gpiozero.pins.mock import MockFactory

from hilkit.core.errors import RigError
from hilkit.core.rig import Rig
from hilkit.sim.adapters.pty_port import make_tty
from hilkit.sim.adapters.relay_pins import RelayPin
from hilkit.sim.labgrid_hardware import Outlet
from hilkit.sim.model.fault_dice import FaultInjector
from hilkit.sim.model.kernel import SimKernel
from hilkit.sim.model.scheduler import Scheduler
from hilkit.sim.model.virtual_dongle import VirtualDongle
from hilkit.sim.programs.mm_daemon import FakeModemManager
from hilkit.sim.programs.mm_state import MMState

#: where a hotplug event goes: (action, port, detail)
Hotplug = Callable[[str, str, str], None]


class VirtualHardware:
    def __init__(self, rig: Rig, faults: FaultInjector | None,
                 addresses: Callable[[int], Callable[[], int]]) -> None:
        """``addresses(bus number)``: the next free device address on that bus (the kernel's)."""
        for slot in rig.slots:
            if slot.power.driver not in ("gpio", "labgrid"):  # labgrid: played through its places
                raise RigError(rig.path, slot.line, f"slots[{slot.name}].power.driver",
                               "the virtual lab simulates gpio relays only (expected: driver: gpio)")
        self.rig = rig
        self.dice = faults or FaultInjector.parse(list(rig.faults), rig.fault_seed)
        self.scheduler = Scheduler()
        self.kernel = SimKernel(make_tty)
        self.transport: Hotplug = lambda action, port, detail: None   # the lab's, once composed
        self._state_dir = tempfile.mkdtemp(prefix="hilkit-lab-")
        self.modem_manager = MMState(Path(self._state_dir) / "modemmanager.json")
        self.dongles: dict[str, VirtualDongle] = {
            slot.name: VirtualDongle(slot.profile, slot.port, self.scheduler, self.kernel, self._hotplug,
                                     addresses(int(slot.port.split("-")[0])), self.dice)
            for slot in rig.slots}
        self.by_port = {d.port: d for d in self.dongles.values()}
        self._daemon = FakeModemManager(self.modem_manager, lambda port: self.by_port[port].modem_probe())
        self.pin_factory = MockFactory(pin_class=RelayPin)
        self.pins: dict[str, RelayPin | Outlet] = {}
        for slot in (s for s in rig.slots if s.power.driver == "gpio"):
            dongle = self.dongles[slot.name]
            self.pins[slot.name] = self.pin_factory.pin(
                slot.power.pin, active_high=slot.power.active_high, on_power=dongle.set_power,
                stuck=lambda port=slot.port: self.dice.fires("relay_stuck", port))

    def _hotplug(self, action: str, port: str, detail: str) -> None:
        """A dongle came, went or changed: ModemManager probes it before the host's waits wake."""
        self._daemon.hotplug(action, port)
        self.transport(action, port, detail)

    def relays_energized(self) -> dict[str, bool]:
        """Slot -> relay closed?"""
        return {name: pin.energized for name, pin in self.pins.items()}

    def close(self) -> None:
        """Every dongle off, the clock stopped, the relays and the fake ModemManager's state gone."""
        for dongle in self.dongles.values():
            dongle.set_power(False)
        self.scheduler.stop()
        self.pin_factory.close()
        shutil.rmtree(self._state_dir, ignore_errors=True)
