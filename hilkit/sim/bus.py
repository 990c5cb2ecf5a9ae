"""The virtual lab's :class:`UsbBus`: descriptors read through pyusb (sim backend), kernel names
from the virtual kernel, hotplug events pushed by the dongles."""
from __future__ import annotations

from typing import Callable

import usb.core

from ..usb.bus import UsbBus
from ..usb.snapshot import DeviceInfo, describe, port_path


class SimUsbBus(UsbBus):
    def __init__(self, backend, kernel_view: Callable[[str], dict[int, dict[str, str]]]) -> None:
        super().__init__()
        self.backend = backend
        self._kernel_view = kernel_view

    def _find(self, port: str | None = None) -> list[usb.core.Device]:
        match = (lambda d: port_path(d) == port) if port else None
        for _ in range(3):
            try:
                return list(usb.core.find(find_all=True, backend=self.backend, custom_match=match))
            except usb.core.USBError:
                continue  # a device left while the list was read: read it again
        return []

    def devices(self) -> list[DeviceInfo]:
        out = []
        for dev in self._find():
            info = self._describe(dev)
            if info is not None:
                out.append(info)
        return out

    def device_at(self, port: str) -> DeviceInfo | None:
        for dev in self._find(port):
            return self._describe(dev)
        return None

    def _describe(self, dev: usb.core.Device) -> DeviceInfo | None:
        try:
            info = describe(dev)
        except usb.core.USBError:
            return None  # unplugged while being read: it is not there
        finally:
            usb.util.dispose_resources(dev)
        return info.with_kernel(self._kernel_view(info.port))

    def open(self, port: str) -> usb.core.Device | None:
        found = self._find(port)
        return found[0] if found else None
