"""Debian's real ModemManager driving the virtual dongles: the daemon on a private system bus, in
its test mode, with each modem's AT port served from the dongle's firmware model.

What was shown to work here is in ``shared/reference/modemmanager-test-mode.md``: a private
``dbus-daemon`` with a permissive ``system`` config, a stand-in for polkit (Debian's MM asks it
before ``--enable``; nothing else answers on a private bus), ``ModemManager --test-enable
--no-auto-scan --test-no-udev``, and ``Test.SetProfile(id, plugin, ports)`` with a unix socket per
AT port. The modem's ``generic.device`` is ``/virtual/<id>``; the id ends with the USB port path, so
hilkit's checker finds it by port as on a rig. Where any piece is missing, :func:`unavailable` says
which, and the virtual lab falls back to its fake mmcli (and says so).
"""
from __future__ import annotations

import itertools
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hilkit.core.errors import HilkitError
from hilkit.sim.adapters.socket_port import SocketAtPort
from hilkit.sim.programs.polkit_standin import PolkitStandIn, gi_missing

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={path}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/>
  </policy>
</busconfig>
"""
MM_NAME = "org.freedesktop.ModemManager1"
START_TIMEOUT = 20.0   # a hang guard: the daemon is on the bus in ~0.15 s


def unavailable() -> str:
    """Why the real ModemManager cannot run here ("" when it can)."""
    for program in ("ModemManager", "mmcli", "dbus-daemon", "gdbus"):
        if shutil.which(program) is None and not Path("/usr/sbin", program).exists():
            return f"{program} is not installed (Debian: modemmanager, dbus, libglib2.0-bin)"
    return gi_missing()


def _program(name: str) -> str:
    return shutil.which(name) or str(Path("/usr/sbin", name))


def _dies_with_us(argv: list[str]) -> list[str]:
    """``argv`` run so that it gets SIGTERM when the thread that started it ends, however the run
    ends (a SIGKILLed pytest, a timeout): no private bus or daemon is left behind (util-linux's
    setpriv sets the parent-death signal, then execs the program)."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--", *argv] if setpriv else argv


def version() -> str:
    """``ModemManager --version``'s version, or "" where it does not run."""
    try:
        out = subprocess.run([_program("ModemManager"), "--version"], capture_output=True, text=True,
                             timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.split()[1] if len(out.split()) > 1 else ""


class RealModemManager:
    """One daemon for one simulated lab, started on its first modem. ``hotplug`` is told of the
    dongles as udev would tell it; a worker thread probes after the host has seen the device, as
    the real daemon finds a modem some time after the kernel does."""

    def __init__(self, state_dir: Path, serve: Callable[[str], SocketAtPort | None], udev: bool = False) -> None:
        self._serve = serve          # USB port path -> a socket served by the dongle's modem, or None
        self.udev = udev             # under umockdev: the daemon watches (emulated) udev and probes by itself
        self._dir = state_dir
        self.address = f"unix:path={state_dir / 'system-bus'}"
        self.log_path = state_dir / "ModemManager.log"
        self._ids = itertools.count(1)
        self._uids: dict[str, str] = {}            # USB port path -> the device id given to the daemon
        self._connection: Any = None
        self.ports: dict[str, SocketAtPort] = {}   # USB port path -> its AT socket while plugged
        self.transcripts: list[tuple[str, SocketAtPort]] = []
        self._procs: list[subprocess.Popen[str]] = []
        self._polkit: PolkitStandIn | None = None
        self._events: queue.Queue[tuple[str, str, str] | None] = queue.Queue()  # (action, port, plug)
        self._started = threading.Event()
        self._plug_lock = threading.Lock()
        self._current: dict[str, str] = {}   # port -> the plug the host sees there now
        self.notes: list[str] = []           # what happened that did not stop the daemon
        self._parked = threading.Event()     # the worker took its last event
        self._released = threading.Event()   # close() ended the daemons: the worker (their parent) may end
        self.error = ""   # why the daemon could not start or take a modem
        self._worker = threading.Thread(target=self._work, name="modemmanager", daemon=True)
        self._worker.start()

    def environment(self) -> dict[str, str]:
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address)
        if self.udev:
            # the testbed umockdev made in this process (set in the C environment, which
            # os.environ does not see): the daemon reads the same fake /sys and /dev
            from gi.repository import GLib
            root = GLib.getenv("UMOCKDEV_DIR")
            if root:
                env["UMOCKDEV_DIR"] = root
        return env

    def mmcli_command(self) -> list[str]:
        """The real mmcli on the private bus, once the daemon is on it."""
        self._events.put(("start", "", ""))
        if not self._started.wait(START_TIMEOUT) or self.error:
            raise HilkitError(f"the real ModemManager did not start: {self.error or 'still starting'} "
                              f"(log: {self.log_path})")
        return ["env", f"DBUS_SYSTEM_BUS_ADDRESS={self.address}", "mmcli"]

    def hotplug(self, action: str, port: str) -> None:
        """A dongle came, went or changed mode on ``port``: MM drops its modem there and probes anew.

        Each plug is a device of its own to the daemon (``/virtual/plugN/<port>``), named here, as the
        host sees the plug, so :meth:`device` names the current plug's before the daemon hears of it."""
        uid = "" if action == "remove" else f"plug{next(self._ids)}/{port}"
        with self._plug_lock:
            if uid:
                self._current[port] = uid
            else:
                self._current.pop(port, None)
        self._events.put((action, port, uid))

    def device(self, port: str) -> str:
        """How the daemon's ``generic.device`` for the modem now on ``port`` ends: its plug's own
        name (an older plug's modem, still probing or failed, is not this one); under udev, the port."""
        with self._plug_lock:
            return port if self.udev else self._current.get(port, port)

    # -- the worker --------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            event = self._events.get()
            if event is None:
                self._parked.set()
                self._released.wait()   # the daemons die with this thread (_dies_with_us): not before close()
                return
            try:
                if not self._started.is_set():
                    self._start()
            except (HilkitError, OSError, subprocess.SubprocessError) as exc:
                self.error = self.error or str(exc)   # the daemon is not there: every caller is told
                self._started.set()
                continue
            try:
                if event[0] != "start" and not self.udev and not self.error:
                    self._replug(*event)
            except (HilkitError, OSError, subprocess.SubprocessError) as exc:
                # one plug the daemon could not be told of: that dongle's attach fails on its own
                # (its modem never shows); the daemon goes on serving the others
                self.notes.append(f"{event[0]} on {event[1]}: {exc}")

    def _start(self) -> None:
        config = self._dir / "system-bus.conf"
        config.write_text(BUS_CONFIG.format(path=self._dir / "system-bus"))
        bus = subprocess.Popen(_dies_with_us([_program("dbus-daemon"), f"--config-file={config}", "--nofork",
                                              "--print-address"]),
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self._procs.append(bus)
        assert bus.stdout is not None
        if not bus.stdout.readline().strip():   # printed once the bus listens
            raise HilkitError(f"dbus-daemon exited ({bus.wait()}) before printing its address")
        self._polkit = PolkitStandIn(self.address)
        discovery = [] if self.udev else ["--test-enable", "--no-auto-scan", "--test-no-udev"]
        self._procs.append(subprocess.Popen(
            _dies_with_us([_program("ModemManager"), *discovery, "--test-no-suspend-resume", "--log-level=DEBUG",
                           "--log-relative-timestamps", f"--log-file={self.log_path}"]),
            env=self.environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True))
        self._wait_for_daemon()
        from gi.repository import Gio
        flags = Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION
        # the connection hilkit's calls go over; the daemon keeps a device inhibited while it lives
        self._connection = Gio.DBusConnection.new_for_address_sync(self.address, flags, None, None)
        self._started.set()

    def _call(self, method: str, signature: str, *args: object) -> None:
        from gi.repository import Gio, GLib
        try:
            self._connection.call_sync(MM_NAME, "/org/freedesktop/ModemManager1", method.rsplit(".", 1)[0],
                                       method.rsplit(".", 1)[1], GLib.Variant(signature, args), None,
                                       Gio.DBusCallFlags.NONE, 10_000, None)
        except GLib.Error as exc:
            raise HilkitError(f"ModemManager's {method.rsplit('.', 1)[1]} failed: {exc.message}") from None

    def _gdbus(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([_program("gdbus"), "call", "--address", self.address, *args],
                              capture_output=True, text=True, timeout=10)

    def _wait_for_daemon(self) -> None:
        deadline, pause, seen = time.monotonic() + START_TIMEOUT, threading.Event(), ""
        while True:
            answer = self._gdbus("--dest", "org.freedesktop.DBus", "--object-path", "/org/freedesktop/DBus",
                                 "--method", "org.freedesktop.DBus.NameHasOwner", MM_NAME)
            if "true" in answer.stdout:
                return
            seen = (answer.stdout or answer.stderr).strip()
            if self._procs[-1].poll() is not None or time.monotonic() > deadline:
                raise HilkitError(f"ModemManager did not come onto its bus within {START_TIMEOUT:.0f} s "
                                  f"(expected the name {MM_NAME}; seen: {seen or 'nothing'}; "
                                  f"exit {self._procs[-1].poll()}; log {self.log_path})")
            pause.wait(0.05)

    def _replug(self, action: str, port: str, uid: str) -> None:
        old = self.ports.pop(port, None)
        if old is not None:
            # In test mode the daemon keeps a modem whose port hung up; a rig's udev would remove it.
            # Inhibiting its device (held while hilkit's connection lives) removes it the same way.
            try:
                self._call(f"{MM_NAME}.InhibitDevice", "(sb)", f"/virtual/{self._uids.pop(port)}", True)
            except HilkitError as exc:
                # "Modem not exported": the daemon was still probing the old port, so there is no
                # modem to remove; closing the port ends that probe. Not a reason to stop the daemon.
                if "WrongState" not in str(exc):
                    raise
                self.notes.append(f"replug on {port}: {exc}")
            old.close()
        if action == "remove":
            return
        served = self._serve(port)
        if served is None:
            return
        self.ports[port], self._uids[port] = served, uid   # generic.device /virtual/plugN/<port>
        self.transcripts.append((port, served))
        self._call(f"{MM_NAME}.Test.SetProfile", "(ssas)", uid, "generic", [served.name])

    def transcript(self, port: str) -> str:
        """What the daemon sent the modem on ``port`` and what it answered, over every plug (under
        udev, where the daemon opens the ttys itself: the AT traffic of its own log)."""
        if self.udev:
            try:
                lines = self.log_path.read_text(errors="replace").splitlines()
            except OSError:
                return ""
            return "".join(line + "\n" for line in lines if "/at] -->" in line or "/at] <--" in line)
        notes = "".join(f"-- {note}\n" for note in self.notes if f" on {port}:" in note)
        return notes + "".join(f"-- plug on {port}\n{sock.transcript_text()}" for p, sock in self.transcripts
                               if p == port)

    def close(self) -> None:
        self._events.put(None)
        self._parked.wait(timeout=START_TIMEOUT)
        for sock in list(self.ports.values()):
            sock.close()
        if self._connection is not None:
            self._connection.close_sync(None)
        if self._polkit is not None:
            self._polkit.close()   # while its bus is still there to say goodbye to
        for proc in reversed(self._procs):
            proc.terminate()
        for proc in reversed(self._procs):
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._released.set()
        self._worker.join(timeout=START_TIMEOUT)
