"""The session's subscribers to hilkit's events (steps, evidence, measurements): progress lines on
the terminal, and Allure's results through allure-pytest."""
from __future__ import annotations

import os

import pytest

from hilkit.core.events import BUS
from hilkit.pytest_plugin.keys import PROGRESS
from hilkit.report.allure_writer import AllureWriter
from hilkit.report.progress import ProgressLines


def subscribe_progress(config: pytest.Config) -> None:
    """Progress lines on the terminal (a subscriber to the steps), unless off, in CI or piped."""
    choice = config.getoption("hilkit_progress")
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or choice == "off" or (choice == "auto" and (os.environ.get("CI") or not reporter.isatty)):
        return
    progress = ProgressLines(reporter.write_line)
    config.stash[PROGRESS] = progress
    config.add_cleanup(BUS.subscribe(progress))


def subscribe_allure(config: pytest.Config) -> None:
    """Steps, evidence, measurements and labels into allure-pytest's results, when it writes any."""
    if config.pluginmanager.hasplugin("allure_pytest") or config.getoption("allure_report_dir", None):
        config.add_cleanup(BUS.subscribe(AllureWriter()))
