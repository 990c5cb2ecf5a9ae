"""The ``hilkit`` command.

    hilkit run [--rig PATH] [--profile NAME] [--results DIR] [--parallel] [-- PYTEST ARGS]
    hilkit profiles check [PATH ...]
    hilkit rig check [PATH]
    hilkit doctor [--rig PATH] [--json]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from hilkit import __version__
from hilkit.config.paths import PROJECT_ROOT, default_rig
from hilkit.config.profiles import load_profile
from hilkit.core.errors import HilkitError, SourceError
from hilkit.core.faults import FaultSpec, parse_fault
from hilkit.core.rig import Rig
from hilkit.lab.contract import Capability
from hilkit.lab.registry import lab_class, load_rig

REPO_TARBALL = PROJECT_ROOT / "device_profiles" / "usb-modeswitch-data" / "configPack.tar.gz"


def _profile_files(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths or [str(PROJECT_ROOT / "device_profiles")]:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(path.rglob("*.yaml")))
        else:
            files.append(path)
    return files


def cmd_profiles_check(args: argparse.Namespace) -> int:
    files = _profile_files(args.paths)
    if not files:
        print("hilkit: no profile files found", file=sys.stderr)
        return 2
    bad = 0
    for path in files:
        try:
            profile = load_profile(path)
        except SourceError as exc:
            bad += 1
            print(exc.one_line(), file=sys.stderr)
            continue
        if args.verbose:
            print(f"{path}: ok ({profile.title}; modes: {', '.join(profile.modes)})")
    print(f"{len(files) - bad} of {len(files)} profiles ok", file=sys.stderr if bad else sys.stdout)
    return 1 if bad else 0


def cmd_profiles_import(args: argparse.Namespace) -> int:
    from hilkit.config.modeswitch_db import DEFAULT_OVERRIDES, DEFAULT_TARBALL, import_database

    tarball = Path(args.source) if args.source else (
        DEFAULT_TARBALL if DEFAULT_TARBALL.is_file() else REPO_TARBALL)
    if not tarball.is_file():
        print(f"hilkit: {tarball}: no such file (install usb-modeswitch-data, or pass --from)", file=sys.stderr)
        return 2
    overrides = None if args.no_overrides else Path(args.overrides or DEFAULT_OVERRIDES)
    report = import_database(Path(args.out), tarball, overrides)
    for line in report.errors or []:
        print(line, file=sys.stderr)
    print(f"imported {report.written + report.unchanged} configs from {tarball} into {args.out}: "
          f"{report.written} written, {report.unchanged} unchanged, {len(report.errors or [])} errors")
    return 1 if report.errors else 0


def cmd_profiles_capture(args: argparse.Namespace) -> int:
    from hilkit.config.capture import capture_command

    return capture_command(args.source, sys.stdout, sys.stderr, vendor=args.vendor, model=args.model)


def cmd_nm_connection(args: argparse.Namespace) -> int:
    import os

    from hilkit.config.profiles import ProfileLibrary
    from hilkit.modem.nmconnection import check_keyfile, masked, render_keyfile, write_keyfile

    try:
        profile = ProfileLibrary(args.profiles).get(args.profile) if args.profile else None
    except SourceError as exc:
        print(exc.one_line(), file=sys.stderr)
        return 2
    if args.check:
        path = Path(args.check)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            print(f"{path}: cannot read: {exc.strerror}", file=sys.stderr)
            return 2
        problems = check_keyfile(text, profile)
        for problem in problems:
            print(problem.one_line(str(path)), file=sys.stderr)
        print(f"{path}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
        return 1 if problems else 0
    if profile is None:
        print("hilkit nm-connection: give a profile (e.g. huawei/e3131) or --check FILE", file=sys.stderr)
        return 2
    password = None
    if args.store_password:
        env = profile.attach.password_env if profile.attach else ""
        password = os.environ.get(env, "") if env else ""
        if not password:
            print(f"hilkit nm-connection: --store-password: set {env or 'attach.password_env'} in the environment",
                  file=sys.stderr)
            return 2
    try:
        text = render_keyfile(profile, args.name or "", password)
    except HilkitError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if args.out:
        write_keyfile(Path(args.out), text)
        print(f"wrote {args.out} (mode 0600)", file=sys.stderr)
    print(masked(text), end="")
    return 0


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
        summary = soak(rig, lab, args.cycles, Path(args.out), args.budget_scale, on_record=progress)
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


def _rig_argument(given: str | None, how: str, bad_file: int) -> Rig | int:
    """The rig file named on the command line (or ./lab/virtual.yaml), loaded; else the exit code,
    after one line on stderr: 2 when there is no file, ``bad_file`` when it is wrong."""
    path = given or default_rig(Path.cwd())
    if path is None:
        print(f"hilkit: no rig file given{how} and no lab/virtual.yaml here", file=sys.stderr)
        return 2
    try:
        return load_rig(path)
    except SourceError as exc:
        print(exc.one_line(), file=sys.stderr)
        return bad_file


def cmd_rig_check(args: argparse.Namespace) -> int:
    rig = _rig_argument(args.path, "", bad_file=1)
    if isinstance(rig, int):
        return rig
    print(f"{rig.path}: rig {rig.name} [{rig.backend}], {len(rig.slots)} slots")
    for slot in rig.slots:
        print(f"  {slot.name}: port {slot.port}, {slot.power.describe()}, {slot.profile.key} ({slot.profile.title})")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    import json

    from hilkit.doctor.checks import FAIL, Host, run_doctor, summary

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


def cmd_run(args: argparse.Namespace) -> int:
    import pytest

    loaded = _rig_argument(args.rig, " (--rig PATH)", bad_file=2)  # one line, before pytest starts
    if isinstance(loaded, int):
        return loaded
    rig = loaded.path
    try:
        relaunch = lab_class(loaded).relaunch(getattr(args, "raw_argv", sys.argv[1:]))
    except HilkitError as exc:
        print(f"hilkit: {exc}", file=sys.stderr)
        return 2
    if relaunch is not None:  # a backend that opens only in a process started its way (umockdev)
        return subprocess.call(relaunch)
    suites = Path(args.suites) if args.suites else PROJECT_ROOT / "suites"
    argv = [str(suites), f"--hilkit-rig={rig}", f"--alluredir={args.results}", "-p", "no:cacheprovider",
            f"--rootdir={suites.parent}",
            # this command imported hilkit before pytest started: nothing of it to assert-rewrite
            "-W", "ignore:Module already imported so cannot be rewritten; hilkit:pytest.PytestAssertRewriteWarning"]
    # plugins installed beside hilkit that the suites never use: each one is start-up time
    installed = _installed_plugins()
    argv += [arg for name in _UNUSED_PLUGINS if name in installed for arg in ("-p", f"no:{name}")]
    if args.clean:
        argv.append("--clean-alluredir")
    for name in args.profile or []:
        argv.append(f"--hilkit-profile={name}")
    if args.junitxml:
        argv.append(f"--junitxml={args.junitxml}")
    if args.parallel:
        argv.append("--hilkit-parallel")
    if args.slot_wait:
        argv.append(f"--hilkit-slot-wait={args.slot_wait:g}")
    argv += args.pytest_args
    code = int(pytest.main(argv))
    results = Path(args.results)
    count = len(list(results.glob("*-result.json"))) if results.is_dir() else 0
    print(f"hilkit: {count} test results in {results.resolve()}", file=sys.stderr)
    if args.junitxml:
        print(f"hilkit: JUnit XML in {Path(args.junitxml).resolve()}", file=sys.stderr)
    if code == 5:
        print("hilkit: no test ran (check --profile and the rig's slots)", file=sys.stderr)
    elif args.html:
        _html(results, Path(args.report))
    return code


_UNUSED_PLUGINS = ("hypothesispytest", "labgrid")


def _installed_plugins() -> set[str]:
    from importlib.metadata import entry_points
    return {ep.name for ep in entry_points(group="pytest11")}


def _html(results: Path, report: Path) -> None:
    from hilkit.report.html import allure_command, generate_html

    if allure_command() is None:
        print("hilkit: HTML report skipped: Allure's generator is not installed (run `npm ci` once in the "
              "hilkit checkout)", file=sys.stderr)
        return
    try:
        index = generate_html(results, report)
    except HilkitError as exc:
        print(f"hilkit: HTML report failed: {exc}", file=sys.stderr)
        return
    print(f"hilkit: HTML report: {index.resolve()}", file=sys.stderr)


def cmd_report(args: argparse.Namespace) -> int:
    from hilkit.report.html import generate_html

    try:
        index = generate_html(Path(args.results), Path(args.out))
    except HilkitError as exc:
        print(f"hilkit: {exc}", file=sys.stderr)
        return 1
    print(f"HTML report: {index.resolve()}")
    return 0


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

    report = sub.add_parser("report", help="HTML report from Allure results (Allure 3's generator; `npm ci` first)")
    report.add_argument("--results", default="allure-results", help="Allure results directory (default: %(default)s)")
    report.add_argument("--out", default="allure-report", help="output directory (default: %(default)s)")
    report.set_defaults(func=cmd_report)

    profiles = sub.add_parser("profiles", help="device profiles").add_subparsers(dest="action", required=True,
                                                                                 metavar="ACTION")
    check = profiles.add_parser("check", help="validate profile files (default: all of device_profiles/)")
    check.add_argument("paths", nargs="*", help="profile files or directories")
    check.add_argument("-v", "--verbose", action="store_true", help="also list the good ones")
    check.set_defaults(func=cmd_profiles_check)

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
    nm.add_argument("--profiles", default=str(PROJECT_ROOT / "device_profiles"), help="profiles directory")
    nm.set_defaults(func=cmd_nm_connection)

    rig = sub.add_parser("rig", help="rig files").add_subparsers(dest="action", required=True, metavar="ACTION")
    rig_check = rig.add_parser("check", help="validate a rig file and the profiles it names")
    rig_check.add_argument("path", nargs="?", help="rig file (default: lab/virtual.yaml)")
    rig_check.set_defaults(func=cmd_rig_check)

    doctor = sub.add_parser("doctor", help="check this machine for a rig: udev rules, ModemManager, container, "
                                           "permissions, GPIO, uhubctl, ports (exit 1 on any FAIL)")
    doctor.add_argument("--rig", help="rig file (default: lab/virtual.yaml)")
    doctor.add_argument("--root", default="/", help=argparse.SUPPRESS)  # a fake or mounted root, for tests
    doctor.add_argument("--json", action="store_true", help="print the findings as JSON")
    doctor.set_defaults(func=cmd_doctor)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
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
