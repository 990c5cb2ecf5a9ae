"""The real rig's :class:`UsbBus`: sysfs read through pyudev, uevents from a pyudev monitor thread,
transfers through pyusb's libusb1 backend.

A dongle is followed by its PORT PATH (``1-1.3``): the directory the kernel names after the hub
port, which stays the same across a mode switch, a new product id, identical sticks and ttyUSB
numbers that move. Every uevent under a port (the device, its interfaces, their tty and net
children) wakes the waits for that port; nothing polls.
"""
from __future__ import annotations

import os
import re
import select
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pyudev
import usb.backend.libusb1
import usb.core

from hilkit.core.device import DeviceInfo, InterfaceInfo
from hilkit.core.errors import HilkitError
from hilkit.core.ids import UsbId
from hilkit.usb.bus import UsbBus
from hilkit.usb.rawdesc import DescriptorError, parse

_PORT = re.compile(r"^\d+-\d+(\.\d+)*$")


def port_of(sys_path: str) -> str:
    """The port path a sysfs path lies under (the deepest ``B-P.P`` component), or ``""``."""
    ports = [part for part in sys_path.split("/") if _PORT.match(part)]
    return ports[-1] if ports else ""


def _attr(device: pyudev.Device, name: str, default: str = "") -> str:
    try:
        return device.attributes.asstring(name).strip()
    except (KeyError, UnicodeDecodeError, OSError):
        return default


def _int(device: pyudev.Device, name: str, default: int = 0) -> int:
    try:
        return int(_attr(device, name))
    except ValueError:
        return default


def _subdirs(path: Path, prefix: str) -> list[Path]:
    try:
        return sorted(Path(e.path) for e in os.scandir(path) if e.name.startswith(prefix) and e.is_dir())
    except OSError:
        return []


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return ""


def _uevent_value(path: Path, key: str) -> str:
    for line in _read(path).splitlines():
        name, _, value = line.partition("=")
        if name == key:
            return value
    return ""


class LinuxUsbBus(UsbBus):
    """Snapshots from sysfs, waits woken by uevents, pyusb devices opened by bus and address."""

    SUBSYSTEMS = ("usb", "tty", "net")
    RECEIVE_BUFFER = 16 * 1024 * 1024

    def __init__(self, usb_backend: object | None = None) -> None:
        super().__init__()
        self.context = pyudev.Context()
        self._backend = usb_backend
        self._backend_lock = threading.Lock()
        self.received = 0   # uevent messages read from the monitor socket, including unrelated ones
        self.handled = 0    # ... and recorded (received, then handled: equal when none is under way)
        monitor = pyudev.Monitor.from_netlink(self.context)
        for subsystem in self.SUBSYSTEMS:
            monitor.filter_by(subsystem)
        try:  # a burst of uevents (8 dongles re-enumerating) must not overflow the socket
            monitor.set_receive_buffer_size(self.RECEIVE_BUFFER)
        except OSError:
            pass  # without CAP_NET_ADMIN the kernel's default (about 200 KB) stays
        monitor.start()  # receiving from now on, not from when the thread gets going
        self._monitor: pyudev.Monitor | None = monitor
        self._observer = pyudev.MonitorObserver(monitor, callback=self._uevent, name="hilkit-uevents")
        self._observer.daemon = True
        self._observer.start()

    # -- events ----------------------------------------------------------------------------
    def _uevent(self, device: pyudev.Device) -> None:
        with self._cond:
            self.received += 1
            self._cond.notify_all()
        try:
            self._event(device)
        except Exception as exc:  # noqa: BLE001 -- the monitor thread must outlive any one event
            self.notify("change", port_of(getattr(device, "sys_path", "")) or "?", f"unreadable uevent: {exc!r}")
        finally:
            with self._cond:
                self.handled += 1
                self._cond.notify_all()

    def _event(self, device: pyudev.Device) -> None:
        port = port_of(device.sys_path)
        if not port:
            return
        if device.subsystem == "usb" and device.device_type == "usb_device":
            product = device.properties.get("PRODUCT", "")
            vid, pid = (product.split("/") + ["", ""])[:2]
            detail = f"{int(vid, 16):04x}:{int(pid, 16):04x}" if vid and pid else device.sys_name
        elif device.subsystem == "usb":
            detail = f"interface {device.sys_name}"
        else:
            detail = f"{device.subsystem} {device.device_node or device.sys_name}"
        self.notify(device.action or "change", port, detail)

    def close(self) -> None:
        """Stop the monitor thread and close its netlink socket (an unread one fills up and
        makes the kernel -- or umockdev -- drop uevents for everyone)."""
        self._observer.send_stop()
        if self._observer is not threading.current_thread():
            self._observer.join(timeout=2)
        self._monitor = None
        self._observer.monitor = None

    #: how long settle() waits for the monitor thread at most (it is woken by every uevent it handles)
    SETTLE_LIMIT = 2.0

    def settle(self) -> None:
        """Every uevent waiting on the monitor socket, and the one being handled, recorded."""
        monitor = self._monitor
        deadline = time.monotonic() + self.SETTLE_LIMIT
        while monitor is not None:
            waiting = bool(select.select([monitor], [], [], 0)[0])
            with self._cond:
                if not waiting and self.handled == self.received:
                    return
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                # woken when the monitor reads a message, or finishes the one it is handling
                self._cond.wait_for(self._moved(self.received) if waiting else self._idle, min(remaining, 0.05))

    def _moved(self, before: int) -> Callable[[], bool]:
        return lambda: self.received != before

    def _idle(self) -> bool:
        return self.handled == self.received

    def wait_read(self, count: int, timeout: float) -> bool:
        """Wait until the monitor has read ``count`` messages; False at the deadline."""
        with self._cond:
            return self._cond.wait_for(lambda: self.received >= count, timeout)

    # -- snapshots -------------------------------------------------------------------------
    def devices(self) -> list[DeviceInfo]:
        out = []
        for device in self.context.list_devices(subsystem="usb", DEVTYPE="usb_device"):
            if _PORT.match(device.sys_name):
                info = self._describe(device)
                if info is not None:
                    out.append(info)
        return out

    def device_at(self, port: str) -> DeviceInfo | None:
        try:
            device = pyudev.Devices.from_sys_path(self.context, f"{self.context.sys_path}/bus/usb/devices/{port}")
        except pyudev.DeviceNotFoundError:
            return None
        return self._describe(device)

    def _describe(self, device: pyudev.Device) -> DeviceInfo | None:
        """The device as sysfs shows it now; None if it left while being read."""
        try:  # read as a file: libudev's attribute values stop at the first NUL byte
            raw = parse(Path(device.sys_path, "descriptors").read_bytes())
        except (DescriptorError, OSError):
            return None
        configuration = _int(device, "bConfigurationValue")
        config = raw.config(configuration)
        kernel = self._kernel_side(device)
        interfaces = tuple(
            InterfaceInfo(number=i.number, alt=i.alt, cls=i.cls, subclass=i.subclass, protocol=i.protocol,
                          endpoints=i.endpoints,
                          name=kernel.get(i.number, {}).get("name", "") if i.alt == 0 else "")
            for i in (config.interfaces if config else ()))
        info = DeviceInfo(
            port=device.sys_name, id=UsbId(raw.vendor, raw.product), device_class=raw.device_class,
            device_subclass=raw.device_subclass, device_protocol=raw.device_protocol,
            configuration=configuration, interfaces=interfaces, bus=_int(device, "busnum"),
            address=_int(device, "devnum"), num_configurations=raw.num_configurations,
            bcd_usb=raw.bcd_usb, bcd_device=raw.bcd_device, max_packet0=raw.max_packet0,
            manufacturer=_attr(device, "manufacturer"), product=_attr(device, "product"),
            serial=_attr(device, "serial"), config_attributes=config.attributes if config else 0x80,
            max_power_ma=config.max_power_ma if config else 0,
            configuration_values=tuple(c.value for c in raw.configs),
            extra={"sys_path": device.sys_path, "speed": _attr(device, "speed")})
        return info.with_kernel({n: {k: v for k, v in e.items() if k != "name"} for n, e in kernel.items()})

    def _kernel_side(self, device: pyudev.Device) -> dict[int, dict[str, str]]:
        """Per interface number: bound driver, interface string, tty node and net name.

        Read straight from the device's sysfs directory (``1-1.2:1.0/driver``, ``.../ttyUSB0/tty/
        ttyUSB0``, ``.../tty/ttyACM0``, ``.../net/wwan0``): asking libudev for the children would
        scan all of /sys on every look at the port.
        """
        out: dict[int, dict[str, str]] = {}
        base = Path(device.sys_path)
        for itf in _subdirs(base, device.sys_name + ":"):
            try:
                number = int((itf / "bInterfaceNumber").read_text().strip(), 16)
            except (OSError, ValueError):
                continue  # gone while being read, or not an interface
            entry = out.setdefault(number, {})
            try:
                entry["driver"] = os.path.basename(os.readlink(itf / "driver"))
            except OSError:
                pass  # no driver bound (or the interface left while being read)
            name = _read(itf / "interface")
            if name:
                entry["name"] = name
            ttys = [t for d in _subdirs(itf, "tty") for t in _subdirs(d / "tty" if d.name != "tty" else d, "tty")]
            for tty in ttys:
                node = _uevent_value(tty / "uevent", "DEVNAME")
                if node:
                    entry["tty"] = node if node.startswith("/") else f"/dev/{node}"
            for net in _subdirs(itf / "net", ""):
                entry["net"] = net.name
        return out

    # -- transfers -------------------------------------------------------------------------
    def usb_backend(self) -> object:
        with self._backend_lock:
            if self._backend is None:
                self._backend = usb.backend.libusb1.get_backend()
                if self._backend is None:
                    raise HilkitError("libusb-1.0 not found: install libusb-1.0-0 (pyusb needs it for transfers)")
            return self._backend

    #: how long libusb may take to list a device sysfs already shows (its own uevent thread
    #: updates its list; ours may have run first)
    LIBUSB_LAG = 2.0

    def open(self, port: str) -> usb.core.Device | None:
        """The pyusb device on ``port`` (found by the bus and address sysfs gives for the port)."""
        path = Path(f"{self.context.sys_path}/bus/usb/devices/{port}")
        deadline = time.monotonic() + self.LIBUSB_LAG
        pause = threading.Event()
        while True:
            try:
                bus = int((path / "busnum").read_text())
                address = int((path / "devnum").read_text())
            except (OSError, ValueError):
                return None  # not (or no longer) on the port
            found = usb.core.find(backend=self.usb_backend(), bus=bus, address=address)
            if found is not None or time.monotonic() >= deadline:
                return found
            pause.wait(0.002)
