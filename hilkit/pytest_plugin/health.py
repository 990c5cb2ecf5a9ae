"""Slot health in a run: each slot's check before its first test, quarantine across runs.

A slot that fails its check (a dead relay, a hub port that no longer powers) is reported once,
as an infrastructure failure (:class:`~hilkit.core.errors.SlotUnhealthy`, its own category), and
its other tests are skipped with the reason instead of failing as device failures. After
``--hilkit-quarantine-after`` failed runs in a row the slot is quarantined
(:mod:`hilkit.lab.slot_health`): its tests are skipped without touching it until
``hilkit slot release NAME``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from hilkit.core.errors import SlotUnhealthy
from hilkit.core.rig import Rig, Slot
from hilkit.dut import Dongle
from hilkit.lab.slot_health import SlotHealth, health_dir
from hilkit.lab.slotlock import lock_dir
from hilkit.pytest_plugin.keys import SETTINGS
from hilkit.pytest_plugin.locks import slots_are_locked


@dataclass
class HealthRun:
    store: SlotHealth
    checked: dict[str, str | None] = field(default_factory=dict)   # slot -> problem (None: healthy)
    quarantined: dict[str, str] = field(default_factory=dict)      # slot -> why


HEALTH = pytest.StashKey[HealthRun]()


def start_health(config: pytest.Config, rig: Rig) -> None:
    """Health checks on, as --hilkit-health says (auto: where the slots are locked)."""
    choice = config.getoption("hilkit_health")
    if choice == "off" or (choice == "auto" and not slots_are_locked(config, rig)):
        return
    directory = health_dir(lock_dir(config.stash[SETTINGS].lock_dir))
    config.stash[HEALTH] = HealthRun(SlotHealth(directory, config.getoption("hilkit_quarantine_after")))


def check_before_first_test(config: pytest.Config, rig: Rig, slot: Slot, dongle: Dongle) -> None:
    """Skip the test of a quarantined or unhealthy slot; at the slot's first test, check it."""
    run = config.stash.get(HEALTH, None)
    if run is None:
        return
    if slot.name in run.quarantined:
        pytest.skip(run.quarantined[slot.name])
    if slot.name in run.checked:
        problem = run.checked[slot.name]
        if problem:
            pytest.skip(f"slot {slot.name} failed its health check in this run ({problem}): its tests are "
                        "skipped, not counted as device failures")
        return
    record = run.store.read(rig.name, slot.port)
    if record.quarantined_since:
        why = (f"slot {slot.name} is quarantined since {record.quarantined_since} after "
               f"{record.failures_in_a_row} failed health checks in a row (last: {record.last_problem}); "
               f"`hilkit slot release {slot.name}` brings it back")
        run.quarantined[slot.name] = why
        pytest.skip(why)
    problem = dongle.health_check()
    run.checked[slot.name] = problem
    record = run.store.record(rig.name, slot.port, problem)
    if problem:
        then = (f"; quarantined now ({record.failures_in_a_row} in a row)" if record.quarantined_since
                else f"; {record.failures_in_a_row} of {run.store.after} failed runs in a row before quarantine")
        raise SlotUnhealthy(f"slot {slot.name} ({slot.power.describe()}, port {slot.port}) failed its health "
                            f"check: {problem}{then}")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    run = config.stash.get(HEALTH, None)
    if run is None:
        return
    unhealthy = {name: p for name, p in run.checked.items() if p}
    for name, problem in unhealthy.items():
        terminalreporter.write_line(f"hilkit: slot {name} failed its health check: {problem}")
    for why in run.quarantined.values():
        terminalreporter.write_line(f"hilkit: {why}")
