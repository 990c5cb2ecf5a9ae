"""AT commands over a serial port (pyserial): final result codes, echo, URCs, a masked transcript.

A reader thread splits what the modem sends into lines. While a command is in flight, lines up to
its final result code (OK, CONNECT, ERROR, +CME/+CMS ERROR, NO CARRIER, BUSY, NO ANSWER, NO DIALTONE
and the vendor ones: :func:`hilkit.modem.ts27007.final_result`) are its response, except
unsolicited result codes (+CREG:, ^RSSI:, RING, ...) whose prefix is not the command's own: those
are kept apart, with a timestamp, and can be waited for.
"""
from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import serial

from hilkit.core.errors import Category, ModemError, WaitTimeout
from hilkit.core.secrecy import MASK, Masker
from hilkit.modem.cme import SIM_CODES
from hilkit.modem.ts27007 import FinalResult, final_result

URC_PREFIXES = ("+CREG:", "+CGREG:", "+CEREG:", "^RSSI:", "^MODE:", "^BOOT:", "^SRVST:", "^SIMST:",
                "^HCSQ:", "^DSFLOWRPT:", "^RSSILVL:", "+CMTI:", "+CUSD:", "+CRING:", "RING", "+CLIP:",
                "^NDISSTAT:", "+PACSP")


@dataclass
class AtResponse:
    command: str
    lines: list[str]
    final: str
    elapsed: float

    @property
    def result(self) -> FinalResult:
        return final_result(self.final) or FinalResult(self.final, False)

    @property
    def ok(self) -> bool:
        return self.result.success

    def value(self, prefix: str) -> str | None:
        """The text after ``prefix`` (e.g. ``+CSQ:``) in the first line that has it."""
        for line in self.lines:
            if line.startswith(prefix):
                return line[len(prefix):].strip()
        return None


class AtCommandError(ModemError):
    def __init__(self, response: AtResponse, shown: str) -> None:
        self.response = response
        result = response.result
        # +CME ERROR about the SIM (not inserted, PIN/PUK needed, failure, busy, wrong): 27.007 9.2.1
        sim = result.kind == "CME" and result.code in SIM_CODES
        super().__init__(f"{shown} failed: {result.describe()}", category=Category.SIM_ERROR if sim else None)

    @property
    def cme_code(self) -> int | None:
        """The +CME ERROR code (numeric, or the text form's), or None for another failure."""
        result = self.response.result
        return result.code if result.kind == "CME" else None


@dataclass
class TranscriptEntry:
    time: float
    direction: str   # ">>" sent, "<<" response, "!!" unsolicited, "--" note
    text: str


@dataclass
class Urc:
    time: float
    text: str


class AtClient:
    """One AT port. ``secrets`` are masked wherever a command or answer would show them."""

    def __init__(self, port: str, baudrate: int = 115200, secrets: list[str] | None = None,
                 default_timeout: float = 5.0) -> None:
        self.port_name = port
        self.default_timeout = default_timeout
        self._masker = Masker(secrets or [])
        try:
            # serial_for_url: a tty path, or a labgrid place's rfc2217:// or socket:// port
            self.serial = serial.serial_for_url(port, baudrate=baudrate, timeout=0.2, write_timeout=2,
                                                rtscts=False, dsrdtr=False)
        except (serial.SerialException, OSError) as exc:
            raise ModemError(f"cannot open {port}: {exc}", category=Category.PORT_VANISHED) from None
        self.transcript: list[TranscriptEntry] = []
        self.urcs: list[Urc] = []
        self._lines: deque[tuple[float, str]] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._handed_over = False
        self._partial = b""                # what the reader has of a line not ended yet
        self._reader_error: str = ""
        self._command_prefix: str | None = None
        self._reader = threading.Thread(target=self._read_loop, name=f"at-{port}", daemon=True)
        self._reader.start()
        self._note(f"opened {port} at {baudrate} baud")

    # -- masking ---------------------------------------------------------------------------
    def add_secret(self, secret: str) -> None:
        self._masker.add(secret)

    def mask(self, text: str) -> str:
        return self._masker.mask(text)

    def _log(self, direction: str, text: str) -> None:
        self.transcript.append(TranscriptEntry(time.monotonic(), direction, self.mask(text)))

    def _note(self, text: str) -> None:
        self._log("--", text)

    def transcript_text(self) -> str:
        """The transcript, masked again as it is shown: a secret learned after it was logged
        (an IMEI the modem answered) is hidden in the earlier lines too."""
        start = self.transcript[0].time if self.transcript else 0.0
        return "\n".join(f"+{e.time - start:8.3f} s {e.direction} {self.mask(e.text)}"
                         for e in self.transcript) + "\n"

    # -- reading ---------------------------------------------------------------------------
    def _read_loop(self) -> None:
        self._partial = b""
        while not (self._closed or self._handed_over):
            try:
                chunk = self.serial.read(self.serial.in_waiting or 1)
            except (serial.SerialException, OSError, TypeError) as exc:
                with self._cond:
                    self._reader_error = f"{self.port_name} failed: {exc}"   # the port vanished
                    self._cond.notify_all()
                return
            if not chunk:
                continue
            self._partial += chunk
            while True:
                cut = min((i for i in (self._partial.find(b"\r"), self._partial.find(b"\n")) if i >= 0), default=-1)
                if cut < 0:
                    break
                raw, self._partial = self._partial[:cut], self._partial[cut + 1:]
                line = raw.decode("latin-1", errors="replace").strip()
                if line:
                    self._dispatch(line)

    def _dispatch(self, line: str) -> None:
        now = time.monotonic()
        with self._cond:
            prefix = self._command_prefix
            if line.startswith(URC_PREFIXES) and (prefix is None or not line.startswith(prefix)):
                self.urcs.append(Urc(now, line))
                self._log("!!", line)
            else:
                self._lines.append((now, line))
            self._cond.notify_all()

    # -- commands --------------------------------------------------------------------------
    def command(self, command: str, timeout: float | None = None, check: bool = True,
                secret: bool = False) -> AtResponse:
        """Send ``command`` (with or without the ``AT`` prefix) and wait for its final result code.

        Raises :class:`AtCommandError` for an error result when ``check``; :class:`WaitTimeout`
        naming the command and the lines seen when no final result code arrives in time.
        """
        text = command if command.upper().startswith("AT") else "AT" + command
        shown = self.mask(text) if not secret else re.sub(r"=.*", "=" + MASK, text)
        if self._handed_over:   # the port carries PPP: AT text would break the call (or hang it up)
            raise ModemError(f"{shown}: {self.port_name} is in data mode (handed over to PPP), not taking commands")
        if secret:
            self.add_secret(text.split("=", 1)[-1].strip('"'))
        timeout = self.default_timeout if timeout is None else timeout
        match = re.match(r"AT([+^][A-Z0-9]+)", text.upper())
        with self._cond:
            self._lines.clear()
            self._command_prefix = match.group(1) + ":" if match else None
        start = time.monotonic()
        self._log(">>", shown)
        try:
            self.serial.write(text.encode("latin-1") + b"\r")
        except (serial.SerialException, OSError) as exc:
            raise ModemError(f"{shown}: cannot write to {self.port_name}: {exc}",
                             category=Category.PORT_VANISHED) from None
        lines: list[str] = []
        deadline = start + timeout
        with self._cond:
            while True:
                while self._lines:
                    _, line = self._lines.popleft()
                    if line == text or line.upper() == text.upper():
                        continue  # echo
                    self._log("<<", line)
                    if final_result(line) is not None:
                        self._command_prefix = None
                        response = AtResponse(shown, lines, line, time.monotonic() - start)
                        if check and not response.ok:
                            raise AtCommandError(response, shown)
                        return response
                    lines.append(line)
                if self._reader_error:
                    raise ModemError(f"{shown}: {self._reader_error}", category=Category.PORT_VANISHED)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._command_prefix = None
                    seen = " | ".join(self.mask(line) for line in lines) or "nothing"
                    self._note(f"timeout after {timeout:.1f} s")
                    raise WaitTimeout(f"a final result code for {shown} from {self.port_name}", seen, timeout,
                                      category=Category.AT_TIMEOUT)
                self._cond.wait(remaining)

    def wait_urc(self, predicate: Callable[[str], bool], timeout: float, expected: str,
                 since: float = 0.0) -> Urc:
        """Wait for an unsolicited line (received after ``since``) that satisfies ``predicate``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for urc in self.urcs:
                    if urc.time >= since and predicate(urc.text):
                        return urc
                if self._reader_error:
                    raise ModemError(self._reader_error, category=Category.PORT_VANISHED)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = " | ".join(u.text for u in self.urcs if u.time >= since) or "no unsolicited codes"
                    raise WaitTimeout(expected, seen, timeout)
                self._cond.wait(remaining)

    # -- data mode -------------------------------------------------------------------------
    def hand_over(self) -> tuple[serial.SerialBase, bytes]:
        """After CONNECT the port carries the call (PPP frames, not lines): stop reading it and give
        it to the caller (a PPP client), with what came after CONNECT already (a modem's first LCP
        request comes at once); :meth:`take_back` reads lines again. AT commands fail meanwhile."""
        self._handed_over = True
        self._stop_reader()
        pending, self._partial = self._partial, b""
        self._note("port handed over: data mode")
        return self.serial, pending

    def take_back(self) -> None:
        """The call is over: read command lines again."""
        if self._closed or not self._handed_over:
            return
        self._handed_over = False
        self._reader = threading.Thread(target=self._read_loop, name=f"at-{self.port_name}", daemon=True)
        self._reader.start()
        self._note("port back: command mode")

    def _stop_reader(self) -> None:
        """Stop the reader thread (it sees the flag that stops it after its read is cancelled)."""
        try:
            cancel = getattr(self.serial, "cancel_read", None)
            if cancel is not None and self.serial.is_open:
                cancel()
        except (serial.SerialException, OSError):
            pass
        if self._reader is not threading.current_thread():
            self._reader.join(timeout=2)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        # Stop the reader before closing the port: closing a descriptor another thread is
        # reading (or ioctl-ing) is a race on any tty driver.
        self._stop_reader()
        try:
            self.serial.close()
        finally:
            self._note("closed")

    def __enter__(self) -> AtClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
