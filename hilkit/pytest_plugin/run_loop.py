"""The run loop: before the first test, lock every slot a collected test drives; under
``--hilkit-parallel``, then run the tests, one forked runner per slot (:mod:`hilkit.pytest_plugin.parallel`)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from hilkit.core.rig import Slot
from hilkit.pytest_plugin.keys import PROGRESS, RIG, RUNNER_INDEX
from hilkit.pytest_plugin.locks import hold_slots
from hilkit.pytest_plugin.parallel import deal, run_here, run_parallel
from hilkit.pytest_plugin.parametrize import slot_of


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    """Before the first test: lock every slot a collected test will drive (uses the lab).
    Under ``--hilkit-parallel``, then run the tests: one forked runner per slot."""
    config = session.config
    rig = config.stash.get(RIG, None)
    if rig is None or config.option.collectonly:
        return None
    if session.testsfailed and not config.option.continue_on_collection_errors:
        return None  # pytest's own loop stops the run on collection errors
    items: list[pytest.Item] | None = getattr(session, "items", None)
    if items is None:
        return None  # pytest-xdist's controller collects nothing (pytest < 9 has no items then)
    driven: dict[str, Slot] = {}
    for item in items:
        slot = slot_of(item)
        if slot is not None and "lab" in getattr(item, "fixturenames", ()):
            driven[slot.name] = slot
    hold_slots(config, rig, list(driven.values()))
    if not config.getoption("hilkit_parallel") or not items:
        return None

    def keep_only(slot: Slot, say: Callable[[str], None]) -> None:  # in the runner, right after the fork
        config.stash[RIG] = replace(rig, slots=(slot,))
        config.stash[RUNNER_INDEX] = rig.slots.index(slot)
        progress = config.stash.get(PROGRESS, None)
        if progress is not None:
            progress.write = say  # printed by the controller

    per_slot, rest = deal(items, slot_of, rig.slots)
    if per_slot:
        run_parallel(session, per_slot, keep_only)
    run_here(session, rest)  # after the runners, with the whole rig, as in a one-process run
    return True
