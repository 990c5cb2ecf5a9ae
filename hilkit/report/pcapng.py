"""A pcapng file of USB traffic in Linux usbmon's format, the form every USB engineer opens.

LINKTYPE_USB_LINUX_MMAPPED (220): each packet is usbmon's 64-byte header (``struct
usbmon_packet`` with the ISO fields, as the binary interface hands it out) followed by the data,
little-endian. One interface per file, named after the slot and port it captured. Written here in
a few lines (pcapng is blocks of ``type, length, body, length``); ``tshark`` reads the files back
in hilkit's tests and dissects the mass-storage CBWs as SCSI.
"""
from __future__ import annotations

import struct
from collections.abc import Iterable

from hilkit.core.usb_capture import TRANSFER_TYPES, UrbEvent

LINKTYPE_USB_LINUX_MMAPPED = 220
_BYTE_ORDER_MAGIC = 0x1A2B3C4D


def _block(kind: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    length = len(body) + 12
    return struct.pack("<II", kind, length) + body + struct.pack("<I", length)


def _option(code: int, value: bytes) -> bytes:
    return struct.pack("<HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def _options(pairs: Iterable[tuple[int, bytes]]) -> bytes:
    body = b"".join(_option(code, value) for code, value in pairs)
    return body + struct.pack("<HH", 0, 0) if body else b""


def usbmon_header(event: UrbEvent) -> bytes:
    """usbmon's mmapped header: id, type, transfer type, endpoint, device, bus, setup flag, data
    flag, seconds, microseconds, status, URB length, captured length, setup (or ISO counts),
    interval, start frame, transfer flags, number of ISO descriptors."""
    seconds = int(event.time)
    micro = int(round((event.time - seconds) * 1_000_000))
    if micro >= 1_000_000:
        seconds, micro = seconds + 1, micro - 1_000_000
    setup_flag = 0 if event.setup is not None else ord("-")
    data_flag = 0 if event.data else ord("<" if event.kind == "S" and not event.out or
                                         event.kind == "C" and event.out else ">")
    return struct.pack("<QBBBBHbbqiiII8siiII", event.urb, ord(event.kind), TRANSFER_TYPES[event.transfer],
                       event.endpoint, event.device, event.bus, setup_flag, data_flag, seconds, micro,
                       event.status, event.length, len(event.data), event.setup or bytes(8), 0, 0, 0, 0)


def pcapng(events: Iterable[UrbEvent], name: str, description: str) -> bytes:
    """The whole file: a section, one usbmon interface (``name``, ``description``), the packets."""
    out = [_block(0x0A0D0D0A, struct.pack("<IHHq", _BYTE_ORDER_MAGIC, 1, 0, -1)
                  + _options([(4, b"hilkit")]))]                                       # shb_userappl
    out.append(_block(0x00000001, struct.pack("<HHI", LINKTYPE_USB_LINUX_MMAPPED, 0, 0)
                      + _options([(2, name.encode()), (3, description.encode())])))    # if_name, if_description
    for event in events:
        packet = usbmon_header(event) + event.data
        stamp = int(round(event.time * 1_000_000))          # default resolution: microseconds
        out.append(_block(0x00000006, struct.pack("<IIIII", 0, stamp >> 32, stamp & 0xFFFFFFFF, len(packet),
                                                  len(packet)) + packet))
    return b"".join(out)
