"""Benchmark: switch a virtual dongle for every imported usb-modeswitch-data config.

    .venv/bin/python bench/switch_sweep.py [--workers N]

Each config gets its own one-slot virtual lab (relay, pyusb backend, enumeration, switch,
re-enumeration on the same port). Prints wall time, CPU time and per-method timing against the
target of 60 s on this 2-core machine (issue 4).
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
from collections import defaultdict

from hilkit.config.paths import PROJECT_ROOT
from hilkit.config.profiles import ProfileLibrary

sys.path.insert(0, str(PROJECT_ROOT / "tests"))  # the sweep is a test harness: tests/support
from support.sweep import sweep  # noqa: E402


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--target", type=float, default=60.0)
    args = parser.parse_args()
    library = ProfileLibrary(PROJECT_ROOT / "device_profiles")
    profiles = [library.get(k) for k in library.keys() if k.startswith("usb-modeswitch-data/")]  # noqa: SIM118 - a ProfileLibrary, not a dict
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    outcomes = sweep(profiles, workers=args.workers)
    wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
    by_method: dict[str, list[float]] = defaultdict(list)
    for o in outcomes:
        by_method[o.method or "failed"].append(o.seconds)
    failed = [o for o in outcomes if not o.ok]
    print(f"configs: {len(outcomes)}, switched: {len(outcomes) - len(failed)}, failed: {len(failed)}")
    for o in failed[:10]:
        print(f"  FAILED {o.key}: {o.error}")
    print(f"wall {wall:.2f} s, CPU {cpu:.2f} s ({cpu / len(outcomes) * 1000:.1f} ms CPU per config), "
          f"{args.workers} workers")
    for method, times in sorted(by_method.items(), key=lambda kv: -len(kv[1])):
        print(f"  {method:<16} {len(times):4d} configs, mean {sum(times) / len(times):.3f} s, max {max(times):.3f} s")
    verdict = "within" if wall <= args.target else "OVER"
    print(f"target {args.target:.0f} s: ratio {wall / args.target:.2f} ({verdict} target)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
