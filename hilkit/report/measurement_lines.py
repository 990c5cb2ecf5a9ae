"""The measurements of one test, as JSON lines appended to a file when the test ends (one write:
a run killed half-way keeps every line it wrote whole)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from hilkit.core.events import Event, Measured
from hilkit.report.results_files import append_jsonl


class MeasurementLines:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def __call__(self, event: Event) -> None:
        if isinstance(event, Measured):
            self.records.append(event.record())

    def write(self, path: Path, context: dict[str, Any]) -> None:
        """Append this test's lines to ``path``, each with ``context`` (test, slot, outcome...)."""
        if self.records:
            path.parent.mkdir(parents=True, exist_ok=True)
            append_jsonl(path, [{**context, **record} for record in self.records])
