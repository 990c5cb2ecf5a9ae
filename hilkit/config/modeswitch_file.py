"""usb_modeswitch config files (``Key=value`` lines, as in usb-modeswitch-data and ``-c FILE``)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from hilkit.core.errors import ProfileError
from hilkit.core.switchconfig import FLAG_KEYS, HEX_KEYS, MESSAGE_KEYS, NUMERIC_KEYS, SwitchConfig

KNOWN_KEYS = NUMERIC_KEYS | FLAG_KEYS | set(MESSAGE_KEYS) | {"TargetProductList"}
_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9]*)\s*=\s*(.*?)\s*$")
_COMMENT = ("#", ";", "!")


@dataclass
class ConfigFile:
    path: str
    raw: dict[str, str] = field(default_factory=dict)    # key -> value text, quotes removed
    lines: dict[str, int] = field(default_factory=dict)  # key -> 1-based line
    comments: list[str] = field(default_factory=list)    # comment lines, without the marker

    @property
    def title(self) -> str:
        """The first comment line: usb-modeswitch-data puts the device names there."""
        return self.comments[0] if self.comments else ""

    def config(self) -> SwitchConfig:
        return SwitchConfig.from_mapping(self.raw)


def parse_config_text(text: str, path: str = "<config>") -> ConfigFile:
    """Parse usb_modeswitch's config syntax; unknown keys and bad values are one-line errors."""
    parsed = ConfigFile(path)
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith(_COMMENT):
            parsed.comments.append(stripped.lstrip("#;! ").strip())
            continue
        match = _LINE.match(stripped)
        if not match:
            raise ProfileError(path, number, "", f"cannot read {stripped[:40]!r} (expected Key=value)")
        key, value = match.group(1), match.group(2)
        if key not in KNOWN_KEYS:
            raise ProfileError(path, number, key, "unknown usb_modeswitch key")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        _check_value(path, number, key, value)
        parsed.raw[key] = value
        parsed.lines[key] = number
    return parsed


def _check_value(path: str, number: int, key: str, value: str) -> None:
    if key in MESSAGE_KEYS:
        if not re.fullmatch(r"(?:[0-9a-fA-F]{2})+", value):
            raise ProfileError(path, number, key, f"{value[:40]!r} is not a hex message (expected pairs of hex digits)")
    elif key == "TargetProductList":
        if not re.fullmatch(r"[0-9a-fA-F]{4}(?:,[0-9a-fA-F]{4})*", value):
            raise ProfileError(path, number, key, f"{value[:40]!r} is not a list of 4-digit hex product ids")
    elif not re.fullmatch(r"(?:0[xX][0-9a-fA-F]+|[0-9a-fA-F]+)", value):
        raise ProfileError(path, number, key, f"{value[:40]!r} is not a number")
    elif not re.fullmatch(r"(?:0[xX])?[0-9a-fA-F]{1,8}", value):  # as the profile schema: 32 bits at most
        raise ProfileError(path, number, key, f"{value[:40]!r} is out of range (expected at most 8 hex digits)")
    elif key not in HEX_KEYS and not re.fullmatch(r"0[xX][0-9a-fA-F]+|[0-9]+", value):
        # usb_modeswitch reads delays, counts and flags in decimal (12d1 would not parse)
        raise ProfileError(path, number, key, f"{value[:40]!r} is not a decimal number (hex needs 0x)")
