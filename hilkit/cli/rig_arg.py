"""The ``--rig`` argument every command that opens a lab takes: a rig file, or the default virtual lab."""
from __future__ import annotations

import sys
from pathlib import Path

from hilkit.config.paths import BUILTIN_RIGS, default_rig, rig_path
from hilkit.core.errors import SourceError
from hilkit.core.rig import Rig
from hilkit.lab.registry import load_rig


def rig_argument(given: str | None, how: str, bad_file: int) -> Rig | int:
    """The rig named on the command line (a file, or a built-in rig's name such as ``host``; without
    one ./lab/virtual.yaml, else the shipped virtual lab), loaded; else the exit code, after one line
    on stderr: 2 when there is no such rig, ``bad_file`` when it is wrong."""
    path = rig_path(given) if given else default_rig(Path.cwd())
    if path is None:
        print(f"hilkit: no rig file given{how}, no lab/virtual.yaml here, and no built-in rig "
              f"({', '.join(BUILTIN_RIGS)}) installed", file=sys.stderr)
        return 2
    try:
        return load_rig(path)
    except SourceError as exc:
        print("\n".join(exc.lines()), file=sys.stderr)
        return bad_file
