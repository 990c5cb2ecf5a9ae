"""A small DHCP client (RFC 2131: DISCOVER, OFFER, REQUEST, ACK) for the dongle's interface, the
way a HiLink stick or an NCM modem hands the host its address.

It runs over a UDP socket bound to the interface (``SO_BINDTODEVICE``, port 68) with the broadcast
flag set, so the server answers by broadcast on that link: the interface needs no address
beforehand and the host's other interfaces never see the exchange. It takes the lease and says
what was offered; putting the address on the interface is :mod:`hilkit.net.interface`'s job.
"""
from __future__ import annotations

import ipaddress
import random
import select
import socket
import time
from dataclasses import dataclass

from hilkit.net import dhcp_packet as dp
from hilkit.net import interface
from hilkit.net.bound import bind_to
from hilkit.net.failures import InterfaceCommandFailed, NoDhcpAnswer

CLIENT_PORT, SERVER_PORT = 68, 67
FIRST_RETRANSMIT = 1.0   # RFC 2131 suggests 4 s, doubling; a dongle's server answers in milliseconds
LAST_RETRANSMIT = 8.0


@dataclass(frozen=True)
class Lease:
    """What the server granted on ``interface``, and how long it took from the first DISCOVER."""

    interface: str
    address: str
    prefix_length: int
    router: str | None
    dns_servers: tuple[str, ...]
    lease_seconds: int | None
    server: str
    elapsed: float
    exchange: tuple[str, ...] = ()   # the messages, one line each, for the report

    def describe(self) -> str:
        lines = [f"{self.address}/{self.prefix_length} on {self.interface} from {self.server} in {self.elapsed:.3f} s",
                 f"router: {self.router or 'none'}", f"DNS: {', '.join(self.dns_servers) or 'none'}",
                 f"lease: {self.lease_seconds} s" if self.lease_seconds is not None else "lease: infinite"]
        return "\n".join([*lines, "", *self.exchange])


def _prefix(message: dp.Message) -> int:
    mask = message.options.get(dp.SUBNET_MASK)
    if mask and len(mask) == 4:
        return ipaddress.IPv4Network(f"0.0.0.0/{socket.inet_ntoa(mask)}").prefixlen
    first = int(message.yiaddr.split(".")[0])
    return 8 if first < 128 else 16 if first < 192 else 24   # no mask option: the address's class


def client_socket(ifname: str) -> socket.socket:
    """UDP port 68 on ``ifname`` only, allowed to broadcast."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    bind_to(sock, ifname)
    try:
        sock.bind((dp.ZERO, CLIENT_PORT))   # any address: the interface has none yet
    except OSError as exc:
        sock.close()
        raise InterfaceCommandFailed(f"DHCP client port {CLIENT_PORT} on {ifname}: {exc.strerror or exc} "
                                     "(needs CAP_NET_BIND_SERVICE; or another DHCP client holds it)") from None
    return sock


class _Exchange:
    """One interface's conversation: sends with backoff until an answer or the deadline."""

    def __init__(self, sock: socket.socket, ifname: str, mac: bytes, deadline: float, timeout: float) -> None:
        self.sock, self.ifname, self.mac = sock, ifname, mac
        self.deadline, self.timeout = deadline, timeout
        self.start = time.monotonic()
        self.log: list[str] = []
        self.others = 0    # replies for another client or transaction

    def note(self, text: str) -> None:
        self.log.append(f"{time.monotonic() - self.start:7.3f} s  {text}")

    def ask(self, message: dp.Message, wanted: set[int], server: str = "") -> dp.Message:
        """Send ``message`` (again and again, backing off) until a reply of a ``wanted`` kind comes."""
        interval, sent = FIRST_RETRANSMIT, 0
        while True:
            now = time.monotonic()
            if now >= self.deadline:
                raise NoDhcpAnswer(self._nothing(message, wanted, sent))
            self.sock.sendto(message.encode(), ("255.255.255.255", SERVER_PORT))
            sent += 1
            self.note(f"-> {message.name}" + (f" for {socket.inet_ntoa(message.options[dp.REQUESTED_IP])}"
                                               if dp.REQUESTED_IP in message.options else ""))
            reply = self._receive(message.xid, wanted, server, min(now + interval, self.deadline))
            if reply is not None:
                return reply
            interval = min(interval * 2, LAST_RETRANSMIT)

    def _receive(self, xid: int, wanted: set[int], server: str, until: float) -> dp.Message | None:
        while (left := until - time.monotonic()) > 0:
            ready, _, _ = select.select([self.sock], [], [], left)
            if not ready:
                return None
            data, (source, _port) = self.sock.recvfrom(4096)
            reply = dp.decode(data)
            if reply is None or reply.op != dp.BOOTREPLY or reply.xid != xid or reply.chaddr[:6] != self.mac:
                self.others += 1
                continue
            from_server = reply.addresses(dp.SERVER_ID)
            if server and from_server and from_server[0] != server:
                self.others += 1   # another server answering our REQUEST to the chosen one
                continue
            self.note(f"<- {reply.name} {reply.yiaddr} from {from_server[0] if from_server else source}")
            if reply.kind in wanted:
                return reply
        return None

    def _nothing(self, message: dp.Message, wanted: set[int], sent: int) -> str:
        names = " or ".join(sorted(dp.TYPE_NAMES[k] for k in wanted))
        seen = f"{self.others} replies for other clients or transactions" if self.others else "no DHCP reply at all"
        text = (f"no {names} on {self.ifname} within {self.timeout:.1f} s after {sent} {message.name}"
                f"{'s' if sent > 1 else ''}; seen: {seen}")
        if interface.rp_filter(self.ifname) == 1:
            text += (f" (rp_filter is strict on {self.ifname}: the kernel drops an answer from a server its main "
                     "table routes elsewhere before any socket sees it)")
        return text


def lease(ifname: str, timeout: float = 30.0, *, hostname: str = "") -> Lease:
    """Ask the network behind ``ifname`` for an address; the :class:`Lease` granted. Raises
    :class:`~hilkit.net.failures.NoDhcpAnswer` when no lease comes within ``timeout`` s (nothing
    answered, or every REQUEST was refused)."""
    interface.check_name(ifname)
    mac = interface.mac_address(ifname)
    deadline = time.monotonic() + timeout
    with client_socket(ifname) as sock:
        talk = _Exchange(sock, ifname, mac, deadline, timeout)
        refused = 0
        while True:
            xid = random.getrandbits(32)
            try:
                offer = talk.ask(dp.request(dp.DISCOVER, xid, mac, hostname=hostname), {dp.OFFER})
                server = (offer.addresses(dp.SERVER_ID) or [offer.siaddr])[0]
                answer = talk.ask(dp.request(dp.REQUEST, xid, mac, hostname=hostname, requested=offer.yiaddr,
                                             server=server), {dp.ACK, dp.NAK}, server)
            except NoDhcpAnswer as exc:
                if refused:
                    raise NoDhcpAnswer(f"{exc.text}; before that the server refused {refused} REQUEST(s) "
                                       "with DHCPNAK") from None
                raise
            if answer.kind == dp.NAK:
                refused += 1
                continue   # RFC 2131 4.4.1: back to INIT
            routers = answer.addresses(dp.ROUTER)
            return Lease(ifname, answer.yiaddr, _prefix(answer), routers[0] if routers else None,
                         tuple(answer.addresses(dp.DNS_SERVERS)), answer.seconds(dp.LEASE_TIME), server,
                         time.monotonic() - talk.start, tuple(talk.log))


def release(granted: Lease) -> None:
    """Give the lease back (DHCPRELEASE, unicast to its server; no answer comes): call it while
    the address is still on the interface. Best effort, as RFC 2131 makes it."""
    mac = interface.mac_address(granted.interface)
    message = dp.request(dp.RELEASE, random.getrandbits(32), mac, server=granted.server, ciaddr=granted.address)
    with client_socket(granted.interface) as sock:
        try:
            sock.sendto(message.encode(), (granted.server, SERVER_PORT))
        except OSError:
            pass   # the link is gone already: the lease runs out on its own
