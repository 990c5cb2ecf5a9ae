"""Slot health: which slots failed their start-of-run health check, and which are quarantined.

A slot whose relay or hub port went bad fails every night and buries the real failures under
infrastructure noise. As LAVA takes a device offline after failed health checks, hilkit
quarantines a slot after ``after`` failed runs in a row: its tests are skipped with the reason
until ``hilkit slot release NAME``. The state is a small JSON file per slot,
``<lock dir>-health/<rig>-<port>.json`` (beside the slot locks, so every run on the host sees it),
written whole (a reader sees the old file or the new one).
"""
from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from hilkit.lab.slotlock import lock_path

#: failed health checks in a row after which a slot is quarantined
QUARANTINE_AFTER = 3


@dataclass
class HealthRecord:
    failures_in_a_row: int = 0
    last_problem: str = ""
    last_checked: str = ""
    quarantined_since: str = ""   # "" while the slot is in service


def health_dir(lock_dir: Path) -> Path:
    """``/run/lock/hilkit`` -> ``/run/lock/hilkit-health``."""
    return lock_dir.with_name(lock_dir.name + "-health")


class SlotHealth:
    def __init__(self, directory: Path, after: int = QUARANTINE_AFTER) -> None:
        self.directory = Path(directory)
        self.after = after

    def path(self, rig: str, port: str) -> Path:
        return lock_path(self.directory, rig, port).with_suffix(".json")

    def read(self, rig: str, port: str) -> HealthRecord:
        try:
            data = json.loads(self.path(rig, port).read_text(encoding="utf-8"))
            return HealthRecord(**{k: v for k, v in data.items() if k in HealthRecord.__dataclass_fields__})
        except (OSError, ValueError, TypeError):
            return HealthRecord()

    def record(self, rig: str, port: str, problem: str | None) -> HealthRecord:
        """A health check's result: a pass clears the count (not a quarantine: that takes a
        release), a failure adds one and quarantines the slot at ``after`` in a row."""
        record = self.read(rig, port)
        record.last_checked = time.strftime("%Y-%m-%d %H:%M:%S")
        if problem is None:
            record.failures_in_a_row = 0
        else:
            record.failures_in_a_row += 1
            record.last_problem = problem
            if record.failures_in_a_row >= self.after and not record.quarantined_since:
                record.quarantined_since = record.last_checked
        self._write(rig, port, record)
        return record

    def release(self, rig: str, port: str) -> HealthRecord:
        """Back in service, with a clean count (the next run checks it again)."""
        before = self.read(rig, port)
        self._write(rig, port, HealthRecord(last_problem=before.last_problem, last_checked=before.last_checked))
        return before

    def _write(self, rig: str, port: str, record: HealthRecord) -> None:
        path = self.path(rig, port)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, encoding="utf-8") as tmp:
            json.dump(asdict(record), tmp, indent=1)
        os.replace(tmp.name, path)
