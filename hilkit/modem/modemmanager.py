"""Network attach through ModemManager's command-line client, ``mmcli``.

Two parsers turn what ``mmcli -m N`` prints into the same nested dict:

- :func:`parse_mmcli_json` reads ``mmcli -J`` output (mmcli 1.20+: every value a string, ``"--"``
  for a missing/unknown/none value, lists as arrays);
- :func:`parse_mmcli_text` reads the human table (``Section | label: value`` rows, continuation
  lines, as pasted in forum threads) into the keys the JSON form uses (``generic.state``,
  ``3gpp.registration-state``, ``generic.signal-quality.value`` ...). Labels it does not know go
  under ``other.<section>.<label>``.

Both raise :class:`~hilkit.core.errors.ModemError` with one line for input they cannot read, and
nothing else.

:class:`ModemManager` runs ``mmcli`` (argument lists, a timeout, never a shell), keeps every
answer (secrets masked) and finds a modem by its USB port path or IMEI -- never by index, because
ModemManager gives a modem a new index on every re-plug. :class:`ModemManagerAttachChecker`
implements the :class:`~hilkit.modem.attach.AttachChecker` contract on top of it.
"""
from __future__ import annotations

import json
import logging
import re
import shlex
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hilkit.core.errors import Category, ModemError, WaitTimeout
from hilkit.core.profile import AttachSpec
from hilkit.core.secrecy import Masker, Secrets, mask_values
from hilkit.modem.attach import AttachChecker, AttachResult

log = logging.getLogger(__name__)

UNKNOWN = "--"

#: ModemManager states in which the modem counts as attached to the network
REGISTERED_STATES = ("registered", "connecting", "connected")
#: 3GPP registration states that count as registered (as +CREG stat 1 and 5)
REGISTERED = ("home", "roaming")

#: ModemManager access technology -> hilkit's technology names (the ones the AT checker reports).
#: The AT path cannot tell GPRS from GSM (+COPS AcT 0 for both), so neither does this one.
MM_TECHNOLOGY = {"gsm": "gsm", "gsm-compact": "gsm", "gprs": "gsm", "edge": "edge", "umts": "umts",
                 "hsdpa": "hsdpa", "hsupa": "hsupa", "hspa": "hspa", "hspa-plus": "hspa-plus",
                 "lte": "lte", "lte-cat-m": "lte", "lte-nb-iot": "lte", "5gnr": "5gnr",
                 "1xrtt": "1xrtt", "evdo0": "evdo0", "evdoa": "evdoa", "evdob": "evdob"}

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_SEPARATOR = re.compile(r"^\s*-{3,}\s*$")
_LABEL = re.compile(r"^(\s*)([A-Za-z0-9][A-Za-z0-9 /()._-]*?):(?=\s|$)")
_SECTION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 /._-]*$")
_SIGNAL = re.compile(r"^'?(\d{1,3})'?\s*%?\s*(?:\((recent|cached)\))?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def _one_line(text: str, limit: int = 200) -> str:
    """``text`` as one printable line, cut to ``limit`` characters."""
    flat = _CONTROL.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[:limit - 3] + "..."


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return _one_line(lines[-1]) if lines else ""


def _as_text(data: str | bytes, what: str) -> str:
    if isinstance(data, (bytes, bytearray)):
        try:
            return bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ModemError(f"{what}: not UTF-8 text (byte {exc.start})") from None
    if not isinstance(data, str):
        raise ModemError(f"{what}: expected text, got {type(data).__name__}")
    return data


# ---------------------------------------------------------------------------------------------
# parsers

def parse_mmcli_json(text: str | bytes) -> dict:
    """``mmcli ... -J`` output -> the JSON object, as is (``{"modem": {...}}``, ``{"modem-list": [...]}``).

    Raises :class:`ModemError` (one line, with line and column for bad JSON) for anything that is
    not a JSON object, or whose ``modem`` / ``modem-list`` member has the wrong shape.
    """
    source = _as_text(text, "mmcli JSON")
    if not source.strip():
        raise ModemError("mmcli JSON: empty output")
    failure = ""
    try:
        data = json.loads(source)
    except json.JSONDecodeError as exc:
        failure = f"mmcli JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    except (ValueError, RecursionError) as exc:  # too deep, too many digits
        failure = f"mmcli JSON: unreadable ({type(exc).__name__}: {_one_line(str(exc), 80)})"
    if failure:
        raise ModemError(failure)
    if not isinstance(data, dict):
        raise ModemError(f"mmcli JSON: expected an object, got {type(data).__name__}")
    if "modem" in data and not isinstance(data["modem"], dict):
        raise ModemError("mmcli JSON: 'modem' is not an object")
    if "modem-list" in data and not (isinstance(data["modem-list"], list)
                                     and all(isinstance(p, str) for p in data["modem-list"])):
        raise ModemError("mmcli JSON: 'modem-list' is not a list of strings")
    return data


# (section, label) -> where mmcli -J puts the value, inside "modem"
_TEXT_FIELDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("general", "dbus path"): ("dbus-path",),
    ("general", "path"): ("dbus-path",),
    ("general", "device id"): ("generic", "device-identifier"),
    ("hardware", "manufacturer"): ("generic", "manufacturer"),
    ("hardware", "model"): ("generic", "model"),
    ("hardware", "firmware revision"): ("generic", "revision"),
    ("hardware", "revision"): ("generic", "revision"),
    ("hardware", "h/w revision"): ("generic", "hardware-revision"),
    ("hardware", "carrier config"): ("generic", "carrier-configuration"),
    ("hardware", "carrier config revision"): ("generic", "carrier-configuration-revision"),
    ("hardware", "supported"): ("generic", "supported-capabilities"),
    ("hardware", "current"): ("generic", "current-capabilities"),
    ("hardware", "equipment id"): ("generic", "equipment-identifier"),
    ("system", "device"): ("generic", "device"),
    ("system", "physdev"): ("generic", "physdev"),
    ("system", "drivers"): ("generic", "drivers"),
    ("system", "plugin"): ("generic", "plugin"),
    ("system", "primary port"): ("generic", "primary-port"),
    ("system", "ports"): ("generic", "ports"),
    ("numbers", "own"): ("generic", "own-numbers"),
    ("status", "lock"): ("generic", "unlock-required"),
    ("status", "unlock retries"): ("generic", "unlock-retries"),
    ("status", "state"): ("generic", "state"),
    ("status", "failed reason"): ("generic", "state-failed-reason"),
    ("status", "power state"): ("generic", "power-state"),
    ("status", "access tech"): ("generic", "access-technologies"),
    ("status", "signal quality"): ("generic", "signal-quality"),
    ("modes", "supported"): ("generic", "supported-modes"),
    ("modes", "current"): ("generic", "current-modes"),
    ("bands", "supported"): ("generic", "supported-bands"),
    ("bands", "current"): ("generic", "current-bands"),
    ("ip", "supported"): ("generic", "supported-ip-families"),
    ("3gpp", "imei"): ("3gpp", "imei"),
    ("3gpp", "enabled locks"): ("3gpp", "enabled-locks"),
    ("3gpp", "operator id"): ("3gpp", "operator-code"),
    ("3gpp", "operator name"): ("3gpp", "operator-name"),
    ("3gpp", "registration"): ("3gpp", "registration-state"),
    ("3gpp", "packet service state"): ("3gpp", "packet-service-state"),
    ("3gpp", "pco"): ("3gpp", "pco"),
    ("3gpp", "eps ue mode"): ("3gpp", "eps", "ue-mode-operation"),
    ("3gpp eps", "ue mode operation"): ("3gpp", "eps", "ue-mode-operation"),
    ("3gpp eps", "initial bearer path"): ("3gpp", "eps", "initial-bearer", "dbus-path"),
    ("3gpp eps", "initial bearer apn"): ("3gpp", "eps", "initial-bearer", "settings", "apn"),
    ("3gpp eps", "initial bearer ip type"): ("3gpp", "eps", "initial-bearer", "settings", "ip-type"),
    ("3gpp eps", "initial bearer user"): ("3gpp", "eps", "initial-bearer", "settings", "user"),
    ("cdma", "meid"): ("cdma", "meid"),
    ("cdma", "esn"): ("cdma", "esn"),
    ("cdma", "sid"): ("cdma", "sid"),
    ("cdma", "nid"): ("cdma", "nid"),
    ("cdma", "registration cdma1x"): ("cdma", "cdma1x-registration-state"),
    ("cdma", "registration evdo"): ("cdma", "evdo-registration-state"),
    ("cdma", "activation"): ("cdma", "activation-state"),
    ("sim", "dbus path"): ("generic", "sim"),
    ("sim", "path"): ("generic", "sim"),
    ("sim", "primary sim path"): ("generic", "sim"),
    ("sim", "sim slot paths"): ("generic", "sim-slots"),
    ("bearer", "dbus path"): ("generic", "bearers"),
    ("bearer", "paths"): ("generic", "bearers"),
    ("bearers", "paths"): ("generic", "bearers"),
    ("bearers", "dbus path"): ("generic", "bearers"),
}
#: values mmcli prints comma-separated (wrapping long lines), arrays in JSON
_COMMA_LISTS = {("generic", "drivers"), ("generic", "ports"), ("generic", "own-numbers"),
                ("generic", "unlock-retries"), ("generic", "access-technologies"),
                ("generic", "supported-bands"), ("generic", "current-bands"),
                ("generic", "supported-ip-families"), ("3gpp", "enabled-locks")}
#: values mmcli prints one item per line, arrays in JSON
_LINE_LISTS = {("generic", "supported-capabilities"), ("generic", "current-capabilities"),
               ("generic", "supported-modes"), ("generic", "bearers"), ("generic", "sim-slots")}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9/]+", "-", text.strip().lower()).strip("-") or "-"


def _clean(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == "'":  # mmcli before 1.10 quoted values
        value = value[1:-1].strip()
    return value


@dataclass
class _Row:
    target: tuple[str, ...]
    lines: list[str]


def _value(row: _Row) -> Any:
    target = row.target
    if target == ("generic", "signal-quality"):
        text = _clean(" ".join(row.lines))
        match = _SIGNAL.match(text)
        if not match:
            return {"value": text or UNKNOWN, "recent": UNKNOWN}
        recent = {"recent": "yes", "cached": "no"}.get(match.group(2) or "", UNKNOWN)
        return {"value": str(int(match.group(1))), "recent": recent}
    if target in _COMMA_LISTS:
        items = [_clean(i) for line in row.lines for i in _clean(line).split(",")]
        items = [i for i in items if i]
        return [] if len(items) == 1 and items[0] in ("unknown", "none") else items
    if target in _LINE_LISTS:
        items = [_clean(line) for line in row.lines if _clean(line)]
        return [] if len(items) == 1 and items[0] in ("unknown", "none") else items
    text = "\n".join(_clean(line) for line in row.lines).strip()
    return UNKNOWN if text in ("", "unknown", "none") else text


def _put(root: dict, path: tuple[str, ...], value: Any) -> None:
    node = root
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[path[-1]] = value


def parse_mmcli_text(text: str | bytes) -> dict:
    """``mmcli -m N`` human output -> ``{"modem": {...}}`` with the keys ``mmcli -m N -J`` uses.

    Lines before the table (a pasted prompt or command, even ``mmcli -m 0 | grep ...``) are
    skipped; from the first separator or row on, every line must be
    blank, a ``-----`` separator or a ``Section | label: value`` row (section and label may be
    blank on continuation rows). Values keep their text; lists become lists; ``signal quality:
    19% (recent)`` becomes ``{"value": "19", "recent": "yes"}``; "unknown"/"none" become "--" as
    in the JSON form. Colour codes and the quotes of old mmcli versions are removed. Labels not
    known here are kept under ``other.<section>.<label>``.
    """
    source = _as_text(text, "mmcli output")
    modem: dict[str, Any] = {}
    rows: list[_Row] = []
    section = ""
    current: _Row | None = None
    colon: int | None = None
    started = False
    for number, raw in enumerate(source.replace("\r\n", "\n").split("\n"), 1):
        line = _ANSI.sub("", raw).rstrip("\r").expandtabs()
        if not line.strip():
            continue
        if _SEPARATOR.match(line):
            started = True
            current = None
            continue
        if "|" not in line:
            if not started:
                continue  # a prompt or the command itself, pasted above the table
            raise ModemError(f"mmcli output line {number}: expected 'Section | label: value' or a "
                             f"'---' separator, got {_one_line(line, 60)!r}")
        head, rest = line.split("|", 1)
        indent = len(rest) - len(rest.lstrip())
        match = _LABEL.match(rest)
        problem = ""
        if head.strip() and not _SECTION.match(head.strip()):
            problem = f"not a section name before '|': {_one_line(head, 40)!r}"
        elif not head.strip() and not section:
            problem = f"a row before any section name: {_one_line(line, 60)!r}"
        elif match is None and (head.strip() or current is None):
            problem = f"expected 'label: value' after '|', got {_one_line(rest, 60)!r}"
        if problem:
            if not started:
                continue  # e.g. "$ mmcli -m 0 | grep -v imei" pasted above the table
            raise ModemError(f"mmcli output line {number}: {problem}")
        started = True
        if head.strip():
            section = " ".join(head.lower().split())
            current = None
        if current is not None and (match is None or (colon is not None and indent > colon)):
            current.lines.append(rest)  # continuation of the row above
            continue
        if match is None:  # (reported above: a first row without a label)
            continue
        colon = match.end(2)
        label = " ".join(match.group(2).lower().split())
        target = _TEXT_FIELDS.get((section, label)) or ("other", _slug(section), _slug(label))
        current = _Row(target, [rest[match.end():]])
        rows.append(current)
    if not rows:
        raise ModemError("mmcli output: no 'Section | label: value' rows (is this `mmcli -m N` output?)")
    for row in rows:
        _put(modem, row.target, _value(row))
    return {"modem": modem}


def mm_value(modem: dict, key: str, default: Any = UNKNOWN) -> Any:
    """``mm_value(modem, "generic.signal-quality.value")``: a dotted key of a parsed modem, or ``default``."""
    node: Any = modem
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def _text_value(modem: dict, key: str) -> str:
    value = mm_value(modem, key)
    return value.strip() if isinstance(value, str) else UNKNOWN


def _first(modem: dict, key: str) -> str:
    value = mm_value(modem, key, [])
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",")]
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str) and item.strip() and item.strip() != UNKNOWN:
                return item.strip()
    return UNKNOWN


def percent_to_dbm(percent: int) -> float:
    """An *estimate* of RSSI in dBm from ModemManager's signal quality percent.

    ModemManager derives the percent from +CSQ as rssi*100/31, so this inverts that
    (``-113 + 2 * round(percent * 31 / 100)``); for modems whose plugin computes the percent from
    RSRP or RSCP the figure is only indicative. ``mmcli --signal-get`` has measured values.
    """
    percent = max(0, min(100, percent))
    return -113.0 + 2 * round(percent * 31 / 100)


def sim_state(modem: dict) -> str:
    """The SIM as :class:`AttachResult` names it (ready/pin/puk/absent/error/unknown) from a modem."""
    state = _text_value(modem, "generic.state")
    if state == "failed":
        reason = _text_value(modem, "generic.state-failed-reason")
        return {"sim-missing": "absent", "esim-without-profiles": "absent", "sim-error": "error"}.get(reason, "unknown")
    if state == "locked":
        lock = _text_value(modem, "generic.unlock-required")
        return {"sim-pin": "pin", "sim-puk": "puk", UNKNOWN: "unknown"}.get(lock, "error")
    if state in ("unknown", UNKNOWN, "initializing"):
        return "unknown"
    return "ready"


def attach_result(modem: dict) -> AttachResult:
    """What one ``mmcli -m N`` answer (parsed, the ``modem`` object) says, as an :class:`AttachResult`.

    ``technology`` is the first access technology in hilkit's names (:data:`MM_TECHNOLOGY`);
    ``signal_percent`` is ``signal-quality.value`` and ``signal_dbm`` an estimate from it
    (:func:`percent_to_dbm`), both only while the modem is enabled; ``packet_attached`` when
    ``3gpp.packet-service-state`` is ``attached`` or the state is ``connected``. No evidence, no
    time: the checker adds those.
    """
    result = AttachResult(sim=sim_state(modem))
    state = _text_value(modem, "generic.state")
    registration = _text_value(modem, "3gpp.registration-state")
    result.registration = registration if registration != UNKNOWN else "unknown"
    tech = _first(modem, "generic.access-technologies")
    result.technology = MM_TECHNOLOGY.get(tech, tech) if tech != UNKNOWN else "unknown"
    name = _text_value(modem, "3gpp.operator-name")
    code = _text_value(modem, "3gpp.operator-code")
    result.operator = name if name != UNKNOWN else (code if code != UNKNOWN else "")
    value = mm_value(modem, "generic.signal-quality.value")
    live = state in REGISTERED_STATES + ("enabled", "searching", "disconnecting")
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,3}", value.strip()) and live:
        result.signal_percent = max(0, min(100, int(value.strip())))
        result.signal_dbm = percent_to_dbm(result.signal_percent)
    result.packet_attached = (_text_value(modem, "3gpp.packet-service-state") == "attached"
                              or state == "connected")
    return result


# ---------------------------------------------------------------------------------------------
# mmcli runner

class ModemNotFound(ModemError):
    """No modem matched (yet): ModemManager does not list it, or it went away."""


@dataclass
class MmcliCall:
    """One run of mmcli, secrets masked: what a report shows."""

    command: str
    returncode: int | None
    stdout: str
    stderr: str
    seconds: float


class ModemManager:
    """Runs ``mmcli`` (``command`` is how: ``["mmcli"]``, ``["sudo", "mmcli"]``, a fake ...).

    Every call is kept in :attr:`transcript` and the last answer to each command in
    :meth:`evidence`, with secrets (the SIM PIN) masked. A failing call raises
    :class:`ModemError` naming the command and the last line mmcli wrote to stderr.
    """

    def __init__(self, command: Sequence[str] = ("mmcli",), timeout: float = 10.0) -> None:
        if isinstance(command, str) or not command:
            raise ValueError("command must be a non-empty list of arguments, e.g. ['mmcli']")
        self.command = list(command)
        self.timeout = timeout
        self.transcript: list[MmcliCall] = []
        self._answers: dict[str, str] = {}
        self._masker = Masker()
        self._lock = threading.Lock()

    # -- masking ------------------------------------------------------------------------------
    def add_secret(self, secret: str) -> None:
        """Mask ``secret`` wherever a command, an answer or an error would show it."""
        self._masker.add(secret)

    def mask(self, text: str) -> str:
        return self._masker.mask(text)

    def _shown(self, args: Sequence[str]) -> str:
        """The command line as a report shows it: PIN/PUK options masked whatever their value."""
        return mask_values(self.mask(shlex.join(args)), "--pin|--puk")

    def evidence(self) -> dict[str, str]:
        """The last answer (stdout, or the error) to each distinct command, masked."""
        with self._lock:
            return dict(self._answers)

    # -- running ------------------------------------------------------------------------------
    def run(self, args: Sequence[str]) -> str:
        """Run ``mmcli ARGS``; its stdout. Raises :class:`ModemError` if it cannot or it fails."""
        argv = self.command + list(args)
        shown = self._shown(argv)
        log.debug("run %s", shown)
        started = time.monotonic()
        failure = ""
        stdout = stderr = ""
        returncode: int | None = None
        try:
            done = subprocess.run(argv, capture_output=True, text=True, encoding="utf-8",
                                  errors="replace", timeout=self.timeout, check=False)
        except FileNotFoundError:
            failure = f"{self.command[0]!r} not found (is ModemManager's mmcli installed?)"
        except PermissionError:
            failure = f"{self.command[0]!r} is not executable"
        except subprocess.TimeoutExpired as exc:
            failure = f"no answer within {self.timeout:.1f} s"
            stdout, stderr = (part.decode("utf-8", "replace") if isinstance(part, bytes) else (part or "")
                              for part in (exc.stdout, exc.stderr))
        except OSError as exc:
            failure = f"could not run it ({exc.strerror or type(exc).__name__})"
        else:
            stdout, stderr, returncode = done.stdout or "", done.stderr or "", done.returncode
            if returncode != 0:
                failure = f"exit status {returncode}"
        stdout, stderr = self.mask(stdout), self.mask(stderr)
        call = MmcliCall(shown, returncode, stdout, stderr, time.monotonic() - started)
        with self._lock:
            self.transcript.append(call)
            self._answers[shown] = stdout if not failure else f"{failure}\n{stderr}".strip()
        if failure:
            last = _last_line(stderr)
            log.debug("%s failed: %s: %s", shown, failure, last)
            error = ModemNotFound if "couldn't find" in last else ModemError
            raise error(_one_line(f"{shown}: {failure}" + (f": {last}" if last else ""), 400))
        return stdout

    def run_json(self, args: Sequence[str]) -> dict:
        """Run ``mmcli ARGS`` (which must ask for ``-J``) and parse its answer."""
        stdout = self.run(args)
        try:
            return parse_mmcli_json(stdout)
        except ModemError as exc:
            first = _one_line(stdout.strip().splitlines()[0], 80) if stdout.strip() else "(nothing)"
            raise ModemError(_one_line(f"{self._shown(self.command + list(args))}: answered no mmcli "
                                       f"JSON ({exc}); it printed {first!r}", 400)) from None

    # -- mmcli commands -----------------------------------------------------------------------
    def list_modems(self) -> list[str]:
        """D-Bus paths of the modems ModemManager knows (``mmcli -L -J``)."""
        data = self.run_json(["-L", "-J"])
        if "modem-list" not in data:
            raise ModemError(f"{self._shown(self.command + ['-L', '-J'])}: the answer has no 'modem-list'")
        return list(data["modem-list"])

    def modem(self, path: str) -> dict:
        """``mmcli -m PATH -J``: the ``modem`` object (``dbus-path``, ``generic``, ``3gpp`` ...)."""
        data = self.run_json(["-m", path, "-J"])
        if "modem" not in data:
            raise ModemError(f"{self._shown(self.command + ['-m', path, '-J'])}: the answer has no 'modem' object")
        return data["modem"]

    def enable(self, path: str) -> None:
        """``mmcli -m PATH -e``: a modem must be enabled before it registers."""
        self.run(["-m", path, "-e"])

    def send_pin(self, sim_path: str, pin: str) -> None:
        """``mmcli -i SIM --pin=PIN``; the PIN is masked in the transcript, evidence and errors."""
        self.add_secret(pin)
        self.run(["-i", sim_path, f"--pin={pin}"])

    def find(self, port_path: str = "", imei: str = "") -> str:
        """The D-Bus path of the modem on USB port ``port_path`` (its ``generic.device`` ends with
        ``/<port_path>``) or with IMEI ``imei`` -- never by index, which changes on every re-plug.

        Raises :class:`ModemNotFound` (a :class:`ModemError`) listing the modems seen when none or
        more than one matches.
        """
        return self.find_modem(port_path, imei)[0]

    def find_modem(self, port_path: str = "", imei: str = "") -> tuple[str, dict]:
        """As :meth:`find`, with the modem's ``mmcli -m PATH -J`` answer read on the way."""
        port = port_path.strip().strip("/")
        imei = imei.strip()
        if not port and not imei:
            raise ValueError("find() needs a USB port path (e.g. '1-1.3') or an IMEI")
        wanted = " or ".join(w for w in (f"on USB port {port}" if port else "",
                                          f"with IMEI {imei}" if imei else "") if w)
        seen: list[str] = []
        matches: list[tuple[str, dict]] = []
        for path in self.list_modems():
            try:
                modem = self.modem(path)
            except ModemNotFound:
                seen.append(f"{path} (gone)")
                continue
            device = _text_value(modem, "generic.device")
            if device == UNKNOWN:
                device = _text_value(modem, "generic.physdev")
            ids = {_text_value(modem, "generic.equipment-identifier"), _text_value(modem, "3gpp.imei")}
            seen.append(f"{path} at {device} IMEI {'/'.join(sorted(i for i in ids if i != UNKNOWN)) or '--'}")
            if (port and device.rstrip("/").endswith("/" + port)) or (imei and imei in ids):
                matches.append((path, modem))
        if len(matches) == 1:
            return matches[0]
        listing = "; ".join(seen) if seen else "ModemManager lists no modems"
        if matches:
            raise ModemNotFound(_one_line(f"more than one modem {wanted}: {listing}", 600))
        raise ModemNotFound(_one_line(f"no modem {wanted}; seen: {listing}", 600))


# ---------------------------------------------------------------------------------------------
# attach checker

class ModemManagerAttachChecker(AttachChecker):
    """Attach through ModemManager: find the modem by port (or IMEI), unlock, enable, wait.

    ``run(timeout)`` polls ``mmcli -m PATH -J`` every ``poll_interval`` seconds until the modem
    is registered (state registered/connecting/connected and registration home/roaming) and
    returns what it shows. It waits for the modem to appear, sends the SIM PIN named by
    ``spec.sim_pin_env`` (from ``secrets``: the environment, then the rig's secrets file) once when
    the modem is locked on ``sim-pin`` (without one it returns ``sim="pin"``; a rejected PIN is not
    sent again, to save the SIM's tries), and enables a disabled modem. A SIM ModemManager calls
    missing gives ``sim="absent"``. ``signal_dbm`` is an estimate from the percent (see
    :func:`percent_to_dbm`). A deadline that passes raises :class:`WaitTimeout` naming the last
    state and registration seen; the result's evidence holds the last answer to each mmcli
    command and a timeline of the states seen.
    """

    #: seconds before a modem still disabled after ``mmcli -e`` is sent ``-e`` again
    REENABLE_AFTER = 5.0

    def __init__(self, mm: ModemManager, port_path: str, spec: AttachSpec, imei: str = "",
                 poll_interval: float = 0.5, secrets: Secrets | None = None) -> None:
        if not port_path.strip() and not imei.strip():
            raise ValueError("ModemManagerAttachChecker needs a USB port path or an IMEI")
        self.mm = mm
        self.port_path = port_path
        self.spec = spec
        self.imei = imei
        self.poll_interval = poll_interval
        self.secrets = secrets or Secrets()
        for name in (spec.sim_pin_env, getattr(spec, "password_env", "")):
            self.mm.add_secret(self.secrets.get(name))   # masked even if an answer shows it

    def _describe(self) -> str:
        parts = [f"USB port {self.port_path}" if self.port_path else "", f"IMEI {self.imei}" if self.imei else ""]
        return "the modem on " + " / ".join(p for p in parts if p)

    def run(self, timeout: float) -> AttachResult:
        """Bring the modem to registered within ``timeout`` seconds; return what it shows."""
        start = time.monotonic()
        deadline = start + timeout
        pause = threading.Event()
        notes: dict[str, str] = {}
        timeline: list[str] = []
        path = ""
        enabled: dict[str, float] = {}   # path -> when enable was last sent
        pin_sent: set[str] = set()       # paths the PIN went to (never twice: it costs a try)
        last = "no modem listed yet"
        looked_since_acting = True   # the deadline is judged on a look taken after the last action
        expected = (f"{self._describe()} registered in ModemManager (state {'/'.join(REGISTERED_STATES)}, "
                    f"registration {' or '.join(REGISTERED)})")

        def note(text: str) -> None:
            nonlocal last
            text = self.mm.mask(text)
            if text != last or not timeline:
                timeline.append(f"{time.monotonic() - start:6.2f} s  {text}")
            last = text

        def finish(modem: dict, sim: str) -> AttachResult:
            result = attach_result(modem)
            result.sim = sim
            result.time_to_attach = time.monotonic() - start
            result.evidence = {**self.mm.evidence(), **notes, "mmcli timeline": "\n".join(timeline)}
            return result

        while True:
            modem = None
            try:
                if path:
                    modem = self.mm.modem(path)
                else:
                    path, modem = self.mm.find_modem(self.port_path, self.imei)
            except ModemNotFound as exc:
                note(f"{path} went away" if path else str(exc))
                path = ""
            if modem is not None:
                looked_since_acting = True
                state = _text_value(modem, "generic.state")
                registration = _text_value(modem, "3gpp.registration-state")
                note(f"{path}: state {state}, registration {registration}")
                sim = sim_state(modem)
                if state == "failed":
                    if sim == "unknown":
                        raise ModemError(f"ModemManager reports {path} failed "
                                         f"({_text_value(modem, 'generic.state-failed-reason')})")
                    return finish(modem, sim)
                if state == "locked" and sim == "pin" and path not in pin_sent:
                    pin = self.secrets.get(self.spec.sim_pin_env)
                    if not pin:
                        name = self.spec.sim_pin_env or "attach.sim_pin_env"
                        notes["sim pin"] = (f"the SIM asks for a PIN; set {name} in the environment or the "
                                            "rig's secrets file (it is never written to a report)")
                        return finish(modem, "pin")
                    pin_sent.add(path)
                    try:
                        self.mm.send_pin(_text_value(modem, "generic.sim"), pin)
                    except ModemError as exc:
                        notes["sim pin"] = self.mm.mask(f"PIN rejected, not sent again: {exc}")
                        return finish(modem, "pin")
                    note(f"{path}: PIN sent")
                    looked_since_acting = False
                elif state == "locked" and sim not in ("pin", "unknown"):
                    notes["unlock required"] = _text_value(modem, "generic.unlock-required")
                    return finish(modem, sim)
                elif state == "disabled" and time.monotonic() - enabled.get(path, -1e9) >= self.REENABLE_AFTER:
                    enabled[path] = time.monotonic()
                    try:
                        self.mm.enable(path)
                    except ModemNotFound:
                        path = ""
                    except ModemError as exc:  # e.g. already enabling: the next state will tell
                        note(f"{path}: enable failed: {exc}")
                    else:
                        note(f"{path}: enable sent")
                        looked_since_acting = False
                elif state in REGISTERED_STATES and registration in REGISTERED:
                    return finish(modem, "ready")
            now = time.monotonic()
            if now >= deadline and looked_since_acting:
                raise WaitTimeout(expected, last, timeout,   # no modem to ask: its port went (or never came)
                                  category=Category.NOT_REGISTERED if path else Category.PORT_VANISHED)
            pause.wait(max(0.0, min(self.poll_interval, deadline - now)))
