"""Send a switch through pyusb and check that the device on the same port comes back switched.

The order follows usb_modeswitch: check the target, detach kernel drivers, claim the interface,
send each message (reading the 13-byte CSW after a CBW), release, then wait for the device on the
same port path to re-enumerate in the target mode. Unlike usb_modeswitch, the success check waits
on bus events with a deadline, and it looks at THIS port, not at "any new device with the id".
"""
from __future__ import annotations

import errno
import time
from dataclasses import dataclass, field

import usb.core
import usb.util

from ..errors import SwitchFailed, WaitTimeout
from ..usb.bus import Check, UsbBus
from ..usb.snapshot import DeviceInfo, InterfaceInfo
from . import validate
from .config import SwitchConfig
from .methods import BulkMessage, Control, Operation, SetConfiguration, method_name, plan


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
            setup = "setup %02x %02x %04x %04x %04x " % self.setup
        return (f"+{self.time - start:7.3f} s {self.direction:<3} {self.kind:<7} ep 0x{self.endpoint:02x} "
                f"{setup}{len(self.data):3d} B {self.data.hex()}  [{self.result}]")


@dataclass
class SwitchResult:
    port: str
    method: str
    before: DeviceInfo
    after: DeviceInfo | None = None
    transfers: list[TransferRecord] = field(default_factory=list)
    sent_at: float = 0.0
    done_at: float = 0.0

    @property
    def reenumeration_time(self) -> float:
        """Seconds from the last transfer to the device being seen in the target mode."""
        return self.done_at - self.sent_at

    def transfer_log(self) -> str:
        start = self.transfers[0].time if self.transfers else 0.0
        return "\n".join(t.line(start) for t in self.transfers) + "\n"


def target_check(config: SwitchConfig, before: DeviceInfo) -> Check:
    """usb_modeswitch's notion of success, applied to one port."""
    def check(info: DeviceInfo | None) -> list[str]:
        if config.get("TargetVendor") is not None or config.get("TargetClass") is not None:
            if info is None:
                return ["nothing on the port yet"]
            return [] if validate.in_target(config, info) else [f"id {info.id} not a target"]
        if info is None or info != before:
            return []
        return ["the original device is still there"]
    return check


class SwitchEngine:
    """Runs switches on the devices of one :class:`UsbBus`."""

    def __init__(self, bus: UsbBus) -> None:
        self.bus = bus

    def switch(self, port: str, config: SwitchConfig, timeout: float, where: str = "",
               expect: Check | None = None, expected: str = "") -> SwitchResult:
        before = self.bus.device_at(port)
        if before is None:
            raise SwitchFailed(f"no device on port {port} to switch")
        interface = validate.check(config, before, where)
        result = SwitchResult(port, method_name(config), before)
        ops = plan(config)
        dev = self.bus.open(port)
        if dev is None:
            raise SwitchFailed(f"the device on port {port} vanished before the switch")
        try:
            self._send(dev, before, interface, config, ops, result)
        finally:
            usb.util.dispose_resources(dev)
        result.sent_at = time.monotonic()
        wanted = expected or config.describe_targets()
        try:
            result.after = self.bus.wait_until(port, expect or target_check(config, before), timeout, wanted)
        except WaitTimeout as exc:
            seen = self.bus.device_at(port)
            raise SwitchFailed(
                f"{result.method} switch on port {port}: expected {wanted} within {timeout:.1f} s; "
                f"seen {seen.summary() if seen else 'no device'} ({exc.seen.rsplit('(', 1)[-1].rstrip(')')})",
                result=result, seen=seen) from None
        result.done_at = time.monotonic()
        return result

    # -- the transfers ---------------------------------------------------------------------
    def _send(self, dev: usb.core.Device, before: DeviceInfo, interface: InterfaceInfo | None,
              config: SwitchConfig, ops: list[Operation], result: SwitchResult) -> None:
        log = result.transfers
        number = interface.number if interface else 0
        bulk = [op for op in ops if isinstance(op, BulkMessage)]
        if bulk:
            for itf in before.interfaces:
                if itf.alt == 0:
                    _detach(dev, itf.number)
            usb.util.claim_interface(dev, number)
        out_ep, in_ep = _endpoints(interface, config)
        try:
            for op in ops:
                if isinstance(op, BulkMessage):
                    if not self._bulk(dev, op, out_ep, in_ep, log):
                        return  # the device is gone: usb_modeswitch stops here too
                elif isinstance(op, Control):
                    self._control(dev, op, log)
                elif isinstance(op, SetConfiguration):
                    dev.set_configuration(op.value)
                    log.append(TransferRecord(time.monotonic(), "OUT", "config", 0, setup=(0, 9, op.value, 0, 0)))
        finally:
            if bulk:
                try:
                    usb.util.release_interface(dev, number)
                except usb.core.USBError:
                    pass  # gone already: that is how a switch usually ends

    def _bulk(self, dev: usb.core.Device, op: BulkMessage, out_ep: int, in_ep: int,
              log: list[TransferRecord]) -> bool:
        try:
            dev.write(out_ep, op.data, op.timeout_ms)
        except usb.core.USBError as exc:
            log.append(TransferRecord(time.monotonic(), "OUT", "bulk", out_ep, op.data, result=_err(exc)))
            return not _gone(exc)
        log.append(TransferRecord(time.monotonic(), "OUT", "bulk", out_ep, op.data))
        if op.is_cbw:
            try:
                csw = bytes(dev.read(in_ep, 13, op.timeout_ms))
                status = f"CSW status {csw[12]}" if len(csw) == 13 else f"short CSW ({len(csw)} B)"
                log.append(TransferRecord(time.monotonic(), "IN", "bulk", in_ep, csw, result=status))
            except usb.core.USBError as exc:
                log.append(TransferRecord(time.monotonic(), "IN", "bulk", in_ep, result=_err(exc)))
                if _gone(exc):
                    return False
        return True

    def _control(self, dev: usb.core.Device, op: Control, log: list[TransferRecord]) -> None:
        length = op.data_or_length if isinstance(op.data_or_length, int) else len(op.data_or_length)
        setup = (op.bm_request_type, op.b_request, op.w_value, op.w_index, length)
        payload = op.data_or_length if isinstance(op.data_or_length, bytes) and op.data_or_length else (
            length if op.bm_request_type & 0x80 else None)
        try:
            answer = dev.ctrl_transfer(op.bm_request_type, op.b_request, op.w_value, op.w_index,
                                       payload, op.timeout_ms)
            data = bytes(answer) if op.bm_request_type & 0x80 else (payload or b"")
            log.append(TransferRecord(time.monotonic(), "IN" if op.bm_request_type & 0x80 else "OUT",
                                      "control", 0, data, setup))
        except usb.core.USBError as exc:
            log.append(TransferRecord(time.monotonic(), "OUT", "control", 0, b"", setup, _err(exc)))
            if not (op.pipe_error_ok or _gone(exc)):
                raise SwitchFailed(f"control request {setup} failed: {exc}") from None


def _endpoints(interface: InterfaceInfo | None, config: SwitchConfig) -> tuple[int, int]:
    """MessageEndpoint/ResponseEndpoint if set, else the interface's first bulk OUT and bulk IN."""
    eps = interface.endpoints if interface else ()
    out_ep = config.get("MessageEndpoint") or next(
        (e.address for e in eps if e.type == "bulk" and not e.address & 0x80), 0x01)
    in_ep = config.get("ResponseEndpoint") or next(
        (e.address for e in eps if e.type == "bulk" and e.address & 0x80), 0x81)
    return out_ep, in_ep


def _detach(dev: usb.core.Device, number: int) -> None:
    try:
        if dev.is_kernel_driver_active(number):
            dev.detach_kernel_driver(number)
    except (NotImplementedError, usb.core.USBError):
        pass  # usb_modeswitch ignores these too: no driver, or not supported on this platform


def _gone(exc: usb.core.USBError) -> bool:
    return exc.errno in (errno.ENODEV, errno.ESHUTDOWN) or "No such device" in str(exc)


def _err(exc: usb.core.USBError) -> str:
    return f"error: {exc.strerror or exc}"
