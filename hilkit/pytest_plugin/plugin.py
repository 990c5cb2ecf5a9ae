"""The pytest plugin: options, markers, one test per slot, and fixtures that leave the rig safe.

Settings come from the command line, then the environment, then the ini file:
``--hilkit-rig`` / ``HILKIT_RIG`` / ``hilkit_rig`` (default: the virtual lab, ``lab/virtual.yaml``),
``--hilkit-profile`` / ``HILKIT_PROFILE`` / ``hilkit_profile`` (only slots with these profiles),
``--hilkit-lock-dir`` / ``HILKIT_LOCK_DIR`` / ``hilkit_lock_dir`` (where slot locks live).

``--hilkit-parallel`` runs every slot at once, one forked runner per slot (:mod:`hilkit.pytest_plugin.parallel`).
The session's process holds a lock per slot it drives (:mod:`hilkit.lab.slotlock`), so two runs on
one host never drive the same dongle.
"""
from __future__ import annotations

import os
import signal
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from hilkit.config.paths import default_rig
from hilkit.core.errors import HilkitError, SourceError
from hilkit.core.events import BUS, Subject
from hilkit.core.faults import FaultSpec, parse_fault
from hilkit.core.rig import Rig, Slot
from hilkit.dut import Dongle
from hilkit.lab.contract import Capability, LabBackend
from hilkit.lab.registry import lab_class, load_rig, open_lab
from hilkit.lab.slotlock import SlotBusy, SlotLock, SlotLocks, default_lock_dir, lock_path
from hilkit.modem.at import AtClient
from hilkit.report.allure_writer import AllureWriter
from hilkit.report.measurement_lines import MeasurementLines
from hilkit.report.progress import ProgressLines
from hilkit.report.results_files import environment, write_categories, write_environment, write_executor
from hilkit.usb.bus import UsbBus

if TYPE_CHECKING:
    from pluggy import Result

MEASUREMENTS_HELP = ("JSON-lines file of every measurement (value, unit, limits, test, slot); "
                     "default: hilkit-measurements.jsonl in the --alluredir directory")
RIG_HELP = "rig file naming slots (power switch, USB port path, profile); default: the virtual lab"
PROFILE_HELP = "only test slots whose profile is this (e.g. huawei/e3131); repeatable"
LOCK_DIR_HELP = ("directory of the slot locks (default: /run/lock/hilkit, else $XDG_RUNTIME_DIR/hilkit/locks); "
                 "naming one also locks a virtual rig's slots, whose dongles otherwise live in each run")
FEATURES = ("switches", "refuse", "attach", "attach:at", "attach:hilink", "attach:modemmanager")


@dataclass(frozen=True)
class Settings:
    rig_path: str | None
    profiles: tuple[str, ...]
    source: str
    lock_dir: str | None = None   # named explicitly (option, environment or ini)
    slot_wait: float = 0.0


SETTINGS = pytest.StashKey[Settings]()
LOCKS = pytest.StashKey[SlotLocks]()
MEASUREMENTS = pytest.StashKey["Path | None"]()
RIG = pytest.StashKey["Rig | None"]()  # a parallel slot runner's: its own slot only
OPEN_DONGLES = pytest.StashKey[list]()
OUTCOME = pytest.StashKey[str]()
PROGRESS = pytest.StashKey[ProgressLines]()  # the progress subscriber, when lines are shown
RUNNER_INDEX = pytest.StashKey[int]()  # in a --hilkit-parallel slot runner: its slot's index in the rig


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hilkit", "hilkit: USB cellular modem rigs")
    group.addoption("--hilkit-rig", metavar="PATH", default=None, help=RIG_HELP)
    group.addoption("--hilkit-profile", metavar="NAME", action="append", default=None, help=PROFILE_HELP)
    group.addoption("--hilkit-measurements", metavar="PATH", default=None, help=MEASUREMENTS_HELP)
    group.addoption("--hilkit-fault", metavar="NAME[:P[:N]]", action="append", default=[],
                    help="virtual lab: inject a fault with probability P (default 1), at most N times "
                         "(per slot under --hilkit-parallel)")
    group.addoption("--hilkit-fault-seed", metavar="N", type=int, default=None, help="seed of the fault dice")
    group.addoption("--hilkit-budget-scale", metavar="F", type=float, default=1.0,
                    help="multiply the profiles' time budgets (e.g. 0.05 on the virtual lab's fast dongles)")
    group.addoption("--hilkit-progress", choices=("auto", "on", "off"), default="auto",
                    help="print each phase (slot, step, elapsed) as it starts; auto: on a terminal, not in CI")
    group.addoption("--hilkit-parallel", action="store_true", default=False,
                    help="run every slot at once: one forked runner per slot, each opening only its slot")
    group.addoption("--hilkit-slot-wait", metavar="SECONDS", type=float, default=0.0,
                    help="wait up to this long for a slot another run holds (default 0: fail at once)")
    group.addoption("--hilkit-lock-dir", metavar="DIR", default=None, help=LOCK_DIR_HELP)
    parser.addini("hilkit_rig", RIG_HELP, default=None)
    parser.addini("hilkit_profile", PROFILE_HELP, type="linelist", default=[])
    parser.addini("hilkit_lock_dir", LOCK_DIR_HELP, default=None)


def _settings(config: pytest.Config) -> Settings:
    rig, source = config.getoption("hilkit_rig"), "--hilkit-rig"
    if not rig and os.environ.get("HILKIT_RIG"):
        rig, source = os.environ["HILKIT_RIG"], "HILKIT_RIG"
    if not rig and config.getini("hilkit_rig"):
        rig, source = str(config.rootpath / config.getini("hilkit_rig")), "hilkit_rig (ini)"
    if not rig:
        found = default_rig(config.rootpath)
        rig, source = (str(found), "default virtual lab") if found else (None, "none")
    profiles = config.getoption("hilkit_profile") or (
        [os.environ["HILKIT_PROFILE"]] if os.environ.get("HILKIT_PROFILE") else config.getini("hilkit_profile"))
    lock_dir = config.getoption("hilkit_lock_dir") or os.environ.get("HILKIT_LOCK_DIR") or (
        str(config.rootpath / config.getini("hilkit_lock_dir")) if config.getini("hilkit_lock_dir") else None)
    wait = config.getoption("hilkit_slot_wait")
    if wait < 0:
        raise pytest.UsageError(f"--hilkit-slot-wait {wait:g}: must not be negative (expected seconds >= 0)")
    return Settings(rig, tuple(profiles), source, lock_dir, wait)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "profile(*names): run only on slots whose profile is one of names "
                                       "(e.g. 'huawei/e3531')")
    config.addinivalue_line("markers", "mode(name): the dongle fixture brings the dongle into this profile mode")
    config.addinivalue_line("markers", "hilkit_phase(name, severity='critical'): the phase a test checks "
                                       "(power, enumeration, switch, attach): the Allure feature")
    config.addinivalue_line("markers", "hilkit_fault(name, probability=1.0, count=None): inject this fault "
                                       "in the virtual lab for this test (see hilkit.sim.model.fault_dice.FAULTS)")
    config.addinivalue_line("markers", "hilkit_requires(*features): run only on slots whose profile has these "
                                       f"({', '.join(FEATURES)})")
    settings = _settings(config)
    config.stash[SETTINGS] = settings
    config.stash[OPEN_DONGLES] = []
    rig = None
    if settings.rig_path:
        try:
            rig = load_rig(settings.rig_path)
        except SourceError as exc:
            raise pytest.UsageError(str(exc)) from None
        known = {s.profile.key for s in rig.slots}
        for name in settings.profiles:
            if name not in known:
                raise pytest.UsageError(f"--hilkit-profile {name}: no slot of rig {rig.name} ({rig.path}) has "
                                        f"this profile (expected one of: {', '.join(sorted(known))})")
    config.stash[RIG] = rig
    from hilkit.pytest_plugin.parallel import check_parallel
    check_parallel(config)
    alluredir = config.getoption("allure_report_dir", None)
    path = config.getoption("hilkit_measurements") or (
        str(Path(alluredir) / "hilkit-measurements.jsonl") if alluredir else None)
    config.stash[MEASUREMENTS] = Path(path) if path else None
    _sigterm_as_interrupt()


def pytest_sessionstart(session: pytest.Session) -> None:
    _allure(session.config)
    _progress(session.config)


def _progress(config: pytest.Config) -> None:
    """Progress lines on the terminal (a subscriber to the steps), unless off, in CI or piped."""
    choice = config.getoption("hilkit_progress")
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or choice == "off" or (choice == "auto" and (os.environ.get("CI") or not reporter.isatty)):
        return
    progress = ProgressLines(reporter.write_line)
    config.stash[PROGRESS] = progress
    config.add_cleanup(BUS.subscribe(progress))


def _allure(config: pytest.Config) -> None:
    """Steps, evidence, measurements and labels into allure-pytest's results, when it writes any."""
    if config.pluginmanager.hasplugin("allure_pytest") or config.getoption("allure_report_dir", None):
        config.add_cleanup(BUS.subscribe(AllureWriter()))


def _sigterm_as_interrupt() -> None:
    """SIGTERM (a CI job cancelled) takes the Ctrl-C path, so fixtures tear down and relays go to rest."""
    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")
    try:
        if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, handler)
    except ValueError:
        pass  # not the main thread: leave signals alone


def _slot_of(item: pytest.Item) -> Slot | None:
    return getattr(getattr(item, "callspec", None), "params", {}).get("slot")


def hold_slots(config: pytest.Config, rig: Rig, slots: list[Slot]) -> None:
    """Lock ``slots`` for the rest of the session (released at unconfigure, whatever ended it),
    or stop the run with one line naming the holder. Nothing to lock on a virtual rig unless a
    lock directory is named."""
    settings = config.stash[SETTINGS]
    if not slots or not (settings.lock_dir or Capability.HOST_HARDWARE in lab_class(rig).capabilities):
        return
    directory = Path(settings.lock_dir) if settings.lock_dir else default_lock_dir()
    locks = SlotLocks(SlotLock(lock_path(directory, rig.name, s.port), f"slot {s.name} (port {s.port})")
                      for s in slots)
    try:
        locks.acquire(settings.slot_wait)
    except SlotBusy as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[LOCKS] = locks
    config.add_cleanup(locks.release)


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    """Before the first test: lock every slot a collected test will drive (uses the lab).
    Under ``--hilkit-parallel``, then run the tests: one forked runner per slot."""
    config = session.config
    rig = config.stash.get(RIG, None)
    if rig is None or config.option.collectonly:
        return None
    if session.testsfailed and not config.option.continue_on_collection_errors:
        return None  # pytest's own loop stops the run on collection errors
    items: list[pytest.Item] | None = getattr(session, "items", None)
    if items is None:
        return None  # pytest-xdist's controller collects nothing (pytest < 9 has no items then)
    driven: dict[str, Slot] = {}
    for item in items:
        slot = _slot_of(item)
        if slot is not None and "lab" in getattr(item, "fixturenames", ()):
            driven[slot.name] = slot
    hold_slots(config, rig, list(driven.values()))
    if not config.getoption("hilkit_parallel") or not items:
        return None
    from hilkit.pytest_plugin.parallel import deal, run_here, run_parallel

    def keep_only(slot: Slot, say: Callable[[str], None]) -> None:  # in the runner, right after the fork
        config.stash[RIG] = replace(rig, slots=(slot,))
        config.stash[RUNNER_INDEX] = rig.slots.index(slot)
        progress = config.stash.get(PROGRESS, None)
        if progress is not None:
            progress.write = say  # printed by the controller

    per_slot, rest = deal(items, _slot_of, rig.slots)
    if per_slot:
        run_parallel(session, per_slot, keep_only)
    run_here(session, rest)  # after the runners, with the whole rig, as in a one-process run
    return True


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, object, None]:
    """Collect the test's measurements; append them to the measurements file when it ends."""
    lines = MeasurementLines()
    item.stash[OUTCOME] = "passed"
    unsubscribe = BUS.subscribe(lines)
    try:
        yield
    finally:
        unsubscribe()
        path = item.config.stash[MEASUREMENTS]
        if path is not None:
            slot = _slot_of(item)
            context: dict[str, Any] = {"test": item.nodeid, "outcome": item.stash[OUTCOME]}
            if slot is not None:
                context.update(slot=slot.name, port=slot.port, profile=slot.profile.key)
                loaded = item.config.stash[RIG]
                context["rig"] = loaded.name if loaded else ""
            lines.write(path, context)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Generator[None, Result[pytest.TestReport], None]:
    report = (yield).get_result()
    if report.failed:
        item.stash[OUTCOME] = "failed" if report.when == "call" else "error"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give every test on a slot a hard ceiling from its profile's budgets (pytest-timeout), so a
    hang becomes a classified failure and teardown still runs."""
    scale = config.getoption("hilkit_budget_scale")
    for item in items:
        slot = _slot_of(item)
        if slot is not None and item.get_closest_marker("timeout") is None:
            budgets = slot.profile.budgets
            ceiling = 2 * scale * (budgets.enumerate + budgets.switch * max(1, len(slot.profile.switches))
                                   + budgets.attach) + 30
            item.add_marker(pytest.mark.timeout(ceiling))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Allure's extra files: failure categories, the environment, the CI executor."""
    alluredir = session.config.getoption("allure_report_dir", None)
    rig = session.config.stash.get(RIG, None)
    if not alluredir or rig is None or hasattr(session.config, "workerinput"):
        return  # under pytest-xdist the controller writes them, once
    results = Path(alluredir)
    results.mkdir(parents=True, exist_ok=True)
    write_categories(results)
    write_environment(results, environment(rig.name, rig.path, rig.backend))
    write_executor(results)


def pytest_report_header(config: pytest.Config) -> str:
    settings, rig = config.stash[SETTINGS], config.stash[RIG]
    if rig is None:
        return "hilkit: no rig (tests that need a dongle are skipped)"
    slots = ", ".join(f"{s.name}={s.profile.key}@{s.port}" for s in rig.slots)
    mode = "; every slot at once, a forked runner each" if config.getoption("hilkit_parallel") else ""
    return f"hilkit: rig {rig.name} [{rig.backend}] from {rig.path} ({settings.source}); slots: {slots}{mode}"


def profile_features(slot: Slot) -> set[str]:
    profile = slot.profile
    features = set()
    if profile.switches:
        features.add("switches")
    if profile.refuse:
        features.add("refuse")
    if profile.attach:
        features.update({"attach", f"attach:{profile.attach.method}"})
    return features


def _eligible(metafunc: pytest.Metafunc, rig: Rig, settings: Settings) -> tuple[list[Slot], str]:
    slots = list(rig.slots)
    why = []
    if settings.profiles:
        slots = [s for s in slots if s.profile.key in settings.profiles]
        why.append(f"profile in {', '.join(settings.profiles)}")
    for marker in metafunc.definition.iter_markers("profile"):
        slots = [s for s in slots if s.profile.key in marker.args]
        why.append(f"profile in {', '.join(marker.args)}")
    for marker in metafunc.definition.iter_markers("hilkit_requires"):
        unknown = [f for f in marker.args if f not in FEATURES]
        if unknown:
            raise pytest.UsageError(f"{metafunc.definition.nodeid}: hilkit_requires({unknown[0]!r}): "
                                    f"unknown feature (expected one of: {', '.join(FEATURES)})")
        slots = [s for s in slots if set(marker.args) <= profile_features(s)]
        why.append(f"profile with {', '.join(marker.args)}")
    return slots, " and ".join(why)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per eligible slot: a rig with 4 dongles runs the suite 4 times."""
    if "slot" not in metafunc.fixturenames:
        return
    rig = metafunc.config.stash[RIG]
    if rig is None:
        metafunc.parametrize("slot", [pytest.param(None, marks=pytest.mark.skip(reason="no hilkit rig"))],
                             ids=["no-rig"], indirect=True)
        return
    slots, why = _eligible(metafunc, rig, metafunc.config.stash[SETTINGS])
    if not slots:
        reason = f"no slot of rig {rig.name} has a {why}"
        metafunc.parametrize("slot", [pytest.param(None, marks=pytest.mark.skip(reason=reason))],
                             ids=["no-slot"], indirect=True)
        return
    metafunc.parametrize("slot", slots, ids=[s.name for s in slots], indirect=True)


# -- fixtures ------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def rig(pytestconfig: pytest.Config) -> Rig:
    """The rig under test (``--hilkit-rig``; the virtual lab by default)."""
    loaded = pytestconfig.stash[RIG]
    if loaded is None:
        pytest.skip("no hilkit rig: pass --hilkit-rig PATH")
    return loaded


@pytest.fixture(scope="session")
def lab(rig: Rig, pytestconfig: pytest.Config) -> Iterator[LabBackend]:
    """The rig's hardware backend (real or virtual); closed at the end with every relay at rest."""
    try:
        backend = open_lab(rig)
    except HilkitError as exc:  # a place held by another run, a coordinator down: one line, and stop
        pytest.exit(f"hilkit: {exc}", returncode=pytest.ExitCode.TESTS_FAILED)
    faults = pytestconfig.getoption("hilkit_fault")
    injector = backend.faults if backend.can(Capability.FAULT_INJECTION) else None
    if faults:
        if injector is None:
            backend.close()
            raise pytest.UsageError("--hilkit-fault: faults can only be injected in the virtual lab")
        try:
            parsed = [parse_fault(text) for text in faults]
        except ValueError as exc:
            backend.close()
            raise pytest.UsageError(f"--hilkit-fault: {exc}") from None
        for spec in parsed:
            injector.add(spec)
    seed = pytestconfig.getoption("hilkit_fault_seed")
    runner = pytestconfig.stash.get(RUNNER_INDEX, None)
    if runner is not None:  # a slot runner: dice of its own, not the same rolls on every slot
        seed = (seed or 0) + runner
    if seed is not None and injector is not None:
        injector.reseed(seed)
    try:
        yield backend
    finally:
        for dongle in pytestconfig.stash[OPEN_DONGLES]:
            dongle.power.close()
        backend.close()


@pytest.fixture(scope="session")
def usb_bus(lab: LabBackend) -> UsbBus:
    """What is on the rig's USB bus; ``wait_until(port, check, timeout, expected)`` waits on hotplug events."""
    return lab.bus


@pytest.fixture
def slot(request: pytest.FixtureRequest) -> Slot:
    """The slot this test instance runs on (tests are parametrized over the rig's slots)."""
    slot = request.param
    if slot is not None and slot.resolved_by_lab:  # port and power: from the place, once acquired
        slot = request.getfixturevalue("lab").rig.slot(slot.name)
    return slot


@pytest.fixture
def dongle(slot: Slot, lab: LabBackend, request: pytest.FixtureRequest) -> Iterator[Dongle]:
    """The slot's dongle, powered and enumerated in its initial mode (or the ``mode`` marker's).

    Torn down to power-off with ports closed whatever happens: failure, error, Ctrl-C.
    """
    profile = slot.profile
    phase = request.node.get_closest_marker("hilkit_phase")
    marker = request.node.get_closest_marker("mode")
    mode = marker.args[0] if marker else profile.initial_mode.name
    BUS.publish(Subject(rig=lab.rig.name, slot=slot.name, port=slot.port, power=slot.power.describe(),
                        profile=profile.key, title=profile.title, vendor=profile.vendor, model=profile.model,
                        profile_path=profile.path, mode=mode, phase=phase.args[0] if phase else "",
                        severity=phase.kwargs.get("severity", "critical") if phase else ""))
    if mode not in profile.modes:
        pytest.fail(f"@pytest.mark.mode({mode!r}): {profile.key} has no such mode "
                    f"(expected one of: {', '.join(profile.modes)})", pytrace=False)
    injected = _inject_marked_faults(request, lab)  # none but in the virtual lab: other labs skip the test

    def remove_injected() -> None:
        for name in injected:
            lab.faults.remove(name)
    request.addfinalizer(remove_injected)
    handle = Dongle(slot, lab, request.config.getoption("hilkit_budget_scale"))
    opened = request.config.stash[OPEN_DONGLES]
    opened.append(handle)
    try:
        try:
            handle.power_on()
            if mode != profile.initial_mode.name:
                handle.switch_to(mode)
        except HilkitError as exc:  # a rig problem, said in one line: no traceback into hilkit
            pytest.fail(f"{slot.describe()}: {type(exc).__name__}: {exc}", pytrace=False)
        yield handle
    finally:
        try:
            handle.close()
        finally:
            opened.remove(handle)


def _inject_marked_faults(request: pytest.FixtureRequest, lab: LabBackend) -> list[str]:
    markers = list(request.node.iter_markers("hilkit_fault"))
    if not markers:
        return []
    if not lab.can(Capability.FAULT_INJECTION):
        pytest.skip("hilkit_fault: fault injection needs the virtual lab")
    injector = lab.faults
    names = []
    for marker in markers:
        try:
            spec = FaultSpec(marker.args[0], marker.kwargs.get("probability", 1.0), marker.kwargs.get("count"))
        except (ValueError, IndexError) as exc:
            pytest.fail(f"@pytest.mark.hilkit_fault{marker.args}: {exc}", pytrace=False)
        injector.add(spec)
        names.append(spec.name)
    return names


@pytest.fixture
def modem(dongle: Dongle) -> AtClient:
    """The dongle's AT port (pyserial), after switching to the profile's final mode if needed."""
    attach = dongle.profile.attach
    role = attach.port_role if attach and attach.method == "at" else "at"
    current = dongle.mode()
    if current is not None and not current.interfaces_with_role(role):
        dongle.switch_to(dongle.profile.final_mode.name)
    try:
        return dongle.open_at(role)
    except HilkitError as exc:
        pytest.fail(str(exc), pytrace=False)
