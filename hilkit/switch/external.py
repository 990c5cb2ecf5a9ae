"""The external engine: the installed ``usb_modeswitch`` binary switches the device, hilkit watches.

For a rig where the reference tool must do the switch (to reproduce a field problem with the exact
binary the product ships, or on an exporter host where hilkit has no USB access), the profile's
switch is written as a usb_modeswitch config file and run against the device on the slot's port
(``-b BUS -g DEVICE``, so an identical stick elsewhere is never touched). Its output is parsed into
the same :class:`SwitchResult` as the native engine's, and success is judged the same way: by what
comes back on THIS port, waited for on bus events.
"""
from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time

from hilkit.core.errors import SwitchFailed
from hilkit.core.switch_plan import plan
from hilkit.core.switchconfig import SwitchConfig
from hilkit.programs import find_program
from hilkit.switch.result import SwitchResult, TransferRecord, await_switched
from hilkit.switch.switch_engine import SwitchEngine
from hilkit.usb.bus import Check, UsbBus

_SEND = re.compile(r"Trying to send message (\d) to endpoint 0x([0-9a-fA-F]+)")
_READ = re.compile(r"Read the response to message (\d)")
_READ_OK = re.compile(r"Response successfully read \((\d+) bytes\), status (\d+)")
_RESET_EP = re.compile(r"Reset (?:response|message) endpoint 0x([0-9a-fA-F]+)")
_MESSAGE_KEYS = {"1": "MessageContent", "2": "MessageContent2", "3": "MessageContent3"}


def parse_output(output: str, config: SwitchConfig, start: float = 0.0) -> tuple[list[TransferRecord], list[str]]:
    """The transfers usb_modeswitch reports having made, and its error/warning lines."""
    transfers: list[TransferRecord] = []
    problems: list[str] = []
    for number, raw in enumerate(output.splitlines()):
        line = raw.strip()
        when = start + number * 1e-6
        if line.lower().startswith(("error", "warning")) or "error" in line.lower() and "returned" in line:
            problems.append(line)
        if (match := _SEND.search(line)):
            key = _MESSAGE_KEYS.get(match.group(1)) if not config.flag("StandardEject") else None
            message = bytes.fromhex(str(config.get(key, "") or "")) if key else b""  # eject: built in
            transfers.append(TransferRecord(when, "OUT", "bulk", int(match.group(2), 16), message, result="sent?"))
        elif (match := _READ.search(line)):
            transfers.append(TransferRecord(when, "IN", "bulk", int(config.get("ResponseEndpoint") or 0x81), b"",
                                            result="read?"))
        elif (match := _RESET_EP.search(line)):
            endpoint = int(match.group(1), 16)
            transfers.append(TransferRecord(when, "OUT", "control", 0, b"", (0x02, 0x01, 0, endpoint, 0)))
        elif line.startswith(("OK, message successfully sent", "Response successfully read")) and transfers:
            ok = _READ_OK.search(line)
            transfers[-1] = _with_result(transfers[-1], f"ok, CSW status {ok.group(2)}" if ok else "ok")
        elif ("failed" in line or "returned error" in line) and transfers and transfers[-1].result.endswith("?"):
            transfers[-1] = _with_result(transfers[-1], f"error: {line}")
    return transfers, problems


def _with_result(record: TransferRecord, result: str) -> TransferRecord:
    return TransferRecord(record.time, record.direction, record.kind, record.endpoint, record.data,
                          record.setup, result)


class ExternalSwitchEngine(SwitchEngine):
    """Runs ``usb_modeswitch -c CONFIG -b BUS -g DEV`` on a port's device."""

    def __init__(self, bus: UsbBus, command: str = "usb_modeswitch", run_timeout: float = 60.0) -> None:
        self.bus = bus
        self.command = command
        self.run_timeout = run_timeout

    def close(self) -> None:
        """Nothing to stop: each switch is one finished process."""

    def describe(self) -> str:
        """Where the transfers go from, for step titles."""
        return " (usb_modeswitch on this host)"

    def argv(self, config_path: str, bus_number: int, address: int, config: SwitchConfig) -> list[str]:
        vendor, product = config.get("DefaultVendor"), config.get("DefaultProduct")
        return [find_program(self.command) or self.command, "-W", "-v", f"{vendor:04x}", "-p", f"{product:04x}",
                "-b", str(bus_number), "-g", str(address), "-c", config_path]

    def switch(self, port: str, config: SwitchConfig, timeout: float, where: str = "",
               expect: Check | None = None, expected: str = "", settle: float | None = None) -> SwitchResult:
        before = self.bus.device_at(port)
        if before is None:
            raise SwitchFailed(f"no device on port {port} to switch")
        result = SwitchResult(port, plan(config, 0).method, before)
        handle, path = tempfile.mkstemp(prefix="hilkit-switch-", suffix=".conf")
        try:
            with os.fdopen(handle, "w") as out:
                out.write(config.as_config_text())
            argv = self.argv(path, before.bus, before.address, config)
            started = time.monotonic()
            try:
                done = subprocess.run(argv, capture_output=True, text=True, timeout=self.run_timeout, check=False)
            except FileNotFoundError:
                raise SwitchFailed(f"{self.command} not found: install usb-modeswitch "
                                   "(or use the native engine: remove switch_engine from the rig file)") from None
            except subprocess.TimeoutExpired:
                raise SwitchFailed(f"{' '.join(argv[:1])} did not finish in {self.run_timeout:.0f} s on port {port}",
                                   result=result) from None
        finally:
            os.unlink(path)
        output = done.stdout + done.stderr
        result.transfers, problems = parse_output(output, config, started)
        result.warnings.extend(problems)
        result.notes.append(f"usb_modeswitch (exit {done.returncode}) ran {' '.join(argv[1:-1])} CONFIG:\n"
                            + output.strip())
        result.sent_at = time.monotonic()
        if done.returncode != 0 and not result.transfers:
            said = problems[0] if problems else (output.strip().splitlines() or ["no output"])[-1]
            raise SwitchFailed(f"usb_modeswitch refused to switch port {port} (exit {done.returncode}): {said}",
                               result=result, seen=before)
        reason = f"usb_modeswitch said: {problems[0]}" if problems else \
            (f"usb_modeswitch exited {done.returncode}" if done.returncode else "")
        return await_switched(self.bus, config, result, timeout, expect, expected, reason=reason, settle=settle)
