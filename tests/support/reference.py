"""Byte comparison with the reference: the installed ``usb_modeswitch`` and hilkit's native engine
switch the same emulated dongle (one profile, one port, one testbed), and what the device received
from each is compared transfer by transfer.

Both go through the kernel interface (libusb -> usbdevfs ioctls), so the comparison sees exactly
the bytes, requests and order each host program put on the wire -- not what either says it sent.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from hilkit.core.errors import HilkitError
from hilkit.core.profile import Profile
from hilkit.core.rig import PowerSpec, Rig, Slot
from hilkit.dut import Dongle
from hilkit.sim.model.received_transfer import Received
from hilkit.sim.umockdev.umockdev_lab import UmockdevLab


@dataclass
class EngineRun:
    engine: str
    ok: bool = False
    error: str = ""
    wire: list[tuple] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Comparison:
    key: str
    method: str
    reference: EngineRun
    native: EngineRun

    @property
    def identical(self) -> bool:
        return self.reference.wire == self.native.wire

    @property
    def compared(self) -> bool:
        """usb_modeswitch switched the dongle, so there is a reference to compare with."""
        return self.reference.ok

    def difference(self) -> str:
        """The first transfer where the two differ, in one line."""
        for index, (ref, own) in enumerate(zip(self.reference.wire, self.native.wire, strict=False)):
            if ref != own:
                return f"transfer {index + 1}: usb_modeswitch {ref} vs hilkit {own}"
        ref_count, own_count = len(self.reference.wire), len(self.native.wire)
        return f"usb_modeswitch made {ref_count} transfers, hilkit {own_count}" if ref_count != own_count else ""


def wire(received: list[Received]) -> list[tuple]:
    """What the device saw, in a comparable form (time left out)."""
    out: list[tuple] = []
    for r in received:
        if r.kind == "control":
            out.append(("control", r.setup, r.data.hex()))
        elif r.kind == "configuration":
            out.append(("configuration", r.setup[2] if r.setup else None))
        else:
            out.append((r.kind, r.endpoint, r.data.hex()))
    return out


def run_engine(profile: Profile, engine: str, port: str = "1-1.1", timeout: float = 5.0) -> EngineRun:
    """Power an emulated dongle of ``profile`` on ``port``, switch it with ``engine``
    ("native" or "usb_modeswitch"), and record what it received."""
    run = EngineRun(engine)
    # what the device receives is compared here, not how long it stays: no stability window to wait out
    profile = replace(profile, budgets=replace(profile.budgets, stable=0.0))
    slot = Slot("dut", port, PowerSpec("gpio", pin=17), profile)
    lab = UmockdevLab(Rig(f"reference {profile.key}", "<reference>", "umockdev", (slot,), switch_engine=engine))
    dongle = Dongle(slot, lab)
    start = time.monotonic()
    try:
        dongle.power_on()
        switch = profile.switches[0]
        dongle.run_switch(switch.config, switch.target, label=switch.label, timeout=timeout)
        run.ok = True
    except HilkitError as exc:
        run.error = f"{type(exc).__name__}: {exc}"
    finally:
        run.seconds = time.monotonic() - start
        run.wire = wire(lab.dongle("dut").switch_transfers())
        dongle.close()
        lab.close()
    return run


def compare(profile: Profile, port: str = "1-1.1") -> Comparison:
    from hilkit.core.switch_plan import plan
    method = plan(profile.switches[0].config, 0).method
    reference = run_engine(profile, "usb_modeswitch", port)
    native = run_engine(profile, "native", port)
    return Comparison(profile.key, method, reference, native)

