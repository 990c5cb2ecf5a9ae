"""A fake ``mmcli`` for the virtual lab: ModemManager's command-line client, answered from a file.

Run as ``python -m hilkit.sim.programs.fake_mmcli --state STATEFILE <mmcli args>``. It answers, like mmcli 1.20+:

- ``-L [-J]``: the modem list (``{"modem-list": [...]}``);
- ``-m <index | D-Bus path | device path | any> [-J]``: one modem (JSON with every value a string
  and ``"--"`` for unknown ones, or the human table);
- ``-m X -e``: enable (a modem must be enabled before it registers);
- ``-i <index | SIM path> --pin=NNNN``: unlock a SIM-PIN locked modem.

Errors go to stderr as mmcli writes them (``error: couldn't find modem``), with exit status 1.

The state lives in a JSON file that :class:`MMState` writes (the virtual lab adds a modem when a
dongle enumerates and removes it when it goes away). Everything time-dependent is computed when
asked, from wall-clock time (``time.time()``, shared by processes) and the profile's
``virtual.network``: a modem is listed from ``plugged_at``; it is ``disabled`` until enabled,
then ``searching`` until ``register_after`` seconds have passed, then ``registered`` (home or
roaming) -- or it keeps ``searching`` with registration ``denied``/``searching``. A SIM with a
PIN keeps the modem ``locked`` (``unlock-required: sim-pin``) until the right PIN is sent (each
wrong one costs a try; none left means ``sim-puk``); an absent SIM gives state ``failed``,
``state-failed-reason: sim-missing``. Modem indexes grow with every add, as ModemManager's do on
every re-plug, and are never reused. Writers hold an ``fcntl`` lock on ``STATEFILE.lock``.

Kept cheap to start (no profile loading): each fake ``mmcli`` call is a new Python process.
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import sys
import threading
import time
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hilkit.core.profile import NetworkModel

MODEM_PREFIX = "/org/freedesktop/ModemManager1/Modem/"
SIM_PREFIX = "/org/freedesktop/ModemManager1/SIM/"
SYSFS_ROOT = "/sys/devices/platform/soc/3f980000.usb"
NETWORK_FIELDS = ("sim", "sim_pin", "registration", "technology", "operator", "mcc_mnc", "csq",
                  "register_after")
PIN_TRIES = 3
U = "--"

_PORT = re.compile(r"^(\d+)-(\d+)((?:\.\d+)*)$")
_ERROR = "GDBus.Error:org.freedesktop.ModemManager1.Error."
_RED, _GREEN, _YELLOW, _NORMAL = "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[0m"


class MmcliError(Exception):
    """What the fake writes to stderr (exit status 1)."""


def device_path(port_path: str) -> str:
    """The sysfs path ModemManager shows as ``generic.device`` for a stick on USB port ``port_path``.

    ``1-1.3`` -> ``/sys/devices/platform/soc/3f980000.usb/usb1/1-1/1-1.3`` (a Raspberry Pi's
    layout, as in the forum's ``mmcli -m 0``); ``1-2`` -> ``.../usb1/1-2``.
    """
    match = _PORT.match(port_path)
    if not match:
        raise ValueError(f"not a USB port path: {port_path!r} (expected e.g. '1-1.3')")
    bus, first, rest = match.groups()
    if not rest:
        return f"{SYSFS_ROOT}/usb{bus}/{port_path}"
    return f"{SYSFS_ROOT}/usb{bus}/{bus}-{first}/{port_path}"


def _network(network: NetworkModel | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(network, Mapping):
        return {k: network[k] for k in NETWORK_FIELDS if k in network}
    return {k: getattr(network, k) for k in NETWORK_FIELDS}


def _csq_percent(csq: Any) -> int:
    return round(int(csq) * 100 / 31) if isinstance(csq, int) and 0 <= csq <= 31 else 0


class MMState:
    """The fake ModemManager's modems, in a JSON file shared with the fake ``mmcli`` processes."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        self._thread_lock = threading.Lock()

    # -- the file -----------------------------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        """The state, for changing: locked against other writers, written back atomically."""
        with self._thread_lock, open(self._lock_path, "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                data = self._read()
                yield data
                tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
                tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
                os.replace(tmp, self.path)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            data = {}
        data.setdefault("next_modem", 0)
        data.setdefault("next_sim", 0)
        data.setdefault("modems", [])
        return data

    def command(self) -> list[str]:
        """How to run the fake mmcli on this state (what a virtual lab's ``mmcli_command()`` gives)."""
        return [sys.executable, "-m", "hilkit.sim.programs.fake_mmcli", "--state", str(self.path)]

    # -- the virtual lab's side ---------------------------------------------------------------
    def add_modem(self, port_path: str, imei: str, manufacturer: str, model: str, revision: str,
                  drivers: Sequence[str], ports: Sequence[str], network: NetworkModel | Mapping[str, Any],
                  plugged_at: float | None = None) -> int:
        """A modem appears on ``port_path`` (listed from ``plugged_at``, wall-clock); its index.

        ``ports`` as mmcli shows them: ``"ttyUSB0 (at)"``, ``"wwan0 (net)"``. A modem already on
        that port is replaced (a re-plug). Indexes grow and are never reused.
        """
        device = device_path(port_path)
        with self._locked() as data:
            data["modems"] = [m for m in data["modems"] if m["port_path"] != port_path]
            index, sim = data["next_modem"], data["next_sim"]
            data["next_modem"], data["next_sim"] = index + 1, sim + 1
            data["modems"].append({
                "index": index, "sim_index": sim, "port_path": port_path, "device": device,
                "imei": imei, "manufacturer": manufacturer, "model": model, "revision": revision,
                "drivers": list(drivers), "ports": list(ports), "network": _network(network),
                "plugged_at": time.time() if plugged_at is None else plugged_at,
                "enabled_at": None, "unlocked": False, "pin_tries": PIN_TRIES})
        return index

    def remove_modem(self, port_path: str) -> bool:
        """The modem on ``port_path`` goes away; False when there was none."""
        with self._locked() as data:
            before = len(data["modems"])
            data["modems"] = [m for m in data["modems"] if m["port_path"] != port_path]
            return len(data["modems"]) != before

    # -- the fake mmcli's side ----------------------------------------------------------------
    def _visible(self, now: float) -> list[dict[str, Any]]:
        return [m for m in self._read()["modems"] if m["plugged_at"] <= now]

    def modem_list(self, now: float | None = None) -> list[str]:
        now = time.time() if now is None else now
        return [f"{MODEM_PREFIX}{m['index']}" for m in self._visible(now)]

    @staticmethod
    def _select(modems: list[dict[str, Any]], selector: str) -> dict[str, Any]:
        for modem in modems:
            if (selector == "any" or selector == str(modem["index"])
                    or selector == f"{MODEM_PREFIX}{modem['index']}" or selector == modem["device"]):
                return modem
        raise MmcliError("error: couldn't find modem")

    def modem_json(self, selector: str, now: float | None = None) -> dict[str, Any]:
        """``mmcli -m SELECTOR -J`` as a dict: ``{"modem": {...}}``."""
        now = time.time() if now is None else now
        return {"modem": _render(self._select(self._visible(now), selector), now)}

    def enable(self, selector: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._locked() as data:
            modem = self._select([m for m in data["modems"] if m["plugged_at"] <= now], selector)
            state = _render(modem, now)["generic"]["state"]
            if state == "failed":
                raise MmcliError(f"error: couldn't enable the modem: '{_ERROR}Core.WrongState: "
                                 "Cannot enable modem: device in failed state'")
            if state == "locked":
                raise MmcliError(f"error: couldn't enable the modem: '{_ERROR}Core.WrongState: "
                                 "Cannot enable modem: device locked'")
            if modem["enabled_at"] is None:
                modem["enabled_at"] = now

    def send_pin(self, sim: str, pin: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._locked() as data:
            modem = next((m for m in data["modems"] if m["plugged_at"] <= now and m["network"].get("sim") != "absent"
                          and sim in (str(m["sim_index"]), f"{SIM_PREFIX}{m['sim_index']}")), None)
            if modem is None:
                raise MmcliError("error: couldn't find sim")
            lock = _render(modem, now)["generic"]["unlock-required"]
            if lock == "sim-puk":
                raise MmcliError(f"error: couldn't send PIN code to the SIM: '{_ERROR}MobileEquipment.SimPuk: "
                                 "SIM PUK required'")
            if lock != "sim-pin":
                raise MmcliError(f"error: couldn't send PIN code to the SIM: '{_ERROR}Core.WrongState: "
                                 "Cannot send PIN: device is not SIM-PIN locked'")
            wrong = pin != str(modem["network"].get("sim_pin", ""))
            if wrong:
                modem["pin_tries"] = max(0, modem["pin_tries"] - 1)  # written back: no raise in here
            else:
                modem["unlocked"] = True
        if wrong:
            raise MmcliError(f"error: couldn't send PIN code to the SIM: '{_ERROR}MobileEquipment."
                             "IncorrectPassword: Incorrect password'")

    def human(self, selector: str, now: float | None = None) -> str:
        """``mmcli -m SELECTOR`` as the table mmcli prints."""
        return format_human(self.modem_json(selector, now)["modem"])


def _device_id(m: dict[str, Any]) -> str:
    """40 hex digits, stable for a device path and IMEI (ModemManager's is a SHA-1 of similar data)."""
    seed = f"{m['device']}|{m['imei']}".encode()
    return "".join(f"{zlib.crc32(seed, salt):08x}" for salt in range(5))


def _render(m: dict[str, Any], now: float) -> dict[str, Any]:
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
            state, registration, packet = "registered", wanted, "attached"
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
            "bearers": [],
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


# ---------------------------------------------------------------------------------------------
# the command line

class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # mmcli's way: one line on stderr, status 1
        raise MmcliError(f"error: couldn't parse command line options: {message}")


def _parser() -> _Parser:
    parser = _Parser(prog="mmcli", add_help=False, allow_abbrev=False)
    parser.add_argument("--state", required=True)
    parser.add_argument("-L", "--list-modems", action="store_true")
    parser.add_argument("-m", "--modem")
    parser.add_argument("-i", "--sim")
    parser.add_argument("-e", "--enable", action="store_true")
    parser.add_argument("--pin")
    parser.add_argument("-J", "--output-json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(sys.argv[1:] if argv is None else list(argv))
        state = MMState(args.state)
        if args.list_modems:
            paths = state.modem_list()
            if args.output_json:
                print(json.dumps({"modem-list": paths}, separators=(",", ":")))
            elif not paths:
                print("No modems were found")
            else:
                for path in paths:
                    modem = state.modem_json(path)["modem"]["generic"]
                    print(f"    {path} [{modem['manufacturer']}] {modem['model']}")
        elif args.sim is not None:
            if args.pin is None:
                raise MmcliError("error: the fake mmcli only sends a PIN to a SIM (-i SIM --pin=PIN)")
            state.send_pin(args.sim, args.pin)
            print("successfully sent PIN code to the SIM")
        elif args.modem is not None:
            if args.enable:
                state.enable(args.modem)
                print("successfully enabled the modem")
            elif args.output_json:
                print(json.dumps(state.modem_json(args.modem), separators=(",", ":")))
            else:
                sys.stdout.write(state.human(args.modem))
        else:
            raise MmcliError("error: no actions specified")
    except MmcliError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
