"""Faults the virtual lab can inject, declared per rig, per test or on the command line.

Each fault has a probability (per opportunity), an optional count (how many times at most) and
comes from one seeded random generator, so a soak with faults is reproducible. Every time a fault
fires it is logged with the failure category the framework must classify it into: a soak checks
that every injected fault ends up in its category.
"""
from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

from hilkit.core.faults import FAULTS, FaultSpec, Fired, parse_fault


@dataclass
class FaultInjector:
    specs: dict[str, FaultSpec] = field(default_factory=dict)
    seed: int = 0
    log: list[Fired] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()
        self._left = {name: spec.count for name, spec in self.specs.items()}

    @classmethod
    def parse(cls, texts: list[str], seed: int = 0) -> FaultInjector:
        """``name``, ``name:probability`` or ``name:probability:count`` (the CLI and rig form)."""
        return cls({spec.name: spec for spec in map(parse_fault, texts)}, seed)

    def add(self, spec: FaultSpec) -> None:
        with self._lock:
            self.specs[spec.name] = spec
            self._left[spec.name] = spec.count

    def reseed(self, seed: int) -> None:
        with self._lock:
            self.seed = seed
            self._random = random.Random(seed)

    def remove(self, name: str) -> None:
        with self._lock:
            self.specs.pop(name, None)
            self._left.pop(name, None)

    def fires(self, name: str, where: str) -> bool:
        """Does fault ``name`` happen at this opportunity? Logged when it does."""
        with self._lock:
            spec = self.specs.get(name)
            if spec is None or self._left.get(name) == 0 or spec.port and spec.port != where:
                return False
            if self._random.random() >= spec.probability:
                return False
            left = self._left.get(name)
            if left is not None:
                self._left[name] = left - 1
            self.log.append(Fired(time.monotonic(), name, where, FAULTS[name][1].value))
            return True

    def fired_since(self, index: int, where: str | None = None) -> list[Fired]:
        with self._lock:
            return [f for f in self.log[index:] if where is None or f.where == where]
