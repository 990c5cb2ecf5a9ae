"""Power switches: one contract (:class:`PowerSwitch`), a driver per kind of hardware."""
from .base import PowerSwitch
from .gpio import GpioRelay
from .uhubctl import UhubctlPort, parse_port_status

__all__ = ["PowerSwitch", "GpioRelay", "UhubctlPort", "parse_port_status"]
