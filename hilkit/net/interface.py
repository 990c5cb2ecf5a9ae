"""The dongle's network interface on the host: its state, waiting for its link, and the address
and routes hilkit gives it, all taken away again.

The address goes on with ``noprefixroute``: the host's main routing table gains nothing, so the
host's own traffic never starts to flow through a dongle, and two dongles may hand out the same
subnet (HiLink's 192.168.8.0/24) at once. hilkit's own checks bind their sockets to the interface
(``SO_BINDTODEVICE``): a destination on the dongle's link is then reached on-link with no route at
all. Where the checks need the wider network behind the dongle (a real rig's internet), the
interface gets a routing table of its own, which only traffic leaving by that interface looks up
(``ip rule ... oif <interface>``): the host's default route stays as it was.
"""
from __future__ import annotations

import fcntl
import ipaddress
import itertools
import json
import os
import select
import socket
import struct
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from hilkit.core.errors import Category, WaitTimeout
from hilkit.net.failures import InterfaceCommandFailed
from hilkit.programs import find_program

#: interface ioctls and flags (linux/sockios.h, linux/if.h)
SIOCGIFFLAGS, SIOCGIFHWADDR = 0x8913, 0x8927
IFF_UP, IFF_RUNNING = 0x1, 0x40
#: the priority of hilkit's ``ip rule`` lines and the range of its routing tables (one per
#: interface, numbered from its index): a sweep knows them as hilkit's by these alone
RULE_PRIORITY = 18000
TABLE_BASE = 0x48000000
TABLE_SPAN = 0x01000000
RTMGRP_LINK = 1
IFNAMSIZ = 15   # the kernel's limit on an interface name (16 with the NUL)


@dataclass(frozen=True)
class Link:
    """An interface as ``ip -j addr show`` reports it; ``addresses`` are its IPv4 ones, ``a.b.c.d/n``."""

    name: str
    index: int
    admin_up: bool
    carrier: bool
    operstate: str
    mac: str
    mtu: int
    addresses: tuple[str, ...] = ()

    def describe(self) -> str:
        state = f"{'up' if self.admin_up else 'down'}, {'carrier' if self.carrier else 'no carrier'}"
        shown = ", ".join(self.addresses) or "no IPv4 address"
        return f"{self.name} (index {self.index}, {self.mac}, mtu {self.mtu}): {state} ({self.operstate}); {shown}"


_numbers = itertools.count(1)


def unique_name(prefix: str) -> str:
    """An interface name of this process's own: ``<prefix><pid in hex>n<count>`` (a sweep of what a
    killed run left, and a test's leftover check, know a process's interfaces by it)."""
    return check_name(f"{prefix}{os.getpid():x}n{next(_numbers)}"[:IFNAMSIZ])


def disable_ipv6(ifname: str) -> None:
    """No IPv6 on ``ifname`` (an IPv4-only link: the kernel's router solicitations and DAD are noise
    on it); nothing to do on a kernel without IPv6."""
    try:
        Path("/proc/sys/net/ipv6/conf", ifname, "disable_ipv6").write_text("1")
    except OSError:
        pass


def ip_command() -> str:
    return find_program("ip") or "ip"


def run_ip(*args: str) -> str:
    """``ip args`` as a command; its stdout. A refusal raises :class:`InterfaceCommandFailed`
    naming the command and ``ip``'s own words."""
    argv = [ip_command(), *args]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=15)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InterfaceCommandFailed(f"{' '.join(argv)}: {exc}") from None
    if done.returncode != 0:
        raise InterfaceCommandFailed(f"{' '.join(argv)}: {done.stderr.strip() or f'exit {done.returncode}'}")
    return done.stdout


def check_name(ifname: str) -> str:
    if not ifname or len(ifname) > IFNAMSIZ or "/" in ifname or ifname.strip() != ifname:
        raise ValueError(f"{ifname!r} is not an interface name (1-{IFNAMSIZ} characters, no '/' or blanks)")
    return ifname


def _ifreq(ifname: str, request: int) -> bytes | None:
    """The kernel's answer to an interface ioctl (``struct ifreq``), or None for no such interface.
    Asked of the kernel, not sysfs: a process under umockdev (or with another /sys mounted) sees
    the real interfaces all the same."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            return fcntl.ioctl(sock, request, struct.pack("16s16x", check_name(ifname).encode()))
    except OSError:
        return None


def _flags(ifname: str) -> int:
    answer = _ifreq(ifname, SIOCGIFFLAGS)
    return struct.unpack_from("16xH", answer)[0] if answer else 0


def exists(ifname: str) -> bool:
    return _ifreq(ifname, SIOCGIFFLAGS) is not None


def admin_up(ifname: str) -> bool:
    return bool(_flags(ifname) & IFF_UP)


def has_carrier(ifname: str) -> bool:
    """The link is up: administratively and operationally (IFF_RUNNING: a dongle reporting its
    session connected, a veth whose far end is up). One ioctl: cheap enough to ask often."""
    flags = _flags(ifname)
    return bool(flags & IFF_UP and flags & IFF_RUNNING)


def link(ifname: str) -> Link:
    """The interface's state and IPv4 addresses, now."""
    data = json.loads(run_ip("-j", "addr", "show", "dev", check_name(ifname)) or "[]")
    if not data:
        raise InterfaceCommandFailed(f"ip addr show dev {ifname}: no such interface")
    entry = data[0]
    flags = entry.get("flags", [])
    addresses = tuple(f"{a['local']}/{a['prefixlen']}" for a in entry.get("addr_info", []) if a.get("family") == "inet")
    return Link(entry["ifname"], int(entry["ifindex"]), "UP" in flags, "LOWER_UP" in flags,
                str(entry.get("operstate", "UNKNOWN")).lower(), str(entry.get("address", "")), int(entry.get("mtu", 0)),
                addresses)


def seen(ifname: str) -> str:
    """What the interface looks like, for a timeout's 'seen' text."""
    if not exists(ifname):
        return f"no interface {ifname}"
    flags = _flags(ifname)
    return f"{ifname} {'up' if flags & IFF_UP else 'down'}, {'running' if flags & IFF_RUNNING else 'not running'}, " \
        f"{'carrier' if has_carrier(ifname) else 'no carrier'}"


def set_up(ifname: str, up: bool = True) -> None:
    run_ip("link", "set", "dev", check_name(ifname), "up" if up else "down")


class LinkEvents:
    """The kernel's link change messages (rtnetlink ``RTMGRP_LINK``): a wait for a link wakes when
    one changes, not on a timer. Where netlink cannot be opened, :meth:`wait` falls back to a plain
    timed wait (the callers re-read the state on each wake either way)."""

    def __init__(self) -> None:
        self._sock: socket.socket | None = None
        try:
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
            sock.bind((0, RTMGRP_LINK))
            sock.setblocking(False)
            self._sock = sock
        except OSError:
            self._sock = None
        self._idle = threading.Event()

    def fileno(self) -> int:
        return self._sock.fileno() if self._sock is not None else -1

    def drain(self) -> None:
        while self._sock is not None:
            try:
                self._sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:   # ENOBUFS: messages were lost; the caller re-reads the state anyway
                return

    def wait(self, timeout: float) -> None:
        """Until a link changes or ``timeout`` s pass."""
        if self._sock is None:
            self._idle.wait(timeout)
            return
        ready, _, _ = select.select([self._sock], [], [], max(timeout, 0.0))
        if ready:
            self.drain()

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> LinkEvents:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def wait_for_link(ifname: str, timeout: float, *, bring_up: bool = True,
                  category: Category = Category.NO_DATA_SESSION) -> Link:
    """Wait until ``ifname`` exists and has its link (carrier); its state then. ``bring_up`` sets
    it administratively up first (an interface nobody set up never reports a carrier). Raises
    :class:`~hilkit.core.errors.WaitTimeout` of ``category`` saying what was seen at the deadline."""
    check_name(ifname)
    deadline = time.monotonic() + timeout
    with LinkEvents() as events:   # listening before the first look: no change falls in between
        while True:
            if exists(ifname):
                if bring_up and not admin_up(ifname):
                    set_up(ifname)
                if has_carrier(ifname):
                    return link(ifname)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WaitTimeout(f"{ifname} with its link up (carrier)", seen(ifname), timeout, category=category)
            events.wait(min(remaining, 1.0))   # a second at most: a missed message costs no more


def add_address(ifname: str, address: str, prefix_length: int) -> bool:
    """Put ``address/prefix_length`` on the interface, without a prefix route (see the module's
    note). False when it was there already (then it is not this call's to remove)."""
    ipaddress.ip_interface(f"{address}/{prefix_length}")   # a ValueError for nonsense, before ``ip``
    try:
        run_ip("addr", "add", f"{address}/{prefix_length}", "dev", check_name(ifname), "noprefixroute")
    except InterfaceCommandFailed as exc:
        if "File exists" in str(exc) or "already assigned" in str(exc):
            return False
        raise
    return True


def remove_address(ifname: str, address: str, prefix_length: int) -> None:
    """Take the address off again; nothing to do when it (or the interface) is gone already."""
    if not exists(ifname):
        return
    try:
        run_ip("addr", "del", f"{address}/{prefix_length}", "dev", ifname)
    except InterfaceCommandFailed as exc:
        if "Cannot assign requested address" not in str(exc) and "Cannot find device" not in str(exc):
            raise


def route_table(ifname: str) -> int:
    """The routing table hilkit gives ``ifname``: numbered from its index, in hilkit's range."""
    try:
        index = socket.if_nametoindex(check_name(ifname))
    except OSError:
        index = 0
    if not index:
        raise InterfaceCommandFailed(f"no interface {ifname}: no routing table for it")
    return TABLE_BASE + index % TABLE_SPAN


def add_routes(ifname: str, address: str, prefix_length: int, gateway: str) -> int:
    """A routing table of the interface's own (its subnet, and a default route via ``gateway``)
    that only traffic leaving by ``ifname`` looks up; the table's number."""
    table = route_table(ifname)
    net = ipaddress.ip_interface(f"{address}/{prefix_length}").network
    remove_routes(ifname, table)
    run_ip("route", "replace", str(net), "dev", ifname, "src", address, "table", str(table))
    if gateway:
        # onlink: a bearer may hand out a /32 with its gateway outside it (ModemManager often does)
        run_ip("route", "replace", "default", "via", gateway, "dev", ifname, "onlink", "table", str(table))
    run_ip("rule", "add", "oif", ifname, "lookup", str(table), "pref", str(RULE_PRIORITY))
    return table


def remove_routes(ifname: str, table: int) -> None:
    """Remove the rule and the table :func:`add_routes` made (also after the interface is gone)."""
    for rule in _rules():
        if rule.get("oif") == ifname and str(rule.get("table")) == str(table):
            _delete_rule(rule)
    try:
        run_ip("route", "flush", "table", str(table))
    except InterfaceCommandFailed:
        pass   # an empty table: nothing to flush


def _rules() -> list[dict[str, object]]:
    rules = json.loads(run_ip("-j", "rule", "show") or "[]")
    return [r for r in rules if r.get("priority") == RULE_PRIORITY and str(r.get("table", "")).isdigit()
            and TABLE_BASE <= int(str(r["table"])) < TABLE_BASE + TABLE_SPAN]


def _delete_rule(rule: dict[str, object]) -> None:
    try:
        run_ip("rule", "del", "oif", str(rule.get("oif")), "lookup", str(rule["table"]), "pref", str(RULE_PRIORITY))
    except InterfaceCommandFailed:
        pass   # removed meanwhile (another process sweeping)


def _drop(rule: dict[str, object]) -> str:
    _delete_rule(rule)
    try:
        run_ip("route", "flush", "table", str(rule["table"]))
    except InterfaceCommandFailed:
        pass   # an empty table
    return f"oif {rule.get('oif', '?')} lookup {rule['table']}"


def forget_rules(ifname: str) -> list[str]:
    """Remove hilkit's rules (and their tables) for ``ifname``, whatever table they name: for the
    owner of an interface that is about to go (a simulated dongle's); the rules removed, as text."""
    return [_drop(rule) for rule in _rules() if rule.get("oif") == ifname]


def sweep_rules() -> list[str]:
    """Remove hilkit's rules whose interface is gone (a run that was killed before its teardown);
    the rules removed, as text."""
    return [_drop(rule) for rule in _rules()
            if "oif_detached" in rule or not rule.get("oif") or not exists(str(rule.get("oif")))]


class Configuration:
    """An address (and, with a gateway, a routing table of the interface's own) that hilkit put on
    an interface; :meth:`undo` takes away exactly what was added, safe to call more than once."""

    def __init__(self, ifname: str, address: str, prefix_length: int, gateway: str = "") -> None:
        self.ifname = check_name(ifname)
        self.address = address
        self.prefix_length = prefix_length
        self.gateway = gateway
        self.added_address = False
        self.table: int | None = None

    def apply(self, routes: bool = True) -> Configuration:
        self.added_address = add_address(self.ifname, self.address, self.prefix_length)
        if routes:
            self.table = add_routes(self.ifname, self.address, self.prefix_length, self.gateway)
        return self

    def undo(self) -> None:
        problems = []
        if self.table is not None:
            try:
                remove_routes(self.ifname, self.table)
                self.table = None
            except InterfaceCommandFailed as exc:
                problems.append(str(exc))
        if self.added_address:
            try:
                remove_address(self.ifname, self.address, self.prefix_length)
                self.added_address = False
            except InterfaceCommandFailed as exc:
                problems.append(str(exc))
        if problems:
            raise InterfaceCommandFailed("; ".join(problems))

    def __enter__(self) -> Configuration:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.undo()


def configure(ifname: str, address: str, prefix_length: int, gateway: str = "", *, routes: bool = True
              ) -> Configuration:
    """Give the interface ``address`` (and its own routes via ``gateway``): a :class:`Configuration`
    to undo, also as a context manager. A half-done change is undone before the error is raised."""
    configuration = Configuration(ifname, address, prefix_length, gateway)
    try:
        return configuration.apply(routes)
    except BaseException:
        configuration.undo()
        raise


def mac_address(ifname: str) -> bytes:
    answer = _ifreq(ifname, SIOCGIFHWADDR)
    if answer is None:
        raise InterfaceCommandFailed(f"no interface {ifname} (no hardware address)")
    return struct.unpack_from("16x2x6s", answer)[0]


def rp_filter(ifname: str) -> int:
    """The reverse path filter in force on ``ifname`` (the larger of ``all`` and its own): 1 (strict)
    drops answers from a source the main table routes elsewhere, as a dongle's DHCP server is
    before the interface has an address."""
    values = []
    for scope in ("all", ifname):
        try:
            values.append(int(Path("/proc/sys/net/ipv4/conf", scope, "rp_filter").read_text()))
        except (OSError, ValueError):
            values.append(0)
    return max(values)

