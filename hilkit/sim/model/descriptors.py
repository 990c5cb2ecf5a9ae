"""USB descriptors of a virtual dongle, built from a profile mode, in the shape pyusb reads them."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from hilkit.core.profile import EndpointSpec, InterfaceSpec, ModeSpec

_TYPE_BITS = {"isochronous": 1, "bulk": 2, "interrupt": 3}


@dataclass
class DeviceDescriptor:
    bLength: ClassVar[int] = 18
    bDescriptorType: ClassVar[int] = 1
    idVendor: int
    idProduct: int
    bDeviceClass: int
    bus: int
    address: int
    port_numbers: tuple[int, ...]
    bNumConfigurations: int = 1
    bcdUSB: int = 0x0200
    bDeviceSubClass: int = 0
    bDeviceProtocol: int = 0
    bMaxPacketSize0: int = 64
    bcdDevice: int = 0x0102
    iManufacturer: int = 1
    iProduct: int = 2
    iSerialNumber: int = 0
    speed: int = 3  # high speed

    @property
    def port_number(self) -> int:
        return self.port_numbers[-1]


@dataclass
class ConfigDescriptor:
    bLength: ClassVar[int] = 9
    bDescriptorType: ClassVar[int] = 2
    bConfigurationValue: int
    bNumInterfaces: int
    wTotalLength: int
    iConfiguration: int = 0
    bmAttributes: int = 0x80
    bMaxPower: int = 250
    extra_descriptors: list[int] = field(default_factory=list)


@dataclass
class InterfaceDescriptor:
    bLength: ClassVar[int] = 9
    bDescriptorType: ClassVar[int] = 4
    bInterfaceNumber: int
    bAlternateSetting: int
    bNumEndpoints: int
    bInterfaceClass: int
    bInterfaceSubClass: int
    bInterfaceProtocol: int
    iInterface: int = 0
    extra_descriptors: list[int] = field(default_factory=list)


@dataclass
class EndpointDescriptor:
    bLength: ClassVar[int] = 7
    bDescriptorType: ClassVar[int] = 5
    bEndpointAddress: int
    bmAttributes: int
    wMaxPacketSize: int
    bInterval: int = 0
    bRefresh: int = 0
    bSynchAddress: int = 0
    extra_descriptors: list[int] = field(default_factory=list)


def default_endpoints(mode: ModeSpec) -> dict[tuple[int, int], tuple[EndpointSpec, ...]]:
    """Endpoints per (interface, alt): the profile's, or a plausible set for the role.

    A profile written from a forum post often lists classes but not endpoints; the virtual dongle
    still needs a bulk pair on a storage or serial interface and an interrupt IN on a CDC control one.
    """
    used = {ep.address for itf in mode.interfaces for ep in itf.endpoints}
    next_number = [1]

    def fresh() -> int:
        while next_number[0] in {a & 0x0f for a in used}:
            next_number[0] += 1
        number = next_number[0]
        used.update({number, number | 0x80})
        return number

    out: dict[tuple[int, int], tuple[EndpointSpec, ...]] = {}
    for itf in mode.interfaces:
        if itf.endpoints:
            out[(itf.number, itf.alt)] = itf.endpoints
            continue
        out[(itf.number, itf.alt)] = _role_endpoints(itf, fresh)
    return out


def _role_endpoints(itf: InterfaceSpec, fresh: Callable[[], int]) -> tuple[EndpointSpec, ...]:
    if itf.cls == 0x0a and itf.alt == 0:
        return ()  # CDC data alt 0 carries no endpoints (the driver selects alt 1)
    if itf.cls == 0x02:
        return (EndpointSpec(fresh() | 0x80, "interrupt", 16),)
    number = fresh()
    eps: tuple[EndpointSpec, ...] = (EndpointSpec(number | 0x80, "bulk", 512), EndpointSpec(number, "bulk", 512))
    if itf.role == "at" and itf.number == 0:
        eps = (EndpointSpec(fresh() | 0x80, "interrupt", 64),) + eps
    return eps


def string_table(mode: ModeSpec) -> tuple[list[str], dict[tuple[int, int], int]]:
    """String descriptors (index 1 manufacturer, 2 product, then interface names) and iInterface per interface."""
    strings = [mode.manufacturer or "", mode.product or ""]
    index: dict[tuple[int, int], int] = {}
    for itf in mode.interfaces:
        if itf.name:
            if itf.name not in strings:
                strings.append(itf.name)
            index[(itf.number, itf.alt)] = strings.index(itf.name) + 1
    return strings, index


def endpoint_descriptor(ep: EndpointSpec) -> EndpointDescriptor:
    return EndpointDescriptor(ep.address, _TYPE_BITS[ep.type], ep.max_packet,
                              bInterval=9 if ep.type == "interrupt" else 0)
