"""``hilkit doctor``'s runner: every check, in order (:data:`CHECKS`), for a rig on a host (:func:`run_doctor`).

Each check is one small function ``check_x(rig, host) -> list[Finding]`` (usually one finding; the
port check gives one per slot). The checks take a :class:`~hilkit.core.rig.Rig` and ask only what its
slots say (power driver, port, profile), so they work for any hardware backend; a lab whose dongles
are not this host's hardware needs none of them. Nothing here reads the rig's secrets.
"""
from __future__ import annotations

from collections.abc import Callable

from hilkit.core.rig import Rig
from hilkit.doctor.check_container import check_container
from hilkit.doctor.check_dial_up import check_dial_up
from hilkit.doctor.check_gpio import check_gpio_chip, check_pin_factory
from hilkit.doctor.check_modemmanager import check_modemmanager
from hilkit.doctor.check_modeswitch import check_modeswitch_binary, check_modeswitch_rule
from hilkit.doctor.check_permissions import check_permissions
from hilkit.doctor.check_subnets import check_subnets
from hilkit.doctor.check_usb_ports import check_ports, check_uhubctl
from hilkit.doctor.check_usbmon import check_usbmon
from hilkit.doctor.findings import FAIL, OK, Finding
from hilkit.doctor.host import Host
from hilkit.lab.lab_backend import Capability
from hilkit.lab.registry import lab_class

CHECKS: tuple[Callable[[Rig, Host], list[Finding]], ...] = (
    check_container, check_modeswitch_rule, check_modemmanager, check_permissions, check_gpio_chip,
    check_pin_factory, check_uhubctl, check_ports, check_subnets, check_dial_up, check_usbmon,
    check_modeswitch_binary)


def run_doctor(rig: Rig, host: Host | None = None) -> list[Finding]:
    """Every check's findings for ``rig`` on ``host``; a lab whose dongles are not this host's
    hardware (a simulated one) gets one OK line."""
    cls = lab_class(rig)
    missing = cls.missing_here()
    if missing:   # what the backend itself needs comes before any check of the hardware
        return [Finding(FAIL, "rig", f"{rig.path}: backend {rig.backend} cannot run here: {line}") for line in missing]
    if Capability.HOST_HARDWARE not in cls.capabilities:
        return [Finding(OK, "rig", f"{rig.path}: backend {rig.backend}: the virtual lab needs nothing else from "
                                   "this machine; hardware checks skipped")]
    host = host or Host()
    return [finding for check in CHECKS for finding in check(rig, host)]
