"""A virtual dongle's life on the bus: power, enumeration in its modes, and leaving it when a switch is let go."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import replace as dc_replace
from typing import TYPE_CHECKING, TypeVar

from hilkit.core.ids import UsbId
from hilkit.core.profile import ModeSpec, NetworkModel, Profile, VirtualSpec
from hilkit.sim.model.at_model import ModemModel
from hilkit.sim.model.at_session import DataPeer
from hilkit.sim.model.fault_dice import FaultInjector
from hilkit.sim.model.hilink_stick import VirtualHiLinkStick
from hilkit.sim.model.kernel import Binding, SimKernel
from hilkit.sim.model.received_transfer import Received
from hilkit.sim.model.scheduler import Scheduler

if TYPE_CHECKING:
    from collections.abc import Callable

_Served = TypeVar("_Served")


@dataclass(frozen=True)
class _Leaving:
    """A switch the firmware accepted: where it comes back, and which host handle sent it."""

    mode: ModeSpec
    comes_back: bool
    owner: object = None
    loops: bool = False   # the reenumeration_loop fault: once back, it keeps dropping off and returning


@dataclass(frozen=True)
class ModemProbe:
    """A modem as a ModemManager probing its ports finds it."""

    imei: str
    manufacturer: str
    model: str
    revision: str
    drivers: tuple[str, ...]
    ports: tuple[str, ...]
    network: NetworkModel


class DongleLifecycle:
    """One dongle on one port, as the bus sees it come and go: its relay's power, its enumerations
    (the firmware's functions and the kernel's drivers for each mode), its switches and ModemManager
    picking it up. The state the device side of its transfers shares lives here too, under one lock."""

    def __init__(self, profile: Profile, port: str, scheduler: Scheduler, kernel: SimKernel,
                 notify: Callable[[str, str, str], None], next_address: Callable[[], int],
                 faults: FaultInjector | None = None) -> None:
        self.profile = profile
        self.port = port
        self.bus_number = int(port.split("-")[0])
        self.port_numbers = tuple(int(p) for p in port.split("-")[1].split("."))
        self._scheduler = scheduler
        self._kernel = kernel
        self._notify = notify
        self._next_address = next_address
        self._ttys_vanished = False  # tty_vanish fired: the ports are closing, nothing may probe them
        self.faults = faults or FaultInjector()
        self._stays_gone = False  # a fault took it off the bus until the next power cycle
        self._lock = threading.RLock()
        self._timer: int | None = None
        self.powered = False
        self.mode: ModeSpec | None = None
        self.generation = 0
        self.address = 0
        self.configuration = 0
        self.transfers: list[Received] = []
        self.detached: set[int] = set()
        self.modem: ModemModel | None = None
        self.hilink: VirtualHiLinkStick | None = None  # the web API of a HiLink-mode stick
        #: told when the network function's session goes up or down (the lab's carrier link follows)
        self.data_link: Callable[[bool], None] | None = None
        #: the network's side of a dial-up call on this dongle (the lab's PPP far end), when it has one
        self.data_peer: DataPeer | None = None
        self.binding = Binding()
        self._csw: dict[int, bytes] = {}
        self._stalled: set[int] = set()
        self._reconnected = False
        self._leaving: _Leaving | None = None  # a switch was accepted: leaves when the host lets go
        self.power_log: list[tuple[float, bool]] = []
        self._power_cycles = 0
        self._late = False  # slow_enumeration fired: enumerates after the host gave up on it

    # -- power and enumeration -------------------------------------------------------------
    def set_power(self, on: bool) -> None:
        gone_from = None
        with self._lock:
            if on == self.powered:
                return
            self.powered = on
            self.power_log.append((time.monotonic(), on))
            self._power_cycles += 1
            self._scheduler.cancel(self._timer)
            if on:
                delay = self.profile.virtual.enumerate_delay
                self._late = self.faults.fires("slow_enumeration", self.port)
                if self._late:  # comes up when the host gave up waiting, or well past any budget
                    delay += self.profile.budgets.enumerate * 2
                self._timer = self._scheduler.after(delay, lambda: self._enumerate(self.profile.initial_mode))
            else:
                self._reconnected = False
                self._stays_gone = False
                self._leaving = None
                gone_from = self._go_dark()
        # told outside the lock, as _unplug does: the host side (umockdev's world) takes its own lock
        # and then asks this dongle, so holding ours across it would deadlock with a come-back
        if gone_from is not None:
            self._announce_unplug(*gone_from)

    def host_gave_up(self) -> None:
        """A wait for this port ran out: a late dongle (slow_enumeration) comes up now, after the
        deadline whatever the machine's speed, instead of at a time that races it."""
        with self._lock:
            if not (self._late and self.powered and self.mode is None):
                return
            self._late = False
            self._scheduler.cancel(self._timer)
            self._timer = self._scheduler.after(0, lambda: self._enumerate(self.profile.initial_mode))

    def _enumerate(self, mode: ModeSpec) -> None:
        with self._lock:
            if not self.powered or self.mode is not None or self._stays_gone:
                return
            self._late = False
            self.mode = mode
            self.generation += 1
            self.address = self._next_address()
            self.configuration = mode.configuration
            self.detached.clear()
            self._csw.clear()
            self._stalled.clear()
            self._leaving = None
            self._bring_up(mode)
            ident = mode.enumerates_as
        self._notify("add", self.port, f"{ident} ({mode.name})")

    def _bring_up(self, mode: ModeSpec) -> None:
        """Under the lock: the firmware's functions for ``mode`` (AT model, HiLink server) and the
        kernel's drivers, faults applied."""
        has_at = any(i.role in ("at", "ppp") for i in mode.interfaces)
        spec = self._virtual_spec(mode)
        self.modem = ModemModel(spec, self._broadcast, self._scheduler.after) if has_at else None
        if self.modem is not None:
            self.modem.data_link = self._data_link_changed
            self.modem.data_peer_of = lambda: self.data_peer
        self.binding = self._kernel.bind(self.port, mode, self.modem, interfere=self._at_fault)
        attach = self.profile.attach
        if attach is not None and attach.method == "hilink" and mode.interfaces_with_role("net"):
            self.hilink = VirtualHiLinkStick(spec)
            self.hilink.data_link = self._data_link_changed
        self._ttys_vanished = bool(self.binding.ports) and self.faults.fires("tty_vanish", self.port)
        if self._ttys_vanished:
            for pty in self.binding.ports:
                self._scheduler.after(0, pty.close)

    def _data_link_changed(self, up: bool) -> None:
        """The firmware's session went up or down: tell whoever the lab made listen (it may start
        listening after this enumeration, when the lab builds its data path on first use)."""
        listener = self.data_link
        if listener is not None:
            listener(up)

    def end_call(self) -> None:
        """The network ended the dial-up call: the modem leaves data mode (and says NO CARRIER)."""
        modem = self.modem
        if modem is not None:
            modem.hang_up()

    def _unplug(self) -> None:
        with self._lock:
            gone_from = self._go_dark()
        if gone_from is not None:
            self._announce_unplug(*gone_from)

    def _go_dark(self) -> tuple[ModeSpec, Binding, VirtualHiLinkStick | None] | None:
        """Under the lock: off the bus from now on (every handle fails with ENODEV); returns what
        :meth:`_announce_unplug` must tear down and tell, or None if it was not on the bus."""
        if self.mode is None:
            return None
        mode, self.mode = self.mode, None
        binding, self.binding = self.binding, Binding()
        self.modem = None
        hilink, self.hilink = self.hilink, None
        return mode, binding, hilink

    def _announce_unplug(self, mode: ModeSpec, binding: Binding, hilink: VirtualHiLinkStick | None) -> None:
        """Outside the lock: the kernel unbinds, and the host hears of it."""
        self._kernel.unbind(binding)
        if hilink is not None:
            hilink.close()
        self._data_link_changed(False)   # its network function went with it
        if self.data_peer is not None:
            self.data_peer.hang_up()     # and any dial-up call
        self._notify("remove", self.port, f"{mode.enumerates_as} ({mode.name})")

    def _virtual_spec(self, mode: ModeSpec) -> VirtualSpec:
        """The dongle's behaviour for this enumeration, with any network fault applied."""
        spec = self.profile.virtual
        if not any(i.role in ("at", "ppp", "net") for i in mode.interfaces):
            return spec
        if self.faults.fires("sim_absent", self.port):
            return dc_replace(spec, network=dc_replace(spec.network, sim="absent"))
        if self.faults.fires("registration_denied", self.port):
            return dc_replace(spec, network=dc_replace(spec.network, registration="denied"))
        return spec

    def _at_fault(self, line: str) -> str | None:
        """Asked by an AT port before answering a command: garbage, truncate, vanish or None."""
        if not line.strip():
            return None
        for fault, action in (("vanish_during_at", "vanish"), ("at_garbage", "garbage"),
                              ("at_truncated", "truncate")):
            if self.faults.fires(fault, self.port):
                if action == "vanish":
                    with self._lock:
                        self._stays_gone = True
                    self._scheduler.after(0, self._unplug)
                return action
        return None

    def modem_probe(self) -> ModemProbe | None:
        """What a ModemManager probing this device's ports now finds: its AT, other tty and net
        ports with their drivers (as the kernel bound them) and the modem's identity (as its
        firmware answers ATI/+CGSN); None when no AT port answers (no modem, or the ttys went)."""
        with self._lock:
            mode = self.mode
            if mode is None or self.modem is None or self._ttys_vanished:
                return None
            ports, drivers = [], []
            for itf in mode.interfaces:
                entry = self.binding.view.get(itf.number, {})
                if itf.alt or not entry:
                    continue
                if entry.get("driver") and entry["driver"] not in drivers:
                    drivers.append(entry["driver"])
                if entry.get("tty"):
                    kind = "at" if itf.role in ("at", "ppp") else "ignored"
                    ports.append(f"{entry['tty'].rsplit('/', 1)[-1]} ({kind})")
                if entry.get("net"):
                    ports.append(f"{entry['net']} (net)")
            spec = self.profile.virtual
            return ModemProbe(spec.imei, spec.manufacturer or self.profile.vendor.lower(),
                              spec.model or self.profile.model, spec.revision, tuple(drivers), tuple(ports),
                              self.modem.net)

    def _switch_to(self, target: str | ModeSpec, owner: object = None) -> None:
        """The firmware accepted a switch: it leaves the bus once the host that sent it lets go
        (see :meth:`let_go`), and comes back in ``target``."""
        mode = target if isinstance(target, ModeSpec) else self.profile.mode(target)
        comes_back = not self.faults.fires("no_reenumeration", self.port)
        if comes_back and self.faults.fires("wrong_id", self.port):
            wrong = UsbId(mode.enumerates_as.vendor, (mode.enumerates_as.product + 0x0100) & 0xFFFF)
            mode = dc_replace(mode, ids=(wrong,), observed_id=wrong)
        elif comes_back and self.faults.fires("wrong_classes", self.port):
            first = mode.interfaces[0]
            odd = dc_replace(first, cls=0xFE if first.cls != 0xFE else 0xFD, subclass=0x01, protocol=0x01)
            mode = dc_replace(mode, interfaces=(odd,) + mode.interfaces[1:])
        loops = comes_back and self.faults.fires("reenumeration_loop", self.port)
        with self._lock:
            self._scheduler.cancel(self._timer)
            self._leaving = _Leaving(mode, comes_back, owner, loops)

    def settled(self) -> bool:
        """Nothing is on its way to change this dongle on the bus: no switch accepted and waiting
        for the host to let go, no (re-)enumeration scheduled. What the host sees now stays."""
        with self._lock:
            return self._leaving is None and not self._scheduler.pending(self._timer)

    def leaving(self, generation: int) -> bool:
        """Has this enumeration accepted a switch, and waits for the host to let go?"""
        with self._lock:
            return self._leaving is not None and generation == self.generation

    def let_go(self, generation: int, owner: object = None) -> None:
        """The host released an interface, reset the device or closed its handle.

        A stick that accepted a switch answers what the host still sends for it (the CSW, the
        clear-halts) and drops off the bus when the host is done with it. On a real stick that
        moment is the firmware's own and races the host; here it is this event, so what the
        device receives never depends on how fast the machine runs the host. Only the handle
        that sent the switch counts (``owner``; None: any), not another reader of the bus.
        """
        with self._lock:
            leaving = self._leaving
            if leaving is None or generation != self.generation or \
                    None not in (owner, leaving.owner) and owner != leaving.owner:
                return
            self._leaving = None
            gone_from = self._go_dark()
            cycles = self._power_cycles
        if gone_from is None:
            return

        def come_back() -> None:
            with self._lock:
                same_power = self.powered and cycles == self._power_cycles
            if same_power:
                self._enumerate(leaving.mode)
                if leaving.loops:
                    self._keep_looping(leaving.mode, cycles)

        # Both on the clock, timed from now: the caller may be a kernel ioctl handler of this
        # device, and a late-running announcement must not push the return later.
        self._scheduler.after(0, lambda: self._announce_unplug(*gone_from))
        if leaving.comes_back:
            with self._lock:
                self._timer = self._scheduler.after(self.profile.virtual.reenumerate_delay, come_back)

    def _keep_looping(self, mode: ModeSpec, cycles: int) -> None:
        """The reenumeration_loop fault: off the bus again a moment after arriving, and back, for as
        long as the power stays on (a power cut cancels the timer)."""
        delay = self.profile.virtual.reenumerate_delay

        def drop() -> None:
            with self._lock:
                if not (self.powered and cycles == self._power_cycles):
                    return
                gone_from = self._go_dark()
                self._timer = self._scheduler.after(delay, back)
            if gone_from is not None:
                self._announce_unplug(*gone_from)

        def back() -> None:
            with self._lock:
                if not (self.powered and cycles == self._power_cycles):
                    return
            self._enumerate(mode)
            with self._lock:
                if self.powered and cycles == self._power_cycles:
                    self._timer = self._scheduler.after(delay, drop)

        with self._lock:
            self._timer = self._scheduler.after(delay, drop)

    def serve_at(self, make: Callable[[ModemModel, Callable[[str], str | None]], _Served]) -> _Served | None:
        """Serve this enumeration's AT interpreter on another end too (``make(model, fault hook)``): it
        hears the unsolicited codes and closes when the device leaves. None without a modem."""
        with self._lock:
            if self.modem is None or self._ttys_vanished:
                return None
            served = make(self.modem, self._at_fault)
            self.binding.served.append(served)
            return served

    def _broadcast(self, text: str) -> None:
        for port in [*self.binding.ports, *self.binding.served]:
            unsolicited = getattr(port, "unsolicited", None)
            if unsolicited is not None:
                unsolicited(text)

    # -- a configuration change in place ----------------------------------------------------
    def _rebind(self, mode: ModeSpec) -> None:
        """The kernel drops the old configuration's interfaces and binds the new ones."""
        if mode is self.mode:
            return
        self._kernel.unbind(self.binding)
        if self.hilink is not None:
            self.hilink.close()
            self.hilink = None
        self.mode = mode
        self.detached.clear()
        self._bring_up(mode)
        detail = f"{mode.enumerates_as} configuration {mode.configuration} ({mode.name})"
        self._scheduler.after(0, lambda: self._notify("change", self.port, detail))

