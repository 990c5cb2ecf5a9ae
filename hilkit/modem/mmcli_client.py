"""The mmcli client: runs ``mmcli`` (argument lists, a timeout, never a shell), masks secrets, keeps evidence."""
from __future__ import annotations

import logging
import shlex
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from hilkit.core.errors import ModemError
from hilkit.core.secrecy import Masker, mask_values
from hilkit.modem.mmcli_json import UNKNOWN, parse_mmcli_json, text_value
from hilkit.modem.mmcli_output import last_line, one_line

log = logging.getLogger(__name__)


class ModemNotFound(ModemError):
    """No modem matched (yet): ModemManager does not list it, or it went away."""


@dataclass
class MmcliCall:
    """One run of mmcli, secrets masked: what a report shows."""

    command: str
    returncode: int | None
    stdout: str
    stderr: str
    seconds: float


class ModemManager:
    """Runs ``mmcli`` (``command`` is how: ``["mmcli"]``, ``["sudo", "mmcli"]``, a fake ...).

    Every call is kept in :attr:`transcript` and the last answer to each command in
    :meth:`evidence`, with secrets (the SIM PIN) masked. A failing call raises
    :class:`ModemError` naming the command and the last line mmcli wrote to stderr.
    """

    def __init__(self, command: Sequence[str] = ("mmcli",), timeout: float = 10.0) -> None:
        if isinstance(command, str) or not command:
            raise ValueError("command must be a non-empty list of arguments, e.g. ['mmcli']")
        self.command = list(command)
        self.timeout = timeout
        self.transcript: list[MmcliCall] = []
        self._answers: dict[str, str] = {}
        self._masker = Masker()
        self._lock = threading.Lock()

    # -- masking ------------------------------------------------------------------------------
    def add_secret(self, secret: str) -> None:
        """Mask ``secret`` wherever a command, an answer or an error would show it."""
        self._masker.add(secret)

    def mask(self, text: str) -> str:
        return self._masker.mask(text)

    def _shown(self, args: Sequence[str]) -> str:
        """The command line as a report shows it: PIN/PUK options masked whatever their value."""
        return mask_values(self.mask(shlex.join(args)), "--pin|--puk")

    def evidence(self) -> dict[str, str]:
        """The last answer (stdout, or the error) to each distinct command, masked."""
        with self._lock:
            return dict(self._answers)

    # -- running ------------------------------------------------------------------------------
    def run(self, args: Sequence[str], timeout: float | None = None) -> str:
        """Run ``mmcli ARGS``; its stdout. Raises :class:`ModemError` if it cannot or it fails, or
        gives no answer within ``timeout`` s (the client's own when None)."""
        timeout = self.timeout if timeout is None else timeout
        argv = self.command + list(args)
        shown = self._shown(argv)
        log.debug("run %s", shown)
        started = time.monotonic()
        failure = ""
        stdout = stderr = ""
        returncode: int | None = None
        try:
            done = subprocess.run(argv, capture_output=True, text=True, encoding="utf-8",
                                  errors="replace", timeout=timeout, check=False)
        except FileNotFoundError:
            failure = f"{self.command[0]!r} not found (is ModemManager's mmcli installed?)"
        except PermissionError:
            failure = f"{self.command[0]!r} is not executable"
        except subprocess.TimeoutExpired as exc:
            failure = f"no answer within {timeout:.1f} s"
            stdout, stderr = (part.decode("utf-8", "replace") if isinstance(part, bytes) else (part or "")
                              for part in (exc.stdout, exc.stderr))
        except OSError as exc:
            failure = f"could not run it ({exc.strerror or type(exc).__name__})"
        else:
            stdout, stderr, returncode = done.stdout or "", done.stderr or "", done.returncode
            if returncode != 0:
                failure = f"exit status {returncode}"
        stdout, stderr = self.mask(stdout), self.mask(stderr)
        call = MmcliCall(shown, returncode, stdout, stderr, time.monotonic() - started)
        with self._lock:
            self.transcript.append(call)
            self._answers[shown] = stdout if not failure else f"{failure}\n{stderr}".strip()
        if failure:
            last = last_line(stderr)
            log.debug("%s failed: %s: %s", shown, failure, last)
            error = ModemNotFound if "couldn't find" in last else ModemError
            raise error(one_line(f"{shown}: {failure}" + (f": {last}" if last else ""), 400))
        return stdout

    def run_json(self, args: Sequence[str]) -> dict:
        """Run ``mmcli ARGS`` (which must ask for ``-J``) and parse its answer."""
        stdout = self.run(args)
        try:
            return parse_mmcli_json(stdout)
        except ModemError as exc:
            first = one_line(stdout.strip().splitlines()[0], 80) if stdout.strip() else "(nothing)"
            raise ModemError(one_line(f"{self._shown(self.command + list(args))}: answered no mmcli "
                                       f"JSON ({exc}); it printed {first!r}", 400)) from None

    # -- mmcli commands -----------------------------------------------------------------------
    def list_modems(self) -> list[str]:
        """D-Bus paths of the modems ModemManager knows (``mmcli -L -J``)."""
        data = self.run_json(["-L", "-J"])
        if "modem-list" not in data:
            raise ModemError(f"{self._shown(self.command + ['-L', '-J'])}: the answer has no 'modem-list'")
        return list(data["modem-list"])

    def modem(self, path: str) -> dict:
        """``mmcli -m PATH -J``: the ``modem`` object (``dbus-path``, ``generic``, ``3gpp`` ...)."""
        data = self.run_json(["-m", path, "-J"])
        if "modem" not in data:
            raise ModemError(f"{self._shown(self.command + ['-m', path, '-J'])}: the answer has no 'modem' object")
        return data["modem"]

    def enable(self, path: str) -> None:
        """``mmcli -m PATH -e``: a modem must be enabled before it registers."""
        self.run(["-m", path, "-e"])

    def send_pin(self, sim_path: str, pin: str) -> None:
        """``mmcli -i SIM --pin=PIN``; the PIN is masked in the transcript, evidence and errors."""
        self.add_secret(pin)
        self.run(["-i", sim_path, f"--pin={pin}"])

    def find(self, port_path: str = "", imei: str = "") -> str:
        """The D-Bus path of the modem on USB port ``port_path`` (its ``generic.device`` ends with
        ``/<port_path>``) or with IMEI ``imei`` -- never by index, which changes on every re-plug.

        Raises :class:`ModemNotFound` (a :class:`ModemError`) listing the modems seen when none or
        more than one matches.
        """
        return self.find_modem(port_path, imei)[0]

    def find_modem(self, port_path: str = "", imei: str = "") -> tuple[str, dict]:
        """As :meth:`find`, with the modem's ``mmcli -m PATH -J`` answer read on the way."""
        port = port_path.strip().strip("/")
        imei = imei.strip()
        if not port and not imei:
            raise ValueError("find() needs a USB port path (e.g. '1-1.3') or an IMEI")
        wanted = " or ".join(w for w in (f"on USB port {port}" if port else "",
                                          f"with IMEI {imei}" if imei else "") if w)
        seen: list[str] = []
        matches: list[tuple[str, dict]] = []
        for path in self.list_modems():
            try:
                modem = self.modem(path)
            except ModemNotFound:
                seen.append(f"{path} (gone)")
                continue
            device = text_value(modem, "generic.device")
            if device == UNKNOWN:
                device = text_value(modem, "generic.physdev")
            ids = {text_value(modem, "generic.equipment-identifier"), text_value(modem, "3gpp.imei")}
            seen.append(f"{path} at {device} IMEI {'/'.join(sorted(i for i in ids if i != UNKNOWN)) or '--'}")
            if (port and device.rstrip("/").endswith("/" + port)) or (imei and imei in ids):
                matches.append((path, modem))
        if len(matches) == 1:
            return matches[0]
        listing = "; ".join(seen) if seen else "ModemManager lists no modems"
        if matches:
            raise ModemNotFound(one_line(f"more than one modem {wanted}: {listing}", 600))
        raise ModemNotFound(one_line(f"no modem {wanted}; seen: {listing}", 600))
