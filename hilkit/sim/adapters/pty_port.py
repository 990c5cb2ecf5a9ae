"""A virtual serial port: a real pty whose far end is driven by the dongle's firmware model.

pyserial opens the slave side (``/dev/pts/N``) exactly as it opens ``/dev/ttyUSB0`` on a rig.
"""
from __future__ import annotations

import os
import select
import threading
import time
import tty
from collections.abc import Callable

from hilkit.sim.model.at_model import ModemModel

WRITE_PATIENCE = 2.0


class PtyPort:
    """A pty pair; ``answer`` (if given) turns each received CR-terminated line into reply bytes."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.master, self._slave = os.openpty()
        os.set_blocking(self.master, False)   # see write()
        # Raw at once: with the default line discipline the pty would echo our own replies back.
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self._wake_r, self._wake_w = os.pipe()
        self._lock = threading.Lock()
        self._closed = False
        self.on_line: Callable[[str], None] | None = None
        self._buffer = b""
        self._thread = threading.Thread(target=self._pump, name=f"pty-{name}", daemon=True)
        self._thread.start()

    @property
    def slave_fd(self) -> int:
        """The model's own descriptor of the pty's slave end (the tty a host program opens)."""
        return self._slave

    def write(self, data: bytes) -> None:
        """Send to the host. A host that stops reading gets the rest dropped after WRITE_PATIENCE s,
        as a tty's full buffer drops it: the model never blocks on a reader that went away."""
        with self._lock:
            if self._closed:
                return
            deadline = time.monotonic() + WRITE_PATIENCE
            while data:
                try:
                    data = data[os.write(self.master, data):]
                except BlockingIOError:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or not select.select([], [self.master], [], remaining)[1]:
                        return   # nobody reads: dropped
                except OSError:
                    return  # the host end went: a real tty drops it too

    def _pump(self) -> None:
        while True:
            ready, _, _ = select.select([self.master, self._wake_r], [], [])
            if self._wake_r in ready:
                return
            try:
                chunk = os.read(self.master, 4096)
            except BlockingIOError:
                continue
            except OSError:
                return
            if not chunk:
                return
            self._received(chunk)

    def _received(self, chunk: bytes) -> None:
        """Bytes from the host: command lines, each ending with CR."""
        self._buffer += chunk
        while b"\r" in self._buffer:
            line, self._buffer = self._buffer.split(b"\r", 1)
            if self.on_line is not None:
                self.on_line(line.decode("latin-1").lstrip("\n"))
        if len(self._buffer) > 4096:
            self._buffer = b""  # a real modem's line buffer overflows too

    def close(self) -> None:
        """Unplug: the slave gets EIO/hangup, the pump thread ends."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        os.write(self._wake_w, b"x")
        self._thread.join(timeout=2)
        for fd in (self.master, self._slave, self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass


class AtPort(PtyPort):
    """A pty answered by the dongle's :class:`ModemModel` (echo, verbose result codes).

    Several AT ports of one dongle share one model, as they share one firmware.
    """

    def __init__(self, name: str, model: ModemModel,
                 interfere: Callable[[str], str | None] | None = None) -> None:
        super().__init__(name)
        self.model = model
        self.interfere = interfere  # fault injection: "garbage", "truncate", "vanish" or None
        self.on_line = self._answer

    def _received(self, chunk: bytes) -> None:
        """In data mode (after CONNECT) the bytes are the call's (PPP frames for the network's side
        of it); AT text among them is the host hanging up, since a pty has no DTR to drop."""
        peer = self.model.data_peer_of() if self.model.data_mode else None
        if peer is None:
            super()._received(chunk)
            return
        self._buffer = b""
        text = peer.receive(chunk, self.write)
        start = text.upper().find(b"AT")
        if start >= 0 and b"\r" in text[start:]:
            super()._received(text[start:])   # the model hangs up on the first command line

    def _answer(self, line: str) -> None:
        was = self.model.data_mode
        out = answer(self.model, line, self.interfere)
        if out:
            self.write(out)
        peer = self.model.data_peer_of() if self.model.data_mode and not was else None
        if peer is not None:   # CONNECT on this port: a modem's PPP speaks first, on this port
            peer.connected(self.write)

    def unsolicited(self, text: str) -> None:
        self.write(b"\r\n" + text.encode("latin-1") + b"\r\n")


def answer(model: ModemModel, line: str, interfere: Callable[[str], str | None] | None = None) -> bytes:
    """The bytes a modem sends back for one command line: echo, response lines, final code; or the
    fault's (garbage, nothing for a vanished port, no final code for a truncated answer)."""
    fault = interfere(line) if interfere is not None else None
    if fault in ("garbage", "vanish"):
        return b"\r\n\x8f\xff#&\x00@@\r\n+C\xe9G: ?\r\n" if fault == "garbage" else b""
    out = line.encode("latin-1") + b"\r" if model.echo else b""
    replies = model.line(line)
    if fault == "truncate" and replies:
        replies = replies[:-1]  # the final result code never comes
    for reply in replies:
        out += b"\r\n" + reply.encode("latin-1") + b"\r\n"
    return out


def make_tty(name: str, modem: ModemModel | None, interfere: Callable[[str], str | None] | None) -> PtyPort:
    """The virtual kernel's ttys: an AT port when a modem model answers on it, else a silent pty."""
    return AtPort(name, modem, interfere) if modem is not None else PtyPort(name)
