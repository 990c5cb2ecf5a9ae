"""Secrets (SIM PIN, PUK, APN password) and the one masker every transcript, log and report uses.

A secret's value is looked up by name (:class:`Secrets`: the environment, then the rig's
secrets file) and registered with a :class:`Masker` before it is sent anywhere; whatever shows
text (an AT transcript, an mmcli command line, an error) shows ``masker.mask(text)``.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

#: what a secret looks like in a report
MASK = "********"


class Secrets:
    """Look up a named secret: the environment first, then the rig's secrets file."""

    def __init__(self, values: Mapping[str, str] | None = None, environ: Mapping[str, str] | None = None) -> None:
        self._file = dict(values or {})
        self._environ = os.environ if environ is None else environ

    def get(self, name: str) -> str:
        if not name:
            return ""
        return self._environ.get(name) or self._file.get(name, "")

    def all_values(self, names: list[str]) -> list[str]:
        return [value for value in (self.get(n) for n in names) if value]


class Masker:
    """The secrets a component has seen, replaced by :data:`MASK` wherever its text shows them."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        if secret and secret not in self._secrets:
            self._secrets.append(secret)

    def mask(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):  # "1234" inside "12345" masks whole
            text = text.replace(secret, MASK)
        return text


def mask_values(text: str, pattern: str) -> str:
    """Mask what follows ``=`` for every match of ``pattern`` (``--pin``, ``password``...),
    whatever its value: for secrets the masker was never told (a user's typo, an old PIN)."""
    return re.sub(rf"'?({pattern})=\S*", lambda m: f"{m.group(1)}={MASK}", text)
