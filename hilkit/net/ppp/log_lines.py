"""Packets as pppd's ``debug`` option logs them (``sent [LCP ConfReq id=0x1 <asyncmap 0x0> <magic 0x...>]``), so
hilkit's logs read like the pppd logs people already know. Passwords are never shown (PAP's as ``<hidden>``)."""
from __future__ import annotations

from hilkit.net.ppp.packets import (
    ACCM,
    ACFC,
    AUTH,
    CHAP,
    CHAP_CHALLENGE,
    CHAP_FAILURE,
    CHAP_MD5,
    CHAP_RESPONSE,
    CHAP_SUCCESS,
    CONF_REJ,
    CONF_REQ,
    DISC_REQ,
    ECHO_REP,
    ECHO_REQ,
    IP_ADDRESS,
    IP_COMPRESSION,
    IPCP,
    LCP,
    MAGIC,
    MRU,
    PAP,
    PAP_ACK,
    PAP_NAK,
    PAP_REQUEST,
    PFC,
    PRIMARY_DNS,
    SECONDARY_DNS,
    TERM_ACK,
    TERM_REQ,
    MalformedPacket,
    Option,
    decode_options,
    decode_packet,
    parse_chap_value,
    parse_pap_reply,
    parse_pap_request,
)

CONTROL_CODES = ("ConfReq", "ConfAck", "ConfNak", "ConfRej", "TermReq", "TermAck", "CodeRej", "ProtRej",
                 "EchoReq", "EchoRep", "DiscReq")
PAP_CODES = {PAP_REQUEST: "AuthReq", PAP_ACK: "AuthAck", PAP_NAK: "AuthNak"}
CHAP_CODES = {CHAP_CHALLENGE: "Challenge", CHAP_RESPONSE: "Response", CHAP_SUCCESS: "Success",
              CHAP_FAILURE: "Failure"}
AUTH_NAMES = {b"\xc0\x23": "pap", b"\xc2\x23": "chap"}
CHAP_ALGORITHMS = {CHAP_MD5: " MD5", 0x80: " MS", 0x81: " MS-v2"}


def _hex(data: bytes, limit: int = 32) -> str:
    text = "".join(f" {b:02x}" for b in data[:limit])
    return text + (" ..." if len(data) > limit else "")


def quoted(data: bytes) -> str:
    """pppd's print_string: in double quotes, non-printables as \\ooo octal escapes."""
    out = []
    for byte in data:
        char = chr(byte)
        if char in "\"\\":
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'


def _ip(value: bytes) -> str:
    return ".".join(str(b) for b in value)


def _lcp_option(kind: int, value: bytes) -> str | None:
    if kind == MRU and len(value) == 2:
        return f"mru {int.from_bytes(value, 'big')}"
    if kind == ACCM and len(value) == 4:
        return f"asyncmap 0x{int.from_bytes(value, 'big'):x}"
    if kind == AUTH and len(value) >= 2:
        name = AUTH_NAMES.get(value[:2], f"0x{int.from_bytes(value[:2], 'big'):x}")
        rest = value[2:]
        if name == "chap" and rest:
            name += CHAP_ALGORITHMS.get(rest[0], f" {rest[0]:02x}")
            rest = rest[1:]
        return f"auth {name}" + _hex(rest)
    if kind == MAGIC and len(value) == 4:
        return f"magic 0x{int.from_bytes(value, 'big'):x}"
    if kind in (PFC, ACFC) and not value:
        return "pcomp" if kind == PFC else "accomp"
    return None


def _ipcp_option(kind: int, value: bytes) -> str | None:
    if kind == IP_COMPRESSION and len(value) >= 2:
        what = "VJ" if value[:2] == b"\x00\x2d" else f"0x{int.from_bytes(value[:2], 'big'):x}"
        return f"compress {what}" + _hex(value[2:])
    if len(value) == 4 and kind == IP_ADDRESS:
        return f"addr {_ip(value)}"
    if len(value) == 4 and kind in (PRIMARY_DNS, SECONDARY_DNS):   # pppd numbers them ms-dns1 and ms-dns3
        return f"ms-dns{kind - PRIMARY_DNS + 1} {_ip(value)}"
    if len(value) == 4 and kind in (130, 132):
        return f"ms-wins {_ip(value)}"
    return None


def _options(options: list[Option], protocol: int) -> str:
    describe = _lcp_option if protocol == LCP else _ipcp_option
    parts = []
    for kind, value in options:
        text = describe(kind, value)
        parts.append(f" <{text}>" if text is not None else f" <{_hex(bytes([kind, len(value) + 2]) + value)}>")
    return "".join(parts)


def _control(protocol: int, code: int, data: bytes) -> str:
    if CONF_REQ <= code <= CONF_REJ:
        try:
            return _options(decode_options(data), protocol)
        except MalformedPacket:
            return _hex(data)
    if code in (TERM_REQ, TERM_ACK):
        return " " + quoted(data) if data else ""
    if protocol == LCP and code in (ECHO_REQ, ECHO_REP, DISC_REQ) and len(data) >= 4:
        return f" magic=0x{int.from_bytes(data[:4], 'big'):x}" + _hex(data[4:])
    return _hex(data)


def _auth(protocol: int, code: int, data: bytes) -> str:
    if protocol == PAP and code == PAP_REQUEST:
        user, _ = parse_pap_request(data)
        return f" user={quoted(user.encode())} password=<hidden>"
    if protocol == PAP:
        return " " + quoted(parse_pap_reply(data).encode())
    if code in (CHAP_CHALLENGE, CHAP_RESPONSE):
        value, name = parse_chap_value(data)
        return f" <{value.hex()}>, name = {quoted(name.encode())}"
    return " " + quoted(data)


def describe(protocol: int, payload: bytes) -> str:
    """The bracketed part of pppd's ``sent``/``rcvd`` lines."""
    name = {LCP: "LCP", IPCP: "IPCP", PAP: "PAP", CHAP: "CHAP"}.get(protocol)
    if name is None:
        return f"[proto=0x{protocol:x}{_hex(payload)}]"
    try:
        packet = decode_packet(payload)
    except MalformedPacket:
        return f"[{name}{_hex(payload)}]"
    codes = CONTROL_CODES if protocol == LCP else CONTROL_CODES[:7] if protocol == IPCP else ()
    if protocol in (LCP, IPCP):
        code = codes[packet.code - 1] if 1 <= packet.code <= len(codes) else f"code=0x{packet.code:x}"
    else:
        code = (PAP_CODES if protocol == PAP else CHAP_CODES).get(packet.code, f"code=0x{packet.code:x}")
    try:
        body = _control(protocol, packet.code, packet.data) if protocol in (LCP, IPCP) else \
            _auth(protocol, packet.code, packet.data)
    except MalformedPacket:
        body = _hex(packet.data)
    return f"[{name} {code} id=0x{packet.ident:x}{body}]"


def sent(protocol: int, payload: bytes) -> str:
    return "sent " + describe(protocol, payload)


def rcvd(protocol: int, payload: bytes) -> str:
    return "rcvd " + describe(protocol, payload)
