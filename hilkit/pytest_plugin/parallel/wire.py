"""The wire between a slot runner and the controller: one JSON object per line, on a pipe.

A runner sends, for each test, ``{"logstart": nodeid}``, a ``{"report": ...}`` per phase (pytest's
own ``pytest_report_to_serializable`` form) and ``{"logfinish": nodeid}``; whenever they come,
``{"progress": line}`` and ``{"warning": {...}}``; when it ends early, ``{"interrupted": why}`` or
``{"exit": message, "returncode": n}``; any ``{"error": traceback}``; and last ``{"done": status}``.
"""
from __future__ import annotations

import json
import warnings
from importlib import import_module
from typing import Any


def encode(message: dict) -> bytes:
    """One message as one line (what JSON cannot say, said as its ``repr``)."""
    return (json.dumps(message, default=repr) + "\n").encode()


def decode(line: bytes) -> Any:
    """One line as its message; ValueError if it is not JSON."""
    return json.loads(line)


def split_lines(pending: list[bytes], chunk: bytes) -> list[bytes]:
    """The whole lines ``chunk`` completes, the first one joined to the start ``pending`` held;
    what follows the last newline is left in ``pending``."""
    *lines, tail = chunk.split(b"\n")  # only the new chunk is searched: a long report stays linear
    if lines:
        lines[0] = b"".join(pending) + lines[0]
        pending.clear()
    if tail:
        pending.append(tail)
    return lines


def report_data(data: dict) -> dict:
    """A report's data as ``pytest_report_from_serializable`` takes it."""
    if isinstance(data.get("longrepr"), list):  # a skip's (path, line, reason): JSON made it a list
        data["longrepr"] = tuple(data["longrepr"])
    return data


def warning_data(warning_message: warnings.WarningMessage, nodeid: str) -> dict:
    category = warning_message.category
    return {"text": str(warning_message.message), "filename": warning_message.filename,
            "lineno": warning_message.lineno, "nodeid": nodeid,
            "category": f"{category.__module__}:{category.__qualname__}"}


def warning_message(data: dict) -> warnings.WarningMessage:
    """The warning :func:`warning_data` sent, rebuilt in its own class where this process can."""
    module, _, name = data["category"].partition(":")
    try:
        category = getattr(import_module(module), name)
        warning = category(data["text"])
    except Exception:  # noqa: BLE001 - a warning class this process can't rebuild: say it plainly
        category, warning = UserWarning, UserWarning(f"{data['category']}: {data['text']}")
    return warnings.WarningMessage(warning, category, data["filename"], data["lineno"])
