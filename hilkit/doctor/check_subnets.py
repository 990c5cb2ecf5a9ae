"""The HiLink subnet check: a HiLink stick routes its own LAN (192.168.8.0/24 by default); a host
network that overlaps it (a classic on a lab LAN) sends the stick's traffic, or the host's, the
wrong way."""
from __future__ import annotations

import ipaddress
import json
from urllib.parse import urlparse

from hilkit.core.rig import Rig, Slot
from hilkit.doctor.findings import FAIL, OK, WARN, Finding
from hilkit.doctor.host import Host
from hilkit.doctor.rig_slots import slot_names


def stick_network(slot: Slot) -> ipaddress.IPv4Network:
    """The LAN behind the slot's HiLink stick: its web API's address, /24 (the sticks' default)."""
    attach = slot.profile.attach
    address = urlparse(attach.url if attach and attach.url else "http://192.168.8.1").hostname or "192.168.8.1"
    return ipaddress.ip_network(f"{address}/24", strict=False)  # type: ignore[return-value]


def _dongles_interface(host: Host, name: str, slots: list[Slot]) -> bool:
    """Is interface ``name`` a slot's dongle itself (its sysfs device is under the slot's port)?"""
    try:
        device = str(host.path(f"/sys/class/net/{name}/device").resolve())
    except OSError:
        return False
    return any(f"/{slot.port}:" in device for slot in slots)


def check_subnets(rig: Rig, host: Host) -> list[Finding]:
    check = "subnet"
    slots = [s for s in rig.slots if s.profile.attach and s.profile.attach.method == "hilink"]
    if not slots:
        return []
    program = host.find_program("ip")
    if program is None:
        return [Finding(WARN, check, f"ip (iproute2) not found: the HiLink slots' subnets ({slot_names(slots)}) "
                                     "are not checked against this host's networks", "sudo apt install iproute2")]
    done = host.run_program(program, "-j", "-4", "addr", "show")
    try:
        links = json.loads(done.stdout or "[]")
    except ValueError:
        return [Finding(WARN, check, f"`ip -j -4 addr show` gave no JSON ({done.text[:80]}): subnets not checked")]
    networks = {slot.name: stick_network(slot) for slot in slots}
    hosts = [link for link in links if not _dongles_interface(host, link.get("ifname", "?"), slots)]
    clashes = []
    for slot in slots:
        for link in hosts:
            for addr in link.get("addr_info", []):
                mine = ipaddress.ip_network(f"{addr.get('local')}/{addr.get('prefixlen', 32)}", strict=False)
                if mine.overlaps(networks[slot.name]):
                    clashes.append(f"{link.get('ifname', '?')} {addr.get('local')}/{addr.get('prefixlen')} overlaps "
                                   f"the network {networks[slot.name]} behind slot {slot.name}'s HiLink stick")
    if clashes:
        return [Finding(FAIL, check, "; ".join(clashes),
                        "move the stick to another subnet (its web UI: Settings > DHCP, e.g. 192.168.9.1) and "
                        "set attach.url in a lab profile, or renumber the host's network")]
    shown = ", ".join(sorted({str(n) for n in networks.values()}))
    return [Finding(OK, check, f"no network of this host overlaps {shown} (HiLink slots {slot_names(slots)})")]
