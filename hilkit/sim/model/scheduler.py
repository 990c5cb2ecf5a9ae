"""The virtual lab's clock: one thread that runs scheduled physics (enumeration delays, URCs).

This is the only place in hilkit that waits on time for its own sake: it models how long a real
dongle takes. Everything above the backends waits on events.

The lab's time never runs past physics that is due but has not run: whoever looks at the lab
(the virtual bus reading a snapshot) first runs what is due (:meth:`Scheduler.run_due`). So a
deadline that passes while the clock thread was starved of CPU still sees every event due before
it: on a slow machine a verdict comes later, never different.
"""
from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable


class Scheduler:
    def __init__(self, name: str = "hilkit-sim") -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._cancelled: set[int] = set()
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._running = threading.RLock()      # one action at a time, in due order, whoever runs it
        self._in_action = threading.local()
        self._stopped = False
        self.errors: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def after(self, delay: float, action: Callable[[], None]) -> int:
        """Run ``action`` on the scheduler thread ``delay`` seconds from now; returns a token."""
        with self._cond:
            token = next(self._seq)
            heapq.heappush(self._heap, (time.monotonic() + delay, token, action))
            self._cond.notify()
            return token

    def cancel(self, token: int | None) -> None:
        if token is not None:
            with self._cond:
                self._cancelled.add(token)

    def pending(self, token: int | None) -> bool:
        """Whether the action ``token`` names is still to run (not run, not cancelled)."""
        if token is None:
            return False
        with self._cond:
            return token not in self._cancelled and any(entry[1] == token for entry in self._heap)

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)

    def run_due(self) -> None:
        """Run, in this thread, every action due by now that the clock thread has not run yet."""
        if getattr(self._in_action, "active", False):
            return  # called by an action (it looks at the lab): part of the physics being run
        with self._running:
            while True:
                with self._cond:
                    if self._stopped or not self._heap or self._heap[0][0] > time.monotonic():
                        return
                    _, token, action = heapq.heappop(self._heap)
                    if token in self._cancelled:
                        self._cancelled.discard(token)
                        continue
                self._in_action.active = True
                try:
                    action()
                except Exception as exc:  # noqa: BLE001 - a physics bug must not kill the clock; tests read .errors
                    self.errors.append(exc)
                finally:
                    self._in_action.active = False

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    self._cond.wait(self._heap[0][0] - time.monotonic() if self._heap else None)
                if self._stopped:
                    return
            self.run_due()
