"""Checks on usb_modeswitch: its udev rule must not switch the dongles before the test does, and the
program itself (needed only by the external switch engine) is reported with its version."""
from __future__ import annotations

import re

from hilkit.core.ids import UsbId
from hilkit.core.profile import ModeSpec, Profile
from hilkit.core.rig import Rig
from hilkit.doctor.findings import FAIL, OK, WARN, Finding
from hilkit.doctor.host import Host
from hilkit.doctor.rig_slots import usb_ids
from hilkit.doctor.udev_rules import RULE_DIRS, UdevRule, masked, parse_udev_rules, rule_file, udev_value_matches

MODESWITCH_RULE = "40-usb_modeswitch.rules"
MODESWITCH_CONF = "/etc/usb_modeswitch.conf"

_VERSION = re.compile(r"Version\s+(\S+)")


def _switch_sources(profile: Profile) -> list[ModeSpec]:
    """The modes a switch starts from: what usb_modeswitch's rule would switch."""
    names = {sw.source for sw in profile.switches}
    return [mode for mode in profile.modes.values() if mode.name in names]


def _disable_switching(host: Host) -> str | None:
    """DisableSwitching's value in /etc/usb_modeswitch.conf (the last one), None when not set."""
    value = None
    for line in (host.read(MODESWITCH_CONF) or "").splitlines():
        line = re.split(r"[#;!]", line, maxsplit=1)[0].strip()
        key, sep, rest = line.partition("=")
        if sep and key.strip() == "DisableSwitching":
            value = rest.strip().strip("\"'")
    return value


def _rule_switches(rule: UdevRule, uid: UsbId, mode: ModeSpec) -> bool:
    vendor, product = rule.matches.get("idVendor"), rule.matches.get("idProduct")
    if vendor is None or "usb_modeswitch" not in rule.assigns.get("RUN", ""):
        return False
    if not udev_value_matches(vendor, f"{uid.vendor:04x}"):
        return False
    if product is not None and not udev_value_matches(product, f"{uid.product:04x}"):
        return False
    cls = rule.matches.get("bInterfaceClass")  # the generic Huawei rule: interface 0 of class 08
    if cls is not None:
        first = [i for i in mode.interfaces if i.number == 0 and i.alt == 0]
        if not first or not udev_value_matches(cls, f"{first[0].cls:02x}"):
            return False
    return True


def check_modeswitch_rule(rig: Rig, host: Host) -> list[Finding]:
    """usb_modeswitch's udev rule, when it would switch a slot's dongle on its own."""
    check = "modeswitch-rule"
    switching = [slot for slot in rig.slots if slot.profile.switches]
    if not switching:
        return [Finding(OK, check, "no slot's profile has a switch: usb_modeswitch's udev rule does not matter")]
    path = rule_file(host, MODESWITCH_RULE)
    why = host.container()
    udevd_here = any((host.read(comm) or "").strip() in ("systemd-udevd", "udevd")
                     for comm in host.glob("/proc/[0-9]*/comm"))
    if why and not udevd_here:  # the rules that run are the host's udevd's: these files say nothing of them
        ids = ", ".join(str(uid) for slot in switching for uid in usb_ids(_switch_sources(slot.profile)))
        return [Finding(WARN, check, f"in a container ({why}): the host's udev rules decide whether usb_modeswitch "
                                     f"switches the dongles ({ids}) before the test can; they cannot be read here",
                        f"on the host: set DisableSwitching=1 in {MODESWITCH_CONF}, or sudo ln -s /dev/null "
                        f"/etc/udev/rules.d/{MODESWITCH_RULE} && sudo udevadm control --reload")]
    if path is None:
        return [Finding(OK, check, f"no {MODESWITCH_RULE} in {', '.join(RULE_DIRS)}: "
                                   "nothing switches the dongles before the test")]
    shown = host.show(path)
    how = masked(path)
    if how:
        return [Finding(OK, check, f"usb_modeswitch's udev rule is off: {shown} is {how}")]
    rules = parse_udev_rules(host.read(path) or "")
    hits: list[str] = []
    for slot in switching:
        for mode in _switch_sources(slot.profile):
            for uid in mode.ids:
                rule = next((r for r in rules if _rule_switches(r, uid, mode)), None)
                if rule is not None:
                    hits.append(f"{slot.name} ({uid}, line {rule.line})")
    if not hits:
        ids = ", ".join(str(uid) for slot in switching for uid in usb_ids(_switch_sources(slot.profile)))
        return [Finding(OK, check, f"{shown} matches none of the slots' dongles ({ids})")]
    value = _disable_switching(host)
    if value is not None and value.lower() in ("1", "yes", "true"):
        return [Finding(OK, check, f"{shown} matches slots {', '.join(hits)}, but DisableSwitching={value} "
                                   f"in {MODESWITCH_CONF} keeps it off")]
    setting = (f"DisableSwitching={value} in {MODESWITCH_CONF}" if value is not None
               else f"no DisableSwitching in {MODESWITCH_CONF}")
    return [Finding(FAIL, check,
                    f"{shown} will switch the dongles of slots {', '.join(hits)} before the test can ({setting})",
                    f"set DisableSwitching=1 in {MODESWITCH_CONF}, or override the rule: sudo ln -s /dev/null "
                    f"/etc/udev/rules.d/{MODESWITCH_RULE} && sudo udevadm control --reload")]


def check_modeswitch_binary(rig: Rig, host: Host) -> list[Finding]:
    """The usb_modeswitch program: installed, and which version."""
    check = "usb_modeswitch"
    program = host.find_program("usb_modeswitch")
    if program is None:
        return [Finding(WARN, check, "usb_modeswitch is not installed (needed only by the external switch "
                                     "engine; hilkit's own engine switches over pyusb)",
                        "sudo apt install usb-modeswitch")]
    done = host.run_program(program, "--version")
    match = _VERSION.search(done.text)
    if match is None:
        first = done.text.strip().splitlines()[:1] or [f"exit {done.returncode}"]
        return [Finding(WARN, check, f"{program}: `usb_modeswitch --version` gave no version ({first[0]})")]
    return [Finding(OK, check, f"{program}: version {match.group(1)}")]
