"""Switches known not to work on a dongle (its profile's ``refuse`` list) are refused before
anything is sent, with the reason and a hint, and the dongle stays as it was."""
from __future__ import annotations

import pytest

from hilkit.core.errors import SwitchRefused

pytestmark = pytest.mark.hilkit_phase("switch", severity="normal")


@pytest.mark.hilkit_requires("refuse")
def test_known_bad_switches_are_refused(dongle, slot, usb_bus):
    before = dongle.snapshot()
    events = len(usb_bus.events)
    for case in slot.profile.refuse:
        with pytest.raises(SwitchRefused) as refused:
            dongle.run_switch(case.config, label=case.name, where=f"{slot.profile.path}:{case.line}")
        assert case.error in str(refused.value)
        assert refused.value.hint, "a refusal must say what to do instead"
    assert dongle.snapshot() == before, "the dongle changed although nothing should have been sent"
    assert [e for e in usb_bus.events[events:] if e.port == slot.port] == []
