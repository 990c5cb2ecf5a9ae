"""A virtual dongle's AT port as a unix stream socket: how ModemManager's Test interface takes a
port (``abstract:NAME``: MM connects to the abstract socket named with the prefix kept).

The far end is the dongle's own modem model, shared with its ptys, so the real daemon talks to
the same firmware the framework's AT client does. Every line the daemon sends and every answer
is kept (:attr:`transcript`) for the report: what the real ModemManager asked, in order.
"""
from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable

from hilkit.sim.adapters.pty_port import answer
from hilkit.sim.model.at_model import ModemModel


class SocketAtPort:
    def __init__(self, model: ModemModel, interfere: Callable[[str], str | None] | None = None) -> None:
        self.model = model
        self.interfere = interfere
        self.name = f"abstract:hilkit-at-{uuid.uuid4().hex[:12]}"   # what SetProfile is given
        self.transcript: list[tuple[float, str, str]] = []           # (time, ">>" or "<<", text)
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind("\0" + self.name)
        self._server.listen(2)
        self._lock = threading.Lock()
        self._peer: socket.socket | None = None
        self._closed = False
        threading.Thread(target=self._accept, name=f"mm-{self.name}", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                peer, _ = self._server.accept()
            except OSError:
                return   # closed
            with self._lock:
                if self._closed:
                    peer.close()
                    return
                self._peer = peer
            self._serve(peer)

    def _serve(self, peer: socket.socket) -> None:
        buffer = b""
        while True:
            try:
                chunk = peer.recv(4096)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buffer += chunk
            while b"\r" in buffer:
                raw, buffer = buffer.split(b"\r", 1)
                line = raw.decode("latin-1").lstrip("\n")
                if not line.strip():
                    continue
                self._log(">>", line)
                out = answer(self.model, line, self.interfere)
                self._log("<<", out.decode("latin-1").strip().replace("\r\n\r\n", " | ").replace("\r\n", " "))
                self._send(peer, out)
        with self._lock:
            if self._peer is peer:
                self._peer = None
        if self.model.data_mode:
            self.model.hang_up()   # the port closed in data mode: the call ends, as on DTR drop
        peer.close()

    def _log(self, direction: str, text: str) -> None:
        if text:
            self.transcript.append((time.monotonic(), direction, text))

    def _send(self, peer: socket.socket, data: bytes) -> None:
        if data:
            try:
                peer.sendall(data)
            except OSError:
                pass   # the daemon closed the port: a real tty drops it too

    def unsolicited(self, text: str) -> None:
        with self._lock:
            peer = self._peer
        if peer is not None:
            self._log("!!", text)
            self._send(peer, b"\r\n" + text.encode("latin-1") + b"\r\n")

    def transcript_text(self) -> str:
        start = self.transcript[0][0] if self.transcript else 0.0
        return "".join(f"+{t - start:8.3f} s {d} {text}\n" for t, d, text in self.transcript)

    def close(self) -> None:
        """Unplug: the daemon's connection gets end-of-file, as a tty gets a hang-up."""
        with self._lock:
            self._closed = True
            peer, self._peer = self._peer, None
        for sock in (peer, self._server):
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
