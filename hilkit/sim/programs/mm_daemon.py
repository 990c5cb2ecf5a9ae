"""The fake ModemManager's daemon side: it watches hotplug events, as the real one watches udev,
probes the device on the port for an AT port, and exports the modem it finds to the state that
the fake ``mmcli`` reads (:class:`~hilkit.sim.programs.mm_state.MMState`)."""
from __future__ import annotations

from collections.abc import Callable

from hilkit.sim.model.dongle_lifecycle import ModemProbe
from hilkit.sim.programs.mm_state import MMState


class FakeModemManager:
    def __init__(self, state: MMState, probe: Callable[[str], ModemProbe | None]) -> None:
        self.state = state
        self._probe = probe   # port path -> what probing the device there finds
        self._exported: set[str] = set()   # ports with a modem in the state (spares the file a look)

    def hotplug(self, action: str, port: str) -> None:
        """A device (or its configuration) came or went on ``port``: forget it, then export the
        modem a probe finds there now."""
        if port in self._exported:
            self.state.remove_modem(port)
            self._exported.discard(port)
        if action == "remove":
            return
        found = self._probe(port)
        if found is not None:
            self._exported.add(port)
            self.state.add_modem(port, found.imei, found.manufacturer, found.model, found.revision,
                                 list(found.drivers), list(found.ports), found.network)
