"""The checks on each slot's USB port: its uhubctl hub can switch that port's power, and the slot's
dongle is on that port (not elsewhere, not missing with its hub)."""
from __future__ import annotations

from hilkit.core.rig import Rig, Slot
from hilkit.doctor.findings import FAIL, OK, WARN, Finding
from hilkit.doctor.host import Host
from hilkit.doctor.rig_slots import slot_names, usb_ids
from hilkit.doctor.uhubctl_status import parse_uhubctl_hubs
from hilkit.doctor.usb_devices import sysfs_devices


def check_uhubctl(rig: Rig, host: Host) -> list[Finding]:
    """uhubctl installed, and each hub the slots name has per-port power and the ports they name."""
    check = "uhubctl"
    slots = [s for s in rig.slots if s.power.driver == "uhubctl"]
    if not slots:
        return []
    program = host.find_program("uhubctl")
    if program is None:
        return [Finding(FAIL, check, f"uhubctl is not installed, and slots {slot_names(slots)} switch their power "
                                     "with it",
                        "sudo apt install uhubctl")]
    why = host.container()
    if why and not host.path("/sys/bus/usb/devices").is_dir():
        return [Finding(FAIL, check, f"in a container ({why}) without /sys/bus/usb: uhubctl cannot find or switch "
                                     f"the hub ports of slots {slot_names(slots)}",
                        "give the container the host's sysfs read-write and USB: docker run --privileged "
                        "-v /sys:/sys -v /dev/bus/usb:/dev/bus/usb ... (docs/containers.md)")]
    findings = []
    for hub in sorted({s.power.hub for s in slots}):
        on_hub = [s for s in slots if s.power.hub == hub]
        findings.append(_check_hub(host, program, hub, on_hub))
    return findings


def _check_hub(host: Host, program: str, hub: str, slots: list[Slot]) -> Finding:
    check = "uhubctl"
    done = host.run_program(program, "-l", hub)
    if "permission problems" in done.text:
        return Finding(FAIL, check, f"hub {hub}: uhubctl cannot open the hubs (permission problems)",
                       'udev rule SUBSYSTEM=="usb", DRIVER=="hub|usb", MODE="0664", GROUP="dialout" in '
                       "/etc/udev/rules.d/52-usb.rules (see uhubctl's README), and sudo usermod -aG dialout $USER")
    hubs = parse_uhubctl_hubs(done.stdout)
    status = next((h for h in hubs if h.location == hub), hubs[0] if hubs else None)
    if status is None:
        forced = parse_uhubctl_hubs(host.run_program(program, "-f", "-l", hub).stdout)
        status = next((h for h in forced if h.location == hub), None)
        if status is None:
            last = (done.stderr or done.stdout).strip().splitlines()[:1] or [f"exit {done.returncode}"]
            return Finding(FAIL, check, f"no hub at location {hub} (uhubctl -l {hub}: {last[0]})",
                           "run sudo uhubctl to list the hub locations; set power.hub to the hub the dongles are on")
    what = f"hub {hub} [{status.description}]"
    if status.switching in ("ganged", "nops"):
        kind = "switches all its ports together (ganged)" if status.switching == "ganged" else "cannot switch power"
        return Finding(FAIL, check, f"{what} {kind}: no per-port power for slots {slot_names(slots)}",
                       "use a hub with per-port power switching (uhubctl's README lists them) or a GPIO relay")
    too_high = [s for s in slots if status.ports is not None and s.power.port > status.ports]
    if too_high:
        return Finding(FAIL, check, f"{what} has {status.ports} ports; slots "
                                    f"{', '.join(f'{s.name} (port {s.power.port})' for s in too_high)} name a port "
                                    "it does not have", f"set power.port to one of 1-{status.ports} for those slots")
    how = "per-port power (ppps)" if status.switching == "ppps" else \
        "listed by uhubctl, which lists only hubs with per-port power"
    return Finding(OK, check, f"{what}: {how}, for slots {slot_names(slots)}")


def _parent(port: str) -> str | None:
    """``1-1.2`` -> ``1-1``; ``1-2`` -> None (a root port: its parent is the bus)."""
    head, dot, _ = port.rpartition(".")
    return head if dot else None


def check_ports(rig: Rig, host: Host) -> list[Finding]:
    """One finding per slot: the dongle on its port is one of its profile's ids."""
    check = "port"
    if not host.path("/sys/bus/usb/devices").is_dir():
        why = host.container()
        fix = (f"give the container the host's sysfs: docker run -v /sys:/sys:ro ... (in a container: {why})"
               if why else "mount sysfs: sudo mount -t sysfs sysfs /sys")
        return [Finding(FAIL, check, f"no /sys/bus/usb/devices here: the ports of slots {slot_names(rig.slots)} "
                                     "cannot be read", fix)]
    devices = sysfs_devices(host)
    claimed = {slot.port for slot in rig.slots}
    findings = []
    for slot in rig.slots:
        ids = {str(uid) for uid in usb_ids(slot.profile.modes.values())}
        where = f"slot {slot.name} ({slot.port})"
        dev = devices.get(slot.port)
        if dev is not None:
            if dev.usb_id in ids:
                modes = [m.name for m in slot.profile.modes.values() if dev.usb_id in map(str, m.ids)]
                findings.append(Finding(OK, check, f"{where}: {dev.usb_id} ({slot.profile.key}, "
                                                   f"mode {' or '.join(modes)})"))
            else:
                findings.append(Finding(WARN, check, f"{where}: {dev.usb_id} is there, which is none of "
                                                     f"{slot.profile.key}'s ids ({', '.join(sorted(ids))})",
                                        "plug the right dongle into this port, or fix the slot's profile"))
            continue
        elsewhere = [d for d in devices.values() if d.usb_id in ids and d.port not in claimed]
        listing = ", ".join(f"{d.port} {d.usb_id}" for d in sorted(devices.values(), key=lambda d: d.port)[:12])
        listing = listing or "nothing in /sys/bus/usb/devices"
        if elsewhere:
            found = ", ".join(f"{d.usb_id} at {d.port}" for d in elsewhere)
            findings.append(Finding(FAIL, check, f"{where}: nothing there, but {found} ({slot.profile.key}) "
                                                 "is on a port no slot names",
                                    f"move the dongle to {slot.port}, or set port: \"{elsewhere[0].port}\" for slot "
                                    f"{slot.name}"))
            continue
        parent = _parent(slot.port)
        if parent is not None and parent not in devices:
            findings.append(Finding(FAIL, check, f"{where}: its hub {parent} is not on the bus either "
                                                 f"(on the bus: {listing})",
                                    "plug the hub in, or correct port: in the rig (ls /sys/bus/usb/devices)"))
            continue
        findings.append(Finding(WARN, check, f"{where}: nothing there (powered off?); on the bus: {listing}",
                                "power the dongle on and run again; if it shows up elsewhere, correct port:"))
    return findings
