"""The hardware a labgrid place names, played by the virtual lab on 127.0.0.1.

In a real shared lab the place's resources point at real things: a PDU's web API, ser2net on the
exporter host in front of the dongle's ttyUSB, the dongle on a hub port. With the virtual lab the
same place (same coordinator, exporter, acquisition) points at 127.0.0.1, and this module answers
there, so labgrid's own drivers and pyserial talk to the virtual dongles:

- :class:`VirtualPdu`: labgrid's ``rest`` power model (``GET``/``PUT`` ``/outlet/{index}/value``,
  body ``0``/``1``), each outlet powering one virtual dongle;
- :class:`SerialBridge`: a raw TCP port (a ``NetworkSerialPort`` with ``protocol: raw``, what
  ser2net would serve) joined to the virtual dongle's tty for the resource's role;
- :class:`ExporterHost`: where the fake ``usb_modeswitch`` (:mod:`hilkit.sim.programs.fake_usb_modeswitch`)
  delivers its config; the switch's transfers are then sent by hilkit's engine to the virtual
  dongle, as the real binary would send them to the real one.
"""
from __future__ import annotations

import json
import os
import re
import select
import socket
import socketserver
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from hilkit.core.errors import HilkitError
from hilkit.lab.labgrid_place import PlaceError, PlaceResource
from hilkit.sim.model.virtual_dongle import VirtualDongle

LOOPBACK = {"127.0.0.1", "localhost"}
_OUTLET = re.compile(r"^/outlet/(\d+)/value$")


class _Http(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # skip HTTPServer's getfqdn (a DNS lookup)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


class Outlet:
    """One PDU outlet wired to one virtual dongle; ``energized`` is what a relay reports."""

    def __init__(self, dongle: VirtualDongle) -> None:
        self.dongle = dongle
        self.energized = False

    def set(self, on: bool) -> None:
        self.energized = on
        self.dongle.set_power(on)


class VirtualPdu:
    """labgrid's ``rest`` NetworkPowerPort model, served on ``host:port``."""

    def __init__(self, host: str, port: int) -> None:
        self.outlets: dict[int, Outlet] = {}
        pdu = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def _outlet(self) -> Outlet | None:
                match = _OUTLET.match(self.path)
                outlet = pdu.outlets.get(int(match.group(1))) if match else None
                if outlet is None:
                    self.send_error(404, "no such outlet")
                return outlet

            def _reply(self, body: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802
                outlet = self._outlet()
                if outlet is not None:
                    self._reply(b"1" if outlet.energized else b"0")

            def do_PUT(self) -> None:  # noqa: N802
                length = min(int(self.headers.get("Content-Length") or 0), 16)
                value = self.rfile.read(length).strip()
                outlet = self._outlet()
                if outlet is None:
                    return
                if value not in (b"0", b"1"):
                    self.send_error(400, "expected 0 or 1")
                    return
                outlet.set(value == b"1")
                self._reply(value)

        self.server = _Http((host, port), Handler)
        self._thread = threading.Thread(target=self.server.serve_forever, name=f"pdu-{port}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SerialBridge:
    """A raw TCP serial port (what ser2net serves) joined to the dongle's tty for ``role``."""

    def __init__(self, host: str, port: int, tty: Callable[[], str | None], name: str) -> None:
        self.tty, self.name = tty, name
        self.listener = socket.create_server((host, port), reuse_port=False)
        self._stop_r, self._stop_w = os.pipe()
        self._thread = threading.Thread(target=self._accept, name=f"serial-{name}", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        watched: list[socket.socket | int] = [self.listener, self._stop_r]
        while True:
            ready, _, _ = select.select(watched, [], [])
            if self._stop_r in ready:
                return
            conn, _ = self.listener.accept()
            threading.Thread(target=self._pump, args=(conn,), name=f"serial-{self.name}-conn", daemon=True).start()

    def _pump(self, conn: socket.socket) -> None:
        path = self.tty()
        if path is None:  # ser2net with its tty gone: the connection closes at once
            conn.close()
            return
        try:
            fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        except OSError:
            conn.close()
            return
        watched: list[socket.socket | int] = [conn, fd, self._stop_r]
        try:
            while True:
                ready, _, _ = select.select(watched, [], [])
                if self._stop_r in ready:
                    return
                if conn in ready:
                    data = conn.recv(4096)
                    if not data:
                        return
                    os.write(fd, data)
                if fd in ready:
                    data = os.read(fd, 4096)
                    if not data:
                        return
                    conn.sendall(data)
        except OSError:
            return  # the tty vanished (power off, re-enumeration): ser2net drops the client too
        finally:
            os.close(fd)
            conn.close()

    def close(self) -> None:
        os.write(self._stop_w, b"x")
        self.listener.close()


class ExporterHost:
    """The exporter host's side of a mode switch: runs a usb_modeswitch config on the virtual bus.

    ``run(bus, address, config_text)`` is what the fake usb_modeswitch binary asks for over HTTP.
    """

    def __init__(self, run: Callable[[int, int, str], tuple[int, str]]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = min(int(self.headers.get("Content-Length") or 0), 1 << 16)
                request = json.loads(self.rfile.read(length) or b"{}")
                code, output = run(int(request["bus"]), int(request["address"]), str(request["config"]))
                body = json.dumps({"code": code, "output": output}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = _Http(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/usb_modeswitch"
        self._thread = threading.Thread(target=self.server.serve_forever, name="exporter-host", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def loopback_address(res: PlaceResource, url: bool = False) -> tuple[str, int]:
    """host, port of a resource the virtual lab can play (on 127.0.0.1 only)."""
    if url:
        parts = urlsplit(str(res.params.get("host", "")))
        host, port = parts.hostname or "", parts.port or 80
    else:
        host, port = str(res.params.get("host", "")), int(res.params.get("port") or 0)
    if host not in LOOPBACK or not port:
        raise PlaceError(f"labgrid resource {res.path}: the virtual lab plays hardware on 127.0.0.1 only "
                         f"(seen {res.describe()})")
    return host, port


def play_power(pdus: dict[tuple[str, int], VirtualPdu], res: PlaceResource, dongle: VirtualDongle) -> Outlet:
    if res.cls != "NetworkPowerPort" or res.params.get("model") != "rest":
        raise PlaceError(f"labgrid resource {res.path}: the virtual lab plays a NetworkPowerPort of model rest "
                         f"(seen {res.describe()})")
    address = loopback_address(res, url=True)
    if address not in pdus:
        try:
            pdus[address] = VirtualPdu(*address)
        except OSError as exc:
            raise HilkitError(f"virtual PDU for {res.path}: cannot listen on "
                              f"{address[0]}:{address[1]}: {exc}") from None
    outlet = pdus[address].outlets[int(res.params.get("index") or 0)] = Outlet(dongle)
    return outlet


def play_serial(res: PlaceResource, dongle: VirtualDongle, role: str) -> SerialBridge:
    if res.params.get("protocol") != "raw":
        raise PlaceError(f"labgrid resource {res.path}: the virtual lab serves raw TCP serial ports "
                         f"(expected protocol: raw, seen {res.params.get('protocol')!r})")
    host, port = loopback_address(res)

    def tty() -> str | None:
        view = dongle.kernel_view()
        roles = {itf.number: itf.role for itf in dongle.mode.interfaces} if dongle.mode else {}
        for number, kernel in sorted(view.items()):
            if roles.get(number) == role and kernel.get("tty"):
                return kernel["tty"]
        return None
    try:
        return SerialBridge(host, port, tty, f"{dongle.port}-{role}")
    except OSError as exc:
        raise HilkitError(f"virtual serial port for {res.path}: cannot listen on {host}:{port}: {exc}") from None


def closer(*things: Any) -> Callable[[], None]:
    def close() -> None:
        for thing in things:
            thing.close()
    return close
