"""Slot locks: one ``flock`` per slot, so two runs on one host never drive the same dongle.

A lock is a file ``<lock dir>/<rig>-<port>.lock`` held with ``fcntl.flock`` while a session drives
the slot. The holder writes its PID, command line and start time into the file, so the run that
finds it busy can say who has it. The kernel drops a flock when its holder dies (even on SIGKILL),
so a lock left by a dead process is simply taken over; the file itself is never removed (removing
a lock file others may have open is racy), only emptied on release.

Waiting is event-driven: a helper thread blocks in ``flock`` and the caller waits on an event with
a deadline; a wait that runs out cancels the helper, which lets go of the lock if it gets it late.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import shlex
import socket
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hilkit.core.errors import HilkitError
from hilkit.programs import process_alive

#: host-wide lock directory (FHS: /run/lock is a tmpfs for lock files, cleared at boot)
SYSTEM_LOCK_DIR = Path("/run/lock/hilkit")


class SlotBusy(HilkitError):
    """Another process holds the slot: the message is one line naming the holder."""

    def __init__(self, who: str, waited: float = 0.0) -> None:
        self.who = who  # "slot e3131 (port 1-1.2) busy: held by PID 1234 (...) since 04:12:03"
        super().__init__(who + (f"; waited {waited:g} s" if waited > 0 else ""))


def default_lock_dir() -> Path:
    """``/run/lock/hilkit`` when /run/lock is writable (every user of the host sees it), else
    ``$XDG_RUNTIME_DIR/hilkit/locks``, else a per-user directory under /tmp."""
    if SYSTEM_LOCK_DIR.is_dir() and os.access(SYSTEM_LOCK_DIR, os.W_OK) or \
            os.access(SYSTEM_LOCK_DIR.parent, os.W_OK):
        return SYSTEM_LOCK_DIR
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.access(runtime, os.W_OK):
        return Path(runtime) / "hilkit" / "locks"
    return Path("/tmp") / f"hilkit-locks-{os.getuid()}"  # noqa: S108 - per user, checked on open


def lock_dir(named: str | Path | None = None) -> Path:
    """The lock directory: the one named (option, ``HILKIT_LOCK_DIR``, ini), else the host's default.
    A command outside pytest names it with ``--lock-dir`` or the same environment variable."""
    named = named or os.environ.get("HILKIT_LOCK_DIR")
    return Path(named) if named else default_lock_dir()


def lock_path(directory: Path, rig: str, port: str) -> Path:
    """``<directory>/<rig>-<port>.lock``, with anything but ``[A-Za-z0-9._-]`` made ``_``."""
    return Path(directory) / (re.sub(r"[^A-Za-z0-9._-]", "_", f"{rig}-{port}") + ".lock")


def command_line() -> str:
    """This process's command line, short: ``hilkit run --parallel``, ``python -m pytest suites``."""
    try:
        argv = Path("/proc/self/cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
    except OSError:
        argv = [sys.executable] + sys.argv
    if len(argv) > 1 and Path(argv[0]).name.startswith("python") and not argv[1].startswith("-"):
        argv = argv[1:]  # a console script run by its interpreter: name the script
    text = " ".join(shlex.join([Path(argv[0]).name] + argv[1:]).split()) if argv else "?"  # one line
    return text if len(text) <= 80 else text[:79] + "…"


@dataclass(frozen=True)
class Holder:
    """Who holds a slot, as its lock file says."""

    pid: int
    cmdline: str
    since: float   # time.time()
    host: str = ""

    def describe(self) -> str:
        started = time.localtime(self.since)
        when = time.strftime("%H:%M:%S" if started[:3] == time.localtime()[:3] else "%Y-%m-%d %H:%M:%S", started)
        text = f"held by PID {self.pid} ({self.cmdline}) since {when}"
        if self.host == socket.gethostname() and not process_alive(self.pid):
            text += " (that PID is gone: a process it started still has the lock open)"
        return text

    @staticmethod
    def read(path: Path) -> Holder | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Holder(int(data["pid"]), str(data["cmdline"]), float(data["since"]), str(data.get("host", "")))
        except (OSError, ValueError, KeyError, TypeError):
            return None  # empty (released, or its holder is still writing) or not ours


class SlotLock:
    """The lock of one slot. ``acquire(wait)`` or :class:`SlotBusy`; ``release()`` is idempotent."""

    def __init__(self, path: Path, label: str) -> None:
        self.path = Path(path)
        self.label = label  # "slot e3131 (port 1-1.2)"
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def _open(self) -> int:
        if not self.path.parent.is_dir():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.parent == SYSTEM_LOCK_DIR:
                os.chmod(SYSTEM_LOCK_DIR, 0o1777)  # noqa: S103 - shared by every user of the host, like /tmp
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            os.fchmod(fd, 0o666)  # another user's run must be able to take it over later
        except OSError:
            pass
        return fd

    def acquire(self, wait: float = 0.0) -> None:
        """Take the lock, waiting up to ``wait`` seconds for its holder to let go."""
        if self._fd is not None:
            return
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            waited = self._wait(wait) if wait > 0 else None
            if waited is None:
                raise self._busy(wait) from None
            fd = waited
        self._fd = fd
        record = {"pid": os.getpid(), "cmdline": command_line(), "since": time.time(),
                  "host": socket.gethostname(), "slot": self.label}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(record) + "\n").encode(), 0)

    def _wait(self, wait: float) -> int | None:
        """Block in flock on a helper thread; return its descriptor, or None after ``wait`` s."""
        fd = self._open()
        got, guard = threading.Event(), threading.Lock()
        state: dict[str, bool | OSError | None] = {"cancelled": False, "error": None}

        def block() -> None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError as exc:
                state["error"] = exc
            with guard:
                if state["cancelled"]:
                    os.close(fd)  # too late: the caller gave up, so let the next one have it
                    return
                got.set()

        threading.Thread(target=block, name=f"slot-lock {self.label}", daemon=True).start()
        try:
            got.wait(wait)
        finally:
            with guard:
                if not got.is_set():
                    state["cancelled"] = True
        if not got.is_set():
            return None
        if state["error"] is not None:
            os.close(fd)
            raise HilkitError(f"{self.label}: cannot lock {self.path}: {state['error']}")
        return fd

    def _busy(self, waited: float) -> SlotBusy:
        holder = Holder.read(self.path)
        who = holder.describe() if holder else "held by another process (it has not said who yet)"
        return SlotBusy(f"{self.label} busy: {who}", waited)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)  # nobody holds it now: leave no stale owner behind
        finally:
            os.close(fd)         # closing the last descriptor drops the flock


class SlotLocks:
    """The locks of several slots, taken in one order (path order: two runs waiting for each
    other's slots cannot deadlock) within one deadline, and released together."""

    def __init__(self, locks: Iterable[SlotLock]) -> None:
        self.locks = sorted(locks, key=lambda lock: str(lock.path))

    def acquire(self, wait: float = 0.0) -> None:
        deadline = time.monotonic() + wait
        try:
            for lock in self.locks:
                lock.acquire(max(0.0, deadline - time.monotonic()))
        except SlotBusy as exc:
            self.release()
            raise SlotBusy(exc.who, wait) from None
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        for lock in reversed(self.locks):
            lock.release()

    def __enter__(self) -> SlotLocks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
