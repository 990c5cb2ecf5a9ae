"""Network attach over AT: SIM ready, registered (home or roaming), packet attached, signal.

Registration is awaited on +CREG/+CGREG/+CEREG unsolicited codes (enabled with ``=2``), with a
deadline; the timeout says which registration state was last seen.
"""
from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from hilkit.core.errors import Category, HilkitError, ModemError, WaitTimeout
from hilkit.core.identity import FirmwareIdentity, at_answer, imei_tac
from hilkit.core.profile import AttachSpec
from hilkit.core.secrecy import Secrets
from hilkit.modem.at import AtClient, AtCommandError
from hilkit.modem.ts27007 import (
    ACT,
    REG_STATES,
    REGISTERED,
    AtParseError,
    parse_cops,
    parse_cpin,
    parse_csq,
    parse_registration,
)


@dataclass
class AttachResult:
    """What any attach checker reports, whatever it talked to (AT, ModemManager, HiLink).

    ``sim``: ready / pin / puk / absent / error / unknown. ``registration``: home, roaming,
    searching, denied, not registered, unknown (27.007 / ModemManager names). ``technology``:
    gsm, umts, hsdpa, hspa, lte, 5gnr ... ``evidence``: raw answers (JSON, XML, AT lines) by name,
    for the report; secrets already masked.
    """

    sim: str = "unknown"
    registration: str = "unknown"
    technology: str = "unknown"
    operator: str = ""
    signal_dbm: float | None = None
    signal_percent: int | None = None
    packet_attached: bool = False
    time_to_attach: float = 0.0
    evidence: dict[str, str] = field(default_factory=dict)
    identity: FirmwareIdentity | None = None   # which modem and firmware answered

    def summary(self) -> str:
        signal = f"{self.signal_dbm:.0f} dBm ({self.signal_percent}%)" if self.signal_dbm is not None else "no signal"
        return (f"SIM {self.sim}, {self.registration} on {self.operator or '?'} ({self.technology}), "
                f"{signal}, packet {'attached' if self.packet_attached else 'detached'}, "
                f"{self.time_to_attach:.2f} s")


#: the SIM states an attach result names, from +CPIN <code>s (the rest are lower-cased codes)
_SIM_STATE = {"READY": "ready", "SIM PIN": "pin", "SIM PUK": "puk", "SIM PIN2": "pin2", "SIM PUK2": "puk2"}


class AttachChecker(ABC):
    """One contract for the three ways a lab meets network attach.

    Must implement ``run(timeout) -> AttachResult``: bring the modem to registered (and packet
    attached when the profile asks) within ``timeout`` seconds, waiting on events or polling with
    that deadline, and return what it shows. A SIM that is absent or locked is reported in the
    result (``sim``), not raised; a deadline that passes raises :class:`WaitTimeout` naming what
    was expected and what was last seen. Secrets (PIN) come from the environment variable the
    profile names and never appear in the result, its evidence, or a log.
    """

    @abstractmethod
    def run(self, timeout: float) -> AttachResult: ...


class AtAttachChecker(AttachChecker):
    def _identity(self) -> FirmwareIdentity:
        """27.007's identification commands (a modem that does not know one leaves it blank)."""
        answers = {}
        for command in ("CGMI", "CGMM", "CGMR", "CGSN"):
            response = self.client.command(f"AT+{command}", check=False)
            answers[command] = at_answer(response.lines, f"+{command}:") if response.ok else ""
        if imei_tac(answers["CGSN"]):   # personal data: the transcript keeps only what the TAC says
            self.client.add_secret(answers["CGSN"])
        return FirmwareIdentity(answers["CGMI"], answers["CGMM"], answers["CGMR"], imei_tac(answers["CGSN"]),
                                "AT+CGMI/CGMM/CGMR/CGSN", imei=answers["CGSN"])

    def __init__(self, client: AtClient, spec: AttachSpec, secrets: Secrets | None = None) -> None:
        self.client = client
        self.spec = spec
        self.secrets = secrets or Secrets()

    def _cpin(self) -> str:
        """The +CPIN <code> (READY, SIM PIN, SIM PUK, ...); ``AtParseError`` for an answer that is none."""
        return parse_cpin("\n".join(self.client.command("AT+CPIN?").lines))

    def _sim(self) -> str:
        try:
            code = self._cpin()
            if code == "SIM PIN":
                pin = self.secrets.get(self.spec.sim_pin_env)
                if not pin:
                    return "pin"  # reported by attach_problems with what to set; never guessed
                self.client.add_secret(pin)
                self.client.command(f'AT+CPIN="{pin}"', secret=True)
                code = self._cpin()
        except AtCommandError as exc:
            if exc.cme_code == 10:   # SIM not inserted (27.007 9.2.1), numeric or as text
                return "absent"
            raise
        except AtParseError as exc:
            raise ModemError(f"AT+CPIN?: {exc}", category=Category.SIM_ERROR) from None
        return _SIM_STATE.get(code, code.lower())

    def run(self, timeout: float) -> AttachResult:
        """Bring the modem to registered + attached within ``timeout`` seconds; return what it shows."""
        start = time.monotonic()
        result = AttachResult()
        self.client.command("AT+CMEE=1", check=False)
        result.identity = self._identity()
        result.sim = self._sim()
        if result.sim != "ready":
            result.time_to_attach = time.monotonic() - start
            return result
        password = self.secrets.get(self.spec.password_env)
        if password:
            self.client.add_secret(password)
            # Huawei's PDP authentication (CHAP=2); the transcript shows it masked
            self.client.command(f'AT^AUTHDATA=1,2,"","{password}","{self.spec.username}"', check=False,
                                secret=True)
        since = time.monotonic()
        for cmd in ("CREG", "CGREG", "CEREG"):
            self.client.command(f"AT+{cmd}=2", check=False)
        stat, tech = self._query_registration()
        if stat not in REGISTERED:
            remaining = timeout - (time.monotonic() - start)
            try:
                urc = self.client.wait_urc(
                    lambda text: (p := parse_registration(text)) is not None and p.registered,
                    max(remaining, 0.0), "registration (+CREG/+CGREG/+CEREG stat 1 home or 5 roaming)",
                    since=since)
            except WaitTimeout as exc:
                stat, _ = self._query_registration()
                raise WaitTimeout(exc.expected, f"{exc.seen}; last state: {REG_STATES.get(stat, f'stat {stat}')}",
                                  exc.timeout, category=Category.NOT_REGISTERED) from None
            stat, tech = self._query_registration()
            seen = parse_registration(urc.text)
            if seen is not None and stat not in REGISTERED:  # URC said yes but the query disagrees: trust the URC
                stat, tech = seen.stat, seen.technology
        result.registration = REG_STATES.get(stat, f"stat {stat}")
        cgatt = self.client.command("AT+CGATT?").value("+CGATT:")
        if cgatt == "0" and self.spec.packet_attach:
            self.client.command("AT+CGATT=1", timeout=max(timeout - (time.monotonic() - start), 1.0))
            cgatt = self.client.command("AT+CGATT?").value("+CGATT:")
        result.packet_attached = cgatt == "1"
        csq = parse_csq("\n".join(self.client.command("AT+CSQ").lines))
        result.signal_dbm, result.signal_percent = csq.dbm, csq.percent
        operator = parse_cops("\n".join(self.client.command("AT+COPS?").lines))
        result.operator = operator.name
        if operator.act is not None:
            tech = ACT[operator.act]
        result.technology = tech or "unknown"
        result.time_to_attach = time.monotonic() - start
        return result

    def _query_registration(self) -> tuple[int, str]:
        """(stat, technology) from +CREG?/+CGREG?/+CEREG?: the first registered one, else the first known."""
        best = (0, "")
        for cmd in ("CREG", "CGREG", "CEREG"):
            response = self.client.command(f"AT+{cmd}?", check=False)
            parsed = parse_registration("\n".join(response.lines))
            if parsed is None or parsed.command != cmd:
                continue
            if parsed.registered:
                return parsed.stat, parsed.technology
            if best[0] == 0:
                best = (parsed.stat, parsed.technology)
        return best


@dataclass(frozen=True)
class Finding:
    """One way an attach result falls short of the profile, and the failure category it is."""

    text: str
    category: Category | None = None


#: registration states that mean "not on the network" (roaming where home was asked is registered)
_UNREGISTERED = ("denied", "searching", "not registered", "unknown")


def attach_findings(spec: AttachSpec, result: AttachResult) -> list[Finding]:
    """Where ``result`` falls short of what the profile's attach section asks; [] when it passes."""
    found: list[Finding] = []
    if result.sim == "pin":
        where = f"set {spec.sim_pin_env}" if spec.sim_pin_env else "name the variable in attach.sim_pin_env"
        found.append(Finding(f"SIM asks for its PIN and no PIN was given (expected ready; {where} to enter it)",
                             Category.SIM_ERROR))
    elif result.sim == "absent":
        found.append(Finding("no SIM (expected ready: is a SIM inserted?)", Category.SIM_ERROR))
    elif result.sim != "ready":
        found.append(Finding(f"SIM {result.sim} (expected ready)", Category.SIM_ERROR))
    if result.registration not in spec.registration:
        found.append(Finding(f"registration {result.registration} (expected {' or '.join(spec.registration)})",
                             Category.NOT_REGISTERED if result.registration in _UNREGISTERED else None))
    if spec.technology and result.technology not in spec.technology:
        found.append(Finding(f"technology {result.technology} (expected {' or '.join(spec.technology)})"))
    if spec.packet_attach and not result.packet_attached:
        found.append(Finding("not packet attached (expected +CGATT: 1)"))
    if result.signal_dbm is None or result.signal_dbm < spec.min_signal_dbm:
        shown = "unknown" if result.signal_dbm is None else f"{result.signal_dbm:.0f} dBm"
        found.append(Finding(f"signal {shown} (expected >= {spec.min_signal_dbm:.0f} dBm)", Category.WEAK_SIGNAL))
    return found


def attach_problems(spec: AttachSpec, result: AttachResult) -> list[str]:
    """The findings of :func:`attach_findings` as text."""
    return [finding.text for finding in attach_findings(spec, result)]


class AttachFailed(HilkitError):
    """The dongle attached, but not as its profile asks (category: the first finding's that has one)."""


def require_attached(spec: AttachSpec, result: AttachResult) -> AttachResult:
    """``result``, or :class:`AttachFailed` naming every way it falls short of ``spec``."""
    found = attach_findings(spec, result)
    if found:
        category = next((f.category for f in found if f.category is not None), None)
        raise AttachFailed("; ".join(f.text for f in found), category=category)
    return result
