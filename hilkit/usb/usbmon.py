"""A rig's USB traffic as the kernel's ``usbmon`` module shows it (its binary interface, ``/dev/usbmonN``).

One reader per bus, started before the test powers its dongle; every event of the bus is kept (a
bounded ring) with the monotonic time it arrived, and a test's capture is the events since it
started whose device was, when they arrived, the one on the slot's port. A dongle that
re-enumerates (a mode switch: new device number, maybe a new product id) is followed because its
PORT is the filter, not its address: each new device number is looked up once in sysfs.

``read(2)`` on the binary interface hands out one event at a time: a 48-byte header (``struct
usbmon_packet`` without the ISO fields; see the kernel's Documentation/usb/usbmon.rst, "Binary
interface") then ``len_cap`` bytes of data. The header is read first, then exactly the data it
announces, so a pipe that delivers it in pieces is read the same way as the device.
"""
from __future__ import annotations

import os
import re
import select
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from hilkit.core.errors import HilkitError
from hilkit.core.usb_capture import TRANSFER_TYPES, UrbEvent

#: ``struct usbmon_packet`` as read(2) gives it: id, type, xfer_type, epnum, devnum, busnum,
#: flag_setup, flag_data, ts_sec, ts_usec, status, length, len_cap, setup[8] (or the ISO counts)
HEADER = struct.Struct("<QBBBBHbbqiiII8s")
TRANSFERS = {number: name for name, number in TRANSFER_TYPES.items()}
SYSFS_DEVICES = Path("/sys/bus/usb/devices")
_PORT = re.compile(r"^\d+-\d+(\.\d+)*$")
_ROOT_HUB = re.compile(r"^usb\d+$")


class UsbmonError(HilkitError):
    """The usbmon interface cannot be read, or handed out something that is not a usbmon event."""


def device_path(bus: int) -> Path:
    return Path(f"/dev/usbmon{bus}")


def parse_event(header: bytes, data: bytes) -> UrbEvent:
    """One usbmon event from its 48-byte header and its captured data."""
    if len(header) != HEADER.size:
        raise UsbmonError(f"a usbmon header is {HEADER.size} bytes; got {len(header)}")
    (urb, kind, transfer, endpoint, device, bus, flag_setup, _flag_data, seconds, micro, status, length,
     captured, setup) = HEADER.unpack(header)
    if chr(kind) not in "SCE" or transfer not in TRANSFERS:
        raise UsbmonError(f"not a usbmon event: type {kind:#04x}, transfer type {transfer}")
    if len(data) != captured:
        raise UsbmonError(f"usbmon event {urb:#x} announces {captured} bytes of data; got {len(data)}")
    return UrbEvent(time=seconds + micro / 1_000_000, urb=urb, kind=chr(kind), transfer=TRANSFERS[transfer],
                    endpoint=endpoint, device=device, bus=bus, data=data, length=length,
                    setup=setup if flag_setup == 0 and chr(kind) == "S" and transfer == 2 else None,
                    status=status)


class PortsBySysfs:
    """Which port path a device number on a bus belongs to now, read from sysfs (``busnum``,
    ``devnum`` of each ``B-P.P`` device), kept once found. A number sysfs does not show (yet, or
    any more) is looked for again at its next event; root hubs (``usbN``) and address 0 (a device
    not yet addressed) are known as on no port, so their traffic costs no scan."""

    def __init__(self, root: Path = SYSFS_DEVICES) -> None:
        self.root = root
        self.known: dict[tuple[int, int], str] = {}

    def port_of(self, bus: int, device: int) -> str | None:
        if device == 0:
            return ""
        if (bus, device) not in self.known:
            self.known.update(self._scan())
        return self.known.get((bus, device))

    def _scan(self) -> dict[tuple[int, int], str]:
        found = {}
        try:
            entries = [e for e in os.scandir(self.root) if _PORT.match(e.name) or _ROOT_HUB.match(e.name)]
        except OSError:
            return {}
        for entry in entries:
            try:
                bus = int((Path(entry.path) / "busnum").read_text())
                device = int((Path(entry.path) / "devnum").read_text())
            except (OSError, ValueError):
                continue   # unplugged while being read
            found[(bus, device)] = entry.name if _PORT.match(entry.name) else ""
        return found


class UsbmonReader:
    """Reads one bus's usbmon events on a thread and keeps the last ``keep`` of them, each with the
    port its device was on and the monotonic time it arrived."""

    #: data kept per event at most (a CD-ROM read by the host's automounter is megabytes); the
    #: header keeps the URB's real length, as a capture with a snap length does
    snap = 4096

    def __init__(self, bus: int, path: Path | None = None, ports: Callable[[int, int], str | None] | None = None,
                 keep: int = 200_000) -> None:
        self.bus = bus
        self.path = path or device_path(bus)
        self.ports = ports or PortsBySysfs().port_of
        self.events: deque[tuple[float, str | None, UrbEvent]] = deque(maxlen=keep)
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._fd: int | None = None
        self._poller = select.poll()

    def start(self) -> None:
        """Opens the interface (a one-line :class:`UsbmonError` if it cannot) and starts reading."""
        try:
            self._fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        except OSError as exc:
            raise UsbmonError(f"cannot read {self.path}: {exc.strerror} ({why_unreadable(self.path)})") from None
        self._poller.register(self._fd, select.POLLIN)
        self._thread = threading.Thread(target=self._run, name=f"usbmon{self.bus}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def capture(self, port: str, since: float) -> list[UrbEvent]:
        """The events of the device(s) on ``port`` that arrived at or after ``since`` (monotonic)."""
        return [event for arrived, where, event in list(self.events) if arrived >= since and where == port]

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if not self._poller.poll(200):
                    continue
                header = self._read_exactly(HEADER.size)
                if header is None:
                    return     # the other end is gone (a pipe in tests)
                captured = HEADER.unpack(header)[12]
                data = self._read_exactly(captured) if captured else b""
                if data is None:
                    raise UsbmonError(f"{self.path}: the data of an event ended early")
                event = parse_event(header, data)
                if len(event.data) > self.snap:
                    event = replace(event, data=event.data[:self.snap])
                self.events.append((time.monotonic(), self.ports(event.bus, event.device), event))
        except (OSError, UsbmonError) as exc:
            self.error = f"{self.path}: {exc}"   # the capture ends; the test goes on without it

    def _read_exactly(self, size: int) -> bytes | None:
        assert self._fd is not None
        parts: list[bytes] = []
        wanted = size
        while wanted:
            try:
                part = os.read(self._fd, wanted)
            except BlockingIOError:      # the rest of what a pipe delivers in pieces: wait for it
                if self._stop.is_set():
                    return None
                self._poller.poll(200)
                continue
            if not part:
                return None
            parts.append(part)
            wanted -= len(part)
        return b"".join(parts)


def why_unreadable(path: Path) -> str:
    """What stands between this process and ``path``, in the words of the fix."""
    if not path.exists():
        if not Path("/sys/module/usbmon").exists():
            return "the usbmon module is not loaded: sudo modprobe usbmon"
        return f"{path} does not exist: no such bus, or /dev has no usbmon nodes (in a container: pass them in)"
    return ("not readable by this user: a udev rule such as SUBSYSTEM==\"usbmon\", GROUP=\"plugdev\", "
            "MODE=\"0640\" lets the plugdev group read it")
