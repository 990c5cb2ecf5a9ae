"""PppEndpoint in both roles: client against server, and each against hand-made frames of a peer that behaves
otherwise (Naks, Rejects, silence, lost and damaged frames, echo, termination, protocol rejects). A fake clock
drives every timer; nothing sleeps."""
from __future__ import annotations

import hashlib

import pytest

from hilkit.config.paths import PROJECT_ROOT
from hilkit.net.ppp import PppConfig, PppEndpoint
from hilkit.net.ppp.framing import Deframer, Frame, encode_frame
from hilkit.net.ppp.packets import (
    CHAP,
    IPCP,
    IPV4,
    LCP,
    PAP,
    Packet,
    decode_options,
    decode_packet,
    encode_options,
)

SECRET = "hunter2-very-secret"
CAPTURE = PROJECT_ROOT / "fixtures" / "ppp" / "ppp2wireshark-main-c.txt"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def client(clock: Clock, **kwargs) -> PppEndpoint:
    kwargs.setdefault("username", "user")
    kwargs.setdefault("password", SECRET)
    return PppEndpoint(PppConfig("client", magic=0x11111111, **kwargs), clock)


def server(clock: Clock, **kwargs) -> PppEndpoint:
    kwargs.setdefault("local_address", "10.64.0.1")
    kwargs.setdefault("peer_address", "10.64.0.2")
    kwargs.setdefault("dns", ("10.64.0.53", "10.64.0.54"))
    return PppEndpoint(PppConfig("server", magic=0x22222222, **kwargs), clock)


def frames(wire: bytes) -> list[Frame]:
    return Deframer().feed(wire)


def packets(wire: bytes, protocol: int) -> list[Packet]:
    return [decode_packet(f.payload) for f in frames(wire) if f.protocol == protocol]


def lcp(code: int, ident: int, data: bytes = b"") -> bytes:
    return encode_frame(LCP, Packet(code, ident, data).encode())


def pump(a: PppEndpoint, b: PppEndpoint, a_out: bytes, b_out: bytes, *, rounds: int = 40,
         chunk: int = 0, wire: list[bytes] | None = None) -> None:
    """Carry bytes both ways until both fall silent; ``chunk`` > 0 hands them over that many at a time."""
    for _ in range(rounds):
        if not a_out and not b_out:
            return
        if wire is not None:
            wire += [a_out, b_out]
        to_a, to_b = b_out, a_out
        pieces = lambda data: [data[i:i + chunk] for i in range(0, len(data), chunk)] if chunk else [data]  # noqa: E731
        a_out = b"".join(a.receive(p) for p in pieces(to_a) if p)
        b_out = b"".join(b.receive(p) for p in pieces(to_b) if p)
    raise AssertionError("the two endpoints kept talking")


def connected(clock: Clock, chunk: int = 0, **server_kwargs) -> tuple[PppEndpoint, PppEndpoint]:
    c, s = client(clock), server(clock, **server_kwargs)
    pump(c, s, c.start(), s.start(), chunk=chunk)
    return c, s


# -- client against server
@pytest.mark.parametrize("auth", ["", "pap", "chap"])
def test_client_and_server_come_up_with_addresses_and_dns(auth):
    clock = Clock()
    c, s = connected(clock, require_auth=auth)
    assert c.opened and s.opened and not c.closed and not c.failure and not s.failure
    assert (c.local_address, c.peer_address, c.dns) == ("10.64.0.2", "10.64.0.1", ("10.64.0.53", "10.64.0.54"))
    assert (s.local_address, s.peer_address) == ("10.64.0.1", "10.64.0.2")
    assert s.auth_peer == ("user" if auth else "")
    assert c.next_timeout() is None and s.next_timeout() is None
    assert "rcvd [IPCP ConfNak id=0x1 <addr 10.64.0.2> <ms-dns1 10.64.0.53> <ms-dns3 10.64.0.54>]" in c.log
    assert c.log[0] == "sent [LCP ConfReq id=0x1 <asyncmap 0x0> <magic 0x11111111>]"
    if auth == "chap":
        assert "rcvd [LCP ConfReq id=0x1 <asyncmap 0x0> <auth chap MD5> <magic 0x22222222>]" in c.log
        assert "CHAP authentication succeeded" in c.log
    if auth == "pap":
        assert 'sent [PAP AuthReq id=0x1 user="user" password=<hidden>]' in c.log


def test_ip_flows_both_ways_once_opened():
    clock = Clock()
    c, s = connected(clock)
    packet = bytes.fromhex("4500001c0001000040010000") + bytes([10, 64, 0, 2, 8, 8, 8, 8]) + bytes(8)
    assert s.receive(c.send_ip(packet)) == b""
    assert s.take_ip() == [packet] and s.take_ip() == []
    answer = packet[:12] + packet[16:20] + packet[12:16] + packet[20:]   # back from 8.8.8.8
    c.receive(s.send_ip(answer))
    assert c.take_ip() == [answer]


def test_only_ipv4_within_the_peers_mru_is_framed():
    """IPCP carries IPv4: the host's IPv6 (router solicitations on the tun) must not go out as 0x0021;
    a packet over the peer's MRU would be dropped by the modem, so it is not sent."""
    clock = Clock()
    c, _ = connected(clock)
    ipv6 = bytes.fromhex("6000000000083aff") + bytes(32) + bytes(8)
    big = bytes.fromhex("45") + bytes(c.peer_mru)
    assert c.send_ip(ipv6) == b"" and c.send_ip(big) == b"" and c.send_ip(b"") == b""
    assert c.dropped_out == 3
    assert c.send_ip(bytes.fromhex("45") + bytes(c.peer_mru - 1)) != b""


def test_negotiation_in_one_byte_pieces():
    clock = Clock()
    c, s = connected(clock, chunk=1, require_auth="chap")
    assert c.opened and s.opened and c.bad_fcs == s.bad_fcs == 0


def test_chap_response_is_md5_of_identifier_secret_challenge():
    clock = Clock()
    c, s = client(clock), server(clock, require_auth="chap")
    wire: list[bytes] = []
    pump(c, s, c.start(), s.start(), wire=wire)
    challenge = next(p for w in wire[1::2] for p in packets(w, CHAP) if p.code == 1)
    response = next(p for w in wire[0::2] for p in packets(w, CHAP) if p.code == 2)
    value = challenge.data[1:1 + challenge.data[0]]
    expected = hashlib.md5(bytes([challenge.ident]) + SECRET.encode() + value, usedforsecurity=False).digest()   # RFC 1994 4.1
    assert response.ident == challenge.ident
    assert response.data == bytes([16]) + expected + b"user"


def test_server_without_dns_rejects_the_dns_options_and_client_drops_them():
    clock = Clock()
    c, s = connected(clock, dns=())
    assert c.opened and c.dns == ()
    assert "rcvd [IPCP ConfRej id=0x1 <ms-dns1 0.0.0.0> <ms-dns3 0.0.0.0>]" in c.log
    assert "sent [IPCP ConfReq id=0x2 <addr 0.0.0.0>]" in c.log


@pytest.mark.parametrize("named", ["", "0.0.0.0"])   # noqa: S104 - an address a modem may send, not a bind
def test_server_that_names_no_address_is_10_64_64_64_as_in_pppd(named):
    """No IP-Address of its own, or 0.0.0.0 (no route could go via that): pppd's stand-in."""
    clock = Clock()
    c, s = connected(clock, local_address=named)
    assert c.opened and c.peer_address == "10.64.64.64" and c.local_address == "10.64.0.2"


def test_server_that_assigns_nothing_fails_the_client():
    clock = Clock()
    c, s = client(clock), server(clock, peer_address="")
    to_s, to_c = c.start(), s.start()
    while not c.failure:
        to_s, to_c = c.receive(to_c), s.receive(to_s)
    assert not c.opened and not c.closed and c.send_ip(b"\x45") == b""     # failed: no IP while it says goodbye
    pump(c, s, to_s, to_c)
    assert c.failure == "IPCP: the peer gave no address"
    assert c.closed and not c.opened and s.closed


# -- timers
def test_a_lost_configure_request_is_sent_again_after_the_restart_interval():
    clock = Clock()
    c, s = client(clock), server(clock)
    c.start()                                   # lost on the line
    s_first = s.start()
    c_answer = c.receive(s_first)
    assert c.next_timeout() == pytest.approx(3.0)
    clock.now += 2.9
    assert c.poll() == b""
    clock.now += 0.1
    again = c.poll()
    assert [p.ident for p in packets(again, LCP)] == [1]   # a retransmission keeps its id, as pppd's does
    assert c.log.count("sent [LCP ConfReq id=0x1 <asyncmap 0x0> <magic 0x11111111>]") == 2
    pump(c, s, again, s.receive(c_answer))
    assert c.opened and s.opened


def test_an_answer_to_the_first_copy_arriving_after_the_retransmission_counts():
    """A modem slower than the restart timer: its Ack of the first Configure-Request comes after the
    second was sent, and still opens LCP (a new id per copy would drop every late Ack for ever)."""
    clock = Clock()
    c, s = client(clock), server(clock)
    first = c.start()
    clock.now += 3.0
    c.poll()                                     # the copy goes out (and is lost); the modem is busy with the first
    s_request = s.start()
    late = s.receive(first)                      # its Ack of the first copy
    assert [p.code for p in packets(late, LCP)] == [2]
    pump(c, s, c.receive(s_request + late), b"")
    assert c.lcp.opened and s.lcp.opened


def test_no_answer_gives_up_after_max_configure_requests():
    clock = Clock()
    c = client(clock)
    sent = [c.start()]
    while not c.closed:
        clock.now += c.next_timeout()
        sent.append(c.poll())
    requests = [p for wire in sent for p in packets(wire, LCP)]
    assert [p.ident for p in requests] == [1] * 10
    assert c.failure == "LCP: no answer to 10 Configure-Requests (3.0 s apart)"
    assert clock.now == pytest.approx(1030.0) and c.next_timeout() is None


def test_a_frame_with_a_bad_fcs_is_dropped_and_the_retransmission_recovers():
    clock = Clock()
    c, s = client(clock), server(clock)
    first = bytearray(c.start())
    first[8] ^= 0x40
    s_out = s.start()
    assert s.receive(bytes(first)) == b"" and s.bad_fcs == 1
    c_out = c.receive(s_out)
    clock.now += 3
    pump(c, s, c_out + c.poll(), b"")
    assert c.opened and s.opened


def test_unanswered_terminate_request_is_repeated_then_the_link_is_closed():
    clock = Clock()
    c, s = connected(clock)
    assert len(packets(c.close(), LCP)) == 1
    clock.now += 3
    assert [p.code for p in packets(c.poll(), LCP)] == [5]
    assert not c.closed
    clock.now += 3
    assert c.poll() == b"" and c.closed and not c.failure


def test_pap_request_repeated_then_given_up():
    clock = Clock()
    c = client(clock, restart_interval=1.0, max_configure=3)
    c.start()
    auth = bytes.fromhex("0304c023")
    c.receive(lcp(1, 7, bytes.fromhex("0506abcdef01") + auth) + lcp(2, 1, bytes.fromhex("020600000000050611111111")))
    for _ in range(3):
        clock.now += 1
        c.poll()
    assert c.failure == "PAP: no answer to 3 Authenticate-Requests (1.0 s apart)"
    assert sum(line.startswith("sent [PAP AuthReq") for line in c.log) == 3


# -- against a scripted peer
def _opened_lcp(c: PppEndpoint, request: bytes) -> bytes:
    """The client after the peer's LCP Configure-Request ``request`` (options) and an Ack of the client's."""
    c.start()
    out = c.receive(lcp(1, 1, request))
    return out + c.receive(lcp(2, 1, bytes.fromhex("020600000000050611111111")))


def test_client_naks_ms_chap_with_chap_md5_and_rejects_unknown_options():
    c = client(Clock())
    c.start()
    answer = packets(c.receive(lcp(1, 5, bytes.fromhex("0305c22381") + bytes.fromhex("0506abcdef01"))), LCP)
    assert (answer[0].code, answer[0].ident, answer[0].data) == (3, 5, bytes.fromhex("0305c22305"))
    answer = packets(c.receive(lcp(1, 6, bytes.fromhex("0d0306") + bytes.fromhex("0506abcdef01"))), LCP)
    assert (answer[0].code, answer[0].data) == (4, bytes.fromhex("0d0306"))
    assert "sent [LCP ConfRej id=0x6 < 0d 03 06>]" in c.log


def test_client_acks_a_real_modems_configure_request():
    """The LCP Configure-Request of the modem in fixtures/ppp (asyncmap, auth pap, magic, pcomp, accomp)."""
    rows = [line.split() for line in CAPTURE.read_text().splitlines() if line.startswith("2019-03-20 1 ")]
    modem = Deframer().feed(b"".join(bytes.fromhex(r[3]) for r in rows))
    request = decode_packet(modem[0].payload)
    c = client(Clock())
    c.start()
    answer = packets(c.receive(encode_frame(LCP, modem[0].payload)), LCP)
    assert (answer[0].code, answer[0].ident, answer[0].data) == (2, request.ident, request.data)
    assert [kind for kind, _ in decode_options(request.data)] == [2, 3, 5, 7, 8]


def test_peer_accm_pfc_and_acfc_shape_what_the_client_sends():
    c = client(Clock())
    out = _opened_lcp(c, bytes.fromhex("0206000a0000") + bytes.fromhex("0506abcdef01") + b"\x07\x02\x08\x02")
    ipcp = [f for f in Deframer().feed(out) if f.protocol == IPCP]
    assert ipcp, "IPCP starts once LCP is up without authentication"
    assert out[out.index(b"\x80\x21") - 1] == 0x7E          # no FF 03, a two-octet protocol (IPCP is not < 0x100)
    c.receive(encode_frame(IPCP, Packet(1, 1, encode_options([(3, bytes([10, 0, 0, 1]))])).encode()))
    c.receive(encode_frame(IPCP, Packet(2, 1, encode_options([(3, bytes(4)), (129, bytes(4)), (131, bytes(4))]))
                           .encode()))
    assert c.failure == "IPCP: the peer gave no address"
    c = client(Clock())
    _opened_lcp(c, bytes.fromhex("0206000a0000") + b"\x07\x02\x08\x02")
    c.receive(encode_frame(IPCP, Packet(1, 1, encode_options([(3, bytes([10, 0, 0, 1]))])).encode()))
    c.receive(encode_frame(IPCP, Packet(3, 1, encode_options([(3, bytes([10, 0, 0, 7]))])).encode()))
    c.receive(encode_frame(IPCP, Packet(2, 2, encode_options([(3, bytes([10, 0, 0, 7])), (129, bytes(4)),
                                                             (131, bytes(4))])).encode()))
    assert c.opened and c.local_address == "10.0.0.7" and c.dns == ()
    wire = c.send_ip(b"\x45\x11\x13\x00")
    assert wire.startswith(b"\x7e\x21\x45\x7d\x31\x7d\x33\x00")    # pcomp, no FF 03, 0x11/0x13 escaped


def test_client_rejects_ip_compression_and_acks_the_address():
    c = client(Clock())
    out = _opened_lcp(c, bytes.fromhex("0506abcdef01"))
    assert out
    answer = packets(c.receive(encode_frame(IPCP, Packet(1, 9, bytes.fromhex("0206002d0f01030 60a000001".replace(" ", "")))
                                            .encode())), IPCP)
    assert (answer[0].code, answer[0].data) == (4, bytes.fromhex("0206002d0f01"))
    assert "sent [IPCP ConfRej id=0x9 <compress VJ 0f 01>]" in c.log


def test_chap_failure_is_the_failure_with_the_peers_message_and_no_secret_anywhere():
    c = client(Clock())
    c.start()
    c.receive(lcp(1, 1, bytes.fromhex("0305c22305")) + lcp(2, 1, bytes.fromhex("020600000000050611111111")))
    c.receive(encode_frame(CHAP, Packet(1, 0x42, b"\x04abcdmodem").encode()))
    out = c.receive(encode_frame(CHAP, Packet(4, 0x42, b"Authentication failed").encode()))
    assert c.failure == "CHAP: the peer refused the authentication: Authentication failed"
    assert [p.code for p in packets(out, LCP)] == [5]      # Terminate-Request
    assert 'rcvd [CHAP Challenge id=0x42 <61626364>, name = "modem"]' in c.log


def test_pap_nak_is_the_failure():
    c = client(Clock(), password="")
    c.start()
    c.receive(lcp(1, 1, bytes.fromhex("0304c023")) + lcp(2, 1, bytes.fromhex("020600000000050611111111")))
    c.receive(encode_frame(PAP, Packet(3, 1, b"\x0dBad password!").encode()))
    assert c.failure == "PAP: the peer refused the authentication: Bad password!"


def test_the_password_never_shows():
    clock = Clock()
    for auth in ("pap", "chap"):
        c, s = connected(clock, require_auth=auth)
        c.receive(encode_frame(CHAP, Packet(4, 1, f"wrong secret {SECRET}".encode()).encode()))
        text = "\n".join(c.log) + repr(c) + repr(c.config) + c.failure + str(c.config)
        assert SECRET not in text and SECRET not in "\n".join(s.log) + repr(s)
    bad = client(clock)
    bad.start()
    bad.receive(lcp(1, 1, bytes.fromhex("0305c22305")) + lcp(2, 1, bytes.fromhex("020600000000050611111111")))
    bad.receive(encode_frame(CHAP, Packet(1, 1, b"\x01xmodem").encode()))
    bad.receive(encode_frame(CHAP, Packet(4, 1, f"no: {SECRET}".encode()).encode()))
    assert bad.failure.startswith("CHAP: the peer refused") and SECRET not in bad.failure + "\n".join(bad.log)


def test_server_fails_when_the_client_rejects_authentication():
    s = server(Clock(), require_auth="chap")
    s.start()
    out = s.receive(lcp(4, 1, bytes.fromhex("0305c22305")))
    assert s.failure == "LCP: the peer refused to authenticate"
    assert [p.code for p in packets(out, LCP)][-1] == 5


def test_server_switches_to_pap_when_the_client_naks_chap_for_it():
    clock = Clock()
    s = server(clock, require_auth="chap")
    s.start()
    out = s.receive(lcp(3, 1, bytes.fromhex("0304c023")))
    assert "sent [LCP ConfReq id=0x2 <asyncmap 0x0> <auth pap> <magic 0x22222222>]" in s.log
    assert out


# -- LCP's other packets, termination, protocol rejects
def test_echo_request_is_answered_with_our_magic_and_echo_replies_are_counted():
    clock = Clock()
    c, s = connected(clock)
    reply = packets(c.receive(lcp(9, 0x33, bytes.fromhex("22222222") + b"ping")), LCP)
    assert (reply[0].code, reply[0].ident, reply[0].data) == (10, 0x33, bytes.fromhex("11111111") + b"ping")
    c.receive(s.receive(c.echo_request()))
    assert c.echo_replies == 1
    assert c.receive(lcp(11, 1, bytes.fromhex("22222222"))) == b""            # Discard-Request: nothing
    assert "rcvd [LCP EchoReq id=0x33 magic=0x22222222 70 69 6e 67]" in c.log


def test_a_zero_magic_is_nakd_and_a_rejected_magic_makes_our_echoes_carry_zero():
    """RFC 1661 6.4: a Magic-Number of zero MUST be Nak'd; 5.8: without one negotiated, Echo carries zero."""
    c = client(Clock())
    c.start()
    answer = packets(c.receive(lcp(1, 4, bytes.fromhex("020600000000") + bytes.fromhex("050600000000"))), LCP)
    assert answer[0].code == 3 and answer[0].data[:2] == bytes.fromhex("0506") and answer[0].data[2:] != bytes(4)
    c = client(Clock())
    c.start()
    c.receive(lcp(4, 1, bytes.fromhex("050611111111")))           # the peer rejects our magic number
    c.receive(lcp(2, 2, bytes.fromhex("020600000000")))           # and acks the request without it
    c.receive(lcp(1, 1, bytes.fromhex("020600000000")))           # its own request, no magic either
    assert c.lcp.opened
    reply = packets(c.receive(lcp(9, 7, bytes(4) + b"ping")), LCP)
    assert (reply[0].code, reply[0].data) == (10, bytes(4) + b"ping")


def test_client_close_terminates_both_sides_cleanly():
    clock = Clock()
    c, s = connected(clock)
    pump(c, s, c.close(), b"")
    assert c.closed and s.closed and not c.opened and not s.opened
    assert c.failure == "" and s.failure == ""
    assert 'sent [LCP TermReq id=0x2 "User request"]' in c.log
    assert "LCP terminated by peer (User request)" in s.log
    assert c.send_ip(b"\x45") == b"" and c.close() == b""


def test_server_close_terminates_the_client():
    clock = Clock()
    c, s = connected(clock)
    pump(s, c, s.close(), b"")
    assert c.closed and s.closed and not c.failure


def test_termination_before_ipcp_opens_is_a_failure():
    c = client(Clock())
    c.start()
    c.receive(lcp(1, 1, bytes.fromhex("0305c22305")) + lcp(2, 1, bytes.fromhex("020600000000050611111111")))
    out = c.receive(lcp(5, 9, b"no subscription"))
    assert [(p.code, p.ident) for p in packets(out, LCP)] == [(6, 9)]
    assert c.closed and c.failure == "LCP: the peer terminated the link before IPCP opened: no subscription"


def test_unknown_protocols_get_a_protocol_reject_and_unknown_codes_a_code_reject():
    clock = Clock()
    c, s = connected(clock)
    ipv6cp = Packet(1, 1, bytes.fromhex("010a0123456789abcdef")).encode()
    reply = packets(s.receive(encode_frame(0x8057, ipv6cp)), LCP)
    assert (reply[0].code, reply[0].data) == (8, bytes.fromhex("8057") + ipv6cp)
    odd = Packet(0x20, 4, b"??").encode()
    reply = packets(s.receive(lcp(0x20, 4, b"??")), LCP)
    assert (reply[0].code, reply[0].data) == (7, odd)
    assert s.opened


def test_a_protocol_reject_of_ipcp_fails_the_client():
    c = client(Clock())
    _opened_lcp(c, bytes.fromhex("0506abcdef01"))
    out = c.receive(lcp(8, 3, bytes.fromhex("8021") + bytes.fromhex("0101000a030600000000")))
    assert c.failure == "IPCP: the peer rejected the protocol (LCP Protocol-Reject)"
    assert [p.code for p in packets(out, LCP)] == [5]


def test_ip_before_ipcp_opened_is_dropped_and_counted():
    c = client(Clock())
    c.start()
    assert c.send_ip(b"\x45" + bytes(19)) == b""
    c.receive(encode_frame(IPV4, b"\x45" + bytes(19), acfc=True, pfc=True))
    assert c.take_ip() == [] and c.dropped_ip == 1


def test_noise_is_collected_and_damaged_packets_do_not_break_the_endpoint():
    clock = Clock()
    c, s = client(clock), server(clock)
    c.start()
    s_out = s.start()
    c.receive(b"\r\nCONNECT 150000000\r\n" + s_out)
    assert c.take_noise() == b"\r\nCONNECT 150000000\r\n" and c.take_noise() == b""
    c.receive(encode_frame(LCP, bytes.fromhex("01050030")))          # length past the end
    c.receive(encode_frame(LCP, bytes.fromhex("010600080503")))      # an option running past its packet
    assert any(line.startswith("discarded: ") for line in c.log)
    c.receive(b"\r\nNO CARRIER\r\n")
    assert c.take_noise() == b"\r\nNO CARRIER\r\n"


def test_config_is_checked():
    with pytest.raises(ValueError, match="role"):
        PppConfig("modem")
    with pytest.raises(ValueError, match="require_auth"):
        PppConfig("server", require_auth="eap")
