"""hilkit's PPP client on a serial port in data mode, with a tun interface as the session's network
interface: what pppd does with the kernel's PPP driver, done in this process, so a dial-up session
also comes up where there is no ``/dev/ppp`` (most containers; this project's CI).

Two threads move the bytes: one reads the port (frames in, IPv4 packets out to the tun), one reads
the tun and runs the protocol's timers (packets in, frames out to the port). The protocol itself is
:class:`~hilkit.net.ppp.endpoint.PppEndpoint`, which does no I/O.
"""
from __future__ import annotations

import os
import select
import threading
import time
from typing import Any

from hilkit.core.errors import Category, WaitTimeout
from hilkit.net import interface
from hilkit.net.failures import InterfaceCommandFailed, NetError
from hilkit.net.ppp.endpoint import PppConfig, PppEndpoint
from hilkit.net.tun import open_tun, set_carrier

NO_CARRIER = b"NO CARRIER"
NO_CARRIER_WAIT = 1.0   # s after the Terminate-Ack for the modem's NO CARRIER
NO_ADDRESS = "IPCP: the peer gave no address"   # the endpoint's failure when IPCP names none


class PppFailed(NetError):
    """The PPP session did not come up: LCP, authentication or IPCP failed, or the modem hung up."""

    category = Category.NO_DATA_SESSION


class PppLink:
    """PPP over ``port`` (a pyserial port, or anything with ``read``/``write``/``in_waiting``),
    its interface the tun ``ifname``. :meth:`open` brings it up; :meth:`close` ends it (LCP
    Terminate-Request, then the tun goes), safe to call at any point and more than once."""

    def __init__(self, port: Any, username: str = "", password: str = "", ifname: str | None = None,
                 pending: bytes = b"") -> None:
        self.port = port
        self.ifname = ifname or interface.unique_name("hkp")
        self.endpoint = PppEndpoint(PppConfig(role="client", username=username, password=password))
        self.pending = pending             # what the modem sent after CONNECT before the port was ours
        self.carrier_lost = False          # the modem said NO CARRIER
        self.port_error = ""               # the port failed (the dongle went away)
        self._noise = b""                  # the end of the text between frames: NO CARRIER may come in pieces
        self._cond = threading.Condition()
        self._write_lock = threading.Lock()
        self._stopping = False
        self._tun: int | None = None
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)   # a full pipe means a wake-up is pending already
        self._threads: list[threading.Thread] = []

    # -- state ------------------------------------------------------------------------------
    @property
    def local_address(self) -> str:
        return self.endpoint.local_address

    @property
    def peer_address(self) -> str:
        return self.endpoint.peer_address

    @property
    def dns(self) -> tuple[str, ...]:
        return self.endpoint.dns

    def log_text(self) -> str:
        return "\n".join(self.endpoint.log) + "\n"

    def _seen(self) -> str:
        log = self.endpoint.log
        if not any(line.startswith("rcvd") for line in log):
            shown = f"no PPP frame from the modem (last sent: {log[-1]})" if log else "no PPP frame from the modem"
        else:
            shown = "; ".join(log[-3:])
        return shown + ("; the modem said NO CARRIER" if self.carrier_lost else "")

    # -- bringing it up -------------------------------------------------------------------------
    def open(self, timeout: float) -> None:
        """Negotiate LCP, authentication and IPCP within ``timeout`` s; the tun interface exists
        from the start (down until the caller configures it)."""
        self._tun = open_tun(self.ifname)
        interface.disable_ipv6(self.ifname)   # IPCP carries IPv4: no router solicitations for the modem
        with self._cond:
            first = self.endpoint.start() + self._take_in(self.pending)
        self._threads = [threading.Thread(target=self._read_port, name=f"ppp-rx-{self.ifname}", daemon=True),
                         threading.Thread(target=self._read_tun, name=f"ppp-tx-{self.ifname}", daemon=True)]
        for thread in self._threads:
            thread.start()
        self._write(first)
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self.endpoint.opened:
                if self.endpoint.closed or self.carrier_lost or self.port_error:
                    raise self._failed()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WaitTimeout(f"PPP on {self.port_name()} up (LCP, authentication, IPCP)", self._seen(),
                                      timeout, category=Category.NO_DATA_SESSION)
                self._cond.wait(remaining)
        self._set_mtu()

    def _failed(self) -> PppFailed:
        """Why the session is not up, in its category."""
        if self.port_error:
            return PppFailed(f"PPP on {self.port_name()}: the port failed: {self.port_error}",
                             category=Category.PORT_VANISHED)
        why = self.endpoint.failure or ("the modem hung up (NO CARRIER)" if self.carrier_lost
                                        else "the peer ended the session")
        category = Category.NO_ADDRESS if self.endpoint.failure.startswith(NO_ADDRESS) else Category.NO_DATA_SESSION
        return PppFailed(f"PPP on {self.port_name()}: {why}", category=category)

    def _set_mtu(self) -> None:
        """The interface's MTU is what the modem takes (its LCP MRU), as pppd sets ppp0's."""
        mtu = min(self.endpoint.peer_mru, 1500)
        try:
            interface.run_ip("link", "set", "dev", self.ifname, "mtu", str(mtu))
        except InterfaceCommandFailed:
            pass   # the send path drops what the modem would not take; the session still runs

    def _take_in(self, data: bytes) -> bytes:
        """Under the lock: ``data`` from the port into the protocol; what to send back. IPv4 packets
        wait in the endpoint; NO CARRIER among the text between frames is the modem hanging up."""
        if not data:
            return b""
        out = self.endpoint.receive(data)
        self._noise = (self._noise + self.endpoint.take_noise())[-len(NO_CARRIER) * 2:]
        if NO_CARRIER in self._noise:
            self.carrier_lost = True
            self._noise = b""
        return out

    def port_name(self) -> str:
        return str(getattr(self.port, "port", None) or getattr(self.port, "name", None) or "the serial port")

    def _write(self, data: bytes) -> None:
        if not data:
            return
        with self._write_lock:
            try:
                self.port.write(data)
            except Exception:  # noqa: BLE001, S110 - a vanished port (pyserial's or the OS's error): the reader says so
                pass

    # -- the threads -----------------------------------------------------------------------------
    def _read_port(self) -> None:
        while not self._stopping:
            try:
                data = self.port.read(self.port.in_waiting or 1)
            except Exception as exc:  # noqa: BLE001 - the port went (unplug): the session is over
                with self._cond:
                    self.port_error = str(exc) or type(exc).__name__
                    self._cond.notify_all()
                if self._tun is not None and not self._stopping:
                    set_carrier(self._tun, False)
                return
            if not data:
                continue
            with self._cond:
                out = self._take_in(data)
                packets = self.endpoint.take_ip()
                ended = (self.endpoint.closed or self.carrier_lost) and not self._stopping
                self._cond.notify_all()
            self._write(out)
            self._to_tun(packets)
            self._wake()   # the endpoint's timers may have changed
            if ended and self._tun is not None:
                set_carrier(self._tun, False)   # the network ended the session: the host sees the link go

    def _to_tun(self, packets: list[bytes]) -> None:
        tun = self._tun
        for packet in packets:
            try:
                if tun is not None:
                    os.write(tun, packet)
            except OSError:
                pass   # the interface is down or going: the packet is lost, as on a host's ppp0

    def _read_tun(self) -> None:
        tun = self._tun
        assert tun is not None
        while True:
            with self._cond:
                timeout = self.endpoint.next_timeout()
            ready, _, _ = select.select([tun, self._wake_r], [], [], timeout)
            if self._wake_r in ready:
                os.read(self._wake_r, 512)
                if self._stopping:
                    return
            out = b""
            with self._cond:
                if tun in ready:
                    try:
                        packet = os.read(tun, 65535)
                    except OSError:
                        packet = b""
                    if packet:
                        out += self.endpoint.send_ip(packet)
                out += self.endpoint.poll()
                self._cond.notify_all()
            self._write(out)

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass   # closed

    # -- taking it down ----------------------------------------------------------------------------
    def close(self, timeout: float = 3.0) -> None:
        """LCP Terminate-Request and its Terminate-Ack (within ``timeout`` s, the modem then says NO
        CARRIER), then the threads stop and the tun interface goes. The port stays open: it is the
        caller's to give back."""
        if self._stopping:
            return
        if self._threads:
            with self._cond:
                goodbye = b"" if self.endpoint.closed or self.carrier_lost else self.endpoint.close()
            self._write(goodbye)
            deadline = time.monotonic() + timeout
            with self._cond:
                # its Terminate-Ack, then NO CARRIER (a second at most): read here, so the AT client
                # that gets the port back does not take it for the answer to its next command
                while goodbye and not (self.carrier_lost or self.port_error):
                    if self.endpoint.closed:
                        deadline = min(deadline, time.monotonic() + NO_CARRIER_WAIT)
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break   # the modem did not say it: closing the port (DTR) ends the call anyway
                    self._cond.wait(remaining)
        self._stopping = True
        self._wake()
        cancel = getattr(self.port, "cancel_read", None)
        if cancel is not None:
            try:
                cancel()
            except Exception:  # noqa: BLE001, S110 - a port that is gone has nothing to cancel
                pass
        for thread in self._threads:
            thread.join(timeout=5)
        if any(thread.is_alive() for thread in self._threads):
            return   # stuck in a write the port never finishes: its descriptors stay, never reused under it
        if self._tun is not None:
            os.close(self._tun)
            self._tun = None
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass
