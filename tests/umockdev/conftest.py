"""Fixtures for tests that run under umockdev-wrapper: the Linux backend against emulated dongles."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from hilkit.config.paths import PROJECT_ROOT
from hilkit.core.rig import Rig
from hilkit.dut import Dongle
from hilkit.lab.registry import load_rig
from hilkit.sim.umockdev.umockdev_lab import UmockdevLab


@pytest.fixture
def umock_rig() -> Rig:
    return load_rig(PROJECT_ROOT / "lab" / "umockdev.yaml")


@pytest.fixture
def ulab(umock_rig: Rig, lab_closed) -> UmockdevLab:
    return lab_closed(UmockdevLab(umock_rig))


@pytest.fixture
def e3131(ulab: UmockdevLab) -> Iterator[Dongle]:
    dongle = Dongle(ulab.rig.slot("e3131"), ulab)
    try:
        yield dongle
    finally:
        dongle.close()


def _traced(function):
    """umockdev calls ioctl handlers on its own (non-Python) worker thread, which starts with no
    trace function: give it the one the other threads have (coverage's), so those lines count."""
    import functools
    import sys
    import threading

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if sys.gettrace() is None and threading.gettrace() is not None:
            sys.settrace(threading.gettrace())
        return function(*args, **kwargs)
    return wrapper


def pytest_configure(config):
    import threading

    if threading.gettrace() is None:
        return
    from hilkit.sim.umockdev import usbfs, world
    usbfs.UsbfsHandler._handle = _traced(usbfs.UsbfsHandler._handle)
    world._TRACE = _traced
