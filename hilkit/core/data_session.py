"""A data session that is up: what the connect phase hands the data-path checks (which interface,
how it gets its address), whoever brought it up (ModemManager, a HiLink stick, an AT call)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DataSession:
    """A session that is up: the interface it runs over ("" = the dongle's network function, the
    lab names it) and how that interface gets its address."""

    method: str
    interface: str = ""
    addressing: str = "dhcp"          # "dhcp", or "static" with the fields below (ModemManager's bearer)
    address: str = ""
    prefix: int = 0
    gateway: str = ""
    dns: tuple[str, ...] = ()
    time_to_connect: float = 0.0
    evidence: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        how = f"static {self.address}/{self.prefix} via {self.gateway}" if self.addressing == "static" \
            else self.addressing
        return f"{self.method} session up in {self.time_to_connect:.2f} s on {self.interface or 'the dongle'} ({how})"
