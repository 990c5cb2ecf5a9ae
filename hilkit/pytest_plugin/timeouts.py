"""Budgets as timeouts: every test on a slot gets a hard ceiling (pytest-timeout) from its
profile's time budgets."""
from __future__ import annotations

import pytest

from hilkit.pytest_plugin.parametrize import slot_of


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give every test on a slot a hard ceiling from its profile's budgets (pytest-timeout), so a
    hang becomes a classified failure and teardown still runs."""
    scale = config.getoption("hilkit_budget_scale")
    for item in items:
        slot = slot_of(item)
        if slot is not None and item.get_closest_marker("timeout") is None:
            budgets = slot.profile.budgets
            ceiling = 2 * scale * (budgets.enumerate + budgets.switch * max(1, len(slot.profile.switches))
                                   + budgets.attach) + 30
            item.add_marker(pytest.mark.timeout(ceiling))
