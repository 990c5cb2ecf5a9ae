"""The only places the parallel runs reach into pytest's internals, one function each, where
pytest offers no public way to do the same. Each was checked on pytest 7.4.0 and 9.2.0, the ends
of the range pyproject.toml claims (scripts/pytest-range runs the tests on the oldest)."""
from __future__ import annotations

import os

import pytest


def make_basetemp(config: pytest.Config) -> None:
    """Make the session's base temp directory now, in the controller: runners would each make
    (and clean) one of their own.

    Internal: ``config._tmp_path_factory``, the factory the ``tmp_path_factory`` fixture returns. A
    fixture cannot be asked for outside a test, and ``TempPathFactory.from_config`` makes a second
    factory (another numbered directory, not the one the runners' ``tmp_path`` uses).
    Checked on pytest 7.4.0 and 9.2.0.
    """
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is not None:  # None: the tmpdir plugin is disabled (-p no:tmpdir)
        factory.getbasetemp()


def silence_terminal(config: pytest.Config) -> None:
    """In a runner: its terminal reporter writes to /dev/null (the controller reports); plugins
    that write through it still can.

    Internal: ``TerminalReporter._tw`` and ``_pytest.config.create_terminal_writer``. pytest has no
    public way to point its reporter elsewhere; replacing the reporter would lose its session
    state and the references plugins hold to it. Checked on pytest 7.4.0 and 9.2.0.
    """
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if terminal is not None:
        from _pytest.config import create_terminal_writer
        terminal._tw = create_terminal_writer(config, open(os.devnull, "w"))  # noqa: SIM115 - lives with the runner


def restart_global_capture(config: pytest.Config) -> None:
    """In a runner: capture files of its own, as the inherited ones are shared with every runner.

    Internal: the ``capturemanager`` plugin's global-capture methods (pytest exports only the
    capture fixtures, not ``CaptureManager``). Checked on pytest 7.4.0 and 9.2.0.
    """
    capture = config.pluginmanager.get_plugin("capturemanager")
    if capture is not None:
        capture.stop_global_capturing()
        capture.start_global_capturing()
        capture.suspend_global_capture()
