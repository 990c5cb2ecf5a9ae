"""The option negotiation automaton of RFC 1661 (section 4) for one control protocol (LCP or IPCP).

What the options mean lives in a :class:`Policy`; this module only moves between the states on the received
packets and the restart timer, and sends through a callback. Timer times come from the injected clock."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from hilkit.net.ppp.packets import (
    CODE_REJ,
    CONF_ACK,
    CONF_NAK,
    CONF_REJ,
    CONF_REQ,
    TERM_ACK,
    TERM_REQ,
    MalformedPacket,
    Option,
    Packet,
    decode_options,
    encode_options,
)

INITIAL, CLOSED, STOPPED, CLOSING, STOPPING, REQ_SENT, ACK_RCVD, ACK_SENT, OPENED = range(9)
STATE_NAMES = ("Initial", "Closed", "Stopped", "Closing", "Stopping", "Req-Sent", "Ack-Rcvd", "Ack-Sent", "Opened")
NEGOTIATING = (REQ_SENT, ACK_RCVD, ACK_SENT)

Send = Callable[[Packet], None]
Event = Callable[[str], None]     # "up", "down", "finished"


class Policy(Protocol):
    def request(self) -> list[Option]: ...
    def check(self, options: list[Option]) -> tuple[int, list[Option]]: ...   # CONF_ACK/NAK/REJ and its options
    def nak(self, options: list[Option]) -> None: ...
    def rejected(self, options: list[Option]) -> None: ...
    def acked(self, options: list[Option]) -> None: ...


@dataclass(frozen=True)
class Timing:
    restart_interval: float = 3.0
    max_configure: int = 10
    max_terminate: int = 2


class Negotiation:
    def __init__(self, name: str, policy: Policy, send: Send, event: Event, clock: Callable[[], float],
                 timing: Timing) -> None:
        self.name = name
        self.policy = policy
        self.state = INITIAL
        self.failure = ""
        self.deadline: float | None = None
        self._send, self._event, self._clock, self._timing = send, event, clock, timing
        self._ident = 0
        self._restarts = 0
        self._request = b""        # the options of our outstanding Configure-Request, to match its Ack

    @property
    def opened(self) -> bool:
        return self.state == OPENED

    def next_ident(self) -> int:
        self._ident = (self._ident + 1) & 0xFF
        return self._ident

    # -- administrative events
    def open(self) -> None:
        if self.state in (INITIAL, CLOSED, STOPPED):
            self._irc(self._timing.max_configure)
            self._scr()
            self.state = REQ_SENT

    def close(self, reason: bytes = b"") -> None:
        if self.state in (*NEGOTIATING, OPENED):
            if self.state == OPENED:
                self._event("down")
            self._irc(self._timing.max_terminate)
            self._str(reason)
            self.state = CLOSING
        elif self.state == STOPPING:
            self.state = CLOSING
        elif self.state in (STOPPED, INITIAL):
            self.state = CLOSED

    def lower_down(self) -> None:
        if self.state == OPENED:
            self._event("down")
        self.state, self.deadline = INITIAL, None

    # -- received packets
    def receive(self, packet: Packet) -> bool:
        """Handle a packet of codes 1-7; False for the other codes (the caller answers them)."""
        handlers = {CONF_REQ: self._rcr, CONF_ACK: self._rca, CONF_NAK: self._rcn, CONF_REJ: self._rcn,
                    TERM_REQ: self._rtr, TERM_ACK: self._rta, CODE_REJ: self._rxj}
        handler = handlers.get(packet.code)
        if handler is None:
            return False
        if self.state != INITIAL:
            handler(packet)
        return True

    def _rcr(self, packet: Packet) -> None:
        if self.state == CLOSED:
            self._send(Packet(TERM_ACK, packet.ident))
            return
        if self.state in (CLOSING, STOPPING):
            return
        try:
            options = decode_options(packet.data, f"{self.name} Configure-Request")
        except MalformedPacket:
            return                  # silently discarded, as RFC 1661 wants for malformed packets
        if self.state == STOPPED:
            self._irc(self._timing.max_configure)
            self._scr()
            self.state = REQ_SENT
        elif self.state == OPENED:
            self._event("down")
            self._scr()
            self.state = REQ_SENT
        code, answer = self.policy.check(options)
        self._send(Packet(code, packet.ident, encode_options(answer)))
        if code == CONF_ACK:
            if self.state == ACK_RCVD:
                self._up()
            else:
                self.state = ACK_SENT
        elif self.state != ACK_RCVD:
            self.state = REQ_SENT

    def _rca(self, packet: Packet) -> None:
        if packet.ident != self._ident or packet.data != self._request:
            return                  # not an answer to our last request
        if self.state in (CLOSED, STOPPED):
            self._send(Packet(TERM_ACK, packet.ident))
        elif self.state == REQ_SENT:
            self.policy.acked(decode_options(packet.data))
            self._irc(self._timing.max_configure)
            self.state = ACK_RCVD
        elif self.state == ACK_SENT:
            self.policy.acked(decode_options(packet.data))
            self._irc(self._timing.max_configure)
            self._up()
        elif self.state in (ACK_RCVD, OPENED):
            if self.state == OPENED:
                self._event("down")
            self._scr()
            self.state = REQ_SENT

    def _rcn(self, packet: Packet) -> None:
        if packet.ident != self._ident:
            return
        if self.state in (CLOSED, STOPPED):
            self._send(Packet(TERM_ACK, packet.ident))
            return
        if self.state not in (*NEGOTIATING, OPENED):
            return
        try:
            options = decode_options(packet.data, f"{self.name} Configure-Nak/Reject")
        except MalformedPacket:
            return
        if packet.code == CONF_NAK:
            self.policy.nak(options)
        else:
            self.policy.rejected(options)
        if self.state == OPENED:
            self._event("down")
        if self.state in (REQ_SENT, ACK_SENT):
            self._irc(self._timing.max_configure)
        else:
            self.state = REQ_SENT
        self._scr()

    def _rtr(self, packet: Packet) -> None:
        self._send(Packet(TERM_ACK, packet.ident))
        if self.state == OPENED:
            self._event("down")
            self._restarts, self.deadline = 0, self._clock() + self._timing.restart_interval
            self.state = STOPPING
            self._event("terminated")
        elif self.state in (ACK_RCVD, ACK_SENT):
            self.state = REQ_SENT

    def _rta(self, packet: Packet) -> None:
        if self.state == CLOSING:
            self._finish(CLOSED)
        elif self.state == STOPPING:
            self._finish(STOPPED)
        elif self.state == ACK_RCVD:
            self.state = REQ_SENT
        elif self.state == OPENED:
            self._event("down")
            self._scr()
            self.state = REQ_SENT

    def _rxj(self, packet: Packet) -> None:
        rejected = packet.data[0] if packet.data else 0
        if 1 <= rejected <= 7:     # the peer cannot negotiate at all: RXJ-
            self.failure = self.failure or f"{self.name}: the peer rejected code {rejected} (Code-Reject)"
            if self.state == OPENED:
                self._event("down")
            self._finish(CLOSED if self.state in (CLOSED, CLOSING) else STOPPED)
        elif self.state == ACK_RCVD:
            self.state = REQ_SENT

    # -- the restart timer
    def poll(self) -> None:
        if self.deadline is None or self._clock() < self.deadline:
            return
        if self._restarts > 0:      # TO+
            if self.state in (CLOSING, STOPPING):
                self._str(b"")
            elif self.state in NEGOTIATING:
                self._scr(retransmit=True)
                if self.state == ACK_RCVD:
                    self.state = REQ_SENT
            return
        if self.state in NEGOTIATING:   # TO-
            self.failure = self.failure or (f"{self.name}: no answer to {self._timing.max_configure} "
                                            f"Configure-Requests ({float(self._timing.restart_interval)} s apart)")
        self._finish(CLOSED if self.state == CLOSING else STOPPED)

    # -- actions
    def _irc(self, count: int) -> None:
        self._restarts = count

    def _scr(self, retransmit: bool = False) -> None:
        """Configure-Request. A retransmission keeps its id (as pppd's fsm_sconfreq does), so an answer
        to the previous copy that arrives after the restart timer still counts."""
        self._request = encode_options(self.policy.request())
        self._send(Packet(CONF_REQ, self._ident if retransmit and self._ident else self.next_ident(), self._request))
        self._restarts -= 1
        self.deadline = self._clock() + self._timing.restart_interval

    def _str(self, reason: bytes) -> None:
        self._send(Packet(TERM_REQ, self.next_ident(), reason))
        self._restarts -= 1
        self.deadline = self._clock() + self._timing.restart_interval

    def _up(self) -> None:
        self.state, self.deadline = OPENED, None
        self._event("up")

    def _finish(self, state: int) -> None:
        self.state, self.deadline = state, None
        self._event("finished")
