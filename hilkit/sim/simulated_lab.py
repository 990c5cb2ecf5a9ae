"""What both simulated labs are: their :class:`~hilkit.sim.virtual_hardware.VirtualHardware`
behind the lab contract (faults, the fake ModemManager, the HiLink sticks, labgrid places played
on 127.0.0.1). Each lab adds its transport: the bus the host sees the dongles through."""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from hilkit.core.errors import HilkitError
from hilkit.core.rig import Rig, Slot
from hilkit.lab.lab_backend import Capability, LabBackend
from hilkit.lab.labgrid_map import power_resource
from hilkit.sim.adapters.relay_pins import RelayPin
from hilkit.sim.data_paths import DataPaths
from hilkit.sim.labgrid_hardware import ExporterHost, Outlet, SerialBridge, VirtualPdu, closer, play_power, play_serial
from hilkit.sim.model.fault_dice import FaultInjector
from hilkit.sim.model.scheduler import Scheduler
from hilkit.sim.model.virtual_dongle import VirtualDongle
from hilkit.sim.programs.fake_usb_modeswitch import run_config
from hilkit.sim.programs.mm_state import MMState
from hilkit.sim.virtual_hardware import VirtualHardware

if TYPE_CHECKING:
    from hilkit.lab.labgrid_lab import LabgridSlots

ROLES = ("at", "diag", "ppp")


class SimulatedLab(LabBackend):
    capabilities = frozenset({Capability.FAULT_INJECTION, Capability.LABGRID_HARDWARE})
    time_scale = 0.1   # the model's delays are a tenth of a real stick's, or less

    def __init__(self, rig: Rig, hardware: VirtualHardware) -> None:
        super().__init__(rig)
        self.hardware = hardware
        self.pin_factory = hardware.pin_factory
        self.exporter_host: ExporterHost | None = None
        self.state_at_close: dict[str, bool] | None = None   # what the framework left (teardown tests)
        self.data_paths = DataPaths(hardware, rig.slots)

    # -- the hardware, as tests and the labgrid fakes look at it ----------------------------------
    @property
    def dongles(self) -> dict[str, VirtualDongle]:
        return self.hardware.dongles

    @property
    def pins(self) -> dict[str, RelayPin | Outlet]:
        return self.hardware.pins

    @property
    def scheduler(self) -> Scheduler:
        return self.hardware.scheduler

    @property
    def modem_manager(self) -> MMState:
        return self.hardware.modem_manager

    @property
    def faults(self) -> FaultInjector:
        return self.hardware.dice

    def dongle(self, slot: str) -> VirtualDongle:
        return self.hardware.dongles[slot]

    def relays_energized(self) -> dict[str, bool]:
        """Slot -> relay closed? (for tests of the rig's safety)."""
        return self.hardware.relays_energized()

    # -- where the attach methods reach the modems ------------------------------------------------
    def mmcli_command(self) -> list[str]:
        """The real mmcli on the lab's private bus where the real daemon runs; else the fake one (same
        JSON as mmcli 1.20+, state shared with the lab). ``hardware.mm_choice`` says which."""
        return self.hardware.mmcli_command()

    def modem_device(self, slot: Slot) -> str:
        return self.hardware.modem_device(slot.port)

    def attach_evidence(self, slot: Slot) -> dict[str, str]:
        real = self.hardware.real_mm
        if real is None or not real.transcript(slot.port):
            return {}
        return {"AT commands the real ModemManager sent (the virtual modem's side)": real.transcript(slot.port)}

    def environment(self) -> dict[str, str]:
        return {"modemmanager": self.hardware.mm_choice}

    def hilink_url(self, slot: Slot) -> str:
        """The virtual stick's web API, on 127.0.0.1 (a rig's stick answers on 192.168.8.1)."""
        stick = self.hardware.dongles[slot.name].hilink
        if stick is None:
            raise HilkitError(f"{slot.describe()}: no HiLink web API: the stick is not in a HiLink mode")
        return stick.url

    # -- the data path: a carrier network behind each dongle's interface ------------------------------
    def data_path(self, slot: Slot) -> str | None:
        return self.data_paths.prepare(slot, self.rig.throughput_url)

    def net_interface(self, slot: Slot) -> str:
        return self.data_paths.interface(slot)

    def data_port(self, slot: Slot, name: str) -> str:
        """The real ModemManager names the socket it was given for the AT port: the tty a PPP client
        opens is that modem's pty (the same firmware, as ``/dev/ttyUSB2`` is on a rig)."""
        dongle = self.hardware.dongles[slot.name]
        for served in dongle.binding.served:
            if getattr(served, "name", None) == name:
                for port in dongle.binding.ports:
                    if getattr(port, "model", None) is served.model:
                        return port.path
        return super().data_port(slot, name)

    def end_data_path(self, slot: Slot) -> None:
        self.data_paths.release(slot)

    def data_path_evidence(self, slot: Slot) -> dict[str, str]:
        return self.data_paths.evidence(slot)

    # -- labgrid places pointing at 127.0.0.1 ------------------------------------------------------
    def play_labgrid(self, places: LabgridSlots) -> None:
        """Answer where the acquired places point: a PDU outlet and serial ports per slot, and the
        exporter host's usb_modeswitch."""
        pdus: dict[tuple[str, int], VirtualPdu] = {}
        bridges: list[SerialBridge] = []
        self.exporter_host = ExporterHost(self._run_usb_modeswitch)
        places.closers.append(lambda: closer(*bridges, *pdus.values(), self.exporter_host)())
        for slot in (s for s in self.rig.slots if s.power.driver == "labgrid"):
            found = places.resources[slot.name]
            dongle = self.hardware.dongles[slot.name]
            self.hardware.pins[slot.name] = play_power(pdus, power_resource(slot.power.place, found), dongle)
            for res in (r for r in found if r.cls == "NetworkSerialPort"):
                bridges.append(play_serial(res, dongle, res.name if res.name in ROLES else "at"))

    def usb_modeswitch_command(self) -> list[str]:
        """The exporter host's usb_modeswitch, virtual: it hands its config to the lab."""
        if self.exporter_host is None:
            return super().usb_modeswitch_command()
        return [sys.executable, "-m", "hilkit.sim.programs.fake_usb_modeswitch", "--lab", self.exporter_host.url]

    def _run_usb_modeswitch(self, bus: int, address: int, text: str) -> tuple[int, str]:
        """What usb_modeswitch does on the exporter host, on this lab's bus: (exit code, output)."""
        return run_config(self.bus, bus, address, text)

    def close(self) -> None:
        self.state_at_close = self.relays_energized()   # before the lab's own cleanup forces all off
        try:
            self.data_paths.close()
        finally:
            try:
                self.hardware.close()
            finally:
                super().close()
