"""What happens in a test, as events: steps, text evidence, measurements, and the dongle a test
drives. The framework publishes them on :data:`BUS`; subscribers turn them into a report (the
Allure writer, the measurement lines, the progress lines on a terminal), as labgrid's step events
feed its loggers. Nothing that publishes knows who listens, and no subscriber is a global the
publishers reach into.

Subscribers run in the publisher's thread, in the order they subscribed; a failing subscriber
does not stop the others or the publisher (its error is kept in :attr:`EventBus.errors`).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Union

from hilkit.core.errors import Category


@dataclass(frozen=True)
class StepStarted:
    title: str
    time: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class StepEnded:
    title: str
    started: float
    ended: float = field(default_factory=time.monotonic)
    error: BaseException | None = None

    @property
    def duration(self) -> float:
        return self.ended - self.started


@dataclass(frozen=True)
class Attached:
    """Text evidence: a descriptor dump, the transfers sent, an AT transcript."""

    name: str
    text: str


@dataclass(frozen=True)
class AttachedFile:
    """Binary evidence: a capture file (``extension`` names its kind: ``pcapng``)."""

    name: str
    data: bytes
    extension: str
    mime: str = "application/octet-stream"


@dataclass(frozen=True)
class Measured:
    """A value against its limits (see :func:`hilkit.core.measurement.measure`)."""

    name: str
    value: float
    unit: str
    low: float | None
    high: float | None
    passed: bool
    category: Category
    time: float = field(default_factory=time.time)

    def record(self) -> dict[str, object]:
        return {"name": self.name, "value": self.value, "unit": self.unit, "low": self.low, "high": self.high,
                "passed": self.passed, "time": self.time}


@dataclass(frozen=True)
class Identified:
    """The modem on ``slot`` said which it is (manufacturer, model, firmware, IMEI TAC): labels."""

    slot: str
    labels: dict[str, str]


@dataclass(frozen=True)
class Subject:
    """The dongle a test drives: where it sits and what it is (a report groups results by it)."""

    rig: str
    slot: str
    port: str
    power: str
    profile: str          # key: huawei/e3131
    title: str            # Huawei E3131
    vendor: str
    model: str
    profile_path: str
    mode: str             # the mode the test starts it in
    phase: str = ""       # the hilkit_phase marker: power, enumeration, switch, attach
    severity: str = ""


Event = Union[StepStarted, StepEnded, Attached, AttachedFile, Measured, Subject, Identified]  # noqa: UP007 - a runtime alias
Subscriber = Callable[[Event], None]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()
        self.errors: list[BaseException] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Add ``subscriber``; returns the call that removes it."""
        with self._lock:
            self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with self._lock:
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)
        return unsubscribe

    def publish(self, event: Event) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber(event)
            except Exception as exc:  # noqa: BLE001 - a report writer must not fail the dongle's test
                self.errors.append(exc)


#: the process's bus
BUS = EventBus()


@contextmanager
def step(title: str) -> Iterator[None]:
    """A phase of a test, as a step of the report: published when it starts and when it ends."""
    started = StepStarted(title)
    BUS.publish(started)
    try:
        yield
    except BaseException as exc:
        BUS.publish(StepEnded(title, started.time, error=exc))
        raise
    BUS.publish(StepEnded(title, started.time))


def mark(title: str) -> None:
    """A step with nothing inside: a value shown where the report's reader looks, in the steps."""
    with step(title):
        pass


def attach_text(name: str, text: str) -> None:
    """Text evidence for the current step."""
    BUS.publish(Attached(name, text))


def attach_file(name: str, data: bytes, extension: str, mime: str = "application/octet-stream") -> None:
    """Binary evidence (a capture file) for the current step."""
    BUS.publish(AttachedFile(name, data, extension, mime))
