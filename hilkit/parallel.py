"""``--hilkit-parallel``: every slot of the rig at once, one forked runner per slot.

The session is collected once, in this process (the controller). At the run loop the controller
deals the tests out by slot (tests that are not per slot go with the first slot), and forks one
runner per slot. A runner keeps only its slot in the rig, so it opens only that slot's part of the
lab (its relay, its dongle, its bus view), and runs its tests through pytest's own
``pytest_runtest_protocol``: fixtures, allure-pytest, pytest-timeout and output capture work as in
a one-process run, and each runner writes its own Allure results and measurements. It sends every
test report back over a pipe; the controller hands them to its reporting hooks (terminal, JUnit,
the session's failure count), so the run has one result set and one summary.

Why fork and not pytest-xdist: an xdist worker is a fresh interpreter that imports pytest and
every plugin and collects again, about 1 s of CPU each; eight of them on a 2-core Pi doubled the
wall time of a one-slot run (``bench/parallel_slots.py``). A fork of the collected session costs
milliseconds, and what is left per slot is the slot's own work.

Every exit path leaves the rig safe. A runner tears its fixtures down (relays at rest) after its
last test, when the controller asks it to stop (``-x``), and on Ctrl-C: SIGINT reaches the whole
process group, and the controller passes SIGTERM on to a runner that has not said it is stopping
(the plugin turns SIGTERM into Ctrl-C). A runner ignores further signals while it tears down. A
runner that dies without finishing fails its running test with how it ended.
"""
from __future__ import annotations

import json
import os
import selectors
import signal
import sys
import time
import traceback
import warnings
from dataclasses import dataclass, field
from importlib import import_module
from typing import Callable

import pytest

from .lab.rig import Slot

STOP_SIGNAL = signal.SIGUSR1     # controller -> runner: finish the running test, then stop
GRACE = 1.0                      # after Ctrl-C: how long a runner has to say it is stopping


def check_parallel(config: pytest.Config) -> None:
    """``--hilkit-parallel`` needs ``os.fork`` (Linux, macOS), and forks its own runners: not
    inside pytest-xdist's workers."""
    if not config.getoption("hilkit_parallel"):
        return
    if not hasattr(os, "fork"):
        raise pytest.UsageError("--hilkit-parallel: needs os.fork (Linux or macOS); run the slots one "
                                "after another without it")
    workers = getattr(config.option, "numprocesses", None)  # set only where pytest-xdist is installed
    if workers:
        raise pytest.UsageError(f"--hilkit-parallel: forks one runner per slot itself; leave out "
                                f"pytest-xdist's -n {workers}")


def deal(items: list[pytest.Item], slot_of: Callable[[pytest.Item], Slot | None],
         slots: tuple[Slot, ...]) -> list[tuple[Slot, list[pytest.Item]]]:
    """Each slot's tests, in collection order; tests not per slot go with the first slot."""
    by_name: dict[str, list[pytest.Item]] = {s.name: [] for s in slots}
    for item in items:
        slot = slot_of(item)
        by_name[slot.name if slot is not None else slots[0].name].append(item)
    return [(s, by_name[s.name]) for s in slots if by_name[s.name]]


# -- the runner (a forked child) --------------------------------------------------------------
class _Forwarder:
    """Runner side: what pytest would report, sent to the controller as JSON lines."""

    def __init__(self, config: pytest.Config, fd: int) -> None:
        self.config = config
        self.fd = fd
        self.broken = False

    def send(self, message: dict) -> None:
        if self.broken:
            return
        data = (json.dumps(message, default=repr) + "\n").encode()
        try:
            while data:
                data = data[os.write(self.fd, data):]
        except OSError:
            self.broken = True  # the controller is gone: stop after this test, tear down, exit

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.send({"logstart": nodeid})

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.send({"report": self.config.hook.pytest_report_to_serializable(config=self.config, report=report)})

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        self.send({"logfinish": nodeid})

    def pytest_warning_recorded(self, warning_message: warnings.WarningMessage, when: str, nodeid: str) -> None:
        if when != "runtest":  # the rest happened before the fork: the controller has it already
            return
        category = warning_message.category
        self.send({"warning": {"text": str(warning_message.message), "filename": warning_message.filename,
                               "lineno": warning_message.lineno, "nodeid": nodeid,
                               "category": f"{category.__module__}:{category.__qualname__}"}})


def _run_slot(session: pytest.Session, slot: Slot, items: list[pytest.Item], fd: int,
              bind: Callable[[Slot, Callable[[str], None]], None]) -> int:
    """The runner's whole life after the fork; returns its exit status."""
    config = session.config
    forwarder = _Forwarder(config, fd)
    bind(slot, lambda line: forwarder.send({"progress": line}))
    stop: list[str] = []
    signal.signal(STOP_SIGNAL, lambda signum, frame: stop.append("asked to stop"))
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {STOP_SIGNAL})  # blocked across the fork, until handled
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if terminal is not None:  # the controller reports; the runner's output would interleave with it
        config.pluginmanager.unregister(terminal)
    capture = config.pluginmanager.get_plugin("capturemanager")
    if capture is not None:  # its own capture files: the inherited ones are shared with every runner
        capture.stop_global_capturing()
        capture.start_global_capturing()
        capture.suspend_global_capture()
    config.pluginmanager.register(forwarder, "hilkit-slot-runner")
    status = 0
    try:
        try:
            for index, item in enumerate(items):
                last = index + 1 == len(items)
                item.config.hook.pytest_runtest_protocol(item=item, nextitem=None if last else items[index + 1])
                if not last and (stop or forwarder.broken or session.shouldfail or session.shouldstop):
                    break
        except KeyboardInterrupt as exc:
            _ignore_signals()
            forwarder.send({"interrupted": str(exc) or "KeyboardInterrupt"})
            status = 2
        except pytest.exit.Exception as exc:  # pytest.exit() in a test or fixture: the whole run stops
            forwarder.send({"exit": exc.msg, "returncode": exc.returncode})
            status = 4
        _ignore_signals()
        _teardown_session(config, session)
    except BaseException:  # noqa: BLE001 - said to the controller; the runner still exits cleanly
        _ignore_signals()
        forwarder.send({"error": traceback.format_exc()})
        try:
            _teardown_session(config, session)
        except BaseException:  # noqa: BLE001
            forwarder.send({"error": traceback.format_exc()})
        status = 3
    forwarder.send({"done": status})
    return status


def _ignore_signals() -> None:
    """While it tears down, a runner ignores the signals asking it to stop: it is stopping."""
    for signum in (signal.SIGINT, signal.SIGTERM, STOP_SIGNAL):
        signal.signal(signum, signal.SIG_IGN)


def _teardown_session(config: pytest.Config, session: pytest.Session) -> None:
    """Tear down whatever fixtures are still set up (the session's, after a stop or Ctrl-C), as
    pytest does at the end of a session: pytest's runner plugin owns that stack."""
    config.pluginmanager.get_plugin("runner").pytest_sessionfinish(session)


# -- the controller ---------------------------------------------------------------------------
@dataclass
class _Runner:
    slot: Slot
    items: dict[str, pytest.Item]
    pid: int
    fd: int
    buffer: bytes = b""
    running: str | None = None     # the nodeid between logstart and logfinish
    finished: set[str] = field(default_factory=set)
    done: int | None = None        # the status the runner said it ends with
    stopping: bool = False         # it said it was interrupted, or was told to stop
    errors: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return f"slot {self.slot.name} (port {self.slot.port}, runner PID {self.pid})"


def run_parallel(session: pytest.Session, groups: list[tuple[Slot, list[pytest.Item]]],
                 bind: Callable[[Slot, Callable[[str], None]], None]) -> None:
    """Fork one runner per group, replay what they report, wait until every one has ended.

    ``bind(slot, say)`` runs in each runner right after the fork: the plugin keeps that slot only,
    and sends its progress lines through ``say`` for the controller to print.
    Raises what pytest's own run loop would: ``session.Failed`` for ``-x``, KeyboardInterrupt.
    """
    runners: list[_Runner] = []
    sys.stdout.flush()
    sys.stderr.flush()
    for slot, items in groups:
        read_fd, write_fd = os.pipe()
        signal.pthread_sigmask(signal.SIG_BLOCK, {STOP_SIGNAL})
        pid = os.fork()
        if pid != 0:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {STOP_SIGNAL})
        else:  # the runner: never returns into the controller's code
            status = 3
            try:
                os.close(read_fd)
                for runner in runners:
                    os.close(runner.fd)
                status = _run_slot(session, slot, items, write_fd, bind)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)
        os.close(write_fd)
        runners.append(_Runner(slot, {item.nodeid: item for item in items}, pid, read_fd))
    controller = _Controller(session, runners)
    try:
        controller.pump()
    except KeyboardInterrupt:
        controller.interrupted = True
        controller.wind_down()
        controller.finish()
        raise
    except BaseException:
        controller.abandon()
        raise
    controller.finish()
    if controller.exit is not None:
        pytest.exit(controller.exit[0], returncode=controller.exit[1])
    if session.shouldfail:
        raise session.Failed(session.shouldfail)
    if controller.interrupted:
        raise KeyboardInterrupt("a slot runner was interrupted")


class _Controller:
    def __init__(self, session: pytest.Session, runners: list[_Runner]) -> None:
        self.session = session
        self.config = session.config
        self.runners = runners
        self.selector = selectors.DefaultSelector()
        for runner in runners:
            self.selector.register(runner.fd, selectors.EVENT_READ, runner)
        self.live = len(runners)
        self.interrupted = False
        self.told_to_stop = False
        self.exit: tuple[str, int | None] | None = None   # a runner's pytest.exit()
        self.reporter = self.config.pluginmanager.get_plugin("terminalreporter")

    def pump(self, until: float | None = None) -> None:
        """Replay runner messages until every runner has closed its pipe (or ``until``)."""
        while self.live:
            timeout = None if until is None else until - time.monotonic()
            if timeout is not None and timeout <= 0:
                return
            for key, _ in self.selector.select(timeout):
                self._read(key.data)
            if self.session.shouldfail and not self.told_to_stop:
                self.told_to_stop = True
                self._signal(STOP_SIGNAL)

    def _read(self, runner: _Runner) -> None:
        chunk = os.read(runner.fd, 65536)
        if not chunk:
            self.selector.unregister(runner.fd)
            os.close(runner.fd)
            self.live -= 1
            self._ended(runner)
            return
        runner.buffer += chunk
        *lines, runner.buffer = runner.buffer.split(b"\n")
        for line in lines:
            self._replay(runner, json.loads(line))

    def _replay(self, runner: _Runner, message: dict) -> None:
        if "report" in message:
            report = self.config.hook.pytest_report_from_serializable(config=self.config, data=message["report"])
            item = runner.items.get(report.nodeid)  # a plugin may report on a node of its own
            (item.ihook if item is not None else self.config.hook).pytest_runtest_logreport(report=report)
        elif "logstart" in message:
            item = runner.items[message["logstart"]]
            runner.running = item.nodeid
            item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        elif "logfinish" in message:
            item = runner.items[message["logfinish"]]
            runner.running = None
            runner.finished.add(item.nodeid)
            item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        elif "progress" in message:
            if self.reporter is not None:
                self.reporter.write_line(message["progress"])
        elif "warning" in message:
            self._warn(message["warning"])
        elif "interrupted" in message:
            runner.stopping = True
            self.interrupted = True
        elif "exit" in message:
            self.exit = (message["exit"], message["returncode"])
            if not self.told_to_stop:
                self.told_to_stop = True
                self._signal(STOP_SIGNAL)
        elif "error" in message:
            runner.errors.append(message["error"])
        elif "done" in message:
            runner.done = message["done"]

    def _warn(self, data: dict) -> None:
        module, _, name = data["category"].partition(":")
        try:
            category = getattr(import_module(module), name)
            warning = category(data["text"])
        except Exception:  # noqa: BLE001 - a warning class this process can't rebuild: say it plainly
            category, warning = UserWarning, UserWarning(f"{data['category']}: {data['text']}")
        message = warnings.WarningMessage(warning, category, data["filename"], data["lineno"])
        self.config.hook.pytest_warning_recorded.call_historic(
            kwargs={"warning_message": message, "when": "runtest", "nodeid": data["nodeid"], "location": None})

    def _ended(self, runner: _Runner) -> None:
        """The runner closed its pipe: collect its exit status; a runner that ended without saying
        it was done fails the test it was running."""
        _, status = os.waitpid(runner.pid, 0)
        if runner.done is None:
            how = (f"was killed by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
                   else f"exited with status {os.waitstatus_to_exitcode(status)}")
            runner.errors.append(f"{runner.describe()} {how} before it finished")
        if runner.running is not None and runner.done is None:
            item = runner.items[runner.running]
            report = pytest.TestReport(item.nodeid, item.location, {}, "failed",
                                       f"{runner.describe()} ended while running this test ({runner.errors[-1]})",
                                       "call")
            item.ihook.pytest_runtest_logreport(report=report)
            item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
            runner.finished.add(item.nodeid)
            runner.running = None

    def _signal(self, signum: int, only: Callable[[_Runner], bool] = lambda r: True) -> None:
        for runner in self.runners:
            if runner.fd in self.selector.get_map() and only(runner):
                try:
                    os.kill(runner.pid, signum)
                except ProcessLookupError:
                    pass

    def wind_down(self) -> None:
        """After Ctrl-C (or SIGTERM): give each runner its chance to tear down, and wait for it.
        A runner that has not said it is stopping after GRACE seconds gets SIGTERM (the Ctrl-C may
        have reached only this process). Ctrl-C three more times gives up on runners that still
        have not ended, and kills them."""
        presses = 0
        deadline = time.monotonic() + GRACE
        while self.live:
            try:
                self.pump(until=deadline)
                if self.live and deadline is not None:
                    self._signal(signal.SIGTERM, only=lambda r: not r.stopping)
                    deadline = None
            except KeyboardInterrupt:
                presses += 1
                if presses >= 3:
                    self._signal(signal.SIGKILL)
                    self.abandon()
                    return

    def abandon(self) -> None:
        """The controller itself failed: stop every runner (they tear down), wait for them."""
        self._signal(signal.SIGTERM)
        for runner in self.runners:
            if runner.fd in self.selector.get_map():
                self.selector.unregister(runner.fd)
                os.close(runner.fd)
                os.waitpid(runner.pid, 0)
        self.live = 0

    def finish(self) -> None:
        """What the runners said went wrong outside tests; tests that never ran for it."""
        reporter = self.reporter
        for runner in self.runners:
            unrun = [nodeid for nodeid in runner.items if nodeid not in runner.finished]
            problems = list(runner.errors)
            if unrun and not (runner.stopping or self.told_to_stop):
                problems.append(f"{len(unrun)} of its tests did not run: {', '.join(unrun[:3])}"
                                + (" ..." if len(unrun) > 3 else ""))
            if not problems:
                continue
            self.session.testsfailed += 1
            if reporter is not None:
                reporter.write_sep("!", f"hilkit: {runner.describe()}")
                for problem in problems:
                    reporter.write_line(problem.rstrip())
