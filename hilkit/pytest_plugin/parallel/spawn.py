"""Spawning the slot runners: whether ``--hilkit-parallel`` can run here, the signals that ask a
runner to stop (blocked across the fork and while a runner sends), and the fork itself."""
from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import pytest

STOP_SIGNAL = signal.SIGUSR1     # controller -> runner: finish the running test, then stop
STOPS = {signal.SIGINT, signal.SIGTERM, STOP_SIGNAL}   # what asks a runner to stop; blocked across the fork


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


@contextmanager
def blocked(signals: Iterable[signal.Signals]) -> Iterator[None]:
    """In this thread, ``signals`` wait (they are not lost) until the block ends."""
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, set())
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, signals)
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def unblock_stops() -> None:
    """In a runner, once it is ready: the signals asking it to stop, blocked since the fork, arrive."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPS)


def quiet_stops() -> None:
    """While it tears down, a runner lets the signals asking it to stop pass: it is stopping. A
    handler that does nothing, not SIG_IGN, so programs it starts to power off still get them."""
    for signum in STOPS:
        signal.signal(signum, lambda signum, frame: None)


def fork_runner(run: Callable[[int], int], inherited: Iterable[int]) -> tuple[int, int]:
    """Fork a runner with a pipe to this process; returns its PID and the pipe's read end.

    The child closes the read end and the ``inherited`` descriptors (the earlier runners' pipes),
    calls ``run(write_fd)`` and exits with its status: it never returns into the controller's code.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 3
        try:
            os.close(read_fd)
            for fd in inherited:
                os.close(fd)
            status = run(write_fd)
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(status)
    os.close(write_fd)
    return pid, read_fd


def close_quietly(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass
