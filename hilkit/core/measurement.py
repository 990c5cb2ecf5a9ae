"""Measurements against limits: the value, its unit, the limits and the verdict, in the report and
in the measurement lines; outside the limits the test fails with the measurement's category."""
from __future__ import annotations

from hilkit.core.errors import Category, HilkitError
from hilkit.core.events import BUS, Measured, step


class MeasurementOutOfLimits(HilkitError, AssertionError):
    """A measured value outside its limits: fails the test like an assertion."""


def measure(name: str, value: float, unit: str, low: float | None = None, high: float | None = None,
            category: Category = Category.OUT_OF_LIMITS) -> float:
    """Record ``name = value unit`` against its limits: a step in the report, a line in the
    measurements file; raise :class:`MeasurementOutOfLimits` (a failed assertion, of ``category``)
    when outside them."""
    limits = " and ".join(x for x in (f">= {low:g} {unit}" if low is not None else "",
                                       f"<= {high:g} {unit}" if high is not None else "") if x)
    passed = (low is None or value >= low) and (high is None or value <= high)
    line = f"{name}: {value:.3f} {unit}" + (f" (limit {limits})" if limits else "") + \
        (" PASS" if passed else " FAIL")
    with step(line):
        BUS.publish(Measured(name, value, unit, low, high, passed, category))
    if not passed:
        raise MeasurementOutOfLimits(line, category=category)
    return value
