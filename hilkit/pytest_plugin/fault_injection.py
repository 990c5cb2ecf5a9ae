"""Fault injection into the virtual lab: for the whole run from ``--hilkit-fault`` and
``--hilkit-fault-seed``, and for one test from its ``hilkit_fault`` markers."""
from __future__ import annotations

import pytest

from hilkit.core.faults import FaultSpec, parse_fault
from hilkit.lab.lab_backend import Capability, LabBackend
from hilkit.pytest_plugin.keys import RUNNER_INDEX


def inject_option_faults(backend: LabBackend, config: pytest.Config) -> None:
    """The options' faults and seed into a lab just opened; a bad option closes it and stops the run."""
    faults = config.getoption("hilkit_fault")
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
    seed = config.getoption("hilkit_fault_seed")
    runner = config.stash.get(RUNNER_INDEX, None)
    if runner is not None:  # a slot runner: dice of its own, not the same rolls on every slot
        seed = (seed or 0) + runner
    if seed is not None and injector is not None:
        injector.reseed(seed)


def inject_marked_faults(request: pytest.FixtureRequest, lab: LabBackend) -> list[str]:
    """The test's ``hilkit_fault`` markers into the lab; returns the names, to remove after the test.
    Outside the virtual lab the test is skipped."""
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
