"""The authentication phase (RFC 1661 3.5): PAP (RFC 1334) and CHAP with MD5 (RFC 1994), either role.

The client answers with the configured name and secret; the server, a simulated modem, accepts any credentials
as most carriers' APNs do, and notes the name it was given."""
from __future__ import annotations

import secrets
from collections.abc import Callable

from hilkit.net.ppp.negotiation import Timing
from hilkit.net.ppp.packets import (
    CHAP,
    CHAP_CHALLENGE,
    CHAP_FAILURE,
    CHAP_RESPONSE,
    CHAP_SUCCESS,
    PAP,
    PAP_ACK,
    PAP_NAK,
    PAP_REQUEST,
    MalformedPacket,
    Packet,
    chap_md5,
    chap_value,
    pap_reply,
    pap_request,
    parse_chap_value,
    parse_pap_reply,
    parse_pap_request,
)

SERVER_NAME = "hilkit"
NAMES = {PAP: "PAP", CHAP: "CHAP"}


class Authentication:
    """``send(protocol, packet)``; ``done()`` when the phase is over; ``fail(text)`` when it failed."""

    def __init__(self, role: str, username: str, password: str, timing: Timing, clock: Callable[[], float],
                 send: Callable[[int, Packet], None], log: Callable[[str], None], done: Callable[[], None],
                 fail: Callable[[str], None]) -> None:
        self.role, self._user, self._secret = role, username, password
        self._timing, self._clock = timing, clock
        self._send, self._log, self._done, self._fail = send, log, done, fail
        self.method = ""                # "pap"/"chap": the one negotiated by LCP
        self.active = False             # the phase is running
        self.peer_name = ""             # server: the name the client gave
        self.deadline: float | None = None
        self._ident = 0
        self._tries = 0
        self._challenge = b""

    def begin(self, method: str) -> None:
        self.method, self.active, self._tries = method, bool(method), self._timing.max_configure
        if self.role == "client" and method == "pap" or self.role == "server" and method == "chap":
            self._challenge = secrets.token_bytes(16) if method == "chap" else b""
            self._transmit(new=True)
        elif not method:
            self._done()

    def stop(self) -> None:
        self.active, self.deadline = False, None

    def poll(self) -> None:
        if self.deadline is None or self._clock() < self.deadline:
            return
        if self._tries > 0:
            self._transmit(new=True)
            return
        self.stop()
        what = "PAP: no answer to {} Authenticate-Requests" if self.method == "pap" else \
            "CHAP: no answer to {} Challenges"
        self._fail(what.format(self._timing.max_configure) + f" ({float(self._timing.restart_interval)} s apart)")

    def _transmit(self, *, new: bool) -> None:
        if new:
            self._ident = (self._ident + 1) & 0xFF
        if self.method == "pap":
            self._send(PAP, Packet(PAP_REQUEST, self._ident, pap_request(self._user, self._secret)))
        else:
            self._send(CHAP, Packet(CHAP_CHALLENGE, self._ident, chap_value(self._challenge, SERVER_NAME)))
        self._tries -= 1
        self.deadline = self._clock() + self._timing.restart_interval

    def receive(self, protocol: int, packet: Packet) -> None:
        try:
            if self.role == "client":
                self._client(protocol, packet)
            else:
                self._server(protocol, packet)
        except MalformedPacket as error:
            self._log(f"discarded: {error}")

    def _client(self, protocol: int, packet: Packet) -> None:
        if protocol == CHAP and packet.code == CHAP_CHALLENGE and self.method == "chap":
            challenge, _ = parse_chap_value(packet.data)       # also later re-challenges (RFC 1994 2.)
            response = chap_md5(packet.ident, self._secret, challenge)
            self._send(CHAP, Packet(CHAP_RESPONSE, packet.ident, chap_value(response, self._user)))
            return
        wanted = {"pap": (PAP, PAP_ACK, PAP_NAK), "chap": (CHAP, CHAP_SUCCESS, CHAP_FAILURE)}.get(self.method)
        if not self.active or wanted is None or protocol != wanted[0] or packet.code not in wanted[1:]:
            return
        if protocol == PAP and packet.ident != self._ident:
            return
        message = parse_pap_reply(packet.data) if protocol == PAP else packet.data.decode(errors="replace")
        self.stop()
        if packet.code == wanted[1]:
            self._log(f"{NAMES[protocol]} authentication succeeded")
            self._done()
        else:
            self._fail(f"{NAMES[protocol]}: the peer refused the authentication: {message}")

    def _server(self, protocol: int, packet: Packet) -> None:
        if protocol == PAP and packet.code == PAP_REQUEST and self.method == "pap":
            user, _ = parse_pap_request(packet.data)
            self._send(PAP, Packet(PAP_ACK, packet.ident, pap_reply("Login ok")))
            self._accepted(protocol, user)
        elif protocol == CHAP and packet.code == CHAP_RESPONSE and self.method == "chap" and \
                packet.ident == self._ident:
            _, user = parse_chap_value(packet.data)
            self._send(CHAP, Packet(CHAP_SUCCESS, packet.ident, b"Welcome"))
            self._accepted(protocol, user)

    def _accepted(self, protocol: int, user: str) -> None:
        if self.active:                 # the first time only; a repeated request just gets its answer again
            self.stop()
            self.peer_name = user
            self._log(f"{NAMES[protocol]} peer authentication succeeded for {user}")
            self._done()
