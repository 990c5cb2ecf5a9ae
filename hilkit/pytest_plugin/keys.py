"""Stash keys: what the plugin's modules share through ``config.stash`` and ``item.stash``.

In a module of their own, so a module that stores a value and one that reads it both import this
one, never each other.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from hilkit.core.rig import Rig
from hilkit.dut import Dongle
from hilkit.lab.slotlock import SlotLocks
from hilkit.pytest_plugin.options import Settings
from hilkit.report.progress import ProgressLines

SETTINGS = pytest.StashKey[Settings]()
LOCKS = pytest.StashKey[SlotLocks]()
MEASUREMENTS = pytest.StashKey[Path | None]()
RIG = pytest.StashKey[Rig | None]()  # a parallel slot runner's: its own slot only
OPEN_DONGLES = pytest.StashKey[list[Dongle]]()
OUTCOME = pytest.StashKey[str]()
PROGRESS = pytest.StashKey[ProgressLines]()  # the progress subscriber, when lines are shown
LAB_ENVIRONMENT = pytest.StashKey[dict[str, str]]()  # what the opened lab adds to environment.properties
IDENTITIES = pytest.StashKey[dict[str, dict[str, str]]]()   # slot -> the labels its modem gave
RUNNER_INDEX = pytest.StashKey[int]()  # in a --hilkit-parallel slot runner: its slot's index in the rig
