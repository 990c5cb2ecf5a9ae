"""Helpers for the broken-file tests: break one thing in a shipped file, find the line it is on."""
from __future__ import annotations

from pathlib import Path
from typing import Union

import pytest

# a substring on exactly one line of the modified text, or (anchor, marker): the first line at or
# after the (unique) anchor line that contains marker
Marker = Union[str, tuple[str, str]]  # noqa: UP007 - a runtime alias


def write_broken(text: str, old: str, new: str, path: Path, source: Path) -> str:
    """Write ``text`` with ``old`` replaced by ``new`` (which must occur exactly once) to ``path``."""
    assert text.count(old) == 1, f"{source} changed: {old!r} is there {text.count(old)} times, not once"
    text = text.replace(old, new)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return text


def line_number(text: str, marker: Marker) -> int:
    """1-based number of the line ``marker`` designates in ``text``."""
    lines = text.splitlines()
    anchor, marker = marker if isinstance(marker, tuple) else (None, marker)
    if anchor is not None:
        hits = [n for n, line in enumerate(lines) if anchor in line]
        assert len(hits) == 1, f"anchor {anchor!r} is on lines {[n + 1 for n in hits]}, expected one"
        found = [n for n in range(hits[0], len(lines)) if marker in lines[n]][:1]
    else:
        found = [n for n, line in enumerate(lines) if marker in line]
        assert len(found) == 1, f"marker {marker!r} is on lines {[n + 1 for n in found]}, expected one"
    assert found, f"marker {marker!r} not found"
    return found[0] + 1


def case(id: str, old: str, new: str, *, line: Marker, field: str, says: tuple[str, ...]):  # noqa: A002 - pytest.param's name
    """One broken file. ``field`` is the dotted path ("" for YAML syntax errors)."""
    return pytest.param(old, new, line, field, says, id=id)
