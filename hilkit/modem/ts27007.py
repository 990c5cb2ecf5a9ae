"""AT answers as 3GPP TS 27.007 and modem vendors write them: one parser for the checkers, the AT
model's tests and anyone who reads a transcript.

Real modems stray from the standard's examples: hex LAC/TAC/CI quoted or not, spaces after commas,
zero-padded numbers (``+CREG:002,001,...``), a vendor field between LAC and CI, unsolicited forms
(no ``<n>``) sent in reply to a query. Which form a line is, is told by its shape, as
ModemManager's parsers do, not by whether it came as a reply. Tested against answers collected from
ModemManager's, python-gsmmodem's and vintage_net_mobile's own tests (``fixtures/at/``).

Everything here is pure: text in, values out; ``None`` (or :class:`AtParseError`) for what is not
such an answer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from hilkit.modem.cme import CME_ERRORS, CMS_ERRORS, cme_code_of_text


class AtParseError(ValueError):
    """The line is not the answer it was read as (names the answer and the line)."""


#: 27.007 <stat> of +CREG/+CGREG/+CEREG/+C5GREG (7.2, 10.1.20, 10.1.22, 10.1.x)
REG_STATES = {0: "not registered", 1: "home", 2: "searching", 3: "denied", 4: "unknown", 5: "roaming",
              6: "home-sms-only", 7: "roaming-sms-only", 8: "emergency-only", 9: "home-csfb-not-preferred",
              10: "roaming-csfb-not-preferred", 11: "attached-rlos"}
#: registered for service: home (1) or roaming (5); the SMS-only, CSFB-not-preferred and emergency
#: states are registrations a data stick cannot work on, so an attach wait goes on past them
REGISTERED = frozenset({1, 5})
#: 27.007 <AcT> -> ModemManager's access technology names
ACT = {0: "gsm", 1: "gsm", 2: "umts", 3: "edge", 4: "hsdpa", 5: "hsupa", 6: "hspa", 7: "lte", 8: "gsm",
       9: "lte", 10: "lte", 11: "5gnr", 12: "5gnr", 13: "5gnr"}

_REG_PREFIX = re.compile(r"^\+C(5G|E|G)?REG:\s*")
_DECIMAL = re.compile(r"^\d+$")
_HEX = re.compile(r"^[0-9A-Fa-f]+$")


@dataclass(frozen=True)
class Field:
    """One comma-separated field of an answer, as the modem wrote it: quoted ("00D3") or bare
    (00D3 or 211): whether it was quoted decides how a LAC or a name is read."""

    text: str
    quoted: bool

    @property
    def decimal(self) -> int | None:
        return int(self.text) if not self.quoted and _DECIMAL.match(self.text) else None

    @property
    def hex(self) -> int | None:
        return int(self.text, 16) if _HEX.match(self.text) else None


def _fields(text: str) -> list[Field]:
    out = []
    for raw in text.split(","):
        value = raw.strip()
        quoted = len(value) >= 2 and value[0] == value[-1] == '"'
        out.append(Field(value[1:-1].strip() if quoted else value, quoted))
    return out


def _first_line(text: str, prefix: re.Pattern[str]) -> str | None:
    for line in text.replace("\r", "\n").split("\n"):
        if prefix.match(line.strip()):
            return line.strip()
    return None


@dataclass(frozen=True)
class Registration:
    """One +CREG/+CGREG/+CEREG/+C5GREG answer (``command``: CREG, CGREG, CEREG or C5GREG)."""

    command: str
    stat: int
    n: int | None = None          # the reporting mode: only in a reply to ``AT+CxREG?``
    lac: int | None = None        # LAC (CREG/CGREG) or TAC (CEREG/C5GREG)
    ci: int | None = None
    act: int | None = None

    @property
    def state(self) -> str:
        return REG_STATES.get(self.stat, f"stat {self.stat}")

    @property
    def registered(self) -> bool:
        return self.stat in REGISTERED

    @property
    def technology(self) -> str:
        return ACT.get(self.act, "unknown") if self.act is not None else ""


def _is_reply_form(fields: list[Field]) -> bool:
    """``<n>,<stat>,...`` (a reply to the query) rather than ``<stat>,<lac>,...`` (the unsolicited form)?"""
    if len(fields) == 2:
        return True
    if len(fields) < 4:
        return False      # <stat>,<lac>,<ci>: a reply always has both <n> and <stat> before them
    n, second = fields[0].decimal, fields[1]
    if n is None or n > 5 or second.quoted or second.decimal is None or second.decimal > 11:
        return False      # the second field is a LAC (hex, quoted, or past the last <stat>)
    if len(second.text) <= 2:
        return True
    return len(fields[0].text) > 1   # "0001" is a LAC unless the modem zero-pads everything (+CREG:002,001,...)


def _act(field: Field | None) -> int | None:
    value = field.decimal if field is not None else None
    return value if value is not None and value in ACT else None


def parse_registration(text: str) -> Registration | None:
    """The first +CxREG line of ``text`` (solicited or unsolicited, any ``<n>`` form); None if none."""
    line = _first_line(text, _REG_PREFIX)
    if line is None:
        return None
    prefix = _REG_PREFIX.match(line)
    assert prefix is not None
    command = "C" + (prefix.group(1) or "") + "REG"
    fields = _fields(line[prefix.end():])
    if _is_reply_form(fields):
        n, stat, rest = fields[0].decimal, fields[1].decimal, fields[2:]
    else:
        n, stat, rest = None, fields[0].decimal, fields[1:]
    if stat is None:
        return None
    lac = rest[0].hex if rest else None
    ci_field, act_field = (rest[1] if len(rest) > 1 else None), (rest[2] if len(rest) > 2 else None)
    if len(rest) >= 4 and _act(rest[2]) is None and _act(rest[3]) is not None:
        ci_field, act_field = rest[2], rest[3]   # a vendor field (RAC) between LAC and CI
    ci = ci_field.hex if ci_field is not None else None
    return Registration(command, stat, n, lac, ci, _act(act_field))


# -- signal ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Csq:
    rssi: int
    ber: int

    @property
    def dbm(self) -> float | None:
        """0: <= -113 dBm, n: -113 + 2n dBm, 31: >= -51 dBm; 99 (or out of range): unknown."""
        return -113.0 + 2 * self.rssi if 0 <= self.rssi <= 31 else None

    @property
    def percent(self) -> int | None:
        """As ModemManager reports signal quality: rssi * 100 / 31."""
        return round(self.rssi * 100 / 31) if 0 <= self.rssi <= 31 else None


_CSQ = re.compile(r"^\+CSQ:\s*(\d+)\s*,\s*(\d+)\s*$")


def parse_csq(text: str) -> Csq:
    line = _first_line(text, re.compile(r"^\+CSQ"))
    match = _CSQ.match(line or "")
    if not match:
        raise AtParseError(f"not a +CSQ: <rssi>,<ber> answer: {text.strip()!r}")
    return Csq(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True)
class Cesq:
    """+CESQ: <rxlev>,<ber>,<rscp>,<ecno>,<rsrq>,<rsrp> (27.007 8.69); 99/255 are "not known"."""

    rxlev: int
    ber: int
    rscp: int
    ecno: int
    rsrq: int
    rsrp: int

    # the lower bound of each 27.007 interval, as ModemManager converts them
    @property
    def rssi_dbm(self) -> float | None:
        return -111.0 + self.rxlev if self.rxlev <= 63 else None

    @property
    def rscp_dbm(self) -> float | None:
        return -121.0 + self.rscp if self.rscp <= 96 else None

    @property
    def ecio_db(self) -> float | None:
        return -24.5 + self.ecno * 0.5 if self.ecno <= 49 else None

    @property
    def rsrq_db(self) -> float | None:
        return -20.0 + self.rsrq * 0.5 if self.rsrq <= 34 else None

    @property
    def rsrp_dbm(self) -> float | None:
        return -141.0 + self.rsrp if self.rsrp <= 97 else None


_CESQ = re.compile(r"^\+CESQ:\s*" + r"\s*,\s*".join([r"(\d+)"] * 6) + r"\s*$")


def parse_cesq(text: str) -> Cesq:
    line = _first_line(text, re.compile(r"^\+CESQ"))
    match = _CESQ.match(line or "")
    if not match:
        raise AtParseError(f"not a +CESQ answer (six numbers): {text.strip()!r}")
    return Cesq(*(int(g) for g in match.groups()))


# -- SIM -------------------------------------------------------------------------------------
#: +CPIN <code>s (27.007 8.3); longer first, as a prefix match must try them
CPIN_CODES = ("READY", "SIM PIN2", "SIM PUK2", "SIM PIN", "SIM PUK", "PH-NETSUB PIN", "PH-NETSUB PUK",
              "PH-FSIM PIN", "PH-FSIM PUK", "PH-CORP PIN", "PH-CORP PUK", "PH-SIM PIN", "PH-SIM PUK",
              "PH-NET PIN", "PH-NET PUK", "PH-SP PIN", "PH-SP PUK")


def parse_cpin(text: str) -> str:
    """``+CPIN: READY`` / ``+CPIN: "SIM PIN"`` / ``SIM PUK`` (some modems drop the prefix) -> the code."""
    for line in text.replace("\r", "\n").split("\n"):
        value = line.strip()
        if value.startswith("+CPIN:"):
            value = value[len("+CPIN:"):].strip()
        value = value.strip('"').strip()
        code = next((c for c in CPIN_CODES if value.upper().startswith(c)), None)
        if code is not None:
            return code
    raise AtParseError(f"not a +CPIN answer: {text.strip()!r}")


# -- operators -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Operator:
    """+COPS? answer: mode, and (when registered) the operator in its format and the AcT."""

    mode: int
    format: int | None = None
    name: str = ""
    act: int | None = None


def parse_cops(text: str) -> Operator:
    line = _first_line(text, re.compile(r"^\+COPS:"))
    if line is None:
        raise AtParseError(f"not a +COPS answer: {text.strip()!r}")
    fields = _fields(line[len("+COPS:"):])
    mode = fields[0].decimal
    if mode is None:
        raise AtParseError(f"+COPS: <mode> is not a number: {line!r}")
    fmt = fields[1].decimal if len(fields) > 1 else None
    name = fields[2].text if len(fields) > 2 else ""
    return Operator(mode, fmt, name, _act(fields[3]) if len(fields) > 3 else None)


@dataclass(frozen=True)
class Network:
    """One entry of the ``AT+COPS=?`` list: availability (0 unknown, 1 available, 2 current, 3 forbidden)."""

    status: int
    long: str
    short: str
    numeric: str
    act: int | None = None


_COPS_ENTRY = re.compile(r'\(\s*(\d+)\s*,\s*(?:"([^"]*)")?\s*,\s*(?:"([^"]*)")?\s*,\s*"([^"]*)"\s*\)?\s*'
                         r'(?:,\s*(\d+))?\s*\)')


#: where the GSM 7-bit default alphabet (3GPP TS 23.038) differs from ASCII in the printable range
_GSM7 = str.maketrans({"$": "\u00a4", "@": "\u00a1", "[": "\u00c4", "\\": "\u00d6", "]": "\u00d1", "^": "\u00dc",
                       "_": "\u00a7", "`": "\u00bf", "{": "\u00e4", "|": "\u00f6", "}": "\u00f1", "~": "\u00fc"})


def _decode(name: str, charset: str) -> str:
    """A name as the modem's character set (``AT+CSCS``) has it: UCS2 names come as hex of UTF-16BE,
    GSM names as GSM 7-bit characters sent byte for byte (so "@" is the GSM "\u00a1")."""
    if charset.upper() == "UCS2" and name and len(name) % 4 == 0 and _HEX.match(name):
        return bytes.fromhex(name).decode("utf-16-be", errors="replace")
    if charset.upper() == "GSM":
        return name.translate(_GSM7)
    return name


def parse_cops_list(text: str, charset: str = "GSM") -> list[Network]:
    """The networks of an ``AT+COPS=?`` answer (one line, or several, as some modems split it); the
    trailing lists of supported modes and formats are not networks (they have no quoted numeric id)."""
    if "+COPS:" not in text:
        raise AtParseError(f"not a +COPS=? answer: {text.strip()!r}")
    body = " ".join(line.strip().removeprefix("+COPS:") for line in text[text.index("+COPS:"):].splitlines())
    return [Network(int(m.group(1)), _decode(m.group(2) or "", charset), _decode(m.group(3) or "", charset),
                    _decode(m.group(4), charset), int(m.group(5)) if m.group(5) is not None else None)
            for m in _COPS_ENTRY.finditer(body)]


# -- final result codes ----------------------------------------------------------------------
#: final result codes that end a command (V.250 and 27.007) and the vendor ones real modems send
FINAL_SUCCESS = ("OK", "CONNECT")
FINAL_FAILURE = ("ERROR", "NO CARRIER", "BUSY", "NO ANSWER", "NO DIALTONE",
                 "COMMAND NOT SUPPORT",    # Huawei
                 "TOO MANY PARAMETERS")    # Huawei (as oFono's Huawei plugin knows it)
_ERROR_CODE = re.compile(r"^\+(CME|CMS) ERROR:\s*(.*?)\s*$")
_MODEM_ERROR = re.compile(r"^MODEM ERROR:\s*\d+\s*$")


@dataclass(frozen=True)
class FinalResult:
    """The line that ends a command (27.007 §5.x result codes and the vendors' own)."""

    text: str
    success: bool
    kind: str = ""          # "CME" / "CMS" for +CME/+CMS ERROR
    code: int | None = None  # their numeric code (text forms mapped where 27.007 names them)

    def describe(self) -> str:
        if self.kind and self.code is not None:
            table = CME_ERRORS if self.kind == "CME" else CMS_ERRORS
            return f"{self.text} ({table.get(self.code, f'error {self.code}')})"
        return self.text


def final_result(line: str) -> FinalResult | None:
    """The final result code ``line`` is, or None if it is an information line or an unsolicited code."""
    text = line.strip()
    if text in FINAL_SUCCESS or text.startswith("CONNECT "):
        return FinalResult(text, True)
    if text in FINAL_FAILURE or _MODEM_ERROR.match(text):
        return FinalResult(text, False)
    match = _ERROR_CODE.match(text)
    if match:   # also with nothing after the colon: ModemManager waits on for that one, hilkit ends the command
        kind, value = match.group(1), match.group(2)
        code = int(value) if value.isdigit() else (cme_code_of_text(value) if kind == "CME" and value else None)
        return FinalResult(text, False, kind, code)
    return None
