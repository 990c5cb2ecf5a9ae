"""The fake ModemManager's state: its modems, in a JSON file the virtual lab and the fake mmcli share.

The virtual lab adds a modem when a dongle enumerates and removes it when it goes away. Everything
time-dependent is computed when asked, from wall-clock time (``time.time()``, shared by processes)
and the profile's ``virtual.network``: a modem is listed from ``plugged_at``; it is ``disabled``
until enabled, then ``searching`` until ``register_after`` seconds have passed, then ``registered``
(home or roaming) -- or it keeps ``searching`` with registration ``denied``/``searching``. A SIM
with a PIN keeps the modem ``locked`` (``unlock-required: sim-pin``) until the right PIN is sent
(each wrong one costs a try; none left means ``sim-puk``); an absent SIM gives state ``failed``,
``state-failed-reason: sim-missing``. Modem indexes grow with every add, as ModemManager's do on
every re-plug, and are never reused. Writers hold an ``fcntl`` lock on ``STATEFILE.lock``.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hilkit.sim.programs.fake_mmcli_output import MODEM_PREFIX, PIN_TRIES, SIM_PREFIX, format_human, render_modem
from hilkit.sim.programs.mm_bearer import BEARER_PREFIX, new_bearer, parse_settings, render_bearer, set_link

if TYPE_CHECKING:
    from hilkit.core.profile import NetworkModel

SYSFS_ROOT = "/sys/devices/platform/soc/3f980000.usb"
NETWORK_FIELDS = ("sim", "sim_pin", "registration", "technology", "operator", "mcc_mnc", "csq",
                  "register_after")

_PORT = re.compile(r"^(\d+)-(\d+)((?:\.\d+)*)$")
_ERROR = "GDBus.Error:org.freedesktop.ModemManager1.Error."


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
                  plugged_at: float | None = None, data_path: Mapping[str, Any] | None = None) -> int:
        """A modem appears on ``port_path`` (listed from ``plugged_at``, wall-clock); its index.

        ``ports`` as mmcli shows them: ``"ttyUSB0 (at)"``, ``"wwan0 (net)"``. A modem already on
        that port is replaced (a re-plug). Indexes grow and are never reused. ``data_path``: what a
        bearer connects to (``interface``, ``ipv4`` settings, the ``link_command`` that raises it).
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
                "enabled_at": None, "unlocked": False, "pin_tries": PIN_TRIES, "bearers": []})
            if data_path is not None:
                data.setdefault("data_paths", {})[port_path] = dict(data_path)
        return index

    def set_data_path(self, port_path: str, data_path: Mapping[str, Any]) -> None:
        """What a bearer of the modem on ``port_path`` connects to from now on (see :meth:`add_modem`):
        the port's, so a modem plugged later on that port has it too."""
        with self._locked() as data:
            data.setdefault("data_paths", {})[port_path] = dict(data_path)

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
        return {"modem": render_modem(self._select(self._visible(now), selector), now)}

    def enable(self, selector: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._locked() as data:
            modem = self._select([m for m in data["modems"] if m["plugged_at"] <= now], selector)
            state = render_modem(modem, now)["generic"]["state"]
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
            lock = render_modem(modem, now)["generic"]["unlock-required"]
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

    def simple_connect(self, selector: str, settings: str, now: float | None = None) -> str:
        """``mmcli -m M --simple-connect=...``: a connected bearer on a registered modem; its path."""
        now = time.time() if now is None else now
        try:
            wanted = parse_settings(settings)
        except ValueError as exc:
            raise MmcliError(f"error: {exc}") from None
        with self._locked() as data:
            modem = self._select([m for m in data["modems"] if m["plugged_at"] <= now], selector)
            state = render_modem(modem, now)["generic"]["state"]
            if state not in ("registered", "connected"):
                raise MmcliError(f"error: couldn't connect the modem: '{_ERROR}Core.WrongState: "
                                 f"modem is {state}: not registered'")
            path = data.get("data_paths", {}).get(modem["port_path"], {})
            data.setdefault("next_bearer", 0)
            bearer = new_bearer(data["next_bearer"], path, wanted)
            data["next_bearer"] += 1
            modem["bearers"] = [b for b in modem.get("bearers", []) if b["connected"]] + [bearer]
        set_link(path, True)
        return f"{BEARER_PREFIX}{bearer['index']}"

    def simple_disconnect(self, selector: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._locked() as data:
            modem = self._select([m for m in data["modems"] if m["plugged_at"] <= now], selector)
            for bearer in modem.get("bearers", []):
                bearer["connected"] = False
            path = data.get("data_paths", {}).get(modem["port_path"], {})
        set_link(path, False)

    def bearer_json(self, selector: str) -> dict[str, Any]:
        """``mmcli -b PATH|INDEX -J``."""
        for modem in self._read()["modems"]:
            for bearer in modem.get("bearers", []):
                if selector in (str(bearer["index"]), f"{BEARER_PREFIX}{bearer['index']}"):
                    return {"bearer": render_bearer(bearer)}
        raise MmcliError("error: couldn't find bearer")

    def human(self, selector: str, now: float | None = None) -> str:
        """``mmcli -m SELECTOR`` as the table mmcli prints."""
        return format_human(self.modem_json(selector, now)["modem"])
