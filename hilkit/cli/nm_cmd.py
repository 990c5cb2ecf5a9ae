"""``hilkit nm-connection``: a NetworkManager GSM keyfile for a profile, or a check of one."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hilkit.core.errors import HilkitError, SourceError


def cmd_nm_connection(args: argparse.Namespace) -> int:
    import os

    from hilkit.config.profiles import ProfileLibrary
    from hilkit.modem.nmconnection import check_keyfile, masked, render_keyfile, write_keyfile

    try:
        profile = ProfileLibrary(args.profiles).get(args.profile) if args.profile else None
    except SourceError as exc:
        print("\n".join(exc.lines()), file=sys.stderr)
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
