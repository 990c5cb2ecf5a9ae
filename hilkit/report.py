"""Evidence for the Allure report: steps, text attachments, labels, measurements with limits.

allure-pytest writes these only when ``--alluredir`` is given; otherwise every call is a no-op,
so framework code can report unconditionally.
"""
from __future__ import annotations

from contextlib import AbstractContextManager

import allure

from .errors import HilkitError


def step(title: str) -> AbstractContextManager[object]:
    return allure.step(title)


def attach_text(name: str, text: str) -> None:
    allure.attach(text, name=name, attachment_type=allure.attachment_type.TEXT)


class MeasurementOutOfLimits(HilkitError, AssertionError):
    """A measured value outside its limits: fails the test like an assertion."""


def measure(name: str, value: float, unit: str, low: float | None = None, high: float | None = None) -> float:
    """Record ``name = value unit`` against its limits in the report; raise when outside them."""
    limits = " and ".join(x for x in (f">= {low:g} {unit}" if low is not None else "",
                                       f"<= {high:g} {unit}" if high is not None else "") if x)
    passed = (low is None or value >= low) and (high is None or value <= high)
    line = f"{name}: {value:.3f} {unit}" + (f" (limit {limits})" if limits else "") + \
        (" PASS" if passed else " FAIL")
    with step(line):
        allure.dynamic.parameter(name, f"{value:.3f} {unit}")
    if not passed:
        raise MeasurementOutOfLimits(line)
    return value
