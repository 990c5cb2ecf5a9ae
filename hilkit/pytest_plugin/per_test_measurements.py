"""Each test's measurements, appended to the measurements file (``--hilkit-measurements``) when
the test ends, with its outcome, slot and rig."""
from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pytest

from hilkit.core.events import BUS
from hilkit.pytest_plugin.keys import MEASUREMENTS, OUTCOME, RIG
from hilkit.pytest_plugin.parametrize import slot_of
from hilkit.report.measurement_lines import MeasurementLines

if TYPE_CHECKING:
    from pluggy import Result


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, object, None]:
    """Collect the test's measurements; append them to the measurements file when it ends."""
    lines = MeasurementLines()
    item.stash[OUTCOME] = "passed"
    unsubscribe = BUS.subscribe(lines)
    try:
        yield
    finally:
        unsubscribe()
        path = item.config.stash[MEASUREMENTS]
        if path is not None:
            slot = slot_of(item)
            context: dict[str, Any] = {"test": item.nodeid, "outcome": item.stash[OUTCOME]}
            if slot is not None:
                context.update(slot=slot.name, port=slot.port, profile=slot.profile.key)
                loaded = item.config.stash[RIG]
                context["rig"] = loaded.name if loaded else ""
            lines.write(path, context)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Generator[None, Result[pytest.TestReport], None]:
    """The test's outcome for its measurement lines: a failed call fails it, a failed setup or teardown errs it."""
    report = (yield).get_result()
    if report.failed:
        item.stash[OUTCOME] = "failed" if report.when == "call" else "error"
