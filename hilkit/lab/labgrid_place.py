"""A labgrid place, acquired through labgrid's coordinator for the length of a run.

hilkit does not run a lab server of its own: a shared lab runs labgrid's coordinator and one
exporter per lab host, and each dongle (its power port, USB device and serial port) is a labgrid
*place*. :class:`PlaceClient` talks to the coordinator with labgrid's own client
(:class:`labgrid.remote.client.ClientSession`, gRPC), acquires places the way
``labgrid-client acquire`` does, reads the acquired resources, and releases them.

Release happens on every exit path hilkit sees: the end of the run, a failure, Ctrl-C and SIGTERM
(both reach teardown as KeyboardInterrupt), and interpreter exit (``atexit``). A SIGKILLed run
cannot release anything: the coordinator keeps the place acquired (by ``host/user``) until
someone runs ``labgrid-client -p PLACE release --kick`` (see docs/labgrid.md).
"""
from __future__ import annotations

import asyncio
import atexit
import getpass
import os
import socket
from dataclasses import dataclass
from typing import Any

from hilkit.core.errors import HilkitError

DEFAULT_COORDINATOR = "127.0.0.1:20408"
_SESSIONS: dict[str, tuple[Any, str]] = {}  # coordinator -> (ClientSession, the host/user it announced)
CONNECT_TIMEOUT = 10.0
CALL_TIMEOUT = 20.0


class PlaceError(HilkitError):
    """A labgrid place cannot be used (unknown, unmatched, coordinator unreachable)."""


class PlaceBusy(PlaceError):
    """The place is acquired by someone else: the message names who holds it."""

    def __init__(self, message: str, holder: str) -> None:
        super().__init__(message)
        self.holder = holder


@dataclass(frozen=True)
class PlaceResource:
    """One acquired resource as the coordinator publishes it (``labgrid-client show``)."""

    name: str                      # the name in the place (the match's rename, else the resource's)
    cls: str                       # NetworkPowerPort, NetworkSerialPort, NetworkUSBPowerPort, ...
    params: dict[str, Any]
    avail: bool
    path: str                      # exporter/group/class/name

    def describe(self) -> str:
        shown = {k: v for k, v in self.params.items() if k != "extra"}
        return f"{self.cls} {self.path} {shown}"


@dataclass
class _Held:
    name: str
    where: str
    by: str   # host/user the coordinator recorded: release only if it still says so


def _identity() -> str:
    """``host/user`` as labgrid's ClientSession announces itself (LG_HOSTNAME / LG_USERNAME honoured)."""
    return f"{os.environ.get('LG_HOSTNAME', socket.gethostname())}/{os.environ.get('LG_USERNAME', getpass.getuser())}"


class PlaceClient:
    """The places one run holds on one coordinator, through one labgrid client session."""

    def __init__(self, coordinator: str) -> None:
        self.coordinator = coordinator
        self.identity = _identity()
        self._held: dict[str, _Held] = {}
        atexit.register(self.release_all)

    # -- session ---------------------------------------------------------------------------
    def _loop(self) -> asyncio.AbstractEventLoop:
        from labgrid.remote.client import ensure_event_loop
        return ensure_event_loop()

    def _run(self, coro: Any, timeout: float = CALL_TIMEOUT, what: str = "") -> Any:
        try:
            return self._loop().run_until_complete(asyncio.wait_for(coro, timeout))
        except asyncio.TimeoutError:
            raise PlaceError(f"labgrid coordinator {self.coordinator}: no answer to {what} "
                             f"within {timeout:.0f} s") from None

    def session(self) -> Any:
        """The process's live labgrid ClientSession to this coordinator (a new one if it lost it).

        One per process and coordinator, shared by every PlaceClient: a second ClientSession on
        the same event loop fails in gRPC's core ("Internal error from Core" on its first send).
        """
        shared = _SESSIONS.get(self.coordinator)
        if shared is not None and not shared[0].stopping.is_set():
            self.identity = shared[1]
            return shared[0]
        from labgrid.remote.client import ClientSession, Error
        from labgrid.util.proxy import proxymanager
        address = proxymanager.get_grpc_address(self.coordinator, default_port=20408)
        session = ClientSession(address, self._loop())
        identity = _identity()  # what session.start() announces: the coordinator names the acquirer so
        try:
            self._run(session.start(), CONNECT_TIMEOUT, "a new client session")
        except (Error, PlaceError) as exc:
            self._run(session.close(), 5, "closing the session")
            raise PlaceError(f"labgrid coordinator {self.coordinator} is not reachable ({exc}); "
                             f"is labgrid-coordinator running there?") from None
        _SESSIONS[self.coordinator] = (session, identity)
        self.identity = identity
        return session

    def refresh(self) -> Any:
        """Wait until the session has every update the coordinator sent so far."""
        session = self.session()
        self._run(session.sync_with_coordinator(), what="a sync")
        return session

    # -- places ----------------------------------------------------------------------------
    def _place(self, name: str, where: str) -> Any:
        session = self.refresh()
        place = session.places.get(name)
        if place is None:
            known = ", ".join(sorted(session.places)) or "none"
            raise PlaceError(f"{where}: labgrid place {name!r} does not exist on coordinator {self.coordinator} "
                             f"(places: {known})")
        return place

    def acquire(self, name: str, where: str = "") -> None:
        """Acquire ``name`` for this run; :class:`PlaceBusy` names the holder if it is taken."""
        import grpc
        from labgrid.remote.generated import labgrid_coordinator_pb2
        where = where or f"place {name}"
        place = self._place(name, where)
        if place.acquired:
            raise self._busy(name, place.acquired, where)
        session = self.session()
        resources = [(exporter, group, entry.cls, res)
                     for exporter, groups in session.resources.items()
                     for group, entries in groups.items() for res, entry in entries.items()]
        unmatched = place.unmatched(resources)
        if unmatched is not None:
            raise PlaceError(f"{where}: labgrid place {name}: match {unmatched} has no resource on coordinator "
                             f"{self.coordinator} (is the exporter running?)")
        request = labgrid_coordinator_pb2.AcquirePlaceRequest(placename=name)
        try:
            self._run(session.stub.AcquirePlace(request), what=f"acquiring {name}")
        except grpc.aio.AioRpcError as exc:
            holder = self._place(name, where).acquired
            if holder:
                raise self._busy(name, holder, where) from None
            raise PlaceError(f"{where}: labgrid place {name}: the coordinator refused to acquire it: "
                             f"{exc.details()}") from None
        self._held[name] = _Held(name, where, by=self.identity)
        self.refresh()

    def _busy(self, name: str, holder: str, where: str) -> PlaceBusy:
        mine = " (this host and user: another run here, or one that was killed)" if holder == self.identity else ""
        return PlaceBusy(f"{where}: labgrid place {name} is acquired by {holder}{mine}; wait for it to be released "
                         f"or, if that run is dead, free it with: labgrid-client -x {self.coordinator} -p {name} "
                         f"release --kick", holder)

    def holder(self, name: str) -> str | None:
        """Who holds ``name`` now, as the coordinator says (``host/user``), or None."""
        return self._place(name, f"place {name}").acquired

    def resources(self, name: str) -> list[PlaceResource]:
        """The resources acquired with ``name`` as the coordinator publishes them now."""
        session = self.refresh()
        place = session.places[name]
        found = []
        for path in place.acquired_resources:
            exporter, group, cls, res = path
            match = place.getmatch(path)
            entry = session.resources.get(exporter, {}).get(group, {}).get(res)
            if entry is None:
                raise PlaceError(f"{self._held[name].where}: labgrid place {name}: resource {'/'.join(path)} "
                                 f"is orphaned (exporter {exporter} disconnected?)")
            found.append(PlaceResource(match.rename or res if match else res, entry.cls, dict(entry.params),
                                       bool(entry.avail), "/".join(path)))
        return found

    def release(self, name: str) -> None:
        """Give ``name`` back, only if this run still holds it (``fromuser``: never someone else's)."""
        held = self._held.pop(name, None)
        if held is None:
            return
        import grpc
        from labgrid.remote.generated import labgrid_coordinator_pb2
        request = labgrid_coordinator_pb2.ReleasePlaceRequest(placename=name, fromuser=held.by)
        try:
            session = self.session()
            self._run(session.stub.ReleasePlace(request), what=f"releasing {name}")
            self._run(session.sync_with_coordinator(), what="a sync")
        except (grpc.aio.AioRpcError, PlaceError) as exc:
            detail = exc.details() if isinstance(exc, grpc.aio.AioRpcError) else str(exc)
            raise PlaceError(f"labgrid place {name} could not be released ({detail}); release it by hand: "
                             f"labgrid-client -x {self.coordinator} -p {name} release") from None

    def release_all(self) -> None:
        """Release every held place (teardown, atexit); the first failure is raised after trying all."""
        failure: PlaceError | None = None
        for name in list(self._held):
            try:
                self.release(name)
            except PlaceError as exc:
                failure = failure or exc
        if failure is not None:
            raise failure

    def close(self) -> None:
        """Release this client's places; the shared session stays for the next client."""
        try:
            self.release_all()
        finally:
            atexit.unregister(self.release_all)
