"""Evidence for the Allure report: steps, text attachments, labels, measurements with limits.

allure-pytest writes these only when ``--alluredir`` is given; otherwise every call is a no-op,
so framework code can report unconditionally.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import allure

from hilkit.core.errors import Category, HilkitError

_progress: Callable[[str], None] | None = None


def show_progress(callback: Callable[[str], None] | None) -> None:
    """Also announce every step on the terminal (the plugin turns this on outside CI)."""
    global _progress
    _progress = callback


def step(title: str) -> AbstractContextManager[object]:
    if _progress is not None:
        _progress(title)
    return allure.step(title)


def attach_text(name: str, text: str) -> None:
    allure.attach(text, name=name, attachment_type=allure.attachment_type.TEXT)


class MeasurementOutOfLimits(HilkitError, AssertionError):
    """A measured value outside its limits: fails the test like an assertion."""


_sink: list[dict[str, Any]] | None = None


def collect_measurements(sink: list[dict[str, Any]] | None) -> None:
    """Where :func:`measure` also puts its records (the plugin sets one list per test)."""
    global _sink
    _sink = sink


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
    if _sink is not None:
        _sink.append({"name": name, "value": value, "unit": unit, "low": low, "high": high,
                      "passed": passed, "time": time.time()})
    with step(line):
        allure.dynamic.parameter(name, f"{value:.3f} {unit}")
    if not passed:
        raise MeasurementOutOfLimits(line, category=category)
    return value
