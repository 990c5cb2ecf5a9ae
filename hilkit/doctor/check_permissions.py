"""The permissions check: this user can read+write the device nodes of the slots' dongles, their hubs
and the serial ports; when not, which group to join or which udev rule to add."""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from hilkit.core.rig import Rig
from hilkit.doctor.findings import FAIL, OK, WARN, Finding
from hilkit.doctor.host import Host
from hilkit.doctor.usb_devices import sysfs_devices


def _groups(host: Host) -> dict[int, str]:
    names: dict[int, str] = {}
    for line in (host.read("/etc/group") or "").splitlines():
        parts = line.split(":")
        if len(parts) >= 3 and parts[2].isdigit():
            names.setdefault(int(parts[2]), parts[0])
    return names


@dataclass(frozen=True)
class DeniedNode:
    kind: str         # "usb" or "tty"
    group: str        # the node's group name (or gid)
    mode: int         # its permission bits
    usb_id: str = ""  # vvvv:pppp of the USB device, for a rule that matches it


def permission_fix(nodes: Sequence[DeniedNode]) -> str:
    """How this user gets read+write on ``nodes``: join their group when it has rw, else udev rules first."""
    join: list[str] = []
    vendors: list[str] = []
    usb_rule = tty_rule = False
    for node in nodes:
        if node.group not in ("root", "0", "") and node.mode & 0o060 == 0o060:
            join.append(node.group)
        elif node.kind == "tty":
            tty_rule = True
            join.append("dialout")
        else:
            usb_rule = True
            if ":" in node.usb_id:
                vendors.append(node.usb_id.split(":")[0])
            join.append("plugdev")
    rules = []
    if usb_rule:
        match = f', ATTR{{idVendor}}=="{"|".join(sorted(set(vendors)))}"' if vendors else ""
        rules.append(f'SUBSYSTEM=="usb"{match}, MODE="0660", GROUP="plugdev"')
    if tty_rule:
        rules.append('KERNEL=="ttyUSB*|ttyACM*", MODE="0660", GROUP="dialout"')
    groups = ",".join(sorted(set(join)))
    parts = [f"add {' and '.join(rules)} to /etc/udev/rules.d/50-hilkit.rules, then sudo udevadm control "
             "--reload && sudo udevadm trigger"] if rules else []
    if groups:
        parts.append(f"sudo usermod -aG {groups} $USER (then log in again)")
    return "; ".join(parts)


def check_permissions(rig: Rig, host: Host) -> list[Finding]:
    """Read+write on the slots' USB nodes, the uhubctl hubs' nodes and /dev/ttyUSB*, /dev/ttyACM*."""
    check = "permissions"
    devices = sysfs_devices(host)
    wanted: dict[str, tuple[str, str]] = {}  # node -> (what it is, usb id)
    for slot in rig.slots:
        dev = devices.get(slot.port)
        if dev and dev.node:
            wanted[dev.node] = (f"slot {slot.name}", dev.usb_id)
    for hub in sorted({s.power.hub for s in rig.slots if s.power.driver == "uhubctl"}):
        dev = devices.get(hub)
        if dev and dev.node:
            wanted.setdefault(dev.node, (f"hub {hub}", dev.usb_id))
    for pattern in ("/dev/ttyUSB*", "/dev/ttyACM*"):
        for path in host.glob(pattern):
            wanted[host.show(path)] = ("tty", "")
    if not wanted:
        return [Finding(WARN, check, "nothing to check: no slot's dongle on the bus, no /dev/ttyUSB*, /dev/ttyACM*",
                        "power the dongles on and run hilkit doctor again")]
    groups = _groups(host)
    denied, causes = [], []
    for node, (what, usb_id) in sorted(wanted.items()):
        path = host.path(node)
        if not path.exists():
            denied.append(f"{node} ({what}: missing)")
            continue
        if host.access(path, os.R_OK | os.W_OK):
            continue
        info = path.stat()
        group = groups.get(info.st_gid, str(info.st_gid))
        mode = info.st_mode & 0o777
        denied.append(f"{node} ({what}, group {group}, mode {mode:04o})")
        causes.append(DeniedNode("tty" if what == "tty" else "usb", group, mode, usb_id))
    if not denied:
        return [Finding(OK, check, f"read+write on {', '.join(sorted(wanted))}")]
    return [Finding(FAIL, check, f"this user cannot read+write {', '.join(denied)}",
                    permission_fix(causes) or "bind /dev into the container (-v /dev:/dev)")]
