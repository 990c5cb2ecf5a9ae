"""The carrier networks' namespaces: their names, whether this host can make them, a guardian that
removes one when the process that made it dies, and the sweep of those a killed run left behind.

A namespace is named ``hilkit-<slot>-<pid>``: unique per run, and the pid says whose it is, so a
later run can remove those of processes that are gone (:func:`sweep_stale`). Deleting a namespace
takes its end of the veth pair with it, and with it the host's end and that end's addresses.
"""
from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from hilkit.net import interface
from hilkit.net.failures import InterfaceCommandFailed
from hilkit.programs import CAP_NET_ADMIN, CAP_SYS_ADMIN, effective_capabilities, find_program, process_alive

PREFIX = "hilkit-"
NETNS_DIR = Path("/run/netns")
NAME = re.compile(r"^hilkit-(?P<slot>[A-Za-z0-9_.]+)-(?P<pid>\d+)$")

#: Runs beside the process that made the namespace, in a session of its own (a Ctrl-C or a
#: SIGTERM to the run's process group does not reach it): when that process ends however it ends
#: (its end of the pipe closes, even under SIGKILL) and did not say "closed", it kills what runs in
#: the namespace, deletes the namespace and the host's end of the veth, hilkit's routing rules for
#: that end and the network's files. $1 ip, $2 namespace, $3 host end, $4 the rules' priority,
#: $5 the network's directory.
GUARDIAN = """trap '' INT TERM HUP
IFS= read -r said
[ "$said" = closed ] && exit 0
for pid in $("$1" netns pids "$2" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
"$1" link delete "$3" 2>/dev/null
"$1" netns delete "$2" 2>/dev/null
while "$1" rule del oif "$3" pref "$4" 2>/dev/null; do :; done
rm -rf -- "$5"
exit 0
"""


def namespace_name(slot: str, pid: int | None = None) -> str:
    """``hilkit-<slot>-<pid>`` (the slot's name with anything but letters, digits, ``_`` and ``.``
    turned into ``_``)."""
    clean = re.sub(r"[^A-Za-z0-9_.]", "_", slot) or "slot"
    return f"{PREFIX}{clean}-{os.getpid() if pid is None else pid}"


def owner(name: str) -> int | None:
    """The pid a carrier namespace's name says made it; None for a namespace that is not one."""
    match = NAME.match(name)
    return int(match["pid"]) if match else None


def namespaces() -> list[str]:
    try:
        return sorted(p.name for p in NETNS_DIR.iterdir())
    except OSError:
        return []


def ip(*args: str) -> str:
    return interface.run_ip(*args)


def delete_namespace(name: str) -> None:
    """Kill what runs in the namespace, then delete it (its veth ends go with it); nothing to do
    when it is gone already."""
    if not (NETNS_DIR / name).exists():
        return
    try:   # its links first: a veth pair goes at once, the namespace's own devices only when the kernel frees it
        links = [entry["ifname"] for entry in json.loads(ip("-n", name, "-j", "link", "show") or "[]")]
        for link in links:
            if link != "lo":
                ip("-n", name, "link", "delete", "dev", link)
    except (InterfaceCommandFailed, ValueError, KeyError):
        pass
    try:
        pids = ip("netns", "pids", name).split()
    except InterfaceCommandFailed:
        pids = []
    for pid in pids:
        try:
            os.kill(int(pid), 9)
        except (ProcessLookupError, ValueError):
            pass
    try:
        ip("netns", "delete", name)
    except InterfaceCommandFailed:
        if (NETNS_DIR / name).exists():
            raise


def workdir_prefix(name: str) -> str:
    """The start of a carrier network's directory's name (in the temporary directory)."""
    return f"{name}.carrier-"


def start_guardian(name: str, host_end: str, workdir: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["sh", "-c", GUARDIAN, "hilkit-carrier-guardian", interface.ip_command(), name, host_end,
                             str(interface.RULE_PRIORITY), str(workdir)],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def stand_down(guardian: subprocess.Popen[bytes]) -> None:
    """Tell the guardian all is cleaned up, and let it go."""
    try:
        if guardian.stdin is not None:
            guardian.stdin.write(b"closed\n")
            guardian.stdin.close()
    except OSError:
        pass
    try:
        guardian.wait(timeout=10)
    except subprocess.TimeoutExpired:
        guardian.kill()
        guardian.wait()


def sweep_stale() -> list[str]:
    """Remove the carrier namespaces (and directories) of processes that are no longer alive (a
    run that was SIGKILLed along with its guardian), and hilkit's routing rules left for interfaces
    that are gone; what was removed, one line each."""
    removed = []
    for name in namespaces():
        pid = owner(name)
        if pid is not None and not process_alive(pid):
            try:
                delete_namespace(name)
                removed.append(f"namespace {name}")
            except InterfaceCommandFailed as exc:
                removed.append(f"namespace {name} NOT removed: {exc}")
    try:
        removed += [f"rule {rule}" for rule in interface.sweep_rules()]
    except InterfaceCommandFailed:
        pass
    for path in Path(tempfile.gettempdir()).glob(f"{PREFIX}*.carrier-*"):
        pid = owner(path.name.split(".carrier-")[0])
        if pid is not None and not process_alive(pid):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(f"directory {path}")
    return removed


@functools.lru_cache(maxsize=1)
def carrier_available() -> str | None:
    """None when this process can make carrier networks; else why not (tests skip with it)."""
    if not sys.platform.startswith("linux"):
        return "carrier networks need Linux network namespaces"
    for program, package in (("ip", "iproute2"), ("dnsmasq", "dnsmasq-base"), ("setpriv", "util-linux")):
        if find_program(program) is None:
            return f"{program} is not installed (Debian: {package})"
    caps = effective_capabilities() or 0
    if not (caps >> CAP_NET_ADMIN & 1 and caps >> CAP_SYS_ADMIN & 1):
        return "making network namespaces needs CAP_NET_ADMIN and CAP_SYS_ADMIN (run as root)"
    probe = namespace_name("probe")
    try:
        ip("netns", "add", probe)
        ip("netns", "delete", probe)
    except InterfaceCommandFailed as exc:
        return f"cannot make a network namespace here: {exc}"
    return None
