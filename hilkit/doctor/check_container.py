"""The container check: whether this runs in a container, and whether USB (/dev/bus/usb) and udev
(/run/udev/control) reach it."""
from __future__ import annotations

from hilkit.core.rig import Rig
from hilkit.doctor.findings import FAIL, OK, Finding
from hilkit.doctor.host import Host


def _container(host: Host) -> str:
    """Why this looks like a container ('' when it does not)."""
    for marker in ("/.dockerenv", "/run/.containerenv"):
        if host.exists(marker):
            return marker
    cgroup = host.read("/proc/1/cgroup") or ""
    for word in ("docker", "kubepods", "lxc", "containerd", "libpod"):
        if word in cgroup:
            return f"/proc/1/cgroup mentions {word}"
    if host.environ.get("container"):
        return f"container={host.environ['container']} in the environment"
    return ""


def check_container(rig: Rig, host: Host) -> list[Finding]:
    """/dev/bus/usb and udev present, in a container or not (and how to give them to a container)."""
    check = "container"
    why = _container(host)
    missing = []
    if not host.path("/dev/bus/usb").is_dir():
        missing.append("no /dev/bus/usb (libusb cannot open the dongles)")
    if not host.exists("/run/udev/control"):
        missing.append("no /run/udev/control (no udevd: no uevents, so re-enumeration is never seen)")
    if not missing:
        where = f"in a container ({why})" if why else "not in a container"
        note = "; uevents reach a container only with --net=host" if why else ""
        return [Finding(OK, check, f"{where}; /dev/bus/usb and udev (/run/udev/control) present{note}")]
    if why:
        balena = any(k in host.environ for k in ("BALENA", "RESIN", "BALENA_DEVICE_UUID", "RESIN_DEVICE_UUID"))
        fix = ("docker run --privileged -v /dev:/dev -v /run/udev:/run/udev:ro --net=host ...; or run udevd in "
               "the container" + ("; on balena: set UDEV=1 in the service's environment" if balena
                                  else " (balena images: UDEV=1)"))
        return [Finding(FAIL, check, f"in a container ({why}): {'; '.join(missing)} -- the switch seems to work "
                                     "but the modem never attaches", fix)]
    fixes = []
    if not host.path("/dev/bus/usb").is_dir():
        fixes.append("mount usbfs / check the kernel has CONFIG_USB (ls /dev/bus/usb)")
    if not host.exists("/run/udev/control"):
        fixes.append("sudo systemctl start systemd-udevd")
    return [Finding(FAIL, check, "; ".join(missing), "; ".join(fixes))]
