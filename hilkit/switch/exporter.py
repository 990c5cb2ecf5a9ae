"""Mode switches sent by ``usb_modeswitch`` on a labgrid exporter host (the external engine).

USB transfers cannot cross labgrid's coordinator: a dongle in a shared lab hangs off the exporter
host, so its switch runs THERE, with the installed ``usb_modeswitch`` binary and the profile's
switch written as a usb_modeswitch config file. Everything else stays hilkit's: the refusal checks
run first on the bus view (nothing is sent when they fail), the device is picked by bus and
device number (``-b``/``-g``, as two identical sticks need), and success is hilkit's own wait for
the device on the same port to come back in the target mode.

The command runs through ``ssh HOST --`` (labgrid's SSH connection to the exporter) unless the
exporter is this host, where it runs directly.
"""
from __future__ import annotations

import shlex
import socket
import subprocess
import time

from hilkit.core.device import DeviceInfo, InterfaceInfo
from hilkit.core.errors import Category, SwitchFailed
from hilkit.core.switch_plan import Operation
from hilkit.core.switchconfig import SwitchConfig
from hilkit.switch.external import parse_output
from hilkit.switch.native import NativeSwitchEngine
from hilkit.switch.result import SwitchResult
from hilkit.usb.bus import UsbBus

# The config goes over stdin into a temporary file on the exporter host: `-c FILE` reads exactly
# what `hilkit switch` and the profile say, and nothing is left behind.
_SCRIPT = 'f=$(mktemp) || exit 1; cat > "$f"; "$@" -c "$f"; rc=$?; rm -f "$f"; exit $rc'
LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}
_NOT_FOUND = "No devices in default mode found"


def is_local(host: str) -> bool:
    return host in LOCAL_HOSTS or host in (socket.gethostname(), socket.getfqdn())


def remote_prefix(host: str) -> list[str]:
    """How to run a command on ``host``: nothing for this host, labgrid's SSH connection otherwise."""
    if is_local(host):
        return []
    from labgrid.util.ssh import sshmanager
    return sshmanager.get(host).get_prefix() + ["--"]


def exporter_command(host: str, usb_modeswitch: list[str], bus: int, address: int) -> list[str]:
    """The argv that writes stdin to a config file on ``host`` and runs usb_modeswitch on it."""
    inner = ["sh", "-c", _SCRIPT, "sh", *usb_modeswitch, "-b", str(bus), "-g", str(address)]
    prefix = remote_prefix(host)
    return prefix + [shlex.join(inner)] if prefix else inner


class ExporterSwitchEngine(NativeSwitchEngine):
    """The native engine's refusals and wait; its transfers sent by usb_modeswitch on the exporter host."""

    def __init__(self, bus: UsbBus, host: str, place: str, usb_modeswitch: list[str] | None = None,
                 timeout: float = 60.0) -> None:
        super().__init__(bus)
        self.host, self.place = host, place
        self.usb_modeswitch = usb_modeswitch or ["usb_modeswitch"]
        self.timeout = timeout

    def describe(self) -> str:
        return f" by usb_modeswitch on exporter host {self.host or 'localhost'} (labgrid place {self.place})"

    def send(self, port: str, config: SwitchConfig, before: DeviceInfo, interface: InterfaceInfo | None,
             operations: list[Operation], result: SwitchResult) -> bool:
        argv = exporter_command(self.host, self.usb_modeswitch, before.bus, before.address)
        result.notes.append(f"sent by usb_modeswitch on exporter host {self.host or 'localhost'} "
                            f"(labgrid place {self.place}); the transfers below are as usb_modeswitch reports them")
        result.notes.append("$ " + shlex.join(argv))
        try:
            done = subprocess.run(argv, input=config.as_config_text(), capture_output=True, text=True,
                                  timeout=self.timeout, check=False)
        except FileNotFoundError as exc:
            raise SwitchFailed(f"cannot run usb_modeswitch on exporter host {self.host}: {exc}",
                               result=result) from None
        except subprocess.TimeoutExpired:
            raise SwitchFailed(f"usb_modeswitch on exporter host {self.host} did not finish within "
                               f"{self.timeout:.0f} s", result=result) from None
        output = (done.stdout + done.stderr).strip()
        result.notes.extend(output.splitlines())
        result.transfers, problems = parse_output(output, config, time.monotonic())
        result.warnings.extend(problems)
        if done.returncode != 0:
            last = output.splitlines()[-1] if output else "no output"
            raise SwitchFailed(f"usb_modeswitch on exporter host {self.host} failed "
                               f"({done.returncode}): {last}", result=result, category=Category.TRANSFER_ERROR)
        if _NOT_FOUND in output:  # usb_modeswitch exits 0 here: say so now rather than wait out the budget
            raise SwitchFailed(f"usb_modeswitch on exporter host {self.host or 'localhost'} found no device "
                               f"{before.bus:03d}/{before.address:03d} in default mode: {_NOT_FOUND}",
                               result=result)
        return False
