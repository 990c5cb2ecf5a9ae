"""The rig's usbmon reader, held against Wireshark's tshark: the packets of a virtual switch's
capture (which tshark dissects, tests/test_usb_capture.py) are handed to the reader the way the
kernel's binary interface hands them out (48-byte header, then the data; through a pipe, in pieces),
and every field the reader makes of them is the field tshark reads from the same bytes.

There is no usbmon on the machines CI runs on (no /dev/usbmon*): what is not exercised here is the
kernel side itself; the reader uses only read(2) and poll(2) on it, which the pipe stands in for."""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from test_usb_capture import switched_e3131

from hilkit.config.paths import builtin_rig
from hilkit.core.errors import HilkitError
from hilkit.lab.registry import load_rig
from hilkit.report.pcapng import pcapng
from hilkit.usb.usbmon import HEADER, PortsBySysfs, UsbmonError, UsbmonReader, parse_event, why_unreadable

needs_tshark = pytest.mark.skipif(shutil.which("tshark") is None,
                                  reason="tshark not installed (scripts/setup --test installs it)")
FIELDS = ["usb.urb_id", "usb.urb_type", "usb.transfer_type", "usb.endpoint_address", "usb.device_address",
          "usb.bus_id", "usb.urb_len", "usb.data_len", "usb.urb_status", "usb.urb_ts_sec", "usb.urb_ts_usec"]


def switch_capture(tmp_path: Path) -> Path:
    events, _, _ = switched_e3131()
    path = tmp_path / "switch.pcapng"
    path.write_bytes(pcapng(events, "usbmon1", "slot e3131"))
    return path


def tshark_packets(path: Path) -> list[bytes]:
    """Each frame's bytes, from tshark's hex dump (not from hilkit's writer)."""
    dump = subprocess.run(["tshark", "-r", str(path), "-x"], capture_output=True, text=True, timeout=120).stdout
    packets, current = [], b""
    for line in dump.splitlines() + [""]:
        if not line.strip():
            if current:
                packets.append(current)
            current = b""
        elif len(line) > 6 and all(c in "0123456789abcdef" for c in line[:4]):
            current += bytes.fromhex(" ".join(line[6:53].split()))
    return packets


def tshark_fields(path: Path) -> list[list[str]]:
    args = [arg for field in FIELDS for arg in ("-e", field)]
    out = subprocess.run(["tshark", "-r", str(path), "-T", "fields", *args], capture_output=True, text=True,
                         timeout=120).stdout
    return [line.split("\t") for line in out.splitlines()]


def as_read_gives_them(packets: list[bytes]) -> bytes:
    """The binary interface's read(2) stream: the first 48 bytes of the mmapped 64-byte header, then the data."""
    return b"".join(packet[:HEADER.size] + packet[64:] for packet in packets)


def read_through_a_pipe(stream: bytes, ports) -> UsbmonReader:
    """Feeds ``stream`` to a reader through a FIFO in uneven pieces; returns it when the pipe is drained."""
    fifo = Path(os.environ.get("TMPDIR", "/tmp")) / f"usbmon-test-{os.getpid()}-{threading.get_ident()}"
    os.mkfifo(fifo)
    reader = UsbmonReader(1, fifo, ports)
    try:
        writer_fd = os.open(fifo, os.O_RDWR)   # open both ends without blocking on the other
        reader.start()
        pieces = [7, 41, 1, 64, 300, 13]
        offset, i = 0, 0
        while offset < len(stream):
            size = pieces[i % len(pieces)]
            os.write(writer_fd, stream[offset:offset + size])
            offset, i = offset + size, i + 1
        os.close(writer_fd)
        reader._thread.join(timeout=60)   # ends at the pipe's end
        assert not reader._thread.is_alive(), "the reader did not see the end of the pipe"
    finally:
        reader.close()
        fifo.unlink()
    return reader


@needs_tshark
def test_the_reader_reads_every_field_as_tshark_does(tmp_path):
    path = switch_capture(tmp_path)
    packets = tshark_packets(path)
    expected = tshark_fields(path)
    assert len(packets) == len(expected) > 20
    reader = read_through_a_pipe(as_read_gives_them(packets), lambda bus, device: "1-1.2")
    assert reader.error is None
    events = [event for _, _, event in reader.events]
    assert len(events) == len(packets)
    for event, fields in zip(events, expected, strict=True):
        urb, kind, transfer, endpoint, device, bus, length, captured, status, seconds, micro = fields
        assert (event.urb, event.kind, event.transfer, event.endpoint, event.device, event.bus) == (
            int(urb, 16), kind.strip("'"), {"0x00": "isochronous", "0x01": "interrupt", "0x02": "control",
                                            "0x03": "bulk"}[transfer], int(endpoint, 16), int(device), int(bus))
        assert (event.length, len(event.data), event.status) == (int(length), int(captured), int(status))
        assert round(event.time * 1_000_000) == int(seconds) * 1_000_000 + int(micro)
    controls = [e for e in events if e.transfer == "control" and e.kind == "S"]
    assert controls and all(e.setup is not None and len(e.setup) == 8 for e in controls)
    # and written out again, the file is the one tshark read: the same packets, byte for byte
    again = tmp_path / "again.pcapng"
    again.write_bytes(pcapng(events, "usbmon1", "slot e3131"))
    assert [p[:48] + p[64:] for p in tshark_packets(again)] == [p[:48] + p[64:] for p in packets]


@needs_tshark
def test_a_capture_follows_the_port_across_re_enumeration_and_leaves_other_slots_out(tmp_path):
    packets = tshark_packets(switch_capture(tmp_path))
    devices = sorted({packet[11] for packet in packets})
    assert len(devices) == 2, "the switch re-enumerates: storage, then modem, with a new address"
    other = bytearray(packets[0])
    other[11] = 77                     # a device on another port of the same bus
    owners = {devices[0]: "1-1.2", devices[1]: "1-1.2", 77: "1-1.3"}
    looked_up: list[int] = []

    def ports(bus: int, device: int) -> str | None:
        looked_up.append(device)
        return owners.get(device)
    reader = read_through_a_pipe(as_read_gives_them([*packets, bytes(other)]), ports)
    assert len(reader.capture("1-1.2", since=0.0)) == len(packets)
    assert len(reader.capture("1-1.3", since=0.0)) == 1
    assert reader.capture("1-1.2", since=time.monotonic() + 1) == []


def test_ports_are_looked_up_in_sysfs_once_per_device_number(tmp_path):
    def plug(port: str, bus: int, device: int) -> None:
        (tmp_path / port).mkdir(exist_ok=True)
        (tmp_path / port / "busnum").write_text(f"{bus}\n")
        (tmp_path / port / "devnum").write_text(f"{device}\n")
    plug("1-1.2", 1, 5)
    plug("1-1.3", 1, 6)
    (tmp_path / "1-1.2:1.0").mkdir()            # an interface directory: not a device
    plug("usb1", 1, 1)                           # the root hub: no port path, no slot on it
    ports = PortsBySysfs(tmp_path)
    assert ports.port_of(1, 1) == "" and ports.port_of(1, 0) == ""   # address 0: not addressed yet
    assert ports.port_of(1, 5) == "1-1.2" and ports.port_of(1, 6) == "1-1.3"
    plug("1-1.2", 1, 9)                          # the dongle re-enumerated on the same port
    assert ports.port_of(1, 9) == "1-1.2"
    assert ports.port_of(1, 5) == "1-1.2"       # its old address still names its port
    assert ports.port_of(2, 5) is None


def test_garbage_is_named_not_parsed():
    with pytest.raises(UsbmonError, match="not a usbmon event: type 0x58"):
        parse_event(HEADER.pack(1, ord("X"), 3, 0x81, 5, 1, 0, 0, 0, 0, 0, 4, 0, bytes(8)), b"")
    with pytest.raises(UsbmonError, match="announces 4 bytes of data; got 2"):
        parse_event(HEADER.pack(1, ord("C"), 3, 0x81, 5, 1, 0, 0, 0, 0, 0, 4, 4, bytes(8)), b"ab")
    assert issubclass(UsbmonError, HilkitError)


def test_a_bus_without_usbmon_says_what_to_do(tmp_path):
    reader = UsbmonReader(9, tmp_path / "usbmon9")
    with pytest.raises(UsbmonError) as raised:
        reader.start()
    assert str(raised.value).startswith(f"cannot read {tmp_path / 'usbmon9'}: No such file or directory (")
    assert "modprobe usbmon" in why_unreadable(tmp_path / "usbmon9") or "pass them in" in str(raised.value)


def test_a_rig_without_usbmon_says_why_once_per_bus_and_captures_nothing():
    from dataclasses import replace

    from hilkit.lab.linux_lab import LinuxLab
    virtual = load_rig(builtin_rig("virtual"))
    far = replace(virtual.slot("e3131"), port="99-1")   # a bus no machine here has
    lab = LinuxLab(replace(virtual, backend="linux", pin_factory="mock", slots=(far,)))
    try:
        why = lab.watch_usb(far)
        assert why is not None and why.startswith("cannot read /dev/usbmon99: No such file or directory (")
        assert lab.watch_usb(far) == why and list(lab.usbmon) == [99]
        assert lab.usb_capture(far, since=0.0) is None
    finally:
        lab.close()
