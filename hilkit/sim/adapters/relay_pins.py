"""gpiozero mock pins wired to virtual relays: the pin level decides whether a dongle has power."""
from __future__ import annotations

from collections.abc import Callable

from gpiozero.pins import PinInfo
from gpiozero.pins.mock import MockFactory, MockPin


class RelayPin(MockPin):
    """A :class:`MockPin` with a relay coil on it.

    The relay closes while the pin is an output at its active level; an input pin (released,
    floating) leaves the relay at rest, as a real relay board does when its driver lets go.
    """

    def __init__(self, factory: MockFactory, info: PinInfo, active_high: bool = True,
                 on_power: Callable[[bool], None] | None = None,
                 stuck: Callable[[], bool] | None = None) -> None:
        self.active_high = active_high
        self.on_power = on_power
        self.stuck = stuck  # fault injection: asked before the relay closes; True = it does not
        super().__init__(factory, info)

    @property
    def energized(self) -> bool:
        return self._function == "output" and bool(self._state) == self.active_high

    def _update(self) -> None:
        if self.on_power is not None:
            self.on_power(self.energized)

    def _change_state(self, value: bool) -> bool:
        closing = self._function == "output" and bool(value) == self.active_high
        if closing and self.stuck is not None and self.stuck():
            return False  # the driver transistor or coil failed: the pin reads back unchanged
        changed = super()._change_state(value)
        self._update()
        return changed

    def _set_function(self, value: str) -> None:
        super()._set_function(value)
        self._update()
