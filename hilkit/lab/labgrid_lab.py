"""A rig whose slots are labgrid places: acquire them, resolve each slot, release on every exit path.

The registry calls :func:`open_with_places` for a rig with a ``labgrid:`` section. The places are
acquired first (all or none), each slot gets its USB port path from its place, the local backend
(the bus view: the virtual lab in CI) is opened on the resolved rig, and a :class:`LabgridLab`
sends the labgrid slots' power, AT ports and mode switches through the places' resources.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from hilkit.core.errors import HilkitError, RigError
from hilkit.core.rig import Rig, Slot
from hilkit.lab.lab_backend import Capability, FaultInjection, LabBackend
from hilkit.lab.labgrid_map import (
    LabgridPower,
    exporter_host,
    power_driver,
    power_resource,
    serial_resource,
    serial_url,
    usb_port_path,
)
from hilkit.lab.labgrid_place import PlaceClient, PlaceError, PlaceResource
from hilkit.power import PowerSwitch
from hilkit.switch.switch_engine import SwitchEngine
from hilkit.usb.bus import UsbBus


class LabgridSlots:
    """The places of one rig, held for the length of a run."""

    def __init__(self, rig: Rig, client: PlaceClient | None = None) -> None:
        assert rig.labgrid is not None
        self.rig = rig
        self.client = client or PlaceClient(rig.labgrid.coordinator)
        self.resources: dict[str, list[PlaceResource]] = {}
        self._targets: dict[str, Any] = {}
        self.closers: list[Callable[[], None]] = []  # virtual hardware the lab plays, stopped before release

    def place_of(self, slot: Slot) -> str:
        return slot.power.place

    def acquire(self) -> Rig:
        """Acquire every slot's place; return the rig with each slot's port resolved from its place."""
        slots = []
        try:
            for slot in self.rig.slots:
                place = self.place_of(slot)
                self.client.acquire(place, f"{self.rig.path}:{slot.line}: slot {slot.name}")
                self.resources[slot.name] = found = self.client.resources(place)
                try:
                    port = usb_port_path(place, found)
                except PlaceError:
                    if not slot.port:
                        raise
                    port = slot.port
                if slot.port and port != slot.port:
                    raise RigError(self.rig.path, slot.line, f"slots[{slot.name}].port",
                                   f"{slot.port} but labgrid place {place} says the dongle is on {port}")
                power = power_resource(place, found)
                spec = dataclasses.replace(slot.power, resource=f"{power.cls} {power.name}")
                slots.append(dataclasses.replace(slot, port=port, power=spec))
        except BaseException:
            self.close()
            raise
        return dataclasses.replace(self.rig, slots=tuple(slots), labgrid=None)  # resolved: nothing left to acquire

    def target(self, slot: Slot) -> Any:
        """A labgrid Target holding the place's resources (labgrid's RemotePlace, as labgrid-client uses)."""
        if slot.name not in self._targets:
            from labgrid import Target
            from labgrid.resource.remote import RemotePlace, RemotePlaceManager
            manager = RemotePlaceManager.get()
            manager.session, manager.loop = self.client.session(), self.client._loop()
            target = Target(self.place_of(slot))
            RemotePlace(target, name=self.place_of(slot))
            self._targets[slot.name] = target
        return self._targets[slot.name]

    def power_switch(self, slot: Slot) -> PowerSwitch:
        res = power_resource(self.place_of(slot), self.resources[slot.name])
        try:
            driver = power_driver(self.target(slot), res)
        except HilkitError:
            raise
        except Exception as exc:  # noqa: BLE001 - labgrid: binding/activation errors of its own kinds
            raise PlaceError(f"{slot.describe()}: labgrid place {self.place_of(slot)}: cannot drive {res.describe()}: "
                             f"{type(exc).__name__}: {exc}") from None
        return LabgridPower(driver, f"{slot.name}: {slot.power.describe()}")

    def serial_url(self, slot: Slot, role: str) -> str | None:
        """The AT (or ``role``) port of the slot's dongle as the coordinator publishes it now."""
        found = self.client.resources(self.place_of(slot))
        res = serial_resource(self.place_of(slot), found, role)
        return serial_url(res) if res is not None else None

    def exporter_host(self, slot: Slot) -> str:
        return exporter_host(self.resources[slot.name])

    def switch_engine(self, slot: Slot, bus: UsbBus, usb_modeswitch: list[str]) -> SwitchEngine:
        """Mode switches of this slot run on its exporter host (USB transfers cannot cross labgrid)."""
        from hilkit.switch.exporter import ExporterSwitchEngine
        return ExporterSwitchEngine(bus, self.exporter_host(slot), self.place_of(slot), usb_modeswitch)

    def close(self) -> None:
        """Stop what the lab plays, drop labgrid targets, release every place (raises if one cannot be)."""
        try:
            for closer in reversed(self.closers):
                closer()
        finally:
            self.closers.clear()
            for target in self._targets.values():
                _drop_target(target)
            self._targets.clear()
            self.client.close()


def _drop_target(target: Any) -> None:
    from labgrid.resource.remote import RemotePlaceManager
    try:
        target.deactivate_all_drivers()
    except Exception:  # noqa: BLE001, S110 - a driver that cannot deactivate must not keep the place acquired
        pass
    manager = RemotePlaceManager.get()
    manager.resources[:] = [r for r in manager.resources if r.target is not target]
    manager.unmanaged_resources[:] = [r for r in manager.unmanaged_resources if r.target is not target]


class LabgridLab(LabBackend):
    """A backend whose labgrid slots go through their places: power through labgrid's drivers,
    the AT port the place publishes, mode switches on the exporter host. Everything else (the
    bus view, other slots, the attach endpoints) is the local backend's it wraps."""

    def __init__(self, local: LabBackend, places: LabgridSlots) -> None:
        super().__init__(local.rig)
        self.local = local
        self.places = places
        self.bus = local.bus
        self.pin_factory = local.pin_factory

    def can(self, capability: Capability) -> bool:
        return self.local.can(capability)

    @staticmethod
    def _placed(slot: Slot) -> bool:
        return slot.power.driver == "labgrid"

    @property
    def faults(self) -> FaultInjection:
        return self.local.faults

    def power_switch(self, slot: Slot) -> PowerSwitch:
        return self.places.power_switch(slot) if self._placed(slot) else self.local.power_switch(slot)

    def switch_engine(self, slot: Slot) -> SwitchEngine:
        if self._placed(slot):
            return self.places.switch_engine(slot, self.bus, self.local.usb_modeswitch_command())
        return self.local.switch_engine(slot)

    def serial_url(self, slot: Slot, role: str) -> str | None:
        return self.places.serial_url(slot, role) if self._placed(slot) else self.local.serial_url(slot, role)

    def mmcli_command(self) -> list[str]:
        return self.local.mmcli_command()

    def hilink_url(self, slot: Slot) -> str:
        return self.local.hilink_url(slot)

    def attach_evidence(self, slot: Slot) -> dict[str, str]:
        return self.local.attach_evidence(slot)

    # the data path runs where this process sees the dongle's interface, as the attach endpoints do
    def data_path(self, slot: Slot) -> str | None:
        return self.local.data_path(slot)

    def net_interface(self, slot: Slot) -> str:
        return self.local.net_interface(slot)

    def data_port(self, slot: Slot, name: str) -> str:
        return self.local.data_port(slot, name)   # ModemManager runs here too (mmcli_command)

    def end_data_path(self, slot: Slot) -> None:
        self.local.end_data_path(slot)

    def data_path_evidence(self, slot: Slot) -> dict[str, str]:
        return self.local.data_path_evidence(slot)

    def environment(self) -> dict[str, str]:
        return self.local.environment()

    def close(self) -> None:
        try:
            self.local.close()
        finally:
            self.places.close()  # releases the places: after everything else is at rest


def open_with_places(rig: Rig, open_local: Callable[[Rig], LabBackend]) -> LabBackend:
    """Acquire the rig's places, open the local backend on the resolved rig, wrap it; a local
    backend that plays labgrid hardware (the virtual lab) answers where the places point."""
    places = LabgridSlots(rig)
    resolved = places.acquire()
    local = None
    try:
        local = open_local(resolved)
        if local.can(Capability.LABGRID_HARDWARE):
            local.play_labgrid(places)
    except BaseException:
        try:
            if local is not None:
                local.close()
        finally:
            places.close()
        raise
    return LabgridLab(local, places)
