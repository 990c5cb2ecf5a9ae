"""The host side of a dongle's data path, the same on a rig and in the virtual lab: the dongle's
network interface (:mod:`~hilkit.net.interface`), a DHCP client (:mod:`~hilkit.net.dhcp`) and the
checks that traffic flows through that interface only (:mod:`~hilkit.net.probes`: DNS, HTTP, round
trip, throughput). Every socket here is bound to the interface (``SO_BINDTODEVICE``), so the
host's own default route can never answer in the dongle's place; each failure kind is its own
exception class with its own report category (:mod:`~hilkit.net.failures`).
"""
