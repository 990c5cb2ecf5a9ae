"""``--hilkit-parallel``: every slot of the rig at once, one forked runner per slot.

The session is collected once, in this process (the controller). At the run loop the controller
deals the tests out by slot and forks one runner per slot. A runner keeps only its slot in the
rig, so it opens only that slot's part of the lab (its relay, its dongle, its bus view), and runs
its tests through pytest's own ``pytest_runtest_protocol``: fixtures, allure-pytest,
pytest-timeout and output capture work as in a one-process run, and each runner writes its own
Allure results and measurements. It sends every test report back over a pipe; the controller
hands them to its reporting hooks (terminal, JUnit, the session's failure count), so the run has
one result set and one summary. Tests that are not per slot run in the controller after the
runners have ended, with the whole rig, as they would in a one-process run.

Why fork and not pytest-xdist: an xdist worker is a fresh interpreter that imports pytest and
every plugin and collects again, about 1 s of CPU each; eight of them on a 2-core Pi doubled the
wall time of a one-slot run (``bench/parallel_slots.py``). A fork of the collected session costs
milliseconds, and what is left per slot is the slot's own work.

Every exit path leaves the rig safe. A runner tears its fixtures down (relays at rest) after its
last test, when the controller asks it to stop (``-x``, ``--maxfail``, ``pytest.exit``, a stop in
another slot: it finishes the running test first), and on Ctrl-C. The controller never dies of a
signal while runners live: Ctrl-C or SIGTERM asks every runner to stop at once, a runner that has
not been interrupted itself within ``GRACE`` seconds gets SIGTERM (the plugin makes it Ctrl-C),
and the controller waits for all of them; the fourth Ctrl-C kills what is left. A runner sends
each message with the stop signals blocked, so no message is ever half-written, and it ignores
further signals while it tears down. A runner that dies without finishing fails the test it was
running, naming how it ended.

What differs from a one-process run: a plugin's per-report hooks run in the runner (which ran
the test) and again in the controller; ``record_testsuite_property`` written in a runner does not
reach the controller's JUnit file; ``--pdb``, ``--trace`` and ``--setup-show/-only/-plan`` are
refused (one terminal, many runners); tests not per slot run after the slots (so ``-x`` on one of
them comes after every slot has run); live logs (``log_cli``) of runners are not shown, each test's captured log is in
its
report; ``--hilkit-fault`` counts and dice are per slot; code run in the runners is not seen by
coverage tools that collect at interpreter exit (runners end with ``os._exit``, as forked
children must).
"""
from __future__ import annotations

import json
import os
import selectors
import signal
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import TYPE_CHECKING, Any, Literal

import pytest

from hilkit.core.rig import Slot

if TYPE_CHECKING:
    from types import FrameType

    #: what ``signal.signal`` takes and returns
    _SignalHandler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None

STOP_SIGNAL = signal.SIGUSR1     # controller -> runner: finish the running test, then stop
GRACE = 1.0                      # after Ctrl-C: how long a runner has to be interrupted on its own
KILL_AFTER = 4                   # Ctrl-C presses after which the controller kills its runners
_STOPS = {signal.SIGINT, signal.SIGTERM, STOP_SIGNAL}   # what asks a runner to stop; blocked across the fork
_WHILE_SENDING = {*_STOPS, signal.SIGALRM}


def check_parallel(config: pytest.Config) -> None:
    """``--hilkit-parallel`` needs ``os.fork`` (Linux, macOS); it forks its own runners (not inside
    pytest-xdist's workers); and a debugger, or fixture tracing, needs the one terminal a single
    process has (a runner's terminal output goes nowhere)."""
    if not config.getoption("hilkit_parallel"):
        return
    if not hasattr(os, "fork"):
        raise pytest.UsageError("--hilkit-parallel: needs os.fork (Linux or macOS); run the slots one "
                                "after another without it")
    workers = getattr(config.option, "numprocesses", None)  # set only where pytest-xdist is installed
    if workers:
        raise pytest.UsageError(f"--hilkit-parallel: forks one runner per slot itself; leave out "
                                f"pytest-xdist's -n {workers}")
    # --setup-plan implies --setup-only and --setup-show: the first one set is the one the user typed
    for option, flag in (("usepdb", "--pdb"), ("trace", "--trace"), ("setupplan", "--setup-plan"),
                         ("setuponly", "--setup-only"), ("setupshow", "--setup-show")):
        if config.getoption(option, False):
            raise pytest.UsageError(f"--hilkit-parallel: {flag} needs one process at the terminal; debug a "
                                    f"slot without --hilkit-parallel (pick it with --hilkit-profile or -k)")


def deal(items: list[pytest.Item], slot_of: Callable[[pytest.Item], Slot | None], slots: tuple[Slot, ...]
         ) -> tuple[list[tuple[Slot, list[pytest.Item]]], list[pytest.Item]]:
    """Each slot's tests in collection order (slots with none left out), and the tests not per slot."""
    by_name: dict[str, list[pytest.Item]] = {s.name: [] for s in slots}
    rest: list[pytest.Item] = []
    for item in items:
        slot = slot_of(item)
        (by_name[slot.name] if slot is not None else rest).append(item)
    return [(s, by_name[s.name]) for s in slots if by_name[s.name]], rest


def run_here(session: pytest.Session, items: list[pytest.Item]) -> None:
    """Run ``items`` in this process, as pytest's own run loop does."""
    for index, item in enumerate(items):
        nextitem = items[index + 1] if index + 1 < len(items) else None
        item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
        if session.shouldfail:
            raise session.Failed(session.shouldfail)
        if session.shouldstop:
            raise session.Interrupted(session.shouldstop)


# -- the runner (a forked child) --------------------------------------------------------------
class _Forwarder:
    """Runner side: what pytest would report, sent to the controller as JSON lines."""

    def __init__(self, config: pytest.Config, fd: int) -> None:
        self.config = config
        self.fd = fd
        self.broken = False
        self._lock = threading.Lock()  # progress lines may come from a test's threads

    def send(self, message: dict) -> None:
        data = (json.dumps(message, default=repr) + "\n").encode()
        with self._lock:
            if self.broken:
                return
            mask = signal.pthread_sigmask(signal.SIG_BLOCK, set())
            try:
                signal.pthread_sigmask(signal.SIG_BLOCK, _WHILE_SENDING)  # whole messages only
                while data:
                    data = data[os.write(self.fd, data):]
            except OSError:
                self.broken = True  # the controller is gone: stop after this test, tear down, exit
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)

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
    status = 0
    try:
        os.register_at_fork(after_in_child=lambda: _close(fd))  # a test's forked helper must not hold the pipe open

        def stop(signum: int, frame: object) -> None:  # pytest then tears everything down in this test's teardown
            session.shouldstop = session.shouldstop or "hilkit: the controller asked this slot to stop"
        signal.signal(STOP_SIGNAL, stop)
        bind(slot, lambda line: forwarder.send({"progress": line}))
        terminal = config.pluginmanager.get_plugin("terminalreporter")
        if terminal is not None:  # the controller reports; plugins that write through it still can
            from _pytest.config import create_terminal_writer
            terminal._tw = create_terminal_writer(config, open(os.devnull, "w"))  # noqa: SIM115 - lives with the runner
        capture = config.pluginmanager.get_plugin("capturemanager")
        if capture is not None:  # its own capture files: the inherited ones are shared with every runner
            capture.stop_global_capturing()
            capture.start_global_capturing()
            capture.suspend_global_capture()
        config.pluginmanager.register(forwarder, "hilkit-slot-runner")
        try:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)
            for index, item in enumerate(items):
                if forwarder.broken:
                    session.shouldstop = "hilkit: the controller is gone"
                if session.shouldfail or session.shouldstop:
                    break  # asked before this test: it does not start
                nextitem = items[index + 1] if index + 1 < len(items) else None
                item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
        except KeyboardInterrupt as exc:
            _quiet_signals()
            forwarder.send({"interrupted": str(exc) or "KeyboardInterrupt"})
            status = 2
        except pytest.exit.Exception as exc:  # pytest.exit() in a test or fixture: the whole run stops
            _quiet_signals()
            forwarder.send({"exit": exc.msg, "returncode": exc.returncode})
            status = 4
        _quiet_signals()
        _teardown_session(config, session)
    except BaseException:  # noqa: BLE001 - said to the controller; the runner still exits cleanly
        _quiet_signals()
        forwarder.send({"error": traceback.format_exc()})
        try:
            _teardown_session(config, session)
        except BaseException:  # noqa: BLE001
            forwarder.send({"error": traceback.format_exc()})
        status = 3
    forwarder.send({"done": status})
    return status


def _quiet_signals() -> None:
    """While it tears down, a runner lets the signals asking it to stop pass: it is stopping. A
    handler that does nothing, not SIG_IGN, so programs it starts to power off still get them."""
    for signum in _STOPS:
        signal.signal(signum, lambda signum, frame: None)


def _teardown_session(config: pytest.Config, session: pytest.Session) -> None:
    """Tear down whatever fixtures are still set up (after an interrupt), as pytest does at the end
    of a session: pytest's runner plugin owns that stack."""
    runner = config.pluginmanager.get_plugin("runner")
    assert runner is not None  # pytest's own runner plugin: always registered, it cannot be disabled
    runner.pytest_sessionfinish(session)


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


# -- the controller ---------------------------------------------------------------------------
@dataclass
class _Runner:
    slot: Slot
    items: dict[str, pytest.Item]
    pid: int
    fd: int
    pending: list[bytes] = field(default_factory=list)   # the start of a line still being received
    unstarted: str | None = None   # logstart received, replayed next to the test's first outcome
    held: list[pytest.TestReport] = field(default_factory=list)   # its passed setup, until then
    running: str | None = None     # the nodeid between logstart and logfinish
    phases: dict[str, str] = field(default_factory=dict)   # the running test's reports: when -> outcome
    finished: set[str] = field(default_factory=set)
    done: int | None = None        # the status the runner said it ends with
    interrupted: bool = False      # it said it was interrupted (Ctrl-C reached it)
    closed: bool = False           # its pipe is closed
    ended: bool = False            # and it has been reaped
    errors: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return f"slot {self.slot.name} (port {self.slot.port}, runner PID {self.pid})"

    def in_test_body(self) -> bool:
        """Running a test's setup or call (not its teardown, not between tests)."""
        return self.running is not None and "call" not in self.phases and self.phases.get("setup") in (None, "passed")


def run_parallel(session: pytest.Session, groups: list[tuple[Slot, list[pytest.Item]]],
                 bind: Callable[[Slot, Callable[[str], None]], None]) -> None:
    """Fork one runner per group, replay what they report, wait until every one has ended.

    ``bind(slot, say)`` runs in each runner right after the fork: the plugin keeps that slot only,
    and sends its progress lines through ``say`` for the controller to print. Raises what pytest's
    own run loop would: ``session.Failed`` (``-x``), ``session.Interrupted``, KeyboardInterrupt,
    ``pytest.exit``'s exception.
    """
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is not None:  # one base temp directory, made here: runners would each clean it
        factory.getbasetemp()
    sys.stdout.flush()
    sys.stderr.flush()
    runners: list[_Runner] = []
    controller: _Controller | None = None
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, set())
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
        for slot, items in groups:
            read_fd, write_fd = os.pipe()
            pid = os.fork()
            if pid == 0:  # the runner: never returns into the controller's code
                status = 3
                try:
                    os.close(read_fd)
                    for runner in runners:
                        os.close(runner.fd)
                    status = _run_slot(session, slot, items, write_fd, bind)
                finally:
                    try:
                        sys.stdout.flush()
                        sys.stderr.flush()
                    finally:
                        os._exit(status)
            os.close(write_fd)
            runners.append(_Runner(slot, {item.nodeid: item for item in items}, pid, read_fd))
        controller = _Controller(session, runners)
        controller.catch_signals()  # before the unblock: a Ctrl-C that came meanwhile is counted, not raised
    except BaseException:
        if controller is not None:
            controller.release_signals()
        _abandon(runners)  # forking failed part-way: the runners already started stop and tear down
        raise
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    try:
        controller.run()
    except BaseException:  # a reporting hook failed in the controller: stop the runners, then say it
        _abandon([r for r in runners if not r.ended])
        raise
    controller.finish()
    if controller.exit is not None:
        pytest.exit(controller.exit[0], returncode=controller.exit[1])
    if controller.signals or any(r.interrupted for r in runners):
        raise KeyboardInterrupt("hilkit: the slot runners were interrupted")
    if session.shouldfail:
        raise session.Failed(session.shouldfail)
    if session.shouldstop:
        raise session.Interrupted(session.shouldstop)


def _abandon(runners: list[_Runner]) -> None:
    """Stop these runners (they tear down) and wait for them, reading nothing more from them."""
    for runner in runners:
        try:
            os.kill(runner.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        if not runner.closed:
            runner.closed = True
            _close(runner.fd)  # a runner blocked writing to us gets EPIPE
    for runner in runners:
        try:
            os.waitpid(runner.pid, 0)
        except ChildProcessError:
            pass
        runner.ended = True


class _Controller:
    REAP_POLL = 0.05   # s: how often a runner that closed its pipe is looked for, until it exits

    def __init__(self, session: pytest.Session, runners: list[_Runner]) -> None:
        self.session = session
        self.config = session.config
        self.reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        self.runners = runners
        self.selector = selectors.DefaultSelector()
        for runner in runners:
            self.selector.register(runner.fd, selectors.EVENT_READ, runner)
        self.signals = 0               # Ctrl-C / SIGTERM received by the controller
        self.interrupted = False
        self.grace_until: float | None = None
        self.killed = False
        self.told_to_stop = False
        self.exit: tuple[str, int | None] | None = None   # a runner's pytest.exit()
        self._wake: tuple[int, int] | None = None
        self._saved: dict[int, _SignalHandler] = {}

    # -- signals -----------------------------------------------------------------------------
    def catch_signals(self) -> None:
        """From now until :meth:`release_signals`, Ctrl-C and SIGTERM do not raise in this process:
        they are counted, wake the loop, and are acted on between messages. Only the main thread
        can set handlers (pytest run from another thread: the runners still get Ctrl-C from the
        terminal), and a signal the parent process told us to ignore stays ignored."""
        wake_read, wake_write = self._wake = os.pipe()
        os.set_blocking(wake_write, False)
        self.selector.register(wake_read, selectors.EVENT_READ, None)
        if threading.current_thread() is not threading.main_thread():
            return

        def on_signal(signum: int, frame: object) -> None:
            self.signals += 1
            try:
                os.write(wake_write, b"!")
            except OSError:
                pass  # the pipe is full: the loop is awake anyway
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous = signal.getsignal(signum)
            if previous is not signal.SIG_IGN:
                self._saved[signum] = signal.signal(signum, on_signal)

    def release_signals(self) -> None:
        saved, self._saved = self._saved, {}
        for signum, handler in saved.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        wake, self._wake = self._wake, None
        if wake is not None:
            self.selector.unregister(wake[0])
            os.close(wake[0])
            os.close(wake[1])

    # -- the loop ----------------------------------------------------------------------------
    def run(self) -> None:
        """Replay runner messages until every runner has ended."""
        try:
            self._react()  # a signal that came while forking
            while not all(r.ended for r in self.runners):
                timeouts = [self.grace_until - time.monotonic()] if self.grace_until is not None else []
                if any(r.closed and not r.ended for r in self.runners):
                    timeouts.append(self.REAP_POLL)
                for key, _ in self.selector.select(max(0.0, min(timeouts)) if timeouts else None):
                    if key.data is None:
                        os.read(key.fd, 512)
                    else:
                        self._read(key.data)
                self._reap()
                self._react()
        finally:
            self.release_signals()

    def _react(self) -> None:
        if self.signals and not self.interrupted:
            self.interrupted = True  # no runner starts another test; those in one get GRACE to be interrupted
            self.grace_until = time.monotonic() + GRACE
            self._stop_all()
        if self.grace_until is not None and time.monotonic() >= self.grace_until:
            self.grace_until = None  # a runner tearing down is let finish: only a test body is cut short
            self._signal(signal.SIGTERM, only=lambda r: r.in_test_body() and not r.interrupted)
        if self.signals >= KILL_AFTER and not self.killed:
            self.killed = True
            for runner in self._live():
                runner.errors.append(f"killed after {KILL_AFTER} interrupts, before it tore down: "
                                     f"its relay or hub port may still be powered")
            self._signal(signal.SIGKILL)
        if (self.session.shouldfail or self.session.shouldstop or self.exit is not None
                or any(r.interrupted for r in self.runners)):
            self._stop_all()

    def _stop_all(self) -> None:
        if not self.told_to_stop:
            self.told_to_stop = True
            self._signal(STOP_SIGNAL)

    def _live(self) -> list[_Runner]:
        return [r for r in self.runners if not r.ended]

    def _signal(self, signum: int, only: Callable[[_Runner], bool] = lambda r: True) -> None:
        for runner in self._live():  # not reaped: the PID is still this runner's
            if only(runner):
                try:
                    os.kill(runner.pid, signum)
                except ProcessLookupError:
                    pass

    def _reap(self) -> None:
        """Runners whose pipe has closed, once they have exited (never blocking the loop)."""
        for runner in self.runners:
            if runner.closed and not runner.ended:
                try:
                    pid, status = os.waitpid(runner.pid, os.WNOHANG)
                except ChildProcessError:  # reaped by someone else: its status is lost
                    pid, status = runner.pid, 0
                if pid:
                    runner.ended = True
                    self._ended(runner, status)

    # -- messages ----------------------------------------------------------------------------
    def _read(self, runner: _Runner) -> None:
        chunk = os.read(runner.fd, 1 << 16)
        if not chunk:
            self.selector.unregister(runner.fd)
            os.close(runner.fd)
            runner.closed = True
            if runner.pending:
                line = b"".join(runner.pending)
                runner.errors.append(f"its last message was cut off ({len(line)} bytes): {line[:200]!r}")
            return
        *lines, tail = chunk.split(b"\n")  # only the new chunk is searched: a long report stays linear
        if lines:
            lines[0] = b"".join(runner.pending) + lines[0]
            runner.pending = []
        if tail:
            runner.pending.append(tail)
        for line in lines:
            try:
                message = json.loads(line)
            except ValueError:
                runner.errors.append(f"a garbled message ({len(line)} bytes): {line[:200]!r}")
                continue
            self._replay(runner, message)

    def _replay(self, runner: _Runner, message: dict) -> None:
        if "report" in message:
            data = message["report"]
            if isinstance(data.get("longrepr"), list):  # a skip's (path, line, reason): JSON made it a list
                data["longrepr"] = tuple(data["longrepr"])
            report = self.config.hook.pytest_report_from_serializable(config=self.config, data=data)
            if report.nodeid == runner.running:
                runner.phases[report.when] = report.outcome
            if runner.unstarted == report.nodeid and report.when == "setup" and report.passed:
                runner.held.append(report)  # nothing to show yet: another slot's outcome may come first
                return
            self._start(runner, report.nodeid)
            self._log(runner, report)
        elif "logstart" in message:
            runner.unstarted = runner.running = message["logstart"]
            runner.phases = {}
        elif "logfinish" in message:
            nodeid = message["logfinish"]
            self._start(runner, nodeid)
            if nodeid == runner.running:
                runner.running = None
            runner.finished.add(nodeid)
            item = runner.items.get(nodeid)
            (item.ihook if item is not None else self.config.hook).pytest_runtest_logfinish(
                nodeid=nodeid, location=item.location if item is not None else (nodeid, None, nodeid))
        elif "progress" in message:
            if self.reporter is not None:
                self.reporter.write_line(message["progress"])
        elif "warning" in message:
            self._warn(message["warning"])
        elif "interrupted" in message:
            runner.interrupted = True
        elif "exit" in message:
            self.exit = (message["exit"], message["returncode"])
        elif "error" in message:
            runner.errors.append(message["error"])
        elif "done" in message:
            runner.done = message["done"]

    def _start(self, runner: _Runner, nodeid: str) -> None:
        """Replay a test's logstart (and its passed setup) next to its first outcome: with 8 slots
        running tests at once, a verbose terminal would otherwise print each test's line twice,
        once bare when it starts and again with its outcome."""
        if runner.unstarted == nodeid:
            runner.unstarted = None
            item = runner.items.get(nodeid)
            if item is not None:
                item.ihook.pytest_runtest_logstart(nodeid=nodeid, location=item.location)
            held, runner.held = runner.held, []
            for report in held:
                self._log(runner, report)

    def _log(self, runner: _Runner, report: pytest.TestReport) -> None:
        item = runner.items.get(report.nodeid)  # a plugin may report on a node of its own
        (item.ihook if item is not None else self.config.hook).pytest_runtest_logreport(report=report)

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

    def _ended(self, runner: _Runner, status: int) -> None:
        """The runner has exited. One that did not say it was done fails the test it was running,
        in the phase it died in: setup and teardown as errors, the call as a failure."""
        if runner.done is not None:
            return
        how = (f"was killed by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
               else f"exited with status {os.waitstatus_to_exitcode(status)}")
        runner.errors.append(f"{runner.describe()} {how} before it finished")
        nodeid = runner.running
        if nodeid is None:
            return
        item = runner.items.get(nodeid)
        if item is None:
            return
        self._start(runner, nodeid)
        when: Literal["setup", "call", "teardown"] = (
            "setup" if "setup" not in runner.phases else
            "call" if "call" not in runner.phases and runner.phases["setup"] == "passed" else "teardown")
        report = pytest.TestReport(nodeid, item.location, {}, "failed",
                                   f"{runner.describe()} ended during this test's {when} ({how})", when)
        item.ihook.pytest_runtest_logreport(report=report)
        item.ihook.pytest_runtest_logfinish(nodeid=nodeid, location=item.location)
        runner.finished.add(nodeid)
        runner.running = None
        runner.errors.pop()  # said in the test's own report

    def finish(self) -> None:
        """What went wrong in a runner outside its tests (and tests that never ran for it) is an
        error of the run: one error report per slot, in the summary and in JUnit."""
        for runner in self.runners:
            unrun = [nodeid for nodeid in runner.items if nodeid not in runner.finished]
            problems = list(runner.errors)
            if unrun and not (self.told_to_stop or runner.interrupted):
                problems.append(f"{len(unrun)} of its tests did not run: {', '.join(unrun[:3])}"
                                + (" ..." if len(unrun) > 3 else ""))
            if not problems:
                continue
            nodeid = f"hilkit-slot-runner[{runner.slot.name}]"
            report = pytest.TestReport(nodeid, (nodeid, None, f"slot runner {runner.slot.name}"), {}, "failed",
                                       "\n".join([runner.describe() + ":", *(p.rstrip() for p in problems)]),
                                       "teardown")
            self.config.hook.pytest_runtest_logreport(report=report)
