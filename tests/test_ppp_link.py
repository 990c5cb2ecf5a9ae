"""hilkit's PPP client on a real pty and a real tun interface, against a modem that does not play along:
silent after CONNECT, hanging up (also with NO CARRIER in pieces), never answering the Terminate-Request;
and the AT client's hand-over of the port after CONNECT. Each way ends in its category
with what was seen, and the tun interface is gone afterwards. (The sessions that come up are in
tests/test_online.py, through the virtual modem's side of the call.)"""
from __future__ import annotations

import os
import threading
import tty

import pytest
import serial

from hilkit.core.errors import Category, ModemError, WaitTimeout
from hilkit.modem.at import AtClient
from hilkit.modem.connectors import DialUpLine
from hilkit.net import interface
from hilkit.net.ppp.framing import Deframer
from hilkit.net.ppp.link import PppFailed, PppLink
from hilkit.net.ppp.packets import LCP, decode_packet
from hilkit.net.tun import tun_unavailable

pytestmark = pytest.mark.skipif(tun_unavailable() is not None, reason=str(tun_unavailable()))


@pytest.fixture
def line():
    """(the modem's end of a pty, pyserial on the host's end)."""
    master, slave = os.openpty()
    tty.setraw(slave)
    port = serial.Serial(os.ttyname(slave), timeout=0.2)
    yield master, port
    port.close()
    for fd in (master, slave):
        os.close(fd)


def read_frames(master: int) -> list:
    return Deframer().feed(os.read(master, 65536))


def test_a_silent_modem_times_out_saying_nothing_came_and_the_tun_goes(line):
    master, port = line
    link = PppLink(port)
    try:
        with pytest.raises(WaitTimeout) as raised:
            link.open(timeout=0.5)
        assert raised.value.category is Category.NO_DATA_SESSION
        assert "no PPP frame from the modem" in str(raised.value)
        assert interface.exists(link.ifname), "the interface exists while the session is tried"
        sent = read_frames(master)
        assert sent and decode_packet(sent[0].payload).code == 1 and sent[0].protocol == LCP   # LCP ConfReq
    finally:
        link.close(timeout=0.2)    # the modem answers no Terminate-Request either: close() does not wait for ever
    assert not interface.exists(link.ifname)
    link.close()   # more than once: nothing happens


def test_no_carrier_from_the_modem_fails_the_session_in_its_category(line):
    master, port = line
    link = PppLink(port)
    try:
        os.write(master, b"\r\nNO CARRIER\r\n")
        with pytest.raises(PppFailed) as raised:
            link.open(timeout=30.0)   # a hang guard: NO CARRIER ends it at once
        assert raised.value.category is Category.NO_DATA_SESSION
        assert "the modem hung up (NO CARRIER)" in str(raised.value)
    finally:
        link.close(timeout=0.2)
    assert not interface.exists(link.ifname)


def test_no_carrier_in_two_pieces_is_still_the_modem_hanging_up(line):
    """A UART hands text over in pieces: NO CARRIER split across reads still ends the session."""
    master, port = line
    link = PppLink(port)
    try:
        os.write(master, b"\r\nNO CA")
        with pytest.raises((PppFailed, WaitTimeout)) as early:
            link.open(timeout=0.3)
        assert isinstance(early.value, WaitTimeout), "half of NO CARRIER is not a hang-up"
        os.write(master, b"RRIER\r\n")
        with link._cond:   # the reader thread hears the rest: the session is over, no timeout needed
            assert link._cond.wait_for(lambda: link.carrier_lost, timeout=30.0)   # a hang guard
    finally:
        link.close(timeout=0.2)


def test_the_at_client_hands_over_what_came_after_connect_and_refuses_commands_meanwhile(line):
    """A modem sends its first LCP request right after CONNECT, often in the same read: those bytes
    go to the PPP client with the port, not lost with the AT client's line buffer."""
    master, port = line
    client = AtClient(port.port)
    try:
        frame = bytes.fromhex("7EFF7D23C0217D217D207D207D387D227D267D207D207D207D207D237D24C0237D257D26"
                              "D95C6B6F7D277D227D287D22F7497E")   # a real modem's LCP ConfReq (fixtures/ppp)

        def modem() -> None:
            while b"ATD*99#\r" not in os.read(master, 256):
                pass
            os.write(master, b"ATD*99#\r\r\nCONNECT\r\n" + frame)
        threading.Thread(target=modem, daemon=True).start()
        assert client.command("ATD*99#", timeout=30.0).final == "CONNECT"   # a hang guard
        taken, pending = client.hand_over()
        taken.timeout = 30.0   # a hang guard: read() returns as soon as the rest of the frame is there
        rest = taken.read(len(frame) - len(pending))
        assert pending + rest == frame, f"the modem's frame, read {pending!r} + {rest!r}"
        with pytest.raises(ModemError, match="data mode"):
            client.command("AT")
        line_repr = repr(DialUpLine(taken, "web", "apn-s3cret"))
        assert "apn-s3cret" not in line_repr and "web" in line_repr
    finally:
        client.close()
