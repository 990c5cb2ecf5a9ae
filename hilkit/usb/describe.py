"""A pyusb device read into a :class:`~hilkit.core.device.DeviceInfo` (any pyusb backend)."""
from __future__ import annotations

import usb.core
import usb.util

from hilkit.core.device import DeviceInfo, EndpointInfo, InterfaceInfo
from hilkit.core.ids import UsbId

_EP_TYPES = {0: "control", 1: "isochronous", 2: "bulk", 3: "interrupt"}


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
        max_power_ma=cfg.bMaxPower * 2, configuration_values=_configuration_values(dev, cfg.bConfigurationValue))


def _configuration_values(dev: usb.core.Device, active: int) -> tuple[int, ...]:
    if dev.bNumConfigurations == 1:
        return (active,)   # the common case: no other descriptor to read
    try:
        return tuple(c.bConfigurationValue for c in dev)
    except (usb.core.USBError, ValueError, IndexError, NotImplementedError):
        return ()  # a device that cannot give every descriptor: the count stands in
