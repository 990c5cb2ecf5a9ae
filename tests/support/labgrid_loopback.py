"""A labgrid coordinator and exporter on 127.0.0.1, for CI and tests: a shared lab with no hardware.

``scripts/labgrid-loopback -- pytest suites --hilkit-rig lab/labgrid-loopback.yaml``
starts ``labgrid-coordinator`` on a free port, ``labgrid-exporter`` with
``lab/labgrid-loopback/exporter.yaml`` (free ports for the PDU and serial ports filled in), creates
one place per exporter group (``labgrid-client -p NAME create; add-match 'EXPORTER/NAME/*'``, done
here through the same gRPC calls), runs the command with ``LG_COORDINATOR`` set, and stops both
daemons whatever happens (end, failure, Ctrl-C, SIGTERM). The coordinator and exporter are
labgrid's real ones; what stands behind the exported addresses is the virtual lab.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from hilkit.config.paths import PROJECT_ROOT
from hilkit.core.errors import HilkitError, WaitTimeout

EXPORTER_NAME = "hilkit-loopback"
EXPORTER_CONFIG = PROJECT_ROOT / "lab" / "labgrid-loopback" / "exporter.yaml"
SLOTS = ("e3131", "e3372", "e3531")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def poll_until(check: Callable[[], str], timeout: float, expected: str, interval: float = 0.05) -> None:
    """Poll ``check`` (``""`` when done, else what it sees) until done or the deadline."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        seen = check()
        if not seen:
            return
        if time.monotonic() >= deadline:
            raise WaitTimeout(expected, seen, timeout)
        pause.wait(min(interval, max(0.0, deadline - time.monotonic())))


def _daemon(module: str) -> list[str]:
    return [sys.executable, "-c", f"import sys; from labgrid.remote.{module} import main; sys.exit(main())"]


class Loopback:
    """Coordinator + exporter subprocesses on loopback; a context manager that always stops them."""

    def __init__(self, workdir: str | Path | None = None, config: Path = EXPORTER_CONFIG,
                 slots: tuple[str, ...] = SLOTS) -> None:
        self._tmp = None if workdir else tempfile.TemporaryDirectory(prefix="hilkit-labgrid-")
        self.workdir = Path(workdir or self._tmp.name)  # type: ignore[union-attr]
        self.config, self.slots = config, slots
        self.address = f"127.0.0.1:{free_port()}"
        # a PDU and a serial port per dongle: a parallel run's slot runners each play their own
        self.env = {**{f"HILKIT_LOOPBACK_PDU_{s.upper()}": f"127.0.0.1:{free_port()}" for s in slots},
                    **{f"HILKIT_LOOPBACK_SERIAL_{s.upper()}": str(free_port()) for s in slots}}
        self.places = tuple(f"hilkit-{s}" for s in slots)
        self.processes: list[subprocess.Popen] = []

    def _start(self, argv: list[str], log: str) -> subprocess.Popen:
        out = open(self.workdir / log, "wb")  # noqa: SIM115 - closed with the process
        env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(argv, cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT, env=env,
                                   start_new_session=True)  # a Ctrl-C to the job reaches them only through stop()
        out.close()
        self.processes.append(process)
        return process

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self, timeout: float = 30.0) -> Loopback:
        try:
            coordinator = self._start(_daemon("coordinator") + ["-l", self.address], "coordinator.log")
            poll_until(lambda: self._listening(coordinator, "coordinator"), timeout,
                       f"labgrid-coordinator listening on {self.address}")
            exporter = self._start(_daemon("exporter") + ["-c", self.address, "--name", EXPORTER_NAME,
                                                          "--hostname", "localhost", str(self.config)], "exporter.log")
            from hilkit.lab.labgrid_place import PlaceClient
            client = PlaceClient(self.address)
            try:
                def exported() -> str:
                    if exporter.poll() is not None:
                        raise HilkitError(f"labgrid-exporter exited ({exporter.returncode}): "
                                          f"{self.log('exporter')[-500:]}")
                    groups = client.refresh().resources.get(EXPORTER_NAME, {})
                    missing = [p for p in self.places if p not in groups]
                    return f"groups missing: {', '.join(missing)}" if missing else ""
                poll_until(exported, timeout, f"exporter {EXPORTER_NAME} publishing {', '.join(self.places)}")
                self._add_places(client)
            finally:
                client.close()
        except BaseException:
            self.stop()
            raise
        return self

    def _listening(self, process: subprocess.Popen, name: str) -> str:
        if process.poll() is not None:
            raise HilkitError(f"labgrid-{name} exited ({process.returncode}): {self.log(name)[-500:]}")
        host, port = self.address.split(":")
        try:
            socket.create_connection((host, int(port)), timeout=0.5).close()
        except OSError as exc:
            return f"connect: {exc}"
        return ""

    def _add_places(self, client: object) -> None:
        from labgrid.remote.generated import labgrid_coordinator_pb2 as pb
        session = client.session()  # type: ignore[attr-defined]
        for place in self.places:
            client._run(session.stub.AddPlace(pb.AddPlaceRequest(name=place)), what="AddPlace")  # type: ignore[attr-defined]
            client._run(session.stub.AddPlaceMatch(  # type: ignore[attr-defined]
                pb.AddPlaceMatchRequest(placename=place, pattern=f"{EXPORTER_NAME}/{place}/*")), what="AddPlaceMatch")

    def stop(self) -> None:
        """Stop the exporter, then the coordinator (SIGTERM; SIGKILL after 5 s)."""
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)
        self.processes.clear()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Loopback:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="labgrid-loopback", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs=argparse.REMAINDER, help="command to run with LG_COORDINATOR set")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command to run, e.g. -- pytest suites --hilkit-rig lab/labgrid-loopback.yaml")

    try:
        import labgrid.remote.client  # noqa: F401
    except ImportError as exc:
        print(f"labgrid-loopback: labgrid is not installed ({exc}): pip install -e '.[labgrid]'", file=sys.stderr)
        return 1

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, terminate)
    try:
        with Loopback() as lab:
            print(f"labgrid-loopback: coordinator {lab.address}, exporter {EXPORTER_NAME}, "
                  f"places {', '.join(lab.places)}", file=sys.stderr, flush=True)
            child = subprocess.Popen(command, env={**os.environ, "LG_COORDINATOR": lab.address})
            try:
                return child.wait()
            except KeyboardInterrupt:
                # the run releases its places in teardown: the coordinator must outlive it
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
                try:
                    child.wait(30)
                except subprocess.TimeoutExpired:
                    child.kill()
                return 130
    except KeyboardInterrupt:
        return 130
    except HilkitError as exc:
        print(f"labgrid-loopback: {exc}", file=sys.stderr)
        return 1

if __name__ == "__main__":
    sys.exit(main())
