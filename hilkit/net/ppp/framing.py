"""RFC 1662 asynchronous HDLC-like framing: flag 0x7E, control escape 0x7D (next octet xor 0x20), the
Async-Control-Character-Map, FCS-16 and the address/control/protocol header with its two compressions.

:class:`Deframer` is a streaming reader: frames may arrive split across any chunks; frames with a bad FCS are
dropped and counted; bytes outside frames (``CONNECT``/``NO CARRIER`` text, echoed AT commands) are kept as noise."""
from __future__ import annotations

from dataclasses import dataclass

FLAG, ESCAPE, XOR = 0x7E, 0x7D, 0x20
ADDRESS, CONTROL = 0xFF, 0x03
DEFAULT_ACCM = 0xFFFFFFFF          # until LCP says otherwise every control character is escaped
INITIAL_FCS, GOOD_FCS = 0xFFFF, 0xF0B8
MAX_FRAME = 65536 + 8              # longer runs without a flag are line garbage, not a frame


def _fcs_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        value = byte
        for _ in range(8):
            value = (value >> 1) ^ 0x8408 if value & 1 else value >> 1
        table.append(value)
    return tuple(table)


FCS_TABLE = _fcs_table()


def fcs16(data: bytes, fcs: int = INITIAL_FCS) -> int:
    """RFC 1662's table-driven FCS-16 (C.2): over data and its own complemented FCS the result is GOOD_FCS."""
    for byte in data:
        fcs = (fcs >> 8) ^ FCS_TABLE[(fcs ^ byte) & 0xFF]
    return fcs


def escape(data: bytes, accm: int = DEFAULT_ACCM) -> bytes:
    out = bytearray()
    for byte in data:
        if byte in (FLAG, ESCAPE) or (byte < 0x20 and accm >> byte & 1):
            out += bytes([ESCAPE, byte ^ XOR])
        else:
            out.append(byte)
    return bytes(out)


def encode_frame(protocol: int, payload: bytes, *, accm: int = DEFAULT_ACCM, acfc: bool = False,
                 pfc: bool = False) -> bytes:
    """One frame, flags on both sides. ``acfc``/``pfc``: leave out FF 03 / the protocol's zero high octet."""
    header = b"" if acfc else bytes([ADDRESS, CONTROL])
    header += bytes([protocol]) if pfc and protocol < 0x100 else protocol.to_bytes(2, "big")
    body = header + payload
    fcs = fcs16(body) ^ 0xFFFF
    return bytes([FLAG]) + escape(body + fcs.to_bytes(2, "little"), accm) + bytes([FLAG])


@dataclass(frozen=True)
class Frame:
    protocol: int
    payload: bytes


def parse_frame(body: bytes) -> Frame | None:
    """A frame's unescaped octets between flags (FCS included) as a :class:`Frame`; None when malformed."""
    if len(body) < 4 or fcs16(body) != GOOD_FCS:
        return None
    data = body[:-2]
    if data[:2] == bytes([ADDRESS, CONTROL]):
        data = data[2:]
    if not data:
        return None
    if data[0] & 1:                           # compressed protocol field: one odd octet
        return Frame(data[0], data[1:])
    if len(data) < 2 or not data[1] & 1:      # a protocol's low octet is odd, its high octet even
        return None
    return Frame(data[0] << 8 | data[1], data[2:])


def _looks_like_text(raw: bytes) -> bool:
    return all(32 <= b < 127 or b in b"\r\n" for b in raw)


class Deframer:
    """Feed it line bytes in any chunking; it returns the complete, good frames.

    Text from the modem or AT commands is recognised by how it starts (CR, LF or ``AT``, which no frame header
    does) and goes to :attr:`noise` straight away; a flagged run that fails its FCS but is plain text counts as
    noise too, anything else as :attr:`bad_fcs`."""

    def __init__(self) -> None:
        self.bad_fcs = 0
        self.frames = 0
        self.noise = bytearray()
        self._body = bytearray()
        self._raw = bytearray()          # the run as it came over the line, for noise
        self._escaped = False
        self._hunting = True             # before the first flag, or inside text: everything is noise

    def feed(self, data: bytes) -> list[Frame]:
        frames = []
        for byte in data:
            if byte == FLAG:
                frame = self._end_run()
                if frame is not None:
                    frames.append(frame)
                continue
            if self._hunting:
                self.noise.append(byte)
                continue
            self._raw.append(byte)
            if self._is_text_start():
                self.noise += self._raw
                self._reset(hunting=True)
                continue
            if byte == ESCAPE:
                self._escaped = True
            elif self._escaped:
                self._body.append(byte ^ XOR)
                self._escaped = False
            else:
                self._body.append(byte)
            if len(self._body) > MAX_FRAME:
                self.bad_fcs += 1
                self._reset(hunting=True)
        return frames

    def take_noise(self) -> bytes:
        noise = bytes(self.noise)
        self.noise.clear()
        return noise

    def _is_text_start(self) -> bool:
        raw = self._raw
        return bytes(raw[:1]) in (b"\r", b"\n") or (len(raw) == 2 and bytes(raw).upper() == b"AT")

    def _end_run(self) -> Frame | None:
        raw, body = bytes(self._raw), bytes(self._body)
        self._reset(hunting=False)
        if not raw:
            return None
        frame = parse_frame(body)
        if frame is not None:
            self.frames += 1
        elif _looks_like_text(raw):
            self.noise += raw
        else:
            self.bad_fcs += 1
        return frame

    def _reset(self, *, hunting: bool) -> None:
        self._body.clear()
        self._raw.clear()
        self._escaped = False
        self._hunting = hunting
