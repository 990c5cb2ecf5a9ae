"""A rig as data: its slots, each a power switch spec, a USB port path and a profile.

Pure data, like a labgrid resource: the drivers that act on a slot are built by the lab backend,
and :mod:`hilkit.config.rigs` reads these from a rig file. The dongle is followed by its PORT
PATH (``1-1.3``), never by its ids or tty names, which change when it switches mode or when
another stick is plugged in first.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from hilkit.core.profile import Profile
from hilkit.core.secrecy import Secrets


@dataclass(frozen=True)
class LabgridSpec:
    """``labgrid:``: the coordinator a shared lab runs, and a place for slots that name none."""
    coordinator: str
    place: str = ""
    line: int | None = None


@dataclass(frozen=True)
class PowerSpec:
    driver: str                   # "gpio" or "uhubctl"
    pin: int | str | None = None  # gpio: a gpiozero pin name (17, "GPIO17", "BOARD11")
    active_high: bool = True      # gpio: True when the relay closes on a high pin
    hub: str = ""                 # uhubctl: hub location, as for `uhubctl -l`
    port: int = 0                 # uhubctl: port number on that hub
    place: str = ""               # labgrid: the place whose power resource this is
    resource: str = ""            # labgrid: that resource, once the place is acquired

    def describe(self) -> str:
        if self.driver == "labgrid":
            return f"labgrid place {self.place}" + (f" ({self.resource})" if self.resource else "")
        if self.driver == "gpio":
            return f"gpio pin {self.pin} ({'active high' if self.active_high else 'active low'})"
        return f"uhubctl hub {self.hub} port {self.port}"


@dataclass(frozen=True)
class Slot:
    name: str
    port: str
    power: PowerSpec
    profile: Profile
    line: int | None = None

    def describe(self) -> str:
        return f"slot {self.name} (port {self.port}, {self.profile.title})"

    @property
    def bus(self) -> int:
        """The USB bus its port path is on (``1`` for ``1-1.3``)."""
        return int(self.port.split("-")[0])

    @property
    def resolved_by_lab(self) -> bool:
        """Its port and power come from where the lab finds it (a labgrid place), once opened."""
        return self.power.driver == "labgrid"


@dataclass(frozen=True)
class Rig:
    """A rig file, read and checked (:func:`hilkit.config.rigs.read_rig`): its slots with their
    profiles loaded, the backend that opens it, and what the backend needs (pins, secrets, faults)."""

    name: str
    path: str
    backend: str
    slots: tuple[Slot, ...]
    pin_factory: str = ""
    pin_host: str = ""
    #: the folders profile names are looked up in, in order (a lab's own first, the shipped last)
    profile_dirs: tuple[str, ...] = ()
    secrets: Secrets = field(default_factory=Secrets, compare=False, repr=False)
    faults: tuple[str, ...] = ()
    fault_seed: int = 0
    switch_engine: str = "native"   # or "usb_modeswitch": the installed binary does the switches
    labgrid: LabgridSpec | None = None
    #: a download through each dongle's data session, for the throughput figure ("" = not measured);
    #: the lab's own server, not the modem's business, so it lives in the rig file
    throughput_url: str = ""
    #: top-level key -> its line in the rig file, for errors found after reading (the backend's)
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def profiles_root(self) -> str:
        """The first profile folder: the lab's own, where it has one."""
        return self.profile_dirs[0] if self.profile_dirs else ""

    def slot(self, name: str) -> Slot:
        for slot in self.slots:
            if slot.name == name:
                return slot
        raise KeyError(f"rig {self.name} has no slot {name!r} (slots: {', '.join(s.name for s in self.slots)})")
