"""The controller: deals the collected tests out by slot, forks one runner per slot, replays what
they report, acts on Ctrl-C and SIGTERM, and waits until every runner has ended."""
from __future__ import annotations

import os
import selectors
import signal
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import pytest

from hilkit.core.rig import Slot
from hilkit.pytest_plugin.parallel.pytest_internals import make_basetemp
from hilkit.pytest_plugin.parallel.replay import Replay, RunnerState
from hilkit.pytest_plugin.parallel.runner import run_slot
from hilkit.pytest_plugin.parallel.spawn import STOP_SIGNAL, STOPS, blocked, close_quietly, fork_runner
from hilkit.pytest_plugin.parallel.wire import decode, split_lines

if TYPE_CHECKING:
    from types import FrameType

    #: what ``signal.signal`` takes and returns
    _SignalHandler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None

GRACE = 1.0                      # after Ctrl-C: how long a runner has to be interrupted on its own
KILL_AFTER = 4                   # Ctrl-C presses after which the controller kills its runners


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


def run_parallel(session: pytest.Session, groups: list[tuple[Slot, list[pytest.Item]]],
                 bind: Callable[[Slot, Callable[[str], None]], None]) -> None:
    """Fork one runner per group, replay what they report, wait until every one has ended.

    ``bind(slot, say)`` runs in each runner right after the fork: the plugin keeps that slot only,
    and sends its progress lines through ``say`` for the controller to print. Raises what pytest's
    own run loop would: ``session.Failed`` (``-x``), ``session.Interrupted``, KeyboardInterrupt,
    ``pytest.exit``'s exception.
    """
    make_basetemp(session.config)  # one base temp directory, made here: runners would each clean it
    sys.stdout.flush()
    sys.stderr.flush()
    runners: list[RunnerState] = []
    controller: _Controller | None = None
    with blocked(STOPS):
        try:
            for slot, items in groups:
                pid, fd = fork_runner(partial(run_slot, session, slot, items, bind), [r.fd for r in runners])
                runners.append(RunnerState(slot, {item.nodeid: item for item in items}, pid, fd))
            controller = _Controller(session, runners)
            controller.catch_signals()  # before the unblock: a Ctrl-C that came meanwhile is counted, not raised
        except BaseException:
            if controller is not None:
                controller.release_signals()
            _abandon(runners)  # forking failed part-way: the runners already started stop and tear down
            raise
    try:
        controller.run()
    except BaseException:  # a reporting hook failed in the controller: stop the runners, then say it
        _abandon([r for r in runners if not r.ended])
        raise
    controller.finish()
    if controller.replay.exit is not None:
        pytest.exit(controller.replay.exit[0], returncode=controller.replay.exit[1])
    if controller.signals or any(r.interrupted for r in runners):
        raise KeyboardInterrupt("hilkit: the slot runners were interrupted")
    if session.shouldfail:
        raise session.Failed(session.shouldfail)
    if session.shouldstop:
        raise session.Interrupted(session.shouldstop)


def _abandon(runners: list[RunnerState]) -> None:
    """Stop these runners (they tear down) and wait for them, reading nothing more from them."""
    for runner in runners:
        try:
            os.kill(runner.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        if not runner.closed:
            runner.closed = True
            close_quietly(runner.fd)  # a runner blocked writing to us gets EPIPE
    for runner in runners:
        try:
            os.waitpid(runner.pid, 0)
        except ChildProcessError:
            pass
        runner.ended = True


class _Controller:
    REAP_POLL = 0.05   # s: how often a runner that closed its pipe is looked for, until it exits

    def __init__(self, session: pytest.Session, runners: list[RunnerState]) -> None:
        self.session = session
        self.replay = Replay(session.config)
        self.runners = runners
        self.selector = selectors.DefaultSelector()
        for runner in runners:
            self.selector.register(runner.fd, selectors.EVENT_READ, runner)
        self.signals = 0               # Ctrl-C / SIGTERM received by the controller
        self.interrupted = False
        self.grace_until: float | None = None
        self.killed = False
        self.told_to_stop = False
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
        if (self.session.shouldfail or self.session.shouldstop or self.replay.exit is not None
                or any(r.interrupted for r in self.runners)):
            self._stop_all()

    def _stop_all(self) -> None:
        if not self.told_to_stop:
            self.told_to_stop = True
            self._signal(STOP_SIGNAL)

    def _live(self) -> list[RunnerState]:
        return [r for r in self.runners if not r.ended]

    def _signal(self, signum: int, only: Callable[[RunnerState], bool] = lambda r: True) -> None:
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
                    self.replay.ended(runner, status)

    def _read(self, runner: RunnerState) -> None:
        chunk = os.read(runner.fd, 1 << 16)
        if not chunk:
            self.selector.unregister(runner.fd)
            os.close(runner.fd)
            runner.closed = True
            if runner.pending:
                line = b"".join(runner.pending)
                runner.errors.append(f"its last message was cut off ({len(line)} bytes): {line[:200]!r}")
            return
        for line in split_lines(runner.pending, chunk):
            try:
                message = decode(line)
            except ValueError:
                runner.errors.append(f"a garbled message ({len(line)} bytes): {line[:200]!r}")
                continue
            self.replay.message(runner, message)

    def finish(self) -> None:
        self.replay.finish(self.runners, self.told_to_stop)
