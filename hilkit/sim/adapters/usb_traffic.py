"""The virtual lab's usbmon: a dongle's traffic as the URBs a rig's usbmon would show.

Two sources, in time order: each enumeration, as the kernel reads the new device (GET_DESCRIPTOR
for the device and the configuration, answered with the descriptors the host then saw: what
lets Wireshark know a mass-storage interface and dissect its CBWs), and every transfer the
virtual device received or answered, at the time it happened.
"""
from __future__ import annotations

import itertools
import threading
import time

import usb.core

from hilkit.core.usb_capture import UrbEvent, urb_pair
from hilkit.sim.adapters.descriptor_blob import descriptor_blob
from hilkit.sim.adapters.pyusb_backend import SimUsbBackend
from hilkit.sim.model.received_transfer import Received
from hilkit.sim.model.virtual_dongle import VirtualDongle

_US = 1e-6   # a completion one microsecond after its submit


class UsbTraffic:
    """Keeps each dongle's enumerations (time, address, descriptors) as the host hears of them."""

    def __init__(self, backend: SimUsbBackend) -> None:
        self.backend = backend
        self._lock = threading.Lock()
        self._enumerations: dict[str, list[tuple[float, int, bytes]]] = {}
        self._offset = time.time() - time.monotonic()

    def enumerated(self, port: str) -> None:
        """A device came on ``port``: what the kernel read of it, now."""
        for handle in self.backend.enumerate_devices():
            if handle.dongle.port != port:
                continue
            try:
                blob = descriptor_blob(self.backend, handle)
            except (usb.core.USBError, IndexError):
                return   # gone again already
            with self._lock:
                self._enumerations.setdefault(port, []).append((time.monotonic(), handle.dongle.address, blob))
            return

    def capture(self, dongle: VirtualDongle, since: float) -> list[UrbEvent]:
        """The URBs of ``dongle`` since ``since`` (monotonic), a submit and a completion each."""
        with self._lock:
            enumerations = [e for e in self._enumerations.get(dongle.port, []) if e[0] >= since]
        transfers = [t for t in list(dongle.transfers) if t.time >= since and t.kind != "reset"]
        bus = dongle.bus_number
        urbs = itertools.count(1)
        events: list[UrbEvent] = []
        merged: list[tuple[float, int, tuple[int, bytes] | None, Received | None]] = sorted(
            [(t, 0, (address, blob), None) for t, address, blob in enumerations]
            + [(t.time, 1, None, t) for t in transfers], key=lambda item: (item[0], item[1]))
        address = dongle.address
        for moment, _, enumeration, received in merged:
            at = moment + self._offset
            if enumeration is not None:
                address, blob = enumeration
                device, config = blob[:18], blob[18:18 + int.from_bytes(blob[20:22], "little")]
                events += urb_pair(next(urbs), at, at + _US, "control", 0, address, bus, device,
                                   setup=(0x80, 0x06, 0x0100, 0, 18))
                events += urb_pair(next(urbs), at + 2 * _US, at + 3 * _US, "control", 0, address, bus, config,
                                   setup=(0x80, 0x06, 0x0200, 0, len(config)))
            elif received is not None:
                events += self._urbs(next(urbs), at, received, address, bus)
        return events

    @staticmethod
    def _urbs(urb: int, at: float, received: Received, address: int, bus: int) -> tuple[UrbEvent, UrbEvent]:
        if received.kind == "configuration":
            return urb_pair(urb, at, at + _US, "control", 0, address, bus, setup=received.setup)
        if received.kind == "control":
            return urb_pair(urb, at, at + _US, "control", 0, address, bus, received.data, setup=received.setup)
        return urb_pair(urb, at, at + _US, received.kind, received.endpoint, address, bus, received.data)
