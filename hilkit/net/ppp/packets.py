"""PPP control packets (RFC 1661 section 5: code, identifier, length, data) and their options, PAP (RFC 1334)
and CHAP (RFC 1994) bodies. Malformed input raises :class:`MalformedPacket` with what is wrong."""
from __future__ import annotations

import hashlib
import socket
import struct
from dataclasses import dataclass

IPV4, IPCP, LCP, PAP, CHAP = 0x0021, 0x8021, 0xC021, 0xC023, 0xC223
PROTOCOL_NAMES = {LCP: "LCP", IPCP: "IPCP", PAP: "PAP", CHAP: "CHAP", IPV4: "IP"}

# RFC 1661 codes (LCP has all, IPCP the first seven)
CONF_REQ, CONF_ACK, CONF_NAK, CONF_REJ, TERM_REQ, TERM_ACK, CODE_REJ = 1, 2, 3, 4, 5, 6, 7
PROT_REJ, ECHO_REQ, ECHO_REP, DISC_REQ = 8, 9, 10, 11

# LCP options
MRU, ACCM, AUTH, MAGIC, PFC, ACFC = 1, 2, 3, 5, 7, 8
CHAP_MD5 = 5
# IPCP options (RFC 1332, RFC 1877)
IP_COMPRESSION, IP_ADDRESS, PRIMARY_DNS, SECONDARY_DNS = 2, 3, 129, 131

# PAP and CHAP codes
PAP_REQUEST, PAP_ACK, PAP_NAK = 1, 2, 3
CHAP_CHALLENGE, CHAP_RESPONSE, CHAP_SUCCESS, CHAP_FAILURE = 1, 2, 3, 4

HEADER = struct.Struct("!BBH")
Option = tuple[int, bytes]     # (type, value without the type and length octets)


class MalformedPacket(ValueError):
    """A packet or option that does not parse; the message says which and why."""


@dataclass(frozen=True)
class Packet:
    code: int
    ident: int
    data: bytes = b""

    def encode(self) -> bytes:
        return HEADER.pack(self.code, self.ident, HEADER.size + len(self.data)) + self.data


def decode_packet(raw: bytes, what: str = "packet") -> Packet:
    """Octets past the length field are padding (RFC 1661 5.) and dropped."""
    if len(raw) < HEADER.size:
        raise MalformedPacket(f"{what}: {len(raw)} octets, shorter than the 4-octet header")
    code, ident, length = HEADER.unpack_from(raw)
    if length < HEADER.size or length > len(raw):
        raise MalformedPacket(f"{what}: length field {length} does not fit the {len(raw)} octets received")
    return Packet(code, ident, bytes(raw[HEADER.size:length]))


def encode_options(options: list[Option]) -> bytes:
    out = bytearray()
    for kind, value in options:
        if len(value) > 253:
            raise ValueError(f"option {kind}: {len(value)} octets is too long")
        out += bytes([kind, len(value) + 2]) + value
    return bytes(out)


def decode_options(raw: bytes, what: str = "options") -> list[Option]:
    options: list[Option] = []
    at = 0
    while at < len(raw):
        if at + 2 > len(raw):
            raise MalformedPacket(f"{what}: option {raw[at]} at offset {at} has no length octet")
        kind, length = raw[at], raw[at + 1]
        if length < 2 or at + length > len(raw):
            raise MalformedPacket(f"{what}: option {kind} at offset {at} claims {length} octets, "
                                  f"{len(raw) - at} remain")
        options.append((kind, bytes(raw[at + 2:at + length])))
        at += length
    return options


def u16(value: int) -> bytes:
    return value.to_bytes(2, "big")


def u32(value: int) -> bytes:
    return value.to_bytes(4, "big")


def ipv4(address: str) -> bytes:
    return socket.inet_aton(address)


def ipv4_text(raw: bytes) -> str:
    if len(raw) != 4:
        raise MalformedPacket(f"an IPv4 address has 4 octets, not {len(raw)}")
    return socket.inet_ntoa(raw)


def _counted(data: bytes, at: int, what: str) -> tuple[bytes, int]:
    """A one-octet length then that many octets, as PAP and CHAP lay out names, secrets and values."""
    if at >= len(data):
        raise MalformedPacket(f"{what}: missing its length octet")
    end = at + 1 + data[at]
    if end > len(data):
        raise MalformedPacket(f"{what}: claims {data[at]} octets, {len(data) - at - 1} remain")
    return data[at + 1:end], end


def pap_request(user: str, password: str) -> bytes:
    name, secret = user.encode(), password.encode()
    return bytes([len(name)]) + name + bytes([len(secret)]) + secret


def parse_pap_request(data: bytes) -> tuple[str, str]:
    """(peer id, password) of an Authenticate-Request's data."""
    name, at = _counted(data, 0, "PAP Authenticate-Request peer id")
    secret, _ = _counted(data, at, "PAP Authenticate-Request password")
    return name.decode(errors="replace"), secret.decode(errors="replace")


def pap_reply(message: str) -> bytes:
    text = message.encode()
    return bytes([len(text)]) + text


def parse_pap_reply(data: bytes) -> str:
    """An Authenticate-Ack/Nak's message (empty when the peer sent none at all)."""
    if not data:
        return ""
    text, _ = _counted(data, 0, "PAP reply message")
    return text.decode(errors="replace")


def chap_value(value: bytes, name: str) -> bytes:
    """A Challenge's or Response's data: value-size, value, name."""
    return bytes([len(value)]) + value + name.encode()


def parse_chap_value(data: bytes) -> tuple[bytes, str]:
    value, at = _counted(data, 0, "CHAP value")
    return value, data[at:].decode(errors="replace")


def chap_md5(ident: int, secret: str, challenge: bytes) -> bytes:
    """RFC 1994 4.1 with MD5 (algorithm 5): MD5 over identifier, secret, challenge."""
    return hashlib.md5(bytes([ident]) + secret.encode() + challenge, usedforsecurity=False).digest()
