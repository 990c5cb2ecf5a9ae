"""What a device profile says about a dongle: its modes, the switches between them, attach, budgets.

Plain frozen data; loading and checking is in :mod:`hilkit.config.profiles`.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from hilkit.core.ids import ClassTriple, HasEndpointAddress, UsbId
from hilkit.core.switchconfig import SwitchConfig

#: roles whose interface the kernel exposes as a tty (option/qcserial/cdc-acm)
TTY_ROLES = frozenset({"at", "diag", "ppp"})


@dataclass(frozen=True)
class EndpointSpec(HasEndpointAddress):
    address: int
    type: str = "bulk"
    max_packet: int = 512


@dataclass(frozen=True)
class InterfaceSpec(ClassTriple):
    number: int
    role: str
    alt: int = 0
    name: str = ""
    endpoints: tuple[EndpointSpec, ...] = ()


@dataclass(frozen=True)
class ModeSpec:
    name: str
    ids: tuple[UsbId, ...]
    device_class: int
    interfaces: tuple[InterfaceSpec, ...]
    initial: bool = False
    observed_id: UsbId | None = None
    configuration: int = 1
    manufacturer: str = ""
    product: str = ""
    description: str = ""
    #: "all": ids, device class and interfaces are the device's; "ids": only the ids are (the rest
    #: is what the virtual dongle shows: a usb-modeswitch-data import knows ids and switch keys only)
    known: str = "all"

    @property
    def enumerates_as(self) -> UsbId:
        """The id a real stick came up with in this mode (what the virtual dongle uses)."""
        return self.observed_id or self.ids[0]

    def interfaces_with_role(self, role: str) -> list[InterfaceSpec]:
        return [i for i in self.interfaces if i.role == role and i.alt == 0]

    def describe(self) -> str:
        ids = "|".join(str(i) for i in self.ids)
        classes = ", ".join(f"{i.number}:{i.classes}" for i in self.interfaces if i.alt == 0)
        return f"{ids} class {self.device_class:02x} [{classes}]"


@dataclass(frozen=True)
class SwitchSpec:
    source: str
    target: str
    config: SwitchConfig
    name: str = ""
    line: int | None = None

    @property
    def label(self) -> str:
        return self.name or f"{self.source} -> {self.target}"


@dataclass(frozen=True)
class RefuseSpec:
    """A switch known not to work on this dongle: the engine must refuse it before sending."""

    name: str
    config: SwitchConfig
    error: str
    line: int | None = None


@dataclass(frozen=True)
class AttachSpec:
    method: str
    port_role: str = "at"
    registration: tuple[str, ...] = ("home", "roaming")
    technology: tuple[str, ...] = ()
    min_signal_dbm: float = -113.0
    packet_attach: bool = True
    apn: str = ""
    sim_pin_env: str = ""
    url: str = ""              # hilink: the stick's web API (http://192.168.8.1 when not given)
    number: str = ""           # dial string for PPP / NetworkManager (*99# when not given)
    username: str = ""
    password_env: str = ""     # environment variable holding the APN password (never in a file here)
    login_user: str = "admin"  # hilink: the web UI's user
    login_password_env: str = ""   # hilink: environment variable holding the web UI's password


#: how a data session comes up, by attach method (``at``: NDIS where the working mode has a
#: network function, else PPP dial-up)
DATA_METHODS = ("bearer", "hilink", "ndis", "ppp")


@dataclass(frozen=True)
class DataSpec:
    """The data session after attach, and its limits: the checks of the ``online`` state.

    The default check URL is the one Android phones use to tell a working network from a captive
    portal (an empty 204 answer); DNS asks for its host name."""

    method: str = ""                   # "" = from attach.method (see Profile.data_method)
    check_url: str = "http://connectivitycheck.gstatic.com/generate_204"
    check_status: int = 204
    max_rtt_ms: float = 1000.0
    min_throughput_kbps: float = 0.0  # 0: measured and shown, no floor
    #: the address must be there this long after the session is up (DHCP or the bearer's settings)
    address_budget: float = 30.0


@dataclass(frozen=True)
class Budgets:
    """Seconds each phase may take on a real rig."""

    enumerate: float = 15.0
    switch: float = 20.0          # the ceiling: a switch that settles elsewhere fails sooner
    attach: float = 90.0
    connect: float = 60.0         # from attached to a data session up (bearer, dial, NDIS, PPP CONNECT)
    #: no USB event on the port for this long and the device that came back has settled
    settle: float = 1.5
    #: after power-on or a switch, the device must stay in its mode this long (a loop fails)
    stable: float = 3.0


@dataclass(frozen=True)
class NetworkModel:
    """The cellular network a virtual dongle sees."""

    sim: str = "ready"
    sim_pin: str = ""
    registration: str = "home"
    technology: str = "umts"
    operator: str = "hilkit virtual network"
    mcc_mnc: str = "00101"
    csq: int = 20
    register_after: float = 0.2
    login_password: str = ""   # a virtual HiLink stick's web UI password: set, the stick asks for a login


@dataclass(frozen=True)
class VirtualSpec:
    """How the virtual lab's model of this dongle behaves (delays in seconds)."""

    enumerate_delay: float = 0.05
    reenumerate_delay: float = 0.15
    manufacturer: str = ""
    model: str = ""
    revision: str = "11.000.00.00.000"
    imei: str = "860000000000001"
    network: NetworkModel = field(default_factory=NetworkModel)
    #: what the simulated firmware also switches on, beyond the profile's own switches
    firmware_switches: tuple[SwitchSpec, ...] = ()


@dataclass(frozen=True)
class Profile:
    key: str
    path: str
    vendor: str
    model: str
    modes: dict[str, ModeSpec]
    switches: tuple[SwitchSpec, ...] = ()
    refuse: tuple[RefuseSpec, ...] = ()
    attach: AttachSpec | None = None
    data: DataSpec = field(default_factory=DataSpec)
    budgets: Budgets = field(default_factory=Budgets)
    virtual: VirtualSpec = field(default_factory=VirtualSpec)
    firmware: str = ""
    description: str = ""
    source: str = ""
    match: dict[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"{self.vendor} {self.model}" + (f" · {self.firmware}" if self.firmware else "")

    @property
    def initial_mode(self) -> ModeSpec:
        return next(m for m in self.modes.values() if m.initial)

    @property
    def data_method(self) -> str:
        """How this dongle's data session comes up: the profile's ``data.method``, else what its
        attach method implies (AT: NDIS when the working mode has a network function, else PPP)."""
        if self.data.method:
            return self.data.method
        method = self.attach.method if self.attach else ""
        if method == "modemmanager":
            return "bearer"
        if method == "hilink":
            return "hilink"
        return "ndis" if self.final_mode.interfaces_with_role("net") else "ppp"

    def mode(self, name: str) -> ModeSpec:
        try:
            return self.modes[name]
        except KeyError:
            raise KeyError(f"{self.key} has no mode {name!r} (modes: {', '.join(self.modes)})") from None

    def switch_path(self, source: str, target: str) -> list[SwitchSpec]:
        """The shortest chain of switches from ``source`` to ``target`` ([] when they are the same)."""
        if source == target:
            return []
        queue: deque[tuple[str, list[SwitchSpec]]] = deque([(source, [])])
        seen = {source}
        while queue:
            here, path = queue.popleft()
            for sw in self.switches:
                if sw.source == here and sw.target not in seen:
                    if sw.target == target:
                        return path + [sw]
                    seen.add(sw.target)
                    queue.append((sw.target, path + [sw]))
        raise LookupError(f"{self.key}: no switch leads from mode {source!r} to {target!r}")

    @property
    def final_mode(self) -> ModeSpec:
        """The mode the dongle is meant to be used in: the last one reachable by switches."""
        mode = self.initial_mode
        seen = {mode.name}
        while True:
            nxt = [s for s in self.switches if s.source == mode.name and s.target not in seen]
            if not nxt:
                return mode
            mode = self.modes[nxt[0].target]
            seen.add(mode.name)
