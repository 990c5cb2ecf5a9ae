"""mmcli's human table output (``mmcli -m N``, as pasted in forum threads) parsed into the JSON form's keys."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hilkit.core.errors import ModemError
from hilkit.modem.mmcli_json import UNKNOWN
from hilkit.modem.mmcli_output import as_text, one_line

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_SEPARATOR = re.compile(r"^\s*-{3,}\s*$")
_LABEL = re.compile(r"^(\s*)([A-Za-z0-9][A-Za-z0-9 /()._-]*?):(?=\s|$)")
_SECTION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 /._-]*$")
_SIGNAL = re.compile(r"^'?(\d{1,3})'?\s*%?\s*(?:\((recent|cached)\))?$")


# (section, label) -> where mmcli -J puts the value, inside "modem"
_TEXT_FIELDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("general", "dbus path"): ("dbus-path",),
    ("general", "path"): ("dbus-path",),
    ("general", "device id"): ("generic", "device-identifier"),
    ("hardware", "manufacturer"): ("generic", "manufacturer"),
    ("hardware", "model"): ("generic", "model"),
    ("hardware", "firmware revision"): ("generic", "revision"),
    ("hardware", "revision"): ("generic", "revision"),
    ("hardware", "h/w revision"): ("generic", "hardware-revision"),
    ("hardware", "carrier config"): ("generic", "carrier-configuration"),
    ("hardware", "carrier config revision"): ("generic", "carrier-configuration-revision"),
    ("hardware", "supported"): ("generic", "supported-capabilities"),
    ("hardware", "current"): ("generic", "current-capabilities"),
    ("hardware", "equipment id"): ("generic", "equipment-identifier"),
    ("system", "device"): ("generic", "device"),
    ("system", "physdev"): ("generic", "physdev"),
    ("system", "drivers"): ("generic", "drivers"),
    ("system", "plugin"): ("generic", "plugin"),
    ("system", "primary port"): ("generic", "primary-port"),
    ("system", "ports"): ("generic", "ports"),
    ("numbers", "own"): ("generic", "own-numbers"),
    ("status", "lock"): ("generic", "unlock-required"),
    ("status", "unlock retries"): ("generic", "unlock-retries"),
    ("status", "state"): ("generic", "state"),
    ("status", "failed reason"): ("generic", "state-failed-reason"),
    ("status", "power state"): ("generic", "power-state"),
    ("status", "access tech"): ("generic", "access-technologies"),
    ("status", "signal quality"): ("generic", "signal-quality"),
    ("modes", "supported"): ("generic", "supported-modes"),
    ("modes", "current"): ("generic", "current-modes"),
    ("bands", "supported"): ("generic", "supported-bands"),
    ("bands", "current"): ("generic", "current-bands"),
    ("ip", "supported"): ("generic", "supported-ip-families"),
    ("3gpp", "imei"): ("3gpp", "imei"),
    ("3gpp", "enabled locks"): ("3gpp", "enabled-locks"),
    ("3gpp", "operator id"): ("3gpp", "operator-code"),
    ("3gpp", "operator name"): ("3gpp", "operator-name"),
    ("3gpp", "registration"): ("3gpp", "registration-state"),
    ("3gpp", "packet service state"): ("3gpp", "packet-service-state"),
    ("3gpp", "pco"): ("3gpp", "pco"),
    ("3gpp", "eps ue mode"): ("3gpp", "eps", "ue-mode-operation"),
    ("3gpp eps", "ue mode operation"): ("3gpp", "eps", "ue-mode-operation"),
    ("3gpp eps", "initial bearer path"): ("3gpp", "eps", "initial-bearer", "dbus-path"),
    ("3gpp eps", "initial bearer apn"): ("3gpp", "eps", "initial-bearer", "settings", "apn"),
    ("3gpp eps", "initial bearer ip type"): ("3gpp", "eps", "initial-bearer", "settings", "ip-type"),
    ("3gpp eps", "initial bearer user"): ("3gpp", "eps", "initial-bearer", "settings", "user"),
    ("cdma", "meid"): ("cdma", "meid"),
    ("cdma", "esn"): ("cdma", "esn"),
    ("cdma", "sid"): ("cdma", "sid"),
    ("cdma", "nid"): ("cdma", "nid"),
    ("cdma", "registration cdma1x"): ("cdma", "cdma1x-registration-state"),
    ("cdma", "registration evdo"): ("cdma", "evdo-registration-state"),
    ("cdma", "activation"): ("cdma", "activation-state"),
    ("sim", "dbus path"): ("generic", "sim"),
    ("sim", "path"): ("generic", "sim"),
    ("sim", "primary sim path"): ("generic", "sim"),
    ("sim", "sim slot paths"): ("generic", "sim-slots"),
    ("bearer", "dbus path"): ("generic", "bearers"),
    ("bearer", "paths"): ("generic", "bearers"),
    ("bearers", "paths"): ("generic", "bearers"),
    ("bearers", "dbus path"): ("generic", "bearers"),
}
#: values mmcli prints comma-separated (wrapping long lines), arrays in JSON
_COMMA_LISTS = {("generic", "drivers"), ("generic", "ports"), ("generic", "own-numbers"),
                ("generic", "unlock-retries"), ("generic", "access-technologies"),
                ("generic", "supported-bands"), ("generic", "current-bands"),
                ("generic", "supported-ip-families"), ("3gpp", "enabled-locks")}
#: values mmcli prints one item per line, arrays in JSON
_LINE_LISTS = {("generic", "supported-capabilities"), ("generic", "current-capabilities"),
               ("generic", "supported-modes"), ("generic", "bearers"), ("generic", "sim-slots")}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9/]+", "-", text.strip().lower()).strip("-") or "-"


def _clean(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == "'":  # mmcli before 1.10 quoted values
        value = value[1:-1].strip()
    return value


@dataclass
class _Row:
    target: tuple[str, ...]
    lines: list[str]


def _value(row: _Row) -> Any:
    target = row.target
    if target == ("generic", "signal-quality"):
        text = _clean(" ".join(row.lines))
        match = _SIGNAL.match(text)
        if not match:
            return {"value": text or UNKNOWN, "recent": UNKNOWN}
        recent = {"recent": "yes", "cached": "no"}.get(match.group(2) or "", UNKNOWN)
        return {"value": str(int(match.group(1))), "recent": recent}
    if target in _COMMA_LISTS:
        items = [_clean(i) for line in row.lines for i in _clean(line).split(",")]
        items = [i for i in items if i]
        return [] if len(items) == 1 and items[0] in ("unknown", "none") else items
    if target in _LINE_LISTS:
        items = [_clean(line) for line in row.lines if _clean(line)]
        return [] if len(items) == 1 and items[0] in ("unknown", "none") else items
    text = "\n".join(_clean(line) for line in row.lines).strip()
    return UNKNOWN if text in ("", "unknown", "none") else text


def _put(root: dict, path: tuple[str, ...], value: Any) -> None:
    node = root
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[path[-1]] = value


def parse_mmcli_text(text: str | bytes) -> dict:
    """``mmcli -m N`` human output -> ``{"modem": {...}}`` with the keys ``mmcli -m N -J`` uses.

    Lines before the table (a pasted prompt or command, even ``mmcli -m 0 | grep ...``) are
    skipped; from the first separator or row on, every line must be
    blank, a ``-----`` separator or a ``Section | label: value`` row (section and label may be
    blank on continuation rows). Values keep their text; lists become lists; ``signal quality:
    19% (recent)`` becomes ``{"value": "19", "recent": "yes"}``; "unknown"/"none" become "--" as
    in the JSON form. Colour codes and the quotes of old mmcli versions are removed. Labels not
    known here are kept under ``other.<section>.<label>``.
    """
    source = as_text(text, "mmcli output")
    modem: dict[str, Any] = {}
    rows: list[_Row] = []
    section = ""
    current: _Row | None = None
    colon: int | None = None
    started = False
    for number, raw in enumerate(source.replace("\r\n", "\n").split("\n"), 1):
        line = _ANSI.sub("", raw).rstrip("\r").expandtabs()
        if not line.strip():
            continue
        if _SEPARATOR.match(line):
            started = True
            current = None
            continue
        if "|" not in line:
            if not started:
                continue  # a prompt or the command itself, pasted above the table
            raise ModemError(f"mmcli output line {number}: expected 'Section | label: value' or a "
                             f"'---' separator, got {one_line(line, 60)!r}")
        head, rest = line.split("|", 1)
        indent = len(rest) - len(rest.lstrip())
        match = _LABEL.match(rest)
        problem = ""
        if head.strip() and not _SECTION.match(head.strip()):
            problem = f"not a section name before '|': {one_line(head, 40)!r}"
        elif not head.strip() and not section:
            problem = f"a row before any section name: {one_line(line, 60)!r}"
        elif match is None and (head.strip() or current is None):
            problem = f"expected 'label: value' after '|', got {one_line(rest, 60)!r}"
        if problem:
            if not started:
                continue  # e.g. "$ mmcli -m 0 | grep -v imei" pasted above the table
            raise ModemError(f"mmcli output line {number}: {problem}")
        started = True
        if head.strip():
            section = " ".join(head.lower().split())
            current = None
        if current is not None and (match is None or (colon is not None and indent > colon)):
            current.lines.append(rest)  # continuation of the row above
            continue
        if match is None:  # (reported above: a first row without a label)
            continue
        colon = match.end(2)
        label = " ".join(match.group(2).lower().split())
        target = _TEXT_FIELDS.get((section, label)) or ("other", _slug(section), _slug(label))
        current = _Row(target, [rest[match.end():]])
        rows.append(current)
    if not rows:
        raise ModemError("mmcli output: no 'Section | label: value' rows (is this `mmcli -m N` output?)")
    for row in rows:
        _put(modem, row.target, _value(row))
    return {"modem": modem}
