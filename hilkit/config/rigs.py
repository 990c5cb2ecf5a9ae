"""Rig files (``lab/*.yaml``): which dongle sits on which USB port, behind which power switch.

A slot is pure data, like a labgrid resource: the drivers that act on it are built by the backend.
The dongle is followed by its PORT PATH (``1-1.3``), never by its ids or tty names, which change
when it switches mode or when another stick is plugged in first.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hilkit.config.labgrid_rig import LabgridSpec, labgrid_slot, labgrid_spec
from hilkit.config.profiles import ProfileLibrary
from hilkit.config.schema import validate
from hilkit.config.secrets import Secrets, load_secrets
from hilkit.config.yamlsource import dotted, load_located
from hilkit.core.errors import ProfileError, RigError
from hilkit.core.profile import Profile
from hilkit.sim.model.fault_dice import FAULTS


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


@dataclass(frozen=True)
class Rig:
    name: str
    path: str
    backend: str
    slots: tuple[Slot, ...]
    pin_factory: str = ""
    pin_host: str = ""
    profiles_root: str = ""
    secrets: Secrets = field(default_factory=Secrets, compare=False, repr=False)
    faults: tuple[str, ...] = ()
    fault_seed: int = 0
    switch_engine: str = "native"   # or "usb_modeswitch": the installed binary does the switches
    labgrid: LabgridSpec | None = None

    def slot(self, name: str) -> Slot:
        for slot in self.slots:
            if slot.name == name:
                return slot
        raise KeyError(f"rig {self.name} has no slot {name!r} (slots: {', '.join(s.name for s in self.slots)})")


def load_rig(path: str | Path, profiles_root: str | Path | None = None) -> Rig:
    """Load a rig file and every profile its slots name; any problem is one line with file:line."""
    doc = load_located(path, RigError)
    validate(doc, "rig", RigError)
    data: dict[str, Any] = doc.data
    rig_dir = Path(path).resolve().parent
    root = Path(profiles_root) if profiles_root else \
        Path(os.path.normpath(rig_dir / data.get("profiles", "../device_profiles")))
    library = ProfileLibrary(root)

    slots = []
    names: set[str] = set()
    ports: dict[str, str] = {}
    pins: dict[str, str] = {}
    for index, raw in enumerate(data["slots"]):
        where = ("slots", index)

        def fail(field: tuple[Any, ...], problem: str) -> RigError:
            return RigError(doc.path, doc.line_of(where + field), dotted(where + field), problem)  # noqa: B023 - called in this iteration

        if raw["name"] in names:
            raise fail(("name",), f"slot name {raw['name']!r} is used twice")
        names.add(raw["name"])
        raw = labgrid_slot(raw, data, fail)
        if raw["port"] and raw["port"] in ports:
            raise fail(("port",), f"port {raw['port']} is already used by slot {ports[raw['port']]!r}")
        ports[raw["port"]] = raw["name"]
        power = PowerSpec(**raw["power"])
        if power.driver == "gpio":
            if power.pin is None:
                raise fail(("power",), "missing required key 'pin' (the gpio driver needs a pin)")
            if str(power.pin) in pins:
                raise fail(("power", "pin"), f"pin {power.pin} already powers slot {pins[str(power.pin)]!r}")
            pins[str(power.pin)] = raw["name"]
        elif power.driver == "uhubctl":
            if not (power.hub and power.port):
                raise fail(("power",), "the uhubctl driver needs 'hub' (e.g. 1-1) and 'port' (e.g. 3)")
            hub_port = f"uhubctl {power.hub} port {power.port}"
            if hub_port in pins:
                raise fail(("power", "port"),
                           f"hub {power.hub} port {power.port} already powers slot {pins[hub_port]!r}")
            pins[hub_port] = raw["name"]
        elif f"labgrid {power.place}" in pins:
            raise fail(("labgrid", "place"), f"labgrid place {power.place} is already slot "
                       f"{pins[f'labgrid {power.place}']!r} (a place holds one dongle)")
        else:
            pins[f"labgrid {power.place}"] = raw["name"]
        if any(part in (".", "..") for part in raw["profile"].split("/")):
            raise fail(("profile",), f"{raw['profile']!r} leaves the profiles directory "
                                     "(expected a name such as huawei/e3131)")
        try:
            profile = library.get(raw["profile"])
        except ProfileError as exc:
            if exc.line is None and "no profile" in exc.problem:
                raise fail(("profile",), exc.problem) from None
            raise
        slots.append(Slot(raw["name"], raw["port"], power, profile, doc.line_of(where)))

    secrets = Secrets(load_secrets(rig_dir / data["secrets"]) if "secrets" in data else {})
    for index, text in enumerate(data.get("faults", [])):
        name = text.split(":")[0]
        if name not in FAULTS:
            raise RigError(doc.path, doc.line_of(("faults", index)), f"faults[{index}]",
                           f"unknown fault {name!r} (expected one of: {', '.join(FAULTS)})")
    if data.get("faults") and data["backend"] == "linux":
        raise RigError(doc.path, doc.line_of(("faults",)), "faults",
                       "faults can only be injected in the virtual lab (backend virtual or umockdev)")
    return Rig(name=data["name"], path=doc.path, backend=data["backend"], slots=tuple(slots),
               pin_factory=data.get("pin_factory", ""), pin_host=data.get("pin_host", ""),
               profiles_root=str(root), secrets=secrets, faults=tuple(data.get("faults", [])),
               fault_seed=data.get("fault_seed", 0), labgrid=labgrid_spec(doc),
               switch_engine=data.get("switch_engine", "native"))
