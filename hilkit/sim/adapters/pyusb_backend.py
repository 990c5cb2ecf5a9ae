"""A pyusb backend whose devices are the virtual lab's dongles.

Passed as ``usb.core.find(backend=...)``, it lets pyusb (and everything above it: the snapshot
reader, the switch engine) run unchanged against virtual dongles. Handles name one enumeration of
one dongle: after the dongle re-enumerates, an old handle fails with ENODEV as on a real bus.
Each open is a handle of its own, so the dongle can tell the host that switched it (and lets go
of it) from another reader of the bus.
"""
from __future__ import annotations

import array
import errno
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import usb.backend
import usb.core

from hilkit.sim.model.descriptors import (
    ConfigDescriptor,
    DeviceDescriptor,
    EndpointDescriptor,
    InterfaceDescriptor,
    default_endpoints,
    endpoint_descriptor,
    string_table,
)
from hilkit.sim.model.virtual_dongle import VirtualDongle

if TYPE_CHECKING:
    from hilkit.core.profile import InterfaceSpec, ModeSpec


@dataclass(frozen=True)
class DeviceHandle:
    dongle: VirtualDongle
    generation: int
    opened: int = 0     # which open() made this handle; 0: not opened (descriptors only)


class SimUsbBackend(usb.backend.IBackend):
    def __init__(self, dongles: Iterable[VirtualDongle]) -> None:
        super().__init__()
        self._dongles = list(dongles)
        self._opens = itertools.count(1)

    # -- enumeration and descriptors -------------------------------------------------------
    def enumerate_devices(self) -> Iterator[DeviceHandle]:
        for dongle in self._dongles:
            generation = dongle.generation
            if dongle.mode is not None:
                yield DeviceHandle(dongle, generation)

    def get_parent(self, dev: DeviceHandle) -> None:
        return None

    def get_device_descriptor(self, dev: DeviceHandle) -> DeviceDescriptor:
        mode = dev.dongle.live(dev.generation)
        ident = mode.enumerates_as
        return DeviceDescriptor(
            idVendor=ident.vendor, idProduct=ident.product, bDeviceClass=mode.device_class,
            bus=dev.dongle.bus_number, address=dev.dongle.address, port_numbers=dev.dongle.port_numbers,
            iManufacturer=1 if mode.manufacturer else 0, iProduct=2 if mode.product else 0,
            bNumConfigurations=len(dev.dongle.configurations()))

    def _config_mode(self, dev: DeviceHandle, config: int) -> ModeSpec:
        dev.dongle.live(dev.generation)
        configs = dev.dongle.configurations()
        if not 0 <= config < len(configs):
            raise IndexError(f"configuration index {config} out of range")
        return configs[config]

    def get_configuration_descriptor(self, dev: DeviceHandle, config: int) -> ConfigDescriptor:
        mode = self._config_mode(dev, config)
        eps = default_endpoints(mode)
        numbers = {i.number for i in mode.interfaces}
        total = 9 + sum(9 + 7 * len(eps[(i.number, i.alt)]) for i in mode.interfaces)
        return ConfigDescriptor(bConfigurationValue=mode.configuration, bNumInterfaces=len(numbers),
                                wTotalLength=total)

    def _interface(self, mode: ModeSpec, intf: int, alt: int) -> InterfaceSpec:
        numbers = sorted({i.number for i in mode.interfaces})
        if intf >= len(numbers):
            raise IndexError(f"interface index {intf} out of range")
        alts = [i for i in mode.interfaces if i.number == numbers[intf]]
        alts.sort(key=lambda i: i.alt)
        if alt >= len(alts):
            raise IndexError(f"alternate setting {alt} out of range")
        return alts[alt]

    def get_interface_descriptor(self, dev: DeviceHandle, intf: int, alt: int, config: int) -> InterfaceDescriptor:
        mode = self._config_mode(dev, config)
        itf = self._interface(mode, intf, alt)
        _, names = string_table(mode)
        eps = default_endpoints(mode)[(itf.number, itf.alt)]
        return InterfaceDescriptor(itf.number, itf.alt, len(eps), itf.cls, itf.subclass, itf.protocol,
                                   iInterface=names.get((itf.number, itf.alt), 0))

    def get_endpoint_descriptor(self, dev: DeviceHandle, ep: int, intf: int, alt: int,
                                config: int) -> EndpointDescriptor:
        mode = self._config_mode(dev, config)
        itf = self._interface(mode, intf, alt)
        eps = default_endpoints(mode)[(itf.number, itf.alt)]
        if ep >= len(eps):
            raise IndexError(f"endpoint index {ep} out of range")
        return endpoint_descriptor(eps[ep])

    # -- handles -------------------------------------------------------------------------
    def open_device(self, dev: DeviceHandle) -> DeviceHandle:
        dev.dongle.live(dev.generation)
        return DeviceHandle(dev.dongle, dev.generation, next(self._opens))

    def close_device(self, dev_handle: DeviceHandle) -> None:
        dev_handle.dongle.let_go(dev_handle.generation, dev_handle.opened)

    def set_configuration(self, dev_handle: DeviceHandle, config_value: int) -> None:
        dev_handle.dongle.set_configuration(dev_handle.generation, config_value)

    def get_configuration(self, dev_handle: DeviceHandle) -> int:
        dev_handle.dongle.live(dev_handle.generation)
        return dev_handle.dongle.configuration

    def set_interface_altsetting(self, dev_handle: DeviceHandle, intf: int, altsetting: int) -> None:
        dev_handle.dongle.live(dev_handle.generation)

    def claim_interface(self, dev_handle: DeviceHandle, intf: int) -> None:
        dongle = dev_handle.dongle
        dongle.live(dev_handle.generation)
        if intf in dongle.kernel_view() and intf not in dongle.detached \
                and dongle.kernel_view()[intf].get("driver"):
            raise usb.core.USBError("Resource busy", -6, errno.EBUSY)

    def release_interface(self, dev_handle: DeviceHandle, intf: int) -> None:
        dev_handle.dongle.live(dev_handle.generation)
        dev_handle.dongle.let_go(dev_handle.generation, dev_handle.opened)

    # -- transfers -----------------------------------------------------------------------
    def bulk_write(self, dev_handle: DeviceHandle, ep: int, intf: int, data: array.array[int], timeout: int) -> int:
        return dev_handle.dongle.bulk_write(dev_handle.generation, ep, bytes(data), dev_handle.opened)

    def bulk_read(self, dev_handle: DeviceHandle, ep: int, intf: int, buff: array.array[int] | bytearray,
                  timeout: int) -> int:
        data = dev_handle.dongle.bulk_read(dev_handle.generation, ep, len(buff))
        if isinstance(buff, array.array):
            buff[:len(data)] = type(buff)(buff.typecode, data)
        else:
            buff[:len(data)] = data
        return len(data)

    def intr_read(self, dev_handle: DeviceHandle, ep: int, intf: int, buff: array.array[int], timeout: int) -> int:
        data = dev_handle.dongle.interrupt_read(dev_handle.generation, ep, len(buff))
        buff[:len(data)] = type(buff)(buff.typecode, data)
        return len(data)

    def intr_write(self, dev_handle: DeviceHandle, ep: int, intf: int, data: array.array[int], timeout: int) -> int:
        return dev_handle.dongle.interrupt_write(dev_handle.generation, ep, bytes(data), dev_handle.opened)

    def ctrl_transfer(self, dev_handle: DeviceHandle, bmRequestType: int, bRequest: int, wValue: int,
                      wIndex: int, data: array.array[int] | None, timeout: int) -> int:
        length = len(data) if data is not None else 0
        payload = bytes(data) if data is not None and not bmRequestType & 0x80 else b""
        answer = dev_handle.dongle.control(dev_handle.generation,
                                           (bmRequestType, bRequest, wValue, wIndex, length), payload,
                                           dev_handle.opened)
        if bmRequestType & 0x80:
            assert data is not None  # pyusb hands over the buffer to read an IN request's answer into
            data[:len(answer)] = type(data)(data.typecode, answer)
            return len(answer)
        return length

    def clear_halt(self, dev_handle: DeviceHandle, ep: int) -> None:
        dev_handle.dongle.clear_halt(dev_handle.generation, ep)

    def reset_device(self, dev_handle: DeviceHandle) -> None:
        dev_handle.dongle.reset(dev_handle.generation, dev_handle.opened)

    def is_kernel_driver_active(self, dev_handle: DeviceHandle, intf: int) -> bool:
        dongle = dev_handle.dongle
        dongle.live(dev_handle.generation)
        return bool(dongle.kernel_view().get(intf, {}).get("driver")) and intf not in dongle.detached

    def detach_kernel_driver(self, dev_handle: DeviceHandle, intf: int) -> None:
        dev_handle.dongle.detach_driver(dev_handle.generation, intf, dev_handle.opened)

    def attach_kernel_driver(self, dev_handle: DeviceHandle, intf: int) -> None:
        dev_handle.dongle.live(dev_handle.generation)
        dev_handle.dongle.detached.discard(intf)
