"""Shared fixtures for hilkit's own tests: a virtual lab built from the shipped rig file."""
from __future__ import annotations

from typing import Iterator

import pytest

from hilkit.dongle import Dongle
from hilkit.lab.rig import Rig, load_rig
from hilkit.paths import PROJECT_ROOT
from hilkit.sim.lab import VirtualLab


@pytest.fixture
def virtual_rig() -> Rig:
    return load_rig(PROJECT_ROOT / "lab" / "virtual.yaml")


@pytest.fixture
def vlab(virtual_rig: Rig) -> Iterator[VirtualLab]:
    lab = VirtualLab(virtual_rig)
    try:
        yield lab
    finally:
        lab.close()
        assert not lab.scheduler.errors, f"virtual lab physics failed: {lab.scheduler.errors}"


@pytest.fixture
def powered(vlab: VirtualLab):
    """powered(slot_name) -> a Dongle powered on in its initial mode; closed at the end."""
    opened: list[Dongle] = []

    def make(name: str) -> Dongle:
        dongle = Dongle(vlab.rig.slot(name), vlab)
        opened.append(dongle)
        dongle.power_on()
        return dongle

    yield make
    for dongle in opened:
        dongle.close()
