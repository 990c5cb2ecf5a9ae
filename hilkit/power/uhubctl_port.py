"""Per-port power on a USB hub through the ``uhubctl`` command.

``uhubctl -l HUB -p PORT -a on|off`` prints the port status after the action; the driver reads
it back from there (``Port 3: 0503 power highspeed enable connect`` means powered).
"""
from __future__ import annotations

import re
import subprocess

from hilkit.core.errors import PowerError
from hilkit.power.power_switch import PowerSwitch
from hilkit.programs import find_program

_STATUS = re.compile(r"^\s*Port\s+(\d+):\s+([0-9a-fA-F]{4})\s*(.*)$")


def parse_port_status(output: str, port: int) -> bool | None:
    """Power state of ``port`` in uhubctl's output (the last status line for it), or None."""
    state = None
    for line in output.splitlines():
        match = _STATUS.match(line)
        if match and int(match.group(1)) == port:
            words = match.group(3).split()
            state = "power" in words or "poweron" in words
    return state


class UhubctlPort(PowerSwitch):
    def __init__(self, hub: str, port: int, command: str = "uhubctl", timeout: float = 10.0,
                 name: str = "") -> None:
        super().__init__(name or f"uhubctl hub {hub} port {port}")
        self.hub, self.port, self.timeout = hub, port, timeout
        self.command = find_program(command) or command

    def _run(self, *action: str) -> str:
        argv = [self.command, "-l", self.hub, "-p", str(self.port), *action]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=self.timeout, check=False)
        except FileNotFoundError:
            raise PowerError(f"{self.name}: {self.command} not found (install the uhubctl package)") from None
        except subprocess.TimeoutExpired:
            raise PowerError(f"{self.name}: {' '.join(argv)} did not finish in {self.timeout:.0f} s") from None
        if done.returncode != 0:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise PowerError(f"{self.name}: {' '.join(argv)} failed ({done.returncode}): {last[0]}")
        return done.stdout

    def _set(self, on: bool) -> None:
        self._run("-a", "on" if on else "off")

    def _read(self) -> bool | None:
        return parse_port_status(self._run(), self.port)
