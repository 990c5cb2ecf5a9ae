"""A HiLink stick's web API, served on 127.0.0.1 for tests and the virtual lab (never 192.168.x).

:class:`VirtualHiLinkStick` answers the endpoints hilkit's HiLink attach checker uses, in the
real API's XML shape, with session ids and single-use tokens from ``/api/webserver/SesTokInfo``.
The network it reports comes from the profile's ``virtual.network`` section (SIM state,
registration after ``register_after`` seconds, technology, operator, CSQ-derived signal).
"""
from __future__ import annotations

import secrets
import socketserver
import threading
import time
import xml.etree.ElementTree as ET
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
SIM_STATUS = {"ready": 1, "pin": 260, "puk": 261, "absent": 0}
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
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.write(data)


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
        self._dial_at: float | None = None
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
        return self.net.sim == "ready"

    def registered_at(self) -> float | None:
        """When the stick gets (got) service, or None if it never does."""
        if self.sim_ready and self.net.registration in ("home", "roaming"):
            return self.started_at + self.net.register_after
        return None

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
        if method == "GET":
            answer = {"/api/webserver/SesTokInfo": self._ses_tok_info,
                      "/api/monitoring/status": self._status,
                      "/api/net/current-plmn": self._current_plmn,
                      "/api/device/signal": self._signal,
                      "/api/device/information": self._information}.get(path)
            return answer() if answer else error_xml(100002)
        if method == "POST" and path == "/api/dialup/dial":
            refused = self._check_token(cookie, token)
            return refused or self._dial(body)
        return error_xml(100002)

    def _ses_tok_info(self) -> str:
        session, token = secrets.token_hex(64), secrets.token_hex(16)
        with self._lock:
            self._tokens[token] = session
            while len(self._tokens) > _MAX_TOKENS:
                self._tokens.pop(next(iter(self._tokens)))
        return response_xml([("SesInfo", f"SessionID={session}"), ("TokInfo", token)])

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
        try:
            action = (ET.fromstring(body).findtext("Action") or "").strip()
        except Exception:  # noqa: BLE001 - any body that is not XML is a format error
            return error_xml(100005)
        if action not in ("0", "1"):
            return error_xml(100006)
        with self._lock:
            self._dial_at = time.monotonic() if action == "1" else None
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
            ("ServiceStatus", self.service_status()), ("SimStatus", SIM_STATUS.get(self.net.sim, 0)),
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
            ("Imei", self.spec.imei), ("Imsi", imsi if self.net.sim != "absent" else ""),
            ("Iccid", "89000000000000000001" if self.net.sim != "absent" else ""), ("Msisdn", ""),
            ("HardwareVersion", "CL2E3372HM"), ("SoftwareVersion", self.spec.revision),
            ("WebUIVersion", "17.100.00.00.000 (hilkit virtual)"), ("MacAddress1", "00:1E:10:1F:00:00"),
            ("MacAddress2", ""), ("ProductFamily", "LTE"), ("Classify", "hilink"), ("supportmode", "LTE|WCDMA|GSM"),
            ("workmode", {7: "LTE", 2: "WCDMA", 0: "GSM"}.get(self._types()[3], "") if self.registered() else ""),
        ])
