"""A slot's dongle under test: power it, wait for it, switch it, talk to it; report every phase.

A small state machine, as labgrid's strategies are: off -> enumerated (its initial mode) ->
switched (its working mode) -> attached -> online (a data session with traffic through it);
:meth:`Dongle.transition` drives it to a state from
wherever it is, and each phase method moves it one step. It uses only a
:class:`~hilkit.lab.lab_backend.LabBackend` (bus, power, switch engine, where the modem answers),
and publishes its steps and evidence as events (:mod:`hilkit.core.events`).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from enum import Enum

from hilkit.core.device import DeviceInfo
from hilkit.core.errors import Category, HilkitError, ReenumerationLoop, SettledWrong, SwitchFailed, WaitTimeout
from hilkit.core.events import BUS, Identified, attach_text, step
from hilkit.core.identity import mask_imei
from hilkit.core.modes import identify, in_mode
from hilkit.core.profile import AttachSpec, ModeSpec
from hilkit.core.rig import Slot
from hilkit.core.switchconfig import SwitchConfig
from hilkit.lab.lab_backend import LabBackend
from hilkit.modem.at import AtClient
from hilkit.modem.attach import AtAttachChecker, AttachChecker, AttachResult
from hilkit.modem.connectors import (
    BearerConnector,
    DataConnector,
    DataPathUnavailable,
    HiLinkConnector,
    NdisConnector,
    PppDialer,
)
from hilkit.modem.hilink_api import HiLinkAttachChecker, HiLinkClient
from hilkit.modem.mm_attach import ModemManagerAttachChecker
from hilkit.modem.mmcli_client import ModemManager
from hilkit.online import DataPath, OnlineResult, no_ppp_here
from hilkit.switch.result import SwitchResult
from hilkit.usb.lsusb_format import format_lsusb


class State(Enum):
    """Where the dongle under test is, in the order a test takes it there."""

    OFF = 0
    ENUMERATED = 1   # powered, on its port in its initial mode
    SWITCHED = 2     # in its working mode (the profile's final one, or the one a test asked for)
    ATTACHED = 3     # registered (and packet attached when the profile asks) in that mode
    ONLINE = 4       # a data session up, an address on the dongle's interface, traffic through it


class Dongle:
    def __init__(self, slot: Slot, lab: LabBackend, budget_scale: float = 1.0) -> None:
        self.slot = slot
        self.budget_scale = budget_scale  # < 1 on the virtual lab's soaks: its dongles are fast
        self.profile = slot.profile
        self.lab = lab
        self.bus = lab.bus
        self.power = lab.power_switch(slot)
        self.engine = lab.switch_engine(slot)
        self.modems: list[AtClient] = []
        self.imei = ""   # the modem's, once an attach read it: evidence shows only its TAC
        self.enumeration_time: float | None = None
        self.state = State.OFF
        self._since = time.monotonic()
        self.data_path: DataPath | None = None

    @property
    def settle_window(self) -> float:
        """The profile's settle window in the lab's time (a simulated stick re-enumerates faster)."""
        return self.profile.budgets.settle * self.lab.time_scale

    def budget(self, phase: str) -> float:
        """The profile's time budget for a phase (enumerate, switch, attach), scaled."""
        return getattr(self.profile.budgets, phase) * self.budget_scale

    @property
    def port(self) -> str:
        return self.slot.port

    def snapshot(self) -> DeviceInfo | None:
        return self.bus.device_at(self.port)

    def mode(self) -> ModeSpec | None:
        """The profile mode the device is in now (None: absent or unlike every mode)."""
        return identify(self.profile, self.snapshot())

    # -- power -----------------------------------------------------------------------------
    def power_on(self) -> DeviceInfo:
        """Power the slot and wait until the dongle has enumerated in its initial mode."""
        mode = self.profile.initial_mode
        with step(f"power on {self.slot.name} ({self.slot.power.describe()})"):
            self.power.on()
        with step(f"enumerate on port {self.port} in mode {mode.name}: {mode.describe()}"):
            start = time.monotonic()
            try:
                info = self.bus.wait_until(self.port, in_mode(mode), self.budget("enumerate"),
                                           f"mode {mode.name!r} ({mode.describe()})",
                                           settled_after=self.settle_window)
            except SettledWrong as exc:   # it came up, and settled as something else: said now
                seen = self.snapshot()
                category = Category.ENUMERATION_TIMEOUT if seen is None else \
                    Category.WRONG_ID if seen.id not in mode.ids else Category.WRONG_INTERFACE_CLASS
                raise SettledWrong(exc.expected, exc.seen, exc.after, exc.how, category=category) from None
            except WaitTimeout as exc:
                raise WaitTimeout(exc.expected, exc.seen, exc.timeout, category=Category.ENUMERATION_TIMEOUT) from None
            self.enumeration_time = time.monotonic() - start
            assert info is not None
            attach_text(f"descriptors in mode {mode.name} (lsusb -v)", format_lsusb(info))
            self.hold_steady(mode, since=start)
            self.state = State.ENUMERATED
        return info

    def hold_steady(self, mode: ModeSpec, since: float) -> None:
        """The device stays in ``mode`` for the profile's stability window (the lab's time): a
        stick that keeps re-enumerating fails here, with the event timeline, not in a later test."""
        window = self.profile.budgets.stable * self.lab.time_scale
        try:
            self.bus.hold_steady(self.port, in_mode(mode), window, f"mode {mode.name!r}")
        except ReenumerationLoop:
            attach_text("USB event timeline", self.bus.timeline(since))
            raise

    def health_check(self) -> str | None:
        """The slot's start-of-run check (its relay or hub port, cabling, the stick's first mode):
        power on, enumerate in the initial mode, power off. The problem in one line, or None."""
        with step(f"health check of slot {self.slot.name}"):
            try:
                self.power_on()
                self.power_off(timeout=self.budget("enumerate"))
            except HilkitError as exc:
                try:
                    self.power.off()
                except HilkitError:
                    pass   # a relay that does not follow its pin: the problem already said
                self.state = State.OFF
                return f"{type(exc).__name__}: {exc}"
        return None

    def power_off(self, timeout: float = 10.0) -> None:
        with step(f"power off {self.slot.name}"):
            self.power.off()
            self.state = State.OFF
            self.bus.wait_gone(self.port, timeout)

    def transition(self, target: State, mode: str | None = None) -> None:
        """Drive the dongle to ``target`` from wherever it is: power on, switch to ``mode`` (the
        profile's final mode by default), attach; or power off. A state below the current one
        starts again from off (a dongle does not switch back without a power cycle)."""
        if target is State.OFF or target.value < self.state.value:
            if self.state is not State.OFF:
                self.power_off()
            if target is State.OFF:
                return
        if self.state is State.OFF:
            self.power_on()
        if target is State.ENUMERATED:
            return
        wanted = mode or self.profile.final_mode.name
        current = self.mode()
        if current is None or current.name != wanted:
            self.switch_to(wanted)
        self.state = max(self.state, State.SWITCHED, key=lambda s: s.value)
        if target.value >= State.ATTACHED.value and self.state.value < State.ATTACHED.value:
            self.attach()
        if target is State.ONLINE and self.state is not State.ONLINE:
            self.go_online()

    # -- switching -------------------------------------------------------------------------
    def switch_to(self, target: str) -> list[SwitchResult]:
        """Run the profile's switches from the current mode to ``target``."""
        current = self.mode()
        if current is None:
            seen = self.snapshot()
            raise HilkitError(f"{self.slot.describe()}: the device is in no mode of its profile "
                              f"(seen: {seen.summary() if seen else 'nothing on the port'})")
        results = [self.run_switch(sw.config, sw.target, where=f"{self.profile.path}:{sw.line}", label=sw.label)
                   for sw in self.profile.switch_path(current.name, target)]
        if target != self.profile.initial_mode.name:
            self.state = State.SWITCHED
        return results

    def run_switch(self, config: SwitchConfig, target: str | None = None, where: str = "",
                   label: str = "", timeout: float | None = None) -> SwitchResult:
        """Send ``config`` and wait for the device on this port to come back in ``target``."""
        mode = self.profile.mode(target) if target else None
        with step(f"switch {label or 'message'} on port {self.port}" + (f" to {target}" if target else "")
                  + self.engine.describe()):
            attach_text("switch config (usb_modeswitch keys)", config.as_config_text())
            since = time.monotonic()
            try:
                result = self.engine.switch(
                    self.port, config, timeout or self.budget("switch"), where=where,
                    expect=self._switched_to(mode, self.snapshot()) if mode else None,
                    expected=f"mode {mode.name!r} ({mode.describe()})" if mode else "",
                    settle=self.settle_window)
            except SwitchFailed as exc:
                if isinstance(exc.result, SwitchResult):
                    attach_text("transfers sent", exc.result.transfer_log())
                if isinstance(exc.seen, DeviceInfo):
                    attach_text("descriptors seen after the switch (lsusb -v)", format_lsusb(exc.seen))
                attach_text("USB event timeline", self.bus.timeline(since))
                raise
            attach_text("transfers sent", result.transfer_log())
            if result.after is not None:
                attach_text(f"descriptors after the switch{f' (mode {target})' if target else ''} (lsusb -v)",
                            format_lsusb(result.after))
            if mode is not None:
                self.hold_steady(mode, since)   # attaches the timeline itself when the stick loops
            attach_text("USB event timeline", self.bus.timeline(since))
        return result

    def _switched_to(self, mode: ModeSpec, before: DeviceInfo | None) -> Callable[[DeviceInfo | None], list[str]]:
        """In ``mode``, and not still the device from before the switch: a target mode with the
        source's ids (the database's TargetClass switches) is reached only once the stick has
        re-enumerated or reconfigured, not while the old one is still there to leave."""
        in_target = in_mode(mode)
        source = identify(self.profile, before)

        def check(info: DeviceInfo | None) -> list[str]:
            problems = in_target(info)
            if not problems and info is not None and before is not None and source is not None and source is not mode \
                    and info.same_function(before) and (info.address, info.configuration) == \
                    (before.address, before.configuration):
                return ["the device from before the switch is still there (not re-enumerated yet)"]
            return problems
        return check

    # -- the modem -------------------------------------------------------------------------
    def tty(self, role: str = "at", index: int = 0) -> str:
        mode = self.mode()
        info = self.snapshot()
        if mode is None or info is None:
            raise HilkitError(f"{self.slot.describe()}: no device in a known mode, so no {role} port")
        specs = mode.interfaces_with_role(role)
        if len(specs) <= index:
            raise HilkitError(f"{self.slot.describe()}: mode {mode.name!r} has no interface with role {role!r}")
        remote = self.lab.serial_url(self.slot, role) if index == 0 else None
        if remote:  # a labgrid place's serial port (ser2net on the exporter host)
            return remote
        itf = info.interface(specs[index].number)
        if itf is None or not itf.tty:
            raise HilkitError(f"{self.slot.describe()}: interface {specs[index].number} has no serial port")
        return itf.tty

    def open_at(self, role: str = "at", index: int = 0) -> AtClient:
        attach = self.profile.attach
        names = [attach.sim_pin_env, attach.password_env] if attach else []
        secrets = self.lab.rig.secrets.all_values([n for n in names if n])
        client = AtClient(self.tty(role, index), secrets=secrets, default_timeout=max(1.0, 5.0 * self.budget_scale))
        self.modems.append(client)
        return client

    # -- network attach --------------------------------------------------------------------
    def _attach_spec(self, wanted_by: str) -> AttachSpec:
        spec = self.profile.attach
        if spec is None:
            raise HilkitError(f"{self.profile.path}: attach: missing (the profile says nothing about attach, "
                              f"which {wanted_by} needs)")
        return spec

    def _hilink_client(self, spec: AttachSpec) -> HiLinkClient:
        """The stick's web API where this rig reaches it, logged in as the profile says."""
        return HiLinkClient(self.lab.hilink_url(self.slot), user=spec.login_user,
                            password=self.lab.rig.secrets.get(spec.login_password_env))

    def attach_checker(self) -> AttachChecker:
        """The checker the profile's ``attach.method`` names, talking through this rig's seam."""
        spec = self._attach_spec("the attach check")
        secrets = self.lab.rig.secrets
        if spec.method == "at":
            return AtAttachChecker(self.open_at(spec.port_role), spec, secrets)
        if spec.method == "hilink":
            return HiLinkAttachChecker(self._hilink_client(spec), spec, secrets=secrets)
        return ModemManagerAttachChecker(ModemManager(self.lab.mmcli_command()), self.lab.modem_device(self.slot), spec,
                                         secrets=secrets)

    def attach(self, timeout: float | None = None) -> AttachResult:
        """Bring the dongle onto the network (switching to its working mode first if needed)."""
        spec = self.profile.attach
        final = self.profile.final_mode
        current = self.mode()
        if spec is not None and current is not None and current != final:
            self.switch_to(final.name)
        with step(f"attach over {spec.method if spec else '?'}"):
            result = None
            try:
                result = self.attach_checker().run(timeout or self.budget("attach"))
            finally:
                imei = result.identity.imei if result is not None and result.identity is not None else ""
                self.imei = imei or self.imei
                for name, text in self.lab.attach_evidence(self.slot).items():
                    attach_text(name, mask_imei(text, imei))
            attach_text("attach result", result.summary())
            if result.identity is not None:
                attach_text("modem identity", result.identity.line())
                BUS.publish(Identified(self.slot.name, result.identity.labels()))
            for name, text in result.evidence.items():
                attach_text(name, text)
        self.state = State.ATTACHED if result.sim == "ready" and result.registration in ("home", "roaming") \
            else State.SWITCHED
        return result

    # -- online ----------------------------------------------------------------------------
    def data_connector(self) -> DataConnector:
        """What brings the data session up, by the profile's data method, through this rig's seam."""
        method = self.profile.data_method
        spec = self._attach_spec("a data session")
        secrets = self.lab.rig.secrets
        if method == "hilink":
            return HiLinkConnector(self._hilink_client(spec))
        if method == "bearer":
            mm = ModemManager(self.lab.mmcli_command())
            return BearerConnector(mm, mm.find(self.lab.modem_device(self.slot)), spec, secrets,
                                   port_url=lambda name: self.lab.data_port(self.slot, name))
        client = self.modems[0] if self.modems else self.open_at(spec.port_role)
        return NdisConnector(client, spec, secrets) if method == "ndis" else PppDialer(client, spec, secrets)

    def go_online(self) -> OnlineResult:
        """Attached -> online: the data session, an address, DNS, HTTP, round trip and throughput
        through the dongle's interface (:mod:`hilkit.online`). Skips (``DataPathUnavailable``) where
        this host cannot carry the session; the rest fails in its own category."""
        if self.state.value < State.ATTACHED.value:
            self.transition(State.ATTACHED)
        why = self.lab.data_path(self.slot)
        if not why and self.profile.data_method == "ppp":   # before dialling: no call left up for nothing
            why = no_ppp_here("a PPP dial-up")
        if why:
            self.lab.end_data_path(self.slot)
            raise DataPathUnavailable(why)
        try:
            connector = self.data_connector()
        except BaseException:
            self.lab.end_data_path(self.slot)   # what the lab made for it goes now, not at the lab's close
            raise
        self.data_path = DataPath(self.slot, connector, lambda: self.lab.net_interface(self.slot),
                                  self.budget("connect"), self.lab.rig.throughput_url,
                                  mask=lambda text: mask_imei(text, self.imei))
        try:
            result = self.data_path.bring_up()
        except HilkitError:
            for name, text in self.lab.data_path_evidence(self.slot).items():
                attach_text(name, text)
            raise
        self.state = State.ONLINE
        return result

    # -- teardown --------------------------------------------------------------------------
    def close(self) -> None:
        """Close every port and leave the slot unpowered, whatever state the test left (a data
        session taken down first, the addresses it added removed)."""
        try:
            if self.data_path is not None:
                path, self.data_path = self.data_path, None
                try:
                    path.close()
                finally:
                    self.lab.end_data_path(self.slot)
            for client in self.modems:
                try:
                    client.close()
                finally:
                    attach_text(f"AT transcript {client.port_name} (secrets masked)", client.transcript_text())
        finally:
            self.modems.clear()
            self.power.close()
            self.state = State.OFF
