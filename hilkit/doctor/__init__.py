"""``hilkit doctor``: is this machine ready to run a rig unattended tonight?

The package's modules: :mod:`~hilkit.doctor.findings` (Finding, OK/WARN/FAIL, summary),
:mod:`~hilkit.doctor.host` (the fake-able machine), the parsers :mod:`~hilkit.doctor.udev_rules` and
:mod:`~hilkit.doctor.uhubctl_status`, the ``check_*`` modules, and :mod:`~hilkit.doctor.run`
(CHECKS, run_doctor). The names other code uses are re-exported here.
"""
from hilkit.doctor.check_container import check_container
from hilkit.doctor.check_dial_up import check_dial_up
from hilkit.doctor.check_gpio import check_gpio_chip, check_pin_factory
from hilkit.doctor.check_modemmanager import check_modemmanager
from hilkit.doctor.check_modeswitch import check_modeswitch_binary, check_modeswitch_rule
from hilkit.doctor.check_permissions import DeniedNode, check_permissions, permission_fix
from hilkit.doctor.check_subnets import check_subnets
from hilkit.doctor.check_usb_ports import check_ports, check_uhubctl
from hilkit.doctor.check_usbmon import check_usbmon
from hilkit.doctor.findings import FAIL, OK, WARN, Finding, summary
from hilkit.doctor.host import CommandResult, Host
from hilkit.doctor.run import CHECKS, run_doctor
from hilkit.doctor.udev_rules import UdevRule, parse_udev_rules
from hilkit.doctor.uhubctl_status import HubStatus, parse_uhubctl_hubs

__all__ = [
    "CHECKS", "FAIL", "OK", "WARN", "CommandResult", "DeniedNode", "Finding", "Host", "HubStatus", "UdevRule",
    "check_container", "check_dial_up", "check_gpio_chip", "check_modemmanager", "check_modeswitch_binary",
    "check_modeswitch_rule", "check_permissions", "check_pin_factory", "check_ports", "check_subnets",
    "check_uhubctl", "check_usbmon",
    "parse_udev_rules", "parse_uhubctl_hubs", "permission_fix", "run_doctor", "summary",
]
