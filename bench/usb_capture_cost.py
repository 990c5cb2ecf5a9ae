"""Benchmark: what capturing a switch test's USB traffic costs on the virtual lab.

    .venv/bin/python bench/usb_capture_cost.py [--repeat N]

One switch test's work (power on, switch the E3131 to its modem mode, power off) timed, then the
capture of that test (the device's URBs as usbmon shows them, written as a pcapng): prints the
median of each and their ratio (target: at most 5%).
"""
from __future__ import annotations

import argparse
import statistics
import time

from hilkit.config.paths import builtin_rig
from hilkit.dut import Dongle
from hilkit.lab.registry import load_rig
from hilkit.report.pcapng import pcapng
from hilkit.sim.virtual_lab import VirtualLab


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    rig = load_rig(builtin_rig("virtual"))
    slot = rig.slot("e3131")
    lab = VirtualLab(rig)
    tests, captures, sizes = [], [], []
    try:
        for _ in range(args.repeat):
            dongle = Dongle(slot, lab)
            since = start = time.monotonic()
            try:
                dongle.power_on()
                dongle.switch_to("modem")
            finally:
                dongle.close()
            tests.append(time.monotonic() - start)
            start = time.monotonic()
            events = lab.usb_capture(slot, since) or []
            data = pcapng(events, "usbmon1", f"slot {slot.name} port {slot.port}")
            captures.append(time.monotonic() - start)
            sizes.append(len(data))
    finally:
        lab.close()
    test, capture = statistics.median(tests), statistics.median(captures)
    ratio = capture / test
    print(f"switch test {test * 1000:.1f} ms, its capture {capture * 1000:.2f} ms ({sizes[-1]} bytes): "
          f"ratio {ratio:.2%} (target <= 5%, median of {args.repeat})")
    return 0 if ratio <= 0.05 else 1


if __name__ == "__main__":
    raise SystemExit(main())
