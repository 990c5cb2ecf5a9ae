"""The one seam between the framework and the hardware: a :class:`LabBackend` per kind of rig.

Must provide: ``bus`` (a :class:`~hilkit.usb.bus.UsbBus`) and ``pin_factory`` (a gpiozero pin
factory, or None for gpiozero's own default). May override ``power_switch(slot)`` and ``close()``.
A rig whose slots are labgrid places gets ``labgrid`` (:class:`~hilkit.lab.labgrid_lab.LabgridSlots`):
power, AT ports and mode switches of those slots then go through the places.
Everything above (fixtures, switch engine, AT client, suites) uses only this contract, so a rig
and the virtual lab run the same code.
"""
from __future__ import annotations

from abc import ABC
from typing import TYPE_CHECKING

from gpiozero.pins import Factory

from hilkit.core.rig import Rig, Slot
from hilkit.power import GpioRelay, PowerSwitch, UhubctlPort
from hilkit.switch.engine import SwitchEngine
from hilkit.usb.bus import UsbBus

if TYPE_CHECKING:
    from hilkit.lab.labgrid_lab import LabgridSlots


class LabBackend(ABC):
    bus: UsbBus
    pin_factory: Factory | None = None
    labgrid: LabgridSlots | None = None

    def __init__(self, rig: Rig) -> None:
        self.rig = rig

    def power_switch(self, slot: Slot) -> PowerSwitch:
        spec = slot.power
        if spec.driver == "labgrid" and self.labgrid is not None:
            return self.labgrid.power_switch(slot)
        if spec.driver == "gpio":
            assert spec.pin is not None
            return GpioRelay(spec.pin, spec.active_high, self.pin_factory, name=f"{slot.name}: {spec.describe()}")
        return UhubctlPort(spec.hub, spec.port, name=f"{slot.name}: {spec.describe()}")

    def mmcli_command(self) -> list[str]:
        """How to run ModemManager's command-line client on this rig."""
        return ["mmcli"]

    def hilink_url(self, slot: Slot) -> str:
        """Where the HiLink stick in ``slot`` answers its web API (the profile's, by default)."""
        attach = slot.profile.attach
        return (attach.url if attach and attach.url else "http://192.168.8.1")

    def serial_url(self, slot: Slot, role: str) -> str | None:
        """The slot's serial port for ``role`` when it is not a local tty (a labgrid place's), else None."""
        return self.labgrid.serial_url(slot, role) if self.labgrid and slot.power.driver == "labgrid" else None

    def switch_engine(self, slot: Slot) -> SwitchEngine:
        """The engine that sends the slot's mode switches (on the exporter host for a labgrid place)."""
        if self.labgrid is not None and slot.power.driver == "labgrid":
            return self.labgrid.switch_engine(slot, self.bus, self.usb_modeswitch_command())
        if self.rig.switch_engine == "usb_modeswitch":
            from hilkit.switch.external import ExternalSwitchEngine
            return ExternalSwitchEngine(self.bus)  # type: ignore[return-value]  # same contract
        return SwitchEngine(self.bus)

    def usb_modeswitch_command(self) -> list[str]:
        """How to run usb_modeswitch on an exporter host."""
        return ["usb_modeswitch"]

    def close(self) -> None:
        try:
            self.bus.close()
        finally:
            if self.labgrid is not None:
                self.labgrid.close()  # releases the places: after everything else is at rest


def shares_hardware(backend: str) -> bool:
    """Whether the rig's dongles are shared by every process on the host (so a run must lock the
    slots it drives). The virtual lab's dongles live inside the run that made them, and so do the
    umockdev lab's: each process under umockdev-wrapper has a testbed (sysfs, /dev) of its own."""
    return backend not in ("virtual", "umockdev")


def open_lab(rig: Rig) -> LabBackend:
    """The backend the rig file names."""
    if rig.labgrid is not None:  # acquire the places, then open the backend on the resolved rig (labgrid=None)
        from hilkit.lab.labgrid_lab import open_with_places
        return open_with_places(rig, open_lab)
    if rig.backend == "virtual":
        from hilkit.sim.virtual_lab import VirtualLab
        return VirtualLab(rig)
    if rig.backend == "umockdev":
        from hilkit.sim.umockdev.umockdev_lab import UmockdevLab
        return UmockdevLab(rig)
    if rig.backend == "linux":
        from hilkit.lab.linux_lab import LinuxLab
        return LinuxLab(rig)
    raise ValueError(f"no backend {rig.backend!r}")
