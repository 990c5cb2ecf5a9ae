"""Benchmark: load and check every profile under device_profiles/ in a fresh process.

    .venv/bin/python bench/profiles_load.py [--repeat N]

Prints the best of N cold-process runs (imports included), against the target of 0.3 s set in
issue 4; and the first run on a machine, which also compiles the profile schema to Python
(fastjsonschema) and keeps it in the user's cache (here: an empty cache directory of its own).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import json, time
t0 = time.perf_counter()
from hilkit.config.paths import PROJECT_ROOT
from hilkit.config.profiles import ProfileLibrary
t1 = time.perf_counter()
library = ProfileLibrary(PROJECT_ROOT / "device_profiles")
results = list(library.check_all())
t2 = time.perf_counter()
print(json.dumps({"profiles": len(results), "bad": sum(1 for _, e in results if e),
                  "import_s": t1 - t0, "load_s": t2 - t1}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--target", type=float, default=0.3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "XDG_CACHE_HOME": cache}
        first, *runs = [json.loads(subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                                                  check=True, env=env).stdout) for _ in range(args.repeat + 1)]
    best = min(runs, key=lambda r: r["load_s"])
    print(f"first run (empty cache: the schema compiled, then kept): {first['load_s']:.3f} s")
    print(f"profiles: {best['profiles']} ({best['bad']} bad)")
    print(f"load + check all profiles: best {best['load_s']:.3f} s of {args.repeat} cold runs "
          f"(median {sorted(r['load_s'] for r in runs)[len(runs) // 2]:.3f} s); "
          f"hilkit import {best['import_s']:.3f} s")
    print(f"target {args.target:.3f} s: ratio {best['load_s'] / args.target:.2f} "
          f"({'within' if best['load_s'] <= args.target else 'OVER'} target)")
    return 0 if best["bad"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
