"""The USB devices on the host's bus, as sysfs lists them (``/sys/bus/usb/devices``): port, id, device node."""
from __future__ import annotations

import re
from dataclasses import dataclass

from hilkit.doctor.host import Host

_DEVICE_DIR = re.compile(r"^\d+-\d+(\.\d+)*$")


@dataclass(frozen=True)
class SysDevice:
    port: str
    usb_id: str        # "12d1:1506", "?" when sysfs does not say
    node: str | None   # /dev/bus/usb/BBB/DDD


def sysfs_devices(host: Host) -> dict[str, SysDevice]:
    """The devices on the bus by port (``1-1.2``)."""
    devices: dict[str, SysDevice] = {}
    for path in host.glob("/sys/bus/usb/devices/*"):
        if not _DEVICE_DIR.match(path.name):
            continue
        vendor = (host.read(path / "idVendor") or "").strip()
        product = (host.read(path / "idProduct") or "").strip()
        busnum = (host.read(path / "busnum") or "").strip()
        devnum = (host.read(path / "devnum") or "").strip()
        node = (f"/dev/bus/usb/{int(busnum):03d}/{int(devnum):03d}"
                if busnum.isdigit() and devnum.isdigit() else None)
        devices[path.name] = SysDevice(path.name, f"{vendor}:{product}" if vendor and product else "?", node)
    return devices
