"""hilkit's PPP client on a real pty and a real tun interface, against a modem that does not play along:
silent after CONNECT, hanging up, never answering the Terminate-Request. Each way ends in its category
with what was seen, and the tun interface is gone afterwards. (The sessions that come up are in
tests/test_online.py, through the virtual modem's side of the call.)"""
from __future__ import annotations

import os
import tty

import pytest
import serial

from hilkit.core.errors import Category, WaitTimeout
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
