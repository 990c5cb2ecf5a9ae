"""Benchmark: from a device's hotplug event to ``UsbBus.wait_until`` returning, on the virtual lab.

    .venv/bin/python bench/detection_latency.py [--events N] [--poll-interval S]

Every slot of lab/virtual8.yaml is powered on and off on its own thread until N enumerations
have been seen. The latency of one event is the time from the bus's notify (the ``add`` event's
timestamp) to the return of ``wait_until`` for the initial mode. The same is then measured for a
polling loop that looks at the port every ``--poll-interval`` seconds (0.5 s), started at a
random phase as a poller that runs all the time would be. Prints median and p95 of both and
their ratio.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from typing import Callable

from hilkit.expect import in_mode
from hilkit.lab.rig import Slot, load_rig
from hilkit.paths import PROJECT_ROOT
from hilkit.power import PowerSwitch
from hilkit.sim.lab import VirtualLab
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


def measure(lab: VirtualLab, events: int, waiter: Waiter) -> list[float]:
    latencies: list[float] = []
    guard = threading.Lock()

    def cycle(slot: Slot, power: PowerSwitch) -> None:
        while True:
            with guard:
                if len(latencies) >= events:
                    return
            since = len(lab.bus.events)
            power.on()
            seen = waiter(lab.bus, slot)
            added = None
            while added is None:  # a poller may see the device a moment before the lab's notify
                added = next((e for e in lab.bus.events[since:] if e.port == slot.port and e.action == "add"), None)
                if added is None:
                    threading.Event().wait(0.001)
            with guard:
                latencies.append(seen - added.time)
            power.off()
            lab.bus.wait_gone(slot.port, 10)

    switches = [lab.power_switch(slot) for slot in lab.rig.slots]
    threads = [threading.Thread(target=cycle, args=(slot, power)) for slot, power in zip(lab.rig.slots, switches)]
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
    args = parser.parse_args()
    lab = VirtualLab(load_rig(PROJECT_ROOT / "lab" / "virtual8.yaml"))
    try:
        events = summary("wait_until (events)", measure(lab, args.events, event_driven))
        polled = summary(f"polling every {args.poll_interval:g} s", measure(lab, args.events, polling(args.poll_interval)))
    finally:
        lab.close()
    print(f"polling / event-driven: median ratio {polled[0] / events[0]:.0f}x, p95 ratio {polled[1] / events[1]:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
