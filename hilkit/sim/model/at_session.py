"""The AT commands a modem manager sends beyond registration: SIM files, character sets, facility
locks, flow control, packet-domain events, PDP contexts, dial-up and hang-up.

What the real ModemManager asks a generic modem, in order, is in
``shared/reference/modemmanager-test-mode.md``; each answer follows 3GPP TS 27.007 / 27.005 and
TS 31.102 (the SIM's elementary files). A mixin of :class:`~hilkit.sim.model.at_model.ModemModel`.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from hilkit.core.profile import NetworkModel, VirtualSpec

#: SIM elementary files (TS 31.102 / 51.011) by the decimal file id +CRSM takes
EF_ICCID, EF_AD, EF_SPN = 12258, 28589, 28486


class FinalCode(Exception):
    """Ends a command line with this final result code instead of OK."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _bcd_swapped(digits: str) -> str:
    """TS 51.011 ICCID coding: digit pairs swapped, padded with F."""
    padded = digits + "F" * (len(digits) % 2)
    return "".join(padded[i + 1] + padded[i] for i in range(0, len(padded), 2))


#: technology -> Huawei ^SYSINFOEX (sysmode, name, submode, subname): 1 GSM, 3 WCDMA, 6 LTE
_SYSMODES = {"gsm": (1, "GSM", 1, "GSM"), "gprs": (1, "GSM", 2, "GPRS"), "edge": (1, "GSM", 3, "EDGE"),
             "umts": (3, "WCDMA", 41, "WCDMA"), "hsdpa": (3, "WCDMA", 42, "HSDPA"), "hsupa": (3, "WCDMA", 43, "HSUPA"),
             "hspa": (3, "WCDMA", 44, "HSPA"), "hspa-plus": (3, "WCDMA", 45, "HSPA+"), "lte": (6, "LTE", 101, "LTE")}


class DataPeer(Protocol):
    """The network's side of a dial-up call (PPP): what the host sends in data mode goes to it."""

    def connected(self, reply: Callable[[bytes], None]) -> None:
        """CONNECT went out on a port (``reply`` sends to the host there): the call's side may speak first."""

    def receive(self, data: bytes, reply: Callable[[bytes], None]) -> bytes:
        """Take bytes from the host (``reply`` sends to it); return those that were not the call's."""

    def hang_up(self) -> None:
        """The call ended on the modem's side (DTR drop, AT text, unplug)."""


class SessionCommands:
    """SIM, PDP context and data-call commands; ``_cmd_<NAME>(query, arg)`` like the model's own."""

    spec: VirtualSpec
    net: NetworkModel
    contexts: dict[int, tuple[str, str]]
    active: set[int]
    data_mode: bool
    cmee: int
    sim_ready: bool
    stat: Callable[[], int]
    _need_sim: Callable[[], None]
    _error: Callable[[int, str], FinalCode]
    emit: Callable[[str], None]
    schedule: Callable[[float, Callable[[], None]], int]
    #: the dongle's network function is connected (NDIS call up) or not: the lab's link follows it
    data_link: Callable[[bool], None] | None
    #: the network's side of a dial-up call, if the lab gives the dongle one (asked at each call)
    data_peer_of: Callable[[], DataPeer | None]
    ndis: bool

    # -- identity and SIM -----------------------------------------------------------------
    @property
    def imsi(self) -> str:
        return (self.net.mcc_mnc + "0123456789")[:15]

    @property
    def iccid(self) -> str:
        return "8949" + self.spec.imei[-15:].rjust(15, "0")

    def _cmd_SYSINFOEX(self, query: bool, arg: str | None) -> list[str]:
        """Huawei ``^SYSINFOEX: <srv_status>,<srv_domain>,<roam>,<sim_state>,<lock>,<sysmode>,"<name>",
        <submode>,"<subname>"`` (what ModemManager's Huawei plugin reads the access technology from)."""
        registered = self.stat() in (1, 5)
        sysmode, name, submode, subname = _SYSMODES.get(self.net.technology, (3, "WCDMA", 41, "WCDMA"))
        if not registered:
            return [f'^SYSINFOEX: 0,0,0,{1 if self.sim_ready else 255},,0,"",0,""']
        roam = int(self.stat() == 5)
        return [f'^SYSINFOEX: 2,3,{roam},1,,{sysmode},"{name}",{submode},"{subname}"']

    def _cmd_GCAP(self, query: bool, arg: str | None) -> list[str]:
        return ["+GCAP: +CGSM,+DS,+ES"]

    def _cmd_CIMI(self, query: bool, arg: str | None) -> list[str]:
        self._need_sim()
        return [self.imsi]

    def _cmd_CRSM(self, query: bool, arg: str | None) -> list[str]:
        """Restricted SIM access: READ BINARY (176) of ICCID, AD and SPN; other files are not found."""
        self._need_sim()
        parts = [p.strip() for p in (arg or "").split(",")]
        if len(parts) < 2 or parts[0] != "176" or not parts[1].isdigit():
            return ["+CRSM: 106,130"]   # function not supported
        data = {EF_ICCID: _bcd_swapped(self.iccid),
                EF_AD: "00000002" if len(self.net.mcc_mnc) == 5 else "00000003",
                EF_SPN: "01" + self.net.operator.encode("ascii", "replace")[:16].hex().upper().ljust(32, "F")}
        found = data.get(int(parts[1]))
        return [f'+CRSM: 144,0,"{found}"'] if found is not None else ["+CRSM: 106,130"]   # file not found

    def _cmd_CSCS(self, query: bool, arg: str | None) -> list[str]:
        if query and arg == "?":
            return ['+CSCS: ("IRA","GSM")']
        if arg is None or query:
            return ['+CSCS: "IRA"']
        if arg.strip('"').upper() not in ("IRA", "GSM"):
            raise self._error(4, "operation not supported")
        return []

    def _cmd_CLCK(self, query: bool, arg: str | None) -> list[str]:
        if arg == "?":
            return ['+CLCK: ("SC","FD","PS")']
        facility, _, mode = (arg or "").partition(",")
        if mode.strip().startswith("2"):   # query status
            return [f"+CLCK: {int(facility.strip(chr(34)) == 'SC' and bool(self.net.sim_pin))}"]
        raise self._error(3, "operation not allowed")

    def _cmd_CFUN(self, query: bool, arg: str | None) -> list[str]:
        if arg == "?":
            return ["+CFUN: (0,1,4),(0-1)"]
        return ["+CFUN: 1"] if arg is None or query else []

    def _cmd_IFC(self, query: bool, arg: str | None) -> list[str]:
        return ["+IFC: (0-2),(0-2)"] if arg == "?" else (["+IFC: 2,2"] if query else [])

    def _cmd_CGEREP(self, query: bool, arg: str | None) -> list[str]:
        return ["+CGEREP: (0-2),(0-1)"] if arg == "?" else (["+CGEREP: 0,0"] if query else [])

    # -- PDP contexts, dial-up, hang-up ----------------------------------------------------
    def _cmd_CGDCONT(self, query: bool, arg: str | None) -> list[str]:
        if arg == "?":
            return [f'+CGDCONT: (1-11),"{pdp}",,,(0-2),(0-4)' for pdp in ("IP", "IPV6", "IPV4V6")]
        if arg is None or query:
            return [f'+CGDCONT: {cid},"{pdp}","{apn}","0.0.0.0",0,0'
                    for cid, (pdp, apn) in sorted(self.contexts.items())]
        parts = [p.strip().strip('"') for p in arg.split(",")]
        if not parts[0].isdigit():
            raise FinalCode("ERROR")
        if len(parts) == 1:
            self.contexts.pop(int(parts[0]), None)   # AT+CGDCONT=<cid> deletes it
        else:
            self.contexts[int(parts[0])] = (parts[1] or "IP", parts[2] if len(parts) > 2 else "")
        return []

    def _cmd_CGACT(self, query: bool, arg: str | None) -> list[str]:
        if arg == "?":
            return ["+CGACT: (0,1)"]
        if arg is None or query:
            return [f"+CGACT: {cid},{int(cid in self.active)}" for cid in sorted(self.contexts)]
        state, _, cids = arg.partition(",")
        for cid in (int(c) for c in cids.split(",") if c.strip().isdigit()):
            (self.active.add if state.strip() == "1" else self.active.discard)(cid)
        return []

    def dial(self, number: str) -> list[str]:
        """``ATD*99***<cid>#`` / ``ATD*99#``: the packet data call; CONNECT puts the port in data mode."""
        self._need_sim()
        if not number.startswith("*99"):
            raise FinalCode("NO CARRIER")   # a voice call: a data stick has none
        cid = number.rstrip("#").split("*")[-1] if number.count("*") >= 4 else "1"
        if not cid.isdigit() or int(cid) not in self.contexts:
            raise self._error(148, "unspecified GPRS error") if self.cmee else FinalCode("NO CARRIER")
        self.active.add(int(cid))
        self.data_mode = True
        raise FinalCode("CONNECT")

    def hang_up(self) -> None:
        """DTR drop or the port closed in data mode: the call ends (its context stays active, as PPP's LCP
        would leave it until +CGACT=0)."""
        was, self.data_mode = self.data_mode, False
        peer = self.data_peer_of() if was else None
        if peer is not None:
            peer.hang_up()

    # -- Huawei NDIS: the network function's call (AT^NDISDUP; HUAWEI ME909/MU609 AT interface spec) --
    def _cmd_NDISDUP(self, query: bool, arg: str | None) -> list[str]:
        """``^NDISDUP=<cid>,<connect>[,<apn>[,<user>[,<password>[,<auth>]]]]``: OK at once; the call's
        state comes later as ``^NDISSTAT: <stat>,<err>,<wx_stat>,<pdp_type>``."""
        if arg is None or query:
            return ["^NDISDUP: (1-16),(0-1)"] if query else []
        parts = [p.strip().strip('"') for p in arg.split(",")]
        if len(parts) < 2 or not parts[0].isdigit() or parts[1] not in ("0", "1"):
            raise FinalCode("ERROR")
        up = parts[1] == "1"
        if up:
            self._need_sim()
            if self.stat() not in (1, 5):
                raise self._error(30, "no network service")
        self.schedule(0.05 if up else 0.0, lambda: self._ndis_changed(up))
        return []

    def _ndis_changed(self, up: bool) -> None:
        if self.ndis == up:
            return
        self.ndis = up
        if self.data_link is not None:   # the link first: who hears the URC finds the link as it says
            self.data_link(up)
        self.emit(f'^NDISSTAT: {int(up)},,,"IPV4"')

    def _cmd_NDISSTATQRY(self, query: bool, arg: str | None) -> list[str]:
        return [f'^NDISSTATQRY: {int(self.ndis)},,,"IPV4"']
