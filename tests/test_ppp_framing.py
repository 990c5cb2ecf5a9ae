"""RFC 1662 framing, the packet codecs and pppd-style log lines, against the RFC's properties, a published CRC
check value and real frames of pppd talking to a modem, sniffed on the serial line (fixtures/ppp/README.md)."""
from __future__ import annotations

import random
import re

import pytest

from hilkit.config.paths import PROJECT_ROOT
from hilkit.net.ppp import log_lines
from hilkit.net.ppp.framing import GOOD_FCS, Deframer, Frame, encode_frame, escape, fcs16, parse_frame
from hilkit.net.ppp.packets import (
    IPV4,
    LCP,
    MalformedPacket,
    decode_options,
    decode_packet,
    parse_chap_value,
    parse_pap_reply,
    parse_pap_request,
)

CAPTURE = PROJECT_ROOT / "fixtures" / "ppp" / "ppp2wireshark-main-c.txt"
PPPD_LOG = PROJECT_ROOT / "fixtures" / "ppp" / "ppp2wireshark-pppd-debug.log"


def _chunks(session: str, channel: int) -> list[bytes]:
    """The bytes one side put on the line in one session, one entry per read() of the sniffer, as they came."""
    rows = [line.split() for line in CAPTURE.read_text().splitlines() if not line.startswith("#")]
    return [bytes.fromhex(row[3]) for row in rows if row[0] == session and int(row[1]) == channel]


def _frames(session: str, channel: int) -> list[Frame]:
    deframer = Deframer()
    frames = [f for chunk in _chunks(session, channel) for f in deframer.feed(chunk)]
    assert deframer.bad_fcs == 0
    return frames


def _bitwise_fcs(data: bytes) -> int:
    """FCS-16 the slow way, one bit at a time (x**16 + x**12 + x**5 + 1, reflected): not the table's code."""
    fcs = 0xFFFF
    for byte in data:
        for bit in range(8):
            fcs = (fcs >> 1) ^ 0x8408 if (fcs ^ (byte >> bit)) & 1 else fcs >> 1
    return fcs


# -- FCS
def test_fcs_of_the_crc_catalogue_check_string():
    # CRC-16/IBM-SDLC (the PPP FCS, also called X-25): check value 0x906E for "123456789"
    assert fcs16(b"123456789") ^ 0xFFFF == 0x906E


def test_table_fcs_equals_the_bitwise_definition():
    rng = random.Random(1662)
    for length in range(0, 80):
        data = bytes(rng.randrange(256) for _ in range(length))
        assert fcs16(data) == _bitwise_fcs(data)


def test_data_with_its_complemented_fcs_gives_the_good_final_fcs():
    """RFC 1662 C.2: run over the data and its transmitted (complemented, LSB first) FCS, the FCS is 0xf0b8."""
    rng = random.Random(7)
    for length in (0, 1, 4, 60, 1500):
        data = bytes(rng.randrange(256) for _ in range(length))
        trailer = (fcs16(data) ^ 0xFFFF).to_bytes(2, "little")
        assert fcs16(data + trailer) == GOOD_FCS == 0xF0B8


# -- the real capture
def test_every_real_frame_passes_its_fcs_and_the_modems_text_is_noise():
    assert [decode_packet(f.payload).code for f in _frames("2019-03-21", 0)] == [1, 4]   # pppd: ConfReq, ConfRej
    assert [decode_packet(f.payload).code for f in _frames("2019-03-20", 1)] == [1, 2]   # modem: ConfReq, ConfAck
    deframer = Deframer()
    frames = [f for chunk in _chunks("2019-03-21", 1) for f in deframer.feed(chunk)]
    assert [(f.protocol, f.payload) for f in frames] == [(LCP, bytes.fromhex("06020004"))]   # the modem's TermAck
    assert deframer.take_noise() == b"\r\nCONNECT\r\n\r\nNO CARRIER\r\n"


def test_real_frames_in_one_byte_pieces_give_the_same_frames():
    """The modem's two frames, the second one split across two reads with the first's flag shared."""
    wire = b"".join(_chunks("2019-03-20", 1))
    whole = Deframer().feed(wire)
    deframer = Deframer()
    pieces = [f for i in range(len(wire)) for f in deframer.feed(wire[i:i + 1])]
    assert len(whole) == 2 and pieces == whole and deframer.bad_fcs == 0


def test_the_encoder_reproduces_the_bytes_pppd_sent():
    """Before LCP has agreed anything: FF 03, every control character escaped (asyncmap ffffffff)."""
    host = b"".join(_chunks("2019-03-21", 0))
    request = bytes.fromhex("0101001402060000000005060e791a5907020802")
    reject = bytes.fromhex("040000080304c023")
    assert encode_frame(LCP, request) + encode_frame(LCP, reject) == host


def test_log_lines_read_as_pppds_own_for_the_same_kind_of_packets():
    """pppd's debug log (fixtures/ppp) against our rendering of real frames of the same kinds: the same
    text but for the ids and magic numbers, which belong to each session."""
    def same(line: str) -> str:
        return re.sub(r"id=0x[0-9a-f]+|magic 0x[0-9a-f]+", lambda m: m.group(0).split("0x")[0] + "0x?", line)
    pppd = {same(line) for line in PPPD_LOG.read_text().splitlines() if line.startswith(("sent [", "rcvd ["))}
    ours = [f"sent {log_lines.describe(f.protocol, f.payload)}" for f in _frames("2019-03-21", 0)] + \
        [f"rcvd {log_lines.describe(f.protocol, f.payload)}" for f in _frames("2019-03-20", 1)] + \
        [f"rcvd {log_lines.describe(f.protocol, f.payload)}" for f in _frames("2019-03-21", 1)]
    assert ours[0] == "sent [LCP ConfReq id=0x1 <asyncmap 0x0> <magic 0xe791a59> <pcomp> <accomp>]"
    assert [same(line) in pppd for line in ours] == [True] * 5, [line for line in ours if same(line) not in pppd]


# -- the deframer's edges
def test_escaping_honours_the_accm():
    assert escape(b"\x7e\x7d\x11\x00\x41", accm=0) == b"\x7d\x5e\x7d\x5d\x11\x00\x41"
    assert escape(b"\x11\x13\x00", accm=0x000A0000) == b"\x7d\x31\x7d\x33\x00"
    assert escape(bytes(range(32))) == b"".join(bytes([0x7D, b ^ 0x20]) for b in range(32))


def test_frames_split_anywhere_and_flags_shared():
    one = encode_frame(IPV4, b"\x45\x7e\x7d\x00payload", accm=0)
    two = encode_frame(LCP, bytes.fromhex("0902000800000001"))
    wire = one + two[1:] + one          # shared flag, then a full one
    rng = random.Random(3)
    for _ in range(50):
        deframer = Deframer()
        cuts = sorted(rng.sample(range(1, len(wire)), 5))
        got = [f for a, b in zip([0, *cuts], [*cuts, len(wire)], strict=True) for f in deframer.feed(wire[a:b])]
        assert [(f.protocol, f.payload) for f in got] == [(IPV4, b"\x45\x7e\x7d\x00payload"),
                                                          (LCP, bytes.fromhex("0902000800000001")),
                                                          (IPV4, b"\x45\x7e\x7d\x00payload")]
        assert deframer.bad_fcs == 0


def test_a_bad_fcs_is_dropped_and_counted_and_the_next_frame_survives():
    good = encode_frame(LCP, bytes.fromhex("0901000800000001"))
    bad = bytearray(good)
    bad[-3] ^= 0x01
    deframer = Deframer()
    got = deframer.feed(bytes(bad) + good)
    assert len(got) == 1 and got[0].protocol == LCP
    assert deframer.bad_fcs == 1 and deframer.take_noise() == b""


def test_text_around_and_between_frames_is_noise():
    frame = encode_frame(LCP, bytes.fromhex("0901000800000001"))
    deframer = Deframer()
    got = deframer.feed(b"\r\nCONNECT 150000000\r\n" + frame + b"\r\nNO CARRIER\r\n")
    assert len(got) == 1
    assert deframer.take_noise() == b"\r\nCONNECT 150000000\r\n\r\nNO CARRIER\r\n"
    assert deframer.take_noise() == b""
    got = deframer.feed(b"AT+CGATT?\r" + frame)      # an AT command from the host right after a frame
    assert len(got) == 1 and deframer.take_noise() == b"AT+CGATT?\r" and deframer.bad_fcs == 0


def test_parse_frame_accepts_both_header_forms_and_refuses_nonsense():
    for acfc in (False, True):
        for pfc in (False, True):
            wire = encode_frame(IPV4, b"\x45data", accm=0, acfc=acfc, pfc=pfc)
            assert Deframer().feed(wire) == [parse_frame(wire[1:-1])]
            assert parse_frame(wire[1:-1]).protocol == IPV4
    assert parse_frame(b"\xff\x03") is None
    body = b"\xff\x03\xc0\x20\x01"                  # an even low protocol octet is not a protocol
    assert parse_frame(body + (fcs16(body) ^ 0xFFFF).to_bytes(2, "little")) is None


# -- packet codecs never fail with anything but MalformedPacket
@pytest.mark.parametrize("decode", [decode_packet, decode_options, parse_pap_request, parse_pap_reply,
                                    parse_chap_value])
def test_malformed_input_raises_a_clear_error(decode):
    valid = {decode_packet: bytes.fromhex("0101000c0506a1b2c3d40702"),
             decode_options: bytes.fromhex("0506a1b2c3d40305c22305"), parse_pap_request: b"\x04user\x06secret",
             parse_pap_reply: b"\x08Login ok", parse_chap_value: b"\x04abcdname"}[decode]
    decode(valid)
    rng = random.Random(1994)
    samples = [valid[:n] for n in range(len(valid))] + [bytes(rng.randrange(256) for _ in range(rng.randrange(12)))
                                                        for _ in range(300)]
    for sample in samples:
        try:
            decode(sample)
        except MalformedPacket as error:
            assert str(error)


def test_decode_packet_says_what_is_wrong():
    with pytest.raises(MalformedPacket, match="length field 40 does not fit the 8 octets"):
        decode_packet(bytes.fromhex("0101002800000000"))
    with pytest.raises(MalformedPacket, match="option 5 at offset 0 claims 6 octets, 3 remain"):
        decode_options(bytes.fromhex("0506a1"))
    assert decode_packet(bytes.fromhex("0a01000800000001ffff")).data == bytes.fromhex("00000001")   # padding
