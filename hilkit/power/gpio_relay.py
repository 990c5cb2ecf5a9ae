"""A relay on a GPIO pin, driven through gpiozero (any pin factory: lgpio, rpigpio, pigpio, mock)."""
from __future__ import annotations

from gpiozero import OutputDevice
from gpiozero.pins import Factory

from hilkit.power.power_switch import PowerSwitch


class GpioRelay(PowerSwitch):
    """A relay whose contact powers the dongle when the pin is active.

    ``active_high=False`` for the common low-triggered relay boards. The pin starts inactive, so
    creating the driver never powers a dongle by surprise; closing it leaves the relay at rest.
    """

    def __init__(self, pin: int | str, active_high: bool = True, pin_factory: Factory | None = None,
                 name: str = "") -> None:
        super().__init__(name or f"gpio relay on pin {pin}")
        self.device = OutputDevice(pin, active_high=active_high, initial_value=False,
                                   pin_factory=pin_factory)

    def _set(self, on: bool) -> None:
        if on:
            self.device.on()
        else:
            self.device.off()

    def _read(self) -> bool | None:
        # OutputDevice.value reads the pin level back through the factory and maps it by active_high.
        return bool(self.device.value)

    def close(self) -> None:
        if not self.closed:
            try:
                super().close()
            finally:
                self.device.close()
