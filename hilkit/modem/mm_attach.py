"""The ModemManager attach checker: from ``mmcli -m PATH -J`` answers to an :class:`AttachResult`."""
from __future__ import annotations

import re
import threading
import time

from hilkit.core.errors import Category, ModemError, WaitTimeout
from hilkit.core.identity import FirmwareIdentity, imei_tac, mask_imei
from hilkit.core.profile import AttachSpec
from hilkit.core.secrecy import Secrets
from hilkit.modem.attach import AttachChecker, AttachResult
from hilkit.modem.mmcli_client import ModemManager, ModemNotFound
from hilkit.modem.mmcli_json import UNKNOWN, first_value, mm_value, text_value

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
    state = text_value(modem, "generic.state")
    if state == "failed":
        reason = text_value(modem, "generic.state-failed-reason")
        return {"sim-missing": "absent", "esim-without-profiles": "absent", "sim-error": "error"}.get(reason, "unknown")
    if state == "locked":
        lock = text_value(modem, "generic.unlock-required")
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
    state = text_value(modem, "generic.state")
    registration = text_value(modem, "3gpp.registration-state")
    result.registration = registration if registration != UNKNOWN else "unknown"
    tech = first_value(modem, "generic.access-technologies")
    result.technology = MM_TECHNOLOGY.get(tech, tech) if tech != UNKNOWN else "unknown"
    name = text_value(modem, "3gpp.operator-name")
    code = text_value(modem, "3gpp.operator-code")
    result.operator = name if name != UNKNOWN else (code if code != UNKNOWN else "")
    value = mm_value(modem, "generic.signal-quality.value")
    live = state in REGISTERED_STATES + ("enabled", "searching", "disconnecting")
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,3}", value.strip()) and live:
        result.signal_percent = max(0, min(100, int(value.strip())))
        result.signal_dbm = percent_to_dbm(result.signal_percent)
    result.packet_attached = (text_value(modem, "3gpp.packet-service-state") == "attached"
                              or state == "connected")
    known = {k: text_value(modem, k) for k in ("generic.manufacturer", "generic.model", "generic.revision",
                                                 "generic.equipment-identifier")}
    known = {k: ("" if v == UNKNOWN else v) for k, v in known.items()}
    result.identity = FirmwareIdentity(known["generic.manufacturer"], known["generic.model"],
                                       known["generic.revision"], imei_tac(known["generic.equipment-identifier"]),
                                       "ModemManager", imei=known["generic.equipment-identifier"])
    return result



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
            imei = text_value(modem, "generic.equipment-identifier")
            result.evidence = {name: mask_imei(text, imei) for name, text in
                               {**self.mm.evidence(), **notes, "mmcli timeline": "\n".join(timeline)}.items()}
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
                state = text_value(modem, "generic.state")
                registration = text_value(modem, "3gpp.registration-state")
                note(f"{path}: state {state}, registration {registration}")
                sim = sim_state(modem)
                if state == "failed":
                    if sim == "unknown":
                        raise ModemError(f"ModemManager reports {path} failed "
                                         f"({text_value(modem, 'generic.state-failed-reason')})")
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
                        self.mm.send_pin(text_value(modem, "generic.sim"), pin)
                    except ModemError as exc:
                        notes["sim pin"] = self.mm.mask(f"PIN rejected, not sent again: {exc}")
                        return finish(modem, "pin")
                    note(f"{path}: PIN sent")
                    looked_since_acting = False
                elif state == "locked" and sim not in ("pin", "unknown"):
                    notes["unlock required"] = text_value(modem, "generic.unlock-required")
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
