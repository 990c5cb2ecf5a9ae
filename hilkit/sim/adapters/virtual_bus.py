"""The virtual lab's :class:`UsbBus`: descriptors read through pyusb (sim backend), kernel names
from the virtual kernel, hotplug events pushed by the dongles.

Two hooks tie it to the lab's clock: a snapshot first runs the physics that is due (so a
starved clock thread never hides an event from a deadline's last look), and a wait that runs out
is told to the lab (a dongle that enumerates late does so after the host gave up on it).
"""
from __future__ import annotations

from collections.abc import Callable

import usb.core

from hilkit.core.device import DeviceInfo
from hilkit.core.errors import SettledWrong, WaitTimeout
from hilkit.sim.adapters.pyusb_backend import SimUsbBackend
from hilkit.usb.bus import Check, UsbBus
from hilkit.usb.describe import describe, port_path


class SimUsbBus(UsbBus):
    def __init__(self, backend: SimUsbBackend, kernel_view: Callable[[str], dict[int, dict[str, str]]],
                 catch_up: Callable[[], None] = lambda: None,
                 gave_up: Callable[[str], None] = lambda port: None,
                 settled: Callable[[str], bool | None] = lambda port: None) -> None:
        super().__init__()
        self.backend = backend
        self._kernel_view = kernel_view
        self._catch_up = catch_up
        self._gave_up = gave_up
        self._settled = settled

    def wait_until(self, port: str, check: Check, timeout: float, expected: str,
                   settled_after: float | None = None) -> DeviceInfo | None:
        try:
            return super().wait_until(port, check, timeout, expected, settled_after)
        except WaitTimeout as exc:
            if not isinstance(exc, SettledWrong):
                self._gave_up(port)
            raise

    def known_settled(self, port: str) -> bool | None:
        """The lab knows: a virtual dongle with nothing scheduled is settled now, whatever the
        machine's speed (no settle window to wait out, and no verdict that depends on it)."""
        self._catch_up()
        return self._settled(port)

    def _find(self, port: str | None = None) -> list[usb.core.Device]:
        match = (lambda d: port_path(d) == port) if port else None
        for _ in range(3):
            try:
                return list(usb.core.find(find_all=True, backend=self.backend, custom_match=match))
            except usb.core.USBError:
                continue  # a device left while the list was read: read it again
        return []

    def devices(self) -> list[DeviceInfo]:
        self._catch_up()
        out = []
        for dev in self._find():
            info = self._describe(dev)
            if info is not None:
                out.append(info)
        return out

    def device_at(self, port: str) -> DeviceInfo | None:
        self._catch_up()
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
