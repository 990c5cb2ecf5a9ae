"""The dongle under test as a state machine: transition() drives it from wherever it is, each
phase moves it one state, and every step it takes is published as an event."""
from __future__ import annotations

import pytest

from hilkit.core.errors import SwitchFailed
from hilkit.core.events import BUS, StepEnded, StepStarted
from hilkit.core.switchconfig import SwitchConfig
from hilkit.dut import Dongle, State


@pytest.fixture
def steps():
    seen: list[str] = []
    unsubscribe = BUS.subscribe(lambda e: seen.append(e.title) if isinstance(e, StepStarted) else None)
    yield seen
    unsubscribe()


def test_from_off_to_attached_and_back(vlab, steps):
    dongle = Dongle(vlab.rig.slot("e3131"), vlab)
    try:
        assert dongle.state is State.OFF
        dongle.transition(State.ATTACHED)
        assert dongle.state is State.ATTACHED and dongle.mode().name == "modem"
        assert [t.split(" ")[0] for t in steps] == ["power", "enumerate", "switch", "attach"]
        dongle.transition(State.ATTACHED)           # already there: nothing happens
        assert len(steps) == 4
        dongle.transition(State.ENUMERATED)         # below: a power cycle, back in its initial mode
        assert dongle.state is State.ENUMERATED and dongle.mode().name == "storage"
        assert [t.split(" ")[0] for t in steps[4:]] == ["power", "power", "enumerate"]
        dongle.transition(State.OFF)
        assert dongle.state is State.OFF and dongle.snapshot() is None
    finally:
        dongle.close()
    assert dongle.state is State.OFF and not vlab.relays_energized()["e3131"]


def test_each_phase_moves_one_state_and_a_failed_one_says_so(vlab):
    dongle = Dongle(vlab.rig.slot("e3372"), vlab)
    ended: list[StepEnded] = []
    unsubscribe = BUS.subscribe(lambda e: ended.append(e) if isinstance(e, StepEnded) else None)
    try:
        dongle.power_on()
        assert dongle.state is State.ENUMERATED
        dongle.switch_to(dongle.profile.final_mode.name)
        assert dongle.state is State.SWITCHED
        dongle.attach()
        assert dongle.state is State.ATTACHED
        assert all(e.error is None and e.duration >= 0 for e in ended)
    finally:
        unsubscribe()
        dongle.close()


def test_a_failed_phase_ends_its_step_with_the_error_and_keeps_the_state(vlab):
    dongle = Dongle(vlab.rig.slot("e3131"), vlab)
    ended: list[StepEnded] = []
    unsubscribe = BUS.subscribe(lambda e: ended.append(e) if isinstance(e, StepEnded) else None)
    wrong = SwitchConfig.from_mapping({"TargetVendor": 0x12d1, "TargetProductList": "1506,1c05",
                                       "MessageContent": "55534243123456780000000000000011063000000100010000000000000000"})
    try:
        dongle.power_on()
        with pytest.raises(SwitchFailed) as failed:   # a message this firmware ignores: it never re-enumerates
            dongle.run_switch(wrong, target="modem", timeout=0.5)
        assert ended[-1].title.startswith("switch") and ended[-1].error is failed.value
        assert dongle.state is State.ENUMERATED
    finally:
        unsubscribe()
        dongle.close()
