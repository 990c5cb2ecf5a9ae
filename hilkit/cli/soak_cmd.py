"""``hilkit soak``: power-cycle every slot N times (resumable), faults on a lab that injects them."""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from hilkit.cli.rig_arg import rig_argument as _rig_argument
from hilkit.core.faults import FaultSpec, parse_fault
from hilkit.lab.lab_backend import Capability
from hilkit.lab.registry import lab_class


def cmd_soak(args: argparse.Namespace) -> int:
    from hilkit.lab.registry import open_lab
    from hilkit.soak import soak

    rig = _rig_argument(args.rig, " (--rig PATH)", bad_file=2)
    if isinstance(rig, int):
        return rig
    if args.slot:
        rig = replace(rig, slots=tuple(s for s in rig.slots if s.name in args.slot))
        if not rig.slots:
            print(f"hilkit soak: --slot {', '.join(args.slot)}: no such slot in {rig.path}", file=sys.stderr)
            return 2
    faults: list[FaultSpec] = []
    if args.fault:
        if Capability.FAULT_INJECTION not in lab_class(rig).capabilities:
            print("hilkit soak: --fault: faults can only be injected in the virtual lab", file=sys.stderr)
            return 2
        try:
            faults = [parse_fault(text) for text in args.fault]
        except ValueError as exc:
            print(f"hilkit soak: --fault: {exc}", file=sys.stderr)
            return 2
    lab = open_lab(rig)
    if faults:  # the command line's faults join the rig's, with the command line's seed
        for spec in faults:
            lab.faults.add(spec)
        lab.faults.reseed(args.seed)
    count = [0]

    def progress(record: dict) -> None:
        count[0] += 1
        if not args.quiet and (count[0] % args.every == 0 or not record.get("ok")):
            state = "ok" if record.get("ok") else f"FAILED ({record.get('category')})"
            print(f"cycle {record['cycle']:5d} {record['slot']}: {state}", file=sys.stderr)

    try:
        health = None
        if args.lock_dir or lab.can(Capability.HOST_HARDWARE):   # where runs keep slot health
            from hilkit.lab.slot_health import SlotHealth, health_dir
            from hilkit.lab.slotlock import lock_dir
            health = SlotHealth(health_dir(lock_dir(args.lock_dir)))
        summary = soak(rig, lab, args.cycles, Path(args.out), args.budget_scale, on_record=progress, health=health)
    except KeyboardInterrupt:
        print(f"hilkit soak: interrupted; resume with the same command (state in {args.out})", file=sys.stderr)
        return 130
    finally:
        lab.close()
    state = getattr(lab, "state_at_close", None)  # the virtual lab reports its relays at close
    summary.relays_at_rest = None if state is None else not any(state.values())
    text = "\n".join(summary.lines())
    print(text)
    (Path(args.out) / "summary.txt").write_text(text + "\n", encoding="utf-8")
    return 0 if not summary.mismatches and summary.relays_at_rest is not False else 1
