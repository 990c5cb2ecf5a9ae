"""The data session after attach, one way per modem kind: ModemManager's bearer, the HiLink stick's
dial API, Huawei's NDIS (``AT^NDISDUP``), or PPP dial-up (``ATD*99#``, as wvdial and sakis3g do).

Each :class:`DataConnector` brings the session up within a deadline and says where its IP settings
come from: the bearer's own (ModemManager reports ``static`` or ``dhcp``), DHCP on the dongle's
network interface (HiLink, NDIS), or PPP on the serial port the call is on (``ppp``: a dial-up, or
a bearer ModemManager connected on a tty): then :meth:`DataConnector.dial_up_line` hands that port
to the PPP client (:mod:`hilkit.net.ppp`). Where a session cannot be finished on this host,
:class:`DataPathUnavailable` says why; the test skips with that reason, never passes.
"""
from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import serial

from hilkit.core.data_session import DataSession
from hilkit.core.errors import Category, HilkitError, WaitTimeout
from hilkit.core.profile import AttachSpec
from hilkit.core.secrecy import Secrets
from hilkit.modem.at import AtClient
from hilkit.modem.hilink_answers import DIAL, DIAL_CONNECT, DIAL_DISCONNECT, STATUS, describe_status, fields
from hilkit.modem.hilink_api import HiLinkClient
from hilkit.modem.mmcli_client import ModemManager


class DataPathUnavailable(HilkitError):
    """This host cannot finish the data session (no ``/dev/ppp``, no privilege for the lab's network):
    a reason to skip, never a pass."""


class NoDataSession(HilkitError):
    category = Category.NO_DATA_SESSION


@dataclass
class DialUpLine:
    """A call in data mode, for the PPP client: the serial port (pyserial), the credentials the APN
    wants (the password is a secret), and how the port is given back once PPP is over."""

    port: Any   # serial.SerialBase
    username: str
    password: str = field(repr=False)
    release: Callable[[], None] = lambda: None
    pending: bytes = b""   # what the modem sent after CONNECT before the port changed hands


class DataConnector(ABC):
    """Brings one dongle's data session up (:meth:`connect`, within ``timeout`` s) and down again
    (:meth:`disconnect`, safe to call when nothing is up, and more than once)."""

    method = ""

    @abstractmethod
    def connect(self, timeout: float) -> DataSession: ...

    @abstractmethod
    def disconnect(self) -> None: ...

    def dial_up_line(self) -> DialUpLine:
        """The port a session with ``addressing == "ppp"`` is on, for the PPP client."""
        raise NoDataSession(f"a {self.method} session is not on a serial port: no PPP to run")


class HiLinkConnector(DataConnector):
    """``/api/dialup/dial`` Action 1, then ``/api/monitoring/status`` until ConnectionStatus 901."""

    method = "hilink"

    def __init__(self, client: HiLinkClient, poll_interval: float = 0.1) -> None:
        self.client = client
        self.poll_interval = poll_interval
        self.dialled = False
        self._wake = threading.Event()   # never set: waits out the poll interval (the stick sends no events)

    def _status(self) -> dict[str, str]:
        return fields(self.client.get(STATUS))

    def connect(self, timeout: float) -> DataSession:
        start = time.monotonic()
        self.client.post(DIAL, DIAL_CONNECT)
        self.dialled = True
        status = self._status()
        while status.get("ConnectionStatus") != "901":
            remaining = timeout - (time.monotonic() - start)
            if remaining <= 0:
                raise WaitTimeout("ConnectionStatus 901 (connected) after the dial", describe_status(status),
                                  timeout, category=Category.NO_DATA_SESSION)
            self._wake.wait(min(self.poll_interval, remaining))
            status = self._status()
        shown = "\n".join(f"{k}: {v}" for k, v in status.items())
        return DataSession(self.method, time_to_connect=time.monotonic() - start,
                           evidence={"HiLink /api/monitoring/status after the dial": shown})

    def disconnect(self) -> None:
        if self.dialled:
            self.dialled = False
            self.client.post(DIAL, DIAL_DISCONNECT)


class BearerConnector(DataConnector):
    """``mmcli -m M --simple-connect=apn=...``, then the bearer's status and IPv4 settings
    (``mmcli -b B -J``: ``status.interface``, ``ipv4-config.method/address/prefix/gateway/dns``)."""

    method = "bearer"

    def __init__(self, mm: ModemManager, modem: str, spec: AttachSpec, secrets: Secrets,
                 port_url: Callable[[str], str] | None = None) -> None:
        self.mm = mm
        self.modem = modem
        self.spec = spec
        self.secrets = secrets
        self.port_url = port_url or tty_path   # ModemManager's port name (ttyUSB2) -> what pyserial opens
        self.connected = False
        self.ppp_port = ""

    def connect(self, timeout: float) -> DataSession:
        start = time.monotonic()
        settings = [f"apn={self.spec.apn or 'internet'}", "ip-type=ipv4"]
        password = self.secrets.get(self.spec.password_env)
        if self.spec.username:
            settings.append(f"user={self.spec.username}")
        if password:
            self.mm.add_secret(password)   # masked in the transcript, the evidence and errors
            settings.append(f"password={password}")
        # the connect budget, not the client's per-call one: a real bearer can take tens of seconds
        self.mm.run(["-m", self.modem, f"--simple-connect={','.join(settings)}"], timeout=timeout)
        self.connected = True
        bearers = self.mm.modem(self.modem).get("generic", {}).get("bearers", [])
        for path in bearers:
            bearer = self.mm.run_json(["-b", path, "-J"]).get("bearer", {})
            status = bearer.get("status", {})
            if status.get("connected") != "yes":
                continue
            ipv4 = bearer.get("ipv4-config", {})
            method = ipv4.get("method", "--")
            session = DataSession(self.method, interface=_known(status.get("interface")),
                                  addressing="static" if method == "static" else "dhcp",
                                  time_to_connect=time.monotonic() - start)
            if method == "static":
                session.address, session.gateway = _known(ipv4.get("address")), _known(ipv4.get("gateway"))
                session.prefix = int(_known(ipv4.get("prefix")) or 0)
                session.dns = tuple(d for d in ipv4.get("dns", []) if _known(d))
            elif method == "ppp":   # the bearer dialled on a tty: PPP on it is the host's job (NetworkManager's pppd)
                if not session.interface:
                    raise NoDataSession(f"bearer {path} is connected as PPP but names no port (status.interface)")
                session.addressing, self.ppp_port, session.interface = "ppp", session.interface, ""
                session.evidence = self.mm.evidence()
                return session
            elif method not in ("dhcp", "--"):
                raise NoDataSession(f"bearer {path}: IPv4 method {method!r}; hilkit sets up static and dhcp only")
            if not session.interface:
                raise NoDataSession(f"bearer {path} is connected but names no network interface (status.interface)")
            session.evidence = self.mm.evidence()
            return session
        raise NoDataSession(f"modem {self.modem}: --simple-connect answered, but no bearer is connected "
                            f"(bearers: {', '.join(bearers) or 'none'})")

    def dial_up_line(self) -> DialUpLine:
        if not self.ppp_port:
            return super().dial_up_line()
        url = self.port_url(self.ppp_port)
        try:
            port = serial.serial_for_url(url, baudrate=115200, timeout=0.2, write_timeout=2)
        except (serial.SerialException, OSError) as exc:
            raise NoDataSession(f"bearer's PPP port {self.ppp_port} ({url}): cannot open: {exc}") from None
        return DialUpLine(port, self.spec.username, self.secrets.get(self.spec.password_env), port.close)

    def disconnect(self) -> None:
        if self.connected:
            self.connected = False
            self.mm.run(["-m", self.modem, "--simple-disconnect"])


def tty_path(name: str) -> str:
    """The device a port name ModemManager reports (``ttyUSB2``) stands for on this host."""
    return name if name.startswith("/") else f"/dev/{name}"


def _known(value: object) -> str:
    """mmcli's "--" (unknown) as ""."""
    text = str(value or "")
    return "" if text == "--" else text


class NdisConnector(DataConnector):
    """Huawei's NDIS call on the AT port: ``AT^NDISDUP=1,1,"<apn>"`` (user, password and CHAP when
    the profile names them), then ``^NDISSTAT: 1`` (the URC, or ``AT^NDISSTATQRY?``); the address
    comes by DHCP on the stick's network function."""

    method = "ndis"

    def __init__(self, client: AtClient, spec: AttachSpec, secrets: Secrets) -> None:
        self.client = client
        self.spec = spec
        self.secrets = secrets
        self.up = False

    def _connected(self) -> bool:
        answer = self.client.command("AT^NDISSTATQRY?", check=False).value("^NDISSTATQRY:") or ""
        return answer.split(",")[0].strip() == "1"

    def connect(self, timeout: float) -> DataSession:
        start = time.monotonic()
        password = self.secrets.get(self.spec.password_env)
        call = f'AT^NDISDUP=1,1,"{self.spec.apn or "internet"}"'
        if self.spec.username or password:
            if password:
                self.client.add_secret(password)
            call += f',"{self.spec.username}","{password}",2'   # 2: CHAP
        since = time.monotonic()
        self.client.command(call)   # the password is a secret of the client: masked wherever it is shown
        self.up = True
        if not self._connected():
            try:
                self.client.wait_urc(lambda text: text.replace(" ", "").startswith("^NDISSTAT:1"),
                                     max(timeout - (time.monotonic() - start), 0.0),
                                     "^NDISSTAT: 1 (the NDIS call is up)", since=since)
            except WaitTimeout as exc:
                raise WaitTimeout(exc.expected, exc.seen, exc.timeout, category=Category.NO_DATA_SESSION) from None
        return DataSession(self.method, time_to_connect=time.monotonic() - start)

    def disconnect(self) -> None:
        if self.up:
            self.up = False
            self.client.command("AT^NDISDUP=1,0", check=False)


class PppDialer(DataConnector):
    """wvdial's way: the PDP context, ``ATD*99#``, ``CONNECT``; then the port is the call's, and the
    PPP client (:mod:`hilkit.net.ppp`) takes it over (:meth:`dial_up_line`). Ending PPP ends the
    call: the modem says ``NO CARRIER`` and the AT client reads the port again."""

    method = "ppp"

    def __init__(self, client: AtClient, spec: AttachSpec, secrets: Secrets) -> None:
        self.client = client
        self.spec = spec
        self.secrets = secrets

    def connect(self, timeout: float) -> DataSession:
        start = time.monotonic()
        self.client.command(f'AT+CGDCONT=1,"IP","{self.spec.apn or "internet"}"')
        answer = self.client.command(f"ATD{self.spec.number or '*99#'}", timeout=timeout, check=False)
        if not answer.final.startswith("CONNECT"):
            raise NoDataSession(f"ATD{self.spec.number or '*99#'} answered {answer.final} (expected CONNECT)")
        return DataSession(self.method, addressing="ppp", time_to_connect=time.monotonic() - start,
                           evidence={"dial-up": f"{answer.command} -> {answer.final} after {answer.elapsed:.2f} s"})

    def dial_up_line(self) -> DialUpLine:
        password = self.secrets.get(self.spec.password_env)
        if password:
            self.client.add_secret(password)
        port, pending = self.client.hand_over()
        return DialUpLine(port, self.spec.username, password, self.client.take_back, pending)

    def disconnect(self) -> None:
        """Nothing to send: PPP's end ended the call (the modem said NO CARRIER); where it did not,
        closing the port (DTR drops) ends it, as the dongle's teardown does."""
