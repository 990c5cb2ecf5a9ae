"""``--hilkit-parallel``: every slot of the rig at once, one pytest-xdist worker per slot.

The controller starts one worker per slot and tells each, through xdist's ``workerinput``, which
slot is its own. A worker keeps only that slot in its rig, so it parametrizes only that slot's
tests and opens only that slot's part of the lab (its relay, its dongle, its bus view). The
workers' collections differ, so they are dealt with xdist's ``each`` scheduling: every worker runs
what it collected. A test that is not per slot runs on the first worker only.

One result set: the controller cleans the Allure directory before the workers start and writes
Allure's extra files and the JUnit XML once; every worker appends its measurements to the one
JSON-lines file (one ``O_APPEND`` write per test). The controller holds the slot locks.
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from .lab.rig import Rig, Slot

SLOT_KEY = "hilkit_slot"      # workerinput: the name of the worker's slot
FIRST_KEY = "hilkit_first"    # workerinput: this worker also runs the tests that are not per slot
ELSEWHERE = "hilkit_elsewhere"  # marks a test whose eligible slots belong to other workers


def configure_parallel(config: pytest.Config, rig: Rig, profiles: tuple[str, ...]) -> Rig:
    """The rig this process works on: a worker's own slot only; the controller sets xdist up."""
    worker = getattr(config, "workerinput", None)
    if worker is not None:
        config.option.clean_alluredir = False  # the controller cleaned it before starting us
        name = worker.get(SLOT_KEY)
        return rig if name is None else replace(rig, slots=(rig.slot(name),))
    if not config.getoption("hilkit_parallel"):
        return rig
    if not config.pluginmanager.hasplugin("xdist"):
        raise pytest.UsageError("--hilkit-parallel: needs pytest-xdist (pip install pytest-xdist)")
    slots = [s for s in rig.slots if not profiles or s.profile.key in profiles]
    asked = config.getoption("numprocesses", None)
    if asked not in (None, len(slots)):
        raise pytest.UsageError(f"--hilkit-parallel: one worker per slot ({len(slots)} of rig {rig.name}); "
                                f"leave out -n {asked}")
    config.option.numprocesses = len(slots)
    config.option.dist = "each"
    config.option.tx = ["popen"] * len(slots)
    config.pluginmanager.register(ParallelController(rig, slots), "hilkit-parallel")
    return rig


def bound_slot(config: pytest.Config) -> str | None:
    """The slot this process is an xdist worker for (None: not a slot-bound worker)."""
    return getattr(config, "workerinput", {}).get(SLOT_KEY)


def keep_own_tests(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In a slot-bound worker, drop what other workers run: tests only other slots are eligible for,
    and (but on the first worker) tests that are not per slot, which would otherwise run N times."""
    worker = getattr(config, "workerinput", {})
    if SLOT_KEY not in worker:
        return
    first = worker.get(FIRST_KEY)
    dropped = [item for item in items if item.get_closest_marker(ELSEWHERE) is not None or (
        not first and getattr(getattr(item, "callspec", None), "params", {}).get("slot") is None)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]


class ParallelController:
    """xdist controller side: binds worker ``gwN`` to slot N and holds every slot's lock."""

    def __init__(self, rig: Rig, slots: list[Slot]) -> None:
        self.rig = rig
        self.slots = slots
        self.session: pytest.Session | None = None
        self.collected: dict[str, int] = {}

    def pytest_xdist_make_scheduler(self, config: pytest.Config, log):
        """xdist's ``each`` scheduling (every worker runs what it collected), counting the sum of
        the workers' collections as the run's total (``each`` counts one worker's)."""
        from xdist.scheduler import EachScheduling

        controller = self

        class SlotScheduling(EachScheduling):
            def add_node_collection(self, node, collection) -> None:
                super().add_node_collection(node, collection)
                controller.collected[node.gateway.id] = len(collection)
                if controller.session is not None:
                    controller.session.testscollected = sum(controller.collected.values())

        return SlotScheduling(config, log)

    def pytest_configure_node(self, node) -> None:  # xdist's WorkerController
        index = int(node.gateway.id.removeprefix("gw"))
        node.workerinput[SLOT_KEY] = self.slots[index].name
        node.workerinput[FIRST_KEY] = index == 0

    @pytest.hookimpl(tryfirst=True)  # before xdist's, which starts the workers
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        from .plugin import hold_slots

        self.session = session
        if not session.config.option.collectonly:
            hold_slots(session.config, self.rig, self.slots)
        _compile_once()


def _compile_once() -> None:
    """Write hilkit's bytecode before the workers start, so N workers load it instead of each
    compiling hilkit from source (an editable install is never compiled by pip, and with
    PYTHONDONTWRITEBYTECODE set no worker would write it either)."""
    import compileall
    import sys
    from pathlib import Path

    flag = sys.dont_write_bytecode
    sys.dont_write_bytecode = False
    try:
        compileall.compile_dir(str(Path(__file__).parent), quiet=2)
    finally:
        sys.dont_write_bytecode = flag

    def pytest_report_header(self, config: pytest.Config) -> str:
        return f"hilkit: parallel: one xdist worker per slot ({', '.join(s.name for s in self.slots)})"
