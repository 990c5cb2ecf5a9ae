"""The virtual lab's dongles at the kernel interface, under umockdev: a fake /sys and /dev in which
pyudev, libusb (so pyusb) and pyserial run for real, as on a rig. One dongle model (``hilkit.sim``),
two transports: in-process (a pyusb backend) and this one (usbdevfs ioctls, uevents, ptys).

Needs Debian's ``umockdev`` and ``gir1.2-umockdev-1.0`` and PyGObject, and a process started under
``umockdev-wrapper`` (the preload must be there from the start).
"""
from __future__ import annotations

import os


def preloaded() -> bool:
    """Was this process started under umockdev-wrapper (its preload library in LD_PRELOAD)?"""
    return "libumockdev-preload" in os.environ.get("LD_PRELOAD", "")


def unavailable() -> str:
    """Why umockdev cannot be used in this process ("" when it can)."""
    if not preloaded():
        return "not running under umockdev-wrapper (libumockdev-preload is not in LD_PRELOAD)"
    return bindings_missing()


def bindings_missing() -> str:
    """Why umockdev's GObject bindings cannot be imported ("" when they can)."""
    try:
        import gi
        gi.require_version("UMockdev", "1.0")
        from gi.repository import UMockdev  # noqa: F401
    except (ImportError, ValueError) as exc:
        return (f"umockdev's Python bindings are missing ({exc}): apt install gir1.2-umockdev-1.0; "
                "pip install 'PyGObject<3.50' (hilkit's umockdev extra)")
    return ""
