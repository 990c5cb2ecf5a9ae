"""Network attach over AT: SIM ready, registered (home or roaming), packet attached, signal.

Registration is awaited on +CREG/+CGREG/+CEREG unsolicited codes (enabled with ``=2``), with a
deadline; the timeout says which registration state was last seen.
"""
from __future__ import annotations

import re
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from hilkit.core.errors import Category, HilkitError, WaitTimeout
from hilkit.core.profile import AttachSpec
from hilkit.core.secrecy import Secrets
from hilkit.modem.at import AtClient, AtCommandError

REG_STATES = {0: "not registered", 1: "home", 2: "searching", 3: "denied", 4: "unknown", 5: "roaming",
              6: "home-sms-only", 7: "roaming-sms-only", 8: "emergency-only", 9: "home-csfb-not-preferred",
              10: "roaming-csfb-not-preferred", 11: "attached-rlos"}
ACT = {0: "gsm", 1: "gsm", 2: "umts", 3: "edge", 4: "hsdpa", 5: "hsupa", 6: "hspa", 7: "lte", 8: "gsm",
       9: "lte", 10: "lte", 11: "5gnr", 12: "5gnr", 13: "5gnr"}
_REG = re.compile(r"^\+C(?:E|G)?REG:\s*(?:(\d+),)?(\d+)(?:,\"?([0-9A-Fa-f]*)\"?,\"?([0-9A-Fa-f]*)\"?(?:,(\d+))?)?")


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

    def summary(self) -> str:
        signal = f"{self.signal_dbm:.0f} dBm ({self.signal_percent}%)" if self.signal_dbm is not None else "no signal"
        return (f"SIM {self.sim}, {self.registration} on {self.operator or '?'} ({self.technology}), "
                f"{signal}, packet {'attached' if self.packet_attached else 'detached'}, "
                f"{self.time_to_attach:.2f} s")


def csq_to_dbm(rssi: int) -> float | None:
    """27.007 +CSQ rssi: 0 is <= -113 dBm, n is -113 + 2n dBm, 31 is >= -51 dBm, 99 unknown."""
    if rssi == 99 or not 0 <= rssi <= 31:
        return None
    return -113.0 + 2 * rssi


def csq_to_percent(rssi: int) -> int | None:
    """As ModemManager reports it: rssi * 100 / 31."""
    return None if rssi == 99 or not 0 <= rssi <= 31 else round(rssi * 100 / 31)


def parse_reg(line: str) -> tuple[int, str] | None:
    """``+CREG: 2,1,"1A2B","01C3D4E",2`` or the URC ``+CREG: 1`` -> (stat, technology)."""
    match = _REG.match(line.strip())
    if not match:
        return None
    stat = int(match.group(2))
    act = match.group(5)
    return stat, ACT.get(int(act), "unknown") if act is not None else ""


def _registered(stat: int) -> bool:
    return stat in (1, 5)


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
    def __init__(self, client: AtClient, spec: AttachSpec, secrets: Secrets | None = None) -> None:
        self.client = client
        self.spec = spec
        self.secrets = secrets or Secrets()

    def _sim(self) -> str:
        try:
            answer = self.client.command("AT+CPIN?").value("+CPIN:") or ""
        except AtCommandError as exc:
            if "10" in exc.response.final or "not inserted" in exc.response.final.lower():
                return "absent"
            raise
        if answer == "SIM PIN":
            pin = self.secrets.get(self.spec.sim_pin_env)
            if not pin:
                return "pin"  # reported by attach_problems with what to set; never guessed
            self.client.add_secret(pin)
            self.client.command(f'AT+CPIN="{pin}"', secret=True)
            answer = self.client.command("AT+CPIN?").value("+CPIN:") or ""
        return "ready" if answer == "READY" else answer.lower()

    def run(self, timeout: float) -> AttachResult:
        """Bring the modem to registered + attached within ``timeout`` seconds; return what it shows."""
        start = time.monotonic()
        result = AttachResult()
        self.client.command("AT+CMEE=1", check=False)
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
        if not _registered(stat):
            remaining = timeout - (time.monotonic() - start)
            try:
                urc = self.client.wait_urc(
                    lambda text: (p := parse_reg(text)) is not None and _registered(p[0]),
                    max(remaining, 0.0), "registration (+CREG/+CGREG/+CEREG stat 1 home or 5 roaming)",
                    since=since)
            except WaitTimeout as exc:
                stat, _ = self._query_registration()
                raise WaitTimeout(exc.expected, f"{exc.seen}; last state: {REG_STATES.get(stat, stat)}",
                                  exc.timeout, category=Category.NOT_REGISTERED) from None
            stat, tech = self._query_registration()
            if not _registered(stat):  # URC said yes but the query disagrees: trust the URC
                stat, tech = parse_reg(urc.text) or (stat, tech)
        result.registration = REG_STATES.get(stat, str(stat))
        cgatt = self.client.command("AT+CGATT?").value("+CGATT:")
        if cgatt == "0" and self.spec.packet_attach:
            self.client.command("AT+CGATT=1", timeout=max(timeout - (time.monotonic() - start), 1.0))
            cgatt = self.client.command("AT+CGATT?").value("+CGATT:")
        result.packet_attached = cgatt == "1"
        rssi = int((self.client.command("AT+CSQ").value("+CSQ:") or "99,99").split(",")[0])
        result.signal_dbm, result.signal_percent = csq_to_dbm(rssi), csq_to_percent(rssi)
        cops = self.client.command("AT+COPS?").value("+COPS:") or ""
        parts = [p.strip().strip('"') for p in cops.split(",")]
        if len(parts) >= 3:
            result.operator = parts[2]
        if len(parts) >= 4 and parts[3].isdigit():
            tech = ACT.get(int(parts[3]), tech)
        result.technology = tech or "unknown"
        result.time_to_attach = time.monotonic() - start
        return result

    def _query_registration(self) -> tuple[int, str]:
        """(stat, technology) from +CREG?/+CGREG?/+CEREG?: the first registered one, else the first known."""
        best = (0, "")
        for cmd in ("CREG", "CGREG", "CEREG"):
            response = self.client.command(f"AT+{cmd}?", check=False)
            line = next((text for text in response.lines if text.startswith(f"+{cmd}:")), "")
            parsed = parse_reg(line) if line else None
            if parsed is None:
                continue
            if _registered(parsed[0]):
                return parsed
            if best[0] == 0:
                best = parsed
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
