"""Secrets (SIM PIN, PUK, APN password): from the environment, or a secrets file the rig names.

A secrets file holds ``NAME=value`` lines (``#`` comments); it should be mode 0600 and outside the
repository. Values are never printed: errors name the file, the line and the variable only.
"""
from __future__ import annotations

import re
from pathlib import Path

from hilkit.core.errors import RigError

_LINE = re.compile(r"^([A-Z_][A-Z0-9_]*)\s*=\s*(.*)$")


def load_secrets(path: str | Path) -> dict[str, str]:
    path = Path(path)
    try:
        if path.exists() and not path.is_file():
            # /dev/zero or a FIFO would never end: a secrets file is a regular file
            raise RigError(str(path), None, "secrets", "not a regular file (expected a NAME=value text file)")
        data = path.read_bytes()
    except OSError as exc:
        raise RigError(str(path), None, "secrets", f"cannot read the secrets file: {exc.strerror}") from None
    except ValueError:  # a NUL in the path (secrets: "a\0b" in a rig file)
        raise RigError(str(path), None, "secrets",
                       "cannot read the secrets file: the path has a NUL character") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:  # its message would quote the bytes: say where, not what
        raise RigError(str(path), data.count(b"\n", 0, exc.start) + 1, "",
                       "not UTF-8 text (the line is not shown)") from None
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _LINE.match(stripped)
        if not match:
            raise RigError(str(path), number, "", "expected NAME=value (NAME in capitals); the line is not shown")
        value = match.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[match.group(1)] = value
    return values
