"""Two pytest runs on one rig at once: the second is refused in one line, or waits and runs after
the first; never do both drive a slot (power-on intervals of both runs never overlap). The lock is
given back on every exit path."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_teardown_safety import GRAB_LABS

from hilkit.config.paths import PROJECT_ROOT

CONFTEST = GRAB_LABS + '''
def pytest_unconfigure(config):
    log = {n: d.power_log for lab in LABS for n, d in lab.dongles.items()}
    with open(f"power-{os.environ['RUN']}.json", "w") as fh:
        json.dump(log, fh)
'''

HOLDING_TEST = '''
import os, pathlib, time
import pytest

@pytest.mark.profile("huawei/e3131")
def test_drive(dongle):
    run = os.environ["RUN"]
    pathlib.Path(f"driving-{run}").write_text("")
    deadline = time.monotonic() + 60
    while not pathlib.Path(f"release-{run}").exists():   # the slot stays powered meanwhile
        assert time.monotonic() < deadline
        time.sleep(0.02)
'''


def _start(where: Path, run: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "RUN": run,
           "PYTHONPATH": os.pathsep.join(p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    return subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                             f"--hilkit-lock-dir={where / 'locks'}", *args, "test_hold.py"],
                            cwd=where, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(path: Path, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"run ended before {path.name}: {process.communicate()}")
        assert time.monotonic() < deadline, f"no {path.name} after {timeout} s"
        time.sleep(0.02)  # another process writes the file: nothing to wait on but the file


def _intervals(log: list[list]) -> list[tuple[float, float]]:
    out, start = [], None
    for when, on in log:
        if on and start is None:
            start = when
        elif not on and start is not None:
            out.append((start, when))
            start = None
    assert start is None, "a run ended with its slot powered"
    return out


@pytest.fixture
def where(pytester: pytest.Pytester) -> Path:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_hold=HOLDING_TEST)
    (pytester.path / "release-b").write_text("")  # b never holds on: if it drives, it drives at once
    return pytester.path


def test_second_run_is_refused_in_one_line_and_never_drives(where: Path) -> None:
    first = _start(where, "a")
    try:
        _wait_for(where / "driving-a", first)
        second = _start(where, "b")
        out, err = second.communicate(timeout=60)
        (where / "release-a").write_text("")
        first_out, _ = first.communicate(timeout=60)
    finally:
        first.kill()
    assert second.returncode == pytest.ExitCode.USAGE_ERROR, out + err
    errors = [line for line in err.splitlines() if line.strip()]
    assert len(errors) == 1, err
    assert re.fullmatch(rf"ERROR: slot e3131 \(port 1-1\.2\) busy: held by PID {first.pid} "
                        r"\(python\S* -m pytest .*\) since \d\d:\d\d:\d\d", errors[0]), errors[0]
    assert first.returncode == 0, first_out
    assert json.loads((where / "power-b.json").read_text()) == {}, "the refused run opened a lab"
    assert (where / "locks" / "virtual-1-1.2.lock").read_text() == "", "released at the end"


def test_second_run_waits_then_runs_after_the_first(where: Path) -> None:
    first = _start(where, "a")
    try:
        _wait_for(where / "driving-a", first)
        second = _start(where, "b", "--hilkit-slot-wait=60")
        time.sleep(1.5)  # give b every chance to (wrongly) start driving while a holds the slot
        assert not (where / "driving-b").exists(), "b drove the slot while a held it"
        (where / "release-a").write_text("")
        first_out, _ = first.communicate(timeout=60)
        second_out, second_err = second.communicate(timeout=60)
    finally:
        first.kill()
    assert first.returncode == 0, first_out
    assert second.returncode == 0, second_out + second_err
    a = _intervals(json.loads((where / "power-a.json").read_text())["e3131"])
    b = _intervals(json.loads((where / "power-b.json").read_text())["e3131"])
    assert a and b, "both runs powered the slot"
    overlaps = [(x, y) for x in a for y in b if x[0] < y[1] and y[0] < x[1]]
    assert overlaps == [], f"both runs had slot e3131 powered at once: {overlaps}"


def test_sigterm_gives_the_lock_back(where: Path) -> None:
    first = _start(where, "a")
    try:
        _wait_for(where / "driving-a", first)
        lock = where / "locks" / "virtual-1-1.2.lock"
        assert json.loads(lock.read_text())["pid"] == first.pid
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=30)
    finally:
        first.kill()
    assert first.returncode == pytest.ExitCode.INTERRUPTED
    assert lock.read_text() == "", "hilkit's own teardown released the lock (not only the kernel at exit)"
    second = _start(where, "b")
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, out + err
