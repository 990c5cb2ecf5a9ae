"""Proof that traffic flows through the dongle's interface, and how well: an HTTP GET (redirects
shown, never followed: a captive portal must be seen as one), the round-trip time and a download's
throughput. Every socket is bound to the interface; a name in a URL is resolved through the
carrier's DNS server over that interface too (:func:`resolve`), never the host's resolver.

Each failure is its own class (see :mod:`hilkit.net.failures`); a throughput figure is measured
here and judged by the framework against the profile's floor.
"""
from __future__ import annotations

import ipaddress
import socket
import statistics
import time
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlsplit

from hilkit.net.bound import bind_to, tcp_connect
from hilkit.net.dns_query import resolve
from hilkit.net.failures import CaptivePortal, DnsFailure, LinkDropped, NetError, NoDhcpAnswer, Unreachable
from hilkit.net.http_wire import BodyReader, read_head, request_bytes

__all__ = ["CaptivePortal", "DnsFailure", "HttpAnswer", "LinkDropped", "NoDhcpAnswer", "Rate", "Unreachable",
           "http_get", "resolve", "round_trip", "round_trips", "throughput"]


@dataclass(frozen=True)
class _Target:
    url: str
    host: str
    port: int
    path: str
    address: str


def _target(url: str, ifname: str, timeout: float, connect_to: str | None, dns_server: str | None) -> _Target:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"{url!r}: only http:// URLs with a host are measured (a portal shows on plain HTTP)")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host, port = parts.hostname, parts.port or 80
    address = connect_to
    if address is None:
        try:
            address = str(ipaddress.IPv4Address(host))
        except ValueError:
            if not dns_server:
                raise ValueError(f"{url!r}: name a DNS server (dns_server=) or an address (connect_to=) to reach "
                                 f"{host} through {ifname}; the host's resolver is not asked") from None
            address = resolve(host, dns_server, ifname, timeout)[0]
    return _Target(url, host, port, path, address)


@dataclass(frozen=True)
class HttpAnswer:
    """An HTTP answer through ``interface``: status, headers, body (up to the cap), timings (s)."""

    url: str
    interface: str
    address: str
    status: int
    reason: str
    headers: Message
    body: bytes
    connect_time: float
    elapsed: float

    @property
    def location(self) -> str:
        return str(self.headers.get("Location", ""))

    def describe(self) -> str:
        head = "\n".join(f"{k}: {v}" for k, v in self.headers.items())
        return (f"GET {self.url} via {self.interface} ({self.address}): {self.status} {self.reason} in "
                f"{self.elapsed * 1000:.1f} ms (connect {self.connect_time * 1000:.1f} ms), {len(self.body)} bytes\n"
                f"{head}")

    def expect(self, status: int) -> HttpAnswer:
        """This answer when its status is ``status``; else :class:`CaptivePortal` (a redirect names
        where to; a page where an empty 204 belongs is what a portal's login page looks like)."""
        if self.status != status:
            where = f" to {self.location}" if self.location else ""
            raise CaptivePortal(f"{self.url} answered {self.status} {self.reason}{where} through {self.interface}, "
                                f"expected {status}: a captive portal or a proxy is in the way",
                                status=self.status, location=self.location)
        return self


def http_get(url: str, ifname: str, timeout: float = 10.0, *, connect_to: str | None = None,
             dns_server: str | None = None, max_body: int = 1 << 20) -> HttpAnswer:
    """GET ``url`` through ``ifname`` (HTTP/1.0, redirects not followed). The host name is resolved
    through ``dns_server`` over the interface unless ``connect_to`` names the address. Raises
    :class:`Unreachable` when no answer comes, :class:`LinkDropped` when it breaks off."""
    start = time.monotonic()
    deadline = start + timeout
    target = _target(url, ifname, timeout, connect_to, dns_server)
    sock, connect_time = tcp_connect(target.address, target.port, ifname, max(deadline - time.monotonic(), 0.1))
    with sock, BodyReader(sock, ifname, url, stall=timeout, deadline=deadline) as reader:
        sock.sendall(request_bytes(target.host, target.port, target.path))
        status, reason, headers, first = read_head(reader)
        length = headers.get("Content-Length")
        body = reader.body(first, int(length) if length and length.isdigit() else None, max_body)
    return HttpAnswer(url, ifname, target.address, status, reason, headers, body, connect_time,
                      time.monotonic() - start)


def round_trips(address: str, ifname: str, count: int = 5, *, port: int = 80, timeout: float = 5.0) -> list[float]:
    """``count`` TCP handshakes with ``address:port`` through ``ifname``, each one's time (s). A
    refusal (RST) is an answer too: it came back over the same path. Raises :class:`Unreachable`
    when one is not answered within ``timeout`` s."""
    samples: list[float] = []
    for _ in range(count):
        sock = bind_to(socket.socket(socket.AF_INET, socket.SOCK_STREAM), ifname)
        sock.settimeout(timeout)
        with sock:
            start = time.monotonic()
            try:
                sock.connect((address, port))
            except ConnectionRefusedError:
                pass
            except TimeoutError:
                raise Unreachable(f"no answer from {address}:{port} through {ifname} within {timeout:.1f} s "
                                  f"(round trip {len(samples) + 1} of {count})") from None
            except OSError as exc:
                raise Unreachable(f"{address}:{port} through {ifname}: {exc.strerror or exc}") from None
            samples.append(time.monotonic() - start)
    return samples


def round_trip(address: str, ifname: str, count: int = 5, *, port: int = 80, timeout: float = 5.0) -> float:
    """The median of :func:`round_trips` (s): one slow handshake does not make the figure."""
    return statistics.median(round_trips(address, ifname, count, port=port, timeout=timeout))


@dataclass(frozen=True)
class Rate:
    """A download through ``interface``: ``received`` bytes in ``seconds`` (from the request to the
    last byte); ``complete`` is False when the measurement window ended before the body did."""

    url: str
    interface: str
    received: int
    seconds: float
    complete: bool
    expected: int | None = None

    @property
    def bits_per_second(self) -> float:
        return self.received * 8 / self.seconds if self.seconds > 0 else 0.0

    def describe(self) -> str:
        whole = "the whole body" if self.complete else f"stopped at the window's end (of {self.expected or '?'})"
        return (f"GET {self.url} via {self.interface}: {self.received} bytes in {self.seconds:.3f} s = "
                f"{self.bits_per_second / 1000:.0f} kbit/s ({whole})")


def throughput(url: str, ifname: str, timeout: float = 30.0, *, max_bytes: int | None = None, stall: float = 5.0,
               connect_to: str | None = None, dns_server: str | None = None) -> Rate:
    """Download ``url`` through ``ifname`` and measure the rate, until the body ends, ``max_bytes``
    arrived or ``timeout`` s passed (then the figure is what came so far). Raises
    :class:`LinkDropped` when the interface loses its link, the connection is reset or closed
    early, or no data comes for ``stall`` s; :class:`CaptivePortal` for a redirect."""
    start = time.monotonic()
    deadline = start + timeout
    target = _target(url, ifname, timeout, connect_to, dns_server)
    sock, _ = tcp_connect(target.address, target.port, ifname, max(deadline - time.monotonic(), 0.1))
    with sock, BodyReader(sock, ifname, url, stall=stall, deadline=deadline) as reader:
        sent = time.monotonic()
        sock.sendall(request_bytes(target.host, target.port, target.path))
        status, reason, headers, first = read_head(reader)
        if status // 100 == 3:
            location = str(headers.get("Location", ""))
            raise CaptivePortal(f"{url} answered {status} {reason} to {location or '(no Location)'} through {ifname}: "
                                "a captive portal is in the way", status=status, location=location)
        if status != 200:
            raise NetError(f"{url} answered {status} {reason} through {ifname}: nothing to measure")
        length = headers.get("Content-Length")
        expected = int(length) if length and length.isdigit() else None
        received, complete = reader.count(len(first), expected, max_bytes)
        seconds = time.monotonic() - sent
    return Rate(url, ifname, received, seconds, complete, expected)
