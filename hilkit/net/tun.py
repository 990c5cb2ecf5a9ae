"""A tun interface: a network interface whose packets a process reads and writes on a descriptor.

hilkit's PPP client (:mod:`hilkit.net.ppp.link`) gives a dial-up session its network interface
this way, where pppd would ask the kernel's PPP driver (``/dev/ppp``, missing in many containers)
for a ``ppp0``. The interface is not persistent: it goes away when its descriptor is closed, also
when the process dies however it dies, so a killed run leaves none behind.
"""
from __future__ import annotations

import fcntl
import os
import struct

from hilkit.net.interface import check_name
from hilkit.programs import CAP_NET_ADMIN, effective_capabilities

TUN_DEVICE = "/dev/net/tun"
TUNSETIFF = 0x400454CA          # linux/if_tun.h: _IOW('T', 202, int)
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000


class TunUnavailable(OSError):
    """This host cannot make a tun interface (no ``/dev/net/tun``, or no CAP_NET_ADMIN)."""


def open_tun(ifname: str) -> int:
    """A new tun interface named ``ifname`` (IPv4 packets without the packet-info header); its
    descriptor, which the caller closes to remove the interface again."""
    check_name(ifname)
    try:
        # relative to its directory: an LD_PRELOAD device emulator (umockdev, which the kernel-level
        # virtual rig runs under) takes any /dev path it is given for its own and answers its ioctls
        directory = os.open(os.path.dirname(TUN_DEVICE), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            fd = os.open(os.path.basename(TUN_DEVICE), os.O_RDWR | os.O_CLOEXEC, dir_fd=directory)
        finally:
            os.close(directory)
    except OSError as exc:
        raise TunUnavailable(exc.errno, f"cannot open {TUN_DEVICE}: {exc.strerror} (in a container: "
                                        f"--device {TUN_DEVICE} --cap-add NET_ADMIN)") from None
    try:
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH14x", ifname.encode(), IFF_TUN | IFF_NO_PI))
    except OSError as exc:
        os.close(fd)
        raise TunUnavailable(exc.errno, f"cannot make tun interface {ifname}: {exc.strerror}"
                                        + (" (needs CAP_NET_ADMIN)" if exc.errno == 1 else "")) from None
    return fd


def tun_unavailable() -> str | None:
    """Why this process cannot make a tun interface, or None when it can."""
    if not os.path.exists(TUN_DEVICE):
        return f"no {TUN_DEVICE} (modprobe tun; in a container pass --device {TUN_DEVICE})"
    if not os.access(TUN_DEVICE, os.R_OK | os.W_OK):
        return f"{TUN_DEVICE} is not readable and writable by this user"
    caps = effective_capabilities()
    if caps is not None and not caps >> CAP_NET_ADMIN & 1:   # unknown: the attempt says what is missing
        return "making a tun interface needs CAP_NET_ADMIN (run as root, or --cap-add NET_ADMIN)"
    return None



TUNSETCARRIER = 0x400454E2      # _IOW('T', 226, int), Linux 5.0+


def set_carrier(fd: int, on: bool) -> None:
    """The tun interface's carrier (its link as the host sees it: IFF_RUNNING), as a ppp0's goes when
    its session ends. A kernel without the ioctl keeps the carrier; the session's end still shows."""
    try:
        fcntl.ioctl(fd, TUNSETCARRIER, struct.pack("i", int(on)))
    except OSError:
        pass
