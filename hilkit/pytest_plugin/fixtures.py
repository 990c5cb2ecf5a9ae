"""The fixtures: the rig, its lab, the USB bus, the slot, the slot's dongle and its AT port; each
leaves the rig safe (relays at rest, ports closed) however the test ends."""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from hilkit.core.errors import HilkitError
from hilkit.core.events import BUS, Subject, attach_file, attach_text
from hilkit.core.rig import Rig, Slot
from hilkit.dut import Dongle
from hilkit.lab.lab_backend import LabBackend
from hilkit.lab.registry import open_lab
from hilkit.modem.at import AtClient
from hilkit.pytest_plugin.fault_injection import inject_marked_faults, inject_option_faults
from hilkit.pytest_plugin.health import check_before_first_test
from hilkit.pytest_plugin.keys import LAB_ENVIRONMENT, OPEN_DONGLES, OUTCOME, RIG
from hilkit.report.pcapng import pcapng
from hilkit.usb.bus import UsbBus


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
    inject_option_faults(backend, pytestconfig)
    pytestconfig.stash[LAB_ENVIRONMENT] = backend.environment()
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
    injected = inject_marked_faults(request, lab)  # none but in the virtual lab: other labs skip the test

    def remove_injected() -> None:
        for name in injected:
            lab.faults.remove(name)
    request.addfinalizer(remove_injected)
    handle = Dongle(slot, lab, request.config.getoption("hilkit_budget_scale"))
    opened = request.config.stash[OPEN_DONGLES]
    opened.append(handle)
    capture_problem = None if request.config.getoption("hilkit_usb_capture") == "off" else lab.watch_usb(slot)
    since = time.monotonic()
    try:
        try:
            check_before_first_test(request.config, lab.rig, slot, handle)
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
            attach_usb_capture(request, lab, slot, since, capture_problem)


def attach_usb_capture(request: pytest.FixtureRequest, lab: LabBackend, slot: Slot, since: float,
                       problem: str | None) -> None:
    """The test's USB traffic on the slot, as a pcapng of usbmon packets (--hilkit-usb-capture), or
    why there is none where one was asked for."""
    when = request.config.getoption("hilkit_usb_capture")
    if when == "off" or (when == "failure" and request.node.stash.get(OUTCOME, "passed") == "passed"):
        return
    events = lab.usb_capture(slot, since)
    if events is None:
        if problem:
            attach_text(f"USB traffic, slot {slot.name}: not captured", problem)
        return
    data = pcapng(events, f"usbmon{slot.bus}",
                  f"hilkit slot {slot.name}, USB port {slot.port} ({slot.profile.key})")
    attach_file(f"USB traffic, slot {slot.name} port {slot.port} ({len(events)} usbmon packets).pcapng", data,
                "pcapng", "application/x-pcapng")


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
