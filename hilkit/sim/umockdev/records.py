"""What the kernel would show in /sys for a virtual dongle, as umockdev-record text.

The descriptor blob is packed from the same descriptor model the in-process pyusb backend serves,
so both transports describe a dongle identically.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass


@dataclass
class Record:
    """One sysfs device: its path under /sys, uevent properties, attributes, links and node."""

    path: str
    properties: dict[str, str]
    attributes: dict[str, str | bytes]
    links: dict[str, str] | None = None

    def text(self) -> str:
        lines = [f"P: {self.path}"]
        lines += [f"E: {k}={v}" for k, v in self.properties.items()]
        for name, value in self.attributes.items():
            if isinstance(value, bytes):
                lines.append(f"H: {name}={value.hex().upper()}")
            else:
                lines.append(f"A: {name}={value}\\n")
        lines += [f"L: {k}={v}" for k, v in (self.links or {}).items()]
        return "\n".join(lines) + "\n"


def hub_record(parent: str, name: str, bus: int, address: int, root: bool) -> Record:
    """A hub the dongles sit behind (Linux's root hub, or a 4-port USB 2.0 hub)."""
    vendor, product, version = (0x1D6B, 0x0002, 0x0200) if root else (0x05E3, 0x0608, 0x0200)
    blob = struct.pack("<BBHBBBBHHHBBBB", 18, 1, version, 9, 0, 1, 64, vendor, product, 0x0100, 0, 0, 0, 1) + \
        struct.pack("<BBHBBBBB", 9, 2, 25, 1, 1, 0, 0xE0, 0) + struct.pack("<BBBBBBBBB", 9, 4, 0, 0, 1, 9, 0, 0, 0) + \
        struct.pack("<BBBBHB", 7, 5, 0x81, 3, 1, 12)
    return Record(f"{parent}/{name}", {
        "SUBSYSTEM": "usb", "DEVTYPE": "usb_device", "DRIVER": "usb", "PRODUCT": f"{vendor:x}/{product:x}/100",
        "BUSNUM": f"{bus:03d}", "DEVNUM": f"{address:03d}", "DEVNAME": f"/dev/bus/usb/{bus:03d}/{address:03d}"},
        {"idVendor": f"{vendor:04x}", "idProduct": f"{product:04x}", "bDeviceClass": "09", "busnum": str(bus),
         "devnum": str(address), "bConfigurationValue": "1", "bNumConfigurations": "1", "speed": "480",
         "descriptors": blob})
