"""Finding the programs hilkit runs (uhubctl, usb_modeswitch), whether a process still runs, and
what this process may do (its capabilities: a tun, namespaces).

Debian installs both in /usr/sbin, which is not on an ordinary user's PATH; a lab user runs hilkit
without root (udev rules give the access), so hilkit looks there after PATH, as ``hilkit doctor`` does.
"""
from __future__ import annotations

import os
import shutil

#: where a lab machine keeps programs that are not on an ordinary user's PATH (Debian: uhubctl, usb_modeswitch)
SBIN_DIRS = ("/usr/local/sbin", "/usr/sbin", "/sbin")


def find_program(name: str) -> str | None:
    """The path of ``name``: on PATH, else in an sbin directory; None when absent. A name with a
    slash is a path, taken as given when it can be run."""
    if os.sep in name:
        return name if os.access(name, os.X_OK) else None
    search = os.pathsep.join([os.environ.get("PATH", os.defpath), *SBIN_DIRS])
    return shutil.which(name, path=search)


def process_alive(pid: int) -> bool:
    """Does process ``pid`` still run on this host? (One of another user's counts as running.)"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


#: capability bits (linux/capability.h) hilkit's data path needs: making a tun, namespaces, veths
CAP_NET_ADMIN, CAP_SYS_ADMIN = 12, 21


def cap_eff(status: str) -> int | None:
    """The effective capability set in a /proc/PID/status text (its ``CapEff:`` line), or None."""
    for line in status.splitlines():
        if line.startswith("CapEff:"):
            try:
                return int(line.split()[1], 16)
            except (IndexError, ValueError):
                return None
    return None


def effective_capabilities() -> int | None:
    """This process's effective capabilities; None where /proc cannot say."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            return cap_eff(status.read())
    except OSError:
        return None
