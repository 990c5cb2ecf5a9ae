"""A virtual dongle's descriptors as raw bytes: the device descriptor, then every configuration
descriptor with its interfaces and endpoints, packed from the same model the in-process pyusb
backend serves (sysfs ``descriptors`` under umockdev; the kernel's enumeration in a capture)."""
from __future__ import annotations

import struct

from hilkit.sim.adapters.pyusb_backend import DeviceHandle, SimUsbBackend


def descriptor_blob(backend: SimUsbBackend, handle: DeviceHandle) -> bytes:
    """Device descriptor + every configuration descriptor, as sysfs ``descriptors`` holds them."""
    d = backend.get_device_descriptor(handle)
    out = bytearray(struct.pack("<BBHBBBBHHHBBBB", 18, 1, d.bcdUSB, d.bDeviceClass, d.bDeviceSubClass,
                                d.bDeviceProtocol, d.bMaxPacketSize0, d.idVendor, d.idProduct, d.bcdDevice,
                                d.iManufacturer, d.iProduct, d.iSerialNumber, d.bNumConfigurations))
    for config in range(d.bNumConfigurations):
        c = backend.get_configuration_descriptor(handle, config)
        body = bytearray()
        for intf in range(c.bNumInterfaces):
            alt = 0
            while True:
                try:
                    i = backend.get_interface_descriptor(handle, intf, alt, config)
                except IndexError:
                    break
                body += struct.pack("<BBBBBBBBB", 9, 4, i.bInterfaceNumber, i.bAlternateSetting, i.bNumEndpoints,
                                    i.bInterfaceClass, i.bInterfaceSubClass, i.bInterfaceProtocol, i.iInterface)
                for ep in range(i.bNumEndpoints):
                    e = backend.get_endpoint_descriptor(handle, ep, intf, alt, config)
                    body += struct.pack("<BBBBHB", 7, 5, e.bEndpointAddress, e.bmAttributes, e.wMaxPacketSize,
                                        e.bInterval)
                alt += 1
        out += struct.pack("<BBHBBBBB", 9, 2, 9 + len(body), c.bNumInterfaces, c.bConfigurationValue,
                           c.iConfiguration, c.bmAttributes, c.bMaxPower) + body
    return bytes(out)
