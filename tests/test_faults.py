"""Fault injection in the virtual lab: every fault lands in its failure category; soaks summarise,
resume after a kill and end with the relays at rest."""
from __future__ import annotations

import json

import pytest

from hilkit.config.paths import PROJECT_ROOT
from hilkit.core.errors import category_of
from hilkit.core.faults import DATA_PATH_FAULTS, FAULTS
from hilkit.dut import Dongle
from hilkit.lab.registry import load_rig
from hilkit.sim.model.fault_dice import FaultInjector
from hilkit.sim.virtual_lab import VirtualLab
from hilkit.soak import one_cycle, soak

RIG = PROJECT_ROOT / "lab" / "virtual.yaml"


@pytest.mark.parametrize("fault", sorted(set(FAULTS) - set(DATA_PATH_FAULTS)))
def test_each_fault_is_classified_into_its_category(fault):
    """The dongle's faults, in a power-switch-attach cycle; the data path's are the carrier network's
    and show when a test goes online (tests/test_online.py)."""
    rig = load_rig(RIG)
    lab = VirtualLab(rig, FaultInjector.parse([f"{fault}:1:1"], seed=1))
    dongle = Dongle(rig.slot("e3131"), lab, budget_scale=0.05)
    try:
        with pytest.raises(Exception) as failure:
            one_cycle(dongle)
        message = f"{type(failure.value).__name__}: {failure.value}"
        assert [f.fault for f in lab.faults.log] == [fault]
        assert category_of(failure.value) == FAULTS[fault][1], message
        assert "\n" not in str(failure.value)
    finally:
        dongle.close()
        lab.close()
    assert not any(lab.state_at_close.values()), "a relay was left energized"


def test_soak_summarises_classifies_and_resumes(tmp_path):
    rig = load_rig(RIG)
    faults = ["no_reenumeration:0.15", "registration_denied:0.1", "at_truncated:0.02", "relay_stuck:0.05",
              "wrong_id:0.1"]
    lab = VirtualLab(rig, FaultInjector.parse(faults, seed=3))
    try:
        first = soak(rig, lab, 4, tmp_path, budget_scale=0.05)
    finally:
        lab.close()
    slots = [slot.name for slot in rig.slots]
    assert first.records == 4 * len(slots) and not any(lab.state_at_close.values())
    state = json.loads((tmp_path / "state.json").read_text())
    assert state == {name: 3 for name in slots}
    lab = VirtualLab(rig, FaultInjector.parse(faults, seed=4))
    try:
        second = soak(rig, lab, 8, tmp_path, budget_scale=0.05)   # resumes at cycle 4
    finally:
        lab.close()
    records = [json.loads(line) for line in (tmp_path / "cycles.jsonl").read_text().splitlines()]
    assert sorted((r["slot"], r["cycle"]) for r in records) == sorted(
        (s, c) for s in slots for c in range(8))
    assert second.records == 8 * len(slots)
    assert second.injected > 0 and second.classified_as_injected == second.injected, second.mismatches
    assert "unclassified" not in second.categories
    assert 0 < second.passed < second.records
    assert any(line.startswith("  cycle: p50") for line in second.lines())


def test_fault_marker_in_a_test(pytester: pytest.Pytester):
    pytester.makepyfile(test_marked='''
import pytest

@pytest.mark.profile("huawei/e3131")
@pytest.mark.hilkit_fault("no_reenumeration")
def test_switch(dongle):
    dongle.switch_to("modem")

@pytest.mark.profile("huawei/e3131")
def test_switch_without_fault(dongle):
    dongle.switch_to("modem")
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--hilkit-budget-scale=0.05")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*SwitchFailed: no re-enumeration*"])


def test_unknown_fault_on_the_command_line_is_one_line(pytester: pytest.Pytester):
    pytester.makepyfile(test_x="def test_x(dongle):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--hilkit-fault=melted_usb")
    assert result.ret == pytest.ExitCode.USAGE_ERROR or "unknown fault 'melted_usb'" in result.stdout.str()
    assert "unknown fault 'melted_usb'" in (result.stdout.str() + result.stderr.str())
