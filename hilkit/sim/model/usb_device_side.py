"""The device side of the USB transfers a virtual dongle answers, each recorded as it was received."""
from __future__ import annotations

import errno
import time

import usb.core

from hilkit.core.profile import ModeSpec
from hilkit.sim.model.descriptors import string_table
from hilkit.sim.model.dongle_lifecycle import DongleLifecycle
from hilkit.sim.model.firmware import SONY_RECONNECT, parse_cbw, triggers
from hilkit.sim.model.received_transfer import Received


def gone() -> usb.core.USBError:
    """What a handle of a device no longer on the bus raises (ENODEV, as libusb reports it)."""
    return usb.core.USBError("No such device (it may have been disconnected)", -4, errno.ENODEV)


class UsbDeviceSide(DongleLifecycle):
    """What the dongle answers to the host's transfers (called by the pyusb backend and usbfs with
    the handle that sent them as ``owner``); a message its firmware switches on starts a switch."""

    def live(self, generation: int) -> ModeSpec:
        """The current mode, if ``generation`` is still this enumeration; else the device is gone."""
        with self._lock:
            if self.mode is None or generation != self.generation:
                raise gone()
            return self.mode

    def _record(self, received: Received) -> None:
        self.transfers.append(received)

    def _fire(self, kind: str, match: object, owner: object = None) -> bool:
        assert self.mode is not None
        for trigger in triggers(self.profile, self.mode.name):
            if trigger.kind == kind and trigger.match == match:
                self._switch_to(trigger.target, owner)
                return True
        return False

    def interrupt_write(self, generation: int, endpoint: int, data: bytes, owner: object = None) -> int:
        with self._lock:
            self.live(generation)
            self._record(Received(time.monotonic(), "interrupt", endpoint, bytes(data)))
            self._fire("raw", bytes(data), owner)
            return len(data)

    def interrupt_read(self, generation: int, endpoint: int, size: int) -> bytes:
        with self._lock:
            self.live(generation)
            self._record(Received(time.monotonic(), "interrupt", endpoint, b""))
            raise usb.core.USBTimeoutError("Operation timed out", -7, errno.ETIMEDOUT)

    def detach_driver(self, generation: int, interface: int, owner: object = None) -> None:
        with self._lock:
            mode = self.live(generation)
            self.detached.add(interface)
            itf = next((i for i in mode.interfaces if i.number == interface and i.alt == 0), None)
            if itf is not None and itf.cls == 0x08:
                self._fire("detach", 0, owner)

    def bulk_write(self, generation: int, endpoint: int, data: bytes, owner: object = None) -> int:
        with self._lock:
            self.live(generation)
            self._record(Received(time.monotonic(), "bulk", endpoint, bytes(data)))
            if endpoint in self._stalled:
                raise usb.core.USBError("Pipe error", -9, errno.EPIPE)
            cbw = parse_cbw(bytes(data))
            if cbw is not None and self.faults.fires("stall", self.port):
                self._stalled.update({endpoint, endpoint | 0x80})
                raise usb.core.USBError("Pipe error", -9, errno.EPIPE)
            if self.faults.fires("vanish_during_transfer", self.port):
                self._stays_gone = True
                self._scheduler.after(0, self._unplug)
                raise gone()
            if cbw is not None:
                switched = self._fire("cdb", cbw["cdb"], owner)
                status = 0 if switched else 1  # a command this firmware does not know fails its CSW
                self._csw[endpoint | 0x80] = b"USBS" + bytes(cbw["tag"]) + bytes(4) + bytes([status])
            elif len(data) == 31 and data[:4] != b"USBC":
                # not a valid CBW on a storage pipe: the device stalls both bulk endpoints
                self._stalled.update({endpoint, endpoint | 0x80})
            else:
                self._fire("raw", bytes(data), owner)
            return len(data)

    def bulk_read(self, generation: int, endpoint: int, size: int) -> bytes:
        with self._lock:
            self.live(generation)
            if endpoint in self._stalled:
                raise usb.core.USBError("Pipe error", -9, errno.EPIPE)
            answer = self._csw.pop(endpoint, None)
            if answer is None:
                raise usb.core.USBTimeoutError("Operation timed out", -7, errno.ETIMEDOUT)
            self._record(Received(time.monotonic(), "bulk", endpoint, answer[:size]))
            return answer[:size]

    def control(self, generation: int, setup: tuple[int, int, int, int, int], data: bytes,
                owner: object = None) -> bytes:
        """A control request; returns the IN data (empty for OUT requests)."""
        with self._lock:
            mode = self.live(generation)
            received = Received(time.monotonic(), "control", 0, bytes(data), setup)
            self._record(received)
            request_type, request, value, index, length = setup
            if request_type == 0x80 and request == 0x06:      # GET_DESCRIPTOR
                return self._descriptor(mode, value, index)[:length]
            if request_type == 0x80 and request == 0x00:      # GET_STATUS
                return b"\x00\x00"[:length]
            if request_type == 0x80 and request == 0x08:      # GET_CONFIGURATION
                return bytes([self.configuration])[:length]
            if request_type & 0x60 == 0 and request in (0x01, 0x03):  # CLEAR_/SET_FEATURE
                self._fire("control", (request_type, request, value), owner)
                return b""
            if (request_type, request, value) == SONY_RECONNECT and not self._reconnected \
                    and any(s.source == mode.name and s.config.flag("SonyMode") for s in self.profile.switches):
                self._reconnected = True
                self._switch_to(mode, owner)  # drops off the bus and comes back in the same mode
                return bytes(length)
            if self._fire("control", (request_type, request, value), owner):
                return bytes(length) if request_type & 0x80 else b""
            if request_type & 0x60 == 0x40 and (request_type, request, value) != SONY_RECONNECT:
                raise usb.core.USBError("Pipe error", -9, errno.EPIPE)  # a vendor request it does not know
            return bytes(length) if request_type & 0x80 else b""

    def _descriptor(self, mode: ModeSpec, value: int, index: int) -> bytes:
        kind, number = value >> 8, value & 0xFF
        if kind != 3:
            raise usb.core.USBError("Pipe error", -9, errno.EPIPE)
        if number == 0:
            return bytes([4, 3, 0x09, 0x04])
        strings, _ = string_table(mode)
        if number > len(strings) or not strings[number - 1]:
            raise usb.core.USBError("Pipe error", -9, errno.EPIPE)
        text = strings[number - 1].encode("utf-16-le")
        return bytes([2 + len(text), 3]) + text

    def configurations(self) -> list[ModeSpec]:
        """The configurations the device offers now: its mode's, plus those of the profile's modes
        that share its id and differ only in bConfigurationValue (reached by SET_CONFIGURATION)."""
        with self._lock:
            mode = self.mode
            if mode is None:
                raise gone()
            same = [m for m in self.profile.modes.values()
                    if m.enumerates_as == mode.enumerates_as and m.configuration != mode.configuration]
            return sorted([mode, *same], key=lambda m: m.configuration)

    def set_configuration(self, generation: int, value: int) -> None:
        """SET_CONFIGURATION: 0 unconfigures; a value the firmware switches on changes the mode in
        place (no re-enumeration, as a real configuration change); another offered value selects it."""
        with self._lock:
            self.live(generation)
            self._record(Received(time.monotonic(), "configuration", 0, b"", (0x00, 0x09, value, 0, 0)))
            assert self.mode is not None
            target = next((t.target for t in triggers(self.profile, self.mode.name)
                           if t.kind == "configuration" and t.match == value), None)
            if target is None:
                offered = {m.configuration: m for m in self.configurations()}
                if value and value not in offered:
                    raise usb.core.USBError("Pipe error", -9, errno.EPIPE)
                self.configuration = value
                if value:
                    self._rebind(offered[value])
                return
            self.configuration = value
            self._rebind(self.profile.mode(target))

    def reset(self, generation: int, owner: object = None) -> None:
        """A USB port reset: the device stays in its mode (no firmware here switches on a reset),
        unless it accepted a switch: then the reset is the host letting go of it."""
        with self._lock:
            self.live(generation)
            self._record(Received(time.monotonic(), "reset", 0))
        self.let_go(generation, owner)

    def clear_halt(self, generation: int, endpoint: int) -> None:
        """CLEAR_FEATURE(ENDPOINT_HALT) on the wire: recorded as the control request it is."""
        with self._lock:
            self.live(generation)
            self._record(Received(time.monotonic(), "control", 0, b"", (0x02, 0x01, 0, endpoint, 0)))
            self._stalled.discard(endpoint)
