"""Byte comparison of hilkit's native switch engine with usb_modeswitch 2.6.1 on every config of
usb-modeswitch-data: both switch the same emulated dongle under umockdev, and what the device
received from each is compared. Prints a summary and every config that differs or that the
reference did not switch, with the reason.

Each worker process runs under umockdev-wrapper with its own testbed:
    PYTHONPATH=. .venv/bin/python bench/reference_bytes.py [--workers N] [--limit N] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

from hilkit.config.paths import PROJECT_ROOT  # noqa: E402
from hilkit.config.profiles import ProfileLibrary  # noqa: E402
from hilkit.sim.umockdev import unavailable  # noqa: E402

sys.path.insert(0, str(PROJECT_ROOT / "tests"))  # the comparison is a test harness: tests/support
from support.reference import compare  # noqa: E402

BATCH = 40


def chunk(keys: list[str], out: str) -> int:
    """One worker process (one testbed): a batch of configs, one after another."""
    reason = unavailable()
    if reason:
        print(f"reference_bytes: {reason}", file=sys.stderr)
        return 2
    library = ProfileLibrary(PROJECT_ROOT / "device_profiles")
    rows = []
    for key in keys:
        r = compare(library.get(key))
        rows.append({"key": r.key, "method": r.method, "compared": r.compared, "identical": r.identical,
                     "reference_error": r.reference.error, "native_error": r.native.error,
                     "difference": r.difference()})
    with open(out, "w") as handle:
        json.dump(rows, handle)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="processes, each with its own testbed")
    parser.add_argument("--limit", type=int, default=0, help="only the first N configs")
    parser.add_argument("--json", help="write every comparison here")
    parser.add_argument("--chunk", help=argparse.SUPPRESS)   # INDEX/COUNT:FILE, for a worker
    args = parser.parse_args()
    library = ProfileLibrary(PROJECT_ROOT / "device_profiles")
    keys = [k for k in library.keys() if k.startswith("usb-modeswitch-data/")]  # noqa: SIM118 - a ProfileLibrary, not a dict
    if args.limit:
        keys = keys[:args.limit]
    if args.chunk:
        number, out = args.chunk.split(":", 1)
        return chunk(keys[int(number) * BATCH:(int(number) + 1) * BATCH], out)
    if not shutil.which("umockdev-wrapper"):
        print("reference_bytes: umockdev-wrapper not found (apt install umockdev)", file=sys.stderr)
        return 2
    start = time.monotonic()
    # Batches of BATCH configs, each in a fresh process: a testbed reuses USB addresses (and so
    # /dev/bus/usb nodes) after about 125 plugs, and umockdev 0.17 then loses ioctl sockets.
    batches = [keys[i:i + BATCH] for i in range(0, len(keys), BATCH)]
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(args.workers) as pool:
        def run(number: int) -> int:
            out = os.path.join(tmp, f"{number}.json")
            argv = ["umockdev-wrapper", sys.executable, __file__, "--chunk", f"{number}:{out}"]
            argv += ["--limit", str(args.limit)] if args.limit else []
            code = subprocess.run(argv, check=False).returncode
            if code == 0:
                rows.extend(json.loads(Path(out).read_text()))
            return code
        codes = list(pool.map(run, range(len(batches))))
    if any(codes):
        print(f"reference_bytes: {sum(1 for c in codes if c)} of {len(codes)} batches failed (exit codes {codes})",
              file=sys.stderr)
    wall = time.monotonic() - start
    results = [SimpleNamespace(**row) for row in sorted(rows, key=lambda r: r["key"])]
    compared = [r for r in results if r.compared]
    identical = [r for r in compared if r.identical]
    print(f"configs: {len(results)}; usb_modeswitch switched the emulated dongle: {len(compared)}; "
          f"byte-identical: {len(identical)}; differ: {len(compared) - len(identical)}; wall {wall:.1f} s "
          f"({len(batches)} batches, {args.workers} at a time)")
    print("by method (compared/identical): " + ", ".join(
        f"{m} {n}/{sum(1 for r in identical if r.method == m)}"
        for m, n in sorted(Counter(r.method for r in compared).items())))
    for r in results:
        if not r.compared:
            print(f"NOT SWITCHED BY usb_modeswitch {r.key} ({r.method}): {r.reference_error[:240]}")
        elif not r.identical:
            print(f"DIFFER {r.key} ({r.method}): {r.difference}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(rows, out, indent=1)
    return 0 if len(identical) == len(compared) and not any(codes) else 1


if __name__ == "__main__":
    sys.exit(main())
