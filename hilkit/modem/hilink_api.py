"""Network attach through a HiLink stick's web API (router-mode Huawei sticks, 12d1:14db/14dc).

:class:`HiLinkClient` speaks the XML API as real clients do: a session cookie (``SessionID``, from
``/api/webserver/SesTokInfo`` or the stick's ``Set-Cookie``) on every call, and a single-use CSRF
token (``__RequestVerificationToken``) on every POST, taken from the pool the stick hands back in
its answers' headers (``__RequestVerificationToken``, ``...one``/``...two`` after a login, several
joined by ``#``), else from SesTokInfo. A stick that asks for a login (error 100003) is logged in
with the web UI's own password hash (``password_type`` 4); a SIM that asks for its PIN gets it
through ``/api/pin/operate``. Any answer that is not a usable ``<response>`` (an ``<error>``
code, an HTTP error, no connection, a body that is not XML) raises :class:`HiLinkError`, one line
naming the URL. Every raw answer is kept (``client.answers``, path -> text, tokens masked).

:class:`HiLinkAttachChecker` polls ``/api/monitoring/status`` with a deadline until the SIM is
ready, the stick has service and (when the profile asks for packet attach) ``ConnectionStatus``
is 901, dialling once with ``/api/dialup/dial`` if the stick sits disconnected.
"""
from __future__ import annotations

import http.client
import threading
import time
import xml.etree.ElementTree as ET
from collections import deque
from typing import Any
from xml.sax.saxutils import escape

import requests

from hilkit.core.errors import Category, WaitTimeout
from hilkit.core.identity import FirmwareIdentity, imei_tac, mask_imei
from hilkit.core.profile import AttachSpec
from hilkit.core.secrecy import Secrets
from hilkit.modem.attach import AttachChecker, AttachResult
from hilkit.modem.hilink_answers import (  # noqa: F401 - the answers' names, as this module had them
    _SIM_FINAL,
    CONNECTION_STATUS,
    CURRENT_PLMN,
    DIAL,
    DIAL_CONNECT,
    ERROR_CODES,
    INFORMATION,
    LOGIN,
    NET_MODE,
    NETWORK_TYPE,
    NETWORK_TYPE_EX,
    PIN_OPERATE,
    PIN_STATUS,
    SERVICE_STATUS,
    SES_TOK_INFO,
    SIGNAL,
    SIM_STATE,
    SIM_STATUS,
    STATE_LOGIN,
    STATUS,
    HiLinkError,
    _int,
    _mask,
    _one_line,
    _reason,
    attach_from_answers,
    describe_status,
    fields,
    login_password,
    network_technology,
    parse_dbm,
    parse_response,
    sim_from_pin_status,
    sim_state,
)


class HiLinkClient:
    """Calls to a HiLink stick's XML API at ``base_url`` (``http://192.168.8.1`` on a rig).

    ``user``/``password``: the web UI's login, used when the stick answers 100003 (no rights).
    """

    def __init__(self, base_url: str, timeout: float = 5.0, user: str = "admin", password: str = "") -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.user, self.password = user, password
        self.session = requests.Session()
        self.session.trust_env = False   # never send the stick's traffic to an HTTP proxy
        self.tokens: deque[str] = deque()   # single-use CSRF tokens the stick handed out, oldest first
        self.logged_in = False
        #: the last raw answer per path (tokens, IMSI, ICCID, MSISDN masked), for the report
        self.answers: dict[str, str] = {}
        #: (monotonic time, method, path, masked answer) of the last 500 calls
        self.history: deque[tuple[float, str, str, str]] = deque(maxlen=500)

    def __enter__(self) -> HiLinkClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def _request(self, method: str, path: str, headers: dict[str, str] | None = None,
                 data: bytes | None = None) -> ET.Element:
        url = self.base_url + path
        try:
            response = self.session.request(method, url, headers=headers, data=data, timeout=self.timeout,
                                            allow_redirects=False)
            body = response.content
        except requests.Timeout:
            raise HiLinkError(f"{method} {url}: no answer within {self.timeout:.1f} s",
                              url=url, kind="connection") from None
        except requests.ConnectionError as exc:
            raise HiLinkError(f"{method} {url}: cannot connect ({_reason(exc)})", url=url, kind="connection") from None
        except (requests.RequestException, http.client.HTTPException, OSError, ValueError) as exc:
            raise HiLinkError(f"{method} {url}: request failed ({type(exc).__name__}: {_reason(exc)})",
                              url=url, kind="connection") from None
        self._take_tokens(response.headers)
        text = _mask(body.decode("utf-8", "replace"))
        self.answers[path] = text
        self.history.append((time.monotonic(), method, path, text))
        if not 200 <= response.status_code < 300:
            extra = f" to {response.headers.get('Location')}" if response.headers.get("Location") else ""
            raise HiLinkError(f"{method} {url}: HTTP {response.status_code} {response.reason or ''}{extra}",
                              url=url, kind="http")
        return parse_response(body, f"{method} {url}")

    def _take_tokens(self, headers: Any) -> None:
        """The tokens an answer hands back; a login's ``one``/``two`` replace the pool."""
        fresh = [headers.get(f"__RequestVerificationToken{suffix}") for suffix in ("one", "two")]
        if any(fresh):
            self.tokens.clear()
        for value in [*fresh, headers.get("__RequestVerificationToken")]:
            for token in (value or "").split("#"):
                if token.strip() and token.strip() not in self.tokens:
                    self.tokens.append(token.strip())

    def new_session(self) -> None:
        """A fresh session id (the cookie) and token from SesTokInfo."""
        answer = fields(self._request("GET", SES_TOK_INFO))
        session, token = answer.get("SesInfo", ""), answer.get("TokInfo", "")
        if not session or not token:
            raise HiLinkError(f"GET {self.base_url}{SES_TOK_INFO}: no SesInfo/TokInfo in the answer",
                              url=self.base_url + SES_TOK_INFO, kind="xml")
        # SesInfo is "SessionID=<id>" on most firmware, the bare id on some
        value = session.split("=", 1)[1] if session.startswith("SessionID=") else session
        self.session.cookies.set("SessionID", value)
        self.tokens.clear()
        self.tokens.append(token)

    def token(self) -> tuple[str, str]:
        """``("SessionID=...", token)``: the session cookie and a token, fetched when none is left."""
        if not self.tokens or "SessionID" not in self.session.cookies:
            self.new_session()
        return f"SessionID={self.session.cookies.get('SessionID')}", self.tokens[0]

    def _call(self, method: str, path: str, xml_body: str = "", retried: bool = False) -> ET.Element:
        if "SessionID" not in self.session.cookies:
            self.new_session()
        headers: dict[str, str] = {}
        if method == "POST":
            self.token()
            headers = {"__RequestVerificationToken": self.tokens.popleft(),
                       "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}
        try:
            return self._request(method, path, headers, xml_body.encode("utf-8") if method == "POST" else None)
        except HiLinkError as exc:
            if retried or exc.kind != "api":
                raise
            if exc.code in (125001, 125002, 125003):   # a stale session or token: start over once
                self.new_session()
            elif exc.code == 100003 and self.password and not self.logged_in and path != LOGIN:
                self.login()
            else:
                raise
            return self._call(method, path, xml_body, retried=True)

    def get(self, path: str) -> ET.Element:
        """GET ``path`` in the session; the ``<response>`` element."""
        return self._call("GET", path)

    def post(self, path: str, xml_body: str) -> ET.Element:
        """POST ``xml_body`` to ``path`` with a single-use token; the ``<response>`` element."""
        return self._call("POST", path, xml_body)

    def login(self) -> None:
        """Log in to the web UI as the stick's own page does (``password_type`` 4, else 0)."""
        state = fields(self.get(STATE_LOGIN))
        if state.get("State") == "0":
            self.logged_in = True
            return
        if state.get("extern_password_type") == "1":
            raise HiLinkError(f"{self.base_url}{LOGIN}: this firmware logs in with SCRAM (extern_password_type 1), "
                              "which hilkit does not speak yet", url=self.base_url + LOGIN, kind="api")
        password_type = _int(state.get("password_type")) or 0
        self.token()
        token = self.tokens[0]
        secret = login_password(self.user, self.password, token, password_type)
        body = (f'<?xml version="1.0" encoding="UTF-8"?><request><Username>{escape(self.user)}</Username>'
                f"<Password>{secret}</Password><password_type>{password_type}</password_type></request>")
        self._call("POST", LOGIN, body, retried=True)
        self.logged_in = True

    def enter_pin(self, pin: str) -> None:
        """``/api/pin/operate`` OperateType 0 (verify) with the SIM's PIN."""
        self.post(PIN_OPERATE, f'<?xml version="1.0" encoding="UTF-8"?><request><OperateType>0</OperateType>'
                               f"<CurrentPin>{escape(pin)}</CurrentPin><NewPin></NewPin><PukCode></PukCode></request>")


class HiLinkAttachChecker(AttachChecker):
    """Attach as a HiLink stick shows it: SimStatus 1, ServiceStatus 2, ConnectionStatus 901.

    A SIM that is absent, or asks for a PIN/PUK, is reported in ``result.sim`` at once. A stick
    that does not answer at all is retried until the deadline (it may still be booting); an
    ``<error>`` or garbage answer raises :class:`HiLinkError` at once.
    """

    def __init__(self, client: HiLinkClient, spec: AttachSpec, poll_interval: float = 0.1,
                 secrets: Secrets | None = None) -> None:
        self.client = client
        self.spec = spec
        self.poll_interval = poll_interval
        self.secrets = secrets or Secrets()
        self._wake = threading.Event()
        self._pin_sent = False

    def _sim(self, status: dict[str, str]) -> str:
        """The SIM's state: SimStatus 1 is ready; any other is read from /api/pin/status (SimState), as
        the stick's web UI does, and a SIM asking for its PIN gets it once (when the profile names it)."""
        sim = sim_state(status.get("SimStatus"))
        if sim in ("ready", "unknown"):
            return sim
        try:
            locked = sim_from_pin_status(fields(self.client.get(PIN_STATUS)))
        except HiLinkError as exc:
            if exc.kind == "connection":
                raise
            return sim   # firmware without /api/pin/status: SimStatus is all there is
        if locked == "pin" and not self._pin_sent:
            pin = self.secrets.get(self.spec.sim_pin_env)
            if pin:
                self._pin_sent = True   # never twice: a wrong PIN costs one of the SIM's tries
                try:
                    self.client.enter_pin(pin)
                except HiLinkError as exc:
                    if exc.code != 103002:
                        raise
                    return "pin rejected"   # a SIM error in the result, and no second try
                return "unknown"        # the stick registers now: keep polling
        return locked if locked != "unknown" else "unknown"

    def _expected(self) -> str:
        wanted = "SimStatus 1 (SIM ready), ServiceStatus 2 (service available)"
        if self.spec.packet_attach:
            wanted += " and ConnectionStatus 901 (connected)"
        return wanted + f" from {self.client.base_url}{STATUS}"

    def run(self, timeout: float) -> AttachResult:
        """Poll until attached (or the SIM is known to be unusable) within ``timeout`` seconds."""
        start = time.monotonic()
        deadline = start + timeout
        dialled = False
        last: dict[str, str] | None = None
        last_error = ""
        while True:
            try:
                status = fields(self.client.get(STATUS))
                last, last_error = status, ""
            except HiLinkError as exc:
                if exc.kind != "connection":
                    raise
                status, last_error = None, str(exc)
            if status is not None:
                sim = self._sim(status)
                if sim in _SIM_FINAL:
                    return self._finish(status, start, registered=False, sim=sim)
                if sim == "ready" and _int(status.get("ServiceStatus")) == 2:
                    connection = _int(status.get("ConnectionStatus"))
                    if not self.spec.packet_attach or connection == 901:
                        return self._finish(status, start, registered=True)
                    if connection == 902 and not dialled:
                        self.client.post(DIAL, DIAL_CONNECT)
                        dialled = True
                        continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = describe_status(last) if last is not None else "no status answer"
                if dialled:
                    seen += f"; dial ({DIAL}, Action 1) sent once"
                if last_error:
                    seen += f"; last call: {last_error}"
                raise WaitTimeout(self._expected(), seen, timeout, category=Category.NOT_REGISTERED)
            self._wake.wait(min(self.poll_interval, remaining))

    def _optional(self, path: str) -> dict[str, str]:
        """An answer that only adds detail: a failure is noted in the evidence, not raised."""
        try:
            return fields(self.client.get(path))
        except HiLinkError as exc:
            self.client.answers.setdefault(path, f"(no answer: {exc})")
            return {}

    def _finish(self, status: dict[str, str], start: float, registered: bool, sim: str = "") -> AttachResult:
        elapsed = time.monotonic() - start
        plmn = self._optional(CURRENT_PLMN) if registered else {}
        signal = self._optional(SIGNAL) if registered else {}
        information = self._optional(INFORMATION) if registered else {}
        if registered:
            self._optional(NET_MODE)   # the mode and bands the stick is set to, for the report
        result = attach_from_answers(status, plmn, signal)
        if information:
            result.identity = FirmwareIdentity("Huawei", information.get("DeviceName", ""),
                                               information.get("SoftwareVersion", ""),
                                               imei_tac(information.get("Imei", "")), "HiLink device/information",
                                               imei=information.get("Imei", ""))
        if sim:
            result.sim = sim
        result.time_to_attach = elapsed
        imei = information.get("Imei", "")
        result.evidence = {path: mask_imei(text, imei) for path, text in self.client.answers.items()
                           if path != SES_TOK_INFO}
        return result
