"""usbdevfs ioctls (what libusb sends to /dev/bus/usb/BBB/DDD) answered by the virtual dongle model.

libusb submits each transfer as a URB (SUBMITURB), polls, and reaps it (REAPURBNDELAY). An IN the
model has nothing for completes at once as timed out (see ``_submit``), so no URB is ever left
for DISCARDURB to cancel. The model calls are the ones the in-process pyusb backend makes,
so a dongle behaves the same under both transports.

Handlers run on umockdev's worker thread: they never block.
"""
from __future__ import annotations

import errno
import struct
import threading
from dataclasses import dataclass
from typing import Any

import usb.core

from hilkit.sim.adapters.pyusb_backend import DeviceHandle, SimUsbBackend

# ioctl request numbers (x86-64/aarch64 layouts: 56-byte URB, 8-byte pointers)
SUBMITURB = 0x8038550A
DISCARDURB = 0x0000550B
REAPURB = 0x4008550C
REAPURBNDELAY = 0x4008550D
CLAIMINTERFACE = 0x8004550F
RELEASEINTERFACE = 0x80045510
GETDRIVER = 0x41045508
SETINTERFACE = 0x80085504
SETCONFIGURATION = 0x80045505
IOCTL = 0xC0105512
RESET = 0x00005514
CLEAR_HALT = 0x80045515
DISCONNECT = 0x00005516
CONNECT = 0x00005517
GET_CAPABILITIES = 0x8004551A
DISCONNECT_CLAIM = 0x8108551B
GET_SPEED = 0x0000551F

URB_ISO, URB_INTERRUPT, URB_CONTROL, URB_BULK = 0, 1, 2, 3
URB_FORMAT = "<BBxxiIxxxxQii"     # type, endpoint, status, flags, buffer, buffer_length, actual_length
URB_SIZE = 56
CAPS = 0x02 | 0x04                 # BULK_CONTINUATION | NO_PACKET_SIZE_LIM: one URB per transfer


@dataclass
class _Urb:
    data: Any        # UMockdev.IoctlData of the struct
    buffer: Any      # UMockdev.IoctlData of its buffer

    def finish(self, status: int, actual: int) -> None:
        self.data.update(4, struct.pack("<i", status))
        self.data.update(28, struct.pack("<i", actual))


def _usb_errno(exc: usb.core.USBError) -> int:
    return exc.errno or errno.EIO


class UsbfsHandler:
    """The ioctl side of one enumeration of one dongle (a ``DeviceHandle``)."""

    def __init__(self, umockdev: Any, backend: SimUsbBackend, handle: DeviceHandle) -> None:
        self.backend = backend
        self.handle = handle
        self.ioctl = umockdev.IoctlBase()
        self.ioctl.connect("handle-ioctl", self._handle)
        self._closing_watch: threading.Thread | None = None
        self._lock = threading.Lock()
        self._done: list[_Urb] = []

    # -- dispatch ------------------------------------------------------------------------
    def _watch_close(self, client: Any) -> None:
        """A dongle that accepted a switch leaves when the host lets go: a release or reset comes
        as an ioctl, a close of /dev/bus/usb/BBB/DDD does not. umockdev 0.17 declares a
        client-vanished signal but never emits it, and the notify of the client's "connected"
        property is lost with the client, so the device side looks at the client's socket until
        it is closed (or the dongle left another way)."""
        if self._closing_watch is not None and self._closing_watch.is_alive():
            return
        dongle, generation = self.handle.dongle, self.handle.generation

        def watch() -> None:
            pause = threading.Event()
            while dongle.leaving(generation) and client.get_connected():
                pause.wait(0.005)
            dongle.let_go(generation)
        self._closing_watch = threading.Thread(target=watch, name="hilkit-usbfs-close", daemon=True)
        self._closing_watch.start()

    def _handle(self, _base: Any, client: Any) -> bool:
        request = client.get_request()
        size = (request >> 16) & 0x3FFF
        arg = client.get_arg()
        try:
            with self._lock:
                result = self._dispatch(request, arg, size)
        except usb.core.USBError as exc:
            client.complete(-1, _usb_errno(exc))
            return True
        finally:
            if self.handle.dongle.leaving(self.handle.generation):
                self._watch_close(client)
        if result is None:
            client.complete(-1, errno.ENOTTY)
        elif result < 0:
            client.complete(-1, -result)
        else:
            client.complete(result, 0)
        return True

    def _dispatch(self, request: int, arg: Any, size: int) -> int | None:
        handle, backend = self.handle, self.backend
        if request == SUBMITURB:
            return self._submit(arg.resolve(0, size))
        if request in (REAPURB, REAPURBNDELAY):
            if not self._done:
                return -errno.EAGAIN
            urb = self._done.pop(0)
            arg.resolve(0, size).set_ptr(0, urb.data)
            return 0
        if request == DISCARDURB:
            return -errno.EINVAL  # every URB completes when submitted: nothing is left to cancel
        if request == GET_CAPABILITIES:
            arg.resolve(0, size).update(0, struct.pack("<I", CAPS))
            return 0
        if request in (CLAIMINTERFACE, RELEASEINTERFACE, SETCONFIGURATION, CLEAR_HALT):
            value = struct.unpack("<i", bytes(arg.resolve(0, size).retrieve())[:4])[0]
            if request == CLAIMINTERFACE:
                backend.claim_interface(handle, value)
            elif request == RELEASEINTERFACE:
                backend.release_interface(handle, value)
            elif request == SETCONFIGURATION:
                backend.set_configuration(handle, max(value, 0))
            else:
                backend.clear_halt(handle, value)
            return 0
        if request == SETINTERFACE:
            intf, alt = struct.unpack("<II", bytes(arg.resolve(0, size).retrieve())[:8])
            backend.set_interface_altsetting(handle, intf, alt)
            return 0
        if request == GETDRIVER:
            data = arg.resolve(0, size)
            intf = struct.unpack("<I", bytes(data.retrieve())[:4])[0]
            driver = self._driver(intf)
            if not driver:
                return -errno.ENODATA
            data.update(4, driver.encode() + b"\0")
            return 0
        if request == IOCTL:
            data = arg.resolve(0, size)
            intf, code = struct.unpack("<ii", bytes(data.retrieve())[:8])
            if code == DISCONNECT:
                if not self._driver(intf):
                    return -errno.ENODATA
                backend.detach_kernel_driver(handle, intf)
                return 0
            if code == CONNECT:
                backend.attach_kernel_driver(handle, intf)
                return 0
            return None
        if request == DISCONNECT_CLAIM:
            intf = struct.unpack("<I", bytes(arg.resolve(0, size).retrieve())[:4])[0]
            if self._driver(intf):
                backend.detach_kernel_driver(handle, intf)
            backend.claim_interface(handle, intf)
            return 0
        if request == RESET:
            backend.reset_device(handle)
            return 0
        if request == GET_SPEED:
            return 3  # USB_SPEED_HIGH
        return None

    def _driver(self, intf: int) -> str:
        dongle = self.handle.dongle
        dongle.live(self.handle.generation)
        if intf in dongle.detached:
            return ""
        return dongle.kernel_view().get(intf, {}).get("driver", "")

    # -- transfers -----------------------------------------------------------------------
    def _submit(self, data: Any) -> int:
        kind, endpoint, _status, _flags, _buffer, length, _actual = struct.unpack_from(
            URB_FORMAT, bytes(data.retrieve()), 0)
        buffer = data.resolve(16, length)
        urb = _Urb(data, buffer)
        payload = bytes(buffer.retrieve()) if length else b""
        dongle, generation = self.handle.dongle, self.handle.generation
        try:
            if kind == URB_CONTROL:
                request_type, request, value, index, wlength = struct.unpack_from("<BBHHH", payload, 0)
                answer = dongle.control(generation, (request_type, request, value, index, wlength),
                                        payload[8:8 + wlength] if not request_type & 0x80 else b"")
                if request_type & 0x80:
                    buffer.update(8, answer[:wlength])
                    urb.finish(0, len(answer[:wlength]))
                else:
                    urb.finish(0, wlength)
            elif kind in (URB_BULK, URB_INTERRUPT) and not endpoint & 0x80:
                write = dongle.bulk_write if kind == URB_BULK else dongle.interrupt_write
                urb.finish(0, write(generation, endpoint, payload))
            elif kind in (URB_BULK, URB_INTERRUPT):
                read = dongle.bulk_read if kind == URB_BULK else dongle.interrupt_read
                answer = read(generation, endpoint, length)
                buffer.update(0, answer)
                urb.finish(0, len(answer))
            else:
                return -errno.EINVAL
        except usb.core.USBTimeoutError:
            # Nothing to send, ever (the model answers at once or not at all): rather than make
            # the host sit out its timeout, fail the URB with -ETIMEDOUT, which libusb reports
            # as the same timeout. 144 unanswered reads of MobileActionMode take ms, not minutes.
            urb.finish(-errno.ETIMEDOUT, 0)
            self._done.append(urb)
            return 0
        except usb.core.USBError as exc:
            if exc.errno == errno.ENODEV:
                return -errno.ENODEV
            urb.finish(-_usb_errno(exc), 0)
        self._done.append(urb)
        return 0
