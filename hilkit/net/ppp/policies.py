"""What LCP and IPCP options mean to this endpoint: what it requests, what it accepts, Naks or Rejects of the
peer's request, and what it adopts from the peer's Naks and Rejects (pppd's behaviour, both roles)."""
from __future__ import annotations

import secrets
import socket

from hilkit.net.ppp.packets import (
    ACCM,
    ACFC,
    AUTH,
    CHAP,
    CHAP_MD5,
    CONF_ACK,
    CONF_NAK,
    CONF_REJ,
    IP_ADDRESS,
    MAGIC,
    MRU,
    PAP,
    PFC,
    PRIMARY_DNS,
    SECONDARY_DNS,
    Option,
    ipv4,
    ipv4_text,
    u16,
    u32,
)

ZERO = socket.inet_ntoa(bytes(4))   # "no address yet"
DEFAULT_MRU = 1500
AUTH_VALUES = {"pap": u16(PAP), "chap": u16(CHAP) + bytes([CHAP_MD5])}


def _verdict(acks: list[Option], naks: list[Option], rejects: list[Option]) -> tuple[int, list[Option]]:
    """RFC 1661: Reject what cannot be negotiated at all, else Nak what is unacceptable, else Ack everything."""
    if rejects:
        return CONF_REJ, rejects
    if naks:
        return CONF_NAK, naks
    return CONF_ACK, acks


def random_magic() -> int:
    return secrets.randbits(32) or 1


class LcpPolicy:
    def __init__(self, role: str, mru: int, magic: int | None, require_auth: str = "") -> None:
        self.role = role
        self.mru = mru
        self.magic = magic if magic is not None else random_magic()
        self.accm = 0
        self.auth = AUTH_VALUES[require_auth] if require_auth else b""     # server: the auth it demands
        self.auth_refused = False
        self._sending = {ACCM, MAGIC} | ({MRU} if mru != DEFAULT_MRU else set()) | ({AUTH} if self.auth else set())
        # the peer's request as last acked: how we send to it, how it wants us to authenticate
        self.peer_accm = 0xFFFFFFFF
        self.peer_mru = DEFAULT_MRU
        self.peer_magic = 0
        self.peer_pfc = self.peer_acfc = False
        self.peer_auth = b""

    def request(self) -> list[Option]:
        values = {MRU: u16(self.mru), ACCM: u32(self.accm), AUTH: self.auth, MAGIC: u32(self.magic)}
        return [(kind, values[kind]) for kind in (MRU, ACCM, AUTH, MAGIC) if kind in self._sending]

    def check(self, options: list[Option]) -> tuple[int, list[Option]]:
        acks: list[Option] = []
        naks: list[Option] = []
        rejects: list[Option] = []
        for kind, value in options:
            if kind == MRU and len(value) == 2 or kind == ACCM and len(value) == 4:
                acks.append((kind, value))
            elif kind == MAGIC and len(value) == 4:
                # looped back, or zero, which RFC 1661 6.4 says MUST be Nak'd
                if int.from_bytes(value, "big") in (self.magic, 0):
                    naks.append((kind, u32(random_magic())))
                else:
                    acks.append((kind, value))
            elif kind in (PFC, ACFC) and not value:
                acks.append((kind, value))
            elif kind == AUTH and self.role == "client":
                if value in AUTH_VALUES.values():
                    acks.append((kind, value))
                else:                                           # MS-CHAP, EAP, ...: suggest CHAP with MD5
                    naks.append((kind, AUTH_VALUES["chap"]))
            else:
                rejects.append((kind, value))
        verdict = _verdict(acks, naks, rejects)
        if verdict[0] == CONF_ACK:
            self._adopt(dict(options))
        return verdict

    def _adopt(self, options: dict[int, bytes]) -> None:
        self.peer_accm = int.from_bytes(options.get(ACCM, u32(0xFFFFFFFF)), "big")
        self.peer_mru = int.from_bytes(options.get(MRU, u16(DEFAULT_MRU)), "big")
        self.peer_magic = int.from_bytes(options.get(MAGIC, u32(0)), "big")
        self.peer_pfc, self.peer_acfc = PFC in options, ACFC in options
        self.peer_auth = options.get(AUTH, b"")

    def nak(self, options: list[Option]) -> None:
        for kind, value in options:
            if kind == ACCM and len(value) == 4:
                self.accm |= int.from_bytes(value, "big")
            elif kind == MAGIC:
                self.magic = random_magic()
            elif kind == MRU and len(value) == 2:
                self.mru = min(self.mru, int.from_bytes(value, "big"))
                self._sending.add(MRU)
            elif kind == AUTH and self.auth and value in AUTH_VALUES.values():
                self.auth = value                              # any of ours will do: we accept anyone

    def rejected(self, options: list[Option]) -> None:
        for kind, _ in options:
            self._sending.discard(kind)
            if kind == AUTH:
                self.auth_refused = True

    def acked(self, options: list[Option]) -> None:
        pass

    @property
    def sent_magic(self) -> int:
        """The magic number our LCP packets carry: ours once the peer acked it, zero when it rejected the
        option (RFC 1661 5.8: then Echo and Discard carry zero)."""
        return self.magic if MAGIC in self._sending else 0


class IpcpPolicy:
    """Client: asks for 0.0.0.0 and DNS 0.0.0.0 and takes the Nak'ed values. Server: hands out peer_address and
    its DNS servers by Nak'ing the client's zeros, and asks for local_address itself."""

    def __init__(self, role: str, local_address: str = "", peer_address: str = "", dns: tuple[str, ...] = ()) -> None:
        self.role = role
        self.dns = list(dns)
        self.assign = peer_address
        if role == "client":
            self.wanted = {IP_ADDRESS: ZERO, PRIMARY_DNS: ZERO, SECONDARY_DNS: ZERO}
        else:
            self.wanted = {IP_ADDRESS: local_address} if local_address else {}
        self.local_address = ""
        self.peer_address = ""
        self.learned_dns: tuple[str, ...] = ()

    def request(self) -> list[Option]:
        return [(kind, ipv4(address)) for kind, address in self.wanted.items()]

    def check(self, options: list[Option]) -> tuple[int, list[Option]]:
        acks: list[Option] = []
        naks: list[Option] = []
        rejects: list[Option] = []
        for kind, value in options:
            if len(value) != 4 or kind not in (IP_ADDRESS, PRIMARY_DNS, SECONDARY_DNS):
                rejects.append((kind, value))      # IP-Compression (VJ), WINS, anything else
            elif self.role == "client":
                (acks if kind == IP_ADDRESS else rejects).append((kind, value))
            elif kind == IP_ADDRESS:
                wrong = self.assign and ipv4_text(value) != self.assign
                (naks if wrong else acks).append((kind, ipv4(self.assign) if wrong else value))
            else:
                index = 0 if kind == PRIMARY_DNS else 1
                if index >= len(self.dns):
                    rejects.append((kind, value))
                elif ipv4_text(value) != self.dns[index]:
                    naks.append((kind, ipv4(self.dns[index])))
                else:
                    acks.append((kind, value))
        verdict = _verdict(acks, naks, rejects)
        if verdict[0] == CONF_ACK:
            self.peer_address = next((ipv4_text(v) for k, v in options if k == IP_ADDRESS), "")
        return verdict

    def nak(self, options: list[Option]) -> None:
        for kind, value in options:
            if kind in self.wanted and len(value) == 4:
                self.wanted[kind] = ipv4_text(value)

    def rejected(self, options: list[Option]) -> None:
        for kind, _ in options:
            self.wanted.pop(kind, None)

    def acked(self, options: list[Option]) -> None:
        values = {kind: ipv4_text(value) for kind, value in options if len(value) == 4}
        self.local_address = values.get(IP_ADDRESS, "")
        self.learned_dns = tuple(values[k] for k in (PRIMARY_DNS, SECONDARY_DNS) if values.get(k, ZERO) != ZERO)
