"""The real rig's :class:`UsbBus`: sysfs read through pyudev, uevents from a pyudev monitor thread,
transfers through pyusb's libusb1 backend.

A dongle is followed by its PORT PATH (``1-1.3``): the directory the kernel names after the hub
port, which stays the same across a mode switch, a new product id, identical sticks and ttyUSB
numbers that move. Every uevent under a port (the device, its interfaces, their tty and net
children) wakes the waits for that port; nothing polls.
"""
from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pyudev
import usb.backend.libusb1
import usb.core

from ..errors import HilkitError
from .bus import UsbBus
from .ids import UsbId
from .rawdesc import DescriptorError, parse
from .snapshot import DeviceInfo, InterfaceInfo

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


def _hex(device: pyudev.Device, name: str, default: int = 0) -> int:
    try:
        return int(_attr(device, name), 16)
    except ValueError:
        return default


def _int(device: pyudev.Device, name: str, default: int = 0) -> int:
    try:
        return int(_attr(device, name))
    except ValueError:
        return default


class LinuxUsbBus(UsbBus):
    """Snapshots from sysfs, waits woken by uevents, pyusb devices opened by bus and address."""

    SUBSYSTEMS = ("usb", "tty", "net")

    def __init__(self, usb_backend: object | None = None) -> None:
        super().__init__()
        self.context = pyudev.Context()
        self._backend = usb_backend
        self._backend_lock = threading.Lock()
        monitor = pyudev.Monitor.from_netlink(self.context)
        for subsystem in self.SUBSYSTEMS:
            monitor.filter_by(subsystem)
        self._monitor: pyudev.Monitor | None = monitor
        self._observer = pyudev.MonitorObserver(monitor, callback=self._uevent, name="hilkit-uevents")
        self._observer.daemon = True
        self._observer.start()

    # -- events ----------------------------------------------------------------------------
    def _uevent(self, device: pyudev.Device) -> None:
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
            InterfaceInfo(i.number, i.alt, i.cls, i.subclass, i.protocol, i.endpoints,
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
            extra={"sys_path": device.sys_path, "speed": _attr(device, "speed")})
        return info.with_kernel({n: {k: v for k, v in e.items() if k != "name"} for n, e in kernel.items()})

    def _kernel_side(self, device: pyudev.Device) -> dict[int, dict[str, str]]:
        """Per interface number: bound driver, interface string, tty node and net name."""
        out: dict[int, dict[str, str]] = {}
        numbers: dict[str, int] = {}
        for child in device.children:
            if child.subsystem == "usb" and child.device_type == "usb_interface" \
                    and child.sys_path.rsplit("/", 1)[0] == device.sys_path:
                number = _hex(child, "bInterfaceNumber", -1)
                numbers[child.sys_path] = number
                entry = out.setdefault(number, {})
                if child.driver:
                    entry["driver"] = child.driver
                if _attr(child, "interface"):
                    entry["name"] = _attr(child, "interface")
        for child in device.children:
            if child.subsystem not in ("tty", "net"):
                continue
            owner = next((n for path, n in numbers.items() if child.sys_path.startswith(path + "/")), None)
            if owner is None:
                continue
            if child.subsystem == "tty" and child.device_node:
                out[owner]["tty"] = child.device_node
            elif child.subsystem == "net":
                out[owner]["net"] = child.sys_name
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
