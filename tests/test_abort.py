"""SIGTERM or SIGINT (Ctrl-C) in the middle of a switch: the run stops within 5 s, every relay is at
rest, and the results of the tests that finished are there and readable."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from test_teardown_safety import CONFTEST

TESTS = '''
import pathlib
import pytest

@pytest.mark.profile("huawei/e3131")
def test_first(dongle):
    from hilkit.report import measure
    measure("enumeration time", dongle.enumeration_time, "s", high=15)

@pytest.mark.profile("huawei/e3131")
@pytest.mark.hilkit_fault("no_reenumeration")
def test_hangs_in_the_switch(dongle):
    pathlib.Path("switching").write_text("now")
    dongle.switch_to("modem")   # never comes back: waits out the 20 s switch budget
'''


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_mid_switch_leaves_rig_safe_and_results_readable(pytester: pytest.Pytester, signum):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_abort=TESTS)
    results = pytester.path / "results"
    process = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly",
                                f"--alluredir={results}", "test_abort.py"], cwd=pytester.path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (pytester.path / "switching").exists():
            assert process.poll() is None, process.communicate()[0][-3000:]
            assert time.monotonic() < deadline, "the test never reached its switch"
            time.sleep(0.05)  # polling a file another process writes: no event to wait on here
        time.sleep(0.5)       # let it get into the wait for re-enumeration
        sent = time.monotonic()
        process.send_signal(signum)
        output, _ = process.communicate(timeout=5)
        elapsed = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
    assert elapsed < 5, f"took {elapsed:.1f} s to stop"
    assert process.returncode == pytest.ExitCode.INTERRUPTED, output[-3000:]
    (lab,) = json.loads((pytester.path / "relay-states.json").read_text())
    assert lab["ever_powered"]["e3131"] is True
    assert lab["at_close"] == {"e3131": False, "e3372": False, "e3531": False}
    assert not any(lab["powered_now"].values())
    finished = [json.loads(p.read_text()) for p in results.glob("*-result.json")]
    assert "test_first[e3131]" in {r["name"] for r in finished if r["status"] == "passed"}
    lines = (results / "hilkit-measurements.jsonl").read_text().splitlines()
    assert [json.loads(l)["name"] for l in lines] == ["enumeration time"]
