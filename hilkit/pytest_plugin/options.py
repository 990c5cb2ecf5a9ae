"""Options and ini keys of the plugin, and the settings they resolve to (command line, then the
environment, then the ini file).

``--hilkit-rig`` / ``HILKIT_RIG`` / ``hilkit_rig`` (default: the virtual lab, ``lab/virtual.yaml``),
``--hilkit-profile`` / ``HILKIT_PROFILE`` / ``hilkit_profile`` (only slots with these profiles),
``--hilkit-lock-dir`` / ``HILKIT_LOCK_DIR`` / ``hilkit_lock_dir`` (where slot locks live).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from hilkit.config.paths import default_rig, rig_path

MEASUREMENTS_HELP = ("JSON-lines file of every measurement (value, unit, limits, test, slot); "
                     "default: hilkit-measurements.jsonl in the --alluredir directory")
RIG_HELP = "rig file naming slots (power switch, USB port path, profile); default: the virtual lab"
PROFILE_HELP = "only test slots whose profile is this (e.g. huawei/e3131); repeatable"
LOCK_DIR_HELP = ("directory of the slot locks (default: /run/lock/hilkit, else $XDG_RUNTIME_DIR/hilkit/locks); "
                 "naming one also locks a virtual rig's slots, whose dongles otherwise live in each run")


@dataclass(frozen=True)
class Settings:
    rig_path: str | None
    profiles: tuple[str, ...]
    source: str
    lock_dir: str | None = None   # named explicitly (option, environment or ini)
    slot_wait: float = 0.0


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hilkit", "hilkit: USB cellular modem rigs")
    group.addoption("--hilkit-rig", metavar="PATH", default=None, help=RIG_HELP)
    group.addoption("--hilkit-profile", metavar="NAME", action="append", default=None, help=PROFILE_HELP)
    group.addoption("--hilkit-measurements", metavar="PATH", default=None, help=MEASUREMENTS_HELP)
    group.addoption("--hilkit-fault", metavar="NAME[:P[:N]]", action="append", default=[],
                    help="virtual lab: inject a fault with probability P (default 1), at most N times "
                         "(per slot under --hilkit-parallel)")
    group.addoption("--hilkit-fault-seed", metavar="N", type=int, default=None, help="seed of the fault dice")
    group.addoption("--hilkit-budget-scale", metavar="F", type=float, default=1.0,
                    help="multiply the profiles' time budgets (e.g. 0.05 on the virtual lab's fast dongles)")
    group.addoption("--hilkit-progress", choices=("auto", "on", "off"), default="auto",
                    help="print each phase (slot, step, elapsed) as it starts; auto: on a terminal, not in CI")
    group.addoption("--hilkit-parallel", action="store_true", default=False,
                    help="run every slot at once: one forked runner per slot, each opening only its slot")
    group.addoption("--hilkit-slot-wait", metavar="SECONDS", type=float, default=0.0,
                    help="wait up to this long for a slot another run holds (default 0: fail at once)")
    group.addoption("--hilkit-lock-dir", metavar="DIR", default=None, help=LOCK_DIR_HELP)
    group.addoption("--hilkit-usb-capture", choices=("always", "failure", "off"), default="always",
                    help="attach the slot's USB traffic to each test as a pcapng (usbmon format, for "
                         "Wireshark/tshark): always (default), only for failed tests, or off; where the lab "
                         "captures (the virtual lab)")
    group.addoption("--hilkit-health", choices=("auto", "on", "off"), default="auto",
                    help="check each slot (power cycle, enumerate) before its first test; a failing slot's "
                         "tests are skipped, and it is quarantined after --hilkit-quarantine-after failed runs "
                         "in a row (state beside the lock directory). auto: on where slots are locked (a rig "
                         "on this host's hardware, or a named lock directory)")
    group.addoption("--hilkit-quarantine-after", metavar="N", type=int, default=3,
                    help="failed health checks in a row that quarantine a slot (default 3; "
                         "`hilkit slot release NAME` brings it back)")
    parser.addini("hilkit_rig", RIG_HELP, default=None)
    parser.addini("hilkit_profile", PROFILE_HELP, type="linelist", default=[])
    parser.addini("hilkit_lock_dir", LOCK_DIR_HELP, default=None)


def read_settings(config: pytest.Config) -> Settings:
    """The run's settings: each from the command line, else the environment, else the ini file."""
    rig, source = config.getoption("hilkit_rig"), "--hilkit-rig"
    if not rig and os.environ.get("HILKIT_RIG"):
        rig, source = os.environ["HILKIT_RIG"], "HILKIT_RIG"
    if not rig and config.getini("hilkit_rig"):
        rig, source = str(config.rootpath / config.getini("hilkit_rig")), "hilkit_rig (ini)"
    if not rig:
        found = default_rig(config.rootpath)
        rig, source = (str(found), "default virtual lab") if found else (None, "none")
    profiles = config.getoption("hilkit_profile") or (
        [os.environ["HILKIT_PROFILE"]] if os.environ.get("HILKIT_PROFILE") else config.getini("hilkit_profile"))
    lock_dir = config.getoption("hilkit_lock_dir") or os.environ.get("HILKIT_LOCK_DIR") or (
        str(config.rootpath / config.getini("hilkit_lock_dir")) if config.getini("hilkit_lock_dir") else None)
    wait = config.getoption("hilkit_slot_wait")
    if wait < 0:
        raise pytest.UsageError(f"--hilkit-slot-wait {wait:g}: must not be negative (expected seconds >= 0)")
    if rig and source != "default virtual lab":
        rig = str(rig_path(rig))  # a built-in rig's name (host, virtual8...) where no such file is
    return Settings(rig, tuple(profiles), source, lock_dir, wait)
