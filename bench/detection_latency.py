"""Benchmark: from a device's hotplug event to ``UsbBus.wait_until`` returning, on the virtual lab.

    .venv/bin/python bench/detection_latency.py [--events N] [--poll-interval S] [--umockdev]

Every slot of lab/virtual8.yaml is powered on and off on its own thread until N enumerations
have been seen. The latency of one event is the time from the bus's notify (the ``add`` event's
timestamp) to the return of ``wait_until`` for the initial mode. The same is then measured for a
polling loop that looks at the port every ``--poll-interval`` seconds (0.5 s), started at a
random phase as a poller that runs all the time would be. Prints median and p95 of both and
their ratio.

With ``--umockdev`` the same dongles run at the kernel interface (re-run under umockdev-wrapper):
the event is the uevent the emulated kernel sends (timestamped when sent), and the wait is the
Linux backend's -- pyudev's monitor thread, sysfs read back -- as on a rig.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from hilkit.config.paths import PROJECT_ROOT
from hilkit.core.modes import in_mode
from hilkit.core.rig import Slot
from hilkit.lab.registry import load_rig
from hilkit.power import PowerSwitch
from hilkit.sim.virtual_lab import VirtualLab
from hilkit.usb.bus import UsbBus

Waiter = Callable[[UsbBus, Slot], float]  # waits for the slot's device; returns when it saw it


def event_driven(bus: UsbBus, slot: Slot) -> float:
    bus.wait_until(slot.port, in_mode(slot.profile.initial_mode), 10, "the initial mode")
    return time.monotonic()


def polling(interval: float) -> Waiter:
    def wait(bus: UsbBus, slot: Slot) -> float:
        check, pause = in_mode(slot.profile.initial_mode), threading.Event()
        pause.wait(random.uniform(0, interval))  # a poller that runs all the time: any phase
        deadline = time.monotonic() + 10
        while check(bus.device_at(slot.port)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{slot.port}: not enumerated after 10 s")
            pause.wait(interval)
        return time.monotonic()
    return wait


def sent_at(lab: VirtualLab, port: str, since: int, seen: float) -> float | None:
    """When the event that completed the device was announced: under umockdev, the last uevent
    for the port sent before the wait returned (the device's, or its last interface's); else the
    virtual bus's notify of the ``add``."""
    world = getattr(lab, "world", None)
    if world is not None:
        times = [t for t, action, path in world.uevents[since:]
                 if action == "add" and f"/{port}" in path and t <= seen]
        return times[-1] if times else None
    return next((e.time for e in lab.bus.events[since:] if e.port == port and e.action == "add"), None)


def measure(lab: VirtualLab, events: int, waiter: Waiter) -> list[float]:
    latencies: list[float] = []
    guard = threading.Lock()

    def cycle(slot: Slot, power: PowerSwitch) -> None:
        while True:
            with guard:
                if len(latencies) >= events:
                    return
            since = len(lab.world.uevents) if hasattr(lab, "world") else len(lab.bus.events)
            power.on()
            seen = waiter(lab.bus, slot)
            added = None
            while added is None:  # a poller may see the device a moment before the lab's notify
                added = sent_at(lab, slot.port, since, seen)
                if added is None:
                    threading.Event().wait(0.001)
            with guard:
                latencies.append(seen - added)
            power.off()
            lab.bus.wait_gone(slot.port, 10)

    switches = [lab.power_switch(slot) for slot in lab.rig.slots]
    threads = [threading.Thread(target=cycle, args=(slot, power))
               for slot, power in zip(lab.rig.slots, switches, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for power in switches:
        power.close()
    return latencies[:events]


def summary(name: str, values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    median, p95 = statistics.median(ordered), ordered[int(round(0.95 * (len(ordered) - 1)))]
    print(f"{name:<24} n={len(ordered):4d}  median {median * 1000:8.2f} ms  p95 {p95 * 1000:8.2f} ms  "
          f"max {ordered[-1] * 1000:8.2f} ms")
    return median, p95


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--poll-interval", type=float, default=0.5)
    parser.add_argument("--umockdev", action="store_true", help="through the Linux backend under umockdev")
    args = parser.parse_args()
    rig = load_rig(PROJECT_ROOT / "lab" / "virtual8.yaml")
    if args.umockdev:
        from hilkit.sim.umockdev import preloaded
        if not preloaded():
            os.execvp("umockdev-wrapper", ["umockdev-wrapper", sys.executable, *sys.argv])  # noqa: S606
        from hilkit.sim.umockdev.umockdev_lab import UmockdevLab
        lab: VirtualLab = UmockdevLab(replace(rig, backend="umockdev"))
    else:
        lab = VirtualLab(rig)
    try:
        events = summary("wait_until (events)", measure(lab, args.events, event_driven))
        polled = summary(f"polling every {args.poll_interval:g} s",
                         measure(lab, args.events, polling(args.poll_interval)))
    finally:
        lab.close()
    print(f"polling / event-driven: median ratio {polled[0] / events[0]:.0f}x, p95 ratio {polled[1] / events[1]:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
