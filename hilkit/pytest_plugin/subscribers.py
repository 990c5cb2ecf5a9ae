"""The session's subscribers to hilkit's events (steps, evidence, measurements): progress lines on
the terminal, and Allure's results through allure-pytest."""
from __future__ import annotations

import os

import pytest

from hilkit.core.events import BUS, Event, Identified
from hilkit.pytest_plugin.keys import IDENTITIES, PROGRESS
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


def subscribe_identities(config: pytest.Config) -> None:
    """Keep what each slot's modem said it is, for every result of the slot and the environment."""
    seen: dict[str, dict[str, str]] = {}
    config.stash[IDENTITIES] = seen

    def keep(event: Event) -> None:
        if isinstance(event, Identified):
            seen[event.slot] = dict(event.labels)
    config.add_cleanup(BUS.subscribe(keep))
