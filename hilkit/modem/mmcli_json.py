"""mmcli's JSON output (``mmcli -J``): parsing it and reading values from the parsed modem."""
from __future__ import annotations

import json
from typing import Any

from hilkit.core.errors import ModemError
from hilkit.modem.mmcli_output import as_text, one_line

#: what ``mmcli -J`` (1.20+: every value a string, lists as arrays) shows for a missing/unknown/none value
UNKNOWN = "--"


def parse_mmcli_json(text: str | bytes) -> dict:
    """``mmcli ... -J`` output -> the JSON object, as is (``{"modem": {...}}``, ``{"modem-list": [...]}``).

    Raises :class:`ModemError` (one line, with line and column for bad JSON) for anything that is
    not a JSON object, or whose ``modem`` / ``modem-list`` member has the wrong shape.
    """
    source = as_text(text, "mmcli JSON")
    if not source.strip():
        raise ModemError("mmcli JSON: empty output")
    failure = ""
    try:
        data = json.loads(source)
    except json.JSONDecodeError as exc:
        failure = f"mmcli JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    except (ValueError, RecursionError) as exc:  # too deep, too many digits
        failure = f"mmcli JSON: unreadable ({type(exc).__name__}: {one_line(str(exc), 80)})"
    if failure:
        raise ModemError(failure)
    if not isinstance(data, dict):
        raise ModemError(f"mmcli JSON: expected an object, got {type(data).__name__}")
    if "modem" in data and not isinstance(data["modem"], dict):
        raise ModemError("mmcli JSON: 'modem' is not an object")
    if "modem-list" in data and not (isinstance(data["modem-list"], list)
                                     and all(isinstance(p, str) for p in data["modem-list"])):
        raise ModemError("mmcli JSON: 'modem-list' is not a list of strings")
    return data


def mm_value(modem: dict, key: str, default: Any = UNKNOWN) -> Any:
    """``mm_value(modem, "generic.signal-quality.value")``: a dotted key of a parsed modem, or ``default``."""
    node: Any = modem
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def text_value(modem: dict, key: str) -> str:
    """A dotted key's value as stripped text; :data:`UNKNOWN` if it is missing or not text."""
    value = mm_value(modem, key)
    return value.strip() if isinstance(value, str) else UNKNOWN


def first_value(modem: dict, key: str) -> str:
    """The first known item of a list (or comma-separated text) value; :data:`UNKNOWN` if none."""
    value = mm_value(modem, key, [])
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",")]
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str) and item.strip() and item.strip() != UNKNOWN:
                return item.strip()
    return UNKNOWN
