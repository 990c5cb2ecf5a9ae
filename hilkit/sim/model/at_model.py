"""A 3GPP modem's AT interpreter, as a dongle's firmware answers on its AT port.

Pure logic: lines in, lines out, plus unsolicited result codes pushed through ``emit``. The network
it sees (SIM state, registration after a delay, operator, signal) comes from the profile's
``virtual.network`` section.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable

from hilkit.core.profile import NetworkModel, VirtualSpec
from hilkit.sim.model.at_session import DataPeer, FinalCode, SessionCommands

_STAT = {"home": 1, "searching": 2, "denied": 3, "roaming": 5}
_ACT = {"gsm": 0, "gprs": 0, "umts": 2, "edge": 3, "hsdpa": 4, "hsupa": 5, "hspa": 6, "hspa-plus": 6,
        "lte": 7, "5gnr": 13}
_BASIC = re.compile(r"(S\d+)(=\d+|\?)|(&?[A-Z])(\d*)", re.IGNORECASE)


class ModemModel(SessionCommands):
    """The AT command set a Huawei stick answers: 27.007 registration, signal and operator, wvdial's init
    strings, and what a modem manager asks besides (:class:`~hilkit.sim.model.at_session.SessionCommands`)."""

    def __init__(self, spec: VirtualSpec, emit: Callable[[str], None],
                 schedule: Callable[[float, Callable[[], None]], int]) -> None:
        self.spec = spec
        self.net: NetworkModel = spec.network
        self.emit = emit
        self.schedule = schedule
        self.echo = True
        self.verbose = True
        self.cmee = 0
        self.urc = {"CREG": 0, "CGREG": 0, "CEREG": 0}
        self.sim_ready = self.net.sim == "ready"
        self.pin_tries = 3
        self.registered_at: float | None = None
        self.attached = False
        self.contexts: dict[int, tuple[str, str]] = {}
        self.active: set[int] = set()
        self.data_mode = False
        self.cops_format = 0
        self.auth: dict[int, int] = {}
        self.ndis = False
        self.data_link: Callable[[bool], None] | None = None
        self.data_peer_of: Callable[[], DataPeer | None] = lambda: None
        if self.sim_ready:
            self._start_registration()

    # -- network ---------------------------------------------------------------------------
    def _start_registration(self) -> None:
        if self.net.registration in ("home", "roaming"):
            self.registered_at = time.monotonic() + self.net.register_after
            self.schedule(self.net.register_after, self._registered)

    def _registered(self) -> None:
        self.attached = True
        for name, n in self.urc.items():
            if n and not (name == "CEREG" and self.net.technology != "lte"):
                self.emit(self._reg_urc(name))

    def stat(self) -> int:
        if not self.sim_ready:
            return 0
        if self.registered_at is not None:
            return _STAT[self.net.registration] if time.monotonic() >= self.registered_at else 2
        return _STAT.get(self.net.registration, 0)

    def _location(self) -> str:
        return f'"1A2B","01C3D4E",{_ACT[self.net.technology]}'

    def _reg_line(self, name: str, n: int) -> str:
        """Answer to ``AT+CxREG?``: ``+CxREG: <n>,<stat>[,<lac>,<ci>,<AcT>]``."""
        stat = self.stat()
        return f"+{name}: {n},{stat}" + (f",{self._location()}" if n >= 2 and stat in (1, 5) else "")

    def _reg_urc(self, name: str) -> str:
        """Unsolicited ``+CxREG: <stat>[,<lac>,<ci>,<AcT>]`` (no <n>)."""
        stat = self.stat()
        return f"+{name}: {stat}" + (f",{self._location()}" if self.urc[name] >= 2 and stat in (1, 5) else "")

    # -- command line ----------------------------------------------------------------------
    def line(self, text: str) -> list[str]:
        """Answer one command line (without its CR); returns the response lines, final code last."""
        stripped = text.strip()
        if not stripped:
            return []
        if stripped[:2].upper() != "AT":
            return []  # firmware ignores garbage that is not a command
        if self.data_mode:
            self.hang_up()  # no DTR on a pty or socket: AT text in data mode is the host hanging up
        body = stripped[2:]
        if body[:1].upper() == "D":
            try:
                return self.dial(body[1:].strip())
            except _Final as final:
                return [final.code]
        out: list[str] = []
        try:
            for command in self._split(body):
                out.extend(self._one(command))
        except _Final as final:
            return out + [final.code]
        return out + ["OK"]

    @staticmethod
    def _split(body: str) -> list[str]:
        """``Q0 V1 E1 S0=0 &C1 &D2 +FCLASS=0`` -> each command; extended ones run to ``;``."""
        commands, i = [], 0
        while i < len(body):
            ch = body[i]
            if ch in " ;":
                i += 1
            elif ch in "+^":
                end = body.find(";", i)
                end = len(body) if end < 0 else end
                commands.append(body[i:end].strip())
                i = end
            else:
                match = _BASIC.match(body, i)
                if not match:
                    raise _Final("ERROR")
                commands.append(match.group(0))
                i = match.end()
        return commands

    def _error(self, code: int, text: str) -> _Final:
        if self.cmee == 0:
            return _Final("ERROR")
        return _Final(f"+CME ERROR: {code}" if self.cmee == 1 else f"+CME ERROR: {text}")

    def _one(self, command: str) -> list[str]:
        upper = command.upper()
        if upper[0] not in "+^":
            return self._basic(upper)
        if "=" in command:
            name, arg = upper[1:upper.index("=")], command[command.index("=") + 1:]
            query = arg == "?"  # the test form, AT+CMD=?
        else:
            name, arg, query = upper[1:].rstrip("?"), None, upper.endswith("?")
        handler = getattr(self, f"_cmd_{name}", None)
        if handler is None:
            raise _Final("ERROR")
        return handler(query, arg)

    def _basic(self, cmd: str) -> list[str]:
        letter, value = (cmd[:2], cmd[2:]) if cmd.startswith("&") else (cmd[:1], cmd[1:])
        if letter == "E":
            self.echo = value != "0"
        elif letter == "V":
            self.verbose = value != "0"
        elif letter == "Z":
            self.echo, self.verbose, self.cmee = True, True, 0
        elif letter == "I":
            return [self.spec.manufacturer or "huawei", self.spec.model or "modem", self.spec.revision]
        elif letter == "H":
            self.hang_up()
        elif letter in ("Q", "S", "&C", "&D", "&F", "X", "L", "M"):
            pass
        else:
            raise _Final("ERROR")
        return []

    # -- extended commands: _cmd_<NAME>(query, arg) ----------------------------------------
    def _need_sim(self) -> None:
        if self.net.sim == "absent":
            raise self._error(10, "SIM not inserted")
        if not self.sim_ready:
            raise self._error(11, "SIM PIN required")

    def _cmd_CMEE(self, query: bool, arg: str | None) -> list[str]:
        if query:
            return [f"+CMEE: {self.cmee}"]
        self.cmee = int(arg or 0)
        return []

    def _cmd_CGMI(self, query: bool, arg: str | None) -> list[str]:
        return [self.spec.manufacturer or "huawei"]

    def _cmd_CGMM(self, query: bool, arg: str | None) -> list[str]:
        return [self.spec.model or "modem"]

    def _cmd_CGMR(self, query: bool, arg: str | None) -> list[str]:
        return [self.spec.revision]

    def _cmd_CGSN(self, query: bool, arg: str | None) -> list[str]:
        return [self.spec.imei]

    _cmd_GSN = _cmd_CGSN

    def _cmd_FCLASS(self, query: bool, arg: str | None) -> list[str]:
        return ["0"] if query else []

    def _cmd_CPIN(self, query: bool, arg: str | None) -> list[str]:
        if self.net.sim == "absent":
            raise self._error(10, "SIM not inserted")
        if arg is None or query:
            return ["+CPIN: READY" if self.sim_ready else "+CPIN: SIM PIN"]
        if self.sim_ready:
            return []
        if arg.strip().strip('"') == self.net.sim_pin:
            self.sim_ready = True
            self._start_registration()
            return []
        self.pin_tries -= 1
        raise self._error(16, "incorrect password")

    def _reg(self, name: str, query: bool, arg: str | None) -> list[str]:
        if arg is not None and not query:
            self.urc[name] = int(arg or 0)
            return []
        return [self._reg_line(name, self.urc[name])]

    def _cmd_CREG(self, query: bool, arg: str | None) -> list[str]:
        return self._reg("CREG", query, arg)

    def _cmd_CGREG(self, query: bool, arg: str | None) -> list[str]:
        return self._reg("CGREG", query, arg)

    def _cmd_CEREG(self, query: bool, arg: str | None) -> list[str]:
        if self.net.technology != "lte":
            return self._reg("CEREG", query, arg) if arg is not None and not query else ["+CEREG: 0,0"]
        return self._reg("CEREG", query, arg)

    def _cmd_CGATT(self, query: bool, arg: str | None) -> list[str]:
        self._need_sim()
        if arg is None or query:
            return [f"+CGATT: {int(self.attached and self.stat() in (1, 5))}"]
        if arg.strip() == "1" and self.stat() not in (1, 5):
            raise self._error(30, "no network service")
        self.attached = arg.strip() == "1"
        return []

    def _cmd_CSQ(self, query: bool, arg: str | None) -> list[str]:
        return [f"+CSQ: {self.net.csq if self.sim_ready else 99},99"]

    def _cmd_COPS(self, query: bool, arg: str | None) -> list[str]:
        """+COPS? in the format last set (``AT+COPS=3,<format>``: 0 long name, 2 numeric MCCMNC)."""
        if arg is not None and not query:
            mode, _, fmt = arg.partition(",")
            if mode.strip() == "3" and fmt.strip() in ("0", "1", "2"):
                self.cops_format = int(fmt)
            return []
        if self.stat() in (1, 5):
            name = self.net.mcc_mnc if self.cops_format == 2 else self.net.operator
            return [f'+COPS: 0,{self.cops_format},"{name}",{_ACT[self.net.technology]}']
        return ["+COPS: 0"]

    def _cmd_AUTHDATA(self, query: bool, arg: str | None) -> list[str]:
        """Huawei ^AUTHDATA=<cid>,<auth>,<plmn>,<password>,<username>: PDP authentication."""
        if arg is None or query:
            return [f'^AUTHDATA: {cid},{auth},"","",""' for cid, auth in sorted(self.auth.items())]
        parts = [p.strip() for p in arg.split(",")]
        if len(parts) < 2 or not parts[0].isdigit() or not parts[1].isdigit():
            raise _Final("ERROR")
        self.auth[int(parts[0])] = int(parts[1])
        return []


_Final = FinalCode
