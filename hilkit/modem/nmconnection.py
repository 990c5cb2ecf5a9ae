"""NetworkManager GSM connections (keyfiles) from a profile's attach section, and checks of existing ones.

The forum thread's two keyfiles show the two ways a password ends up: in clear text in the file
(``password=...``) or kept by an agent (``password-flags=1``). hilkit writes the second unless told
to store the password, and never prints a password: not in the keyfile it shows, not in a problem.
"""
from __future__ import annotations

import configparser
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from hilkit.core.errors import HilkitError
from hilkit.core.profile import Profile
from hilkit.core.secrecy import MASK

_NAMESPACE = uuid.UUID("5d1b8bb0-8f7d-4c0e-9b5e-6f9c0a6f0b11")


@dataclass(frozen=True)
class Problem:
    line: int | None
    field: str
    text: str

    def one_line(self, path: str) -> str:
        where = f"{path}:{self.line}" if self.line else path
        return f"{where}: {self.field}: {self.text}"


def render_keyfile(profile: Profile, name: str = "", password: str | None = None) -> str:
    """A keyfile for ``profile``'s attach section. With ``password``, it is stored in the file
    (password-flags=0); without, NetworkManager asks an agent for it (password-flags=1)."""
    attach = profile.attach
    if attach is None or not attach.apn:
        raise HilkitError(f"{profile.path}: attach.apn: missing (a GSM connection needs the APN)")
    name = name or f"{profile.vendor} {profile.model} ({attach.apn})"
    lines = ["[connection]", f"id={name}", f"uuid={uuid.uuid5(_NAMESPACE, profile.key + attach.apn)}",
             "type=gsm", "autoconnect=true", "", "[gsm]", f"apn={attach.apn}", f"number={attach.number or '*99#'}"]
    if attach.username:
        lines.append(f"username={attach.username}")
    if password is not None:
        lines += ["password-flags=0", f"password={password}"]
    else:
        lines.append("password-flags=1")
    lines += ["", "[ipv4]", "dns-search=", "method=auto", "", "[ipv6]", "addr-gen-mode=stable-privacy",
              "dns-search=", "method=ignore", ""]
    return "\n".join(lines)


def masked(text: str) -> str:
    """The keyfile with any password value replaced, for showing on a terminal or in a report."""
    return re.sub(r"(?m)^(\s*password\s*=).*$", rf"\g<1>{MASK}", text)


def _line_of(text: str, section: str, key: str | None = None) -> int | None:
    current = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            current = stripped[1:-1]
            if key is None and current == section:
                return number
        elif current == section and key is not None and stripped.split("=", 1)[0].strip() == key:
            return number
    return None


class _KeyfileParser(configparser.ConfigParser):
    def optionxform(self, optionstr: str) -> str:
        return optionstr  # keys are case-sensitive in keyfiles


def check_keyfile(text: str, profile: Profile | None = None) -> list[Problem]:
    """Problems with a GSM keyfile (and, given a profile, where it disagrees with the profile)."""
    parser = _KeyfileParser(interpolation=None, strict=True)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        line = getattr(exc, "lineno", None)
        message = str(exc).splitlines()[0]
        return [Problem(line, "", f"not a keyfile: {masked(message)}")]
    problems: list[Problem] = []

    def need(section: str, key: str, expected: str | None = None) -> str | None:
        if not parser.has_section(section):
            problems.append(Problem(None, f"[{section}]", "missing section"))
            return None
        if not parser.has_option(section, key):
            problems.append(Problem(_line_of(text, section), f"{section}.{key}", "missing"))
            return None
        value = parser.get(section, key)
        if expected is not None and value != expected:
            problems.append(Problem(_line_of(text, section, key), f"{section}.{key}",
                                    f"is {value!r} (expected {expected!r})"))
        return value

    need("connection", "id")
    need("connection", "type", "gsm")
    apn = need("gsm", "apn")
    if parser.has_section("gsm"):
        number = parser.get("gsm", "number", fallback="")
        if number and not re.fullmatch(r"\*99(\*\*\*\d+)?#|\*99\*\*\d+#|99\*\*\d+#|\*99\*\*\*\d+#", number):
            problems.append(Problem(_line_of(text, "gsm", "number"), "gsm.number",
                                    f"{number!r} is not a packet-data dial string (expected *99# or *99***1#)"))
        flags = parser.get("gsm", "password-flags", fallback="0")
        if parser.has_option("gsm", "password") and flags in ("", "0"):
            problems.append(Problem(_line_of(text, "gsm", "password"), "gsm.password",
                                    "stored in clear text (password-flags=0); the value is not shown here"))
    if profile is not None and profile.attach is not None and apn is not None and profile.attach.apn \
            and apn != profile.attach.apn:
        problems.append(Problem(_line_of(text, "gsm", "apn"), "gsm.apn",
                                f"is {apn!r} but profile {profile.key} says {profile.attach.apn!r}"))
    return problems


def write_keyfile(path: Path, text: str) -> None:
    """Write with mode 0600, as NetworkManager requires (and a password deserves)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)
