"""The virtual lab's carrier network: real Linux networking behind each virtual dongle's network
interface (a namespace, a veth pair, Debian's dnsmasq and a small web server), with the data-path
faults a lab wants to see classified. See :mod:`hilkit.sim.carrier.carrier_network`."""
from hilkit.sim.carrier.carrier_network import CHECK_NAME, CarrierError, CarrierFaults, CarrierNetwork
from hilkit.sim.carrier.netns import carrier_available, sweep_stale

__all__ = ["CHECK_NAME", "CarrierError", "CarrierFaults", "CarrierNetwork", "carrier_available", "sweep_stale"]
