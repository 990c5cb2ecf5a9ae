"""``hilkit rig check`` and ``hilkit doctor``: a rig file, and the machine it runs on."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from hilkit.cli.rig_arg import rig_argument as _rig_argument
from hilkit.core.errors import HilkitError


def cmd_rig_check(args: argparse.Namespace) -> int:
    rig = _rig_argument(args.path, "", bad_file=1)
    if isinstance(rig, int):
        return rig
    print(f"{rig.path}: rig {rig.name} [{rig.backend}], {len(rig.slots)} slots")
    for slot in rig.slots:
        print(f"  {slot.name}: port {slot.port}, {slot.power.describe()}, {slot.profile.key} ({slot.profile.title})")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:

    from hilkit.doctor import FAIL, Host, run_doctor, summary

    rig = _rig_argument(args.rig, " (--rig PATH)", bad_file=2)
    if isinstance(rig, int):
        return rig
    findings = run_doctor(rig, Host(root=Path(args.root)))
    failed = any(f.status == FAIL for f in findings)
    if args.json:
        print(json.dumps({"rig": rig.path, "root": args.root, "ok": not failed,
                          "findings": [f.as_dict() for f in findings]}, indent=1))
    else:
        for finding in findings:
            print(finding.line())
        print(f"hilkit doctor: {summary(findings)} ({rig.path})", file=sys.stderr)
    return 1 if failed else 0


def cmd_rig_off(args: argparse.Namespace) -> int:
    """Every slot's power off (relays at rest, hub ports off): after a run that was killed before its
    teardown. A slot another run holds (its lock) is left alone and named."""

    from hilkit.lab.lab_backend import Capability
    from hilkit.lab.registry import lab_class, open_lab
    from hilkit.lab.slotlock import SlotBusy, SlotLock, lock_dir, lock_path

    rig = _rig_argument(args.rig, " (--rig)", bad_file=2)
    if isinstance(rig, int):
        return rig
    locking = bool(args.lock_dir or os.environ.get("HILKIT_LOCK_DIR")) or \
        Capability.HOST_HARDWARE in lab_class(rig).capabilities
    directory = lock_dir(args.lock_dir)
    try:
        lab = open_lab(rig)
    except HilkitError as exc:
        print(f"hilkit rig off: {exc}", file=sys.stderr)
        return 2
    busy = failed = 0
    try:
        for slot in rig.slots:
            lock = SlotLock(lock_path(directory, rig.name, slot.port), f"slot {slot.name} (port {slot.port})")
            try:
                if locking:
                    lock.acquire(args.wait)   # a run still tearing down ends first; a killed one's is free
            except SlotBusy as exc:
                busy += 1
                print(f"{slot.name}: left alone: {exc}")
                continue
            try:
                switch = lab.power_switch(slot)
                try:
                    switch.off()
                    print(f"{slot.name}: off ({slot.power.describe()})")
                finally:
                    switch.close()
            except HilkitError as exc:
                failed += 1
                print(f"{slot.name}: could not switch off: {exc}")
            finally:
                lock.release()
    finally:
        lab.close()
    return 1 if failed or busy else 0
