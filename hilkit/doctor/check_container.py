"""The container check: whether this runs in a container, and whether USB (/dev/bus/usb) and udev
(/run/udev/control) reach it."""
from __future__ import annotations

from hilkit.core.rig import Rig
from hilkit.doctor.findings import FAIL, OK, Finding
from hilkit.doctor.host import Host


def check_container(rig: Rig, host: Host) -> list[Finding]:
    """/dev/bus/usb and udev present, in a container or not (and how to give them to a container)."""
    check = "container"
    why = host.container()
    missing = []
    if not host.path("/dev/bus/usb").is_dir():
        missing.append("no /dev/bus/usb (libusb cannot open the dongles)")
    if not host.path("/sys/bus/usb/devices").is_dir():
        missing.append("no /sys/bus/usb (the ports and their devices cannot be read)")
    if not host.exists("/run/udev/control"):
        missing.append("no /run/udev/control (no udevd: no uevents, so re-enumeration is never seen)")
    if not missing:
        where = f"in a container ({why})" if why else "not in a container"
        note = "; uevents reach a container only with --net=host" if why else ""
        return [Finding(OK, check, f"{where}; /dev/bus/usb and udev (/run/udev/control) present{note}")]
    if why:
        balena = any(k in host.environ for k in ("BALENA", "RESIN", "BALENA_DEVICE_UUID", "RESIN_DEVICE_UUID"))
        sys_mount = "-v /sys:/sys" if any(s.power.driver == "uhubctl" for s in rig.slots) else "-v /sys:/sys:ro"
        fix = (f"docker run --privileged -v /dev:/dev {sys_mount} -v /run/udev:/run/udev:ro --net=host ...; "
               "or run udevd in the container" + ("; on balena: set UDEV=1 in the service's environment" if balena
                                                  else " (balena images: UDEV=1)") + " (docs/containers.md)")
        return [Finding(FAIL, check, f"in a container ({why}): {'; '.join(missing)} -- the switch seems to work "
                                     "but the modem never attaches", fix)]
    fixes = []
    if not host.path("/dev/bus/usb").is_dir() or not host.path("/sys/bus/usb/devices").is_dir():
        fixes.append("check the kernel has CONFIG_USB and sysfs is mounted (ls /dev/bus/usb /sys/bus/usb/devices)")
    if not host.exists("/run/udev/control"):
        fixes.append("sudo systemctl start systemd-udevd")
    return [Finding(FAIL, check, "; ".join(missing), "; ".join(fixes))]
