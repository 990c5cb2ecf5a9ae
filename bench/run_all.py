"""Run every benchmark in bench/ and print a summary table of their target lines.

    .venv/bin/python bench/run_all.py [--skip NAME ...]

Each benchmark runs in its own process, one after another (they measure time: never at once).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["profiles_load", "switch_sweep", "suite_wall", "detection_latency", "parallel_slots", "switch_verdict"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip", action="append", default=[], choices=BENCHES)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")])}
    rows = []
    for name in [b for b in BENCHES if b not in args.skip]:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, str(HERE / f"{name}.py")], capture_output=True, text=True, env=env)
        seconds = time.perf_counter() - start
        print(f"== {name} ({seconds:.0f} s, exit {done.returncode})\n{done.stdout.rstrip()}", flush=True)
        if done.returncode:
            print(done.stderr[-1500:])
        lines = done.stdout.strip().splitlines()
        verdict = next((line for line in reversed(lines) if "ratio" in line), lines[-1] if lines else "no output")
        rows.append((name, done.returncode, verdict))
    print("\n== summary")
    width = max(len(name) for name, _, _ in rows)
    for name, code, verdict in rows:
        print(f"{name:<{width}}  {'ok  ' if code == 0 else 'FAIL'}  {verdict}")
    return 1 if any(code for _, code, _ in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
