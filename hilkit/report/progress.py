"""Progress lines on a terminal: every step as it starts, with the slot and the time into the run."""
from __future__ import annotations

import time
from collections.abc import Callable

from hilkit.core.events import Event, StepStarted, Subject


class ProgressLines:
    """``    [  12.3 s] e3131 (1-1.2): switch HuaweiNewMode on port 1-1.2 to modem``.

    ``write`` may be replaced (a parallel slot runner sends its lines to the controller)."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write
        self.start = time.monotonic()
        self.slot = "-"

    def __call__(self, event: Event) -> None:
        if isinstance(event, Subject):
            self.slot = f"{event.slot} ({event.port})"
        elif isinstance(event, StepStarted):
            self.write(f"    [{time.monotonic() - self.start:7.1f} s] {self.slot}: {event.title}")
