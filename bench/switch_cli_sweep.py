"""``hilkit switch`` over every usb-modeswitch-data config, on an emulated host bus: the command a
user runs, with the database's own config file (``-c``), against a dongle at the kernel interface
(umockdev: libusb, usbdevfs, sysfs as on a rig). Counts how each run ended and fails on any
traceback: a config the device cannot take must be refused in one line or sent as usb_modeswitch
sends it, never end in a Python exception.

    PYTHONPATH=. .venv/bin/python bench/switch_cli_sweep.py [--workers N] [--limit N]

Each batch runs in its own process under umockdev-wrapper (a testbed per batch, as
bench/reference_bytes.py does).
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hilkit.cli.main import main as hilkit_main
from hilkit.config.paths import PROJECT_ROOT
from hilkit.config.profiles import ProfileLibrary
from hilkit.sim.umockdev import unavailable

BATCH = 40
PORT = "1-1.1"


def one(key: str, tmp: Path) -> dict:
    """Run ``hilkit switch --rig R --power-on --port P -c CONFIG`` in this process; how did it end?"""
    library = ProfileLibrary(PROJECT_ROOT / "device_profiles")
    config = library.get(key).switches[0].config
    rig, conf = tmp / "rig.yaml", tmp / "switch.conf"
    rig.write_text(f"name: sweep\nbackend: umockdev\npin_factory: mock\nprofiles: {PROJECT_ROOT / 'device_profiles'}\n"
                   f"slots:\n  - name: dut\n    power: {{driver: gpio, pin: 17}}\n    port: \"{PORT}\"\n"
                   f"    profile: {key}\n")
    conf.write_text(config.as_config_text())
    out, err = io.StringIO(), io.StringIO()
    row = {"key": key, "code": None, "traceback": "", "last": ""}
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            row["code"] = hilkit_main(["switch", "--rig", str(rig), "--power-on", "--port", PORT, "-c", str(conf)])
    except SystemExit as exc:
        row["code"] = exc.code if isinstance(exc.code, int) else 2
    except BaseException:  # noqa: BLE001 - the point: anything escaping the command is a finding
        row["traceback"] = traceback.format_exc()
    text = out.getvalue() + err.getvalue()
    if "Traceback (most recent call last)" in text and not row["traceback"]:
        row["traceback"] = text
    row["last"] = next((line for line in reversed(text.splitlines()) if line.strip()), "")
    return row


def chunk(keys: list[str], out: str) -> int:
    reason = unavailable()
    if reason:
        print(f"switch_cli_sweep: {reason}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        rows = [one(key, Path(tmp)) for key in keys]
    Path(out).write_text(json.dumps(rows))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--chunk", help=argparse.SUPPRESS)
    args = parser.parse_args()
    library = ProfileLibrary(PROJECT_ROOT / "device_profiles")
    keys = [k for k in library.keys() if k.startswith("usb-modeswitch-data/")]  # noqa: SIM118 - not a dict
    keys = keys[:args.limit] if args.limit else keys
    if args.chunk:
        number, out = args.chunk.split(":", 1)
        return chunk(keys[int(number) * BATCH:(int(number) + 1) * BATCH], out)
    if not shutil.which("umockdev-wrapper"):
        print("switch_cli_sweep: umockdev-wrapper not found (apt install umockdev)", file=sys.stderr)
        return 2
    start, rows, batches = time.monotonic(), [], range(0, (len(keys) + BATCH - 1) // BATCH)
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(args.workers) as pool:
        def run(number: int) -> int:
            out = os.path.join(tmp, f"{number}.json")
            argv = ["umockdev-wrapper", sys.executable, __file__, "--chunk", f"{number}:{out}"]
            argv += ["--limit", str(args.limit)] if args.limit else []
            code = subprocess.run(argv, check=False, env=dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))).returncode
            if code == 0:
                rows.extend(json.loads(Path(out).read_text()))
            return code
        codes = list(pool.map(run, batches))
    tracebacks = [r for r in rows if r["traceback"]]
    print(f"hilkit switch over {len(rows)} of {len(keys)} usb-modeswitch-data configs on an emulated bus: "
          f"{len(tracebacks)} tracebacks; exit codes {dict(Counter(r['code'] for r in rows))}; "
          f"wall {time.monotonic() - start:.0f} s")
    for r in rows:
        if r["code"] not in (0, None) or r["traceback"]:
            print(f"  {r['key']}: exit {r['code']}: {r['last'][:200]}")
    for r in tracebacks:
        print(f"TRACEBACK {r['key']}:\n{r['traceback']}")
    return 1 if tracebacks or any(codes) or len(rows) != len(keys) else 0


if __name__ == "__main__":
    sys.exit(main())
