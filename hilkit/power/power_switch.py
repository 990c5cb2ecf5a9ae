"""The power contract every driver implements: on, off, cycle, state; rest state is off.

A driver subclasses :class:`PowerSwitch`.

Must implement: ``_set(on: bool)`` (drive the hardware) and ``_read() -> bool | None`` (what the
hardware says now; ``None`` when it cannot be read back).
May override: ``close()`` (release the pin or process; must leave the dongle unpowered).

``on()``/``off()`` check the read-back and raise :class:`PowerError` when the hardware does not
follow (a stuck relay, a hub that ignores per-port power).
"""
from __future__ import annotations

import threading
from abc import ABC, abstractmethod

from hilkit.core.errors import PowerError


class PowerSwitch(ABC):
    def __init__(self, name: str) -> None:
        self.name = name
        self.closed = False
        self._closing = threading.Event()  # set by close(): cuts short an off-hold

    @abstractmethod
    def _set(self, on: bool) -> None: ...

    @abstractmethod
    def _read(self) -> bool | None: ...

    @property
    def state(self) -> bool | None:
        """True when the dongle is powered, False when not, None when unknown."""
        return None if self.closed else self._read()

    def on(self) -> None:
        self._drive(True)

    def off(self) -> None:
        self._drive(False)

    def cycle(self, off_time: float = 1.0) -> None:
        """Power off, keep it off for ``off_time`` seconds (so the dongle really discharges), power on."""
        self.off()
        # The off time is a physical hold (capacitors discharge), not a wait for hardware; close()
        # interrupts it so teardown never waits behind a cycle.
        if self._closing.wait(off_time):
            raise PowerError(f"{self.name}: closed during a power cycle; left off")
        self.on()

    def _drive(self, on: bool) -> None:
        if self.closed:
            raise PowerError(f"{self.name}: power switch is closed")
        self._set(on)
        seen = self._read()
        if seen is not None and seen != on:
            raise PowerError(f"{self.name}: told to switch {'on' if on else 'off'}, "
                             f"but it reads back {'on' if seen else 'off'}")

    def close(self) -> None:
        """Leave the dongle unpowered and release the hardware. Safe to call twice."""
        self._closing.set()
        if not self.closed:
            try:
                self._set(False)
            finally:
                self.closed = True

    def describe(self) -> str:
        return self.name
