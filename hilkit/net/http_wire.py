"""The little of HTTP/1.0 the probes speak: one GET, its answer's head, and a body read that tells a
dropped link from a slow one.

HTTP/1.0 so that no server answers in chunks: the body ends at its Content-Length or when the
server closes. While it waits for data the reader also hears the kernel's link messages, so a
dongle that loses its link mid-transfer is reported as that at once, not after a timeout.
"""
from __future__ import annotations

import http.client
import io
import select
import socket
import time
from email.message import Message
from types import TracebackType

from hilkit.net.failures import LinkDropped, NetError, Unreachable
from hilkit.net.interface import LinkEvents, has_carrier

CHUNK = 256 * 1024
MAX_HEAD = 64 * 1024


def request_bytes(host: str, port: int, path: str) -> bytes:
    shown = host if port == 80 else f"{host}:{port}"
    return (f"GET {path} HTTP/1.0\r\nHost: {shown}\r\nUser-Agent: hilkit\r\nAccept: */*\r\n"
            "Connection: close\r\n\r\n").encode("idna" if not shown.isascii() else "ascii")


class BodyReader:
    """Reads one answer from ``sock``: raises :class:`LinkDropped` when ``ifname`` loses its link,
    the connection is reset, or no data comes for ``stall`` s; ``deadline`` (monotonic) ends it."""

    def __init__(self, sock: socket.socket, ifname: str, url: str, *, stall: float, deadline: float) -> None:
        sock.setblocking(False)
        self.sock, self.ifname, self.url = sock, ifname, url
        self.stall, self.deadline = stall, deadline
        self.received = 0   # bytes of the whole answer so far
        self.events = LinkEvents()

    def __enter__(self) -> BodyReader:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.events.close()

    def _dropped(self, why: str) -> LinkDropped:
        return LinkDropped(f"{self.url} through {self.ifname}: {why} after {self.received} bytes",
                           received=self.received)

    def recv(self, *, until_deadline: bool = False) -> bytes | None:
        """The next bytes; b"" when the server closed; None at the deadline when ``until_deadline``
        (a measurement window that ended), else :class:`Unreachable` then."""
        last = time.monotonic()
        watched: list[socket.socket | LinkEvents] = [self.sock]
        if self.events.fileno() >= 0:
            watched.append(self.events)
        while True:
            now = time.monotonic()
            if now >= self.deadline:
                if until_deadline:
                    return None
                raise Unreachable(f"{self.url} through {self.ifname}: no complete answer in time "
                                  f"({self.received} bytes came)")
            quiet = self.stall - (now - last)
            if quiet <= 0:
                raise self._dropped(f"no data for {self.stall:.1f} s (the link "
                                    f"{'still has' if has_carrier(self.ifname) else 'lost'} its carrier)")
            ready, _, _ = select.select(watched, [], [], min(self.deadline - now, quiet))
            if self.events in ready:
                self.events.drain()
                if not has_carrier(self.ifname):
                    raise self._dropped("the interface lost its link")
            if self.sock in ready:
                try:
                    data = self.sock.recv(CHUNK)
                except (BlockingIOError, InterruptedError):
                    continue
                except ConnectionResetError:
                    raise self._dropped("the connection was reset") from None
                except OSError as exc:
                    raise self._dropped(f"the connection broke ({exc.strerror or exc})") from None
                self.received += len(data)
                return data

    def body(self, first: bytes, expected: int | None, cap: int) -> bytes:
        """The whole body (at most ``cap`` bytes are kept; the rest is read and dropped)."""
        kept, got = bytearray(first[:cap]), len(first)
        while expected is None or got < expected:
            data = self.recv()
            if not data:
                self._early_end(got, expected)
                break
            got += len(data)
            kept += data[:max(cap - len(kept), 0)]
        return bytes(kept)

    def count(self, got: int, expected: int | None, limit: int | None) -> tuple[int, bool]:
        """Read and count the body until it ends, ``limit`` bytes came, or the deadline:
        (bytes, whether the whole body came)."""
        while (expected is None or got < expected) and (limit is None or got < limit):
            data = self.recv(until_deadline=True)
            if data is None:
                return got, False
            if not data:
                self._early_end(got, expected)
                return got, True
            got += len(data)
        return got, expected is not None and got >= expected

    def _early_end(self, got: int, expected: int | None) -> None:
        if expected is not None and got < expected:
            raise self._dropped(f"the server closed the connection at {got} of {expected} body bytes")


def read_head(reader: BodyReader) -> tuple[int, str, Message, bytes]:
    """(status, reason, headers, the body's first bytes) of the answer."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = reader.recv()
        if not data:
            raise Unreachable(f"{reader.url} through {reader.ifname}: the server closed the connection "
                              f"{'mid-answer' if buf else 'without an answer'}")
        buf += data
        if len(buf) > MAX_HEAD and b"\r\n\r\n" not in buf:
            raise NetError(f"{reader.url} through {reader.ifname}: no end of the answer's head in {MAX_HEAD} bytes")
    head, _, rest = buf.partition(b"\r\n\r\n")
    status_line, _, header_text = head.partition(b"\r\n")
    parts = status_line.decode("latin-1").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise NetError(f"{reader.url} through {reader.ifname}: not an HTTP answer: {status_line[:80]!r}")
    headers = http.client.parse_headers(io.BytesIO(header_text + b"\r\n\r\n"))
    return int(parts[1]), parts[2] if len(parts) > 2 else "", headers, rest
