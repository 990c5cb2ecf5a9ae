"""The virtual lab: simulated dongles behind gpiozero mock relays, on a pyusb backend, with ptys.

It plugs in under the real libraries (a gpiozero pin factory, a pyusb backend, pyserial-openable
ptys), so fixtures, switch engine and AT client run the code a rig runs.
"""
from __future__ import annotations

import itertools
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from gpiozero.pins.mock import MockFactory

from hilkit.core.errors import HilkitError, RigError
from hilkit.core.rig import Rig, Slot
from hilkit.lab.lab_backend import Capability, LabBackend
from hilkit.lab.labgrid_map import power_resource
from hilkit.sim.adapters.pty_port import make_tty
from hilkit.sim.adapters.pyusb_backend import SimUsbBackend
from hilkit.sim.adapters.relay_pins import RelayPin
from hilkit.sim.adapters.virtual_bus import SimUsbBus
from hilkit.sim.labgrid_hardware import ExporterHost, Outlet, SerialBridge, VirtualPdu, closer, play_power, play_serial
from hilkit.sim.model.fault_dice import FaultInjector
from hilkit.sim.model.kernel import SimKernel
from hilkit.sim.model.scheduler import Scheduler
from hilkit.sim.model.virtual_dongle import VirtualDongle
from hilkit.sim.programs.fake_usb_modeswitch import run_config
from hilkit.sim.programs.mm_state import MMState

if TYPE_CHECKING:
    from hilkit.lab.labgrid_lab import LabgridSlots

ROLES = ("at", "diag", "ppp")


class VirtualLab(LabBackend):
    capabilities = frozenset({Capability.FAULT_INJECTION, Capability.LABGRID_HARDWARE})

    def __init__(self, rig: Rig, faults: FaultInjector | None = None) -> None:
        super().__init__(rig)
        self.dice = faults or FaultInjector.parse(list(rig.faults), rig.fault_seed)
        for slot in rig.slots:
            if slot.power.driver not in ("gpio", "labgrid"):  # labgrid: played by play_labgrid()
                raise RigError(rig.path, slot.line, f"slots[{slot.name}].power.driver",
                               "the virtual lab simulates gpio relays only (expected: driver: gpio)")
        self.scheduler = Scheduler()
        self.kernel = SimKernel(make_tty)
        addresses = itertools.count(2)
        lock = threading.Lock()

        def next_address() -> int:
            with lock:
                return next(addresses) % 127 + 1

        self._state_dir = tempfile.mkdtemp(prefix="hilkit-lab-")
        self.modem_manager = MMState(Path(self._state_dir) / "modemmanager.json")
        self.dongles: dict[str, VirtualDongle] = {
            slot.name: VirtualDongle(slot.profile, slot.port, self.scheduler, self.kernel,
                                     self._notify, next_address, self.modem_manager, self.dice)
            for slot in rig.slots
        }
        self._by_port = {d.port: d for d in self.dongles.values()}
        self.pin_factory: MockFactory = MockFactory(pin_class=RelayPin)
        self.pins: dict[str, RelayPin | Outlet] = {}
        self.exporter_host: ExporterHost | None = None
        for slot in (s for s in rig.slots if s.power.driver == "gpio"):
            dongle = self.dongles[slot.name]
            self.pins[slot.name] = self.pin_factory.pin(
                slot.power.pin, active_high=slot.power.active_high, on_power=dongle.set_power,
                stuck=lambda port=slot.port: self.dice.fires("relay_stuck", port))
        self.usb_backend = SimUsbBackend(self.dongles.values())
        self.bus = SimUsbBus(self.usb_backend, self._kernel_view, self.scheduler.run_due, self._gave_up)
        self.state_at_close: dict[str, bool] | None = None

    @property
    def faults(self) -> FaultInjector:
        return self.dice

    def _notify(self, action: str, port: str, detail: str) -> None:
        self.bus.notify(action, port, detail)

    def _gave_up(self, port: str) -> None:
        dongle = self._by_port.get(port)
        if dongle is not None:
            dongle.host_gave_up()

    def _kernel_view(self, port: str) -> dict[int, dict[str, str]]:
        dongle = self._by_port.get(port)
        return dongle.kernel_view() if dongle else {}

    def mmcli_command(self) -> list[str]:
        """The virtual ModemManager's mmcli (same JSON as mmcli 1.20+, state shared with the lab)."""
        return self.modem_manager.command()

    def hilink_url(self, slot: Slot) -> str:
        """The virtual stick's web API, on 127.0.0.1 (a rig's stick answers on 192.168.8.1)."""
        stick = self.dongles[slot.name].hilink
        if stick is None:
            raise HilkitError(f"{slot.describe()}: no HiLink web API: the stick is not in a HiLink mode")
        return stick.url

    def play_labgrid(self, places: LabgridSlots) -> None:
        """Answer where the acquired places point (127.0.0.1): a PDU outlet and serial ports per slot."""
        pdus: dict[tuple[str, int], VirtualPdu] = {}
        bridges: list[SerialBridge] = []
        self.exporter_host = ExporterHost(self._run_usb_modeswitch)
        places.closers.append(lambda: closer(*bridges, *pdus.values(), self.exporter_host)())
        for slot in (s for s in self.rig.slots if s.power.driver == "labgrid"):
            found = places.resources[slot.name]
            dongle = self.dongles[slot.name]
            self.pins[slot.name] = play_power(pdus, power_resource(slot.power.place, found), dongle)
            for res in (r for r in found if r.cls == "NetworkSerialPort"):
                bridges.append(play_serial(res, dongle, res.name if res.name in ROLES else "at"))

    def usb_modeswitch_command(self) -> list[str]:
        """The exporter host's usb_modeswitch, virtual: it hands its config to :meth:`_run_usb_modeswitch`."""
        if self.exporter_host is None:
            return super().usb_modeswitch_command()
        return [sys.executable, "-m", "hilkit.sim.programs.fake_usb_modeswitch", "--lab", self.exporter_host.url]

    def _run_usb_modeswitch(self, bus: int, address: int, text: str) -> tuple[int, str]:
        """What usb_modeswitch does on the exporter host, on the virtual bus: (exit code, output)."""
        return run_config(self.bus, bus, address, text)

    def dongle(self, slot: str) -> VirtualDongle:
        return self.dongles[slot]

    def relays_energized(self) -> dict[str, bool]:
        """Slot -> relay closed? (for tests of the rig's safety)."""
        return {name: pin.energized for name, pin in self.pins.items()}

    def close(self) -> None:
        # What the framework left behind, before the lab's own cleanup forces everything off:
        # tests of teardown safety read this.
        self.state_at_close = self.relays_energized()
        for dongle in self.dongles.values():
            dongle.set_power(False)
        self.scheduler.stop()
        self.pin_factory.close()
        shutil.rmtree(self._state_dir, ignore_errors=True)
        super().close()
