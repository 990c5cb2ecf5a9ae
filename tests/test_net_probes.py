"""hilkit.net's wire formats and failure paths without a carrier network: DHCP messages as RFC 2131
lays them out, DNS answers with compressed names, and HTTP answers that end early, are reset, go
silent or are not HTTP at all (a server on the loopback interface, the client bound to ``lo``)."""
from __future__ import annotations

import os
import socket
import struct
import threading
from collections.abc import Callable

import pytest

from hilkit.core.errors import Category, category_of
from hilkit.net import dhcp_packet as dp
from hilkit.net import dns_query, probes
from hilkit.net.dhcp import _prefix
from hilkit.net.failures import LinkDropped, NetError, Unreachable

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="binding a socket to an interface needs CAP_NET_RAW")


def test_a_discover_is_laid_out_as_rfc_2131_says():
    mac = bytes.fromhex("020000abcdef")
    raw = dp.request(dp.DISCOVER, 0x1234ABCD, mac, hostname="slot1").encode()
    assert len(raw) >= 300 and raw[:4] == bytes([1, 1, 6, 0]) and raw[236:240] == dp.MAGIC
    assert struct.unpack("!IHH", raw[4:12]) == (0x1234ABCD, 0, dp.BROADCAST_FLAG)
    back = dp.decode(raw)
    assert back is not None and (back.kind, back.chaddr, back.name) == (dp.DISCOVER, mac, "DHCPDISCOVER")
    assert back.options[dp.CLIENT_ID] == b"\x01" + mac and back.options[dp.HOST_NAME] == b"slot1"
    assert set(back.options[dp.PARAMETER_LIST]) >= {dp.SUBNET_MASK, dp.ROUTER, dp.DNS_SERVERS, dp.LEASE_TIME}
    release = dp.decode(dp.request(dp.RELEASE, 1, mac, server="10.0.0.1", ciaddr="10.0.0.5").encode())
    assert release is not None and release.flags == 0 and release.ciaddr == "10.0.0.5"
    assert dp.PARAMETER_LIST not in release.options        # RFC 2131 table 5: not in a RELEASE


def test_an_ack_is_read_with_its_options_and_an_overloaded_file_field():
    mac = bytes.fromhex("020000000001")
    ack = dp.Message(dp.BOOTREPLY, 7, mac, dp.ACK, yiaddr="192.168.8.150", options={
        dp.SUBNET_MASK: socket.inet_aton("255.255.255.0"), dp.ROUTER: socket.inet_aton("192.168.8.1"),
        dp.DNS_SERVERS: socket.inet_aton("192.168.8.1") + socket.inet_aton("9.9.9.9"),
        dp.LEASE_TIME: struct.pack("!I", 86400), dp.OVERLOAD: b"\x01"})
    raw = bytearray(ack.encode())
    raw[108:115] = bytes([dp.SERVER_ID, 4, *socket.inet_aton("192.168.8.1"), dp.END])   # option 54 in 'file'
    back = dp.decode(bytes(raw))
    assert back is not None and back.yiaddr == "192.168.8.150" and _prefix(back) == 24
    assert back.addresses(dp.DNS_SERVERS) == ["192.168.8.1", "9.9.9.9"] and back.seconds(dp.LEASE_TIME) == 86400
    assert back.addresses(dp.SERVER_ID) == ["192.168.8.1"]
    assert dp.decode(b"\x02" * 100) is None and dp.decode(bytes(300)) is None


def test_a_dns_answer_with_compressed_names():
    ident = 0x4242
    asked = dns_query.query("connectivity.hilkit.test", ident)
    assert asked[12:] == b"\x0cconnectivity\x06hilkit\x04test\x00\x00\x01\x00\x01"
    answer = bytearray(asked)
    answer[2:4] = struct.pack("!H", 0x8180)
    answer[6:8] = struct.pack("!H", 2)
    cname = b"\x03cdn\xc0\x0c"   # a CNAME to cdn.<the question's name>, then its address
    answer += b"\xc0\x0c" + struct.pack("!HHIH", 5, 1, 60, len(cname)) + cname
    answer += b"\xc0" + bytes([len(asked)]) + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton("10.1.2.3")
    assert dns_query.parse(bytes(answer), ident) == (0, ["10.1.2.3"])
    assert dns_query.parse(bytes(answer), ident + 1) is None                 # another query's
    refused = bytearray(asked)
    refused[2:4] = struct.pack("!H", 0x8185)
    assert dns_query.parse(bytes(refused), ident) == (5, [])
    with pytest.raises(ValueError):
        dns_query.query("bad..name", 1)


def _serve(behaviour: Callable[[socket.socket], None]) -> tuple[int, threading.Thread, socket.socket]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def run() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(4096)
            try:
                behaviour(conn)
            except OSError:
                pass   # the client went away first: what some of these tests are about
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread, listener


@pytest.fixture
def server():
    """server(behaviour) -> the URL of a one-shot HTTP server on 127.0.0.1."""
    opened = []

    def start(behaviour: Callable[[socket.socket], None]) -> str:
        port, thread, listener = _serve(behaviour)
        opened.append((thread, listener))
        return f"http://127.0.0.1:{port}/x"
    yield start
    for thread, listener in opened:
        thread.join(5)
        listener.close()


HEAD = b"HTTP/1.0 200 OK\r\nContent-Length: 1000\r\n\r\n"


@needs_root
def test_a_body_cut_short_is_a_link_drop(server):
    url = server(lambda conn: conn.sendall(HEAD + bytes(10)))
    with pytest.raises(LinkDropped) as caught:
        probes.throughput(url, "lo", timeout=10)
    assert "closed the connection at 10 of 1000 body bytes" in str(caught.value)
    assert category_of(caught.value) is Category.LINK_DROPPED


@needs_root
def test_a_reset_is_a_link_drop(server):
    def reset(conn: socket.socket) -> None:
        conn.sendall(HEAD + bytes(10))
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    url = server(reset)
    with pytest.raises(LinkDropped):
        probes.throughput(url, "lo", timeout=10)


@needs_root
def test_silence_mid_body_is_a_link_drop_that_says_the_link_is_up(server):
    release = threading.Event()

    def stall(conn: socket.socket) -> None:
        conn.sendall(HEAD + bytes(10))
        release.wait(10)
    url = server(stall)
    try:
        with pytest.raises(LinkDropped, match=r"no data for 0.2 s \(the link still has its carrier\)"):
            probes.throughput(url, "lo", timeout=10, stall=0.2)
    finally:
        release.set()


@needs_root
def test_no_answer_and_not_http(server):
    release = threading.Event()
    url = server(lambda conn: release.wait(10))
    try:
        with pytest.raises(Unreachable) as caught:
            probes.http_get(url, "lo", timeout=0.2)
    finally:
        release.set()
    assert category_of(caught.value) is Category.NO_DATA_SESSION
    url = server(lambda conn: conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n\r\n"))
    with pytest.raises(NetError, match="not an HTTP answer"):
        probes.http_get(url, "lo", timeout=5)


@needs_root
def test_a_download_stops_at_its_byte_budget(server):
    url = server(lambda conn: conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 2000000\r\n\r\n" + bytes(2_000_000)))
    rate = probes.throughput(url, "lo", timeout=10, max_bytes=100_000)
    assert rate.received >= 100_000 and not rate.complete and rate.expected == 2_000_000


def test_a_name_is_never_resolved_by_the_hosts_resolver():
    with pytest.raises(ValueError, match="name a DNS server"):
        probes.http_get("http://example.org/", "lo")
    with pytest.raises(ValueError, match="only http://"):
        probes.http_get("https://192.0.2.1/", "lo")
