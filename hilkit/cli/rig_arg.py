"""The ``--rig`` argument every command that opens a lab takes: a rig file, or the default virtual lab."""
from __future__ import annotations

import sys
from pathlib import Path

from hilkit.config.paths import default_rig
from hilkit.core.errors import SourceError
from hilkit.core.rig import Rig
from hilkit.lab.registry import load_rig


def rig_argument(given: str | None, how: str, bad_file: int) -> Rig | int:
    """The rig file named on the command line (or ./lab/virtual.yaml), loaded; else the exit code,
    after one line on stderr: 2 when there is no file, ``bad_file`` when it is wrong."""
    path = given or default_rig(Path.cwd())
    if path is None:
        print(f"hilkit: no rig file given{how} and no lab/virtual.yaml here", file=sys.stderr)
        return 2
    try:
        return load_rig(path)
    except SourceError as exc:
        print(exc.one_line(), file=sys.stderr)
        return bad_file
