"""The USB bus contract: what is plugged in, and waiting (event-driven, bounded) for it to change.

A backend subclasses :class:`UsbBus`.

Must implement:
    ``devices()``: a :class:`DeviceInfo` per device now present, with its kernel side (drivers, tty
    and net names) filled in as far as the kernel has got;
    ``open(port)``: the pyusb ``usb.core.Device`` on that port, for transfers (``None`` if absent).

Must call:
    ``self.notify(action, port, detail)`` from any thread whenever a device or one of its kernel
    children (tty, net) appears or disappears. Waits wake on these calls; nothing polls.

May override:
    ``device_at(port)``, when it can be answered cheaper than by listing everything;
    ``settle()``, when events reach it later than snapshots see their effect (a monitor thread);
    ``known_settled(port)``, when it knows whether a device has more changes on their way (a simulator);
    ``close()``, to stop an event thread.
"""
from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass

import usb.core

from hilkit.core.device import Check, DeviceInfo
from hilkit.core.errors import ReenumerationLoop, SettledWrong, WaitTimeout


@dataclass(frozen=True)
class BusEvent:
    time: float        # time.monotonic()
    action: str        # "add" / "remove" / "change"
    port: str
    detail: str = ""   # e.g. "12d1:14fe" or "tty /dev/pts/4"

    def line(self, start: float) -> str:
        return f"+{self.time - start:8.3f} s  {self.action:<6} {self.port:<10} {self.detail}"


def _seen(info: DeviceInfo | None, problems: list[str]) -> str:
    """What a wait saw on the port, for its message: the device (or nothing), and what was wrong."""
    return f"{'nothing on the port' if info is None else info.summary()} ({'; '.join(problems)})"


class UsbBus(ABC):
    """Snapshot of the bus plus waits that wake on hotplug events (see module docstring)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._generation: dict[str, int] = {}   # port -> events seen: a wait wakes for its port only
        self._last_event: dict[str, float] = {}  # port -> when its last event came (monotonic)
        self.events: list[BusEvent] = []

    # -- what backends provide -------------------------------------------------------------
    @abstractmethod
    def devices(self) -> list[DeviceInfo]:
        """Every device present now."""

    @abstractmethod
    def open(self, port: str) -> usb.core.Device | None:
        """The pyusb device on ``port``, for transfers."""

    def device_at(self, port: str) -> DeviceInfo | None:
        for info in self.devices():
            if info.port == port:
                return info
        return None

    def close(self) -> None:  # noqa: B027 - optional: most buses have nothing to stop
        """Stop whatever watches the bus."""

    def settle(self) -> None:  # noqa: B027 - optional: a bus told of events as they happen is settled
        """Return once every hotplug event already emitted has been recorded in :attr:`events`
        (a kernel's uevents are read by a monitor thread; a snapshot can run ahead of them)."""

    def known_settled(self, port: str) -> bool | None:
        """Whether the device on ``port`` is known to have settled (True) or to have a change on
        its way (False); None: the bus cannot know (real hardware), a quiet window decides."""
        return None

    def notify(self, action: str, port: str, detail: str = "") -> None:
        """Record a hotplug event and wake every waiter. Safe from any thread."""
        with self._cond:
            self.events.append(BusEvent(time.monotonic(), action, port, detail))
            self._generation[port] = self._generation.get(port, 0) + 1
            self._last_event[port] = self.events[-1].time
            self._cond.notify_all()

    # -- what the framework uses -----------------------------------------------------------
    def wait_until(self, port: str, check: Check, timeout: float, expected: str,
                   settled_after: float | None = None) -> DeviceInfo | None:
        """Wait until ``check(device on port)`` finds nothing wrong; return that snapshot.

        Wakes only on bus events (and once at the deadline). On timeout raises
        :class:`WaitTimeout` naming ``expected`` and what was last seen on the port.

        With ``settled_after``, the wait also ends as soon as the port has changed since the wait
        began and then stayed quiet (no event) that long with a device on it that ``check`` still
        finds wrong: it raises :class:`SettledWrong`, at once, not at the end of the budget. A bus
        that knows nothing more is on its way (:meth:`known_settled`, a simulator) ends it then.
        """
        started = time.monotonic()
        deadline = started + timeout
        with self._cond:
            first = self._generation.get(port, 0)
        while True:
            with self._cond:
                generation = self._generation.get(port, 0)
                last_event = self._last_event.get(port, started)
            info = self.device_at(port)
            problems = check(info)
            if not problems:
                self.settle()  # what the kernel said up to this state is in the event log too
                return info
            now = time.monotonic()
            wake = deadline
            known = self.known_settled(port) if settled_after is not None else False
            if known:  # a simulator with nothing scheduled: what is there now stays (or nothing comes)
                raise SettledWrong(f"{expected} on port {port}", _seen(info, problems), now - started,
                                   "the lab has nothing more on its way")
            if known is None and info is not None and generation != first:
                assert settled_after is not None
                quiet = now - max(last_event, started)
                if quiet >= settled_after:
                    self.settle()   # events already emitted but not yet read (a monitor thread) count too
                    with self._cond:
                        if self._generation.get(port, 0) != generation:
                            continue
                    raise SettledWrong(f"{expected} on port {port}", _seen(info, problems), now - started,
                                       f"no USB event for {settled_after:g} s")
                wake = min(deadline, now + settled_after - quiet)
            if now >= deadline:
                raise WaitTimeout(f"{expected} on port {port}", _seen(info, problems), timeout)
            with self._cond:  # woken by any port's event: sleep on until one of this port's
                self._cond.wait_for(lambda: self._generation.get(port, 0) != generation, wake - now)  # noqa: B023

    def hold_steady(self, port: str, check: Check, window: float, expected: str) -> None:
        """Return once the device on ``port`` has stayed as ``check`` wants for ``window`` seconds
        (at once where the bus knows nothing more is on its way); raise :class:`ReenumerationLoop`,
        with the port's event timeline, if it leaves or changes within the window."""
        started = time.monotonic()
        deadline = started + window
        while True:
            with self._cond:
                generation = self._generation.get(port, 0)
            info = self.device_at(port)
            problems = check(info)
            if problems:
                timeline = "; ".join(e.line(started).strip() for e in self.events if e.port == port
                                     and e.time >= started)
                raise ReenumerationLoop(f"{expected} on port {port} did not stay for its stability window of "
                                        f"{window:g} s: after {time.monotonic() - started:.2f} s, "
                                        f"{_seen(info, problems)}; events: {timeline or 'none'}")
            now = time.monotonic()
            if self.known_settled(port) or now >= deadline:
                return
            with self._cond:
                self._cond.wait_for(lambda: self._generation.get(port, 0) != generation, deadline - now)  # noqa: B023

    def wait_gone(self, port: str, timeout: float) -> None:
        self.wait_until(port, lambda info: [] if info is None else ["still present"], timeout,
                        "the device to disappear")

    def timeline(self, since: float = 0.0) -> str:
        """The hotplug events since ``since`` (monotonic), one per line, for a report."""
        events = [e for e in list(self.events) if e.time >= since]
        start = since or (events[0].time if events else 0.0)
        return "\n".join(e.line(start) for e in events) + "\n"
