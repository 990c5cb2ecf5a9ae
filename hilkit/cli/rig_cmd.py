"""``hilkit rig check`` and ``hilkit doctor``: a rig file, and the machine it runs on."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hilkit.cli.rig_arg import rig_argument as _rig_argument


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
