"""The slot runner, a forked child of the controller: keeps only its slot, runs its tests through
pytest's own ``pytest_runtest_protocol``, sends what pytest reports over the wire, and tears its
fixtures down (relays at rest) however it ends."""
from __future__ import annotations

import os
import signal
import threading
import traceback
import warnings
from collections.abc import Callable

import pytest

from hilkit.core.rig import Slot
from hilkit.pytest_plugin.parallel.pytest_internals import restart_global_capture, silence_terminal
from hilkit.pytest_plugin.parallel.spawn import STOP_SIGNAL, STOPS, blocked, close_quietly, quiet_stops, unblock_stops
from hilkit.pytest_plugin.parallel.wire import encode, warning_data

WHILE_SENDING = {*STOPS, signal.SIGALRM}


class _Forwarder:
    """Runner side: what pytest would report, sent to the controller as JSON lines."""

    def __init__(self, config: pytest.Config, fd: int) -> None:
        self.config = config
        self.fd = fd
        self.broken = False
        self._lock = threading.Lock()  # progress lines may come from a test's threads

    def send(self, message: dict) -> None:
        data = encode(message)
        with self._lock:
            if self.broken:
                return
            with blocked(WHILE_SENDING):  # whole messages only
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
        self.send({"warning": warning_data(warning_message, nodeid)})


def run_slot(session: pytest.Session, slot: Slot, items: list[pytest.Item],
             bind: Callable[[Slot, Callable[[str], None]], None], fd: int) -> int:
    """The runner's whole life after the fork; returns its exit status."""
    config = session.config
    forwarder = _Forwarder(config, fd)
    status = 0
    try:
        # a test's forked helper must not hold the pipe open
        os.register_at_fork(after_in_child=lambda: close_quietly(fd))

        def stop(signum: int, frame: object) -> None:  # pytest then tears everything down in this test's teardown
            session.shouldstop = session.shouldstop or "hilkit: the controller asked this slot to stop"
        signal.signal(STOP_SIGNAL, stop)
        bind(slot, lambda line: forwarder.send({"progress": line}))
        silence_terminal(config)  # the controller reports; plugins that write through it still can
        restart_global_capture(config)  # its own capture files: the inherited ones are shared with every runner
        config.pluginmanager.register(forwarder, "hilkit-slot-runner")
        try:
            unblock_stops()
            for index, item in enumerate(items):
                if forwarder.broken:
                    session.shouldstop = "hilkit: the controller is gone"
                if session.shouldfail or session.shouldstop:
                    break  # asked before this test: it does not start
                nextitem = items[index + 1] if index + 1 < len(items) else None
                item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
        except KeyboardInterrupt as exc:
            quiet_stops()
            forwarder.send({"interrupted": str(exc) or "KeyboardInterrupt"})
            status = 2
        except pytest.exit.Exception as exc:  # pytest.exit() in a test or fixture: the whole run stops
            quiet_stops()
            forwarder.send({"exit": exc.msg, "returncode": exc.returncode})
            status = 4
        quiet_stops()
        _teardown_session(config, session)
    except BaseException:  # noqa: BLE001 - said to the controller; the runner still exits cleanly
        quiet_stops()
        forwarder.send({"error": traceback.format_exc()})
        try:
            _teardown_session(config, session)
        except BaseException:  # noqa: BLE001
            forwarder.send({"error": traceback.format_exc()})
        status = 3
    forwarder.send({"done": status})
    return status


def _teardown_session(config: pytest.Config, session: pytest.Session) -> None:
    """Tear down whatever fixtures are still set up (after an interrupt), as pytest does at the end
    of a session: pytest's runner plugin owns that stack, in its ``pytest_sessionfinish``. Only that
    implementation is called: the other plugins' (the terminal summary, JUnit's file, Allure's extra
    files, the cache) are the controller's, once."""
    runner = config.pluginmanager.get_plugin("runner")
    assert runner is not None  # pytest's own runner plugin: always registered, it cannot be disabled
    others = [impl.plugin for impl in config.hook.pytest_sessionfinish.get_hookimpls() if impl.plugin is not runner]
    finish = config.pluginmanager.subset_hook_caller("pytest_sessionfinish", remove_plugins=others)
    finish(session=session, exitstatus=session.exitstatus)
