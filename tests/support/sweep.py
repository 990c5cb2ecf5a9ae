"""Switch a virtual dongle built from each of many profiles (the whole usb-modeswitch-data import).

Each profile gets its own one-slot virtual lab, so the sweep runs the same code as a suite:
power on through the relay, wait for enumeration, run the profile's first switch through pyusb,
wait for the target mode on the same port. Labs are independent, so they run on a thread pool
(the time is spent waiting on the virtual devices' delays, not on the CPU).
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from hilkit.core.errors import HilkitError
from hilkit.core.profile import Profile
from hilkit.core.rig import PowerSpec, Rig, Slot
from hilkit.dut import Dongle
from hilkit.sim.model.received_transfer import Received
from hilkit.sim.virtual_lab import VirtualLab


@dataclass
class SweepOutcome:
    key: str
    method: str = ""
    ok: bool = False
    error: str = ""
    received: list[Received] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def switch_virtually(profile: Profile, timeout: float = 5.0) -> SweepOutcome:
    """Power a virtual dongle of ``profile``, run its first switch, report what the device received."""
    outcome = SweepOutcome(profile.key)
    if not profile.switches:
        outcome.error = "profile has no switch"
        return outcome
    slot = Slot("dut", "1-1.1", PowerSpec("gpio", pin=17), profile)
    lab = VirtualLab(Rig(f"sweep {profile.key}", "<sweep>", "virtual", (slot,)))
    dongle = Dongle(slot, lab)
    start = time.monotonic()
    try:
        dongle.power_on()
        switch = profile.switches[0]
        result = dongle.run_switch(switch.config, switch.target, label=switch.label, timeout=timeout)
        outcome.method, outcome.notes, outcome.ok = result.method, result.notes, True
    except HilkitError as exc:
        outcome.error = f"{type(exc).__name__}: {exc}"
    finally:
        outcome.seconds = time.monotonic() - start
        outcome.received = lab.dongle("dut").switch_transfers()
        dongle.close()
        lab.close()
        if lab.scheduler.errors:
            outcome.ok, outcome.error = False, f"virtual lab physics failed: {lab.scheduler.errors[0]!r}"
    return outcome


def sweep(profiles: list[Profile], workers: int = 16) -> list[SweepOutcome]:
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sweep") as pool:
        return list(pool.map(switch_virtually, profiles))
