"""A simulated rig's hardware: its dongles and what they live on -- the clock, the virtual kernel,
their relays (gpiozero mock pins), the ModemManager that watches their hotplug (Debian's real
daemon where installed, else a fake), the fault dice. A lab composes it with a transport that
shows the dongles to the host: in-process (a pyusb backend and a virtual bus:
:mod:`hilkit.sim.virtual_lab`) or at the kernel interface (:mod:`hilkit.sim.umockdev.umockdev_lab`)."""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from gpiozero.pins.mock import MockFactory

from hilkit.core.errors import RigError
from hilkit.core.rig import Rig
from hilkit.sim.adapters.pty_port import make_tty
from hilkit.sim.adapters.relay_pins import RelayPin
from hilkit.sim.adapters.socket_port import SocketAtPort
from hilkit.sim.labgrid_hardware import Outlet
from hilkit.sim.model.fault_dice import FaultInjector
from hilkit.sim.model.kernel import SimKernel
from hilkit.sim.model.scheduler import Scheduler
from hilkit.sim.model.virtual_dongle import VirtualDongle
from hilkit.sim.programs.mm_daemon import FakeModemManager
from hilkit.sim.programs.mm_state import MMState
from hilkit.sim.programs.real_modemmanager import RealModemManager
from hilkit.sim.programs.real_modemmanager import unavailable as real_mm_unavailable
from hilkit.sim.programs.real_modemmanager import version as real_mm_version

#: where a hotplug event goes: (action, port, detail)
Hotplug = Callable[[str, str, str], None]


class VirtualHardware:
    def __init__(self, rig: Rig, faults: FaultInjector | None,
                 addresses: Callable[[int], Callable[[], int]], udev: bool = False) -> None:
        """``addresses(bus number)``: the next free device address on that bus (the kernel's).
        ``udev``: the dongles are seen through (emulated) udev, where the real ModemManager finds
        them by itself, as on a rig."""
        self.udev = udev
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
                                     addresses(slot.bus), self.dice)
            for slot in rig.slots}
        self.by_port = {d.port: d for d in self.dongles.values()}
        self._daemon = FakeModemManager(self.modem_manager, lambda port: self.by_port[port].modem_probe())
        self.real_mm: RealModemManager | None = None
        self.mm_choice = self._choose_modem_manager(rig)
        self.pin_factory = MockFactory(pin_class=RelayPin)
        self.pins: dict[str, RelayPin | Outlet] = {}
        for slot in (s for s in rig.slots if s.power.driver == "gpio"):
            dongle = self.dongles[slot.name]
            self.pins[slot.name] = self.pin_factory.pin(
                slot.power.pin, active_high=slot.power.active_high, on_power=dongle.set_power,
                stuck=lambda port=slot.port: self.dice.fires("relay_stuck", port))

    def _choose_modem_manager(self, rig: Rig) -> str:
        """The real ModemManager where it is installed and a slot attaches through it (unless
        ``HILKIT_MODEMMANAGER=fake``); else the fake mmcli. Returns what was chosen and why."""
        if not any(s.profile.attach is not None and s.profile.attach.method == "modemmanager" for s in rig.slots):
            return "fake mmcli (no slot attaches through ModemManager)"
        if os.environ.get("HILKIT_MODEMMANAGER", "").lower() == "fake":
            return "fake mmcli (HILKIT_MODEMMANAGER=fake)"
        reason = real_mm_unavailable()
        if reason:
            return f"fake mmcli ({reason})"
        self.real_mm = RealModemManager(Path(self._state_dir), self._serve_at, udev=self.udev)
        how = "finds the modems through udev" if self.udev else "test mode"
        return f"ModemManager {real_mm_version()} (the real daemon, {how}, private bus)"

    def _serve_at(self, port: str) -> SocketAtPort | None:
        dongle = self.by_port[port]
        if dongle.profile.attach is None or dongle.profile.attach.method != "modemmanager":
            return None   # the real daemon takes the modems of the slots that attach through it
        # AT faults stay on the ports the framework's own AT client opens: the daemon's retries would
        # absorb them, and the verdict would no longer show the fault that was injected
        return dongle.serve_at(lambda model, fault: SocketAtPort(model))

    def _hotplug(self, action: str, port: str, detail: str) -> None:
        """A dongle came, went or changed: the fake ModemManager probes it before the host's waits
        wake; the real one after, on its own thread, as it lags the kernel on a rig."""
        if self.real_mm is None:
            self._daemon.hotplug(action, port)
        self.transport(action, port, detail)
        if self.real_mm is not None:
            self.real_mm.hotplug(action, port)

    def mmcli_command(self) -> list[str]:
        return self.real_mm.mmcli_command() if self.real_mm is not None else self.modem_manager.command()

    def modem_device(self, port: str) -> str:
        """How ModemManager's device for the modem now on ``port`` ends (see LabBackend.modem_device)."""
        return self.real_mm.device(port) if self.real_mm is not None else port

    def relays_energized(self) -> dict[str, bool]:
        """Slot -> relay closed?"""
        return {name: pin.energized for name, pin in self.pins.items()}

    def close(self) -> None:
        """Every dongle off, the clock stopped, the relays and the fake ModemManager's state gone."""
        for dongle in self.dongles.values():
            dongle.set_power(False)
        self.scheduler.stop()
        if self.real_mm is not None:
            self.real_mm.close()
        self.pin_factory.close()
        shutil.rmtree(self._state_dir, ignore_errors=True)
