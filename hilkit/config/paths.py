"""Where hilkit finds the folders it ships (profiles, suites, built-in rigs) and the default rig.

In the repository ``device_profiles/``, ``suites/`` and ``lab/`` sit at the top level; a wheel
carries them as package data under ``hilkit/shipped/`` (setup.py copies them), so an installed
hilkit works from any folder.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

#: the checkout hilkit runs from (an editable install points here; in a wheel: site-packages)
PROJECT_ROOT = Path(__file__).resolve().parents[2]
_PACKAGED = Path(__file__).resolve().parents[1] / "shipped"

#: rigs hilkit ships, usable by name: ``--rig host``
BUILTIN_RIGS = ("virtual", "virtual8", "umockdev", "host")


def shipped(folder: str) -> Path:
    """``device_profiles``, ``suites`` or ``lab`` as this hilkit ships them: package data in a
    wheel, the checkout's folder in an editable install."""
    packaged = _PACKAGED / folder
    return packaged if packaged.is_dir() else PROJECT_ROOT / folder


def shipped_profiles() -> Path:
    return shipped("device_profiles")


def builtin_rig(name: str) -> Path | None:
    """The shipped rig file of a built-in rig name (``virtual``, ``host``...), else None."""
    path = shipped("lab") / f"{name}.yaml"
    return path if name in BUILTIN_RIGS and path.is_file() else None


def rig_path(given: str) -> Path:
    """A ``--rig`` value: a file when one exists there, else a built-in rig's name, else the path
    as given (whose loading then says "no such file")."""
    path = Path(given)
    if path.exists():
        return path
    return builtin_rig(given) or path


def default_rig(rootdir: Path | None = None) -> Path | None:
    """``lab/virtual.yaml`` of the project being tested, else the shipped virtual rig."""
    if rootdir is not None and (rootdir / "lab" / "virtual.yaml").is_file():
        return rootdir / "lab" / "virtual.yaml"
    return builtin_rig("virtual")


def user_cache(environ: Mapping[str, str] | None = None) -> Path:
    """hilkit's folder in the user's cache: ``$XDG_CACHE_HOME/hilkit``, else ``~/.cache/hilkit``."""
    env = os.environ if environ is None else environ
    return (Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache") / "hilkit"
