"""hilkit on a shared lab: labgrid's coordinator and exporter on 127.0.0.1, places acquired per run.

The module starts labgrid-coordinator and labgrid-exporter as subprocesses on free ports
(:class:`support.labgrid_loopback.Loopback`) and runs pytest on ``lab/labgrid-loopback.yaml`` in
subprocesses; the coordinator is asked, from here, who holds each place before, during and after.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("labgrid.remote.client", reason="labgrid is not installed (pip install -e '.[labgrid]')")

from support.labgrid_loopback import Loopback, poll_until  # noqa: E402
from support.suite_outcome import suites_passed  # noqa: E402
from test_teardown_safety import CONFTEST  # noqa: E402

from hilkit.lab.labgrid_place import PlaceClient  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RIG = ROOT / "lab" / "labgrid-loopback.yaml"
PLACE = "hilkit-e3131"

HOLDS = '''
import pathlib, threading, pytest

@pytest.mark.profile("huawei/e3131")
def test_holds_the_place(dongle):
    assert dongle.power.state is True          # read back from the PDU, through labgrid's driver
    pathlib.Path("running").write_text("x")
    go, pause = pathlib.Path("go"), threading.Event()
    for _ in range(1200):                       # at most 60 s: the outer test says go (or kills us)
        if go.exists():
            break
        pause.wait(0.05)
'''


@pytest.fixture(scope="module")
def loopback() -> Iterator[Loopback]:
    with Loopback() as lab:
        yield lab


@pytest.fixture
def coordinator(loopback: Loopback, monkeypatch: pytest.MonkeyPatch) -> Iterator[PlaceClient]:
    """A client of the loopback coordinator; runs started from here find it through LG_COORDINATOR."""
    monkeypatch.setenv("LG_COORDINATOR", loopback.address)
    # runs in subprocesses import this checkout's hilkit, whatever is installed
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    client = PlaceClient(loopback.address)
    yield client
    client.close()


def holder(loopback: Loopback, place: str = PLACE) -> str | None:
    """Who holds ``place``, asked through a fresh client (as another CI job would see it)."""
    client = PlaceClient(loopback.address)
    try:
        return client.holder(place)
    finally:
        client.close()


def start_run(pytester: pytest.Pytester, *args: str) -> subprocess.Popen:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_holds=HOLDS)
    return subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly",
                             f"--hilkit-rig={RIG}", "test_holds.py", *args], cwd=pytester.path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_running(pytester: pytest.Pytester, process: subprocess.Popen) -> None:
    def seen() -> str:
        if process.poll() is not None:
            pytest.fail(f"the run ended early ({process.returncode}): {process.communicate()[0][-3000:]}")
        return "" if (pytester.path / "running").exists() else "no 'running' file yet"
    poll_until(seen, 60, "the run to power its dongle through the place")


def relay_states(pytester: pytest.Pytester) -> dict:
    (lab,) = json.loads((pytester.path / "relay-states.json").read_text())
    return lab


def test_place_is_acquired_during_the_run_and_released_after(pytester, loopback, coordinator):
    assert holder(loopback) is None
    process = start_run(pytester)
    try:
        wait_running(pytester, process)
        during = {p: holder(loopback, p) for p in loopback.places}
        (pytester.path / "go").write_text("x")
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output[-3000:]
    assert during[PLACE] is not None and during[PLACE].count("/") == 1   # host/user of the run
    assert set(during.values()) == {during[PLACE]}                       # every slot's place, one holder
    assert {p: holder(loopback, p) for p in loopback.places} == dict.fromkeys(loopback.places)
    lab = relay_states(pytester)
    assert lab["ever_powered"]["e3131"] is True           # the PDU outlet (rest model) powered the dongle
    assert lab["at_close"] == {"e3131": False, "e3372": False, "e3531": False}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_killing_the_run_mid_test_releases_the_place(pytester, loopback, coordinator, signum):
    process = start_run(pytester)
    try:
        wait_running(pytester, process)
        assert holder(loopback) is not None
        process.send_signal(signum)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == pytest.ExitCode.INTERRUPTED, output[-3000:]
    assert holder(loopback) is None, output[-3000:]
    assert {p: holder(loopback, p) for p in loopback.places} == dict.fromkeys(loopback.places)
    lab = relay_states(pytester)
    assert lab["at_close"] == {"e3131": False, "e3372": False, "e3531": False}


def labgrid_client(loopback: Loopback, *args: str, hostname: str = "") -> str:
    """labgrid's own CLI, as a lab engineer or another CI job runs it."""
    env = {**os.environ, **({"LG_HOSTNAME": hostname} if hostname else {})}
    done = subprocess.run([sys.executable, "-c", "import sys; from labgrid.remote.client import main; sys.exit(main())",
                           "-x", loopback.address, *args], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_second_run_while_the_place_is_held_fails_naming_the_holder(pytester, loopback, coordinator):
    labgrid_client(loopback, "-p", PLACE, "acquire", hostname="ci-runner-7")   # another CI job holds it
    other = holder(loopback)
    try:
        assert other is not None and other.startswith("ci-runner-7/")
        pytester.makeconftest(CONFTEST)
        pytester.makepyfile(test_holds=HOLDS)
        result = pytester.runpytest_subprocess(f"--hilkit-rig={RIG}", "-p", "no:cacheprovider")
        assert result.ret != 0
        lines = [line for line in result.outlines if "is acquired by" in line]
        assert len(lines) == 1, result.stdout.str()[-3000:]
        assert f"labgrid place {PLACE} is acquired by {other}" in lines[0]
        assert f"{RIG}:" in lines[0]                                           # where the rig names it
        assert f"labgrid-client -x {loopback.address} -p {PLACE} release --kick" in lines[0]
        assert "Traceback" not in result.stdout.str()
        assert not (pytester.path / "running").exists()                       # no test ran on the dongle
        # the second run neither took nor released anything: the holder is unchanged, the others free
        assert holder(loopback) == other
        assert {p: holder(loopback, p) for p in loopback.places if p != PLACE} == {
            p: None for p in loopback.places if p != PLACE}
    finally:
        labgrid_client(loopback, "-p", PLACE, "release", hostname="ci-runner-7")
    assert holder(loopback) is None


@pytest.mark.parametrize("mode", [[], ["--hilkit-parallel"]], ids=["one-after-another", "runner-per-slot"])
def test_the_suites_pass_through_the_loopback_lab(pytester, loopback, coordinator, mode):
    """The CI command: the validation suites on the virtual dongles, shared through labgrid; in
    parallel, each slot's runner acquires its own place."""
    results = pytester.path / "results"
    done = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "suites"), f"--hilkit-rig={RIG}",
                           "-p", "no:cacheprovider", "-q", f"--alluredir={results}", *mode],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "LG_COORDINATOR": loopback.address})
    assert done.returncode == 0, done.stdout[-3000:]
    assert suites_passed(done.stdout.splitlines()[-1]), done.stdout[-3000:]
    steps = json.dumps([json.loads(p.read_text()) for p in results.glob("*-result.json")])
    assert "by usb_modeswitch on exporter host localhost (labgrid place hilkit-e3131)" in steps
    assert {p: holder(loopback, p) for p in loopback.places} == dict.fromkeys(loopback.places)
