"""hilkit's own test run: the whole suite (``pytest`` with no arguments, as CI runs it) on several
pytest-xdist workers; a run narrowed to some files or tests, ``hilkit run`` and the suites run in
one process, where a worker's start-up would cost more than it saves.

Most of the suite waits (for child runs, processes, ptys), so more workers than cores pay off.
A file's tests stay on one worker (``--dist loadfile``: several share expensive module fixtures),
and the files that take longest start first, so none of them is left running alone at the end.
(``--dist loadgroup`` would group finer, but pytest-xdist 3.8 cannot mark a group on pytest 9.2:
it sets ``item._nodeid``, which pytest 9.2 no longer reads.)
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

WORKERS = int(os.environ.get("HILKIT_TEST_WORKERS", "4"))

#: Plugins no test here uses: each costs about 0.9 s of CPU at a process's start (hypothesis's
#: imports all of hypothesis, labgrid's all of labgrid and gRPC). Set before xdist starts its
#: workers, so they and every child run (pytester, ``hilkit run``, runs under umockdev) start
#: without them; tests/test_plugin.py checks that hilkit's plugin still loads beside them.
LEAN = "-p no:labgrid -p no:hypothesispytest"
os.environ["PYTEST_ADDOPTS"] = f"{os.environ.get('PYTEST_ADDOPTS', '')} {LEAN}".strip()

#: The suite starts about a hundred Python processes. With PYTHONDONTWRITEBYTECODE set (as on
#: some CI images) each compiles hilkit and its tests from source again; their bytecode goes to
#: the virtualenv's own cache instead, never next to the sources.
if os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
    os.environ.setdefault("PYTHONPYCACHEPREFIX", str(Path(sys.prefix) / "pycache"))

#: the files that take longest (wall time, most of it waiting on child runs), longest first
LONG_FIRST = ["tests/test_umockdev_lab.py", "tests/test_labgrid_loopback.py", "tests/test_parallel_run.py",
              "tests/test_faults.py", "tests/test_slot_lock_runs.py", "tests/test_teardown_safety.py",
              "tests/test_html_report.py", "tests/test_plugin.py"]


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """``-n auto --dist loadfile`` when pytest-xdist is installed (the test extras) and nothing else
    was asked; not in ``pyproject.toml``'s addopts, which ``hilkit run`` in a checkout set up without
    the test extras would choke on. Runs before xdist's own ``pytest_cmdline_main`` reads them."""
    option = config.option
    if (config.pluginmanager.hasplugin("xdist") and not hasattr(config, "workerinput")
            and getattr(option, "numprocesses", None) is None and getattr(option, "dist", "no") == "no"
            and not getattr(option, "tx", None)):
        option.numprocesses, option.dist = "auto", "loadfile"


@pytest.hookimpl(optionalhook=True)  # an xdist hook: unknown where xdist is not installed
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    whole_suite = getattr(config, "args_source", None) == pytest.Config.ArgsSource.TESTPATHS
    return WORKERS if whole_suite else 0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest files first (each file's own order kept): workers take files in this order."""
    rank = {path: index for index, path in enumerate(LONG_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))
