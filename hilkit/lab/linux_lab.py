"""The real rig: dongles on this host's USB, relays on its GPIO (gpiozero, with the pin factory the
rig file names) or hub ports switched by uhubctl."""
from __future__ import annotations

from gpiozero.pins import Factory

from hilkit.core.errors import RigError
from hilkit.core.rig import Rig, Slot
from hilkit.core.usb_capture import UrbEvent
from hilkit.lab.lab_backend import Capability, LabBackend
from hilkit.usb.sysfs_bus import LinuxUsbBus
from hilkit.usb.usbmon import UsbmonError, UsbmonReader

#: rig file name -> (module, class) of the gpiozero pin factory
PIN_FACTORIES = {
    "lgpio": ("gpiozero.pins.lgpio", "LGPIOFactory"),
    "rpigpio": ("gpiozero.pins.rpigpio", "RPiGPIOFactory"),
    "pigpio": ("gpiozero.pins.pigpio", "PiGPIOFactory"),
    "native": ("gpiozero.pins.native", "NativeFactory"),
    "mock": ("gpiozero.pins.mock", "MockFactory"),
}


def pin_factory(rig: Rig) -> Factory | None:
    """The gpiozero pin factory the rig names ("" = gpiozero's own choice); one-line error if it
    cannot start (library missing, no GPIO chip, pigpiod not answering)."""
    if not rig.pin_factory:
        return None
    module_name, class_name = PIN_FACTORIES[rig.pin_factory]
    try:
        module = __import__(module_name, fromlist=[class_name])
        factory_class = getattr(module, class_name)
        if rig.pin_factory == "pigpio" and rig.pin_host:
            return factory_class(host=rig.pin_host)
        return factory_class()
    except Exception as exc:  # noqa: BLE001 - gpiozero raises ImportError, OSError, PinFactoryFallback...
        raise RigError(rig.path, None, "pin_factory",
                       f"gpiozero's {rig.pin_factory} pin factory cannot start: {type(exc).__name__}: {exc}") from None


class LinuxLab(LabBackend):
    capabilities = frozenset({Capability.HOST_HARDWARE})

    def __init__(self, rig: Rig) -> None:
        super().__init__(rig)
        self.pin_factory = pin_factory(rig)
        self.bus = LinuxUsbBus()
        self.usbmon: dict[int, UsbmonReader | str] = {}   # bus -> its reader, or why there is none

    def watch_usb(self, slot: Slot) -> str | None:
        """One usbmon reader per bus, started the first time a slot on it is watched."""
        bus = slot.bus
        if bus not in self.usbmon:
            reader = UsbmonReader(bus)
            try:
                reader.start()
                self.usbmon[bus] = reader
            except UsbmonError as exc:
                self.usbmon[bus] = str(exc)
        watching = self.usbmon[bus]
        if isinstance(watching, str):
            return watching
        return watching.error

    def usb_capture(self, slot: Slot, since: float) -> list[UrbEvent] | None:
        reader = self.usbmon.get(slot.bus)
        return reader.capture(slot.port, since) if isinstance(reader, UsbmonReader) else None

    def close(self) -> None:
        try:
            for reader in self.usbmon.values():
                if isinstance(reader, UsbmonReader):
                    reader.close()
            super().close()
        finally:
            if self.pin_factory is not None:
                self.pin_factory.close()
