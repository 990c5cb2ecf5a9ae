"""`hilkit run` on the virtual lab: every suite test passes and leaves Allure evidence."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from support.suite_outcome import data_path_skip

from hilkit.config.paths import PROJECT_ROOT


def _walk(steps: list[dict]) -> tuple[int, int]:
    count, attachments = 0, 0
    for step in steps:
        count += 1
        attachments += len(step.get("attachments", []))
        sub = _walk(step.get("steps", []))
        count, attachments = count + sub[0], attachments + sub[1]
    return count, attachments


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    results = tmp_path_factory.mktemp("allure-results")
    done = subprocess.run([sys.executable, "-m", "hilkit", "run", "--results", str(results)],
                          capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT)
    return done, results


def test_suites_pass_on_the_virtual_lab(run):
    done, results = run
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout.splitlines()[-1]
    assert "warning" not in done.stdout.splitlines()[-1], done.stdout[-2000:]  # a clean run is a quiet one


def test_every_result_has_steps_and_attachments(run):
    done, results = run
    tests = [json.loads(p.read_text()) for p in results.glob("*-result.json")]
    containers = [json.loads(p.read_text()) for p in results.glob("*-container.json")]
    collected = int(done.stdout.split(" passed")[0].split()[-1])
    skipped = [t for t in tests if t["status"] == "skipped"]
    # only the data path may skip here, and only for a reason it states (no PPP in this kernel)
    assert all(data_path_skip(t["name"], t["statusDetails"]["message"])
               for t in skipped), [t["statusDetails"].get("message") for t in skipped]
    assert len(tests) - len(skipped) == collected >= 15
    for test in (t for t in tests if t["status"] != "skipped"):
        steps, attachments = _walk(test.get("steps", []))
        for container in containers:
            if test["uuid"] in container.get("children", []):
                for fixture in container.get("befores", []) + container.get("afters", []):
                    s, a = _walk(fixture.get("steps", []))
                    steps, attachments = steps + s + 1, attachments + a + len(fixture.get("attachments", []))
        assert test["status"] == "passed", test["name"]
        assert steps >= 1 and attachments >= 1, f"{test['name']}: {steps} steps, {attachments} attachments"
        labels = {label["name"]: label["value"] for label in test["labels"]}
        assert labels["vendor"] == "Huawei" and labels["model"] and labels["mode"], test["name"]


def test_descriptor_dump_and_at_transcript_are_attached(run):
    _, results = run
    texts = [p.read_text() for p in results.glob("*-attachment.txt")]
    assert any("idProduct          0x1c05" in t and "bInterfaceClass       255" in t for t in texts)
    assert any(">> AT+CSQ" in t and "<< OK" in t for t in texts)
    assert any("55534243123456780000000000000011060000000000000000000000000000" in t for t in texts)


def test_bad_rig_is_one_line_per_mistake_and_exit_2(tmp_path):
    bad = tmp_path / "rig.yaml"
    bad.write_text("name: x\nbackend: virtual\nslots:\n  - {name: a, port: 1-1, profile: huawei/e3131}\n"
                   "faults: [no_such_fault]\n")
    done = subprocess.run([sys.executable, "-m", "hilkit", "run", "--rig", str(bad)],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"{bad}:4: slots[0]: missing required key 'power'",
        f"{bad}:5: faults[0]: unknown fault 'no_such_fault' (expected one of: " + done.stderr.split("one of: ")[1].strip()]
    assert not (tmp_path / "allure-results").exists()


def test_a_rig_without_slots_runs_nothing_and_says_so(tmp_path):
    done = subprocess.run([sys.executable, "-m", "hilkit", "run", "--rig", "host"],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("hilkit: rig host (") and "has no slots" in done.stderr
    assert "\n" not in done.stderr.strip()


def test_the_checkout_runs_the_suites_without_the_test_extras():
    """README command 1 sets up without pytest-xdist: nothing in the checkout's pytest settings or
    root conftest may need it (``-p no:xdist`` stands in for a venv without it)."""
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:xdist", "--collect-only", "-q", "suites"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "test_switch_reaches_working_mode" in proc.stdout


def test_measurements_are_shown_but_not_part_of_a_results_identity(run):
    """Allure 3 keys a test's history on its parameters: a measured value (new every night) must be
    excluded, or every night would be a new test with no history; the slot stays in the identity."""
    _, results = run
    tests = [json.loads(p.read_text()) for p in results.glob("*-result.json")]
    measured = [p for t in tests for p in t.get("parameters", []) if p["name"] not in ("slot", "profile")]
    assert measured and all(p.get("excluded") is True for p in measured), measured[:3]
    slots = [p for t in tests for p in t.get("parameters", []) if p["name"] == "slot"]
    assert slots and not any(p.get("excluded") for p in slots)


#: the shipped profiles' virtual IMEIs, and their type allocation codes (the first 8 digits)
VIRTUAL_IMEIS = {"860000000031310", "860000000000001", "860000000035310", "863000000033720"}
TACS = {imei[:8] for imei in VIRTUAL_IMEIS}


def test_every_result_names_its_modems_firmware_and_no_result_holds_an_imei(run):
    """Which modem and firmware: labels on every result of a slot (learned at its attach test),
    and in environment.properties; the IMEI is personal data: only its TAC appears anywhere."""
    _, results = run
    tests = [json.loads(p.read_text()) for p in results.glob("*-result.json")]
    for test in tests:
        labels = {label["name"]: label["value"] for label in test["labels"]}
        assert labels.get("firmware") and labels.get("modem_model") and labels.get("imei_tac") in TACS, \
            (test["name"], labels)
    environment = (results / "environment.properties").read_text()
    assert "\nkernel=" in environment and "\nusb_modeswitch_data=" in environment and "\nmodemmanager=" in environment
    for slot in ("e3131", "e3372", "e3531", "e3372s"):
        assert f"slot.{slot}.firmware=11.000.00.00.000" in environment
    imeis = VIRTUAL_IMEIS
    for path in results.iterdir():
        if path.suffix in (".json", ".txt", ".properties", ".xml", ".jsonl"):
            text = path.read_text(errors="replace")
            assert not any(imei in text for imei in imeis), path.name
