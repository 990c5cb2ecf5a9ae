"""--hilkit-parallel: one xdist worker per slot, each opening only its own slot; one result set
(Allure results, Allure's extra files once, every worker's measurements in the one file, JUnit)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hilkit.paths import PROJECT_ROOT

ENV = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}

CONFTEST = '''
import json, os, pytest
import hilkit.plugin

_write = hilkit.plugin.write_environment

def _logged(results, values):
    with open("environment-writers.txt", "a") as fh:
        fh.write(os.environ.get("PYTEST_XDIST_WORKER", "controller") + "\\n")
    _write(results, values)

hilkit.plugin.write_environment = _logged

@pytest.fixture(autouse=True)
def _record_lab(request):
    if "dongle" in request.fixturenames:
        lab = request.getfixturevalue("lab")
        worker = os.environ.get("PYTEST_XDIST_WORKER", "none")
        with open(f"lab-{worker}.json", "w") as fh:
            json.dump({"dongles": sorted(lab.dongles), "pins": sorted(lab.pins)}, fh)
    yield
'''

TESTS = '''
from hilkit.report import measure

def test_powered(dongle, slot):
    measure("enumeration time", dongle.enumeration_time, "s", high=15)

def test_not_per_slot():
    pass
'''


def test_each_worker_opens_only_its_slot_and_results_are_one_set(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_par=TESTS)
    results = pytester.path / "results"
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v", "--hilkit-parallel",
                           f"--alluredir={results}", "--clean-alluredir", "--junitxml=junit.xml", "test_par.py"],
                          cwd=pytester.path, env=ENV, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "4 passed" in done.stdout.splitlines()[-1], done.stdout[-2000:]
    labs = {p.stem.removeprefix("lab-"): json.loads(p.read_text()) for p in pytester.path.glob("lab-*.json")}
    assert sorted(labs) == ["gw0", "gw1", "gw2"]
    assert all(len(lab["dongles"]) == 1 and lab["pins"] == lab["dongles"] for lab in labs.values()), labs
    assert sorted(lab["dongles"][0] for lab in labs.values()) == ["e3131", "e3372", "e3531"]
    names = sorted(json.loads(p.read_text())["name"] for p in results.glob("*-result.json"))
    assert names == ["test_not_per_slot", "test_powered[e3131]", "test_powered[e3372]", "test_powered[e3531]"]
    lines = [json.loads(l) for l in (results / "hilkit-measurements.jsonl").read_text().splitlines()]
    assert sorted(l["slot"] for l in lines) == ["e3131", "e3372", "e3531"]
    assert (pytester.path / "environment-writers.txt").read_text().split() == ["controller"]
    assert (results / "categories.json").is_file() and (results / "environment.properties").is_file()
    suite = ET.parse(pytester.path / "junit.xml").getroot().find("testsuite")
    assert suite.get("tests") == "4" and suite.get("failures") == "0"


def test_parallel_wants_one_worker_per_slot(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_par=TESTS)
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--hilkit-parallel", "-n", "2",
                           "test_par.py"], cwd=pytester.path, env=ENV, capture_output=True, text=True, timeout=60)
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert done.stderr.strip() == ("ERROR: --hilkit-parallel: one worker per slot (3 of rig virtual); "
                                   "leave out -n 2")


@pytest.fixture(scope="module")
def run8(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path, Path]:
    out = tmp_path_factory.mktemp("run8")
    done = subprocess.run([sys.executable, "-m", "hilkit.cli", "run", "--rig", "lab/virtual8.yaml", "--parallel",
                           "--results", str(out / "results"), "--junitxml", str(out / "junit.xml"), "--no-html",
                           "--", f"--hilkit-lock-dir={out / 'locks'}"],
                          capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT, env=ENV)
    return done, out / "results", out


def test_the_suites_pass_on_eight_slots_in_parallel(run8) -> None:
    done, results, out = run8
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    passed = int(done.stdout.splitlines()[-1].split(" passed")[0].split()[-1])
    tests = [json.loads(p.read_text()) for p in results.glob("*-result.json")]
    assert len(tests) == passed >= 8 * 5
    assert {t["status"] for t in tests} == {"passed"}
    slots = {label["value"] for t in tests for label in t["labels"] if label["name"] == "slot"}
    assert len(slots) == 8
    measured = {json.loads(l)["slot"] for l in (results / "hilkit-measurements.jsonl").read_text().splitlines()}
    assert measured == slots
    assert ET.parse(out / "junit.xml").getroot().find("testsuite").get("tests") == str(passed)


def test_the_controller_held_every_slot_and_gave_them_back(run8) -> None:
    _, _, out = run8
    locks = sorted(p.name for p in (out / "locks").iterdir())
    assert locks == [f"virtual8-1-1.{n}.lock" for n in range(1, 9)]
    assert all((out / "locks" / name).read_text() == "" for name in locks)
