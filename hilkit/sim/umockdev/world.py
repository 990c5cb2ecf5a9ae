"""The kernel side of the virtual dongles under umockdev: sysfs records, device nodes and uevents.

When a virtual dongle enumerates, this writes what Linux would: the usb_device with its binary
descriptors and a /dev/bus/usb node answered by :class:`UsbfsHandler`; one usb_interface per
interface with its bound driver; ``ttyUSBn``/``ttyACMn`` (a /dev node that is the model's pty) and
``wwanN``/``usbN`` children; then the uevents in the kernel's order. Removal goes the other way,
children first. Numbers are handed out like the kernel does: lowest free ttyUSB, a new address per
enumeration -- so nothing above can follow a dongle by anything but its port path.
"""
from __future__ import annotations

import errno
import fcntl
import os
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import usb.core

from hilkit.sim.adapters.descriptor_blob import descriptor_blob
from hilkit.sim.adapters.pty_port import AtPort, PtyPort
from hilkit.sim.adapters.pyusb_backend import DeviceHandle, SimUsbBackend
from hilkit.sim.model.virtual_dongle import VirtualDongle
from hilkit.sim.umockdev.records import Record, hub_record
from hilkit.sim.umockdev.usbfs import UsbfsHandler
from hilkit.usb.sysfs_bus import LinuxUsbBus

PCI = "/devices/pci0000:00/0000:00:14.0"
_TTY_PREFIX = {"option": "ttyUSB", "qcserial": "ttyUSB", "cdc_acm": "ttyACM"}
_TTY_MAJOR = {"ttyUSB": 188, "ttyACM": 166}
#: one testbed per process, changed by every lab's dongles: one lock for all of them
TESTBED_LOCK = threading.RLock()
#: ttyUSB/ttyACM names in use in the testbed (the kernel numbers across all devices)
_TTYS_IN_USE: set[str] = set()
#: (bus, address) of every device node in the testbed, and the last address handed out per bus
_ADDRESSES_IN_USE: set[tuple[int, int]] = set()
_LAST_ADDRESS: dict[int, int] = {}
#: uevents sent in this process, and those the shared bus never read (see _pace)
_SENT = 0
_UNREAD = 0


def sent_uevents() -> int:
    """How many uevents the world has sent that the bus's monitor can still read."""
    return _SENT - _UNREAD


def next_address(bus: int) -> int:
    """The kernel's way: the next free address on the bus after the last one given, wrapping at 127."""
    with TESTBED_LOCK:
        address = _LAST_ADDRESS.get(bus, 2)
        for _ in range(126):
            address = address % 127 + 1
            if address > 2 and (bus, address) not in _ADDRESSES_IN_USE:
                _LAST_ADDRESS[bus] = address
                return address
        raise RuntimeError(f"no free USB address on bus {bus}")


@dataclass
class _Plugged:
    """What one enumeration put into the testbed (removed in reverse)."""

    device: Record
    node: str
    usbfs: UsbfsHandler
    children: list[Record] = field(default_factory=list)
    tty_nodes: list[tuple[str, Any]] = field(default_factory=list)   # (/dev/ttyUSBn, ioctl handler)
    address: tuple[int, int] = (0, 0)
    modem_manager: bool = False   # the slot attaches through ModemManager: its ttys are MM candidates


#: a wrapper for ioctl handlers (tests set one so coverage sees umockdev's worker thread)
_TRACE = None

#: legacy tty ioctls (no size in the request number): request -> bytes the argument points to;
#: 0 = the argument is a value, not a pointer
_TTY_ARGS = {0x5401: 36, 0x5402: 36, 0x5403: 36, 0x5404: 36,          # TCGETS, TCSETS[WF]
             0x541B: 4, 0x5411: 4, 0x5415: 4, 0x5416: 4, 0x5417: 4, 0x5418: 4,  # INQ OUTQ TIOCM*
             0x540B: 0, 0x5409: 0, 0x540A: 0, 0x5427: 0, 0x5428: 0}   # TCFLSH TCSBRK TCXONC [SC]BRK
_EXCLUSIVE = (0x540C, 0x540D)                                            # TIOCEXCL, TIOCNXCL


def _tty_ioctls(umockdev: Any, port: PtyPort) -> Any:
    """An ioctl handler that runs a tty's ioctls on the model's own end of the same pty.

    umockdev 0.17 answers ioctls on emulated ttys itself and fails TIOCINQ (pyserial's
    ``in_waiting``) with ENOTTY. The pty slave the model holds is the same tty as the client's
    node, so its queues and termios give the kernel's real answers, with no round trip.
    """
    handler = umockdev.IoctlBase()

    def handle(_base: Any, client: Any) -> bool:
        request = client.get_request()
        arg = client.get_arg()
        try:
            if request in _EXCLUSIVE:
                client.complete(0, 0)
                return True
            size = _TTY_ARGS.get(request, (request >> 16) & 0x3FFF if request >> 30 else None)
            if size is None:
                client.complete(-1, errno.ENOTTY)
            elif size == 0:
                value = struct.unpack("<q", bytes(arg.retrieve())[:8])[0]
                client.complete(fcntl.ioctl(port.slave_fd, request, value), 0)
            else:
                data = arg.resolve(0, size)
                buffer = bytearray(data.retrieve())
                result = fcntl.ioctl(port.slave_fd, request, buffer, True)
                data.update(0, bytes(buffer))
                client.complete(result, 0)
        except OSError as exc:
            client.complete(-1, errno.EIO if exc.errno == errno.EBADF else exc.errno or errno.EIO)
        return True
    handler.connect("handle-ioctl", _TRACE(handle) if _TRACE else handle)
    return handler


class UmockdevWorld:
    """Mirrors the virtual dongles' enumerations into one umockdev testbed."""

    #: uevents in flight to the bus's monitor socket at most: umockdev sends without blocking and
    #: gives up (aborting the process) when the socket's queue is full, and Linux queues only
    #: net.unix.max_dgram_qlen (10 by default) datagrams on a unix socket
    IN_FLIGHT = 6

    def __init__(self, testbed: Any, umockdev: Any, backend: SimUsbBackend, ports: list[str],
                 bus: LinuxUsbBus | None = None) -> None:
        self.bus = bus
        self.testbed = testbed
        self.umockdev = umockdev
        self.backend = backend
        self.root = testbed.get_root_dir()
        self._lock = TESTBED_LOCK
        self._plugged: dict[str, _Plugged] = {}
        self._ttys_in_use = _TTYS_IN_USE
        self.uevents: list[tuple[float, str, str]] = []   # (monotonic time sent, action, sysfs path)
        self._hubs: dict[str, str] = {}
        with self._lock:
            for port in ports:
                self._hub_path(port)

    # -- topology --------------------------------------------------------------------------
    def _hub_path(self, port: str) -> str:
        """The sysfs directory of the hub a port hangs off, creating the hubs on first use."""
        bus, chain = port.split("-", 1)
        parent, key = f"{PCI}", f"usb{bus}"
        if key not in self._hubs:
            self._add_hub(parent, key, int(bus), 1, root=True)
        parent = self._hubs[key]
        numbers = chain.split(".")
        for depth in range(1, len(numbers)):
            name = f"{bus}-{'.'.join(numbers[:depth])}"
            if name not in self._hubs:
                self._add_hub(parent, name, int(bus), 128 - len(self._hubs), root=False)
            parent = self._hubs[name]
        return parent

    def _add_hub(self, parent: str, name: str, bus: int, address: int, root: bool) -> None:
        record = hub_record(parent, name, bus, address, root)
        _ADDRESSES_IN_USE.add((bus, address))  # never handed to a dongle
        # hubs stay for the testbed's life: a later lab in the same process finds them there
        if not os.path.exists(os.path.join(self.root, "sys", record.path.lstrip("/"))):
            self._add([record.text()], [record.path])
        self._hubs[name] = record.path

    # -- events from the dongles -----------------------------------------------------------
    def event(self, dongle: VirtualDongle, action: str) -> None:
        with self._lock:
            if action == "add":
                self._plug(dongle)
            elif action == "remove":
                self._unplug(dongle.port)
            else:
                self._reconfigure(dongle)

    def _plug(self, dongle: VirtualDongle) -> None:
        self._unplug(dongle.port)  # a missed remove: never two enumerations on one port
        handle = DeviceHandle(dongle, dongle.generation)
        try:
            blob = descriptor_blob(self.backend, handle)
            mode = dongle.live(handle.generation)
        except usb.core.USBError:
            return  # gone again before the kernel got to it
        bus, address = dongle.bus_number, dongle.address
        path = f"{self._hub_path(dongle.port)}/{dongle.port}"
        ident = mode.enumerates_as
        node = f"/dev/bus/usb/{bus:03d}/{address:03d}"
        device = Record(path, {
            "SUBSYSTEM": "usb", "DEVTYPE": "usb_device", "DRIVER": "usb",
            "PRODUCT": f"{ident.vendor:x}/{ident.product:x}/102", "TYPE": f"{mode.device_class}/0/0",
            "BUSNUM": f"{bus:03d}", "DEVNUM": f"{address:03d}", "DEVNAME": node,
            "MAJOR": "189", "MINOR": str((bus - 1) * 128 + address - 1)}, {
            "idVendor": f"{ident.vendor:04x}", "idProduct": f"{ident.product:04x}",
            "bDeviceClass": f"{mode.device_class:02x}", "bConfigurationValue": str(dongle.configuration),
            "bNumConfigurations": str(len(dongle.configurations())), "busnum": str(bus),
            "devnum": str(address), "speed": "480", "version": " 2.00",
            "manufacturer": mode.manufacturer or "", "product": mode.product or "",
            "dev": f"189:{(bus - 1) * 128 + address - 1}", "descriptors": blob})
        text = device.text().replace(f"P: {path}\n", f"P: {path}\nN: {node[5:]}\n", 1)
        # the ioctl socket first: a node that exists without it answers ENOTTY to whoever opens it
        usbfs = UsbfsHandler(self.umockdev, self.backend, handle)
        self.testbed.attach_ioctl(node, usbfs.ioctl)
        attach = dongle.profile.attach
        plugged = _Plugged(device, node, usbfs, address=(bus, address),
                           modem_manager=attach is not None and attach.method == "modemmanager")
        _ADDRESSES_IN_USE.add(plugged.address)
        self._plugged[dongle.port] = plugged
        self._add_interfaces(dongle, plugged)
        # one call for the device and all its children: sysfs holds the whole device before the
        # first uevent is read, so no one sees it half-built
        self._add([text] + [c.text() for c in plugged.children], [device.path] + [c.path for c in plugged.children])

    def _add_interfaces(self, dongle: VirtualDongle, plugged: _Plugged) -> None:
        mode = dongle.mode
        if mode is None:
            return
        kernel = dongle.kernel_view()
        ident = mode.enumerates_as
        for itf in mode.interfaces:
            if itf.alt:
                continue
            entry = kernel.get(itf.number, {})
            path = f"{plugged.device.path}/{dongle.port}:{dongle.configuration}.{itf.number}"
            props = {"SUBSYSTEM": "usb", "DEVTYPE": "usb_interface",
                     "PRODUCT": f"{ident.vendor:x}/{ident.product:x}/102",
                     "INTERFACE": f"{itf.cls}/{itf.subclass}/{itf.protocol}"}
            links = {}
            if entry.get("driver"):
                props["DRIVER"] = entry["driver"]
                links["driver"] = f"../../../../../../bus/usb/drivers/{entry['driver']}"
            record = Record(path, props, {
                "bInterfaceNumber": f"{itf.number:02x}", "bAlternateSetting": " 0",
                "bInterfaceClass": f"{itf.cls:02x}", "bInterfaceSubClass": f"{itf.subclass:02x}",
                "bInterfaceProtocol": f"{itf.protocol:02x}", "interface": itf.name or ""}, links)
            plugged.children.append(record)
            port = next((p for p in dongle.binding.ports if p.path == entry.get("tty")), None)
            if isinstance(port, PtyPort):  # the lab composes its kernel with ptys (adapters.pty_port)
                self._add_tty(plugged, path, entry["driver"], port)
            if entry.get("net"):
                net = Record(f"{path}/net/{entry['net']}", {"SUBSYSTEM": "net", "INTERFACE": entry["net"]},
                             {"ifindex": str(100 + len(self._plugged)), "address": "0c:5b:8f:27:9a:64"})
                plugged.children.append(net)

    def _add_tty(self, plugged: _Plugged, interface_path: str, driver: str, pty: PtyPort) -> None:
        prefix = _TTY_PREFIX.get(driver, "ttyUSB")
        number = 0
        while f"{prefix}{number}" in self._ttys_in_use:
            number += 1
        name = f"{prefix}{number}"
        self._ttys_in_use.add(name)
        path = f"{interface_path}/{name}/tty/{name}" if prefix == "ttyUSB" else f"{interface_path}/tty/{name}"
        properties = {"SUBSYSTEM": "tty", "DEVNAME": f"/dev/{name}", "MAJOR": str(_TTY_MAJOR[prefix]),
                      "MINOR": str(number)}
        # what ModemManager's udev rules (80-mm-candidate.rules) tag, for the ports the modem model
        # answers on; a silent one (a diag port: the model speaks no QCDM) is left out, as a lab's
        # ID_MM_PORT_IGNORE rule would: the daemon would probe it for 24 s before giving up
        if plugged.modem_manager and isinstance(pty, AtPort):
            properties["ID_MM_CANDIDATE"] = "1"
        record = Record(path, properties, {})
        link = os.path.join(self.root, "dev", name)
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if os.path.lexists(link):
            os.unlink(link)
        handler = _tty_ioctls(self.umockdev, pty)
        self.testbed.attach_ioctl(f"/dev/{name}", handler)  # before the node, as for USB
        os.symlink(pty.path, link)   # the node before its record: its uevent says it is there
        plugged.children.append(record)
        plugged.tty_nodes.append((f"/dev/{name}", handler))

    def _remove_children(self, plugged: _Plugged) -> None:
        for child in reversed(plugged.children):
            self._send("remove", child.path)
            self.testbed.remove_device(f"/sys{child.path}")
        for node, _handler in plugged.tty_nodes:
            self.testbed.detach_ioctl(node)
            link = os.path.join(self.root, node.lstrip("/"))
            if os.path.lexists(link):
                os.unlink(link)
            self._ttys_in_use.discard(node.rsplit("/", 1)[-1])
        plugged.children.clear()
        plugged.tty_nodes.clear()

    def _unplug(self, port: str) -> None:
        plugged = self._plugged.pop(port, None)
        if plugged is None:
            return
        self._remove_children(plugged)
        self.testbed.detach_ioctl(plugged.node)
        self._send("remove", plugged.device.path)
        self.testbed.remove_device(f"/sys{plugged.device.path}")
        # umockdev 0.17 leaves the /sys/dev/char/MAJOR:MINOR link behind; the next device with
        # that address would fail to add (the kernel removes it with the device)
        char = os.path.join(self.root, "sys", "dev", "char", str(plugged.device.attributes["dev"]))
        if os.path.lexists(char):
            os.unlink(char)
        _ADDRESSES_IN_USE.discard(plugged.address)

    def _reconfigure(self, dongle: VirtualDongle) -> None:
        """SET_CONFIGURATION changed the interfaces in place: the kernel rebinds them."""
        plugged = self._plugged.get(dongle.port)
        if plugged is None:
            return
        self._remove_children(plugged)
        self.testbed.set_attribute(f"/sys{plugged.device.path}", "bConfigurationValue", str(dongle.configuration))
        self._add_interfaces(dongle, plugged)
        self._add([c.text() for c in plugged.children], [c.path for c in plugged.children])
        self._send("change", plugged.device.path)

    def _pace(self, all_read: bool = False) -> None:
        """Keep at most IN_FLIGHT uevents unread by the bus's monitor (see IN_FLIGHT); with
        ``all_read``, wait for every one sent so far."""
        global _UNREAD
        if self.bus is None:
            return
        wanted = _SENT - (0 if all_read else self.IN_FLIGHT - 1) - _UNREAD
        if not self.bus.wait_read(wanted, 1.0):
            _UNREAD += wanted - self.bus.received  # never delivered (filtered out): stop waiting for it

    def _add(self, texts: list[str], paths: list[str]) -> None:
        """Add devices to sysfs in one go; umockdev announces each with an ``add`` uevent."""
        global _SENT
        if not texts:
            return
        self._pace(all_read=True)   # room for the whole burst
        now = time.monotonic()
        self.uevents.extend((now, "add", path) for path in paths)
        self.testbed.add_from_string("\n".join(texts))
        _SENT += len(texts)

    def _send(self, action: str, path: str) -> None:
        global _SENT
        self._pace()
        self.uevents.append((time.monotonic(), action, path))
        self.testbed.uevent(f"/sys{path}", action)
        _SENT += 1

    def close(self) -> None:
        with self._lock:
            for port in list(self._plugged):
                self._unplug(port)
