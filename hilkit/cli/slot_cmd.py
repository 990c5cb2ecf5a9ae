"""``hilkit slot status | release NAME``: the rig's slots' health, and bringing a quarantined one back."""
from __future__ import annotations

import argparse
import sys

from hilkit.cli.rig_arg import rig_argument
from hilkit.lab.slot_health import SlotHealth, health_dir
from hilkit.lab.slotlock import lock_dir


def _store(args: argparse.Namespace) -> SlotHealth:
    return SlotHealth(health_dir(lock_dir(args.lock_dir)))


def cmd_slot_status(args: argparse.Namespace) -> int:
    rig = rig_argument(args.rig, " (--rig)", bad_file=2)
    if isinstance(rig, int):
        return rig
    store = _store(args)
    for slot in rig.slots:
        record = store.read(rig.name, slot.port)
        state = (f"QUARANTINED since {record.quarantined_since}" if record.quarantined_since
                 else "in service")
        last = f"; last problem: {record.last_problem}" if record.failures_in_a_row else ""
        print(f"{slot.name:<12} port {slot.port:<10} {state}; {record.failures_in_a_row} failed health checks "
              f"in a row{last}")
    print(f"(health state in {store.directory})", file=sys.stderr)
    return 0


def cmd_slot_release(args: argparse.Namespace) -> int:
    rig = rig_argument(args.rig, " (--rig)", bad_file=2)
    if isinstance(rig, int):
        return rig
    slot = next((s for s in rig.slots if s.name == args.name), None)
    if slot is None:
        print(f"hilkit: rig {rig.name} has no slot {args.name!r} (slots: {', '.join(s.name for s in rig.slots)})",
              file=sys.stderr)
        return 2
    before = _store(args).release(rig.name, slot.port)
    was = f"quarantined since {before.quarantined_since}" if before.quarantined_since else "not quarantined"
    print(f"slot {slot.name} (port {slot.port}) released ({was}; {before.failures_in_a_row} failed health checks "
          "in a row cleared): its next run checks it again")
    return 0
