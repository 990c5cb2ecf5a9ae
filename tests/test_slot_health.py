"""Slot health and quarantine: a virtual dead relay (relay_stuck on one slot) makes that slot's
first test an infrastructure failure and skips its others, the other slots' results unaffected;
after N failed runs in a row the slot is quarantined (its tests skipped, nothing touched) until
`hilkit slot release` brings it back."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hilkit.cli.main import main
from hilkit.config.paths import builtin_rig
from hilkit.lab.slot_health import SlotHealth, health_dir

TESTS = '''
def test_one(dongle):
    assert dongle.snapshot() is not None

def test_two(dongle):
    assert dongle.snapshot() is not None
'''
DEAD = "1-1.3"   # slot e3372 of the shipped virtual rig


def run(tmp_path: Path, *extra: str) -> dict[str, str]:
    """One pytest run over the shipped virtual rig with a dead relay on e3372: {test id: outcome}."""
    report = tmp_path / "report.xml"
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly",
                           "-p", "no:xdist", str(tmp_path / "test_slots.py"), f"--junitxml={report}",
                           f"--hilkit-lock-dir={tmp_path / 'locks'}", f"--hilkit-fault=relay_stuck@{DEAD}",
                           "--hilkit-quarantine-after=2", *extra],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    import xml.etree.ElementTree as ET
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        kind = next((child.tag for child in case if child.tag in ("failure", "error", "skipped")), "passed")
        message = next((child.get("message", "") for child in case if child.tag in ("failure", "error", "skipped")),
                       "")
        outcomes[case.get("name")] = f"{kind}: {message}" if message else kind
    outcomes["_stdout"] = done.stdout
    return outcomes


def test_a_dead_relay_is_infrastructure_then_quarantined_then_released(tmp_path, capsys):
    (tmp_path / "test_slots.py").write_text(TESTS)
    first = run(tmp_path)
    assert first["test_one[e3131]"] == first["test_two[e3131]"] == "passed"
    assert first["test_one[e3531]"] == first["test_two[e3531]"] == "passed"
    assert first["test_one[e3372]"].startswith("error: ") and "SlotUnhealthy: infrastructure (slot health): " \
        "slot e3372" in first["test_one[e3372]"] and "1 of 2 failed runs in a row" in first["test_one[e3372]"]
    assert first["test_two[e3372]"].startswith("skipped: ") and "failed its health check in this run" \
        in first["test_two[e3372]"]

    second = run(tmp_path)
    assert "quarantined now (2 in a row)" in second["test_one[e3372]"]
    assert second["test_one[e3131]"] == "passed"

    third = run(tmp_path)   # quarantined: skipped, the relay not touched (the fault never fires)
    assert third["test_one[e3372]"].startswith("skipped: ") and "is quarantined since" in third["test_one[e3372]"]
    assert "hilkit slot release e3372" in third["test_one[e3372]"]
    assert third["test_one[e3131]"] == "passed"
    store = SlotHealth(health_dir(tmp_path / "locks"))
    record = store.read("virtual", DEAD)
    assert record.quarantined_since and record.failures_in_a_row == 2

    assert main(["slot", "status", "--rig", str(builtin_rig("virtual")), "--lock-dir", str(tmp_path / "locks")]) == 0
    assert "e3372        port 1-1.3      QUARANTINED since" in capsys.readouterr().out
    assert main(["slot", "release", "e3372", "--rig", str(builtin_rig("virtual")),
                 "--lock-dir", str(tmp_path / "locks")]) == 0
    assert "released (quarantined since" in capsys.readouterr().out
    assert not store.read("virtual", DEAD).quarantined_since

    fourth = run(tmp_path)   # back in service: checked again (the relay is still dead)
    assert fourth["test_one[e3372]"].startswith("error: ") and "1 of 2 failed runs" in fourth["test_one[e3372]"]
    state = json.loads(store.path("virtual", DEAD).read_text())
    assert state["failures_in_a_row"] == 1


def test_a_healthy_run_clears_the_count(tmp_path):
    store = SlotHealth(tmp_path, after=3)
    store.record("r", "1-1", "PowerError: stuck")
    assert store.record("r", "1-1", None).failures_in_a_row == 0
    for _ in range(3):
        record = store.record("r", "1-1", "PowerError: stuck")
    assert record.quarantined_since
    assert store.record("r", "1-1", None).quarantined_since   # a pass does not end a quarantine; release does


def test_a_soak_leaves_quarantined_slots_out_and_counts_them(tmp_path):
    from hilkit.lab.registry import load_rig
    from hilkit.sim.virtual_lab import VirtualLab
    from hilkit.soak import soak
    rig = load_rig(builtin_rig("virtual"))
    store = SlotHealth(tmp_path / "health", after=1)
    store.record(rig.name, DEAD, "PowerError: the relay does not follow its pin")
    lab = VirtualLab(rig)
    try:
        summary = soak(rig, lab, 1, tmp_path / "soak", budget_scale=0.05, health=store)
    finally:
        lab.close()
    assert summary.quarantined == ["e3372"] and summary.records == len(rig.slots) - 1
    assert any(line.startswith("  quarantined slots, not soaked: 1 (e3372") for line in summary.lines())


def test_rig_off_switches_every_slot_off_and_leaves_a_held_slot_alone(tmp_path, capsys):
    from hilkit.lab.slotlock import SlotLock, lock_path
    held = SlotLock(lock_path(tmp_path, "virtual", "1-1.3"), "slot e3372 (port 1-1.3)")
    held.acquire(0)
    try:
        code = main(["rig", "off", "--rig", str(builtin_rig("virtual")), "--lock-dir", str(tmp_path)])
    finally:
        held.release()
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out[0] == "e3131: off (gpio pin 17 (active high))" and out[2] == "e3531: off (gpio pin 22 (active low))"
    assert out[1].startswith("e3372: left alone: slot e3372 (port 1-1.3) busy: held by PID ")
