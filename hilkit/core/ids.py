"""USB vendor:product ids as values."""
from __future__ import annotations

import re
from dataclasses import dataclass

_ID = re.compile(r"^([0-9a-fA-F]{4}):([0-9a-fA-F]{4})$")


@dataclass(frozen=True, order=True)
class UsbId:
    vendor: int
    product: int

    @classmethod
    def parse(cls, text: str) -> UsbId:
        match = _ID.match(text.strip())
        if not match:
            raise ValueError(f"{text!r} is not a USB id (expected vvvv:pppp in hex)")
        return cls(int(match.group(1), 16), int(match.group(2), 16))

    def __str__(self) -> str:
        return f"{self.vendor:04x}:{self.product:04x}"


def class_triple(cls: int, subclass: int, protocol: int) -> str:
    """``(0xff, 0xff, 0xff)`` -> ``"ff/ff/ff"``, the way lab notes write interface classes."""
    return f"{cls:02x}/{subclass:02x}/{protocol:02x}"


@dataclass(frozen=True, kw_only=True)
class ClassTriple:
    """The class/subclass/protocol fields of an interface or IAD record (keyword-only, so a record's own fields
    keep their positions), and ``classes``, their ``ff/ff/ff`` spelling."""

    cls: int
    subclass: int
    protocol: int

    @property
    def classes(self) -> str:
        return class_triple(self.cls, self.subclass, self.protocol)


class HasEndpointAddress:
    """For endpoint records with a ``bEndpointAddress`` in ``address``: bit 7 is the direction."""

    address: int

    @property
    def is_in(self) -> bool:
        return bool(self.address & 0x80)
