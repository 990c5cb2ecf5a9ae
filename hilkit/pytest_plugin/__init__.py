"""The pytest plugin (the ``hilkit`` pytest11 entry point): options, markers, one test per slot,
and fixtures that leave the rig safe.

Settings come from the command line, then the environment, then the ini file
(:mod:`~hilkit.pytest_plugin.options`); by default the rig is the virtual lab, ``lab/virtual.yaml``.
``--hilkit-parallel`` runs every slot at once, one forked runner per slot (:mod:`hilkit.pytest_plugin.parallel`).
The session's process holds a lock per slot it drives (:mod:`hilkit.lab.slotlock`), so two runs on
one host never drive the same dongle.

Each concern is a module of its own, as in pytest's ``_pytest/``: options, markers, session (configure,
start, end, header, SIGTERM), interrupt_traceback (an interrupt pytest can print), subscribers
(progress, Allure), parametrize (one test per slot), locks, run_loop, timeouts, per_test_measurements,
fault_injection, fixtures; keys holds the stash keys they share. This module only gathers the hooks
and fixtures pytest looks for on the plugin.
"""
from hilkit.pytest_plugin.fixtures import dongle, lab, modem, rig, slot, usb_bus
from hilkit.pytest_plugin.health import pytest_terminal_summary
from hilkit.pytest_plugin.interrupt_traceback import pytest_keyboard_interrupt
from hilkit.pytest_plugin.options import pytest_addoption
from hilkit.pytest_plugin.parametrize import pytest_generate_tests
from hilkit.pytest_plugin.per_test_measurements import pytest_runtest_makereport, pytest_runtest_protocol
from hilkit.pytest_plugin.run_loop import pytest_runtestloop
from hilkit.pytest_plugin.session import (
    pytest_configure,
    pytest_report_header,
    pytest_sessionfinish,
    pytest_sessionstart,
)
from hilkit.pytest_plugin.timeouts import pytest_collection_modifyitems

__all__ = [
    # hooks
    "pytest_addoption", "pytest_collection_modifyitems", "pytest_configure", "pytest_generate_tests",
    "pytest_keyboard_interrupt", "pytest_report_header", "pytest_runtest_makereport", "pytest_runtest_protocol",
    "pytest_runtestloop",
    "pytest_sessionfinish", "pytest_sessionstart", "pytest_terminal_summary",
    # fixtures
    "dongle", "lab", "modem", "rig", "slot", "usb_bus",
]
