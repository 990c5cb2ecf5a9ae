"""mmcli's raw output made readable: decoded to text, cut to one printable line for messages."""
from __future__ import annotations

import re

from hilkit.core.errors import ModemError

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def one_line(text: str, limit: int = 200) -> str:
    """``text`` as one printable line, cut to ``limit`` characters."""
    flat = _CONTROL.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[:limit - 3] + "..."


def last_line(text: str) -> str:
    """The last non-blank line of ``text``, as :func:`one_line` shows it ("" if there is none)."""
    lines = [line for line in text.splitlines() if line.strip()]
    return one_line(lines[-1]) if lines else ""


def as_text(data: str | bytes, what: str) -> str:
    """``data`` as text; :class:`ModemError` naming ``what`` if it is not UTF-8 text."""
    if isinstance(data, (bytes, bytearray)):
        try:
            return bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ModemError(f"{what}: not UTF-8 text (byte {exc.start})") from None
    if not isinstance(data, str):
        raise ModemError(f"{what}: expected text, got {type(data).__name__}")
    return data
