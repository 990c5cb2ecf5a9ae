"""A carrier network is torn down on every exit path: closed twice, a failed start, a process
SIGTERMed in the middle of a download (handled as hilkit's session handles it, or not handled at
all), and SIGKILLed together with its guardian, where the next run's sweep removes what was left.

A child process runs the plugin-free API (hilkit.net and hilkit.sim.carrier only); the checks look
at the host as ``ip netns list``, ``ip link``, ``ip addr`` and ``ip rule`` show it."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.carrier import carriers, leftovers, need_carrier, slot_name, unique_subnet, until_clean

from hilkit.sim.carrier import CarrierError, CarrierNetwork, sweep_stale
from hilkit.sim.carrier.netns import namespace_name

CHILD = """
import json, signal, sys
from hilkit.net import dhcp, interface, probes
from hilkit.sim.carrier import CarrierNetwork
slot, subnet, handled = sys.argv[1], sys.argv[2], sys.argv[3] == "handled"
if handled:   # as hilkit's pytest session takes SIGTERM: an exception, so every 'with' unwinds
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
with CarrierNetwork(slot, subnet=subnet, faults=["slow_data"]) as network:
    lease = dhcp.lease(network.ifname, 10)
    with interface.configure(network.ifname, lease.address, lease.prefix_length, lease.router, routes=True):
        print(json.dumps({"namespace": network.namespace, "ifname": network.ifname, "address": lease.address,
                          "workdir": str(network.workdir), "guardian": network._guardian.pid}), flush=True)
        probes.throughput(network.bytes_url(100_000_000), network.ifname, timeout=120)
"""


def until_gone(path: Path, budget: float = 10.0) -> bool:
    deadline = time.monotonic() + budget
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not path.exists()


def _start_child(handled: bool) -> tuple[subprocess.Popen[str], dict]:
    child = subprocess.Popen([sys.executable, "-c", CHILD, slot_name("c"), unique_subnet(),
                              "handled" if handled else "plain"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    line = child.stdout.readline()
    if not line:
        child.wait(30)
        pytest.fail(f"the child did not set up its carrier: {child.stderr.read() if child.stderr else ''}")
    said = json.loads(line)
    log = Path(said["workdir"], "http.log")
    deadline = time.monotonic() + 30       # a hang guard: the download starts within milliseconds
    while "GET /bytes" not in (log.read_text() if log.exists() else ""):
        assert time.monotonic() < deadline and child.poll() is None, "the download never started"
        time.sleep(0.02)
    return child, said


@pytest.fixture
def reap():
    """Children still running at the end of a test are killed (by their pid)."""
    started: list[subprocess.Popen[str]] = []
    yield started.append
    for child in started:
        if child.poll() is None:
            child.kill()
        child.wait(30)


@pytest.mark.parametrize("handled", [True, False], ids=["sigterm-handled", "sigterm-unhandled"])
def test_sigterm_mid_transfer_leaves_nothing(handled, reap):
    need_carrier()
    child, said = _start_child(handled)
    reap(child)
    assert leftovers(said["namespace"], said["ifname"], said["address"])   # all there while it downloads
    child.send_signal(signal.SIGTERM)
    code = child.wait(30)
    assert code == (143 if handled else -signal.SIGTERM)
    if handled:   # the process itself tore everything down before it exited
        assert leftovers(said["namespace"], said["ifname"], said["address"]) == []
    else:         # its guardian did, once the process was gone
        assert until_clean(said["namespace"], said["ifname"], said["address"]) == []
    assert until_gone(Path(said["workdir"])), "the carrier's directory is left"


def test_sigkill_with_its_guardian_is_swept_by_the_next_run(reap):
    need_carrier()
    child, said = _start_child(handled=False)
    reap(child)
    os.kill(said["guardian"], signal.SIGKILL)
    child.kill()
    child.wait(30)
    left = leftovers(said["namespace"], said["ifname"], said["address"])
    assert f"namespace {said['namespace']}" in left and f"interface {said['ifname']}" in left
    removed = sweep_stale()
    # another test worker's sweep may have come first: then it is gone all the same
    assert f"namespace {said['namespace']}" in removed or not (Path("/run/netns") / said["namespace"]).exists()
    assert until_clean(said["namespace"], said["ifname"], said["address"]) == []
    assert not Path(said["workdir"]).exists()


def test_sweep_leaves_the_living_alone():
    with carriers() as make:
        network = make()
        assert f"namespace {network.namespace}" not in sweep_stale()
        assert network.link_up


def test_close_twice_and_a_failed_start_leave_nothing():
    need_carrier()
    slot = slot_name("d")
    network = CarrierNetwork(slot)
    try:
        with pytest.raises(CarrierError, match="exists already"):
            CarrierNetwork(slot_name("e"), ifname=network.ifname)       # the host end's name is taken
        with pytest.raises(CarrierError, match="exists already"):
            CarrierNetwork(slot)                                        # the namespace's name is taken
        assert network.link_up                                          # neither failure touched it
    finally:
        network.close()
    network.close()
    assert leftovers(network.namespace, network.ifname) == [] and not network.workdir.exists()
    assert namespace_name(slot) == network.namespace
