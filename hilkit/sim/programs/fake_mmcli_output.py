"""mmcli's output rendered from the fake ModemManager's state: a modem's ``-m N -J`` JSON and the human table."""
from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

from hilkit.sim.programs.mm_bearer import BEARER_PREFIX

MODEM_PREFIX = "/org/freedesktop/ModemManager1/Modem/"
SIM_PREFIX = "/org/freedesktop/ModemManager1/SIM/"
PIN_TRIES = 3
U = "--"

_RED, _GREEN, _YELLOW, _NORMAL = "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[0m"


def _csq_percent(csq: Any) -> int:
    return round(int(csq) * 100 / 31) if isinstance(csq, int) and 0 <= csq <= 31 else 0


def _device_id(m: dict[str, Any]) -> str:
    """40 hex digits, stable for a device path and IMEI (ModemManager's is a SHA-1 of similar data)."""
    seed = f"{m['device']}|{m['imei']}".encode()
    return "".join(f"{zlib.crc32(seed, salt):08x}" for salt in range(5))


def render_modem(m: dict[str, Any], now: float) -> dict[str, Any]:
    """One modem as ``mmcli -m N -J`` shows it at ``now``."""
    net = m["network"]
    tech = str(net.get("technology", "umts"))
    sim_state = net.get("sim", "ready")
    pin_tries = int(m.get("pin_tries", PIN_TRIES))
    registration, access, operator_code, operator_name, packet = U, [], U, U, U
    signal, recent = "0", "no"
    reason, lock, power, sim_path = U, U, "on", f"{SIM_PREFIX}{m['sim_index']}"
    if sim_state == "absent":
        state, reason, sim_path = "failed", "sim-missing", U
    elif sim_state == "pin" and not m.get("unlocked"):
        state, lock = "locked", ("sim-pin" if pin_tries > 0 else "sim-puk")
    elif m.get("enabled_at") is None:
        state, power = "disabled", "low"
    else:
        signal, recent = str(_csq_percent(net.get("csq", 99))), "yes"
        wanted = str(net.get("registration", "home"))
        registered_at = float(m["enabled_at"]) + float(net.get("register_after", 0.2))
        if wanted in ("home", "roaming") and now >= registered_at:
            connected = any(b["connected"] for b in m.get("bearers", []))
            state, registration, packet = "connected" if connected else "registered", wanted, "attached"
            access = [tech]
            operator_code, operator_name = str(net.get("mcc_mnc", U)), str(net.get("operator", U))
        elif wanted in ("home", "roaming", "searching"):
            state, registration, packet = "searching", "searching", "detached"
        elif wanted == "denied" and now >= registered_at:
            state, registration, packet = "searching", "denied", "detached"
        elif wanted == "denied":
            state, registration, packet = "searching", "searching", "detached"
        else:
            state, registration, packet = "enabled", wanted, "detached"
    lte = tech in ("lte", "5gnr")
    capabilities = ["gsm-umts, lte"] if lte else ["gsm-umts"]
    modes = ["allowed: 2g, 3g; preferred: none", "allowed: 2g, 3g; preferred: 3g",
             "allowed: 2g; preferred: none", "allowed: 3g; preferred: none"]
    if lte:
        modes += ["allowed: 4g; preferred: none", "allowed: 2g, 3g, 4g; preferred: 4g"]
    at_ports = [p.split(" ")[0] for p in m["ports"] if p.endswith("(at)")]
    retries = [] if sim_state == "absent" else [f"sim-pin ({pin_tries})", "sim-puk (10)", "sim-pin2 (3)",
                                                 "sim-puk2 (10)"]
    manufacturer = str(m["manufacturer"])
    return {
        "dbus-path": f"{MODEM_PREFIX}{m['index']}",
        "generic": {
            "access-technologies": access,
            "bearers": [f"{BEARER_PREFIX}{b['index']}" for b in m.get("bearers", [])],
            "carrier-configuration": U,
            "carrier-configuration-revision": U,
            "current-bands": [],
            "current-capabilities": capabilities,
            "current-modes": modes[-1] if lte else modes[0],
            "device": m["device"],
            "device-identifier": _device_id(m),
            "drivers": list(m["drivers"]),
            "equipment-identifier": m["imei"] or U,
            "hardware-revision": U,
            "manufacturer": manufacturer or U,
            "model": m["model"] or U,
            "own-numbers": [],
            "physdev": m["device"],
            "plugin": "huawei" if manufacturer.lower().startswith("huawei") else "generic",
            "ports": list(m["ports"]),
            "power-state": power,
            "primary-port": at_ports[0] if at_ports else U,
            "primary-sim-slot": U,
            "revision": m["revision"] or U,
            "signal-quality": {"recent": recent, "value": signal},
            "sim": sim_path,
            "sim-slots": [],
            "state": state,
            "state-failed-reason": reason,
            "supported-bands": [],
            "supported-capabilities": capabilities,
            "supported-ip-families": ["ipv4", "ipv6", "ipv4v6"],
            "supported-modes": modes,
            "unlock-required": lock,
            "unlock-retries": retries,
        },
        "3gpp": {
            "enabled-locks": ["sim"] if sim_state == "pin" else [],
            "eps": {"initial-bearer": {"dbus-path": U, "settings": {"apn": U, "ip-type": U, "password": U,
                                                                    "user": U}},
                    "ue-mode-operation": U},
            "imei": m["imei"] or U,
            "operator-code": operator_code,
            "operator-name": operator_name,
            "packet-service-state": packet,
            "pco": U,
            "registration-state": registration,
        },
        "cdma": {"activation-state": U, "cdma1x-registration-state": U, "esn": U,
                 "evdo-registration-state": U, "meid": U, "nid": U, "sid": U},
    }


# (section, label, dotted key in "modem", kind): the rows of mmcli 1.20's human table, in order
HUMAN_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("General", "dbus path", "dbus-path", "single"),
    ("General", "device id", "generic.device-identifier", "single"),
    ("Hardware", "manufacturer", "generic.manufacturer", "single"),
    ("Hardware", "model", "generic.model", "single"),
    ("Hardware", "firmware revision", "generic.revision", "single"),
    ("Hardware", "carrier config", "generic.carrier-configuration", "single"),
    ("Hardware", "h/w revision", "generic.hardware-revision", "single"),
    ("Hardware", "supported", "generic.supported-capabilities", "lines"),
    ("Hardware", "current", "generic.current-capabilities", "lines"),
    ("Hardware", "equipment id", "generic.equipment-identifier", "single"),
    ("System", "device", "generic.device", "single"),
    ("System", "physdev", "generic.physdev", "single"),
    ("System", "drivers", "generic.drivers", "commas"),
    ("System", "plugin", "generic.plugin", "single"),
    ("System", "primary port", "generic.primary-port", "single"),
    ("System", "ports", "generic.ports", "commas"),
    ("Numbers", "own", "generic.own-numbers", "commas"),
    ("Status", "lock", "generic.unlock-required", "single"),
    ("Status", "unlock retries", "generic.unlock-retries", "commas"),
    ("Status", "state", "generic.state", "state"),
    ("Status", "failed reason", "generic.state-failed-reason", "failed"),
    ("Status", "power state", "generic.power-state", "single"),
    ("Status", "access tech", "generic.access-technologies", "commas"),
    ("Status", "signal quality", "generic.signal-quality", "signal"),
    ("Modes", "supported", "generic.supported-modes", "lines"),
    ("Modes", "current", "generic.current-modes", "single"),
    ("Bands", "supported", "generic.supported-bands", "commas"),
    ("Bands", "current", "generic.current-bands", "commas"),
    ("IP", "supported", "generic.supported-ip-families", "commas"),
    ("3GPP", "imei", "3gpp.imei", "single"),
    ("3GPP", "enabled locks", "3gpp.enabled-locks", "commas"),
    ("3GPP", "operator id", "3gpp.operator-code", "single"),
    ("3GPP", "operator name", "3gpp.operator-name", "single"),
    ("3GPP", "registration", "3gpp.registration-state", "single"),
    ("3GPP", "packet service state", "3gpp.packet-service-state", "single"),
    ("3GPP EPS", "ue mode operation", "3gpp.eps.ue-mode-operation", "single"),
    ("3GPP EPS", "initial bearer path", "3gpp.eps.initial-bearer.dbus-path", "single"),
    ("3GPP EPS", "initial bearer apn", "3gpp.eps.initial-bearer.settings.apn", "single"),
    ("SIM", "primary sim path", "generic.sim", "single"),
    ("Bearer", "paths", "generic.bearers", "lines"),
)
_HUMAN_WRAP = 60


def _get(modem: Mapping[str, Any], key: str) -> Any:
    node: Any = modem
    for part in key.split("."):
        node = node.get(part, U) if isinstance(node, Mapping) else U
    return node


def format_human(modem: Mapping[str, Any]) -> str:
    """A modem dict as mmcli's human table: aligned ``Section | label: value`` rows, values that
    are "--" or empty left out, long comma lists wrapped at 60 characters, colours on the state."""
    rows: list[tuple[str, str, list[str], str]] = []
    for section, label, key, kind in HUMAN_ROWS:
        value = _get(modem, key)
        if kind == "signal":
            if not isinstance(value, Mapping) or value.get("value", U) == U:
                continue
            recent = "recent" if value.get("recent") == "yes" else "cached"
            rows.append((section, label, [f"{value['value']}% ({recent})"], kind))
        elif isinstance(value, list):
            if value:
                rows.append((section, label, [str(v) for v in value], kind))
        elif value != U and value != "":
            if kind == "failed" and _get(modem, "generic.state") != "failed":
                continue
            rows.append((section, label, [str(value)], kind))
    width_s = max((len(r[0]) for r in rows), default=0)
    width_f = max((len(r[1]) for r in rows), default=0)
    pad = "  " + " " * width_s + " | " + " " * width_f + "  "
    out: list[str] = []
    section_now = None
    for section, label, values, kind in rows:
        if section != section_now:
            section_now = section
            out.append("  " + "-" * (width_s + width_f + 4) + "\n")
            out.append(f"  {section:<{width_s}} | ")
        else:
            out.append(f"  {'':<{width_s}} | ")
        out.append(f"{label:>{width_f}}: ")
        if kind in ("single", "signal"):
            out.append(values[0].replace("\n", "\n" + pad) + "\n")
        elif kind in ("state", "failed"):
            colour = {"failed": _RED, "connected": _GREEN, "connecting": _YELLOW}.get(values[0], "")
            colour = _RED if kind == "failed" else colour
            out.append(f"{colour}{values[0]}{_NORMAL}\n" if colour else f"{values[0]}\n")
        else:
            length = 0
            for i, value in enumerate(values):
                size = len(value) + (2 if i < len(values) - 1 else 0)
                if (kind == "lines" and i) or length + size > _HUMAN_WRAP:
                    length = 0
                    out.append("\n" + pad)
                else:
                    length += size
                out.append(value + (", " if kind == "commas" and i < len(values) - 1 else ""))
            out.append("\n")
    return "".join(out)
