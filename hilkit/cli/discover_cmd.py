"""``hilkit switch discover --port P``: find the switch for the dongle on a slot by trying candidates.

Prints one line per try, then the usb_modeswitch config that worked (ready for ``hilkit switch -c``
and for submitting to usb-modeswitch-data) and a drafted hilkit profile; ``--out DIR`` writes both.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from hilkit.cli.rig_arg import rig_argument
from hilkit.config.profiles import ProfileLibrary
from hilkit.core.errors import HilkitError
from hilkit.discovery import discover
from hilkit.dut import Dongle
from hilkit.lab.registry import open_lab
from hilkit.switch.candidates import candidates_for


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hilkit switch discover",
                                     description="Find the switch for the dongle on a slot: try every candidate "
                                                 "(usb-modeswitch-data for its id and vendor, then for sticks with "
                                                 "its interfaces, then the generic methods), power-cycling between "
                                                 "tries.")
    parser.add_argument("--port", required=True, help="the slot's USB port path (e.g. 1-1.2)")
    parser.add_argument("--rig", help="rig file or built-in rig (default: lab/virtual.yaml, else the shipped "
                                      "virtual rig)")
    parser.add_argument("--all", action="store_true", help="try every candidate, not only up to the first that works")
    parser.add_argument("--try-timeout", type=float, default=None, metavar="SECONDS",
                        help="ceiling per try (default: the profile's switch budget; a try ends sooner once "
                             "the device settles)")
    parser.add_argument("--out", metavar="DIR", help="write the config (DIR/<vvvv>:<pppp>) and the drafted profile "
                                                     "(DIR/<vvvv>-<pppp>.yaml) there")
    return parser


def run(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    loaded = rig_argument(args.rig, " (--rig)", bad_file=2)
    if isinstance(loaded, int):
        return loaded
    slot = next((s for s in loaded.slots if s.port == args.port), None)
    if slot is None:
        ports = ", ".join(f"{s.port} ({s.name})" for s in loaded.slots) or "none"
        print(f"hilkit: no slot of rig {loaded.name} is on port {args.port} (slots: {ports}); discover "
              "power-cycles the dongle between tries, so it needs a slot with its power switch", file=sys.stderr)
        return 2
    library = ProfileLibrary(loaded.profile_dirs)
    print(f"hilkit switch discover: slot {slot.name} on port {slot.port} of rig {loaded.name} ({loaded.path})",
          file=sys.stderr)
    try:
        lab = open_lab(loaded)
    except HilkitError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    dongle = Dongle(slot, lab)
    try:
        first = dongle.power_on()
        profiles = library.loadable()
        candidates = candidates_for(first, profiles)
        print(f"the device: {first.summary()}; {len(candidates)} candidates", file=sys.stderr)
        found = discover(dongle, candidates, try_all=args.all, try_timeout=args.try_timeout,
                         on_attempt=lambda attempt: print(attempt.line(), file=sys.stderr))
    except HilkitError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    finally:
        dongle.close()
        lab.close()
    tried = sum(1 for a in found.attempts if a.outcome != "refused")
    summary = (f"{len(found.attempts)} candidates looked at, {tried} sent, in {found.seconds:.1f} s")
    if found.found is None:
        print(f"hilkit switch discover: no candidate reached a modem or network mode ({summary})", file=sys.stderr)
        return 1
    print(f"hilkit switch discover: try {found.found.number} ({found.found.candidate.name}) reached "
          f"{found.found.detail} ({summary})", file=sys.stderr)
    config, profile = found.config_text(), found.profile_yaml()
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        ident = f"{found.before.id.vendor:04x}:{found.before.id.product:04x}"
        (out / ident).write_text(config, encoding="utf-8")
        (out / f"{ident.replace(':', '-')}.yaml").write_text(profile, encoding="utf-8")
        print(f"wrote {out / ident} (usb_modeswitch config) and {out / (ident.replace(':', '-') + '.yaml')} "
              "(drafted profile)", file=sys.stderr)
    else:
        print(config)
        print(profile)
    return 0
