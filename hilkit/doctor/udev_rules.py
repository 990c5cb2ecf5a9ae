"""udev rules files: parse them (:func:`parse_udev_rules`), match udev patterns, and find the files udev
would use on a :class:`~hilkit.doctor.host.Host` (the first file of a name wins; a masked file does nothing)."""
from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass
from pathlib import Path

from hilkit.doctor.host import Host

_UDEV_PAIR = re.compile(r'([A-Za-z_]+)(?:\{([^}]*)\})?\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"')

RULE_DIRS = ("/etc/udev/rules.d", "/run/udev/rules.d", "/usr/local/lib/udev/rules.d",
             "/usr/lib/udev/rules.d", "/lib/udev/rules.d")  # udev's order: the first file of a name wins


@dataclass(frozen=True)
class UdevRule:
    line: int
    matches: dict[str, str]   # ATTR/ATTRS{idVendor}== -> "idVendor"; ENV{X}== -> "ENV{X}"; KERNEL== -> "KERNEL"
    assigns: dict[str, str]   # RUN+= -> "RUN"; ENV{ID_MM_DEVICE_IGNORE}="1" -> "ENV{ID_MM_DEVICE_IGNORE}"


def parse_udev_rules(text: str) -> list[UdevRule]:
    """The rules of a udev rules file (``==`` matches and assignments; ``!=`` is not kept)."""
    rules: list[UdevRule] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        line = raw.rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        matches: dict[str, str] = {}
        assigns: dict[str, str] = {}
        for key, attr, op, value in _UDEV_PAIR.findall(line):
            name = attr if key in ("ATTR", "ATTRS") else (f"{key}{{{attr}}}" if attr else key)
            if op == "==":
                matches[name] = value
            elif op in ("=", "+=", ":="):
                assigns[name] = value
        if matches or assigns:
            rules.append(UdevRule(start, matches, assigns))
    return rules


def udev_value_matches(pattern: str, value: str) -> bool:
    """udev's match: shell glob, ``|`` between alternatives (ids compared without case)."""
    return any(fnmatch.fnmatchcase(value.lower(), alt.lower()) for alt in pattern.split("|"))


def rule_file(host: Host, name: str) -> Path | None:
    """The rules file called ``name`` that udev would use (the first in :data:`RULE_DIRS`), None when none."""
    for directory in RULE_DIRS:
        path = host.path(f"{directory}/{name}")
        if path.exists() or path.is_symlink():
            return path
    return None


def effective_rule_files(host: Host) -> list[Path]:
    """Every rules file udev would read, one per name, in udev's order (by name)."""
    found: dict[str, Path] = {}
    for directory in RULE_DIRS:
        for path in host.glob(f"{directory}/*.rules"):
            found.setdefault(path.name, path)
    return [found[name] for name in sorted(found)]


def masked(path: Path) -> str:
    """How a rules file is switched off ('' when it is not): a link to /dev/null, or no rules."""
    if path.is_symlink() and os.readlink(path) == "/dev/null":
        return "a symlink to /dev/null"
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "" if parse_udev_rules(text) else "empty"
