"""The data path of each simulated slot: a carrier network (:mod:`hilkit.sim.carrier`) behind the
virtual dongle's network interface, made when a test goes online and taken down when the dongle's
test ends. Its link follows the dongle's session (the HiLink stick's dial, the AT model's NDIS call,
the fake ModemManager's bearer). A dial-up call's carrier has a tun far end instead, and the modem's
side of the PPP call (:class:`~hilkit.sim.carrier.ppp_far_end.PppFarEnd`) on the dongle's data port.
The data-path faults the rig or a marker names are the carrier's."""
from __future__ import annotations

from urllib.parse import urlsplit

from hilkit.core.errors import HilkitError
from hilkit.core.faults import DATA_PATH_FAULTS
from hilkit.core.rig import Slot
from hilkit.net.tun import tun_unavailable
from hilkit.sim.carrier import CHECK_NAME, CarrierNetwork, carrier_available, sweep_stale
from hilkit.sim.carrier.ppp_far_end import PppFarEnd
from hilkit.sim.virtual_hardware import VirtualHardware


def carrier_subnet(slot: Slot, index: int) -> str:
    """HiLink: the stick's own LAN (its web API's /24, 192.168.8.0/24 by default); else an operator's
    private range, one per slot."""
    attach = slot.profile.attach
    if attach is not None and attach.method == "hilink":
        host = urlsplit(attach.url or "http://192.168.8.1").hostname or "192.168.8.1"
        return ".".join(host.split(".")[:3]) + ".0/24"
    return f"10.64.{index}.0/24"


class DataPaths:
    """The carrier networks of a simulated lab's slots, one at a time per slot."""

    swept = False

    def __init__(self, hardware: VirtualHardware, rig_slots: tuple[Slot, ...]) -> None:
        self.hardware = hardware
        self.index = {slot.name: i for i, slot in enumerate(rig_slots)}
        self.carriers: dict[str, CarrierNetwork] = {}
        self.far_ends: dict[str, PppFarEnd] = {}

    def prepare(self, slot: Slot, throughput_url: str = "") -> str | None:
        """A fresh carrier network for the slot's next session, whose DNS also knows the host of the
        rig's ``throughput_url``; why there can be none here, or None."""
        method = slot.profile.data_method
        # the real daemon, seeing the AT port only, connects a PPP bearer (mmcli: ipv4 method "ppp")
        dial_up = method == "ppp" or (method == "bearer" and self.hardware.real_mm is not None)
        why = carrier_available() or (tun_unavailable() if dial_up else None)
        if why:
            return why
        if not DataPaths.swept:   # what killed runs left (their guardian killed too), once per process
            DataPaths.swept = True
            sweep_stale()
        self.release(slot)
        faults = [name for name in DATA_PATH_FAULTS if self.hardware.dice.fires(name, slot.port)]
        hosts = [urlsplit(url).hostname for url in (slot.profile.data.check_url, throughput_url) if url]
        carrier = CarrierNetwork(slot.name, subnet=carrier_subnet(slot, self.index.get(slot.name, 0)),
                                 faults=faults, link_up=dial_up, far_end="tun" if dial_up else "veth",
                                 names=tuple(dict.fromkeys([h for h in hosts if h] + [CHECK_NAME])))
        self.carriers[slot.name] = carrier
        dongle = self.hardware.dongles[slot.name]
        if dial_up:
            self.far_ends[slot.name] = dongle.data_peer = PppFarEnd(carrier, ended=dongle.end_call)
            return None
        dongle.data_link = carrier.set_link
        if method == "bearer" and self.hardware.real_mm is None:   # the real daemon sets up its own
            address = str(carrier.subnet.network_address + 2)
            self.hardware.modem_manager.set_data_path(slot.port, {
                "interface": carrier.ifname,
                "link_command": carrier.link_command(),
                "ipv4": {"method": "static", "address": address, "prefix": carrier.subnet.prefixlen,
                         "gateway": carrier.gateway, "dns": [carrier.dns_server], "mtu": 1500}})
        return None

    def interface(self, slot: Slot) -> str:
        carrier = self.carriers.get(slot.name)
        if carrier is None:
            raise HilkitError(f"{slot.describe()}: no carrier network (data_path() first)")
        if carrier.far_end == "tun":
            raise HilkitError(f"{slot.describe()}: a dial-up session's interface is its PPP link's, not the dongle's")
        return carrier.ifname

    def evidence(self, slot: Slot) -> dict[str, str]:
        carrier = self.carriers.get(slot.name)
        far_end = self.far_ends.get(slot.name)
        return {} if carrier is None else {"carrier network": carrier.describe(), **carrier.evidence(),
                                           **(far_end.evidence() if far_end is not None else {})}

    def release(self, slot: Slot) -> None:
        carrier = self.carriers.pop(slot.name, None)
        if carrier is None:
            return
        dongle = self.hardware.dongles[slot.name]
        dongle.data_link = None
        far_end = self.far_ends.pop(slot.name, None)
        if far_end is not None:
            dongle.data_peer = None
            dongle.end_call()   # a call still up ends with its network
            far_end.close()     # before the carrier closes the tun it reads
        carrier.close()

    def close(self) -> None:
        problems = []
        for name in list(self.carriers):
            carrier = self.carriers.pop(name)
            far_end = self.far_ends.pop(name, None)
            try:
                if far_end is not None:
                    far_end.close()
                carrier.close()
            except Exception as exc:  # noqa: BLE001 - every carrier is closed whatever one says
                problems.append(str(exc))
        if problems:
            raise RuntimeError("; ".join(problems))
