"""The one seam between the framework and the hardware: a :class:`LabBackend` per kind of rig.

Must provide: ``bus`` (a :class:`~hilkit.usb.bus.UsbBus`) and ``pin_factory`` (a gpiozero pin
factory, or None for gpiozero's own default). May override ``power_switch(slot)`` and ``close()``.
Everything above (fixtures, switch engine, AT client, suites) uses only this contract, so a rig
and the virtual lab run the same code.
"""
from __future__ import annotations

from abc import ABC

from gpiozero.pins import Factory

from ..power import GpioRelay, PowerSwitch, UhubctlPort
from ..usb.bus import UsbBus
from .rig import Rig, Slot


class LabBackend(ABC):
    bus: UsbBus
    pin_factory: Factory | None = None

    def __init__(self, rig: Rig) -> None:
        self.rig = rig

    def power_switch(self, slot: Slot) -> PowerSwitch:
        spec = slot.power
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

    def close(self) -> None:
        self.bus.close()


def shares_hardware(backend: str) -> bool:
    """Whether the rig's dongles are shared by every process on the host (so a run must lock the
    slots it drives). The virtual lab's dongles live inside the run that made them."""
    return backend != "virtual"


def open_lab(rig: Rig) -> LabBackend:
    """The backend the rig file names."""
    if rig.backend == "virtual":
        from ..sim.lab import VirtualLab
        return VirtualLab(rig)
    if rig.backend == "umockdev":
        from ..umock.lab import UmockdevLab
        return UmockdevLab(rig)
    if rig.backend == "linux":
        from .linux import LinuxLab
        return LinuxLab(rig)
    raise ValueError(f"no backend {rig.backend!r}")
