"""The fake ModemManager's bearers: ``--simple-connect`` / ``--simple-disconnect`` on a modem, and
a bearer as ``mmcli -b N -J`` shows it.

The field names are mmcli's (1.20+): ``bearer.status.connected``, ``bearer.status.interface``,
``bearer.ipv4-config.method/address/prefix/gateway/dns/mtu``, ``bearer.properties.apn`` -- as the
scripts that read real mmcli output take them (e.g. OpenWrt's modemmanager.proto, which reads
``bearer.ipv4-config.prefix`` and ``bearer.status.interface`` from ``mmcli -b N -K``). The data
path behind a bearer (its interface and IPv4 settings) is what the virtual lab's carrier network
gives the modem; the link comes up by running the lab's ``link`` command with ``up``/``down``.
"""
from __future__ import annotations

import subprocess
from typing import Any

BEARER_PREFIX = "/org/freedesktop/ModemManager1/Bearer/"
U = "--"


def parse_settings(text: str) -> dict[str, str]:
    """``apn=internet,ip-type=ipv4,user=u,password=p`` as mmcli's --simple-connect takes it."""
    settings = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"couldn't parse input string: '{text}'")
        settings[key.strip()] = value.strip()
    return settings


def set_link(path: dict[str, Any], up: bool) -> None:
    """Bring the data path's link up or down, as the modem's driver would (the lab's command)."""
    command = path.get("link_command")
    if command:
        subprocess.run([*command, "up" if up else "down"], check=False, capture_output=True, timeout=30)


def new_bearer(index: int, path: dict[str, Any], settings: dict[str, str]) -> dict[str, Any]:
    """A connected bearer on the data path ``path`` (its ``interface`` and ``ipv4`` settings)."""
    return {"index": index, "apn": settings.get("apn", ""), "ip-type": settings.get("ip-type", "ipv4"),
            "user": settings.get("user", ""), "connected": True, "interface": path.get("interface", ""),
            "ipv4": dict(path.get("ipv4", {}))}


def render_bearer(bearer: dict[str, Any]) -> dict[str, Any]:
    """One bearer as ``mmcli -b N -J`` shows it (every value a string, ``--`` when unknown)."""
    connected = bool(bearer["connected"])
    ipv4 = bearer["ipv4"] if connected else {}
    return {
        "dbus-path": f"{BEARER_PREFIX}{bearer['index']}",
        "type": "default",
        "status": {"connected": "yes" if connected else "no", "suspended": "no", "multiplexed": "no",
                   "interface": (bearer["interface"] or U) if connected else U, "ip-timeout": "20",
                   "profile-id": U, "connection-error": {"name": U, "message": U}},
        "properties": {"apn": bearer["apn"] or U, "ip-type": bearer["ip-type"], "user": bearer["user"] or U,
                       "password": U, "roaming": "allowed", "allowed-auth": U, "rm-protocol": U,
                       "apn-type": U},
        "ipv4-config": {"method": ipv4.get("method", U), "address": ipv4.get("address", U),
                        "prefix": str(ipv4.get("prefix", U)), "gateway": ipv4.get("gateway", U),
                        "dns": list(ipv4.get("dns", [])), "mtu": str(ipv4.get("mtu", U))},
        "ipv6-config": {"method": U, "address": U, "prefix": U, "gateway": U, "dns": [], "mtu": U},
        "stats": {"attempts": "1", "failed-attempts": "0", "bytes-rx": "0", "bytes-tx": "0", "duration": "0",
                  "start-date": U, "total-bytes-rx": "0", "total-bytes-tx": "0", "total-duration": "0"},
    }
