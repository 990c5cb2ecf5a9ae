"""The machine ``hilkit doctor`` checks: every file read and every command run goes through :class:`Host`.

Its ``root`` (``/`` by default) is prefixed to every path, and every command goes through
``host.run`` / ``host.which``: tests give a fake root tree and fake commands, and no check depends
on the machine the tests run on. Paths in messages are shown as the host sees them
(``/etc/udev/rules.d/...``), whatever the root.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hilkit.programs import SBIN_DIRS


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    stdout: str = ""
    stderr: str = ""

    @property
    def text(self) -> str:
        return f"{self.stdout}\n{self.stderr}"


def run_command(argv: Sequence[str], timeout: float = 10.0) -> CommandResult:
    """Run a command; a missing program or a hang is a result too, never an exception."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError:
        return CommandResult(127, "", f"{argv[0]}: not found")
    except subprocess.TimeoutExpired:
        return CommandResult(124, "", f"{' '.join(argv)} did not finish in {timeout:.0f} s")
    except OSError as exc:
        return CommandResult(126, "", f"{argv[0]}: {exc.strerror}")
    return CommandResult(done.returncode, done.stdout, done.stderr)


def module_available(name: str) -> bool:
    """Whether ``import name`` would find the module, without importing it."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # RPi.GPIO without RPi
        return False


@dataclass
class Host:
    """The machine being checked: a root directory, and how to run and find commands there."""

    root: Path = Path("/")
    run: Callable[[Sequence[str]], CommandResult] = run_command
    which: Callable[[str], str | None] | None = None  # name -> host path; default searches under root
    access: Callable[[Path, int], bool] = os.access
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    module_available: Callable[[str], bool] = module_available

    def path(self, host_path: str) -> Path:
        """``/etc/x`` on the host -> the file to read (``root/etc/x``)."""
        return self.root / host_path.lstrip("/")

    def container(self) -> str:
        """Why this looks like a container ('' when it does not). In one, the udev rules and the
        ModemManager that act on the dongles are the host's, not what this filesystem shows."""
        for marker in ("/.dockerenv", "/run/.containerenv"):
            if self.exists(marker):
                return marker
        cgroup = self.read("/proc/1/cgroup") or ""
        for word in ("docker", "kubepods", "lxc", "containerd", "libpod"):
            if word in cgroup:
                return f"/proc/1/cgroup mentions {word}"
        if self.environ.get("container"):
            return f"container={self.environ['container']} in the environment"
        return ""

    def show(self, path: Path) -> str:
        """The file to read -> how the host names it."""
        try:
            return "/" + path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def read(self, host_path: str | Path) -> str | None:
        path = host_path if isinstance(host_path, Path) else self.path(host_path)
        try:
            return path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    def exists(self, host_path: str) -> bool:
        return self.path(host_path).exists()

    def glob(self, pattern: str) -> list[Path]:
        return sorted(self.root.glob(pattern.lstrip("/")))

    def path_dirs(self) -> list[str]:
        return [d for d in self.environ.get("PATH", "").split(":") if d]

    def find_program(self, name: str) -> str | None:
        """Host path of ``name``: on PATH, else in an sbin directory; None when absent."""
        if self.which is not None:
            return self.which(name)
        for directory in [*self.path_dirs(), *SBIN_DIRS]:
            candidate = self.path(f"{directory.rstrip('/')}/{name}")
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return self.show(candidate)
        return None

    def run_program(self, host_path: str, *args: str) -> CommandResult:
        return self.run([str(self.path(host_path)), *args])
