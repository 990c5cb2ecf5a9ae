"""A DNS A query (RFC 1035) over UDP to one server, through one interface: the carrier's DNS as
the dongle's session hands it over, never the host's resolver. Built with the stdlib (one question,
the answer's A records): a dependency for that would be more than the code."""
from __future__ import annotations

import random
import select
import socket
import struct
import time

from hilkit.net.bound import udp_socket
from hilkit.net.failures import DnsFailure

HEADER = struct.Struct("!HHHHHH")   # id flags qdcount ancount nscount arcount
TYPE_A, CLASS_IN = 1, 1
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}
RETRANSMIT = 1.0


def query(name: str, ident: int) -> bytes:
    labels = [part.encode("idna") for part in name.rstrip(".").split(".")]
    if not all(0 < len(label) < 64 for label in labels):
        raise ValueError(f"{name!r} is not a host name")
    qname = b"".join(bytes([len(label)]) + label for label in labels) + b"\0"
    return HEADER.pack(ident, 0x0100, 1, 0, 0, 0) + qname + struct.pack("!HH", TYPE_A, CLASS_IN)   # RD set


def _skip_name(data: bytes, at: int) -> int:
    while True:
        if at >= len(data):
            raise ValueError("a name runs past the message")
        length = data[at]
        if length & 0xC0 == 0xC0:   # a compression pointer ends the name
            return at + 2
        if length == 0:
            return at + 1
        at += 1 + length


def parse(data: bytes, ident: int) -> tuple[int, list[str]] | None:
    """(RCODE, the A records' addresses) of an answer to query ``ident``; None when it is not one."""
    if len(data) < HEADER.size:
        return None
    got, flags, qdcount, ancount, _, _ = HEADER.unpack_from(data)
    if got != ident or not flags & 0x8000:
        return None
    at = HEADER.size
    for _ in range(qdcount):
        at = _skip_name(data, at) + 4
    addresses = []
    for _ in range(ancount):
        at = _skip_name(data, at)
        rtype, rclass, _ttl, length = struct.unpack_from("!HHIH", data, at)
        at += 10
        if rtype == TYPE_A and rclass == CLASS_IN and length == 4:
            addresses.append(socket.inet_ntoa(data[at:at + 4]))
        at += length
    return flags & 0x000F, addresses


def resolve(name: str, server: str, ifname: str, timeout: float = 5.0) -> list[str]:
    """The A records of ``name`` as ``server`` answers through ``ifname`` (asked again each second
    until ``timeout``). Raises :class:`~hilkit.net.failures.DnsFailure` for no answer, an error
    RCODE (SERVFAIL, NXDOMAIN, REFUSED ...) or an answer without an address."""
    ident = random.getrandbits(16)
    packet = query(name, ident)
    deadline = time.monotonic() + timeout
    sent = 0
    where = f"DNS server {server} through {ifname}"
    with udp_socket(ifname) as sock:
        sock.setblocking(False)
        try:
            sock.connect((server, 53))
            while (now := time.monotonic()) < deadline:
                sock.send(packet)
                sent += 1
                until = min(now + RETRANSMIT, deadline)
                while (left := until - time.monotonic()) > 0:
                    if not select.select([sock], [], [], left)[0]:
                        break
                    try:
                        answer = parse(sock.recv(4096), ident)
                    except (ValueError, struct.error):
                        raise DnsFailure(f"{where} sent a malformed answer for {name}") from None
                    if answer is None:
                        continue
                    rcode, addresses = answer
                    if rcode:
                        raise DnsFailure(f"{where} answered {RCODES.get(rcode, f'RCODE {rcode}')} for {name}",
                                         rcode=rcode)
                    if not addresses:
                        raise DnsFailure(f"{where} answered {name} with no A record", rcode=0)
                    return addresses
        except ConnectionRefusedError:
            raise DnsFailure(f"{where} refused the query: port 53 unreachable (nothing listens there)") from None
        except OSError as exc:
            raise DnsFailure(f"{where}: {exc.strerror or exc} asking for {name}") from None
    raise DnsFailure(f"no answer from {where} within {timeout:.1f} s for {name} ({sent} queries sent)")
