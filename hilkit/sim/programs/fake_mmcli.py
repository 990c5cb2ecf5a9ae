"""A fake ``mmcli`` for the virtual lab: ModemManager's command-line client, answered from a file.

Run as ``python -m hilkit.sim.programs.fake_mmcli --state STATEFILE <mmcli args>``. It answers, like mmcli 1.20+:

- ``-L [-J]``: the modem list (``{"modem-list": [...]}``);
- ``-m <index | D-Bus path | device path | any> [-J]``: one modem (JSON with every value a string
  and ``"--"`` for unknown ones, or the human table);
- ``-m X -e``: enable (a modem must be enabled before it registers);
- ``-i <index | SIM path> --pin=NNNN``: unlock a SIM-PIN locked modem;
- ``-m X --simple-connect=apn=...[,ip-type=..,user=..,password=..]`` / ``--simple-disconnect``, and
  ``-b <index | bearer path> -J``: a data bearer (:mod:`~hilkit.sim.programs.mm_bearer`).

Errors go to stderr as mmcli writes them (``error: couldn't find modem``), with exit status 1.

The state lives in a JSON file that :class:`~hilkit.sim.programs.mm_state.MMState` writes (its
module tells how a modem's state goes with time); :mod:`hilkit.sim.programs.fake_mmcli_output`
renders it as mmcli prints it.

Kept cheap to start (no profile loading): each fake ``mmcli`` call is a new Python process.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from hilkit.sim.programs.fake_mmcli_output import HUMAN_ROWS, MODEM_PREFIX, SIM_PREFIX, format_human
from hilkit.sim.programs.mm_state import MmcliError, MMState, device_path


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # mmcli's way: one line on stderr, status 1
        raise MmcliError(f"error: couldn't parse command line options: {message}")


def _parser() -> _Parser:
    parser = _Parser(prog="mmcli", add_help=False, allow_abbrev=False)
    parser.add_argument("--state", required=True)
    parser.add_argument("-L", "--list-modems", action="store_true")
    parser.add_argument("-m", "--modem")
    parser.add_argument("-i", "--sim")
    parser.add_argument("-b", "--bearer")
    parser.add_argument("--simple-connect")
    parser.add_argument("--simple-disconnect", action="store_true")
    parser.add_argument("-e", "--enable", action="store_true")
    parser.add_argument("--pin")
    parser.add_argument("-J", "--output-json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(sys.argv[1:] if argv is None else list(argv))
        state = MMState(args.state)
        if args.list_modems:
            paths = state.modem_list()
            if args.output_json:
                print(json.dumps({"modem-list": paths}, separators=(",", ":")))
            elif not paths:
                print("No modems were found")
            else:
                for path in paths:
                    modem = state.modem_json(path)["modem"]["generic"]
                    print(f"    {path} [{modem['manufacturer']}] {modem['model']}")
        elif args.sim is not None:
            if args.pin is None:
                raise MmcliError("error: the fake mmcli only sends a PIN to a SIM (-i SIM --pin=PIN)")
            state.send_pin(args.sim, args.pin)
            print("successfully sent PIN code to the SIM")
        elif args.bearer is not None:
            print(json.dumps(state.bearer_json(args.bearer), separators=(",", ":")))
        elif args.modem is not None:
            if args.simple_connect is not None:
                state.simple_connect(args.modem, args.simple_connect)
                print("successfully connected the modem")
            elif args.simple_disconnect:
                state.simple_disconnect(args.modem)
                print("successfully disconnected all bearers in the modem")
            elif args.enable:
                state.enable(args.modem)
                print("successfully enabled the modem")
            elif args.output_json:
                print(json.dumps(state.modem_json(args.modem), separators=(",", ":")))
            else:
                sys.stdout.write(state.human(args.modem))
        else:
            raise MmcliError("error: no actions specified")
    except MmcliError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    sys.stdout.flush()
    return 0


#: what callers of the fake mmcli find here besides main(): its state and its rendering
__all__ = ["HUMAN_ROWS", "MODEM_PREFIX", "SIM_PREFIX", "MMState", "MmcliError", "device_path", "format_human", "main"]


if __name__ == "__main__":
    sys.exit(main())
