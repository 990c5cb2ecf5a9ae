"""--hilkit-parallel: one forked runner per slot, each opening only its own slot; one result set
(Allure results, Allure's extra files once, every runner's measurements in the one file, JUnit);
and every way a run ends (a failure, a dead runner, -x, pytest.exit, Ctrl-C, SIGTERM) leaves every
slot's relay at rest."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from support.suite_outcome import data_path_skip

from hilkit.config.paths import PROJECT_ROOT


def _env() -> dict[str, str]:
    """The child runs' environment, read when a child starts: hilkit's checkout in front of what
    PYTHONPATH holds already (scripts/pytest-range puts an older pytest there), and the three-slot rig."""
    path = os.pathsep.join(p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "HILKIT_RIG": str(THREE_SLOTS)}


#: the runs here count runners and slots: a rig of their own, not whatever the shipped default has
THREE_SLOTS = PROJECT_ROOT / "tests" / "rigs" / "three-slots.yaml"


SLOTS = ["e3131", "e3372", "e3531"]

# Records, in the process that closes it, what each lab was at close; and who wrote Allure's environment.
CONFTEST = '''
import json, os
import hilkit.pytest_plugin.session
from hilkit.sim.virtual_lab import VirtualLab

CONTROLLER = os.getpid()
_write = hilkit.pytest_plugin.session.write_environment

def _logged(results, values):
    with open("environment-writers.txt", "a") as fh:
        fh.write(("controller" if os.getpid() == CONTROLLER else f"runner {os.getpid()}") + "\\n")
    _write(results, values)

hilkit.pytest_plugin.session.write_environment = _logged
_close = VirtualLab.close

def _close_and_record(self):
    _close(self)
    with open(f"lab-{os.getpid()}.json", "w") as fh:
        json.dump({"controller": os.getpid() == CONTROLLER, "dongles": sorted(self.dongles),
                   "pins": sorted(self.pins), "at_close": self.state_at_close,
                   "ever_powered": {n: any(on for _, on in d.power_log) for n, d in self.dongles.items()},
                   "powered_now": {n: d.powered for n, d in self.dongles.items()}}, fh)

VirtualLab.close = _close_and_record
'''

TESTS = '''
import warnings
from hilkit import measure

def test_powered(dongle, slot):
    print(f"out of {slot.name}")
    measure("enumeration time", dongle.enumeration_time, "s", high=15)
    if slot.name == "e3372":
        warnings.warn(UserWarning("careful with e3372"))

def test_not_per_slot():
    pass
'''


def _pytest(path: Path, *args: str, timeout: float = 120, cache: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", *([] if cache else ["-p", "no:cacheprovider"]),
                           "--hilkit-parallel", *args], cwd=path, env=_env(), capture_output=True, text=True,
                          timeout=timeout)


def _labs(path: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(path.glob("lab-*.json"))]


def _assert_each_runner_left_its_slot_at_rest(path: Path, slots: list[str] = SLOTS) -> None:
    labs = _labs(path)
    assert not any(lab["controller"] for lab in labs), "the controller opened a lab"
    assert sorted(d for lab in labs for d in lab["dongles"]) == sorted(slots), labs
    for lab in labs:
        (name,) = lab["dongles"]
        assert lab["pins"] == [name] and lab["ever_powered"][name] is True, lab
        assert lab["at_close"] == {name: False} and lab["powered_now"] == {name: False}, lab


def test_child_runs_use_this_runs_pytest() -> None:
    """scripts/pytest-range runs these tests on the oldest pytest admitted: their child runs too."""
    child = subprocess.run([sys.executable, "-c", "import pytest; print(pytest.__version__)"], env=_env(),
                           capture_output=True, text=True, timeout=60)
    assert child.stdout.strip() == pytest.__version__, child.stderr


WAIT_FOR_THE_STOP = '''
def wait_for_the_stop(request):
    """Another slot's first test goes on until the stop has reached its runner: then no slot can
    have run on before it, however the machine schedules them."""
    pause = threading.Event()
    while not request.session.shouldstop:
        pause.wait(0.01)
'''


def _signal_when(project: Path, test_file: str, marker: str, count: int,
                 send: Callable[[subprocess.Popen], None], hang_guard: float = 120) -> tuple[int, str]:
    """Run ``test_file`` in parallel in a process group of its own; once the run has written
    ``count`` files matching ``marker``, ``send`` it a signal. The exit code and the output.
    ``hang_guard`` is how long the run may go on after the signal before the test fails: the
    tests sent signals wait forever, so a run that ends at all was stopped by the signal."""
    process = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--hilkit-parallel",
                                test_file], cwd=project, env=_env(), start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while (seen := len(list(project.glob(marker)))) < count:
            assert process.poll() is None, process.communicate()[0][-3000:]
            assert time.monotonic() < deadline, f"expected {count} files {marker} from the run in 60 s, saw {seen}"
            time.sleep(0.02)  # polling files other processes write: no event to wait on here
        send(process)
        try:
            output, _ = process.communicate(timeout=hang_guard)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the run was still going {hang_guard:.0f} s after the signal")
        return process.returncode, output
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def project(pytester: pytest.Pytester) -> Path:
    pytester.makeconftest(CONFTEST)
    return pytester.path


def test_each_runner_opens_only_its_slot_and_results_are_one_set(project: Path) -> None:
    (project / "test_par.py").write_text(TESTS)
    results = project / "results"
    done = _pytest(project, "-v", f"--alluredir={results}", "--clean-alluredir", "--junitxml=junit.xml", "test_par.py")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "4 passed, 1 warning" in done.stdout.splitlines()[-1], done.stdout[-2000:]
    assert "every slot at once, a forked runner each" in done.stdout
    bare = [line for line in done.stdout.split("warnings summary")[0].splitlines()
            if line.startswith("test_par.py::") and not re.search(r" (PASSED|FAILED|SKIPPED|ERROR)", line)]
    assert not bare, f"-v printed tests without their outcome: {bare}"
    _assert_each_runner_left_its_slot_at_rest(project)
    names = sorted(json.loads(p.read_text())["name"] for p in results.glob("*-result.json"))
    assert names == ["test_not_per_slot", "test_powered[e3131]", "test_powered[e3372]", "test_powered[e3531]"]
    lines = [json.loads(line) for line in (results / "hilkit-measurements.jsonl").read_text().splitlines()]
    assert sorted(line["slot"] for line in lines) == SLOTS
    assert (project / "environment-writers.txt").read_text().split() == ["controller"]
    assert (results / "categories.json").is_file() and (results / "environment.properties").is_file()
    suite = ET.parse(project / "junit.xml").getroot().find("testsuite")
    assert suite.get("tests") == "4" and suite.get("failures") == "0"
    # a runner's warning reaches the one summary
    summary = done.stdout.split("warnings summary")[1]
    assert "test_powered[e3372]" in summary and "UserWarning: careful with e3372" in summary


def test_a_failure_on_one_slot_shows_its_own_output_and_the_other_slots_go_on(project: Path) -> None:
    # every slot prints, then waits until all have printed: a capture shared between runners
    # would give e3531's failure the others' lines, or lose its own
    (project / "test_par.py").write_text('''
import pathlib, time

def test_powered(dongle, slot):
    print(f"out of {slot.name}")
    pathlib.Path(f"printed-{slot.name}").write_text("")
    deadline = time.monotonic() + 30
    while len(list(pathlib.Path().glob("printed-*"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert slot.name != "e3531", "e3531 broke"
''')
    done = _pytest(project, "--junitxml=junit.xml", "test_par.py")
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, done.stdout[-3000:]
    assert "1 failed, 2 passed" in done.stdout.splitlines()[-1], done.stdout[-2000:]
    failure = done.stdout.split("__ test_powered[e3531] __")[1].split("short test summary")[0]
    assert "AssertionError: e3531 broke" in failure
    assert "out of e3531" in failure.split("Captured stdout call")[1]
    assert "out of e3131" not in failure and "out of e3372" not in failure, failure
    suite = ET.parse(project / "junit.xml").getroot().find("testsuite")
    assert suite.get("tests") == "3" and suite.get("failures") == "1"
    _assert_each_runner_left_its_slot_at_rest(project)


def test_progress_lines_of_every_runner_are_printed_by_the_controller(project: Path) -> None:
    (project / "test_par.py").write_text(TESTS)
    done = _pytest(project, "--hilkit-progress=on", "test_par.py")
    assert done.returncode == 0, done.stdout[-3000:]
    for name, port in (("e3131", "1-1.2"), ("e3372", "1-1.3"), ("e3531", "1-1.4")):
        assert re.search(rf"^    \[ +[0-9.]+ s\] {name} \({port}\): power on {name} ", done.stdout, re.M), done.stdout
        assert re.search(rf"^    \[ +[0-9.]+ s\] {name} \({port}\): enumerate on port {port} ", done.stdout, re.M)


def test_a_runner_that_dies_fails_its_test_and_the_run(project: Path) -> None:
    (project / "test_die.py").write_text('''
import os, signal

def test_cycle(dongle, slot):
    if slot.name == "e3372":
        os.kill(os.getpid(), signal.SIGKILL)
''')
    done = _pytest(project, "test_die.py")
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, done.stdout[-3000:]
    assert "1 failed, 2 passed" in done.stdout.splitlines()[-1], done.stdout[-2000:]
    assert "FAILED test_die.py::test_cycle[e3372]" in done.stdout
    assert "slot e3372 (port 1-1.3, runner PID " in done.stdout
    assert "ended during this test's call (was killed by signal 9)" in done.stdout
    # the dead runner closed nothing (the virtual dongle died with it); the others are at rest
    _assert_each_runner_left_its_slot_at_rest(project, ["e3131", "e3531"])


def test_exitfirst_stops_every_slot_after_its_running_test(project: Path) -> None:
    (project / "test_x.py").write_text(f'''
import threading, pytest
{WAIT_FOR_THE_STOP}
@pytest.mark.parametrize("n", range(8))
def test_cycle(dongle, slot, n, request):
    assert not (slot.name == "e3131" and n == 0), "e3131 fails first"
    if n == 0:
        wait_for_the_stop(request)
''')
    done = _pytest(project, "-x", "test_x.py")
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, done.stdout[-3000:]
    last = done.stdout.splitlines()[-1]
    assert "1 failed, 2 passed" in last and "stopping after 1 failures" in done.stdout, done.stdout[-2000:]
    assert "did not run" not in done.stdout
    _assert_each_runner_left_its_slot_at_rest(project)


def test_pytest_exit_in_one_runner_stops_the_run_with_its_message(project: Path) -> None:
    (project / "test_exit.py").write_text('''
import pytest

@pytest.mark.parametrize("n", range(8))
def test_cycle(dongle, slot, n):
    if slot.name == "e3531":
        pytest.exit("the e3531 place was taken", returncode=3)
''')
    done = _pytest(project, "test_exit.py")
    assert done.returncode == 3, done.stdout[-3000:]
    assert "the e3531 place was taken" in done.stdout + done.stderr
    _assert_each_runner_left_its_slot_at_rest(project)


INTERRUPTS = {"SIGINT to the process group (Ctrl-C)": lambda process: os.killpg(process.pid, signal.SIGINT),
              "SIGTERM to the controller only": lambda process: process.send_signal(signal.SIGTERM)}


@pytest.mark.parametrize("how", list(INTERRUPTS))
def test_interrupting_the_run_tears_every_slot_down(project: Path, how: str) -> None:
    (project / "test_long.py").write_text('''
import pathlib, threading

def test_long(dongle, slot):
    pathlib.Path(f"started-{slot.name}").write_text("")
    threading.Event().wait()   # only the signal ends it
''')
    code, output = _signal_when(project, "test_long.py", "started-*", len(SLOTS), INTERRUPTS[how])
    assert code == pytest.ExitCode.INTERRUPTED, output[-3000:]
    assert "KeyboardInterrupt" in output
    _assert_each_runner_left_its_slot_at_rest(project)


@pytest.fixture(scope="module")
def run8(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path, Path]:
    out = tmp_path_factory.mktemp("run8")
    done = subprocess.run([sys.executable, "-m", "hilkit", "run", "--rig", "lab/virtual8.yaml", "--parallel",
                           "--results", str(out / "results"), "--junitxml", str(out / "junit.xml"), "--no-html",
                           "--", f"--hilkit-lock-dir={out / 'locks'}"],
                          capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT, env=_env())
    return done, out / "results", out


def test_the_suites_pass_on_eight_slots_in_parallel(run8) -> None:
    done, results, out = run8
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    passed = int(done.stdout.splitlines()[-1].split(" passed")[0].split()[-1])
    tests = [json.loads(p.read_text()) for p in results.glob("*-result.json")]
    skipped = [t for t in tests if t["status"] == "skipped"]
    assert len(tests) - len(skipped) == passed >= 8 * 5
    assert {t["status"] for t in tests} <= {"passed", "skipped"}
    # only the data path skips, and only where this host cannot carry PPP (it says so)
    assert all(data_path_skip(t["name"], t["statusDetails"]["message"])
               for t in skipped), [t["statusDetails"]["message"] for t in skipped]
    slots = {label["value"] for t in tests for label in t["labels"] if label["name"] == "slot"}
    assert len(slots) == 8
    measured = {json.loads(line)["slot"] for line in (results / "hilkit-measurements.jsonl").read_text().splitlines()}
    assert measured == slots
    assert ET.parse(out / "junit.xml").getroot().find("testsuite").get("tests") == str(passed + len(skipped))


def test_the_controller_held_every_slot_and_gave_them_back(run8) -> None:
    _, _, out = run8
    locks = sorted(p.name for p in (out / "locks").iterdir())
    assert locks == [f"virtual8-1-1.{n}.lock" for n in range(1, 9)]
    assert all((out / "locks" / name).read_text() == "" for name in locks)


class _Config:
    def __init__(self, parallel: bool, numprocesses: object) -> None:
        self.parallel = parallel
        self.option = type("Option", (), {"numprocesses": numprocesses})()

    def getoption(self, name: str, default: object = None) -> object:
        return self.parallel if name == "hilkit_parallel" else default


def test_parallel_refuses_xdist_workers_of_its_own() -> None:
    from hilkit.pytest_plugin.parallel import check_parallel

    check_parallel(_Config(parallel=False, numprocesses=4))  # plain xdist without hilkit's parallel: fine
    check_parallel(_Config(parallel=True, numprocesses=None))
    with pytest.raises(pytest.UsageError) as raised:
        check_parallel(_Config(parallel=True, numprocesses=2))
    assert str(raised.value) == ("--hilkit-parallel: forks one runner per slot itself; "
                                 "leave out pytest-xdist's -n 2")


@pytest.mark.parametrize("flag", ["--pdb", "--setup-show", "--setup-plan"])
def test_a_debugger_or_fixture_tracing_is_refused(project: Path, flag: str) -> None:
    (project / "test_par.py").write_text(TESTS)
    done = _pytest(project, flag, "test_par.py")
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert done.stderr.strip() == (f"ERROR: --hilkit-parallel: {flag} needs one process at the terminal; debug a "
                                   "slot without --hilkit-parallel (pick it with --hilkit-profile or -k)")


def test_a_message_is_never_cut_by_a_signal() -> None:
    """A runner's report can be megabytes; Ctrl-C (here: SIGALRM raising) during the write is
    held until the message is whole, so the controller never reads half a line."""
    import fcntl
    import termios
    import threading

    from hilkit.pytest_plugin.parallel.runner import _Forwarder

    read_fd, write_fd = os.pipe()
    received = bytearray()
    main = threading.main_thread().ident

    def interrupt_mid_write_then_drain() -> None:
        deadline = time.monotonic() + 30
        queued = bytearray(4)
        while (seen := int.from_bytes(queued, sys.byteorder)) < 60_000:  # full: the writer is blocked in write
            assert time.monotonic() < deadline, f"expected the pipe full (60000 bytes queued) in 30 s, saw {seen}"
            fcntl.ioctl(read_fd, termios.FIONREAD, queued)
            time.sleep(0.005)  # polling the pipe's fill: no event says a writer is blocked
        signal.pthread_kill(main, signal.SIGALRM)
        while chunk := os.read(read_fd, 1 << 16):
            received.extend(chunk)

    def interrupt(signum, frame):
        raise KeyboardInterrupt("mid-write")
    previous = signal.signal(signal.SIGALRM, interrupt)
    reader = threading.Thread(target=interrupt_mid_write_then_drain)
    reader.start()
    try:
        with pytest.raises(KeyboardInterrupt, match="mid-write"):
            _Forwarder(config=None, fd=write_fd).send({"report": "x" * 20_000_000})
            threading.Event().wait(10)  # not reached when the signal is held until the send's end
    finally:
        signal.signal(signal.SIGALRM, previous)
        os.close(write_fd)
        reader.join()
        os.close(read_fd)
    (line,) = bytes(received).splitlines()
    assert json.loads(line) == {"report": "x" * 20_000_000}


def test_timeouts_and_a_shared_basetemp_work_in_runners(project: Path) -> None:
    (project / "test_misc.py").write_text('''
import threading, pytest

@pytest.mark.timeout(2, func_only=True)   # the body only: setting the dongle up takes what it takes
def test_hangs(dongle, slot, tmp_path):
    (tmp_path / "mine").write_text(slot.name)
    if slot.name == "e3372":
        threading.Event().wait()
''')
    base = project / "base"
    done = _pytest(project, f"--basetemp={base}", "test_misc.py")
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, done.stdout[-3000:]
    assert "1 failed, 2 passed" in done.stdout.splitlines()[-1], done.stdout[-3000:]
    assert "Failed: Timeout (>2.0s) from pytest-timeout" in done.stdout, done.stdout[-3000:]
    written = sorted(p.read_text() for p in {p.resolve() for p in base.glob("*/mine")})  # not the *current links
    assert written == SLOTS, f"runners cleaned each other's temp directories: {written}"
    _assert_each_runner_left_its_slot_at_rest(project)


def test_tests_not_per_slot_run_in_the_controller_with_the_whole_rig_after_the_slots(project: Path) -> None:
    (project / "test_rest.py").write_text('''
import os, pathlib
from hilkit.sim.virtual_lab import VirtualLab

def test_cycle(dongle, slot):
    pathlib.Path(f"slot-{slot.name}").write_text(str(os.getpid()))

def test_whole_rig(rig, lab):
    import conftest
    assert os.getpid() == conftest.CONTROLLER
    assert [s.name for s in rig.slots] == ["e3131", "e3372", "e3531"] and sorted(lab.dongles) == [s.name for s in rig.slots]
    assert len(list(pathlib.Path().glob("slot-*"))) == 3, "ran before the slots had finished"
''')
    done = _pytest(project, "test_rest.py")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "4 passed" in done.stdout.splitlines()[-1]
    pids = {p.read_text() for p in project.glob("slot-*")}
    assert len(pids) == 3


def test_a_forked_helper_of_a_test_does_not_hold_the_run(project: Path) -> None:
    """The helper never ends by itself: a run that waited for it would never end (the hang guard
    fails the test), one that did not ends with the helper still there."""
    (project / "test_helper.py").write_text('''
import multiprocessing, pathlib, threading

def test_starts_a_helper(dongle, slot):
    helper = multiprocessing.get_context("fork").Process(target=threading.Event().wait, daemon=True)
    helper.start()
    pathlib.Path(f"helper-{helper.pid}").write_text("")
''')
    try:
        with open(project / "out.txt", "w") as out:  # not a pipe: the helper holds our stdout, not pytest's exit
            code = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--hilkit-parallel",
                                   "test_helper.py"], cwd=project, env=_env(), stdout=out, stderr=subprocess.STDOUT,
                                  timeout=120).returncode
        assert code == 0, (project / "out.txt").read_text()[-3000:]
        helpers = [int(p.name.removeprefix("helper-")) for p in project.glob("helper-*")]
        assert len(helpers) == len(SLOTS)
    finally:
        for path in project.glob("helper-*"):
            try:
                os.kill(int(path.name.removeprefix("helper-")), signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.mark.parametrize("how", ["keyboard-interrupt", "stepwise"])
def test_a_stop_in_one_slot_stops_every_slot(project: Path, how: str) -> None:
    (project / "test_stop.py").write_text(f'''
import threading, pytest
{WAIT_FOR_THE_STOP}
@pytest.mark.parametrize("n", range(8))
def test_cycle(dongle, slot, n, request):
    if slot.name == "e3131" and n == 1:
        {"raise KeyboardInterrupt" if how == "keyboard-interrupt" else "assert False, 'e3131 broke'"}
    if slot.name != "e3131" and n == 0:
        wait_for_the_stop(request)
''')
    done = _pytest(project, *(["--sw"] if how == "stepwise" else []), "test_stop.py", cache=how == "stepwise")
    assert done.returncode == pytest.ExitCode.INTERRUPTED, done.stdout[-3000:]  # as in a one-process run
    last = done.stdout.splitlines()[-1]
    if how == "keyboard-interrupt":
        assert "KeyboardInterrupt" in done.stdout
        assert "3 passed" in last, done.stdout[-3000:]   # e3131's first, and each other slot's first
    else:
        assert "Interrupted: Test failed, continuing from this test next run." in done.stdout
        assert "1 failed, 3 passed" in last, done.stdout[-3000:]
    assert "did not run" not in done.stdout and "hilkit: slot" not in done.stdout, done.stdout[-3000:]
    _assert_each_runner_left_its_slot_at_rest(project)


def test_sigterm_while_the_runners_are_forked_leaves_no_runner_behind(project: Path) -> None:
    """The controller is stopped between two forks (a CI job cancelled at the worst moment): it
    must still wait for the runners it has started, which tear down, and never leave them running."""
    (project / "conftest.py").write_text(CONFTEST + '''
import threading
_fork = os.fork

def _slow_fork():
    pid = _fork()
    if pid:
        open(f"forked-{pid}", "w").close()
        threading.Event().wait(1.0)
    return pid

os.fork = _slow_fork
''')
    (project / "test_long.py").write_text('''
import threading

def test_long(dongle, slot):
    threading.Event().wait()   # only the signal ends it
''')
    code, output = _signal_when(project, "test_long.py", "forked-*", 1,
                                lambda process: process.send_signal(signal.SIGTERM))
    assert code == pytest.ExitCode.INTERRUPTED, output[-3000:]
    runners = [int(p.name.removeprefix("forked-")) for p in project.glob("forked-*")]
    alive = []
    for pid in runners:
        try:
            os.kill(pid, 0)
            alive.append(pid)
        except ProcessLookupError:
            pass
    assert not alive, f"runners left running after the controller ended: {alive}\n{output[-2000:]}"
    for lab in _labs(project):  # the runners that got as far as powering their dongle put it at rest
        assert not any(lab["powered_now"].values()) and not any(lab["at_close"].values()), lab


def test_skips_and_xfails_from_runners_show_under_verbose_and_ra(project: Path) -> None:
    (project / "test_skip.py").write_text('''
import pytest

@pytest.mark.skip(reason="no SIM in this slot")
def test_skipped(slot):
    pass

@pytest.mark.xfail(reason="known firmware bug")
def test_xfail(slot):
    assert False

def test_passes(slot):
    pass
''')
    done = _pytest(project, "-v", "-ra", "test_skip.py")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "3 passed, 3 skipped, 3 xfailed" in done.stdout.splitlines()[-1], done.stdout[-3000:]
    assert "SKIPPED [3] test_skip.py:4: no SIM in this slot" in done.stdout, done.stdout[-3000:]  # as one process folds them
    assert done.stdout.count("XFAIL test_skip.py::test_xfail") == 3


def test_a_runner_dying_in_teardown_is_an_error_of_that_test_not_a_second_outcome(project: Path) -> None:
    (project / "test_td.py").write_text('''
import os, signal, pytest

@pytest.fixture
def dies_after(slot):
    yield
    if slot.name == "e3372":
        os.kill(os.getpid(), signal.SIGKILL)

def test_p(dongle, dies_after):
    pass
''')
    done = _pytest(project, "-rA", "--junitxml=junit.xml", "test_td.py")
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, done.stdout[-3000:]
    assert "3 passed, 1 error" in done.stdout.splitlines()[-1], done.stdout[-3000:]
    assert "ERROR test_td.py::test_p[e3372]" in done.stdout
    assert "ended during this test's teardown (was killed by signal 9)" in done.stdout
    suite = ET.parse(project / "junit.xml").getroot().find("testsuite")
    # as pytest's own junitxml counts a test that passed and then erred in teardown, in one process
    (project / "one" / "test_td.py").parent.mkdir()
    (project / "one" / "test_td.py").write_text(
        "import pytest\n@pytest.fixture\ndef breaks():\n    yield\n    raise RuntimeError('teardown')\n"
        "@pytest.mark.parametrize('n', range(3))\ndef test_p(n, request):\n"
        "    if n == 1:\n        request.getfixturevalue('breaks')\n")
    subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--junitxml=junit.xml"],
                   cwd=project / "one", env=_env(), capture_output=True, timeout=120)
    one = ET.parse(project / "one" / "junit.xml").getroot().find("testsuite")
    assert (one.get("errors"), one.get("failures")) == ("1", "0")
    assert (suite.get("tests"), suite.get("errors"), suite.get("failures")) == (one.get("tests"), "1", "0")


def test_a_runner_dying_between_tests_is_an_error_in_the_summary_and_junit(project: Path) -> None:
    (project / "test_between.py").write_text('''
import os, signal, pytest

@pytest.fixture(scope="module")
def dies_at_module_end(slot):
    yield

def test_first(slot):
    pass

def test_second(slot):
    if slot.name == "e3531":
        os.kill(os.getpid(), signal.SIGKILL)

def test_third(slot):
    pass
''')
    done = _pytest(project, "--junitxml=junit.xml", "test_between.py")
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, done.stdout[-3000:]
    last = done.stdout.splitlines()[-1]
    assert "1 failed" in last and "1 error" in last, done.stdout[-3000:]
    assert "1 of its tests did not run: test_between.py::test_third[e3531]" in done.stdout
    suite = ET.parse(project / "junit.xml").getroot().find("testsuite")
    assert suite.get("errors") == "1", ET.tostring(suite)[:2000]


def test_a_teardown_under_way_is_not_cut_short_by_sigterm(project: Path) -> None:
    """SIGTERM to the controller: runners stop; one already tearing down finishes it. The teardown
    goes on until its runner has been told to stop, so the stop always lands in it."""
    (project / "test_slowtd.py").write_text('''
import pathlib, threading, pytest

@pytest.fixture
def slow_teardown(slot, request):
    yield
    pathlib.Path(f"td-start-{slot.name}").write_text("")
    pause = threading.Event()
    while not request.session.shouldstop:   # the controller's stop reaches this runner in its teardown
        pause.wait(0.01)
    pathlib.Path(f"td-end-{slot.name}").write_text("")

def test_quick(dongle, slow_teardown):
    pass
''')
    code, output = _signal_when(project, "test_slowtd.py", "td-start-*", len(SLOTS),
                                lambda process: process.send_signal(signal.SIGTERM))
    assert code == pytest.ExitCode.INTERRUPTED, output[-3000:]
    assert sorted(p.name for p in project.glob("td-end-*")) == [f"td-end-{s}" for s in SLOTS], output[-3000:]
    _assert_each_runner_left_its_slot_at_rest(project)


def test_run_from_a_thread_and_with_sigint_ignored(project: Path) -> None:
    """Only the main thread can set signal handlers, and a SIGINT the parent ignores stays ignored."""
    (project / "test_par.py").write_text(TESTS)
    (project / "from_thread.py").write_text('''
import signal, sys, threading, pytest
signal.signal(signal.SIGINT, signal.SIG_IGN)
codes = []
thread = threading.Thread(target=lambda: codes.append(pytest.main(["-p", "no:cacheprovider", "-q",
                                                                   "--hilkit-parallel", "test_par.py"])))
thread.start()
thread.join()
ignored = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
print("exit", int(codes[0]), "ignored", ignored)
''')
    done = subprocess.run([sys.executable, "from_thread.py"], cwd=project, env=_env(), capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.splitlines()[-1] == "exit 0 ignored True", done.stdout[-3000:] + done.stderr[-2000:]
    assert "4 passed" in done.stdout
