"""Send a switch through pyusb and check that the device on the same port comes back switched.

The operations and their order are usb_modeswitch 2.6.1's (see :mod:`hilkit.core.switch_plan`).
Unlike usb_modeswitch, the success check waits on bus events with a deadline, and it looks at THIS
port, not at "any new device with the target id" (which another stick can satisfy).
"""
from __future__ import annotations

import errno
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import usb.core
import usb.util

from hilkit.core.device import Check, DeviceInfo, InterfaceInfo
from hilkit.core.errors import Category, SwitchFailed
from hilkit.core.switch_plan import (
    AwaitReturn,
    Claim,
    Control,
    Detach,
    Hold,
    InterruptIn,
    InterruptOut,
    Operation,
    Release,
    ResetDevice,
    SendMessages,
    SetAltSetting,
    SwitchConfiguration,
    contains_cbw,
    plan,
)
from hilkit.core.switchconfig import SwitchConfig
from hilkit.switch import validate
from hilkit.switch.result import SwitchResult, TransferRecord, await_switched
from hilkit.switch.switch_engine import SwitchEngine
from hilkit.usb.bus import UsbBus


class _Gone(Exception):
    """The device left the bus mid-sequence: stop sending, as usb_modeswitch does."""


_T = TypeVar("_T")


class NativeSwitchEngine(SwitchEngine):
    """Runs switches on the devices of one :class:`UsbBus`."""

    def __init__(self, bus: UsbBus) -> None:
        self.bus = bus
        self._stop = threading.Event()  # set by close(): cuts fixed delays short

    def close(self) -> None:
        self._stop.set()

    def switch(self, port: str, config: SwitchConfig, timeout: float, where: str = "",
               expect: Check | None = None, expected: str = "", settle: float | None = None) -> SwitchResult:
        before = self.bus.device_at(port)
        if before is None:
            raise SwitchFailed(f"no device on port {port} to switch")
        interface = validate.check(config, before, where)
        steps = plan(config, interface.number if interface else 0)
        result = SwitchResult(port, steps.method, before, warnings=list(steps.warnings))
        if not steps.operations:
            result.notes.append("no switching method given: nothing to do")
            result.after, result.sent_at = before, time.monotonic()
            result.done_at = result.sent_at
            return result
        nothing_to_do = self.send(port, config, before, interface, steps.operations, result)
        result.sent_at = time.monotonic()
        if nothing_to_do:
            result.after, result.done_at = before, result.sent_at
            return result
        return await_switched(self.bus, config, result, timeout, expect, expected, settle=settle)

    def send(self, port: str, config: SwitchConfig, before: DeviceInfo, interface: InterfaceInfo | None,
             operations: list[Operation], result: SwitchResult) -> bool:
        """Send the plan's transfers over pyusb; True when the device needed nothing after all."""
        session = _Session(self, port, before, interface, config, result)
        try:
            session.run(operations)
        finally:
            session.close()
        return session.nothing_to_do

    def describe(self) -> str:
        """Where the transfers go from, for step titles (this host, over pyusb)."""
        return ""


class _Session:
    """One run of a plan against one device handle (reopened when the device comes back)."""

    def __init__(self, engine: NativeSwitchEngine, port: str, before: DeviceInfo, interface: InterfaceInfo | None,
                 config: SwitchConfig, result: SwitchResult) -> None:
        self.engine, self.port, self.before, self.config, self.result = engine, port, before, config, result
        self.interface = interface.number if interface else 0
        out_ep, in_ep = validate.bulk_endpoints(interface, config)
        # validation refused bulk methods without endpoints; the defaults only fill unused slots
        self.out_ep, self.in_ep = out_ep or 0x01, in_ep or 0x81
        self.nothing_to_do = False
        self.dev = engine.bus.open(port)
        if self.dev is None:
            raise SwitchFailed(f"the device on port {port} vanished before the switch")

    def close(self) -> None:
        if self.dev is not None:
            usb.util.dispose_resources(self.dev)
            self.dev = None

    @property
    def device(self) -> usb.core.Device:
        """The open handle; none (the device did not come back) ends the sequence as a device gone."""
        if self.dev is None:
            raise _Gone
        return self.dev

    def log(self, direction: str, kind: str, endpoint: int, data: bytes = b"",
            setup: tuple[int, int, int, int, int] | None = None, result: str = "ok") -> None:
        self.result.transfers.append(TransferRecord(time.monotonic(), direction, kind, endpoint, data, setup, result))

    def hold(self, ms: int) -> None:
        # usb_modeswitch's fixed delays (settle before release, before a reset); close() cuts them short
        if ms > 0 and self.engine._stop.wait(ms / 1000):
            raise SwitchFailed("switch engine closed during a switch")

    def run(self, operations: list[Operation]) -> None:
        try:
            for op in operations:
                if self.dev is None:
                    raise _Gone
                try:
                    self.step(op)
                except usb.core.USBError as exc:
                    if _gone(exc):
                        raise _Gone from None
                    raise SwitchFailed(f"{type(op).__name__} on port {self.port}: {exc}",
                                       result=self.result, category=Category.TRANSFER_ERROR) from None
                except ValueError as exc:  # pyusb's own refusal, e.g. an endpoint the interface lacks
                    raise SwitchFailed(f"{type(op).__name__} on port {self.port}: pyusb refused it: {exc}",
                                       result=self.result, category=Category.TRANSFER_ERROR) from None
        except _Gone:
            self.result.notes.append("device is gone, skipped the remaining commands")

    def step(self, op: Operation) -> None:
        dev = self.device
        if isinstance(op, Detach):
            for itf in self.before.interfaces:
                if itf.alt == 0:
                    _detach(dev, itf.number)
        elif isinstance(op, Claim):
            self._call(lambda: usb.util.claim_interface(dev, op.interface), "claim")
        elif isinstance(op, Release):
            self._call(lambda: usb.util.release_interface(dev, op.interface), "release", tolerate=True)
        elif isinstance(op, SendMessages):
            self.send_messages(op)
        elif isinstance(op, Control):
            self.control(op)
        elif isinstance(op, InterruptOut):
            self._transfer("OUT", "interrupt", op.endpoint, op.data,
                           lambda: dev.write(op.endpoint, op.data, op.timeout_ms), tolerate=True)
        elif isinstance(op, InterruptIn):
            self._transfer("IN", "interrupt", op.endpoint, b"",
                           lambda: dev.read(op.endpoint, op.length, op.timeout_ms), tolerate=True)
        elif isinstance(op, SwitchConfiguration):
            self.switch_configuration(op.value)
        elif isinstance(op, SetAltSetting):
            self._call(lambda: dev.set_interface_altsetting(op.interface, op.alt), "set alt setting")
            self.log("OUT", "control", 0, setup=(0x01, 0x0B, op.alt, op.interface, 0))
        elif isinstance(op, Hold):
            self.hold(op.ms)
        elif isinstance(op, ResetDevice):
            self.reset(op.tries)
        elif isinstance(op, AwaitReturn):
            self.await_return(op.timeout_s)

    # -- the pieces ----------------------------------------------------------------------
    def _call(self, action: Callable[[], _T], what: str, tolerate: bool = False) -> _T | None:
        try:
            return action()
        except usb.core.USBError as exc:
            if _gone(exc):
                raise _Gone from None
            if tolerate:
                return None
            raise SwitchFailed(f"{what} on port {self.port} failed: {exc}") from None

    def _transfer(self, direction: str, kind: str, endpoint: int, data: bytes, action: Callable[[], Any],
                  tolerate: bool) -> bytes | None:
        try:
            answer = action()
        except usb.core.USBError as exc:
            self.log(direction, kind, endpoint, data, result=_err(exc))
            if _gone(exc):
                raise _Gone from None
            if not tolerate:
                raise
            return None
        received = bytes(answer) if direction == "IN" else data
        self.log(direction, kind, endpoint, received)
        return received

    def send_messages(self, op: SendMessages) -> None:
        dev = self.device
        usb.util.claim_interface(dev, self.interface)
        for message in op.messages:
            try:
                dev.write(self.out_ep, message, op.timeout_ms)
                self.log("OUT", "bulk", self.out_ep, message)
            except usb.core.USBError as exc:
                self.log("OUT", "bulk", self.out_ep, message, result=_err(exc))
                if _gone(exc):
                    raise _Gone from None  # any other write error is ignored, the CSW read follows
            if contains_cbw(message) and not self.read_csw(op):
                raise _Gone  # a failed or missing CSW ends the sequence: no clear halt, no release
        halts = (self.out_ep, self.in_ep) if op.cisco else (self.in_ep, self.out_ep)
        for endpoint in halts:
            try:
                dev.clear_halt(endpoint)
                self.log("OUT", "control", 0, setup=(0x02, 0x01, 0, endpoint, 0))
            except usb.core.USBError as exc:  # usb_modeswitch: "probably harmless"
                self.log("OUT", "control", 0, setup=(0x02, 0x01, 0, endpoint, 0), result=_err(exc))
        if op.cisco:
            self.hold(2000)
        else:
            self.hold(50 + (self.config.get("ReleaseDelay") or 0))
        self._call(lambda: usb.util.release_interface(dev, self.interface), "release", tolerate=True)

    def read_csw(self, op: SendMessages) -> bool:
        for _ in range(3 if op.cisco else 1):
            try:
                csw = bytes(self.device.read(self.in_ep, 13, op.timeout_ms))
            except usb.core.USBError as exc:
                self.log("IN", "bulk", self.in_ep, result=_err(exc))
                return False
            status = f"CSW status {csw[12]}" if len(csw) == 13 else f"short CSW ({len(csw)} B)"
            self.log("IN", "bulk", self.in_ep, csw, result=status)
            if len(csw) == 13:
                break
        return True

    def control(self, op: Control) -> None:
        length = op.data_or_length if isinstance(op.data_or_length, int) else len(op.data_or_length)
        setup = (op.bm_request_type, op.b_request, op.w_value, op.w_index, length)
        out_data = op.data_or_length if isinstance(op.data_or_length, bytes) else None
        payload = length if op.is_in else out_data
        try:
            answer = self.device.ctrl_transfer(op.bm_request_type, op.b_request, op.w_value, op.w_index,
                                               payload, op.timeout_ms)
            data = bytes(answer) if op.is_in else (out_data or b"")
            self.log("IN" if op.is_in else "OUT", "control", 0, data, setup)
        except usb.core.USBError as exc:
            self.log("IN" if op.is_in else "OUT", "control", 0, b"", setup, _err(exc))
            if _gone(exc):
                raise _Gone from None
            if "any" in op.tolerate or ("pipe" in op.tolerate and exc.errno == errno.EPIPE):
                return
            raise SwitchFailed(f"control request {' '.join(f'{v:02x}' for v in setup)} on port {self.port} "
                               f"failed: {exc}", result=self.result) from None

    def switch_configuration(self, value: int) -> None:
        current = self._call(lambda: self.device.get_active_configuration().bConfigurationValue, "read configuration")
        if current == value:
            self.result.notes.append(f"target configuration {value} already active: nothing to do")
            self.nothing_to_do = not self.result.transfers
            return
        for itf in self.before.interfaces:
            if itf.alt == 0:
                _detach(self.device, itf.number)
        for step, config_value in enumerate((0, value)):
            if step:
                self.hold(100)
            try:
                self.device.set_configuration(config_value)
                self.log("OUT", "config", 0, setup=(0x00, 0x09, config_value, 0, 0))
            except usb.core.USBError as exc:
                self.log("OUT", "config", 0, setup=(0x00, 0x09, config_value, 0, 0), result=_err(exc))
                if _gone(exc):
                    raise _Gone from None
            except ValueError as exc:  # pyusb: the device offers no such configuration
                raise SwitchFailed(f"Configuration={value}: {exc} on port {self.port}", result=self.result) from None

    def reset(self, tries: int) -> None:
        for _ in range(tries):
            try:
                self.device.reset()
                self.log("OUT", "reset", 0)
                return
            except usb.core.USBError as exc:
                if _gone(exc):
                    raise _Gone from None
        self.result.notes.append(f"USB reset failed {tries} times")

    def await_return(self, timeout: float) -> None:
        """The stick re-enumerates on its own: wait for a new enumeration on this port, reopen it."""
        address = self.before.address
        self.close()
        self.engine.bus.wait_until(self.port, lambda i: [] if i is not None and i.address != address
                                   else ["not back yet"], timeout, "the device to come back")
        self.dev = self.engine.bus.open(self.port)


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
