"""The one seam between the framework and the hardware: a :class:`LabBackend` per kind of rig.

Everything above (the dongle under test, the suites, the pytest plugin, the CLI) uses only this
contract, so a real rig and the virtual lab run the same code. Backends are found by name
(a rig file's ``backend:``) in :mod:`hilkit.lab.registry`; this module imports none of them.

Must provide:
    ``bus``: a :class:`~hilkit.usb.bus.UsbBus` (what is plugged in, waits on hotplug events).
May override:
    ``power_switch(slot)``: default a gpiozero relay (through ``pin_factory``) or a uhubctl port;
    ``switch_engine(slot)``: default the native engine, or the installed usb_modeswitch when the
    rig says ``switch_engine: usb_modeswitch``;
    ``serial_url(slot, role)``, ``mmcli_command()``, ``hilink_url(slot)``: where the attach
    methods reach the slot's modem (a local tty, this host's mmcli, the stick's own address);
    ``relaunch(argv)`` (a class method): the command to run this process again under, when the
    backend can only open in a process started so (the umockdev lab: ``umockdev-wrapper``);
    ``close()``: leave every relay at rest and stop what the backend runs.
Declares, in ``capabilities``, what it can do beyond that (:class:`Capability`), so no one above
asks what kind of backend it is.
"""
from __future__ import annotations

from abc import ABC
from collections.abc import Sequence
from enum import Enum
from typing import TYPE_CHECKING, ClassVar, Protocol

from gpiozero.pins import Factory

from hilkit.core.errors import HilkitError
from hilkit.core.faults import FaultSpec, Fired
from hilkit.core.rig import Rig, Slot
from hilkit.core.usb_capture import UrbEvent
from hilkit.modem.connectors import tty_path
from hilkit.power import GpioRelay, PowerSwitch, UhubctlPort
from hilkit.switch.switch_engine import SwitchEngine
from hilkit.usb.bus import UsbBus

if TYPE_CHECKING:
    from hilkit.lab.labgrid_lab import LabgridSlots


class Capability(Enum):
    """What a backend can do beyond the contract."""

    #: its dongles, relays and hub ports are this host's: every process on the host shares them,
    #: so a run locks the slots it drives, and ``hilkit doctor`` checks the host for them
    HOST_HARDWARE = "host hardware"
    #: it injects faults (``faults``: a :class:`FaultInjection`)
    FAULT_INJECTION = "fault injection"
    #: it plays the hardware behind labgrid places that point at 127.0.0.1 (``play_labgrid``)
    LABGRID_HARDWARE = "labgrid hardware"


class Unsupported(HilkitError):
    """A backend was asked for something its capabilities do not include."""


class FaultInjection(Protocol):
    """The dice of a backend that injects faults (``Capability.FAULT_INJECTION``)."""

    @property
    def log(self) -> Sequence[Fired]: ...

    def add(self, spec: FaultSpec) -> None: ...

    def remove(self, name: str) -> None: ...

    def reseed(self, seed: int) -> None: ...

    def fired_since(self, index: int, where: str | None = None) -> Sequence[Fired]: ...


class LabBackend(ABC):
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    #: how the lab's dongles' time compares with real sticks' (a simulated lab's re-enumerate in
    #: tenths of a second, not seconds): scales the windows a verdict waits out, not the budgets
    time_scale: ClassVar[float] = 1.0
    bus: UsbBus
    pin_factory: Factory | None = None

    def __init__(self, rig: Rig) -> None:
        self.rig = rig

    def can(self, capability: Capability) -> bool:
        """Whether this backend (this instance: a wrapper answers for what it wraps) can."""
        return capability in self.capabilities

    @property
    def faults(self) -> FaultInjection:
        """The fault dice (``Capability.FAULT_INJECTION``)."""
        raise Unsupported(f"rig {self.rig.name}: backend {self.rig.backend} injects no faults "
                          "(fault injection needs a simulated lab: backend virtual or umockdev)")

    def play_labgrid(self, places: LabgridSlots) -> None:
        """Answer where the acquired places point (``Capability.LABGRID_HARDWARE``)."""
        raise Unsupported(f"backend {self.rig.backend} plays no labgrid hardware")

    @classmethod
    def missing_here(cls) -> list[str]:
        """What this machine lacks to open this backend, one line each with what to install
        (``hilkit doctor`` shows them; empty: nothing)."""
        return []

    @classmethod
    def relaunch(cls, argv: Sequence[str]) -> list[str] | None:
        """The command to run this process again under, if it cannot open the backend as it is."""
        return None

    def power_switch(self, slot: Slot) -> PowerSwitch:
        spec = slot.power
        if spec.driver == "gpio":
            assert spec.pin is not None
            return GpioRelay(spec.pin, spec.active_high, self.pin_factory, name=f"{slot.name}: {spec.describe()}")
        if spec.driver == "uhubctl":
            return UhubctlPort(spec.hub, spec.port, name=f"{slot.name}: {spec.describe()}")
        raise Unsupported(f"{slot.describe()}: backend {self.rig.backend} cannot drive power {spec.describe()}")

    def switch_engine(self, slot: Slot) -> SwitchEngine:
        """The engine that sends the slot's mode switches."""
        if self.rig.switch_engine == "usb_modeswitch":
            from hilkit.switch.external import ExternalSwitchEngine
            return ExternalSwitchEngine(self.bus)
        from hilkit.switch.native import NativeSwitchEngine
        return NativeSwitchEngine(self.bus)

    def serial_url(self, slot: Slot, role: str) -> str | None:
        """The slot's serial port for ``role`` when it is not a local tty, else None."""
        return None

    def data_port(self, slot: Slot, name: str) -> str:
        """What pyserial opens for the port ModemManager connected a PPP bearer on (``ttyUSB2``)."""
        return tty_path(name)

    def mmcli_command(self) -> list[str]:
        """How to run ModemManager's command-line client on this rig."""
        return ["mmcli"]

    def watch_usb(self, slot: Slot) -> str | None:
        """Start keeping the slot's USB traffic (before its test powers it), if this lab does not
        always keep it; the reason it cannot be captured here, or None."""
        return None

    def usb_capture(self, slot: Slot, since: float) -> list[UrbEvent] | None:
        """The slot's USB traffic since ``since`` (monotonic) as usbmon shows it, for a capture file;
        None where this lab captures nothing."""
        return None

    def data_path(self, slot: Slot) -> str | None:
        """Make the slot's data path ready where the lab provides it (the virtual lab's carrier
        network); why there can be none here (the data-path tests skip with it), or None."""
        return None

    def end_data_path(self, slot: Slot) -> None:  # noqa: B027 - most labs make nothing to take down
        """The slot's test is over: take down what :meth:`data_path` made for it."""

    def data_path_evidence(self, slot: Slot) -> dict[str, str]:
        """What the lab saw of the slot's data path (the virtual carrier's DHCP/DNS and web logs)."""
        return {}

    def net_interface(self, slot: Slot) -> str:
        """The host's network interface of the slot's dongle: the one its network function's driver
        made (cdc_ether, cdc_ncm, huawei_cdc_ncm ...)."""
        info = self.bus.device_at(slot.port)
        names = [itf.net for itf in (info.interfaces if info else ()) if itf.net]
        if not names:
            seen = info.summary() if info else "nothing on the port"
            raise HilkitError(f"{slot.describe()}: no network interface on port {slot.port} (seen: {seen})")
        return names[0]

    def modem_device(self, slot: Slot) -> str:
        """How ModemManager's ``generic.device`` of the slot's modem ends: the USB port path on a
        rig (udev removes a replugged stick's old modem); a simulated lab names the current plug."""
        return slot.port

    def hilink_url(self, slot: Slot) -> str:
        """Where the HiLink stick in ``slot`` answers its web API (the profile's, by default)."""
        attach = slot.profile.attach
        return attach.url if attach and attach.url else "http://192.168.8.1"

    def usb_modeswitch_command(self) -> list[str]:
        """How to run usb_modeswitch where this backend's switches run (a labgrid exporter host)."""
        return ["usb_modeswitch"]

    def attach_evidence(self, slot: Slot) -> dict[str, str]:
        """Evidence of an attach only the lab can see (what a simulated modem was asked), by name."""
        return {}

    def environment(self) -> dict[str, str]:
        """What this lab adds to a run's environment (``environment.properties``)."""
        return {}

    def close(self) -> None:
        self.bus.close()
