"""Helpers for the data-path tests: carrier networks closed at the end of a test (skipped where
this process cannot make namespaces), a lease put on the interface, and what a run left behind."""
from __future__ import annotations

import itertools
import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from hilkit.net import dhcp, interface
from hilkit.sim.carrier import CarrierNetwork, carrier_available

_numbers = itertools.count(1)


def need_carrier() -> None:
    reason = carrier_available()
    if reason:
        pytest.skip(reason)


def slot_name(tag: str = "t") -> str:
    """Unique within this process (the namespace's name adds the pid: unique across workers)."""
    return f"{tag}{next(_numbers)}"


def unique_subnet() -> str:
    """A /24 few other tests use, so an address left behind is ours beyond doubt."""
    n = next(_numbers)
    return f"10.{100 + os.getpid() % 100}.{n % 250}.0/24"


@contextmanager
def carriers() -> Iterator:
    """make(**options) -> a CarrierNetwork; all closed at the end."""
    need_carrier()
    made: list[CarrierNetwork] = []

    def make(tag: str = "t", **options) -> CarrierNetwork:
        network = CarrierNetwork(slot_name(tag), **options)
        made.append(network)
        return network
    try:
        yield make
    finally:
        for network in made:
            network.close()


@contextmanager
def online(network: CarrierNetwork, routes: bool = False) -> Iterator[dhcp.Lease]:
    """A lease from the carrier, on its interface while the block runs."""
    lease = dhcp.lease(network.ifname, 10)
    with interface.configure(network.ifname, lease.address, lease.prefix_length, lease.router or "", routes=routes):
        yield lease


def leftovers(namespace: str, ifname: str, address: str = "") -> list[str]:
    """What is still there of a carrier network and what the host side added to it."""
    found = []
    if (Path("/run/netns") / namespace).exists():
        found.append(f"namespace {namespace}")
    if Path("/sys/class/net", ifname).exists():
        found.append(f"interface {ifname}")
    if address:
        for entry in json.loads(subprocess.run(["ip", "-j", "addr"], capture_output=True, text=True).stdout):
            for a in entry.get("addr_info", []):
                if a.get("local") == address:
                    found.append(f"address {address} on {entry['ifname']}")
    for rule in json.loads(subprocess.run(["ip", "-j", "rule"], capture_output=True, text=True).stdout):
        if rule.get("oif") == ifname:
            found.append(f"rule {rule}")
    return found


def until_clean(namespace: str, ifname: str, address: str = "", budget: float = 10.0) -> list[str]:
    """Leftovers once they are gone or ``budget`` s passed (a namespace is freed by the kernel
    after its last process: not always at once). A hang guard, not a speed limit."""
    deadline = time.monotonic() + budget
    while (found := leftovers(namespace, ifname, address)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found
