"""What is on a USB port right now: descriptors (read through pyusb) plus what the kernel made of them."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from hilkit.core.ids import ClassTriple, HasEndpointAddress, UsbId


@dataclass(frozen=True)
class EndpointInfo(HasEndpointAddress):
    address: int
    type: str
    max_packet: int
    interval: int = 0


@dataclass(frozen=True)
class InterfaceInfo(ClassTriple):
    number: int
    alt: int
    endpoints: tuple[EndpointInfo, ...] = ()
    name: str = ""
    driver: str = ""   # kernel driver bound to it (option, cdc_ncm, usb-storage, ...)
    tty: str = ""      # device node of its serial port, if the driver made one
    net: str = ""      # network interface name, if the driver made one


@dataclass(frozen=True)
class DeviceInfo:
    port: str
    id: UsbId
    device_class: int
    configuration: int
    interfaces: tuple[InterfaceInfo, ...]
    bus: int = 0
    address: int = 0
    num_configurations: int = 1
    bcd_usb: int = 0x0200
    bcd_device: int = 0
    max_packet0: int = 64
    device_subclass: int = 0
    device_protocol: int = 0
    manufacturer: str = ""
    product: str = ""
    serial: str = ""
    config_attributes: int = 0x80
    max_power_ma: int = 500
    #: every configuration's bConfigurationValue (empty: not read; assume 1..num_configurations)
    configuration_values: tuple[int, ...] = ()
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def configurations(self) -> tuple[int, ...]:
        """The bConfigurationValue of every configuration the device has."""
        return self.configuration_values or tuple(range(1, self.num_configurations + 1))

    def interface(self, number: int, alt: int = 0) -> InterfaceInfo | None:
        for itf in self.interfaces:
            if itf.number == number and itf.alt == alt:
                return itf
        return None

    @property
    def ttys(self) -> list[str]:
        return [i.tty for i in self.interfaces if i.tty]

    @property
    def nets(self) -> list[str]:
        return [i.net for i in self.interfaces if i.net]

    def same_function(self, other: DeviceInfo) -> bool:
        """Whether ``other`` shows the same ids and interface classes: the same mode, not switched
        (it may have re-enumerated: its address and kernel names may differ)."""
        return self.id == other.id and [i.classes for i in self.interfaces] == [i.classes for i in other.interfaces]

    def summary(self) -> str:
        itfs = ", ".join(f"{i.number}:{i.classes}" for i in self.interfaces if i.alt == 0)
        return f"{self.id} class {self.device_class:02x} config {self.configuration} [{itfs}] on {self.port}"

    def with_kernel(self, kernel: dict[int, dict[str, str]]) -> DeviceInfo:
        """The same snapshot with driver/tty/net names per interface number filled in."""
        def named(itf: InterfaceInfo) -> InterfaceInfo:
            names: dict[str, Any] = kernel.get(itf.number, {})  # keys name InterfaceInfo's str fields
            return replace(itf, **names)
        return replace(self, interfaces=tuple(named(i) if i.alt == 0 else i for i in self.interfaces))


#: a check returns the reasons the device on a port is not yet as wanted; [] means it is
Check = Callable[["DeviceInfo | None"], list[str]]
