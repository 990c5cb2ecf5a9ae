"""One USB transfer as a virtual dongle received it: what tests and the switch sweep compare."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Received:
    """One transfer as the device saw it."""

    time: float
    kind: str                    # "bulk" / "control" / "configuration"
    endpoint: int
    data: bytes = b""
    setup: tuple[int, int, int, int, int] | None = None

    @property
    def standard_request(self) -> bool:
        """GET_DESCRIPTOR and friends that any host sends while looking at a device."""
        return self.kind == "control" and self.setup is not None and self.setup[0] & 0x60 == 0 \
            and self.setup[1] in (0x00, 0x06, 0x08, 0x0A)
