"""The ``hilkit`` command.

    hilkit run [--rig PATH] [--profile NAME] [--results DIR] [--parallel] [-- PYTEST ARGS]
    hilkit profiles check [PATH ...]
    hilkit rig check [PATH]
    hilkit doctor [--rig PATH] [--json]
"""
from __future__ import annotations

import argparse
import sys

from hilkit import __version__
from hilkit.cli.nm_cmd import cmd_nm_connection
from hilkit.cli.profiles_cmd import (
    cmd_profiles_capture,
    cmd_profiles_check,
    cmd_profiles_import,
    cmd_profiles_list,
)
from hilkit.cli.rig_cmd import cmd_doctor, cmd_rig_check, cmd_rig_off
from hilkit.cli.run_cmd import cmd_report, cmd_run
from hilkit.cli.slot_cmd import cmd_slot_release, cmd_slot_status
from hilkit.cli.soak_cmd import cmd_soak
from hilkit.config.paths import PROJECT_ROOT, shipped_profiles


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hilkit", description="Hardware-in-the-loop tests for USB cellular modems.")
    parser.add_argument("--version", action="version", version=f"hilkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run the validation suites on a rig (default: the virtual lab)")
    run.add_argument("--rig", help="rig file (default: lab/virtual.yaml)")
    run.add_argument("--profile", action="append", help="only slots with this profile (repeatable)")
    run.add_argument("--results", default="allure-results", help="Allure results directory (default: %(default)s)")
    run.add_argument("--suites", help="suites directory (default: hilkit's suites/)")
    run.add_argument("--no-clean", dest="clean", action="store_false",
                     help="keep earlier results in the results directory")
    run.add_argument("--report", default="allure-report", help="HTML report directory (default: %(default)s)")
    run.add_argument("--no-html", dest="html", action="store_false", help="skip the HTML report")
    run.add_argument("--junitxml", default="junit.xml", help="JUnit XML file (default: %(default)s; '' for none)")
    run.add_argument("--parallel", action="store_true",
                     help="run every slot at once (one forked runner per slot); default: one slot after another")
    run.add_argument("--slot-wait", type=float, default=0.0, metavar="SECONDS",
                     help="wait up to this long for a slot another run holds (default: fail at once)")
    run.add_argument("pytest_args", nargs="*", help="extra pytest arguments, after --")
    run.set_defaults(func=cmd_run)

    sub.add_parser("switch", help="switch a dongle with usb_modeswitch's flags (see: hilkit switch -h)")

    report = sub.add_parser("report", help="HTML report from Allure results (the pinned Allure 3, installed "
                                           "into the user's cache once where Node.js 20+ is present)")
    report.add_argument("--results", default="allure-results", help="Allure results directory (default: %(default)s)")
    report.add_argument("--out", default="allure-report", help="output directory (default: %(default)s)")
    report.set_defaults(func=cmd_report)

    profiles = sub.add_parser("profiles", help="device profiles").add_subparsers(dest="action", required=True,
                                                                                 metavar="ACTION")
    check = profiles.add_parser("check", help="validate profile files (default: all the shipped profiles)")
    check.add_argument("paths", nargs="*", help="profile files or directories")
    check.add_argument("-v", "--verbose", action="store_true", help="also list the good ones")
    check.set_defaults(func=cmd_profiles_check)

    listing = profiles.add_parser("list", help="every profile: its name, ids and the folder it comes from")
    listing.add_argument("pattern", nargs="?", help="only names, ids or models containing this (e.g. e3372, 12d1:)")
    listing.add_argument("--profiles", action="append", metavar="DIR",
                         help="a lab's own profile folder, looked up before the shipped ones (repeatable)")
    listing.add_argument("--rig", help="list the profile folders this rig names (its own, then the shipped)")
    listing.set_defaults(func=cmd_profiles_list)

    imp = profiles.add_parser("import", help="import usb-modeswitch-data as profiles (reproducible)")
    imp.add_argument("--from", dest="source", help="configPack.tar.gz (default: the installed one, else the "
                                                    "copy kept in device_profiles/usb-modeswitch-data/)")
    imp.add_argument("--overrides", help="directory of override configs (default: /etc/usb_modeswitch.d)")
    imp.add_argument("--no-overrides", action="store_true", help="ignore /etc/usb_modeswitch.d")
    imp.add_argument("--out", default=str(PROJECT_ROOT / "device_profiles" / "usb-modeswitch-data"),
                     help="output directory (default: %(default)s)")
    imp.set_defaults(func=cmd_profiles_import)

    cap = profiles.add_parser("capture", help="draft a profile from `lsusb -v` output (a file, or - for stdin)")
    cap.add_argument("source", help="lsusb -v text file, or - for standard input")
    cap.add_argument("--vendor", help="vendor name for the draft")
    cap.add_argument("--model", help="model name for the draft")
    cap.add_argument("--out", metavar="PATH", help="write the draft to PATH (a folder, or a path ending in /: "
                                                   "PATH/<vendor>/<model>.yaml per device) instead of printing it")
    cap.add_argument("--force", action="store_true", help="with --out: replace a file that exists")
    cap.set_defaults(func=cmd_profiles_capture)

    soak_cmd = sub.add_parser("soak", help="power-cycle, switch and attach every slot N times; resumable")
    soak_cmd.add_argument("--cycles", type=int, default=100, help="cycles per slot (default: %(default)s)")
    soak_cmd.add_argument("--rig", help="rig file (default: lab/virtual.yaml)")
    soak_cmd.add_argument("--slot", action="append", help="only this slot (repeatable)")
    soak_cmd.add_argument("--out", default="soak", help="records, state and summary directory (default: %(default)s)")
    soak_cmd.add_argument("--fault", action="append", default=[],
                          help="virtual lab: inject name[:probability[:count]] (repeatable)")
    soak_cmd.add_argument("--seed", type=int, default=0, help="fault random seed (default: %(default)s)")
    soak_cmd.add_argument("--budget-scale", type=float, default=1.0,
                          help="multiply the profiles' time budgets (the virtual lab's dongles are fast)")
    soak_cmd.add_argument("--every", type=int, default=50, help="print every Nth passing cycle")
    soak_cmd.add_argument("--lock-dir", help="the runs' slot lock directory: quarantined slots (its health state) "
                                            "are left out and counted (default on a rig: the runs' own)")
    soak_cmd.add_argument("-q", "--quiet", action="store_true", help="print only the summary")
    soak_cmd.set_defaults(func=cmd_soak)

    nm = sub.add_parser("nm-connection", help="write or check a NetworkManager GSM keyfile for a profile")
    nm.add_argument("profile", nargs="?", help="profile name, e.g. huawei/e3131")
    nm.add_argument("--out", help="write the keyfile here (mode 0600); it is also shown, password masked")
    nm.add_argument("--name", help="connection id (default: vendor, model and APN)")
    nm.add_argument("--store-password", action="store_true",
                    help="store the APN password from the profile's password_env in the file "
                         "(default: password-flags=1, an agent supplies it)")
    nm.add_argument("--check", metavar="FILE", help="check an existing keyfile (against the profile, if given)")
    nm.add_argument("--profiles", default=str(shipped_profiles()), help="profiles directory")
    nm.set_defaults(func=cmd_nm_connection)

    rig = sub.add_parser("rig", help="rig files").add_subparsers(dest="action", required=True, metavar="ACTION")
    rig_check = rig.add_parser("check", help="validate a rig file and the profiles it names")
    rig_check.add_argument("path", nargs="?", help="rig file (default: lab/virtual.yaml)")
    rig_check.set_defaults(func=cmd_rig_check)
    rig_off = rig.add_parser("off", help="switch every slot's power off (after a run killed before its teardown)")
    rig_off.add_argument("--rig", help="rig file or built-in rig (default: lab/virtual.yaml)")
    rig_off.add_argument("--lock-dir", help="the runs' slot lock directory (default: $HILKIT_LOCK_DIR, else the "
                                            "runs' default): a slot another run holds is left alone")
    rig_off.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                         help="wait this long for a run that still holds a slot (default 0)")
    rig_off.set_defaults(func=cmd_rig_off)

    matrix = sub.add_parser("matrix", help="compatibility matrix over many nights: HTML and JSON")
    matrix.add_argument("nights", help="folder of nights: one sub-folder per run with its allure-results/")
    matrix.add_argument("--out", default=".", help="where matrix.html and matrix.json go (default: here)")
    matrix.add_argument("--last", type=int, default=14, help="nights in each cell's strip (default: %(default)s)")
    matrix.set_defaults(func=cmd_matrix)

    slot = sub.add_parser("slot", help="slot health: status, and releasing a quarantined slot").add_subparsers(
        dest="action", required=True, metavar="ACTION")
    for name, func, text in (("status", cmd_slot_status, "every slot: in service or quarantined, and why"),
                             ("release", cmd_slot_release, "bring a quarantined slot back into service")):
        action = slot.add_parser(name, help=text)
        if name == "release":
            action.add_argument("name", help="the slot's name in the rig file")
        action.add_argument("--rig", help="rig file or built-in rig (default: lab/virtual.yaml)")
        action.add_argument("--lock-dir", help="the runs' slot lock directory (--hilkit-lock-dir; "
                                               "the health state is beside it)")
        action.set_defaults(func=func)

    doctor = sub.add_parser("doctor", help="check this machine for a rig: udev rules, ModemManager, container, "
                                           "permissions, GPIO, uhubctl, ports (exit 1 on any FAIL)")
    doctor.add_argument("--rig", help="rig file (default: lab/virtual.yaml)")
    doctor.add_argument("--root", default="/", help=argparse.SUPPRESS)  # a fake or mounted root, for tests
    doctor.add_argument("--json", action="store_true", help="print the findings as JSON")
    doctor.set_defaults(func=cmd_doctor)
    return parser


def cmd_matrix(args: argparse.Namespace) -> int:
    from pathlib import Path

    from hilkit.report.matrix import write_matrix
    try:
        page, data = write_matrix(Path(args.nights), Path(args.out), args.last)
    except (OSError, ValueError) as exc:
        print(f"hilkit matrix: {exc}", file=sys.stderr)
        return 2
    print(f"matrix: {page.resolve()} (data: {data.resolve()})")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:2] == ["switch", "discover"]:
        from hilkit.cli.discover_cmd import run as discover
        return discover(argv[2:])
    if argv[:1] == ["switch"]:
        # usb_modeswitch's flags (-v, -p, -M ...) are parsed by the switch command itself
        from hilkit.cli.switch_cmd import run
        return run(argv[1:])
    args = build_parser().parse_args(argv)
    args.raw_argv = list(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("hilkit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
