"""Benchmark: how soon a switch's verdict comes on the virtual lab, from the message sent.

    .venv/bin/python bench/switch_verdict.py [--repeat N]

The forum's switch on the virtual E3131 (asks for 12d1:1506, the stick comes back as 12d1:1c05),
three ways: with -P 1506 (wrong id: fails once the stick has settled, not at the 20 s budget's
end), with -P 1506,1c05 (passes), and passing again with no settle window (the wait as it was
before the settle verdict). Prints the median times and, for the wrong id, the time from the
stick's last USB event to the verdict (target: under 1.5 s).
"""
from __future__ import annotations

import argparse
import statistics
import time

from hilkit.config.paths import PROJECT_ROOT
from hilkit.core.errors import SwitchFailed
from hilkit.core.modes import in_mode
from hilkit.core.switchconfig import SwitchConfig
from hilkit.lab.registry import load_rig
from hilkit.sim.virtual_lab import VirtualLab
from hilkit.switch.native import NativeSwitchEngine

FORUM = "55534243123456780000000000000011060000000000000000000000000000"


def one(targets: str, settle: float | None) -> tuple[float, float, bool]:
    """(seconds from the message to the verdict, seconds from the port's last event to it, passed)."""
    rig = load_rig(PROJECT_ROOT / "lab" / "virtual.yaml")
    slot = rig.slot("e3131")
    lab = VirtualLab(rig)
    power = lab.power_switch(slot)
    try:
        power.on()
        lab.bus.wait_until(slot.port, in_mode(slot.profile.initial_mode), 15, "the storage mode")
        config = SwitchConfig.from_mapping({"DefaultVendor": "0x12d1", "DefaultProduct": "0x14fe",
                                            "TargetVendor": "0x12d1", "TargetProductList": targets,
                                            "MessageContent": FORUM})
        try:
            result = NativeSwitchEngine(lab.bus).switch(slot.port, config, 20.0, settle=settle)
            passed, sent, verdict = True, result.sent_at, result.done_at
        except SwitchFailed as exc:
            passed, verdict = False, time.monotonic()
            sent = exc.result.sent_at if exc.result is not None else verdict  # type: ignore[attr-defined]
        last = max((e.time for e in lab.bus.events if e.port == slot.port), default=sent)
        return verdict - sent, verdict - last, passed
    finally:
        power.close()
        lab.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = {}
    for name, targets, settle in (("wrong id (-P 1506)", "1506", 1.5), ("pass (-P 1506,1c05)", "1506,1c05", 1.5),
                                  ("pass, no settle window", "1506,1c05", None)):
        runs = [one(targets, settle) for _ in range(args.repeat)]
        assert all(passed == ("," in targets) for *_, passed in runs), runs
        rows[name] = (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
        print(f"{name:<24} message -> verdict {rows[name][0]:6.3f} s   last USB event -> verdict "
              f"{rows[name][1]:6.3f} s   (median of {args.repeat})")
    wrong_after_settle = rows["wrong id (-P 1506)"][1]
    ratio = rows["pass (-P 1506,1c05)"][0] / rows["pass, no settle window"][0]
    print(f"wrong id: verdict {wrong_after_settle:.3f} s after the stick settled (target < 1.5 s); "
          f"passing switch with/without the settle window: ratio {ratio:.2f} (target <= 1.1)")
    return 0 if wrong_after_settle < 1.5 and ratio <= 1.1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
