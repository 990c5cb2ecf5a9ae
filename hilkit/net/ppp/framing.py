"""RFC 1662 asynchronous HDLC-like framing: flag 0x7E, control escape 0x7D (next octet xor 0x20), the
Async-Control-Character-Map, FCS-16 and the address/control/protocol header with its two compressions.

:class:`Deframer` is a streaming reader: frames may arrive split across any chunks; frames with a bad FCS are
dropped and counted; bytes outside frames (``CONNECT``/``NO CARRIER`` text, echoed AT commands) are kept as noise."""
from __future__ import annotations

import binascii
from dataclasses import dataclass

FLAG, ESCAPE, XOR = 0x7E, 0x7D, 0x20
ADDRESS, CONTROL = 0xFF, 0x03
DEFAULT_ACCM = 0xFFFFFFFF          # until LCP says otherwise every control character is escaped
INITIAL_FCS, GOOD_FCS = 0xFFFF, 0xF0B8
MAX_FRAME = 65536 + 8              # longer runs without a flag are line garbage, not a frame


#: each octet with its bits in reverse order, and the same for 16-bit values
_REVERSED = bytes(int(f"{byte:08b}"[::-1], 2) for byte in range(256))


def _reversed16(value: int) -> int:
    return _REVERSED[value & 0xFF] << 8 | _REVERSED[value >> 8]


def fcs16(data: bytes, fcs: int = INITIAL_FCS) -> int:
    """RFC 1662's FCS-16 (C.2): over data and its own complemented FCS the result is GOOD_FCS.

    The FCS is the bit-reflected CRC-CCITT, so the C one in :func:`binascii.crc_hqx` computes it over the
    bit-reversed data (a table-driven loop in Python costs 15 times as much per octet, and a dial-up session
    frames every octet it carries); tests hold it against the bitwise definition and published values."""
    return _reversed16(binascii.crc_hqx(data.translate(_REVERSED), _reversed16(fcs)))


def escape(data: bytes, accm: int = DEFAULT_ACCM) -> bytes:
    """Flag, escape and the control characters the ACCM names, each as 7D and the octet xor 0x20. The escape
    octet goes first: the other replacements bring in escape octets of their own."""
    out = data.replace(b"\x7d", b"\x7d\x5d").replace(b"\x7e", b"\x7d\x5e")
    for byte in range(0x20):
        if accm >> byte & 1:
            out = out.replace(bytes([byte]), bytes([ESCAPE, byte ^ XOR]))
    return out


def unescape(raw: bytes) -> bytes:
    """The octets of a run between flags: each 7D dropped and the octet after it xor 0x20 (a 7D with nothing
    after it, an aborted frame, leaves nothing)."""
    if ESCAPE not in raw:
        return raw
    parts = raw.split(b"\x7d")
    return parts[0] + b"".join(bytes([part[0] ^ XOR]) + part[1:] for part in parts[1:] if part)


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
        self._raw = bytearray()          # the run as it came over the line (unescaped when its flag comes)
        self._hunting = True             # before the first flag, or inside text: everything is noise

    def feed(self, data: bytes) -> list[Frame]:
        frames = []
        pos, end = 0, len(data)
        while pos < end:
            flag = data.find(FLAG, pos)
            stop = end if flag < 0 else flag
            if stop > pos:
                self._take(data[pos:stop])
            if flag < 0:
                break
            frame = self._end_run()
            if frame is not None:
                frames.append(frame)
            pos = flag + 1
        return frames

    def _take(self, run: bytes) -> None:
        """Octets between flags: noise while hunting; else the frame's, until they show they are text."""
        if self._hunting:
            self.noise += run
            return
        self._raw += run
        if self._is_text_start():
            self.noise += self._raw
            self._reset(hunting=True)
        elif len(self._raw) > 2 * MAX_FRAME:   # every octet escaped at most doubles a frame
            self.bad_fcs += 1
            self._reset(hunting=True)

    def take_noise(self) -> bytes:
        noise = bytes(self.noise)
        self.noise.clear()
        return noise

    def _is_text_start(self) -> bool:
        raw = self._raw
        return bytes(raw[:1]) in (b"\r", b"\n") or bytes(raw[:2]).upper() == b"AT"

    def _end_run(self) -> Frame | None:
        raw = bytes(self._raw)
        self._reset(hunting=False)
        if not raw:
            return None
        body = unescape(raw)
        frame = parse_frame(body) if len(body) <= MAX_FRAME else None
        if frame is not None:
            self.frames += 1
        elif _looks_like_text(raw):
            self.noise += raw
        else:
            self.bad_fcs += 1
        return frame

    def _reset(self, *, hunting: bool) -> None:
        self._raw.clear()
        self._hunting = hunting
