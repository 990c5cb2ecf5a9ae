"""After power-on, each dongle enumerates on its port with the ids, classes and ports its profile says."""
from __future__ import annotations

from pathlib import Path

import pytest

from hilkit import measure
from hilkit.core.modes import mode_problems

pytestmark = pytest.mark.hilkit_phase("enumeration", severity="critical")


def test_powers_up_in_initial_mode(dongle, slot):
    mode = slot.profile.initial_mode
    info = dongle.snapshot()
    assert info is not None, f"nothing on port {slot.port} after power-on"
    assert info.id in mode.ids, f"{slot.port}: id {info.id}, expected {' or '.join(map(str, mode.ids))}"
    assert mode_problems(mode, info) == []
    measure("enumeration time", dongle.enumeration_time, "s", high=slot.profile.budgets.enumerate)


def test_serial_ports_and_network_interfaces_exist(dongle, slot):
    """Every at/diag/ppp interface has a tty node a program can open; every net interface has a name."""
    mode = slot.profile.initial_mode
    info = dongle.snapshot()
    for spec in mode.interfaces:
        seen = info.interface(spec.number, spec.alt)
        if spec.alt == 0 and spec.role in ("at", "diag", "ppp"):
            assert seen.tty and Path(seen.tty).exists(), f"interface {spec.number} ({spec.role}): no tty node"
        if spec.alt == 0 and spec.role == "net":
            assert seen.net, f"interface {spec.number}: no network interface"


def test_power_off_removes_the_device(dongle, slot, usb_bus):
    dongle.power_off(timeout=slot.profile.budgets.enumerate)
    assert usb_bus.device_at(slot.port) is None
    assert dongle.power.state is False
