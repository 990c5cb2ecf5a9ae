"""Power switches: one contract (:class:`PowerSwitch`), a driver per kind of hardware."""
from hilkit.power.gpio_relay import GpioRelay
from hilkit.power.power_switch import PowerSwitch
from hilkit.power.uhubctl_port import UhubctlPort, parse_port_status

__all__ = ["PowerSwitch", "GpioRelay", "UhubctlPort", "parse_port_status"]
