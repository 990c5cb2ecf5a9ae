"""Wireshark's PPP dissectors (tshark), which hilkit did not write, read the frames hilkit's PPP puts on the line.

The frames go into a pcap exactly as on the line (flags, byte stuffing, FCS) under a user link type that tshark
decodes with its ``ppp_raw_hdlc`` dissector, FCS-16 checking on: tshark undoes the stuffing, checks the FCS and
decodes LCP, CHAP, PAP, IPCP and IPv4 by itself."""
from __future__ import annotations

import hashlib
import json
import shutil
import socket
import struct
import subprocess
from pathlib import Path

import pytest

from hilkit.net.ppp import PppConfig, PppEndpoint
from hilkit.net.ppp.framing import encode_frame
from hilkit.net.ppp.packets import IPCP, LCP, Packet, encode_options

TSHARK = shutil.which("tshark")
pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark (Wireshark) is not installed")

SECRET = "s3cr3t-for-chap"
USER_DLT = 147      # LINKTYPE_USER0, mapped below to Wireshark's "PPP In HDLC-Like Framing" (raw, stuffed)
FIELDS = ["ppp.protocol", "ppp.fcs.status", "ppp.code", "ppp.identifier", "ppp.data", "lcp.opt.type",
          "lcp.opt.asyncmap", "lcp.opt.magic_number", "lcp.opt.auth_protocol", "lcp.opt.algorithm",
          "lcp.magic_number", "chap.code", "chap.identifier", "chap.value", "chap.name", "chap.message", "pap.code",
          "pap.peer_id", "pap.password", "ipcp.opt.type", "ipcp.opt.ip_address", "ipcp.opt.pri_dns_address",
          "ipcp.opt.sec_dns_address", "ip.src", "ip.dst", "icmp.type", "icmp.checksum.status", "_ws.expert",
          "_ws.malformed"]


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def _frames(wire: bytes) -> list[bytes]:
    """Cut at the flags (no unstuffing: that is tshark's job)."""
    return [b"\x7e" + part + b"\x7e" for part in wire.split(b"\x7e") if part]


def _tshark(tmp_path: Path, frames: list[bytes]) -> list[dict[str, list[str]]]:
    pcap = tmp_path / "ppp.pcap"
    records = b"".join(struct.pack("<IIII", n, 0, len(f), len(f)) + f for n, f in enumerate(frames))
    pcap.write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, USER_DLT) + records)
    command = [str(TSHARK), "-r", str(pcap), "-o", "ppp.fcs_type:16-Bit",
               "-o", 'uat:user_dlts:"User 0 (DLT=147)","ppp_raw_hdlc","0","","0",""', "-T", "json"]
    for field in FIELDS:
        command += ["-e", field]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    return [packet["_source"]["layers"] for packet in json.loads(result.stdout)]


def _icmp_echo(src: str, dst: str) -> bytes:
    def checksum(data: bytes) -> int:
        data += b"\0" * (len(data) % 2)
        total = sum(struct.unpack(f"!{len(data) // 2}H", data))
        total = (total >> 16) + (total & 0xFFFF)
        return ~(total + (total >> 16)) & 0xFFFF
    icmp = struct.pack("!BBHHH", 8, 0, 0, 0x1234, 1) + b"hilkit ppp \x7e\x7d\x11\x13"
    icmp = icmp[:2] + struct.pack("!H", checksum(icmp)) + icmp[4:]
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 1, 0, 64, 1, 0, socket.inet_aton(src),
                         socket.inet_aton(dst))
    return header[:10] + struct.pack("!H", checksum(header)) + header[12:] + icmp


def _session(auth: str) -> tuple[list[bytes], PppEndpoint, PppEndpoint]:
    """A whole session: LCP, authentication, IPCP, a ping each way, an echo, the client's Terminate."""
    clock = Clock()
    c = PppEndpoint(PppConfig("client", username="user", password=SECRET, magic=0x11111111), clock)
    s = PppEndpoint(PppConfig("server", local_address="10.64.0.1", peer_address="10.64.0.2",
                              dns=("10.64.0.53", "10.64.0.54"), require_auth=auth, magic=0x22222222), clock)
    wire: list[bytes] = []
    to_s, to_c = c.start(), s.start()
    while to_s or to_c:
        wire += [to_s, to_c]
        to_s, to_c = c.receive(to_c), s.receive(to_s)
    assert c.opened and s.opened
    for out, peer in ((c.send_ip(_icmp_echo("10.64.0.2", "10.64.0.53")), s),
                      (s.send_ip(_icmp_echo("10.64.0.53", "10.64.0.2")), c), (c.echo_request(), s)):
        wire += [out, peer.receive(out)]
    closing = c.close()
    wire += [closing, s.receive(closing)]
    return [f for chunk in wire for f in _frames(chunk)], c, s


def _clean(layers: dict[str, list[str]]) -> None:
    assert layers["ppp.fcs.status"] == ["1"], layers          # 1 = Good
    assert "_ws.expert" not in layers and "_ws.malformed" not in layers, layers


def test_tshark_decodes_a_chap_session_as_meant(tmp_path):
    frames, _, _ = _session("chap")
    packets = _tshark(tmp_path, frames)
    assert len(packets) == len(frames) == 19
    for layers in packets:
        _clean(layers)
    summary = [(p["ppp.protocol"][0], (p.get("ppp.code") or p.get("chap.code") or p.get("icmp.type"))[0],
                (p.get("ppp.identifier") or p.get("chap.identifier") or ["-"])[0]) for p in packets]
    assert summary == [
        ("0xc021", "1", "1"), ("0xc021", "1", "1"), ("0xc021", "2", "1"), ("0xc021", "2", "1"),   # LCP
        ("0xc223", "1", "1"), ("0xc223", "2", "1"), ("0xc223", "3", "1"),                          # CHAP
        ("0x8021", "1", "1"), ("0x8021", "1", "1"), ("0x8021", "2", "1"), ("0x8021", "3", "1"),   # IPCP
        ("0x8021", "1", "2"), ("0x8021", "2", "2"),
        ("0x0021", "8", "-"), ("0x0021", "8", "-"),                                                # pings
        ("0xc021", "9", "2"), ("0xc021", "10", "2"), ("0xc021", "5", "3"), ("0xc021", "6", "3"),  # echo, bye
        ]
    client_req, server_req = packets[0], packets[1]
    assert client_req["lcp.opt.type"] == ["2", "5"]
    assert client_req["lcp.opt.asyncmap"] == ["0x00000000"] and client_req["lcp.opt.magic_number"] == ["0x11111111"]
    assert server_req["lcp.opt.type"] == ["2", "3", "5"]
    assert server_req["lcp.opt.auth_protocol"] == ["0xc223"] and server_req["lcp.opt.algorithm"] == ["5"]
    assert server_req["lcp.opt.magic_number"] == ["0x22222222"]
    assert packets[2]["lcp.opt.auth_protocol"] == ["0xc223"]          # the client's Ack of it

    challenge, response, success = packets[4:7]
    assert challenge["chap.name"] == ["hilkit"] and response["chap.name"] == ["user"]
    expected = hashlib.md5(bytes([int(challenge["chap.identifier"][0])]) + SECRET.encode()
                           + bytes.fromhex(challenge["chap.value"][0].replace(":", "")),
                           usedforsecurity=False).hexdigest()
    assert response["chap.value"][0].replace(":", "") == expected      # RFC 1994, computed here with hashlib
    assert success["chap.message"] == ["Welcome"]

    server_ipcp, client_ipcp, _, nak, again, ack = packets[7:13]
    assert server_ipcp["ipcp.opt.ip_address"] == ["10.64.0.1"]
    assert client_ipcp["ipcp.opt.type"] == ["3", "129", "131"]
    assert client_ipcp["ipcp.opt.ip_address"] == client_ipcp["ipcp.opt.pri_dns_address"] == \
        client_ipcp["ipcp.opt.sec_dns_address"] == [socket.inet_ntoa(bytes(4))]
    for packet in (nak, again, ack):
        assert packet["ipcp.opt.ip_address"] == ["10.64.0.2"]
        assert packet["ipcp.opt.pri_dns_address"] == ["10.64.0.53"]
        assert packet["ipcp.opt.sec_dns_address"] == ["10.64.0.54"]

    ping, pong = packets[13:15]
    assert (ping["ip.src"], ping["ip.dst"]) == (["10.64.0.2"], ["10.64.0.53"])
    assert (pong["ip.src"], pong["ip.dst"]) == (["10.64.0.53"], ["10.64.0.2"])
    assert ping["icmp.checksum.status"] == ["1"]                      # the payload's 7e 7d 11 13 came through
    assert packets[15]["lcp.magic_number"] == ["0x11111111"] and packets[16]["lcp.magic_number"] == ["0x22222222"]
    assert bytes.fromhex(packets[17]["ppp.data"][0].replace(":", "")) == b"User request"


def test_tshark_decodes_pap(tmp_path):
    frames, _, _ = _session("pap")
    packets = _tshark(tmp_path, frames)
    for layers in packets:
        _clean(layers)
    assert packets[1]["lcp.opt.auth_protocol"] == ["0xc023"]
    request = next(p for p in packets if p.get("pap.code") == ["1"])
    assert request["pap.peer_id"] == ["user"] and request["pap.password"] == [SECRET]
    assert any(p.get("pap.code") == ["2"] for p in packets)


def test_tshark_reads_compressed_frames_with_a_zero_asyncmap(tmp_path):
    """After the peer asked for pcomp, accomp and asyncmap 0 (as real modems do), IPCP and IP go compressed."""
    c = PppEndpoint(PppConfig("client", magic=0x11111111), Clock())
    frames = _frames(c.start())
    request = encode_options([(2, bytes(4)), (5, bytes.fromhex("e2b18126")), (7, b""), (8, b"")])
    frames += _frames(c.receive(encode_frame(LCP, Packet(1, 3, request).encode())))
    frames += _frames(c.receive(encode_frame(LCP, Packet(2, 1, bytes.fromhex("020600000000050611111111")).encode())))
    for ident, kind in ((1, 1), (1, 3)):       # the peer's IPCP request, then a Nak of our address
        options = [(3, bytes([10, 0, 0, 1] if kind == 1 else [10, 0, 0, 9]))]
        frames += _frames(c.receive(encode_frame(IPCP, Packet(kind, ident, encode_options(options)).encode())))
    frames += _frames(c.receive(encode_frame(IPCP, Packet(2, 2, encode_options(
        [(3, bytes([10, 0, 0, 9])), (129, bytes(4)), (131, bytes(4))])).encode())))
    assert c.opened
    assert all(f[:3] == b"\x7e\x80\x21" for f in frames if b"\x80\x21" in f[:3])
    assert sum(f[:3] == b"\x7e\x80\x21" for f in frames) == 3           # IPCP without FF 03 already
    ip_frame = c.send_ip(_icmp_echo("10.0.0.9", "10.0.0.1"))
    assert ip_frame[:3] == b"\x7e\x21\x45"                              # neither FF 03 nor a 00 protocol octet
    frames += _frames(ip_frame)
    packets = _tshark(tmp_path, frames)
    for layers in packets:
        _clean(layers)
    assert [p["ppp.protocol"][0] for p in packets] == ["0xc021", "0xc021", "0x8021", "0x8021", "0x8021", "0x0021"]
    assert [p.get("ppp.code", ["-"])[0] for p in packets] == ["1", "2", "1", "2", "1", "-"]
    assert packets[4]["ipcp.opt.ip_address"] == ["10.0.0.9"]
    assert packets[-1]["ip.src"] == ["10.0.0.9"] and packets[-1]["icmp.checksum.status"] == ["1"]


def test_tshark_sees_a_damaged_fcs(tmp_path):
    """The check above is live: one flipped bit and tshark says the FCS is bad."""
    frame = bytearray(PppEndpoint(PppConfig("client", magic=0x11111111), Clock()).start())
    frame[-4] ^= 0x01
    (layers,) = _tshark(tmp_path, [bytes(frame)])
    assert layers["ppp.fcs.status"] == ["0"] and "Bad checksum" in " ".join(layers["_ws.expert"])
