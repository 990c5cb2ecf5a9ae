"""``hilkit profiles check | import | capture``: validate, import from usb-modeswitch-data, draft from lsusb."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hilkit.config.paths import PROJECT_ROOT
from hilkit.config.profiles import load_profile
from hilkit.core.errors import SourceError

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
    from hilkit.cli.capture_cmd import capture_command

    return capture_command(args.source, sys.stdout, sys.stderr, vendor=args.vendor, model=args.model)
