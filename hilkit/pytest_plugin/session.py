"""The session's life: configure (markers, settings, the rig), the subscribers at its start,
Allure's extra files at its end, the report header, and SIGTERM taken as Ctrl-C."""
from __future__ import annotations

import signal
from pathlib import Path

import pytest

from hilkit.core.errors import SourceError
from hilkit.lab.registry import load_rig
from hilkit.pytest_plugin.health import start_health
from hilkit.pytest_plugin.keys import IDENTITIES, LAB_ENVIRONMENT, MEASUREMENTS, OPEN_DONGLES, RIG, SETTINGS
from hilkit.pytest_plugin.markers import register_markers
from hilkit.pytest_plugin.options import read_settings
from hilkit.pytest_plugin.parallel import check_parallel
from hilkit.pytest_plugin.subscribers import subscribe_allure, subscribe_identities, subscribe_progress
from hilkit.report.results_files import (
    environment,
    label_slot_results,
    write_categories,
    write_environment,
    write_executor,
)


def pytest_configure(config: pytest.Config) -> None:
    register_markers(config)
    settings = read_settings(config)
    config.stash[SETTINGS] = settings
    config.stash[OPEN_DONGLES] = []
    rig = None
    if settings.rig_path:
        try:
            rig = load_rig(settings.rig_path)
        except SourceError as exc:
            raise pytest.UsageError(str(exc)) from None
        if not rig.slots:
            raise pytest.UsageError(f"rig {rig.name} ({rig.path}) has no slots: nothing to test on it "
                                    "(a rig without slots serves `hilkit switch`; name a rig with slots)")
        known = {s.profile.key for s in rig.slots}
        for name in settings.profiles:
            if name not in known:
                raise pytest.UsageError(f"--hilkit-profile {name}: no slot of rig {rig.name} ({rig.path}) has "
                                        f"this profile (expected one of: {', '.join(sorted(known))})")
    config.stash[RIG] = rig
    if rig is not None:
        start_health(config, rig)
    check_parallel(config)
    alluredir = config.getoption("allure_report_dir", None)
    path = config.getoption("hilkit_measurements") or (
        str(Path(alluredir) / "hilkit-measurements.jsonl") if alluredir else None)
    config.stash[MEASUREMENTS] = Path(path) if path else None
    _sigterm_as_interrupt()


def pytest_sessionstart(session: pytest.Session) -> None:
    subscribe_allure(session.config)
    subscribe_identities(session.config)
    subscribe_progress(session.config)


def _sigterm_as_interrupt() -> None:
    """SIGTERM (a CI job cancelled) takes the Ctrl-C path, so fixtures tear down and relays go to rest."""
    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")
    try:
        if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, handler)
    except ValueError:
        pass  # not the main thread: leave signals alone


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Allure's extra files: failure categories, the environment, the CI executor."""
    alluredir = session.config.getoption("allure_report_dir", None)
    rig = session.config.stash.get(RIG, None)
    if not alluredir or rig is None or hasattr(session.config, "workerinput"):
        return  # under pytest-xdist the controller writes them, once
    results = Path(alluredir)
    results.mkdir(parents=True, exist_ok=True)
    write_categories(results)
    opened = session.config.stash.get(LAB_ENVIRONMENT, {})
    identities = session.config.stash.get(IDENTITIES, {})
    modems = {f"slot.{slot}.{name}": value for slot, labels in sorted(identities.items())
              for name, value in labels.items()}
    write_environment(results, {**environment(rig.name, rig.path, rig.backend), **opened, **modems})
    label_slot_results(results, identities)
    write_executor(results)


def pytest_report_header(config: pytest.Config) -> str:
    settings, rig = config.stash[SETTINGS], config.stash[RIG]
    if rig is None:
        return "hilkit: no rig (tests that need a dongle are skipped)"
    slots = ", ".join(f"{s.name}={s.profile.key}@{s.port}" for s in rig.slots)
    mode = "; every slot at once, a forked runner each" if config.getoption("hilkit_parallel") else ""
    return f"hilkit: rig {rig.name} [{rig.backend}] from {rig.path} ({settings.source}); slots: {slots}{mode}"
