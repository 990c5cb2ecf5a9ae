"""Benchmark: the suites on 8 virtual slots in parallel against the suites on 1 slot.

    .venv/bin/python bench/parallel_slots.py [--repeat N] [--cycles N] [--only-hilkit-plugins] [--profile]

1. Wall time of ``pytest suites --hilkit-rig lab/virtual8.yaml --hilkit-parallel`` (one forked
   runner per slot) over ``pytest suites`` on a one-slot rig (the first slot of virtual8), best of N each,
   against the target ratio of 1.25 on this 2-core machine (issue 9); CPU of the whole process tree.
2. hilkit's CPU seconds per slot-cycle (power on, enumerate, switch, attach, power off), in one
   process, all 8 slots cycling at once on threads (``resource.getrusage``: this process, and the
   fake ``mmcli`` it runs for ModemManager attach, counted apart).

``--only-hilkit-plugins`` leaves out the pytest plugins installed beside hilkit that the suites do
not use (``-p no:NAME`` for each), to show what they cost at start-up.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import subprocess
import sys
import tempfile
import threading
import time
from importlib.metadata import entry_points
from pathlib import Path

from hilkit.config.paths import PROJECT_ROOT
from hilkit.dut import Dongle
from hilkit.lab.registry import load_rig
from hilkit.sim.virtual_lab import VirtualLab
from hilkit.soak import one_cycle

RIG8 = PROJECT_ROOT / "lab" / "virtual8.yaml"
NEEDED = {"hilkit", "allure_pytest", "timeout"}


def cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def one_slot_rig(directory: Path) -> Path:
    """The first slot of virtual8 as a rig of its own."""
    whole = RIG8.read_text()
    text = whole.split("  - name: e3372-2")[0]
    if "\ndata_path:" in whole:   # the same download per slot as the 8-slot run measures
        text += "data_path:" + whole.split("\ndata_path:", 1)[1]
    text = text.replace("name: virtual8", "name: virtual1").replace(
        "profiles: ../device_profiles", f"profiles: {PROJECT_ROOT / 'device_profiles'}")
    path = directory / "virtual1.yaml"
    path.write_text(text)
    return path


def run_suites(args: list[str], repeat: int) -> tuple[float, float, str]:
    """Best wall time of ``repeat`` runs, the CPU of that run's process tree, its last line."""
    best = (float("inf"), 0.0, "")
    for _ in range(repeat):
        cpu0, wall0 = cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "pytest", str(PROJECT_ROOT / "suites"), "-q",
                               "-p", "no:cacheprovider", "--hilkit-progress=off", *args],
                              capture_output=True, text=True, cwd=PROJECT_ROOT)
        wall, used = time.perf_counter() - wall0, cpu(resource.RUSAGE_CHILDREN) - cpu0
        last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr.strip()[-300:]
        if done.returncode != 0:
            raise SystemExit(f"suites failed ({' '.join(args)}): {last}")
        if wall < best[0]:
            best = (wall, used, last)
    return best


def slot_cycles(cycles: int, profile: bool) -> None:
    rig = load_rig(RIG8)
    lab = VirtualLab(rig)
    failures: list[str] = []

    def run(slot_name: str, n: int) -> None:
        for _ in range(n):
            dongle = Dongle(rig.slot(slot_name), lab, budget_scale=0.2)
            try:
                one_cycle(dongle)
            except Exception as exc:  # noqa: BLE001 - counted and shown, the benchmark goes on
                failures.append(f"{slot_name}: {type(exc).__name__}: {exc}")
            finally:
                dongle.close()
                lab.bus.wait_gone(dongle.port, 10)

    try:
        run(rig.slots[0].name, 1)  # warm-up: imports and first-use caches are not per cycle
        self0, child0, wall0 = cpu(resource.RUSAGE_SELF), cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
        threads = [threading.Thread(target=run, args=(s.name, cycles)) for s in rig.slots]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - wall0
        own, child = cpu(resource.RUSAGE_SELF) - self0, cpu(resource.RUSAGE_CHILDREN) - child0
        total = cycles * len(rig.slots)
        print(f"slot-cycles: {total} ({len(rig.slots)} slots x {cycles}, on threads), wall {wall:.2f} s, "
              f"{len(failures)} failed")
        for failure in failures[:5]:
            print(f"  FAILED {failure}")
        print(f"CPU per slot-cycle: {own / total * 1000:.1f} ms in-process (framework + virtual lab), "
              f"{child / total * 1000:.1f} ms in the fake mmcli (ModemManager slots)")
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
            run(rig.slots[0].name, cycles)
            profiler.disable()
            print(f"main-thread profile of {cycles} cycles of slot {rig.slots[0].name} (tottime):")
            pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(12)
    finally:
        lab.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--cycles", type=int, default=10, help="slot-cycles per slot for the CPU figure")
    parser.add_argument("--target", type=float, default=1.25)
    parser.add_argument("--only-hilkit-plugins", action="store_true",
                        help="-p no:NAME for the installed pytest plugins the suites do not use")
    parser.add_argument("--profile", action="store_true", help="also cProfile one slot's cycles")
    args = parser.parse_args()
    extra: list[str] = []
    if args.only_hilkit_plugins:
        for name in sorted({e.name for e in entry_points(group="pytest11")} - NEEDED):
            extra += ["-p", f"no:{name}"]
        print(f"left out: {' '.join(extra[1::2]) or 'nothing'}")
    with tempfile.TemporaryDirectory() as tmp:
        one = one_slot_rig(Path(tmp))
        wall1, cpu1, last1 = run_suites([f"--hilkit-rig={one}", *extra], args.repeat)
        wall8, cpu8, last8 = run_suites([f"--hilkit-rig={RIG8}", "--hilkit-parallel", *extra], args.repeat)
    print(f"1 slot, one process:          wall {wall1:6.2f} s, CPU {cpu1:6.2f} s  ({last1})")
    print(f"8 slots, --hilkit-parallel:   wall {wall8:6.2f} s, CPU {cpu8:6.2f} s  ({last8})")
    print(f"CPU per slot in the 8-slot run: {cpu8 / 8:.2f} s (process start-up included)")
    slot_cycles(args.cycles, args.profile)
    ratio = wall8 / wall1
    print(f"target ratio {args.target:.2f}: 8 slots / 1 slot wall ratio {ratio:.2f} "
          f"({'within' if ratio <= args.target else 'OVER'} target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
