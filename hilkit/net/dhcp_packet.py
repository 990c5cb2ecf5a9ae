"""DHCP messages as RFC 2131 lays them out (BOOTP's fixed header, the magic cookie, then RFC 2132's
options), built and read with :mod:`struct`: what :mod:`hilkit.net.dhcp` sends and understands."""
from __future__ import annotations

import socket
import struct
from dataclasses import dataclass, field

MAGIC = b"\x63\x82\x53\x63"
#: op htype hlen hops xid secs flags, ciaddr yiaddr siaddr giaddr, chaddr sname file
HEADER = struct.Struct("!BBBBIHH4s4s4s4s16s64s128s")
BOOTREQUEST, BOOTREPLY = 1, 2
BROADCAST_FLAG = 0x8000
ZERO = socket.inet_ntoa(bytes(4))   # "no address yet": the unspecified address
MIN_LENGTH = 300   # BOOTP's minimum message; some servers drop shorter ones

# RFC 2132 option codes
PAD, END = 0, 255
SUBNET_MASK, ROUTER, DNS_SERVERS, HOST_NAME = 1, 3, 6, 12
REQUESTED_IP, LEASE_TIME, OVERLOAD, MESSAGE_TYPE, SERVER_ID = 50, 51, 52, 53, 54
PARAMETER_LIST, MAX_SIZE, RENEWAL_TIME, REBINDING_TIME, CLIENT_ID = 55, 57, 58, 59, 61

# option 53's values
DISCOVER, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE = 1, 2, 3, 4, 5, 6, 7
TYPE_NAMES = {DISCOVER: "DHCPDISCOVER", OFFER: "DHCPOFFER", REQUEST: "DHCPREQUEST", DECLINE: "DHCPDECLINE",
              ACK: "DHCPACK", NAK: "DHCPNAK", RELEASE: "DHCPRELEASE"}

#: what a client asks for (option 55)
WANTED = bytes([SUBNET_MASK, ROUTER, DNS_SERVERS, LEASE_TIME, SERVER_ID, RENEWAL_TIME, REBINDING_TIME])


@dataclass
class Message:
    op: int
    xid: int
    chaddr: bytes                       # the client's hardware address (6 bytes for Ethernet)
    kind: int = 0                       # option 53
    flags: int = 0
    ciaddr: str = ZERO
    yiaddr: str = ZERO
    siaddr: str = ZERO
    options: dict[int, bytes] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return TYPE_NAMES.get(self.kind, f"DHCP type {self.kind}")

    def addresses(self, code: int) -> list[str]:
        raw = self.options.get(code, b"")
        return [socket.inet_ntoa(raw[i:i + 4]) for i in range(0, len(raw) - len(raw) % 4, 4)]

    def seconds(self, code: int) -> int | None:
        raw = self.options.get(code, b"")
        return struct.unpack("!I", raw[:4])[0] if len(raw) >= 4 else None

    def encode(self) -> bytes:
        header = HEADER.pack(self.op, 1, len(self.chaddr), 0, self.xid, 0, self.flags,
                             *(socket.inet_aton(a) for a in (self.ciaddr, self.yiaddr, self.siaddr, ZERO)),
                             self.chaddr.ljust(16, b"\0"), b"", b"")
        body = bytearray(header + MAGIC + bytes([MESSAGE_TYPE, 1, self.kind]))
        for code, value in self.options.items():
            if code != MESSAGE_TYPE:
                body += bytes([code, len(value)]) + value
        body.append(END)
        return bytes(body.ljust(MIN_LENGTH, b"\0"))


def _options(raw: bytes) -> dict[int, bytes]:
    found: dict[int, bytes] = {}
    i = 0
    while i < len(raw):
        code = raw[i]
        if code == END:
            break
        if code == PAD:
            i += 1
            continue
        if i + 1 >= len(raw):
            break
        length = raw[i + 1]
        found[code] = found.get(code, b"") + raw[i + 2:i + 2 + length]   # RFC 3396: repeated options concatenate
        i += 2 + length
    return found


def decode(data: bytes) -> Message | None:
    """A DHCP message, or None for anything else (too short, no magic cookie)."""
    if len(data) < HEADER.size + 4 or data[HEADER.size:HEADER.size + 4] != MAGIC:
        return None
    op, _htype, hlen, _hops, xid, _secs, flags, ciaddr, yiaddr, siaddr, _giaddr, chaddr, sname, bootfile = \
        HEADER.unpack_from(data)
    options = _options(data[HEADER.size + 4:])
    overload = options.get(OVERLOAD, b"\0")[0]   # option 52: more options in the file and sname fields
    if overload & 1:
        options = {**_options(bootfile), **options}
    if overload & 2:
        options = {**_options(sname), **options}
    kind = options.get(MESSAGE_TYPE, b"\0")[0]
    return Message(op, xid, chaddr[:min(hlen, 16)], kind, flags, socket.inet_ntoa(ciaddr), socket.inet_ntoa(yiaddr),
                   socket.inet_ntoa(siaddr), options)


def request(kind: int, xid: int, mac: bytes, *, hostname: str = "", requested: str = "", server: str = "",
            ciaddr: str = ZERO) -> Message:
    """A client's message. Without an address of its own (``ciaddr``) it sets the broadcast flag:
    it cannot be answered at an address it does not have yet."""
    options = {CLIENT_ID: b"\x01" + mac}
    if kind in (DISCOVER, REQUEST):   # RFC 2131 table 5: not in a DECLINE or RELEASE
        options.update({PARAMETER_LIST: WANTED, MAX_SIZE: struct.pack("!H", 1500)})
    if hostname:
        options[HOST_NAME] = hostname.encode()[:63]
    if requested:
        options[REQUESTED_IP] = socket.inet_aton(requested)
    if server:
        options[SERVER_ID] = socket.inet_aton(server)
    flags = BROADCAST_FLAG if ciaddr == ZERO else 0
    return Message(BOOTREQUEST, xid, mac, kind, flags, ciaddr=ciaddr, options=options)
