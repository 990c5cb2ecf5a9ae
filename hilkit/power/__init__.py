"""Power switches: one contract (:class:`PowerSwitch`), a driver per kind of hardware."""
from hilkit.power.base import PowerSwitch
from hilkit.power.gpio import GpioRelay
from hilkit.power.uhubctl import UhubctlPort, parse_port_status

__all__ = ["PowerSwitch", "GpioRelay", "UhubctlPort", "parse_port_status"]
