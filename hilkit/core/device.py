"""What is on a USB port right now: descriptors (read through pyusb) plus what the kernel made of them."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import usb.core
import usb.util

from hilkit.core.ids import UsbId, class_triple

_EP_TYPES = {0: "control", 1: "isochronous", 2: "bulk", 3: "interrupt"}


@dataclass(frozen=True)
class EndpointInfo:
    address: int
    type: str
    max_packet: int
    interval: int = 0


@dataclass(frozen=True)
class InterfaceInfo:
    number: int
    alt: int
    cls: int
    subclass: int
    protocol: int
    endpoints: tuple[EndpointInfo, ...] = ()
    name: str = ""
    driver: str = ""   # kernel driver bound to it (option, cdc_ncm, usb-storage, ...)
    tty: str = ""      # device node of its serial port, if the driver made one
    net: str = ""      # network interface name, if the driver made one

    @property
    def classes(self) -> str:
        return class_triple(self.cls, self.subclass, self.protocol)


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
    extra: dict[str, str] = field(default_factory=dict, compare=False)

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

    def summary(self) -> str:
        itfs = ", ".join(f"{i.number}:{i.classes}" for i in self.interfaces if i.alt == 0)
        return f"{self.id} class {self.device_class:02x} config {self.configuration} [{itfs}] on {self.port}"

    def with_kernel(self, kernel: dict[int, dict[str, str]]) -> DeviceInfo:
        """The same snapshot with driver/tty/net names per interface number filled in."""
        def named(itf: InterfaceInfo) -> InterfaceInfo:
            names: dict[str, Any] = kernel.get(itf.number, {})  # keys name InterfaceInfo's str fields
            return replace(itf, **names)
        return replace(self, interfaces=tuple(named(i) if i.alt == 0 else i for i in self.interfaces))


def port_path(dev: usb.core.Device) -> str:
    """The kernel's name for where a device is plugged in: ``1-1.3`` (bus 1, root port 1, hub port 3)."""
    numbers = dev.port_numbers or ()
    return f"{dev.bus}-" + ".".join(str(n) for n in numbers) if numbers else f"usb{dev.bus}"


def _string(dev: usb.core.Device, index: int) -> str:
    if not index:
        return ""
    try:
        return usb.util.get_string(dev, index) or ""
    except (usb.core.USBError, ValueError, NotImplementedError):
        return ""


def describe(dev: usb.core.Device) -> DeviceInfo:
    """Read a device's descriptors through pyusb (any backend) into a :class:`DeviceInfo`."""
    cfg = dev.get_active_configuration()
    interfaces = []
    for intf in cfg:
        endpoints = tuple(
            EndpointInfo(ep.bEndpointAddress, _EP_TYPES[ep.bmAttributes & 3], ep.wMaxPacketSize, ep.bInterval)
            for ep in intf)
        interfaces.append(InterfaceInfo(
            number=intf.bInterfaceNumber, alt=intf.bAlternateSetting, cls=intf.bInterfaceClass,
            subclass=intf.bInterfaceSubClass, protocol=intf.bInterfaceProtocol, endpoints=endpoints,
            name=_string(dev, intf.iInterface)))
    return DeviceInfo(
        port=port_path(dev), id=UsbId(dev.idVendor, dev.idProduct), device_class=dev.bDeviceClass,
        device_subclass=dev.bDeviceSubClass, device_protocol=dev.bDeviceProtocol,
        configuration=cfg.bConfigurationValue, interfaces=tuple(interfaces), bus=dev.bus or 0,
        address=dev.address or 0, num_configurations=dev.bNumConfigurations, bcd_usb=dev.bcdUSB,
        bcd_device=dev.bcdDevice, max_packet0=dev.bMaxPacketSize0,
        manufacturer=_string(dev, dev.iManufacturer), product=_string(dev, dev.iProduct),
        serial=_string(dev, dev.iSerialNumber), config_attributes=cfg.bmAttributes,
        max_power_ma=cfg.bMaxPower * 2)
