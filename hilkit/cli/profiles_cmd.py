"""``hilkit profiles list | check | import | capture``: list, validate, import from usb-modeswitch-data,
draft from lsusb."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hilkit.config.paths import PROJECT_ROOT, shipped_profiles
from hilkit.config.profiles import ProfileLibrary, load_profile
from hilkit.core.errors import SourceError
from hilkit.core.profile import ModeSpec, Profile

REPO_TARBALL = PROJECT_ROOT / "device_profiles" / "usb-modeswitch-data" / "configPack.tar.gz"


def _profile_files(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths or [str(shipped_profiles())]:
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
            for line in exc.lines():
                print(line, file=sys.stderr)
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

    return capture_command(args.source, sys.stdout, sys.stderr, vendor=args.vendor, model=args.model,
                           out_path=args.out, force=args.force)


def cmd_profiles_list(args: argparse.Namespace) -> int:
    from hilkit.config.rigs import profile_folders

    if args.rig:
        from hilkit.cli.rig_arg import rig_argument
        loaded = rig_argument(args.rig, " (--rig)", bad_file=1)
        if isinstance(loaded, int):
            return loaded
        folders = [Path(p) for p in loaded.profile_dirs]
    else:
        folders = profile_folders(Path.cwd(), [str(Path(p).resolve()) for p in args.profiles or []])
    missing = [f for f in folders if not f.is_dir()]
    if missing:
        print(f"hilkit: {missing[0]}: no such folder", file=sys.stderr)
        return 2
    library = ProfileLibrary(folders)
    shipped = shipped_profiles().resolve()

    def named(folder: Path) -> str:
        return "shipped" if folder.resolve() == shipped else str(folder)
    wanted = (args.pattern or "").lower()
    shown = broken = 0
    for key, origin, shadowed in library.listing():
        try:
            profile = library.get(key)
            ids = " -> ".join(",".join(map(str, mode.ids)) for mode in _modes_in_order(profile))
            text = f"{key}  {ids}  {profile.title}"
        except SourceError as exc:
            broken += 1
            text = f"{key}  (broken: {exc.problem})"
        if wanted and wanted not in text.lower():
            continue
        shown += 1
        shadows = f"; shadows {', '.join(map(named, shadowed))}" if shadowed else ""
        print(f"{text}  [{named(origin)}{shadows}]")
    total = len(library.keys())
    print(f"{shown} of {total} profiles" + (f" matching {args.pattern!r}" if wanted else "")
          + f" from {', '.join(map(named, folders))}"
          + (f"; {broken} broken (hilkit profiles check says why)" if broken else ""), file=sys.stderr)
    return 0 if shown else 1


def _modes_in_order(profile: Profile) -> list[ModeSpec]:
    """The initial mode first, then the modes its switches lead to."""
    modes = [profile.initial_mode]
    modes += [m for m in profile.modes.values() if m is not profile.initial_mode]
    return modes
