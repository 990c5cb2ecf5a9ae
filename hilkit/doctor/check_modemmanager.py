"""The ModemManager check: running when a slot attaches through it, and kept off (ID_MM_DEVICE_IGNORE)
the serial ports hilkit opens itself."""
from __future__ import annotations

from hilkit.core.ids import UsbId
from hilkit.core.profile import TTY_ROLES
from hilkit.core.rig import Rig
from hilkit.doctor.findings import FAIL, OK, WARN, Finding
from hilkit.doctor.host import Host
from hilkit.doctor.rig_slots import slot_names, usb_ids
from hilkit.doctor.udev_rules import UdevRule, effective_rule_files, parse_udev_rules, udev_value_matches

MM_IGNORE_RULES = "/etc/udev/rules.d/70-hilkit-mm-ignore.rules"


def _pids(host: Host, name: str) -> list[int]:
    """The system's ``name`` processes: not a virtual lab's private ModemManager (``--test-enable``,
    on its own D-Bus), which probes only the virtual dongles."""
    pids = []
    for comm in host.glob("/proc/[0-9]*/comm"):
        if (host.read(comm) or "").strip() == name:
            cmdline = (host.read(comm.parent / "cmdline") or "").replace("\0", " ")
            if "--test-enable" not in cmdline:
                pids.append(int(comm.parent.name))
    return sorted(pids)


def _mm_ignore_rules(host: Host) -> list[UdevRule]:
    return [rule for path in effective_rule_files(host) for rule in parse_udev_rules(host.read(path) or "")
            if rule.assigns.get("ENV{ID_MM_DEVICE_IGNORE}") == "1"]


def _mm_ignored(rules: list[UdevRule], uid: UsbId) -> bool:
    """Whether one of the rules sets ID_MM_DEVICE_IGNORE for ``uid`` (a rule without ids: for all)."""
    for rule in rules:
        vendor, product = rule.matches.get("idVendor"), rule.matches.get("idProduct")
        if vendor is not None and not udev_value_matches(vendor, f"{uid.vendor:04x}"):
            continue
        if product is not None and not udev_value_matches(product, f"{uid.product:04x}"):
            continue
        return True
    return False


def _mm_ignore_rule(ids: list[UsbId]) -> str:
    by_vendor: dict[int, list[str]] = {}
    for uid in ids:
        by_vendor.setdefault(uid.vendor, []).append(f"{uid.product:04x}")
    return " and ".join(f'ATTRS{{idVendor}}=="{vendor:04x}", ATTRS{{idProduct}}=="{"|".join(products)}", '
                        'ENV{ID_MM_DEVICE_IGNORE}="1"' for vendor, products in sorted(by_vendor.items()))


def check_modemmanager(rig: Rig, host: Host) -> list[Finding]:
    """ModemManager: running when slots attach through it, and not probing the ports hilkit opens."""
    check = "modemmanager"
    pids = _pids(host, "ModemManager")
    through_mm = [s for s in rig.slots if s.profile.attach and s.profile.attach.method == "modemmanager"]
    # the slots whose serial ports hilkit opens itself (AT attach, the modem fixture)
    direct = [s for s in rig.slots if s not in through_mm
              and any(i.role in TTY_ROLES for m in s.profile.modes.values() for i in m.interfaces)]
    if not pids:
        if through_mm:
            return [Finding(FAIL, check, f"ModemManager is not running, and slots {slot_names(through_mm)} attach "
                                         "through it (attach.method: modemmanager)",
                            "sudo systemctl enable --now ModemManager")]
        why = host.container()
        if why and direct:
            return [Finding(WARN, check, f"ModemManager is not running in this container ({why}); a ModemManager on "
                                         "the host would still probe the dongles' ports, and cannot be seen from here",
                            "on the host: systemctl is-active ModemManager; if it runs, add an ID_MM_DEVICE_IGNORE "
                            f"rule for the dongles there ({MM_IGNORE_RULES}) or stop it")]
        return [Finding(OK, check, "ModemManager is not running: nothing else opens the dongles' ports")]
    running = f"ModemManager is running (pid {', '.join(map(str, pids))})"
    ignore = _mm_ignore_rules(host)
    exposed = [(slot, [uid for uid in usb_ids(slot.profile.modes.values()) if not _mm_ignored(ignore, uid)])
               for slot in direct]
    exposed = [(slot, ids) for slot, ids in exposed if ids]
    if not exposed:
        if direct:
            return [Finding(OK, check, f"{running}; a udev rule sets ID_MM_DEVICE_IGNORE for the dongles of "
                                       f"slots {slot_names(direct)}")]
        return [Finding(OK, check, f"{running}" + (f"; slots {slot_names(through_mm)} attach through it"
                                                    if through_mm else ""))]
    ids = sorted({uid for _, slot_ids in exposed for uid in slot_ids})
    fix = (f"add {_mm_ignore_rule(ids)} to {MM_IGNORE_RULES}, then sudo udevadm control --reload && "
           "sudo udevadm trigger")
    if not through_mm:
        fix += "; or, if nothing here needs it: sudo systemctl disable --now ModemManager"
    slots = "; ".join(f"{slot.name} ({', '.join(map(str, slot_ids))})" for slot, slot_ids in exposed)
    return [Finding(FAIL, check, f"{running} and will probe the serial ports hilkit opens itself, of slots {slots}",
                    fix)]
