"""The network behind a virtual dongle's interface, made of real Linux networking: a namespace with
the carrier's gateway, DHCP and DNS (Debian's dnsmasq) and a web server, reached from the host
through a veth pair whose host end is the dongle's network interface.

For a dial-up session the far end is a tun interface instead (``far_end="tun"``): no host end, the
modem's side of the PPP call (:mod:`hilkit.sim.carrier.ppp_far_end`) reads and writes its packets,
and the dongle's interface is the one the host's PPP client makes.

The far end's link is the dongle's: :meth:`CarrierNetwork.set_link` takes it up or down and the
host end's carrier follows, as a dongle's interface reports its session (the host end's own
administrative state stays the host's business, as on a rig). Each slot has a namespace of its
own, so two slots may both hand out HiLink's 192.168.8.0/24: the host side puts the address on
with ``noprefixroute`` and binds its sockets to the interface (see :mod:`hilkit.net.interface`).

Servers run under ``setpriv --pdeathsig KILL`` from a thread the network keeps until it is closed,
so they die with it; a guardian process removes the namespace if this process dies without closing
it (even under SIGKILL); :func:`~hilkit.sim.carrier.netns.sweep_stale` removes what a run killed
together with its guardian left.
"""
from __future__ import annotations

import ipaddress
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from pathlib import Path
from types import TracebackType
from typing import IO

from hilkit.core.errors import HilkitError
from hilkit.net import interface, tun
from hilkit.net.failures import InterfaceCommandFailed
from hilkit.programs import find_program
from hilkit.sim.carrier import http_origin, netns

FAR_END = "carrier0"                    # the namespace's end of the veth pair
CHECK_NAME = "connectivity.hilkit.test"  # what the carrier's DNS answers (with the gateway's address)
SLOW_KBIT = 1000                        # the slow_data fault's rate, far below a veth's
DROP_AFTER = 256 * 1024                 # the link_drop fault: the link goes down after this much of a download
START_TIMEOUT = 15.0                    # a hang guard: dnsmasq and the web server are up in well under a second


class CarrierError(HilkitError):
    """The virtual lab's carrier network could not be set up (not a verdict on a dongle)."""


@dataclass(frozen=True)
class CarrierFaults:
    """What the carrier network gets wrong, named as in :data:`hilkit.core.faults.FAULTS`."""

    no_dhcp: bool = False          # the DHCP server is silent
    dns_failure: bool = False      # the DNS server refuses every query (REFUSED)
    captive_portal: bool = False   # every HTTP request is redirected (302) to the portal page
    slow_data: bool = False        # the carrier's end sends at SLOW_KBIT (a tbf qdisc)
    link_drop: bool = False        # the link goes down mid-download, after DROP_AFTER bytes

    @classmethod
    def named(cls, names: Iterable[str]) -> CarrierFaults:
        known = [f.name for f in fields(cls)]
        wanted = list(names)
        unknown = sorted(set(wanted) - set(known))
        if unknown:
            raise ValueError(f"unknown carrier fault(s) {', '.join(unknown)}; known: {', '.join(known)}")
        return cls(**{name: True for name in wanted})

    def names(self) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name)]


class CarrierNetwork:
    """One slot's carrier network; also a context manager. ``ifname`` is the host end (at most 15
    characters; a unique one is made when None), ``subnet`` the network behind it (its first
    address is the gateway, DNS and web server). ``link_up`` is the far end's link at the start.
    ``far_end`` is ``"veth"``, or ``"tun"`` for a dial-up session (then :attr:`tun_fd` carries the
    far end's packets, the second address of the subnet is the client's, and there is no DHCP)."""

    def __init__(self, name: str, ifname: str | None = None, subnet: str = "192.168.8.0/24",
                 faults: CarrierFaults | Iterable[str] = (), *, link_up: bool = True,
                 names: Sequence[str] = (CHECK_NAME,), lease_seconds: int = 3600,
                 slow_kbit: int = SLOW_KBIT, drop_after: int = DROP_AFTER, far_end: str = "veth") -> None:
        if far_end not in ("veth", "tun"):
            raise ValueError(f"far_end {far_end!r}: expected 'veth' or 'tun'")
        self.far_end = far_end
        self.faults = faults if isinstance(faults, CarrierFaults) else CarrierFaults.named(faults)
        # the host end; for a tun far end, its name until it moves into the namespace
        self.ifname = interface.check_name(ifname or interface.unique_name("hkc"))
        self.subnet = ipaddress.IPv4Network(subnet)
        if self.subnet.prefixlen > 29:
            raise ValueError(f"{subnet}: too small for a gateway and a DHCP range")
        self.gateway = str(self.subnet.network_address + 1)
        self.client_address = str(self.subnet.network_address + 2)   # a dial-up client's (IPCP)
        self.tun_fd: int | None = None
        self.namespace = netns.namespace_name(name)
        self.names = tuple(names)
        self.lease_seconds = max(lease_seconds, 120)   # dnsmasq's floor
        self.slow_kbit, self.drop_after = slow_kbit, drop_after
        self._procs: list[subprocess.Popen[bytes]] = []
        self._lock = threading.Lock()
        self._closed = False
        self._guardian: subprocess.Popen[bytes] | None = None
        self._made: set[str] = set()    # "namespace", "link": what close() is to remove (not another's)
        self._keeper = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"carrier-{name}")
        self.workdir = Path(tempfile.mkdtemp(prefix=netns.workdir_prefix(self.namespace)))
        os.chmod(self.workdir, 0o755)   # noqa: S103 - dnsmasq writes its leases here after dropping root
        try:
            self._build(link_up)
        except BaseException:
            self.close()
            raise

    # -- setting up ---------------------------------------------------------------------------
    def _build(self, link_up: bool) -> None:
        if interface.exists(self.ifname):
            raise CarrierError(f"{self.ifname} exists already: name another host end for {self.namespace}")
        if (netns.NETNS_DIR / self.namespace).exists():
            raise CarrierError(f"namespace {self.namespace} exists already (another carrier network of this "
                               "process with that name?)")
        netns.ip("netns", "add", self.namespace)
        self._made.add("namespace")
        if self.far_end == "tun":
            self._guardian = netns.start_guardian(self.namespace, self.ifname, self.workdir)
            # made here and moved: it goes with its descriptor wherever it is, so a killed run leaves none
            self.tun_fd = tun.open_tun(self.ifname)
            netns.ip("link", "set", "dev", self.ifname, "netns", self.namespace)
            self._in_ns("link", "set", "dev", self.ifname, "name", FAR_END)
            self._in_ns("addr", "add", self.gateway, "peer", f"{self.client_address}/32", "dev", FAR_END)
        else:
            netns.ip("link", "add", self.ifname, "type", "veth", "peer", "name", FAR_END, "netns", self.namespace)
            self._made.add("link")
            # from here on, ours to remove (also if this process dies)
            self._guardian = netns.start_guardian(self.namespace, self.ifname, self.workdir)
            interface.disable_ipv6(self.ifname)
            self._in_ns("addr", "add", f"{self.gateway}/{self.subnet.prefixlen}", "dev", FAR_END)
        self._in_ns("link", "set", "lo", "up")
        self._in_ns("link", "set", FAR_END, "up" if link_up else "down")
        if self.far_end == "veth":
            interface.set_up(self.ifname)
        if self.faults.slow_data:
            self._tc("qdisc", "add", "dev", FAR_END, "root", "tbf", "rate", f"{self.slow_kbit}kbit",
                     "burst", "16kb", "latency", "200ms")
        self._start_dnsmasq()
        self._start_web_server()

    def _in_ns(self, *args: str) -> str:
        return netns.ip("-n", self.namespace, *args)

    def _tc(self, *args: str) -> None:
        tc = find_program("tc") or "tc"
        done = subprocess.run([tc, "-n", self.namespace, *args], capture_output=True, text=True, timeout=15)
        if done.returncode != 0:
            raise CarrierError(f"tc {' '.join(args)} in {self.namespace}: {done.stderr.strip()}")

    def _spawn(self, argv: list[str], log: Path, stdout: int = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
        """``argv`` in the namespace, its parent the keeper thread (which lives until close())."""
        setpriv = find_program("setpriv") or "setpriv"
        command = [interface.ip_command(), "netns", "exec", self.namespace, setpriv, "--pdeathsig", "KILL", "--",
                   *argv]
        with open(log, "ab") as sink:
            proc = self._keeper.submit(subprocess.Popen, command, stdin=subprocess.DEVNULL, stdout=stdout,
                                       stderr=sink).result()
        self._procs.append(proc)
        return proc

    def _dhcp_range(self) -> tuple[str, str]:
        first, last = self.subnet.network_address + 2, self.subnet.broadcast_address - 1
        if self.subnet.num_addresses >= 256:
            first, last = self.subnet.network_address + 100, self.subnet.network_address + 199
        return str(first), str(last)

    def _start_dnsmasq(self) -> None:
        work = self.workdir
        argv = [find_program("dnsmasq") or "dnsmasq", "--conf-file=/dev/null", "--keep-in-foreground",
                "--no-resolv", "--no-hosts", "--no-poll", "--bind-interfaces", f"--interface={FAR_END}",
                "--except-interface=lo", f"--pid-file={work / 'dnsmasq.pid'}",
                f"--log-facility={work / 'dnsmasq.log'}", "--log-dhcp", "--log-queries"]
        if not self.faults.no_dhcp and self.far_end == "veth":   # a dial-up client's address comes by IPCP
            first, last = self._dhcp_range()
            argv += [f"--dhcp-range={first},{last},{self.subnet.netmask},{self.lease_seconds}",
                     f"--dhcp-option=option:router,{self.gateway}", f"--dhcp-option=option:dns-server,{self.gateway}",
                     f"--dhcp-leasefile={work / 'dnsmasq.leases'}", "--dhcp-authoritative", "--no-ping"]
        if not self.faults.dns_failure:   # else: no name is known and no upstream asked: REFUSED
            argv += [f"--address=/{name}/{self.gateway}" for name in self.names]
        proc = self._spawn(argv, work / "dnsmasq.err")
        deadline = time.monotonic() + START_TIMEOUT
        log = work / "dnsmasq.log"
        while not (log.exists() and "started, version" in log.read_text(errors="replace")):
            if proc.poll() is not None or time.monotonic() > deadline:
                said = (work / "dnsmasq.err").read_text(errors="replace").strip()
                raise CarrierError(f"dnsmasq in {self.namespace} did not start ({said or 'no word from it'})")
            time.sleep(0.01)   # the simulator's own start-up, not a device: dnsmasq says nothing else

    def _start_web_server(self) -> None:
        argv = [sys.executable, "-I", "-S", http_origin.__file__, "--address", self.gateway, "--port", "80"]
        if self.faults.captive_portal:
            argv += ["--portal", self.portal_url]
        if self.faults.link_drop:
            argv += ["--drop-after", str(self.drop_after), "--link", FAR_END, "--ip", interface.ip_command()]
        proc = self._spawn(argv, self.workdir / "http.log", stdout=subprocess.PIPE)
        assert proc.stdout is not None
        line = _read_line(proc.stdout, START_TIMEOUT)
        if line.strip() != b"ready":
            said = (self.workdir / "http.log").read_text(errors="replace").strip()
            raise CarrierError(f"the carrier web server in {self.namespace} did not start "
                               f"({said[-500:] or line.decode(errors='replace') or 'no word from it'})")

    # -- what tests and the lab use ----------------------------------------------------------
    @property
    def dns_server(self) -> str:
        return self.gateway

    @property
    def check_url(self) -> str:
        """The connectivity check a working network answers with an empty 204."""
        return f"http://{self.names[0] if self.names else self.gateway}/generate_204"

    @property
    def portal_url(self) -> str:
        return f"http://{self.gateway}/portal"

    def url(self, path: str = "/") -> str:
        return f"http://{self.gateway}{path}"

    def bytes_url(self, size: int) -> str:
        """A download of ``size`` bytes, for throughput."""
        return self.url(f"/bytes?n={int(size)}")

    @property
    def link_up(self) -> bool:
        """The dongle's link as the host sees it (the host end's carrier)."""
        return interface.has_carrier(self.ifname)

    def link_command(self) -> list[str]:
        """The command that takes the dongle's link up or down when ``up``/``down`` is added (for a
        simulated program in another process, as the fake mmcli's bearer)."""
        return [interface.ip_command(), "-n", self.namespace, "link", "set", FAR_END]

    def set_link(self, up: bool) -> None:
        """Take the dongle's link up or down (the far end; the host end's carrier follows). Once the
        network is closed there is no link: a session that ends after it (a dongle's hang-up the
        firmware reports late) changes nothing."""
        with self._lock:   # close() marks the network closed under the same lock before it takes it down
            if self._closed:
                return
            interface.run_ip(*self.link_command()[1:], "up" if up else "down")

    def evidence(self) -> dict[str, str]:
        """The carrier's own logs, for a report: dnsmasq's (DHCP and DNS) and the web server's."""
        found = {}
        for title, name in (("carrier dnsmasq log", "dnsmasq.log"), ("carrier web server log", "http.log")):
            path = self.workdir / name
            if path.exists():
                found[title] = path.read_text(errors="replace")
        return found

    def describe(self) -> str:
        faults = ", ".join(self.faults.names()) or "none"
        behind = f"a PPP call (client {self.client_address})" if self.far_end == "tun" else self.ifname
        return (f"carrier network {self.namespace}: {self.subnet} behind {behind}, gateway/DNS/web "
                f"{self.gateway}, faults: {faults}")

    # -- taking it down ------------------------------------------------------------------------
    def close(self) -> None:
        """Stop the servers, delete the veth pair and the namespace, forget hilkit's routing rules
        for the host end; safe to call more than once and from a failed start."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        problems = []
        for proc in self._procs:
            proc.terminate()
        for proc in self._procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        if self.tun_fd is not None:
            os.close(self.tun_fd)   # the far end's tun goes with it
            self.tun_fd = None
        undo = []
        if "link" in self._made:
            undo += [self._delete_host_end, lambda: interface.forget_rules(self.ifname)]
        if "namespace" in self._made:
            undo.append(lambda: netns.delete_namespace(self.namespace))
        for step in undo:
            try:
                step()
            except (InterfaceCommandFailed, OSError) as exc:
                problems.append(str(exc))
        if self._guardian is not None and not problems:
            netns.stand_down(self._guardian)
        elif self._guardian is not None:
            _let_guardian_try(self._guardian)
        self._keeper.shutdown(wait=True)
        shutil.rmtree(self.workdir, ignore_errors=True)
        if problems:
            raise CarrierError(f"closing {self.namespace}: " + "; ".join(problems))

    def _delete_host_end(self) -> None:
        if interface.exists(self.ifname):   # takes the far end with it at once (a namespace goes later)
            netns.ip("link", "delete", self.ifname)

    def __enter__(self) -> CarrierNetwork:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def _let_guardian_try(guardian: subprocess.Popen[bytes]) -> None:
    """Close the guardian's pipe without 'closed': it tries the clean-up once more on its own."""
    try:
        if guardian.stdin is not None:
            guardian.stdin.close()
        guardian.wait(timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        pass


def _read_line(stream: IO[bytes], timeout: float) -> bytes:
    """One line from a child's pipe, or b"" when none comes within ``timeout`` s."""
    ready, _, _ = select.select([stream], [], [], timeout)
    return stream.readline() if ready else b""
