"""The Allure subscriber: hilkit's events as allure-pytest's steps, attachments, parameters and
labels. The only module of hilkit that imports ``allure``.

allure-pytest writes them only when ``--alluredir`` is given; otherwise each call is a no-op.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import allure

from hilkit.core.events import (
    Attached,
    AttachedFile,
    Event,
    Identified,
    Measured,
    StepEnded,
    StepStarted,
    Subject,
)


class AllureWriter:
    def __init__(self) -> None:
        self._open = threading.local()   # allure's step contexts, per thread, innermost last

    def __call__(self, event: Event) -> None:
        if isinstance(event, StepStarted):
            context: Any = allure.step(event.title)
            context.__enter__()
            self._stack().append(context)
        elif isinstance(event, StepEnded):
            stack = self._stack()
            if stack:
                error = event.error
                stack.pop().__exit__(type(error) if error else None, error, error.__traceback__ if error else None)
        elif isinstance(event, Attached):
            allure.attach(event.text, name=event.name, attachment_type=allure.attachment_type.TEXT)
        elif isinstance(event, Identified):
            for name, value in event.labels.items():
                allure.dynamic.label(name, value)
        elif isinstance(event, AttachedFile):
            allure.attach(event.data, name=event.name, attachment_type=event.mime, extension=event.extension)
        elif isinstance(event, Measured):
            # shown with the result, but not part of its identity: a value that differs each night
            # must not make the test a new one to Allure (its history and trend would restart)
            allure.dynamic.parameter(event.name, f"{event.value:.3f} {event.unit}", excluded=True)
        elif isinstance(event, Subject):
            self._describe(event)

    def _stack(self) -> list[Any]:
        if not hasattr(self._open, "stack"):
            self._open.stack = []
        stack: list[Any] = self._open.stack
        return stack

    @staticmethod
    def _describe(subject: Subject) -> None:
        """Results grouped rig > profile > slot; labels a lab filters on; the profile linked."""
        allure.dynamic.parent_suite(f"rig {subject.rig}")
        allure.dynamic.suite(subject.title)
        allure.dynamic.sub_suite(f"slot {subject.slot} ({subject.port})")
        allure.dynamic.label("vendor", subject.vendor)
        allure.dynamic.label("model", subject.model)
        allure.dynamic.tag(subject.profile)
        allure.dynamic.parameter("slot", f"{subject.slot} (port {subject.port}, {subject.power})")
        allure.dynamic.parameter("profile", subject.profile)
        allure.dynamic.label("slot", subject.slot)
        allure.dynamic.label("port", subject.port)
        allure.dynamic.link(Path(subject.profile_path).resolve().as_uri(), name=f"profile {subject.profile}")
        if subject.phase:
            allure.dynamic.feature(subject.phase)
            allure.dynamic.severity(subject.severity or "critical")
        allure.dynamic.label("mode", subject.mode)
