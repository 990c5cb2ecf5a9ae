"""Lab backends by name: a rig file's ``backend:`` is looked up here.

The built-in backends are named below as import strings (so this module imports none of them
until a rig asks for one); a lab adds its own from its own package through the ``hilkit.labs``
entry-point group, as gpiozero takes pin factories from ``gpiozero_pin_factories``::

    [project.entry-points."hilkit.labs"]
    mylab = "mylab.backend:MyLab"      # a LabBackend subclass

A rig with a ``labgrid:`` section has its places acquired first; its slots' power, serial ports
and switches then go through the places (:class:`~hilkit.lab.labgrid_lab.LabgridLab`).
"""
from __future__ import annotations

import importlib
from collections.abc import Sequence
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path

from hilkit.config.rigs import read_rig
from hilkit.core.errors import RigError
from hilkit.core.rig import Rig
from hilkit.lab.lab_backend import Capability, LabBackend

ENTRY_POINT_GROUP = "hilkit.labs"

#: backend name -> "module:Class" (an installed entry point of the same name wins)
BUILTIN: dict[str, str] = {
    "virtual": "hilkit.sim.virtual_lab:VirtualLab",
    "umockdev": "hilkit.sim.umockdev.umockdev_lab:UmockdevLab",
    "linux": "hilkit.lab.linux_lab:LinuxLab",
}


@cache
def _installed() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def known() -> list[str]:
    """Every backend name a rig file may use: the built-in ones, then those installed."""
    return [*BUILTIN, *sorted(set(_installed()) - set(BUILTIN))]


def lab_class(rig: Rig) -> type[LabBackend]:
    """The class of the backend ``rig`` names; a one-line :class:`RigError` for an unknown one."""
    target = _installed().get(rig.backend) or BUILTIN.get(rig.backend)
    if target is None:
        raise RigError(rig.path, rig.lines.get("backend"), "backend",
                       f"{rig.backend!r} is not allowed (expected one of: {', '.join(known())}; "
                       f"a lab's own backend is installed under the {ENTRY_POINT_GROUP!r} entry points)")
    module_name, _, class_name = target.partition(":")
    found = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(found, type) and issubclass(found, LabBackend)):
        raise RigError(rig.path, rig.lines.get("backend"), "backend",
                       f"{rig.backend!r} names {target}, which is not a LabBackend")
    return found


def check(rig: Rig) -> type[LabBackend]:
    """The rig's backend class, once what the rig asks of it is within its capabilities."""
    cls = lab_class(rig)
    if rig.faults and Capability.FAULT_INJECTION not in cls.capabilities:
        able = ", ".join(n for n in known() if _can(n, Capability.FAULT_INJECTION))
        raise RigError(rig.path, rig.lines.get("faults"), "faults",
                       f"faults can only be injected in the virtual lab (backend {able}); "
                       f"backend {rig.backend} injects none")
    return cls


def _can(name: str, capability: Capability) -> bool:
    try:
        return capability in lab_class(Rig(name, "", name, ())).capabilities
    except (RigError, ImportError):
        return False


def load_rig(path: str | Path, profiles_root: str | Path | Sequence[str | Path] | None = None) -> Rig:
    """Read a rig file (:func:`~hilkit.config.rigs.read_rig`) and check what it asks of its backend."""
    rig = read_rig(path, profiles_root)
    check(rig)
    return rig


def open_lab(rig: Rig) -> LabBackend:
    """The backend the rig file names, opened (its places acquired first, for a labgrid rig)."""
    if rig.labgrid is not None:
        from hilkit.lab.labgrid_lab import open_with_places
        return open_with_places(rig, open_lab)
    return check(rig)(rig)
