"""How a data path fails, one class per kind, so the report sorts each into its own category
without reading the message. Whether a throughput figure is too low is the framework's call
against the profile's floor (a measurement, :data:`~hilkit.core.errors.Category.SLOW_DATA`);
nothing here judges a figure."""
from __future__ import annotations

from hilkit.core.errors import Category, HilkitError


class NetError(HilkitError):
    """Base of the data path's failures on the host side."""


class NoDhcpAnswer(NetError):
    """No lease within the budget: nothing answered, or the server refused (DHCPNAK)."""

    category = Category.NO_ADDRESS


class DnsFailure(NetError):
    """The carrier's DNS server did not answer, refused, or had no address for the name."""

    category = Category.DNS_FAILURE

    def __init__(self, message: str, *, rcode: int | None = None) -> None:
        self.rcode = rcode   # the answer's RCODE (2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED); None: no answer
        super().__init__(message)


class CaptivePortal(NetError):
    """An HTTP check answered something else than expected: a redirect (its ``Location`` kept) or a
    page where the empty 204 belongs, as a captive portal or a transparent proxy does."""

    category = Category.CAPTIVE_PORTAL

    def __init__(self, message: str, *, status: int = 0, location: str = "") -> None:
        self.status = status
        self.location = location
        super().__init__(message)


class LinkDropped(NetError):
    """The interface lost its link, or the connection was reset or went silent, mid-transfer."""

    category = Category.LINK_DROPPED

    def __init__(self, message: str, *, received: int = 0) -> None:
        self.received = received   # bytes of the body that arrived before the drop
        super().__init__(message)


class Unreachable(NetError):
    """The session is up and has an address, but no data comes back through it (a TCP connection
    that is never answered, a refused or unroutable destination)."""

    category = Category.NO_DATA_SESSION


class InterfaceCommandFailed(NetError):
    """``ip`` refused a change to the host's interfaces or routing (most often: no CAP_NET_ADMIN).
    Not a verdict on the dongle: no category."""
