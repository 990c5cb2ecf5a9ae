"""A whole PPP endpoint, sans I/O: line bytes in, line bytes out, time from an injected clock.

``role="client"`` is pppd on a host after ``ATD*99#`` and CONNECT; ``role="server"`` is the modem's side, for the
simulator. Phases as RFC 1661 3.2 has them: LCP, then PAP or CHAP-MD5 when the peer asked for it, then IPCP."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from hilkit.net.ppp import log_lines
from hilkit.net.ppp.authentication import Authentication
from hilkit.net.ppp.framing import DEFAULT_ACCM, Deframer, Frame, encode_frame
from hilkit.net.ppp.negotiation import CLOSING, NEGOTIATING, OPENED, STATE_NAMES, STOPPING, Negotiation, Timing
from hilkit.net.ppp.packets import (
    CHAP,
    CODE_REJ,
    DISC_REQ,
    ECHO_REP,
    ECHO_REQ,
    IPCP,
    IPV4,
    LCP,
    PAP,
    PROT_REJ,
    TERM_REQ,
    MalformedPacket,
    Packet,
    decode_packet,
    u16,
    u32,
)
from hilkit.net.ppp.policies import AUTH_VALUES, ZERO, IpcpPolicy, LcpPolicy

DEFAULT_PEER_ADDRESS = "10.64.64.64"     # pppd's stand-in when the peer names no address of its own
AUTH_NAMES = {value: name for name, value in AUTH_VALUES.items()}


@dataclass
class PppConfig:
    role: str                       # "client" or "server"
    username: str = ""              # client: PAP/CHAP name
    password: str = field(default="", repr=False)    # client: secret; never logged
    local_address: str = ""         # server: its own address (IPCP IP-Address)
    peer_address: str = ""          # server: the address it assigns the client
    dns: tuple[str, ...] = ()       # server: primary/secondary DNS (RFC 1877)
    require_auth: str = ""          # server: "", "pap" or "chap" (MD5); any credentials pass
    mru: int = 1500
    restart_interval: float = 3.0
    max_configure: int = 10
    max_terminate: int = 2
    magic: int | None = None        # LCP magic number; random when None

    def __post_init__(self) -> None:
        if self.role not in ("client", "server"):
            raise ValueError(f"role must be 'client' or 'server', not {self.role!r}")
        if self.require_auth not in ("", "pap", "chap"):
            raise ValueError(f"require_auth must be '', 'pap' or 'chap', not {self.require_auth!r}")
        if self.max_configure < 1 or self.max_terminate < 1 or self.restart_interval <= 0:
            raise ValueError("max_configure and max_terminate must be at least 1, restart_interval positive")


class PppEndpoint:
    def __init__(self, config: PppConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self._clock = clock
        self._timing = Timing(config.restart_interval, config.max_configure, config.max_terminate)
        self.log: list[str] = []
        self.failure = ""
        self.local_address = ""
        self.peer_address = ""
        self.dns: tuple[str, ...] = ()
        self.dropped_ip = 0             # IPv4 packets that came before IPCP opened
        self.dropped_out = 0            # packets send_ip would not frame
        self.echo_replies = 0
        self._closed = False
        self._ip_in: list[bytes] = []
        self._out = bytearray()
        self._deframer = Deframer()
        self._lcp_policy = LcpPolicy(config.role, config.mru, config.magic,
                                     config.require_auth if config.role == "server" else "")
        self._ipcp_policy = IpcpPolicy(config.role, config.local_address, config.peer_address, config.dns)
        self.lcp = Negotiation("LCP", self._lcp_policy, self._sender(LCP), self._lcp_event, clock, self._timing)
        self.ipcp = Negotiation("IPCP", self._ipcp_policy, self._sender(IPCP), self._ipcp_event, clock,
                                self._timing)
        self.auth = Authentication(config.role, config.username, config.password, self._timing, clock,
                                   lambda protocol, packet: self._send(protocol, packet.encode()), self._log,
                                   self._network, lambda text: self._fail(text, b"Authentication failed"))
        self._peer_reason = b""
        self._was_opened = False        # IPCP has been opened at some point

    def __repr__(self) -> str:
        return (f"PppEndpoint(role={self.config.role!r}, lcp={STATE_NAMES[self.lcp.state]}, "
                f"ipcp={STATE_NAMES[self.ipcp.state]}, "
                f"opened={self.opened}, closed={self.closed}, failure={self.failure!r})")

    # -- the API
    @property
    def opened(self) -> bool:
        return self.ipcp.state == OPENED and not self._closed and not self.failure

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def auth_peer(self) -> str:
        """Server: the name the client authenticated with."""
        return self.auth.peer_name

    @property
    def bad_fcs(self) -> int:
        return self._deframer.bad_fcs

    def start(self) -> bytes:
        self.lcp.open()
        return self._take_out()

    def receive(self, data: bytes) -> bytes:
        for frame in self._deframer.feed(data):
            self._frame(frame)
        return self._take_out()

    def poll(self) -> bytes:
        self.lcp.poll()
        self.ipcp.poll()
        self.auth.poll()
        return self._take_out()

    def next_timeout(self) -> float | None:
        deadlines = [d for d in (self.lcp.deadline, self.ipcp.deadline, self.auth.deadline) if d is not None]
        return max(0.0, min(deadlines) - self._clock()) if deadlines else None

    @property
    def peer_mru(self) -> int:
        """The largest packet the peer takes (its LCP MRU): the interface's MTU, as pppd sets ppp0's."""
        return self._lcp_policy.peer_mru

    def send_ip(self, packet: bytes) -> bytes:
        """An IPv4 packet framed; b"" (and counted in ``dropped_out``) before IPCP is open, for
        another IP version (IPCP carries IPv4 only) or for a packet longer than the peer's MRU."""
        if not self.opened or not packet or packet[0] >> 4 != 4 or len(packet) > self.peer_mru:
            self.dropped_out += 1
            return b""
        return self._frame_bytes(IPV4, packet)

    def take_ip(self) -> list[bytes]:
        packets, self._ip_in = self._ip_in, []
        return packets

    def take_noise(self) -> bytes:
        return self._deframer.take_noise()

    def close(self) -> bytes:
        if self.lcp.state in (*NEGOTIATING, OPENED):
            self.lcp.close(b"User request")
        return self._take_out()

    def echo_request(self, data: bytes = b"") -> bytes:
        """An LCP Echo-Request (a keepalive, as pppd's lcp-echo-interval); b"" unless LCP is opened."""
        if self.lcp.opened:
            self._send(LCP, Packet(ECHO_REQ, self.lcp.next_ident(), u32(self._lcp_policy.sent_magic) + data).encode())
        return self._take_out()

    # -- sending
    def _sender(self, protocol: int) -> Callable[[Packet], None]:
        return lambda packet: self._send(protocol, packet.encode())

    def _send(self, protocol: int, payload: bytes) -> None:
        self._log(log_lines.sent(protocol, payload))
        self._out += self._frame_bytes(protocol, payload)

    def _frame_bytes(self, protocol: int, payload: bytes) -> bytes:
        if protocol == LCP:            # RFC 1662 7.: LCP always goes with the defaults
            return encode_frame(protocol, payload, accm=DEFAULT_ACCM)
        lcp = self._lcp_policy
        return encode_frame(protocol, payload, accm=lcp.peer_accm, acfc=lcp.peer_acfc, pfc=lcp.peer_pfc)

    def _take_out(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    def _log(self, line: str) -> None:
        self.log.append(self._hide(line))

    def _hide(self, text: str) -> str:
        """The secret out of anything shown, should a peer echo it in a message (short ones would hit hex)."""
        secret = self.config.password
        return text.replace(secret, "<hidden>") if len(secret) >= 4 else text

    # -- receiving
    def _frame(self, frame: Frame) -> None:
        if frame.protocol == IPV4:
            if self.opened:
                self._ip_in.append(frame.payload)
            else:
                self.dropped_ip += 1
            return
        if frame.protocol not in (LCP, IPCP, PAP, CHAP):
            if self.lcp.opened:
                self._log(f"Unsupported protocol 0x{frame.protocol:04x} received")
                data = (u16(frame.protocol) + frame.payload)[:self._lcp_policy.peer_mru - 4]
                self._send(LCP, Packet(PROT_REJ, self.lcp.next_ident(), data).encode())
            return
        self._log(log_lines.rcvd(frame.protocol, frame.payload))
        try:
            packet = decode_packet(frame.payload)
        except MalformedPacket as error:
            self._log(f"discarded: {error}")
            return
        if frame.protocol == LCP:
            self._lcp_packet(packet)
        elif frame.protocol == IPCP:
            if self.lcp.opened and not self.auth.active and not self.ipcp.receive(packet):
                self._send(IPCP, Packet(CODE_REJ, self.ipcp.next_ident(), packet.encode()).encode())
        elif self.lcp.opened:
            self.auth.receive(frame.protocol, packet)

    def _lcp_packet(self, packet: Packet) -> None:
        if packet.code == TERM_REQ:
            self._peer_reason = packet.data
        if not self.lcp.receive(packet):
            self._lcp_extra(packet)
        if self._lcp_policy.auth_refused:
            self._lcp_policy.auth_refused = False
            self._fail("LCP: the peer refused to authenticate", b"Peer refused to authenticate")
        if self.lcp.failure:
            self._fail(self.lcp.failure, b"")

    def _lcp_extra(self, packet: Packet) -> None:
        if not self.lcp.opened:
            return                      # RFC 1661 5.7-5.9: only meaningful in the Opened state
        if packet.code == ECHO_REQ:
            self._send(LCP, Packet(ECHO_REP, packet.ident, u32(self._lcp_policy.sent_magic) + packet.data[4:]).encode())
        elif packet.code == ECHO_REP:
            self.echo_replies += 1
        elif packet.code == PROT_REJ:
            if packet.data[:2] == u16(IPCP):
                self._fail("IPCP: the peer rejected the protocol (LCP Protocol-Reject)",
                           b"No network protocols running")
        elif packet.code != DISC_REQ:
            data = packet.encode()[:self._lcp_policy.peer_mru - 4]
            self._send(LCP, Packet(CODE_REJ, self.lcp.next_ident(), data).encode())

    # -- phases
    def _lcp_event(self, event: str) -> None:
        if event == "up":
            lcp = self._lcp_policy
            self.auth.begin(AUTH_NAMES.get(lcp.peer_auth if self.config.role == "client" else lcp.auth, ""))
        elif event == "down":
            self.ipcp.lower_down()
            self.auth.stop()
        elif event == "terminated":
            reason = self._peer_reason.decode(errors="replace")
            self._log(f"LCP terminated by peer ({reason})" if reason else "LCP terminated by peer")
            if not self._was_opened and not self.failure:
                self.failure = f"LCP: the peer terminated the link before IPCP opened: {reason or 'no reason'}"
            self._closed = True
        elif event == "finished":
            if self.lcp.failure and not self.failure:
                self.failure = self._hide(self.lcp.failure)
                self._log(self.failure)
            self._closed = True
            self._log("Connection terminated.")

    def _ipcp_event(self, event: str) -> None:
        policy = self._ipcp_policy
        if event == "up":
            if self.config.role == "client":
                if policy.local_address in ("", ZERO):
                    self._fail("IPCP: the peer gave no address", b"Could not determine local IP address")
                    return
                self.local_address = policy.local_address
                # none, or 0.0.0.0, which pppd refuses as a peer's: its stand-in
                self.peer_address = policy.peer_address if policy.peer_address not in ("", ZERO) \
                    else DEFAULT_PEER_ADDRESS
                self.dns = policy.learned_dns
            else:
                self.local_address = self.config.local_address
                self.peer_address = policy.peer_address
            self._was_opened = True
            self._log(f"local  IP address {self.local_address}")
            self._log(f"remote IP address {self.peer_address}")
            for label, address in zip(("primary  ", "secondary"), self.dns, strict=False):
                self._log(f"{label} DNS address {address}")
        elif event == "finished" and self.ipcp.failure:
            self._fail(self.ipcp.failure, b"No network protocols running")
        elif event == "terminated":
            self.lcp.close(b"No network protocols running")

    def _fail(self, text: str, reason: bytes) -> None:
        if not self.failure:
            self.failure = self._hide(text)
            self._log(self.failure)
        if self.lcp.state in (*NEGOTIATING, OPENED):
            self.lcp.close(reason)
        elif self.lcp.state not in (CLOSING, STOPPING):     # not Closing/Stopping: nothing will answer any more
            self._closed = True

    def _network(self) -> None:
        self.ipcp.open()
