"""A virtual serial port: a real pty whose far end is driven by the dongle's firmware model.

pyserial opens the slave side (``/dev/pts/N``) exactly as it opens ``/dev/ttyUSB0`` on a rig.
"""
from __future__ import annotations

import os
import select
import threading
import tty
from collections.abc import Callable

from hilkit.sim.model.at_model import ModemModel


class PtyPort:
    """A pty pair; ``answer`` (if given) turns each received CR-terminated line into reply bytes."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.master, self._slave = os.openpty()
        # Raw at once: with the default line discipline the pty would echo our own replies back.
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self._wake_r, self._wake_w = os.pipe()
        self._lock = threading.Lock()
        self._closed = False
        self.on_line: Callable[[str], None] | None = None
        self._thread = threading.Thread(target=self._pump, name=f"pty-{name}", daemon=True)
        self._thread.start()

    @property
    def slave_fd(self) -> int:
        """The model's own descriptor of the pty's slave end (the tty a host program opens)."""
        return self._slave

    def write(self, data: bytes) -> None:
        with self._lock:
            if self._closed:
                return
            try:
                os.write(self.master, data)
            except OSError:
                pass  # nobody reads: a real tty drops it too

    def _pump(self) -> None:
        buffer = b""
        while True:
            ready, _, _ = select.select([self.master, self._wake_r], [], [])
            if self._wake_r in ready:
                return
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while b"\r" in buffer:
                line, buffer = buffer.split(b"\r", 1)
                if self.on_line is not None:
                    self.on_line(line.decode("latin-1").lstrip("\n"))
            if len(buffer) > 4096:
                buffer = b""  # a real modem's line buffer overflows too

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

    def _answer(self, line: str) -> None:
        out = answer(self.model, line, self.interfere)
        if out:
            self.write(out)

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
