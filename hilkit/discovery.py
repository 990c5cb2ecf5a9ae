"""Find the switch for a dongle nobody has written one for: try the candidates, one power cycle each.

What usb_modeswitch's users do by hand ("PLEASE REPORT NEW CONFIGURATIONS"), on a slot that can
power-cycle its dongle: from the initial mode, send one candidate (:mod:`hilkit.switch.candidates`),
see what the device becomes, power-cycle back, try the next. A candidate the pre-send checks refuse
is not sent. A try scores by what appeared: a serial port or a network interface is a modem or
network mode (found: stop, unless all are asked for); another device without them is noted; no
change, or nothing coming back, scores nothing. Every try is a step of the report with its
transfers and what was seen.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hilkit.config.capture import draft_profile, draft_yaml, parse_lsusb
from hilkit.core.device import DeviceInfo
from hilkit.core.errors import SwitchFailed, SwitchRefused
from hilkit.core.events import attach_text, step
from hilkit.core.switchconfig import SwitchConfig
from hilkit.dut import Dongle
from hilkit.switch.candidates import Candidate
from hilkit.switch.validate import check as pre_send_check
from hilkit.usb.lsusb_format import format_lsusb

FOUND, OTHER, NOTHING, REFUSED = "modem or network mode", "another device", "no switch", "refused"


@dataclass
class Attempt:
    number: int
    candidate: Candidate
    outcome: str                      # FOUND, OTHER, NOTHING or REFUSED
    detail: str
    seconds: float
    after: DeviceInfo | None = None

    def line(self) -> str:
        return (f"try {self.number:3d} {self.candidate.name:<40} ({self.candidate.why}): {self.outcome}: "
                f"{self.detail} [{self.seconds:.2f} s]")


@dataclass
class Discovery:
    before: DeviceInfo
    attempts: list[Attempt] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def found(self) -> Attempt | None:
        return next((a for a in self.attempts if a.outcome == FOUND), None)

    def config_text(self) -> str:
        """The usb_modeswitch config file of what worked, ready to submit (and to ``hilkit switch -c``)."""
        found = self.found
        if found is None or found.after is None:
            return ""
        values = dict(found.candidate.config.values)
        values.update({"TargetVendor": found.after.id.vendor, "TargetProductList": f"{found.after.id.product:04x}"})
        head = (f"# {self.before.manufacturer} {self.before.product} ({self.before.id}) -> {found.after.id}, "
                f"found by hilkit switch discover: try {found.number} of {len(self.attempts)} "
                f"({found.candidate.name})\n").replace("  ", " ")
        return head + SwitchConfig.from_mapping(values).as_config_text()

    def profile_yaml(self, vendor: str | None = None, model: str | None = None) -> str:
        """A drafted hilkit profile: the initial mode and the one reached (from their descriptors),
        and the switch that worked."""
        found = self.found
        if found is None or found.after is None:
            return ""
        first = draft_profile(parse_lsusb(format_lsusb(self.before), "before")[0], vendor, model)
        second = draft_profile(parse_lsusb(format_lsusb(found.after), "after")[0], vendor, model)
        (from_name, from_mode), = first["modes"].items()
        (to_name, to_mode), = second["modes"].items()
        if to_name == from_name:
            to_name = f"{to_name}-switched"
        from_mode["initial"] = True
        to_mode.pop("initial", None)
        config: dict[str, Any] = dict(found.candidate.config.values)
        config.update({"TargetVendor": f"0x{found.after.id.vendor:04x}",
                       "TargetProductList": f"{found.after.id.product:04x}"})
        for key in ("DefaultVendor", "DefaultProduct"):
            config[key] = f"0x{config[key]:04x}"
        profile = {**first, "modes": {from_name: from_mode, to_name: to_mode},
                   "switches": [{"name": f"found by hilkit switch discover ({found.candidate.name})",
                                 "from": from_name, "to": to_name, "config": config}]}
        return draft_yaml(profile)


def discover(dongle: Dongle, candidates: Sequence[Candidate], *, try_all: bool = False,
             try_timeout: float | None = None, on_attempt: Callable[[Attempt], None] = lambda a: None) -> Discovery:
    """Try ``candidates`` on the slot's dongle from its initial mode, a power cycle between tries."""
    started = time.monotonic()
    before = dongle.power_on()
    result = Discovery(before)
    timeout = try_timeout if try_timeout is not None else dongle.budget("switch")
    sent = False   # since the last power cycle: a refused candidate sent nothing, so needs none
    try:
        for number, candidate in enumerate(candidates, 1):
            if sent:
                dongle.power_off()
                before = dongle.power_on()
            attempt = _try(dongle, number, candidate, before, timeout)
            sent = attempt.outcome != REFUSED
            result.attempts.append(attempt)
            on_attempt(attempt)
            if attempt.outcome == FOUND and not try_all:
                break
    finally:
        dongle.power_off()   # the slot at rest, however the search ended
    result.seconds = time.monotonic() - started
    return result


def _try(dongle: Dongle, number: int, candidate: Candidate, before: DeviceInfo, timeout: float) -> Attempt:
    start = time.monotonic()
    with step(f"try {number}: {candidate.name} ({candidate.why})"):
        attach_text("switch config (usb_modeswitch keys)", candidate.config.as_config_text())
        try:
            pre_send_check(candidate.config, before)
        except SwitchRefused as exc:
            return Attempt(number, candidate, REFUSED, exc.problem, time.monotonic() - start)
        since = time.monotonic()
        try:
            result = dongle.engine.switch(dongle.port, candidate.config, timeout, expect=_came_back_changed(before),
                                          expected=f"a device other than {before.id} in its mode",
                                          settle=dongle.settle_window)
        except SwitchFailed as exc:
            seen = exc.seen if isinstance(exc.seen, DeviceInfo) else None
            if exc.result is not None:
                attach_text("transfers sent", exc.result.transfer_log())  # type: ignore[attr-defined]
            attach_text("USB event timeline", dongle.bus.timeline(since))
            detail = "nothing came back" if seen is None else f"still {seen.summary()}"
            return Attempt(number, candidate, NOTHING, detail, time.monotonic() - start, seen)
        except SwitchRefused as exc:
            return Attempt(number, candidate, REFUSED, exc.problem, time.monotonic() - start)
        after = result.after
        attach_text("transfers sent", result.transfer_log())
        attach_text("USB event timeline", dongle.bus.timeline(since))
        assert after is not None
        attach_text("descriptors after the try (lsusb -v)", format_lsusb(after))
        ports = [f"{i.number}:{i.tty or i.net}" for i in after.interfaces if i.tty or i.net]
        outcome = FOUND if ports else OTHER
        detail = f"{after.summary()}" + (f"; ports {', '.join(ports)}" if ports else "; no serial port or network "
                                                                                     "interface")
        return Attempt(number, candidate, outcome, detail, time.monotonic() - start, after)


def _came_back_changed(before: DeviceInfo) -> Callable[[DeviceInfo | None], list[str]]:
    def check(info: DeviceInfo | None) -> list[str]:
        if info is None:
            return ["nothing on the port"]
        if info.same_function(before):
            return ["the device is as it was"]
        return []
    return check
