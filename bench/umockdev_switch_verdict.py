"""Benchmark under umockdev: from the switch message to the verdict, usb_modeswitch vs hilkit.

    .venv/bin/python bench/umockdev_switch_verdict.py [--repeat N]

The same emulated E3131 (lab/umockdev.yaml's slot e3131, at the kernel interface: usbdevfs,
uevents, /dev/ttyUSB*) is switched with the forum's message by
  - the installed usb_modeswitch 2.6.1 with its own success check (``-s 10``), and
  - hilkit's engine (the Linux backend's bus: pyudev events, libusb), as ``hilkit switch`` does,
with its settle window in the lab's time (budgets.settle x the lab's time_scale);
each time from the moment the stick received the CBW to the verdict (usb_modeswitch's exit, or
hilkit's verdict). Two cases: the forum's -P 1506 on a stick that comes back as 1c05 (a wrong id:
usb_modeswitch's check waits out its 10 s, hilkit's ends once the stick has settled), and
-P 1506,1c05 (a pass). Prints the medians and their ratios (target for the wrong id: at least 10).
Re-runs itself under umockdev-wrapper (the preload must be there from the start).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from hilkit.config.paths import PROJECT_ROOT
from hilkit.core.switchconfig import SwitchConfig

FORUM = "55534243123456780000000000000011060000000000000000000000000000"


def measure(repeat: int, targets: str) -> tuple[list[float], list[float]]:
    from hilkit.core.errors import SwitchFailed
    from hilkit.dut import Dongle
    from hilkit.lab.registry import load_rig
    from hilkit.programs import find_program
    from hilkit.sim.umockdev.umockdev_lab import UmockdevLab
    from hilkit.switch.native import NativeSwitchEngine

    rig = load_rig(PROJECT_ROOT / "lab" / "umockdev.yaml")
    slot = rig.slot("e3131")
    lab = UmockdevLab(rig)
    config = SwitchConfig.from_mapping({"DefaultVendor": "0x12d1", "DefaultProduct": "0x14fe", "TargetVendor": "0x12d1",
                                        "TargetProductList": targets, "MessageContent": FORUM})
    program = find_program("usb_modeswitch") or "usb_modeswitch"
    theirs, ours = [], []
    try:
        for _ in range(repeat):
            for engine in ("usb_modeswitch", "hilkit"):
                dongle = Dongle(slot, lab)
                device = lab.dongle("e3131")
                try:
                    before = dongle.power_on()
                    mark = len(device.switch_transfers())
                    if engine == "hilkit":
                        try:
                            NativeSwitchEngine(lab.bus).switch(slot.port, config, 20.0, settle=dongle.settle_window)
                        except SwitchFailed:
                            assert "," not in targets, "the passing switch failed"
                    else:
                        with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as handle:
                            handle.write(config.as_config_text())
                        try:
                            subprocess.run([program, "-v", "12d1", "-p", "14fe", "-b", str(before.bus), "-g",
                                            str(before.address), "-c", handle.name, "-s", "10"],
                                           capture_output=True, text=True, timeout=60, check=False)
                        finally:
                            os.unlink(handle.name)
                    verdict = time.monotonic()
                    cbw = [r for r in device.switch_transfers()[mark:] if r.data[:4] == b"USBC"]
                    (ours if engine == "hilkit" else theirs).append(verdict - cbw[0].time)
                finally:
                    dongle.close()
    finally:
        lab.close()
    return theirs, ours


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from hilkit.sim.umockdev import preloaded, unavailable
    if not preloaded():
        wrapper = shutil.which("umockdev-wrapper")
        if wrapper is None:
            print("umockdev_switch_verdict: umockdev-wrapper not found (apt install umockdev)", file=sys.stderr)
            return 2
        return subprocess.call([wrapper, sys.executable, __file__, *sys.argv[1:]])
    reason = unavailable()
    if reason:
        print(f"umockdev_switch_verdict: {reason}", file=sys.stderr)
        return 2
    ratios = {}
    for name, targets in (("wrong id (-P 1506, back as 1c05)", "1506"), ("pass (-P 1506,1c05)", "1506,1c05")):
        theirs, ours = measure(args.repeat, targets)
        usb_modeswitch, hilkit = statistics.median(theirs), statistics.median(ours)
        ratios[name] = usb_modeswitch / hilkit
        print(f"{name}:")
        print(f"  usb_modeswitch -s 10: CBW received -> verdict {usb_modeswitch:.3f} s "
              f"({', '.join(f'{t:.3f}' for t in theirs)})")
        print(f"  hilkit switch:        CBW received -> verdict {hilkit:.3f} s ({', '.join(f'{t:.3f}' for t in ours)})")
        print(f"  ratio usb_modeswitch / hilkit: {ratios[name]:.1f}")
    wrong = ratios["wrong id (-P 1506, back as 1c05)"]
    print(f"wrong-id ratio {wrong:.1f} (target >= 10)")
    return 0 if wrong >= 10 else 1


if __name__ == "__main__":
    raise SystemExit(main())
