"""The binary descriptors a Linux kernel keeps for a device (sysfs ``descriptors``): the device
descriptor followed by every configuration descriptor with its interfaces and endpoints.

Read from there, a snapshot needs no USB traffic and no open handle, so it costs nothing on the
bus and works while another process (usb_modeswitch, ModemManager) holds the device.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

from hilkit.core.device import EndpointInfo, InterfaceInfo

_EP_TYPES = {0: "control", 1: "isochronous", 2: "bulk", 3: "interrupt"}


class DescriptorError(ValueError):
    """The blob is not a well-formed descriptor set (truncated, bad length, wrong order)."""


@dataclass(frozen=True)
class RawConfig:
    """One configuration descriptor as read from the raw bytes (bConfigurationValue and its own)."""

    value: int
    attributes: int
    max_power_ma: int
    interfaces: tuple[InterfaceInfo, ...]


@dataclass(frozen=True)
class RawDevice:
    bcd_usb: int
    device_class: int
    device_subclass: int
    device_protocol: int
    max_packet0: int
    vendor: int
    product: int
    bcd_device: int
    num_configurations: int
    configs: tuple[RawConfig, ...] = field(default=())

    def config(self, value: int) -> RawConfig | None:
        return next((c for c in self.configs if c.value == value), None)


def parse(blob: bytes) -> RawDevice:
    """Parse a sysfs ``descriptors`` blob; :class:`DescriptorError` names the offset of a problem."""
    if len(blob) < 18 or blob[0] != 18 or blob[1] != 1:
        raise DescriptorError(f"no device descriptor at offset 0 (got {blob[:2].hex() or 'nothing'})")
    (bcd_usb, dev_class, dev_sub, dev_proto, mp0, vendor, product, bcd_dev,
     _m, _p, _s, nconf) = struct.unpack_from("<HBBBBHHHBBBB", blob, 2)
    configs = []
    offset = 18
    while offset < len(blob):
        if offset + 9 > len(blob) or blob[offset + 1] != 2:
            raise DescriptorError(f"no configuration descriptor at offset {offset}")
        total, _nitf, value, _i, attributes, power = struct.unpack_from("<HBBBBB", blob, offset + 2)
        end = offset + total
        if total < 9 or end > len(blob):
            raise DescriptorError(f"configuration at offset {offset} claims {total} bytes, {len(blob) - offset} left")
        configs.append(RawConfig(value, attributes, power * 2, _interfaces(blob, offset + blob[offset], end)))
        offset = end
    return RawDevice(bcd_usb, dev_class, dev_sub, dev_proto, mp0, vendor, product, bcd_dev, nconf, tuple(configs))


def _interfaces(blob: bytes, offset: int, end: int) -> tuple[InterfaceInfo, ...]:
    out: list[InterfaceInfo] = []
    current: dict | None = None
    while offset < end:
        length, kind = blob[offset], blob[offset + 1] if offset + 1 < end else 0
        if length < 2 or offset + length > end:
            raise DescriptorError(f"descriptor at offset {offset} has length {length}")
        if kind == 4 and length >= 9:
            if current:
                out.append(InterfaceInfo(**current))
            number, alt, _n, cls, sub, proto = struct.unpack_from("<BBBBBB", blob, offset + 2)
            current = dict(number=number, alt=alt, cls=cls, subclass=sub, protocol=proto, endpoints=())
        elif kind == 5 and length >= 7 and current is not None:
            address, attributes, max_packet, interval = struct.unpack_from("<BBHB", blob, offset + 2)
            current["endpoints"] += (EndpointInfo(address, _EP_TYPES[attributes & 3], max_packet & 0x7FF, interval),)
        offset += length
    if current:
        out.append(InterfaceInfo(**current))
    return tuple(out)
