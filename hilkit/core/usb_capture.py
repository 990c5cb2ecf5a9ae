"""USB traffic as usbmon sees it: one submit and one completion per transfer (URB).

The record a capture file is written from (:mod:`hilkit.report.pcapng`), whoever saw the traffic:
a rig's usbmon, or the virtual lab's devices (the transfers they received and answered, with the
times they happened at).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

TRANSFER_TYPES = {"isochronous": 0, "interrupt": 1, "control": 2, "bulk": 3}


@dataclass(frozen=True)
class UrbEvent:
    time: float            # seconds since the epoch
    urb: int               # the URB's id: its submit and completion share it
    kind: str              # "S" (submit) or "C" (completion)
    transfer: str          # "control", "bulk", "interrupt"
    endpoint: int          # with 0x80 for IN
    device: int            # the device's address on its bus
    bus: int
    data: bytes = b""      # OUT data on the submit, IN data on the completion
    length: int = 0        # the URB's length (what was asked for, or what came back)
    setup: bytes | None = None   # 8 bytes, on a control submit
    status: int = 0        # 0, or a negative errno on the completion

    @property
    def out(self) -> bool:
        return not self.endpoint & 0x80


def urb_pair(urb: int, start: float, end: float, transfer: str, endpoint: int, device: int, bus: int,
             data: bytes = b"", setup: tuple[int, int, int, int, int] | None = None,
             status: int = 0) -> tuple[UrbEvent, UrbEvent]:
    """The submit and the completion of one transfer; ``data`` goes where usbmon shows it (with the
    submit for OUT, the completion for IN). A control transfer's direction is its setup's."""
    if setup is not None:
        request_type, request, value, index, length = setup
        packed = struct.pack("<BBHHH", request_type, request, value, index, length)
        endpoint = 0x80 if request_type & 0x80 else 0x00
    else:
        packed, length = None, len(data)
    outward = not endpoint & 0x80
    submit = UrbEvent(start, urb, "S", transfer, endpoint, device, bus, data if outward else b"",
                      length if setup is not None or outward else len(data), packed)
    done = UrbEvent(end, urb, "C", transfer, endpoint, device, bus, b"" if outward else data,
                    len(data), None, status)
    return submit, done
