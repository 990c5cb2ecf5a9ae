"""The profile's switches move the dongle to its working mode: ids, classes and ports after
re-enumeration on the same port, inside the switch budget."""
from __future__ import annotations

import pytest

from hilkit import measure
from hilkit.core.modes import mode_problems

pytestmark = pytest.mark.hilkit_phase("switch", severity="critical")


@pytest.mark.hilkit_requires("switches")
def test_switch_reaches_working_mode(dongle, slot):
    target = slot.profile.final_mode
    results = dongle.switch_to(target.name)
    assert results, f"no switch was run from {slot.profile.initial_mode.name} to {target.name}"
    info = dongle.snapshot()
    assert info is not None and info.port == slot.port
    assert info.id in target.ids, f"{slot.port}: id {info.id} after the switch, expected {target.ids}"
    assert mode_problems(target, info) == []
    for result in results:
        measure(f"re-enumeration time ({result.method})", result.reenumeration_time, "s",
                high=slot.profile.budgets.switch)


@pytest.mark.hilkit_requires("switches")
def test_switch_again_after_power_cycle(dongle, slot):
    """A stick falls back to its initial mode when power-cycled, and switches again."""
    target = slot.profile.final_mode
    dongle.switch_to(target.name)
    dongle.power_off(timeout=slot.profile.budgets.enumerate)
    dongle.power_on()
    assert dongle.mode() == slot.profile.initial_mode
    dongle.switch_to(target.name)
    assert dongle.mode() == target
