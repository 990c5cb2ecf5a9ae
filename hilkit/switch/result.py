"""What a switch did (:class:`SwitchResult`: transfers, the device before and after) and the wait
every engine ends with: the device on the SAME port seen in the target mode, or a failure with its
category (:func:`await_switched`)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from hilkit.core.device import Check, DeviceInfo
from hilkit.core.errors import Category, SettledWrong, SwitchFailed, WaitTimeout
from hilkit.core.switchconfig import SwitchConfig
from hilkit.switch import validate
from hilkit.usb.bus import UsbBus


@dataclass(frozen=True)
class TransferRecord:
    """One transfer as the host sent it (or tried to)."""

    time: float
    direction: str      # "OUT" / "IN"
    kind: str           # "bulk" / "control" / "config"
    endpoint: int
    data: bytes = b""
    setup: tuple[int, int, int, int, int] | None = None
    result: str = "ok"

    def line(self, start: float) -> str:
        setup = ""
        if self.setup:
            kind, request, value, index, length = self.setup
            setup = f"setup {kind:02x} {request:02x} {value:04x} {index:04x} {length:04x} "
        return (f"+{self.time - start:7.3f} s {self.direction:<3} {self.kind:<7} ep 0x{self.endpoint:02x} "
                f"{setup}{len(self.data):3d} B {self.data.hex()}  [{self.result}]")


@dataclass
class SwitchResult:
    port: str
    method: str
    before: DeviceInfo
    after: DeviceInfo | None = None
    transfers: list[TransferRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sent_at: float = 0.0
    done_at: float = 0.0

    @property
    def reenumeration_time(self) -> float:
        """Seconds from the last transfer to the device being seen in the target mode."""
        return self.done_at - self.sent_at

    def transfer_log(self) -> str:
        if not self.transfers and self.notes:  # sent by another engine (usb_modeswitch on an exporter host)
            return "\n".join(self.notes) + "\n"
        start = self.transfers[0].time if self.transfers else 0.0
        return "\n".join(t.line(start) for t in self.transfers) + "\n"


def target_check(config: SwitchConfig, before: DeviceInfo) -> Check:
    """usb_modeswitch's notion of success, applied to one port: the target ids or class; else the
    target configuration; else the original device gone (replaced or vanished)."""
    configuration = config.get("Configuration") or 0

    def check(info: DeviceInfo | None) -> list[str]:
        if config.get("TargetVendor") is not None or config.get("TargetClass") is not None:
            if info is None:
                return ["nothing on the port yet"]
            if not validate.matches_target(config, info):
                return [f"id {info.id} not a target"]
            if validate.same_ids_as_default(config, info) and info == before:
                return ["the original device is still there (same ids as the target)"]
            return []
        if configuration:
            if info is None:
                return ["nothing on the port yet"]
            return [] if info.configuration == configuration else [f"configuration {info.configuration}"]
        if info is None or info != before:
            return []
        return ["the original device is still there"]
    return check


def failure_category(config: SwitchConfig, before: DeviceInfo, seen: DeviceInfo | None,
                     transfers: list[TransferRecord] | None = None) -> tuple[Category, str]:
    """What a failed switch was: its category, and what it is said with (a transfer's error)."""
    if seen is None:
        return Category.NO_REENUMERATION, "the device left and did not come back"
    if seen.same_function(before):
        errors = [t for t in transfers or [] if t.result.startswith("error") and "No such device" not in t.result]
        if errors:
            return Category.TRANSFER_ERROR, (f"{errors[0].kind} {errors[0].direction} ep 0x{errors[0].endpoint:02x}: "
                                             f"{errors[0].result[7:]}, no re-enumeration")
        return Category.NO_REENUMERATION, ""
    vendor, products = config.get("TargetVendor"), config.target_products
    if vendor is not None and products and (seen.id.vendor != vendor or seen.id.product not in products):
        return Category.WRONG_ID, ""
    return Category.WRONG_INTERFACE_CLASS, ""



def await_switched(bus: UsbBus, config: SwitchConfig, result: SwitchResult, timeout: float,
                   expect: Check | None = None, expected: str = "", reason: str = "",
                   settle: float | None = None) -> SwitchResult:
    """After the last transfer: wait (on bus events) for the port to show the target, or raise
    :class:`SwitchFailed` with its category. Shared by both engines.

    ``settle``: once the device came back and stayed ``settle`` seconds without a USB event in a
    state that is not the target, the switch has failed: said then, not at the end of ``timeout``."""
    port, before = result.port, result.before
    wanted = expected or config.describe_targets()
    try:
        result.after = bus.wait_until(port, expect or target_check(config, before), timeout, wanted,
                                      settled_after=settle)
    except WaitTimeout as exc:
        seen = bus.device_at(port)
        category, detail = failure_category(config, before, seen, result.transfers)
        when = (f", but the device settled after {exc.after:.1f} s ({exc.how})"
                if isinstance(exc, SettledWrong) else f" within {timeout:.1f} s")
        raise SwitchFailed(
            (f"({detail}) " if detail else "") + f"{result.method} switch on port {port}: expected {wanted}"
            f"{when}; seen {seen.summary() if seen else 'no device'} "
            f"({exc.seen.rsplit('(', 1)[-1].rstrip(')')})" + (f"; {reason}" if reason else ""),
            result=result, seen=seen, category=category) from None
    result.done_at = time.monotonic()
    return result
