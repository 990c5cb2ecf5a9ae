"""A HiLink stick's web API, served on 127.0.0.1 for tests and the virtual lab (never 192.168.x).

:class:`VirtualHiLinkStick` answers the endpoints hilkit's HiLink attach checker uses, in the
real API's XML shape, with session ids and single-use tokens from ``/api/webserver/SesTokInfo``.
The network it reports comes from the profile's ``virtual.network`` section (SIM state,
registration after ``register_after`` seconds, technology, operator, CSQ-derived signal).
"""
from __future__ import annotations

import base64
import hashlib
import secrets
import socketserver
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from hilkit.core.profile import NetworkModel, VirtualSpec

XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
#: technology -> (CurrentNetworkType, CurrentNetworkTypeEx, current-plmn Rat, device/signal mode)
NETWORK_TYPES = {"gsm": (1, 1, 0, 0), "gprs": (2, 2, 0, 0), "edge": (3, 3, 0, 0), "umts": (4, 41, 2, 2),
                 "hsdpa": (5, 42, 2, 2), "hsupa": (6, 43, 2, 2), "hspa": (7, 44, 2, 2),
                 "hspa-plus": (9, 45, 2, 2), "lte": (19, 101, 7, 7)}
#: monitoring/status SimStatus (1 valid, 255 none; a locked SIM is "not valid": the PIN shows in pin/status)
SIM_STATUS = {"ready": 1, "pin": 0, "puk": 0, "absent": 255}
#: /api/pin/status SimState (257 ready, 260 PIN required, 261 PUK required, 255 no SIM)
SIM_STATE = {"ready": 257, "pin": 260, "puk": 261, "absent": 255}
_MAX_TOKENS = 1000
_MAX_BODY = 64 * 1024


def _dbm(value: object) -> str:
    return f"{value}dBm"


class StickRequest(NamedTuple):
    """One request the virtual stick answered."""

    method: str
    path: str
    token_sent: bool
    cookie_sent: bool
    at: float


def response_xml(items: list[tuple[str, object]]) -> str:
    """``<?xml ...?><response><Name>value</Name>...</response>`` with values escaped."""
    inner = "".join(f"<{name}>{escape('' if value is None else str(value))}</{name}>\n" for name, value in items)
    return f"{XML_HEAD}<response>\n{inner}</response>\n"


def error_xml(code: int, message: str = "") -> str:
    return f"{XML_HEAD}<error>\n<code>{code}</code>\n<message>{escape(message)}</message>\n</error>\n"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    stick: VirtualHiLinkStick

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)   # skip HTTPServer's getfqdn (a DNS lookup)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "WebServer"
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base class name
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer("GET", b"")

    def do_POST(self) -> None:  # noqa: N802
        try:
            length = max(0, min(int(self.headers.get("Content-Length") or 0), _MAX_BODY))
        except ValueError:
            length = 0
        self._answer("POST", self.rfile.read(length) if length else b"")

    def _answer(self, method: str, body: bytes) -> None:
        cookie = self.headers.get("Cookie") or ""
        token = self.headers.get("__RequestVerificationToken") or ""
        text = self.server.stick.handle(method, self.path, cookie, token, body)
        data = text.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        if method == "POST":   # every POST's answer hands back a fresh single-use token, as real sticks do
            for name, value in self.server.stick.handed_out().items():
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.write(data)


def _request_fields(body: bytes) -> dict[str, str] | None:
    """A ``<request>``'s child elements (None for a body that is not XML)."""
    try:
        return {child.tag: (child.text or "").strip() for child in ET.fromstring(body)}
    except Exception:  # noqa: BLE001 - any body that is not XML is a format error
        return None


#: what a stick with a web UI password answers 100003 (no rights) to until the session logs in
LOGIN_NEEDED = frozenset({"/api/device/information", "/api/net/net-mode", "/api/dialup/dial", "/api/pin/operate"})


def _session_of(cookie: str) -> str:
    for part in cookie.split(";"):
        name, _, value = part.strip().partition("=")
        if name == "SessionID":
            return value
    return ""


class VirtualHiLinkStick:
    """A HiLink stick's API on ``http://127.0.0.1:<free port>``, modelled from ``spec.network``.

    Before registration (``register_after`` s after ``started_at``, a ``time.monotonic()`` value)
    it shows ServiceStatus 1 / ConnectionStatus 900; after it ServiceStatus 2 and ConnectionStatus
    902 until ``/api/dialup/dial`` Action 1 (901 ``dial_delay`` s later), or 901 by itself when
    ``auto_connect``. ``denied``: ServiceStatus 1 / 902 forever; ``searching``: 1 / 900 forever.
    SIM ``pin``: SimStatus 260, ``puk``: 261, ``absent``: 0. ``requests`` logs what was asked.
    """

    def __init__(self, spec: VirtualSpec, started_at: float | None = None, *, dial_delay: float = 0.0,
                 auto_connect: bool = False) -> None:
        self.spec = spec
        self.net: NetworkModel = spec.network
        self.started_at = time.monotonic() if started_at is None else started_at
        self.dial_delay = dial_delay
        self.auto_connect = auto_connect
        self.requests: list[StickRequest] = []
        self._lock = threading.Lock()
        self._tokens: dict[str, str] = {}      # token -> session it was issued with
        self._hand_out: dict[str, str] = {}    # header -> tokens for the answer being sent
        self.logged_in: set[str] = set()       # sessions that logged in
        self.sim = self.net.sim                # ready / pin / puk / absent: a right PIN makes it ready
        self.pin_tries = 3
        self._dial_at: float | None = None
        #: the stick's network function carries traffic (dialled) or not: the lab's link follows it
        self.data_link: Callable[[bool], None] | None = None
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.stick = self
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name=f"virtual-hilink-{self.port}", daemon=True)
        self._thread.start()
        self._closed = False

    def __enter__(self) -> VirtualHiLinkStick:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop answering: later connections are refused."""
        if self._closed:
            return
        self._closed = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=2.0)

    # -- the network -----------------------------------------------------------------------
    @property
    def sim_ready(self) -> bool:
        return self.sim == "ready"

    def registered_at(self) -> float | None:
        """When the stick gets (got) service, or None if it never does."""
        if self.sim_ready and self.net.registration in ("home", "roaming"):
            return self.started_at + self.net.register_after
        return None

    def handed_out(self) -> dict[str, str]:
        with self._lock:
            out, self._hand_out = self._hand_out, {}
        return out

    def _issue(self, session: str, count: int = 1) -> list[str]:
        tokens = [secrets.token_hex(16) for _ in range(count)]
        with self._lock:
            for token in tokens:
                self._tokens[token] = session
            while len(self._tokens) > _MAX_TOKENS:
                self._tokens.pop(next(iter(self._tokens)))
        return tokens

    def registered(self) -> bool:
        at = self.registered_at()
        return at is not None and time.monotonic() >= at

    def service_status(self) -> int:
        return 2 if self.registered() else 1

    def connection_status(self) -> int:
        if not self.sim_ready or self.net.registration == "denied":
            return 902
        at = self.registered_at()
        now = time.monotonic()
        if at is None or now < at:
            return 900
        with self._lock:
            dial_at = self._dial_at
        if dial_at is None and not self.auto_connect:
            return 902
        ready_at = max(at, dial_at if dial_at is not None else at) + self.dial_delay
        return 901 if now >= ready_at else 900

    def rssi_dbm(self) -> int | None:
        csq = self.net.csq
        return -113 + 2 * csq if 0 <= csq <= 31 else None

    def signal_icon(self) -> int:
        csq = self.net.csq
        return 0 if not self.registered() or not 0 <= csq <= 31 else min(5, (csq + 5) // 6)

    def _types(self) -> tuple[int, int, int, int]:
        return NETWORK_TYPES.get(self.net.technology, (0, 0, 0, 0)) if self.registered() else (0, 0, 0, 0)

    # -- requests --------------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, cookie: str, token: str, body: bytes) -> str:
        """The XML answer to one request (HTTP-free, so it can be called directly)."""
        path = urlsplit(raw_path).path
        with self._lock:
            self.requests.append(StickRequest(method, path, bool(token), bool(cookie), time.monotonic()))
        session = _session_of(cookie)
        needs_login = bool(self.net.login_password) and session not in self.logged_in
        if method == "GET":
            answer = {"/api/webserver/SesTokInfo": self._ses_tok_info,
                      "/api/monitoring/status": self._status,
                      "/api/net/current-plmn": self._current_plmn,
                      "/api/device/signal": self._signal,
                      "/api/user/state-login": lambda: self._state_login(session),
                      "/api/pin/status": self._pin_status,
                      "/api/net/net-mode": self._net_mode,
                      "/api/device/information": self._information}.get(path)
            if answer is not None and needs_login and path in LOGIN_NEEDED:
                return error_xml(100003)
            return answer() if answer else error_xml(100002)
        post = {"/api/dialup/dial": self._dial, "/api/user/login": lambda b: self._login(b, session, token),
                "/api/pin/operate": self._pin_operate}.get(path)
        if method == "POST" and post is not None:
            refused = self._check_token(cookie, token)
            if refused:
                return refused
            self._hand_out = {"__RequestVerificationToken": self._issue(session)[0]}
            return error_xml(100003) if needs_login and path in LOGIN_NEEDED else post(body)
        return error_xml(100002)

    def _ses_tok_info(self) -> str:
        session = secrets.token_hex(64)
        return response_xml([("SesInfo", f"SessionID={session}"), ("TokInfo", self._issue(session)[0])])

    def _state_login(self, session: str) -> str:
        state = 0 if not self.net.login_password or session in self.logged_in else -1
        return response_xml([("State", state), ("Username", "admin" if state == 0 else ""), ("password_type", 4),
                             ("extern_password_type", 0), ("firstlogin", 0)])

    def _login(self, body: bytes, session: str, token: str) -> str:
        """``password_type`` 4: the stick checks base64(sha256hex(user + base64(sha256hex(pw)) + token))."""
        request = _request_fields(body)
        if request is None:
            return error_xml(100005)
        def digest(text: str) -> str:   # written here from the web UI's formula, not taken from the client
            return base64.b64encode(hashlib.sha256(text.encode()).hexdigest().encode()).decode()
        wanted = digest(request.get("Username", "") + digest(self.net.login_password) + token)
        if request.get("Username") != "admin" or request.get("Password") != wanted:
            return error_xml(108006)
        with self._lock:
            self.logged_in.add(session)
        one, two = self._issue(session, 2)
        self._hand_out = {"__RequestVerificationTokenone": one, "__RequestVerificationTokentwo": two}
        return f"{XML_HEAD}<response>OK</response>\n"

    def _pin_status(self) -> str:
        return response_xml([("SimState", SIM_STATE.get(self.sim, 255)), ("PinOptState", 258),
                             ("SimPinTimes", self.pin_tries), ("SimPukTimes", 10)])

    def _pin_operate(self, body: bytes) -> str:
        request = _request_fields(body)
        if request is None or request.get("OperateType") != "0":
            return error_xml(100005 if request is None else 100006)
        if self.sim != "pin":
            return error_xml(103002)
        if request.get("CurrentPin") != self.net.sim_pin:
            self.pin_tries -= 1
            self.sim = "puk" if self.pin_tries <= 0 else "pin"
            return error_xml(103002)
        self.sim, self.started_at = "ready", time.monotonic()   # registers from now on
        return f"{XML_HEAD}<response>OK</response>\n"

    def _net_mode(self) -> str:
        return response_xml([("NetworkMode", "00"), ("NetworkBand", "3FFFFFFF"), ("LTEBand", "7FFFFFFFFFFFFFFF")])

    def _check_token(self, cookie: str, token: str) -> str | None:
        """None when the token is one the stick issued and not used yet (it is used up now)."""
        with self._lock:
            session = self._tokens.pop(token, None) if token else None
        if session is None:
            return error_xml(125003)
        if _session_of(cookie) != session:
            return error_xml(125002)
        return None

    def _dial(self, body: bytes) -> str:
        request = _request_fields(body)
        if request is None:
            return error_xml(100005)
        action = request.get("Action", "")
        if action not in ("0", "1"):
            return error_xml(100006)
        with self._lock:
            self._dial_at = time.monotonic() if action == "1" else None
        if self.data_link is not None:
            self.data_link(action == "1")
        return f"{XML_HEAD}<response>OK</response>\n"

    def _status(self) -> str:
        connection = self.connection_status()
        network_type, network_type_ex, _, _ = self._types()
        roaming = 1 if self.registered() and self.net.registration == "roaming" else 0
        connected = connection == 901
        return response_xml([
            ("ConnectionStatus", connection), ("WifiConnectionStatus", ""), ("SignalStrength", ""),
            ("SignalIcon", self.signal_icon()), ("CurrentNetworkType", network_type),
            ("CurrentServiceDomain", 3 if self.registered() else 0), ("RoamingStatus", roaming),
            ("BatteryStatus", ""), ("BatteryLevel", ""), ("BatteryPercent", ""), ("simlockStatus", 0),
            ("PrimaryDns", "10.74.210.210" if connected else ""),
            ("SecondaryDns", "10.74.210.211" if connected else ""),
            ("WanIPAddress", "10.64.64.64" if connected else ""),
            ("PrimaryIPv6Dns", ""), ("SecondaryIPv6Dns", ""), ("WanIPv6Address", ""),
            ("CurrentWifiUser", ""), ("TotalWifiUser", ""), ("currenttotalwifiuser", 0),
            ("ServiceStatus", self.service_status()), ("SimStatus", SIM_STATUS.get(self.sim, 255)),
            ("WifiStatus", ""), ("CurrentNetworkTypeEx", network_type_ex), ("maxsignal", 5),
            ("wifiindooronly", 0), ("wififrequence", 0), ("classify", "hilink"), ("flymode", 0),
            ("cellroam", 1), ("usbup", 0),
        ])

    def _current_plmn(self) -> str:
        if not self.registered():
            return response_xml([("State", ""), ("FullName", ""), ("ShortName", ""), ("Numeric", ""),
                                 ("Rat", "")])
        return response_xml([("State", 0), ("FullName", self.net.operator), ("ShortName", self.net.operator),
                             ("Numeric", self.net.mcc_mnc), ("Rat", self._types()[2])])

    def _signal(self) -> str:
        rssi = self.rssi_dbm() if self.registered() else None
        mode = self._types()[3]
        lte = rssi is not None and mode == 7
        umts = rssi is not None and mode == 2
        return response_xml([
            ("pci", 256 if lte else ""), ("sc", 117 if umts else ""),
            ("cell_id", 20358145 if rssi is not None else ""),
            ("rsrq", "-9.0dB" if lte else ""), ("rsrp", _dbm(rssi - 30) if lte and rssi is not None else ""),
            ("rssi", _dbm(rssi) if rssi is not None else ""), ("sinr", "12dB" if lte else ""),
            ("rscp", _dbm(rssi - 5) if umts and rssi is not None else ""), ("ecio", "-6dB" if umts else ""),
            ("mode", mode if rssi is not None else ""),
        ])

    def _information(self) -> str:
        imsi = (self.net.mcc_mnc + "0" * 15)[:14] + "1"
        return response_xml([
            ("DeviceName", self.spec.model or "E3372"), ("SerialNumber", "VIRTUAL" + self.spec.imei[-8:]),
            ("Imei", self.spec.imei), ("Imsi", imsi if self.sim != "absent" else ""),
            ("Iccid", "89000000000000000001" if self.sim != "absent" else ""), ("Msisdn", ""),
            ("HardwareVersion", "CL2E3372HM"), ("SoftwareVersion", self.spec.revision),
            ("WebUIVersion", "17.100.00.00.000 (hilkit virtual)"), ("MacAddress1", "00:1E:10:1F:00:00"),
            ("MacAddress2", ""), ("ProductFamily", "LTE"), ("Classify", "hilink"), ("supportmode", "LTE|WCDMA|GSM"),
            ("workmode", {7: "LTE", 2: "WCDMA", 0: "GSM"}.get(self._types()[3], "") if self.registered() else ""),
        ])
