"""``hilkit run`` and ``hilkit report``: the suites on a rig, with Allure results and the HTML report."""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from hilkit.cli.rig_arg import rig_argument as _rig_argument
from hilkit.config.paths import shipped
from hilkit.core.errors import HilkitError
from hilkit.lab.registry import lab_class


def cmd_run(args: argparse.Namespace) -> int:
    import pytest

    loaded = _rig_argument(args.rig, " (--rig PATH)", bad_file=2)  # one line, before pytest starts
    if isinstance(loaded, int):
        return loaded
    rig = loaded.path
    if not loaded.slots:
        print(f"hilkit: rig {loaded.name} ({loaded.path}) has no slots: nothing to run the suites on "
              "(a rig without slots serves `hilkit switch`)", file=sys.stderr)
        return 2
    try:
        relaunch = lab_class(loaded).relaunch(getattr(args, "raw_argv", sys.argv[1:]))
    except HilkitError as exc:
        print(f"hilkit: {exc}", file=sys.stderr)
        return 2
    if relaunch is not None:  # a backend that opens only in a process started its way (umockdev)
        return subprocess.call(relaunch)
    suites = Path(args.suites) if args.suites else shipped("suites")
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
    if args.junitxml and Path(args.junitxml).is_file():
        print(f"hilkit: JUnit XML in {Path(args.junitxml).resolve()}", file=sys.stderr)
    if code == 5:
        print("hilkit: no test ran (check --profile and the rig's slots)", file=sys.stderr)
    elif code in (3, 4):   # pytest stopped before any test (a usage or internal error): nothing to report
        print(f"hilkit: pytest stopped before running the suites (exit {code}: see above)", file=sys.stderr)
    elif args.html and count:
        _html(results, Path(args.report))
    return code


_UNUSED_PLUGINS = ("hypothesispytest", "labgrid")


def _installed_plugins() -> set[str]:
    from importlib.metadata import entry_points
    return {ep.name for ep in entry_points(group="pytest11")}


def _html(results: Path, report: Path) -> None:
    from hilkit.report.html import ensure_allure, generate_html

    try:   # the pinned Allure: the checkout's, the cached one, or npm installs it into the cache once
        command = ensure_allure()
    except HilkitError as exc:   # no Node.js (or npm, or registry): one line saying what to install
        print(f"hilkit: no HTML report: {exc}; the results are in {results.resolve()}", file=sys.stderr)
        return
    try:
        index = generate_html(results, report, command=command)
    except HilkitError as exc:
        print(f"hilkit: HTML report failed: {exc}", file=sys.stderr)
        return
    print(f"hilkit: HTML report: {index}", file=sys.stderr)   # this run's: generate_html replaced the last


def cmd_report(args: argparse.Namespace) -> int:
    from hilkit.report.html import generate_html

    try:
        index = generate_html(Path(args.results), Path(args.out))   # installs the pinned Allure if needed
    except HilkitError as exc:
        print(f"hilkit: {exc}", file=sys.stderr)
        return 1
    print(f"HTML report: {index}")
    return 0
