"""Benchmark: the whole virtual suite, as a lab runs it: ``hilkit run`` on lab/virtual.yaml.

    .venv/bin/python bench/suite_wall.py [--parallel] [--repeat N]

Wall time of the command (process start-up, collection, every test, Allure results and JUnit
XML; no HTML report), best of N, against the target of 15 s (issue 9).
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hilkit.config.paths import PROJECT_ROOT


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--parallel", action="store_true", help="hilkit run --parallel")
    parser.add_argument("--target", type=float, default=15.0)
    args = parser.parse_args()
    runs = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            argv = [sys.executable, "-m", "hilkit", "run", "--no-html", "--results", str(Path(tmp) / "results"),
                    "--junitxml", str(Path(tmp) / "junit.xml")] + (["--parallel"] if args.parallel else [])
            usage0, wall0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
            done = subprocess.run(argv, capture_output=True, text=True, cwd=PROJECT_ROOT)
            wall, usage = time.perf_counter() - wall0, resource.getrusage(resource.RUSAGE_CHILDREN)
            if done.returncode != 0:
                print(done.stdout[-2000:] + done.stderr[-2000:])
                return 1
            cpu = usage.ru_utime + usage.ru_stime - usage0.ru_utime - usage0.ru_stime
            runs.append((wall, cpu, done.stdout.strip().splitlines()[-1]))
    wall, cpu, last = min(runs)
    print(f"hilkit run{' --parallel' if args.parallel else ''} (lab/virtual.yaml): best wall {wall:.2f} s of "
          f"{args.repeat} (CPU {cpu:.2f} s): {last}")
    verdict = "within" if wall <= args.target else "OVER"
    print(f"target {args.target:.0f} s: ratio {wall / args.target:.2f} ({verdict} target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
