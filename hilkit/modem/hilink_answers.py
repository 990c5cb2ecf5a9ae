"""HiLink API answers: the XML a router-mode Huawei stick sends, its error codes and status codes,
and what they say about attach. Pure: text in, values out (:class:`HiLinkError` for an answer that
is no usable ``<response>``). The client that asks is :mod:`hilkit.modem.hilink_api`.
"""
from __future__ import annotations

import base64
import hashlib
import re
import xml.etree.ElementTree as ET

from hilkit.core.errors import ModemError
from hilkit.modem.attach import AttachResult

SES_TOK_INFO = "/api/webserver/SesTokInfo"
STATUS = "/api/monitoring/status"
CURRENT_PLMN = "/api/net/current-plmn"
SIGNAL = "/api/device/signal"
INFORMATION = "/api/device/information"
DIAL = "/api/dialup/dial"
DIAL_CONNECT = '<?xml version="1.0" encoding="UTF-8"?><request><Action>1</Action></request>'
DIAL_DISCONNECT = '<?xml version="1.0" encoding="UTF-8"?><request><Action>0</Action></request>'
STATE_LOGIN = "/api/user/state-login"
LOGIN = "/api/user/login"
PIN_STATUS = "/api/pin/status"
PIN_OPERATE = "/api/pin/operate"
NET_MODE = "/api/net/net-mode"

#: what the ``<code>`` of an ``<error>`` answer means: the E3372h web UI's main.js, huawei-lte-api's
#: enums and lkwg82/e3372-controller's ERROR_CODE (cited per code in fixtures/hilink/captured/README.md)
ERROR_CODES: dict[int, str] = {
    -1: "default error",
    100001: "unknown error",
    100002: "not supported (this firmware has no such API)",
    100003: "no rights (log in first)",
    100004: "system busy",
    100005: "format error in the request",
    100006: "parameter error",
    100007: "could not save the configuration",
    100008: "safety error",
    100009: "not enough space",
    101001: "no SIM card or SIM card invalid",
    101002: "SIM card PIN locked",
    101003: "SIM card PUK locked",
    101004: "SIM card unusable",
    103002: "PIN validation failed",
    103008: "SIM card busy",
    108001: "login failed: no such user",
    108002: "login failed: password error",
    108003: "login failed: already logged in",
    108004: "could not change the password",
    108005: "login failed: too many users logged in",
    108006: "login failed: username or password wrong",
    108007: "login failed: too many logins (locked out for a while)",
    108009: "login failed: already logged in from another client",
    111019: "network error: the network did not answer",
    111020: "network error: the network timed out",
    111022: "USSD not supported by the network",
    112003: "setting the network mode and band failed",
    112005: "network registration failed",
    112007: "the current network mode is not supported",
    112008: "SIM card not ready",
    113018: "SMS timeout",
    120001: "voice busy",
    125001: "wrong token (__RequestVerificationToken)",
    125002: "wrong session (SessionID cookie)",
    125003: "wrong session/token (a token is single-use: fetch a new one from SesTokInfo)",
}

CONNECTION_STATUS = {900: "connecting", 901: "connected", 902: "disconnected", 903: "disconnecting"}
SERVICE_STATUS = {0: "no service", 1: "restricted service", 2: "service available",
                  3: "restricted regional service", 4: "power saving"}
#: monitoring/status SimStatus -> AttachResult.sim: 1 is a valid SIM, 255 none; the others say the SIM
#: is not usable without saying why, so the checker asks /api/pin/status (SimState) before it judges.
#: ``unknown`` (missing, booting) keeps the checker polling.
SIM_STATUS = {0: "error", 1: "ready", 2: "error", 3: "error", 4: "error", 240: "error", 255: "absent"}
#: /api/pin/status SimState -> AttachResult.sim (the web UI's own reading: 257 ready, 260 PIN, 261 PUK)
SIM_STATE = {255: "absent", 256: "error", 257: "ready", 258: "ready", 259: "unknown", 260: "pin", 261: "puk"}
_SIM_FINAL = frozenset({"absent", "pin", "puk", "error", "pin rejected"})

#: CurrentNetworkTypeEx -> technology (AttachResult / 27.007 AcT vocabulary; HSPA+ counts as hspa)
NETWORK_TYPE_EX = {1: "gsm", 2: "gsm", 3: "edge", 41: "umts", 42: "hsdpa", 43: "hsupa", 44: "hspa",
                   45: "hspa", 46: "hspa", 61: "umts", 62: "hsdpa", 63: "hsupa", 64: "hspa", 65: "hspa",
                   101: "lte", 1011: "lte"}
#: the older CurrentNetworkType codes
NETWORK_TYPE = {1: "gsm", 2: "gsm", 3: "edge", 4: "umts", 5: "hsdpa", 6: "hsupa", 7: "hspa", 8: "umts",
                9: "hspa", 17: "hspa", 18: "hspa", 19: "lte", 41: "umts", 44: "hspa", 45: "hspa", 46: "hspa",
                64: "hspa", 65: "hspa", 101: "lte", 1011: "lte"}

_MASKED = ("SesInfo", "TokInfo", "Imsi", "Iccid", "Msisdn")
_MASK_RE = re.compile(rf"<({'|'.join(_MASKED)})>[^<]*</\1>")
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
_ERRNO = re.compile(r"\[Errno -?\d+\]\s*([^'\")\]]+)")


class HiLinkError(ModemError):
    """A HiLink API call that gave no usable answer; prints as one line naming the URL.

    ``kind``: ``connection`` (no answer at all), ``http`` (HTTP status not 2xx), ``xml`` (the body
    is not a HiLink XML answer) or ``api`` (an ``<error>`` answer: ``code`` and ``meaning`` set).
    """

    def __init__(self, message: str, *, url: str = "", code: int | None = None, kind: str = "api") -> None:
        self.url = url
        self.code = code
        self.kind = kind
        self.meaning = ERROR_CODES.get(code, "") if code is not None else ""
        super().__init__(" ".join(str(message).split()))


def _one_line(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "..."


def parse_response(body: bytes | str, url: str = "") -> ET.Element:
    """The ``<response>`` element of a HiLink answer; anything else raises :class:`HiLinkError`.

    An ``<error><code>N</code>`` answer raises with ``code`` N and its meaning; a body that is
    empty, not XML, carries a DTD, or has another root raises a ``kind="xml"`` error.
    """
    where = f"{url}: " if url else ""
    data = body.encode("utf-8", "replace") if isinstance(body, str) else bytes(body)
    if not data.strip():
        raise HiLinkError(f"{where}empty answer (expected HiLink XML)", url=url, kind="xml")
    upper = data.upper()
    if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
        raise HiLinkError(f"{where}answer carries a DTD, refused (HiLink XML never has one)", url=url, kind="xml")
    preview = _one_line(data[:120].decode("utf-8", "replace"), 60)
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise HiLinkError(f"{where}answer is not XML ({exc}): {preview!r}", url=url, kind="xml") from None
    except Exception as exc:  # noqa: BLE001 - expat can raise others on exotic encodings; all mean garbage
        raise HiLinkError(f"{where}answer is not XML ({type(exc).__name__}): {preview!r}",
                          url=url, kind="xml") from None
    if root.tag == "error":
        raw_code = (root.findtext("code") or "").strip()
        try:
            code = int(raw_code)
        except ValueError:
            raise HiLinkError(f"{where}<error> answer without a numeric code ({_one_line(raw_code, 40)!r})",
                              url=url, kind="xml") from None
        meaning = ERROR_CODES.get(code, "unknown error code")
        message = _one_line(root.findtext("message") or "", 80)
        raise HiLinkError(f"{where}HiLink error {code}: {meaning}" + (f" ({message})" if message else ""),
                          url=url, code=code, kind="api")
    if root.tag != "response":
        raise HiLinkError(f"{where}unexpected XML root <{_one_line(str(root.tag), 40)}> "
                          "(expected <response> or <error>)", url=url, kind="xml")
    return root


def fields(element: ET.Element) -> dict[str, str]:
    """Child tag -> stripped text of a flat ``<response>`` (the first of repeated tags wins)."""
    out: dict[str, str] = {}
    for child in element:
        if isinstance(child.tag, str):
            out.setdefault(child.tag, (child.text or "").strip())
    return out


def _int(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None


def parse_dbm(text: str | None) -> float | None:
    """``-67dBm`` / ``>=-51dBm`` / ``-8.0dB`` -> the number; empty or unknown -> None."""
    match = _NUMBER.search(text or "")
    return float(match.group(0)) if match else None


def sim_state(sim_status: str | None) -> str:
    """``SimStatus`` -> ready / pin / puk / absent / error / unknown."""
    code = _int(sim_status)
    return SIM_STATUS.get(code, "unknown") if code is not None else "unknown"


def network_technology(status: dict[str, str]) -> str:
    """``CurrentNetworkTypeEx`` (preferred) or ``CurrentNetworkType`` -> gsm / edge / umts / ... / lte."""
    ex = _int(status.get("CurrentNetworkTypeEx"))
    if ex in NETWORK_TYPE_EX:
        return NETWORK_TYPE_EX[ex]
    old = _int(status.get("CurrentNetworkType"))
    return NETWORK_TYPE.get(old, "unknown") if old is not None else "unknown"


def _describe(status: dict[str, str], name: str, meanings: dict[int, str]) -> str:
    raw = status.get(name)
    if raw is None:
        return f"{name} missing"
    code = _int(raw)
    meaning = meanings.get(code, "") if code is not None else ""
    return f"{name} {_one_line(raw, 20) or '(empty)'}" + (f" ({meaning})" if meaning else "")


def describe_status(status: dict[str, str]) -> str:
    """``ConnectionStatus 902 (disconnected), ServiceStatus 1 (...), SimStatus 1 (ready)``."""
    return ", ".join((_describe(status, "ConnectionStatus", CONNECTION_STATUS),
                      _describe(status, "ServiceStatus", SERVICE_STATUS),
                      _describe(status, "SimStatus", SIM_STATUS)))


def attach_from_answers(status: dict[str, str], plmn: dict[str, str] | None = None,
                        signal: dict[str, str] | None = None) -> AttachResult:
    """What the status, current-plmn and signal answers (as :func:`fields`) say about attach."""
    plmn = plmn or {}
    signal = signal or {}
    result = AttachResult()
    result.sim = sim_state(status.get("SimStatus"))
    service = _int(status.get("ServiceStatus"))
    if result.sim == "ready" and service == 2:
        result.registration = "roaming" if _int(status.get("RoamingStatus")) == 1 else "home"
    elif result.sim == "ready":
        result.registration = "searching"
    else:
        result.registration = "not registered"
    result.technology = network_technology(status)
    result.packet_attached = _int(status.get("ConnectionStatus")) == 901
    result.operator = plmn.get("FullName") or plmn.get("ShortName") or plmn.get("Numeric") or ""
    rssi = parse_dbm(signal.get("rssi"))
    result.signal_dbm = rssi if rssi is not None else parse_dbm(signal.get("rsrp"))
    icon, top = _int(status.get("SignalIcon")), _int(status.get("maxsignal")) or 5
    if icon is not None and top > 0:
        icon = max(0, min(icon, top))  # a 400-digit SignalIcon would overflow the division
        result.signal_percent = round(icon * 100 / top)
    else:
        strength = _int(status.get("SignalStrength"))
        result.signal_percent = strength if strength is not None and 0 <= strength <= 100 else None
    return result


def _mask(text: str) -> str:
    return _MASK_RE.sub(lambda m: f"<{m.group(1)}>***</{m.group(1)}>", text)


def _reason(exc: BaseException) -> str:
    """The one useful phrase of a requests/urllib3 connection error (``Connection refused``)."""
    text = str(exc)
    match = _ERRNO.search(text)
    if match:
        return match.group(1).strip().rstrip(".,")
    return _one_line(text, 120) or type(exc).__name__




def login_password(user: str, password: str, token: str, password_type: int) -> str:
    """The ``<Password>`` of ``/api/user/login``: type 4 is base64(sha256hex(user + base64(sha256hex(
    password)) + token)), as the stick's own web UI computes it; type 0 is base64(password)."""
    def b64_sha256(text: str) -> str:
        return base64.b64encode(hashlib.sha256(text.encode()).hexdigest().encode()).decode()
    if password_type == 4:
        return b64_sha256(user + b64_sha256(password) + token)
    return base64.b64encode(password.encode()).decode()


def sim_from_pin_status(answer: dict[str, str]) -> str:
    """``/api/pin/status`` -> ready / pin / puk / absent / error / unknown."""
    code = _int(answer.get("SimState"))
    return SIM_STATE.get(code, "unknown") if code is not None else "unknown"
