"""Online, not just attached: the data session up, an address on the dongle's interface, and traffic
that provably went through it (DNS, HTTP, round trip, throughput), each as a step with its evidence
and a measurement against the profile's limits.

Everything goes through the dongle's interface only (sockets bound to it), so the host's own
default route can never answer instead. Whatever this adds to the host (an address, the session)
:meth:`DataPath.close` removes, on every exit path.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from hilkit.core.data_session import DataSession
from hilkit.core.errors import Category, HilkitError
from hilkit.core.events import attach_text, mark, step
from hilkit.core.measurement import measure
from hilkit.core.profile import DataSpec
from hilkit.core.rig import Slot
from hilkit.modem.connectors import DataConnector, DataPathUnavailable, DialUpLine
from hilkit.net import dhcp, interface, probes
from hilkit.net.ppp.link import PppLink
from hilkit.net.tun import TunUnavailable, tun_unavailable


@dataclass
class OnlineResult:
    session: DataSession
    interface: str
    address: str = ""
    prefix: int = 0
    time_to_address: float = 0.0
    dns_answer: str = ""
    http_status: int = 0
    rtt_ms: float = 0.0
    throughput_kbps: float | None = None

    def summary(self) -> str:
        rate = f"{self.throughput_kbps:.0f} kbit/s" if self.throughput_kbps is not None else "not measured"
        return (f"online over {self.session.method} on {self.interface}: {self.address}/{self.prefix} in "
                f"{self.time_to_address:.2f} s, DNS {self.dns_answer}, HTTP {self.http_status}, "
                f"RTT {self.rtt_ms:.1f} ms, throughput {rate}")


def no_ppp_here(what: str) -> str | None:
    """Why ``what`` (a session that needs PPP) cannot be carried on this host, or None: hilkit's PPP
    client needs a tun interface."""
    why = tun_unavailable()
    return f"{what}, and hilkit's PPP client needs a tun interface: {why}" if why else None


class DataPath:
    """One dongle's way online: :meth:`bring_up` runs the connect phase and every check;
    :meth:`close` takes down what it set up (safe to call at any point, more than once)."""

    def __init__(self, slot: Slot, connector: DataConnector, interface_of: Callable[[], str], budget: float,
                 throughput_url: str = "", mask: Callable[[str], str] = lambda text: text) -> None:
        self.slot = slot
        self.spec: DataSpec = slot.profile.data
        self.connector = connector
        self.interface_of = interface_of     # the lab's net_interface(slot), asked once the session is up
        self.budget = budget
        self.throughput_url = throughput_url
        self.mask = mask                     # what the evidence must not show (the modem's IMEI)
        self.added: list[interface.Configuration] = []   # addresses and routes this put on the host
        self.leases: list[dhcp.Lease] = []
        self.dns: tuple[str, ...] = ()
        self.line: DialUpLine | None = None
        self.ppp: PppLink | None = None

    def bring_up(self) -> OnlineResult:
        with step(f"connect: {self.connector.method} data session"):
            session = self.connector.connect(self.budget)
            attach_text("data session", session.summary())
            for name, text in session.evidence.items():
                attach_text(name, self.mask(text))
        if session.addressing == "ppp":
            self._ppp(session)
        result = OnlineResult(session, session.interface or self.interface_of())
        self._address(result)
        self._traffic(result)
        attach_text("online result", result.summary())
        return result

    def _ppp(self, session: DataSession) -> None:
        """The call is in data mode on a serial port: hilkit's PPP client takes the port; the
        session's interface is its tun, its address and DNS the ones IPCP gave."""
        why = no_ppp_here(f"{session.summary()}, then PPP")
        if why:
            raise DataPathUnavailable(why)
        self.line = self.connector.dial_up_line()
        self.ppp = PppLink(self.line.port, self.line.username, self.line.password, pending=self.line.pending)
        start = time.monotonic()
        with step(f"PPP on {self.ppp.port_name()}: LCP, authentication, IPCP"):
            try:
                self.ppp.open(max(self.budget - session.time_to_connect, 1.0))
            except TunUnavailable as exc:   # /dev/net/tun there, but no CAP_NET_ADMIN to make one
                raise DataPathUnavailable(f"{session.summary()}, then no PPP: {exc}") from None
            finally:
                attach_text("PPP log (pppd's format)", self.ppp.log_text())
        session.time_to_connect += time.monotonic() - start
        session.interface, session.addressing = self.ppp.ifname, "static"
        session.address, session.prefix, session.gateway = self.ppp.local_address, 32, self.ppp.peer_address
        session.dns = self.ppp.dns
        mark(f"PPP up on {self.ppp.ifname}: {session.address} peer {session.gateway}, "
             f"DNS {', '.join(session.dns) or 'none'}")

    def _address(self, result: OnlineResult) -> None:
        name = result.interface
        with step(f"address on {name} ({result.session.addressing})"):
            start = time.monotonic()
            interface.wait_for_link(name, self.spec.address_budget)
            if result.session.addressing == "static":
                address, prefix = result.session.address, result.session.prefix
                gateway, self.dns = result.session.gateway, result.session.dns
            else:
                lease = dhcp.lease(name, self.spec.address_budget)
                self.leases.append(lease)
                attach_text("DHCP lease", lease.describe())
                address, prefix = lease.address, lease.prefix_length
                gateway, self.dns = lease.router or "", lease.dns_servers
            self.added.append(interface.configure(name, address, prefix, gateway))
            result.address, result.prefix = address, prefix
            mark(f"{name}: {address}/{prefix}, gateway {gateway or 'none'}, DNS {', '.join(self.dns) or 'none'}")
            result.time_to_address = time.monotonic() - start
        measure("time to address", result.time_to_address, "s", high=self.spec.address_budget,
                category=Category.NO_ADDRESS)

    def _traffic(self, result: OnlineResult) -> None:
        name = result.interface
        target = urlsplit(self.spec.check_url)
        host = target.hostname or ""
        with step(f"DNS: {host} through {name}"):
            if not self.dns:
                raise probes.DnsFailure(f"the {result.session.method} session gave {name} no DNS server")
            answers = probes.resolve(host, self.dns[0], name, timeout=5.0)
            result.dns_answer = ", ".join(answers)
            attach_text("DNS answer", f"{host} A {result.dns_answer} (server {self.dns[0]}, via {name})")
            mark(f"{host} A {result.dns_answer}")
        with step(f"HTTP GET {self.spec.check_url} through {name}"):
            answer = probes.http_get(self.spec.check_url, name, timeout=10.0, connect_to=answers[0])
            result.http_status = answer.status
            attach_text("HTTP answer", answer.describe())
            with step(f"HTTP {answer.status} {answer.reason} (expected {self.spec.check_status})"):
                answer.expect(self.spec.check_status)
        with step(f"round trip to {host} ({answers[0]}) through {name}"):
            result.rtt_ms = probes.round_trip(answers[0], name, count=5, port=target.port or 80) * 1000.0
        measure("round trip", result.rtt_ms, "ms", high=self.spec.max_rtt_ms)
        if not self.throughput_url:
            attach_text("throughput", "not measured: the rig names no data_path.throughput_url")
            return
        with step(f"throughput: GET {self.throughput_url} through {name}"):
            rate = probes.throughput(self.throughput_url, name, timeout=30.0, dns_server=self.dns[0])
            result.throughput_kbps = rate.bits_per_second / 1000.0
            attach_text("throughput", rate.describe())
        measure("throughput", result.throughput_kbps, "kbit/s", low=self.spec.min_throughput_kbps or None,
                category=Category.SLOW_DATA)

    def close(self) -> None:
        """Remove what this added, then end the session; every part is tried whatever the others do."""
        problems = []
        while self.added:
            configuration = self.added.pop()
            try:
                configuration.undo()
            except (HilkitError, OSError) as exc:
                problems.append(f"removing {configuration.address}/{configuration.prefix_length} from "
                                f"{configuration.ifname}: {exc}")
        while self.leases:
            try:
                dhcp.release(self.leases.pop())
            except (HilkitError, OSError) as exc:
                problems.append(f"releasing the DHCP lease: {exc}")
        if self.ppp is not None:
            link, self.ppp = self.ppp, None
            try:
                link.close()
            except OSError as exc:
                problems.append(f"ending PPP on {link.ifname}: {exc}")
            attach_text("PPP log to the end (pppd's format)", link.log_text())   # how it ended, for a drop
        if self.line is not None:
            line, self.line = self.line, None
            try:
                line.release()
            except (HilkitError, OSError) as exc:
                problems.append(f"giving the port back after PPP: {exc}")
        try:
            self.connector.disconnect()
        except (HilkitError, OSError) as exc:
            problems.append(f"ending the {self.connector.method} session: {exc}")
        if problems:
            attach_text("data path teardown problems", "\n".join(problems))
