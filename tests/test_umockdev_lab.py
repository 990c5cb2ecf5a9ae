"""The Linux backend's tests (tests/umockdev/) and the suites on lab/umockdev.yaml, run in a
process started under umockdev-wrapper, with coverage of the Linux backend's modules.

umockdev's preload must be there from a process's start, so this runs them as a child pytest and
reports its failures here. Without umockdev (a laptop, macOS) it skips, with the reason.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from support.suite_outcome import MAY_SKIP, SUITE_TESTS, data_path_skip, suites_passed

from hilkit.config.paths import PROJECT_ROOT

LINUX_BACKEND = ["*/hilkit/usb/sysfs_bus.py", "*/hilkit/usb/rawdesc.py", "*/hilkit/lab/linux_lab.py", "*/hilkit/sim/umockdev/*",
                 "*/hilkit/switch/external.py"]
COVERAGE_FLOOR = 90


def _umockdev_reason() -> str:
    if shutil.which("umockdev-wrapper") is None:
        return "umockdev-wrapper not found (apt install umockdev gir1.2-umockdev-1.0)"
    probe = subprocess.run(["umockdev-wrapper", sys.executable, "-c",
                            "from hilkit.sim.umockdev import unavailable; print(unavailable())"],
                           capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT)
    return probe.stdout.strip() or (probe.stderr.strip().splitlines() or [""])[-1]


@pytest.fixture(scope="module")
def child_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path, str]:
    reason = _umockdev_reason()
    if reason:
        pytest.skip(f"umockdev lab unavailable: {reason}")
    try:
        import coverage  # noqa: F401
    except ImportError:
        pytest.skip("coverage is not installed (pip install -e '.[test]')")
    work = tmp_path_factory.mktemp("umockdev")
    junit = work / "junit.xml"
    env = dict(os.environ, COVERAGE_FILE=str(work / ".coverage"))
    env["PYTEST_ADDOPTS"] = "-p no:labgrid -p no:hypothesispytest"   # plugins no test here uses
    argv = ["umockdev-wrapper", sys.executable, "-m", "coverage", "run",
            "--include=" + ",".join(LINUX_BACKEND), "-m", "pytest", "-p", "no:cacheprovider", "-q",
            f"--junitxml={junit}", "--alluredir", str(work / "allure-results"),
            "suites", "tests/umockdev", "--hilkit-rig", "lab/umockdev.yaml"]
    done = subprocess.run(argv, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900)
    report = subprocess.run([sys.executable, "-m", "coverage", "report", "--show-missing"], cwd=PROJECT_ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    artifacts = PROJECT_ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "umockdev-coverage.txt").write_text(report.stdout + report.stderr)
    return done, junit, report.stdout


def _cases(junit: Path) -> list[ET.Element]:
    return list(ET.parse(junit).getroot().iter("testcase"))


def test_linux_backend_tests_and_suites_pass_under_umockdev(child_run):
    done, junit, _ = child_run
    assert junit.exists(), f"the child run wrote no results:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    cases = _cases(junit)
    bad = [f"{c.get('classname')}::{c.get('name')}: {(c[0].get('message') or '')[:300]}"
           for c in cases if any(child.tag in ("failure", "error") for child in c)]
    assert not bad, "\n".join(bad) + "\n" + done.stdout[-2000:]
    suites = [c for c in cases if c.get("classname", "").startswith("suites.")]
    skipped = [c for c in suites if any(ch.tag == "skipped" for ch in c)]
    # only the data path may skip, where this host cannot carry PPP (it says so)
    assert all(data_path_skip(c.get("name", ""), c[0].get("message") or "")
               for c in skipped), [c[0].get("message") for c in skipped]
    assert len(suites) - len(skipped) >= SUITE_TESTS - MAY_SKIP, done.stdout[-3000:] + done.stderr[-3000:]
    assert len(cases) - len(suites) >= 30
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_linux_backend_coverage_is_at_least_90_percent(child_run):
    _, _, report = child_run
    total = re.search(r"^TOTAL\s+\d+\s+\d+\s+(\d+)%", report, re.M)
    assert total, report
    assert int(total.group(1)) >= COVERAGE_FLOOR, report


def test_the_suites_pass_under_umockdev_with_a_runner_per_slot(tmp_path):
    """--hilkit-parallel on the umockdev lab: each forked runner starts its own testbed (its own
    sysfs, /dev and uevents), so the slots' emulated kernels never see each other's devices."""
    reason = _umockdev_reason()
    if reason:
        pytest.skip(f"umockdev lab unavailable: {reason}")
    env = dict(os.environ)
    env["PYTEST_ADDOPTS"] = "-p no:labgrid -p no:hypothesispytest"   # plugins no test here uses
    done = subprocess.run(["umockdev-wrapper", sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                           "--alluredir", str(tmp_path), "suites", "--hilkit-rig", "lab/umockdev.yaml",
                           "--hilkit-parallel"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert suites_passed(done.stdout.splitlines()[-1]), done.stdout[-2000:]
    slots = {label["value"] for p in tmp_path.glob("*-result.json")
             for label in json.loads(p.read_text())["labels"] if label["name"] == "slot"}
    assert slots == {"e3131", "e3372", "e3531"}
