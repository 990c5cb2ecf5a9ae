"""Rig files (``lab/*.yaml``) read into :class:`~hilkit.core.rig.Rig`: which dongle sits on which
USB port, behind which power switch; every mistake a one-line error with file:line and field."""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hilkit.config.labgrid_rig import labgrid_slot, labgrid_spec
from hilkit.config.paths import shipped_profiles
from hilkit.config.problems import Problems
from hilkit.config.profiles import ProfileLibrary
from hilkit.config.schema import load_checked
from hilkit.config.secrets import load_secrets
from hilkit.config.yamlsource import Located, dotted
from hilkit.core.errors import ProfileError, RigError
from hilkit.core.faults import FAULTS
from hilkit.core.rig import PowerSpec, Rig, Slot
from hilkit.core.secrecy import Secrets


def read_rig(path: str | Path, profiles_root: str | Path | Sequence[str | Path] | None = None) -> Rig:
    """Read a rig file and every profile its slots name. Every mistake is found in one pass, each a
    line with file:line: the first is raised, holding the others.

    ``profiles:`` names one folder or a list (relative to the rig file); the shipped profiles come
    after them, so a lab's own profile shadows a shipped one of the same name. ``profiles_root``
    (a folder or a list) replaces the rig's own folders.

    What the rig asks of its backend (that it exists, that it injects faults) is checked where
    backends are known: :func:`hilkit.lab.registry.load_rig`."""
    return load_checked(path, "rig", RigError, lambda doc, problems: _read(doc, profiles_root, problems))


def profile_folders(rig_dir: Path, given: Any) -> list[Path]:
    """The rig's profile folders in the order names are looked up: its own, then the shipped ones."""
    own = [given] if isinstance(given, (str, Path)) else list(given) if given else []
    folders = [Path(os.path.normpath(rig_dir / folder)) for folder in own]
    if not own and (rig_dir.parent / "device_profiles").is_dir():
        folders.append(Path(os.path.normpath(rig_dir.parent / "device_profiles")))
    shipped = shipped_profiles().resolve()
    return list(dict.fromkeys([*folders, shipped]))


def _read(doc: Located, profiles_root: Any, problems: Problems) -> Rig:
    data: dict[str, Any] = doc.data
    rig_dir = Path(doc.path).resolve().parent
    folders = profile_folders(rig_dir, profiles_root if profiles_root else data.get("profiles"))
    library = ProfileLibrary(folders)

    slots = []
    names: set[str] = set()
    ports: dict[str, str] = {}
    pins: dict[str, str] = {}
    for index, raw in enumerate(data["slots"]):
        with problems.shaped(("slots", index)):
            slot = _slot(doc, index, raw, data, library, problems, names, ports, pins)
            if slot is not None:
                slots.append(slot)

    secrets = Secrets(load_secrets(rig_dir / data["secrets"]) if "secrets" in data else {})
    for index, text in enumerate(data.get("faults", [])):
        name = text.split(":")[0].partition("@")[0]
        if name not in FAULTS:
            problems.add(("faults", index), f"unknown fault {name!r} (expected one of: {', '.join(FAULTS)})")
    return Rig(name=data["name"], path=doc.path, backend=data["backend"], slots=tuple(slots),
               pin_factory=data.get("pin_factory", ""), pin_host=data.get("pin_host", ""),
               profile_dirs=tuple(map(str, folders)), secrets=secrets, faults=tuple(data.get("faults", [])),
               fault_seed=data.get("fault_seed", 0), labgrid=labgrid_spec(doc),
               switch_engine=data.get("switch_engine", "native"),
               throughput_url=data.get("data_path", {}).get("throughput_url", ""),
               lines={key: line for key in ("backend", "faults") if key in data and (line := doc.line_of((key,)))})


def _slot(doc: Located, index: int, raw: dict[str, Any], data: dict[str, Any], library: ProfileLibrary,
          problems: Problems, names: set[str], ports: dict[str, str], pins: dict[str, str]) -> Slot | None:
    """One slot, its mistakes added to ``problems``; None when it cannot be built."""
    where = ("slots", index)

    def fail(field: tuple[Any, ...], problem: str) -> RigError:
        return RigError(doc.path, doc.line_of(where + field), dotted(where + field), problem)

    if raw["name"] in names:
        problems.add(where + ("name",), f"slot name {raw['name']!r} is used twice")
    names.add(raw["name"])
    try:
        raw = labgrid_slot(raw, data, fail)
    except RigError as exc:
        typo = exc.problem.startswith("missing required key") and problems.about(where)
        if not typo:
            problems.add_error(where, exc)
        if not (typo and "power" in raw):
            return None
        raw = {**raw, "port": ""}  # the unknown key found in this slot is most likely the port's typo
    if raw["port"] and raw["port"] in ports:
        problems.add(where + ("port",), f"port {raw['port']} is already used by slot {ports[raw['port']]!r}")
    ports.setdefault(raw["port"], raw["name"])
    power = PowerSpec(**raw["power"])
    if power.driver == "gpio":
        if power.pin is None:
            problems.add(where + ("power",), "missing required key 'pin' (the gpio driver needs a pin)")
        elif str(power.pin) in pins:
            problems.add(where + ("power", "pin"), f"pin {power.pin} already powers slot {pins[str(power.pin)]!r}")
        else:
            pins[str(power.pin)] = raw["name"]
    elif power.driver == "uhubctl":
        hub_port = f"uhubctl {power.hub} port {power.port}"
        if not (power.hub and power.port):
            problems.add(where + ("power",), "the uhubctl driver needs 'hub' (e.g. 1-1) and 'port' (e.g. 3)")
        elif hub_port in pins:
            problems.add(where + ("power", "port"),
                         f"hub {power.hub} port {power.port} already powers slot {pins[hub_port]!r}")
        else:
            pins[hub_port] = raw["name"]
    elif f"labgrid {power.place}" in pins:
        problems.add(where + ("labgrid", "place"), f"labgrid place {power.place} is already slot "
                     f"{pins[f'labgrid {power.place}']!r} (a place holds one dongle)")
    else:
        pins[f"labgrid {power.place}"] = raw["name"]
    if problems.about(where + ("profile",)):
        return None  # the schema found the name's form wrong: looking it up would only say so again
    if any(part in (".", "..") for part in raw["profile"].split("/")):
        problems.add(where + ("profile",), f"{raw['profile']!r} leaves the profiles directory "
                                           "(expected a name such as huawei/e3131)")
        return None
    try:
        profile = library.get(raw["profile"])
    except ProfileError as exc:
        if exc.line is None and "no profile" in exc.problem:
            problems.add(where + ("profile",), exc.problem)
        else:
            problems.add_error(where + ("profile",), exc)
        return None
    return Slot(raw["name"], raw["port"], power, profile, doc.line_of(where))
