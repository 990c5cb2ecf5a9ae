"""Rig files (``lab/*.yaml``) read into :class:`~hilkit.core.rig.Rig`: which dongle sits on which
USB port, behind which power switch; every mistake a one-line error with file:line and field."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hilkit.config.labgrid_rig import labgrid_slot, labgrid_spec
from hilkit.config.profiles import ProfileLibrary
from hilkit.config.schema import validate
from hilkit.config.secrets import load_secrets
from hilkit.config.yamlsource import dotted, load_located
from hilkit.core.errors import ProfileError, RigError
from hilkit.core.faults import FAULTS
from hilkit.core.rig import PowerSpec, Rig, Slot
from hilkit.core.secrecy import Secrets


def read_rig(path: str | Path, profiles_root: str | Path | None = None) -> Rig:
    """Read a rig file and every profile its slots name; any problem is one line with file:line.

    What the rig asks of its backend (that it exists, that it injects faults) is checked where
    backends are known: :func:`hilkit.lab.registry.load_rig`."""
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
    return Rig(name=data["name"], path=doc.path, backend=data["backend"], slots=tuple(slots),
               pin_factory=data.get("pin_factory", ""), pin_host=data.get("pin_host", ""),
               profiles_root=str(root), secrets=secrets, faults=tuple(data.get("faults", [])),
               fault_seed=data.get("fault_seed", 0), labgrid=labgrid_spec(doc),
               switch_engine=data.get("switch_engine", "native"),
               lines={key: line for key in ("backend", "faults") if key in data and (line := doc.line_of((key,)))})
