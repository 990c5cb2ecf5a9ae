"""The host side of the data path (hilkit.net) against the virtual lab's carrier network, which is
real Linux networking with Debian's dnsmasq behind a veth pair: a lease with the fields dnsmasq
grants, a DNS answer, HTTP, round trip and throughput through the interface only, the link going
down and up, and two slots handing out the same subnet at once.

Timings here are hang guards, never verdicts: nothing asserts how fast this machine is."""
from __future__ import annotations

import ipaddress
import json
import subprocess
import threading

import pytest
from support.carrier import carriers, online

from hilkit.core.errors import Category, WaitTimeout
from hilkit.net import dhcp, interface, probes
from hilkit.net.failures import DnsFailure
from hilkit.sim.carrier import CHECK_NAME


@pytest.fixture
def make():
    with carriers() as factory:
        yield factory


def _route_get(*args: str) -> str:
    return subprocess.run(["ip", "route", "get", *args], capture_output=True, text=True).stdout


def _default_routes() -> str:
    return subprocess.run(["ip", "-j", "route", "show", "default"], capture_output=True, text=True).stdout


def test_the_lease_carries_what_dnsmasq_grants(make):
    network = make(lease_seconds=600)
    lease = dhcp.lease(network.ifname, 10)
    assert ipaddress.IPv4Address(lease.address) in network.subnet
    assert 100 <= int(lease.address.rsplit(".", 1)[1]) <= 199          # the carrier's DHCP range
    assert (lease.prefix_length, lease.router, lease.dns_servers) == (24, network.gateway, (network.gateway,))
    assert (lease.lease_seconds, lease.server, lease.interface) == (600, network.gateway, network.ifname)
    assert lease.elapsed > 0 and [line.split()[-1] for line in lease.exchange if "->" in line][:1] == ["DHCPDISCOVER"]
    mac = interface.link(network.ifname).mac
    log = network.evidence()["carrier dnsmasq log"]
    assert f"DHCPACK(carrier0) {lease.address} {mac}" in log            # dnsmasq's own word for it
    assert lease.address in lease.describe() and "router: " + network.gateway in lease.describe()


def test_dns_answers_through_the_interface_and_forwards_nothing(make):
    network = make()
    with online(network) as lease:
        assert probes.resolve(CHECK_NAME, lease.dns_servers[0], network.ifname) == [network.gateway]
        with pytest.raises(DnsFailure) as refused:   # no upstream: the carrier asks no one outside
            probes.resolve("example.org", lease.dns_servers[0], network.ifname)
    assert refused.value.rcode == 5 and refused.value.category is Category.DNS_FAILURE
    assert "REFUSED" in str(refused.value)


def test_http_goes_through_the_interface_only(make):
    network = make()
    before = _default_routes()
    with online(network) as lease:
        answer = probes.http_get(network.check_url, network.ifname, dns_server=network.dns_server).expect(204)
        page = probes.http_get(network.url("/"), network.ifname).expect(200)
        # the address went on without a prefix route: the host's own routing never leads there
        assert f"dev {network.ifname}" not in _route_get(network.gateway)
        assert f"dev {network.ifname}" in _route_get(network.gateway, "oif", network.ifname)
    assert (answer.status, answer.body, answer.address) == (204, b"", network.gateway)
    assert page.body == b"hilkit carrier network\n" and page.headers["Server"].startswith("hilkit-carrier")
    assert f'{lease.address} "GET /generate_204 HTTP/1.0" 204' in network.evidence()["carrier web server log"]
    assert _default_routes() == before


def test_round_trip_and_throughput_are_measured(make):
    network = make()
    with online(network):
        rtt = probes.round_trip(network.gateway, network.ifname, count=3)
        refused = probes.round_trips(network.gateway, network.ifname, count=2, port=81)   # an RST is an answer
        rate = probes.throughput(network.bytes_url(4_000_000), network.ifname, timeout=30)
    assert rtt > 0 and len(refused) == 2 and all(s > 0 for s in refused)
    assert (rate.received, rate.complete, rate.expected) == (4_000_000, True, 4_000_000)
    assert rate.bits_per_second > 0 and "kbit/s" in rate.describe()


def test_the_link_comes_up_and_goes_down(make):
    """A dongle's link is down until its session is connected: the lab raises it then."""
    network = make(link_up=False)
    assert not network.link_up
    with pytest.raises(WaitTimeout) as down:
        interface.wait_for_link(network.ifname, 0.3)
    assert down.value.category is Category.NO_DATA_SESSION and "no carrier" in down.value.seen
    raise_later = threading.Timer(0.2, network.set_link, (True,))
    raise_later.start()
    try:
        assert interface.wait_for_link(network.ifname, 10).carrier    # woken by the kernel's link message
    finally:
        raise_later.join()
    assert dhcp.lease(network.ifname, 10).router == network.gateway
    network.set_link(False)
    assert not network.link_up and not interface.link(network.ifname).carrier


def test_an_interface_that_is_not_there_times_out_saying_so():
    with pytest.raises(WaitTimeout) as missing:
        interface.wait_for_link("hknothere0", 0.1)
    assert missing.value.seen == "no interface hknothere0"


def test_three_slots_hand_out_the_same_subnet_at_once(make):
    """Three dongles behind 192.168.8.0/24 (HiLink's default) on one host, leased, checked and
    downloading at the same time: each interface reaches its own carrier. The middle carrier is a
    portal, so an answer shows whose it was; each web server saw only its own client."""
    networks = [make("a"), make("b", faults=["captive_portal"]), make("c")]
    assert len({n.subnet for n in networks}) == 1 and len({n.ifname for n in networks}) == 3
    leases: dict[str, dhcp.Lease] = {}
    answers: dict[str, probes.HttpAnswer] = {}
    rates: dict[str, probes.Rate] = {}

    def run(network):
        lease = leases[network.ifname] = dhcp.lease(network.ifname, 10)
        with interface.configure(network.ifname, lease.address, 24, network.gateway, routes=True):
            answers[network.ifname] = probes.http_get(network.check_url, network.ifname, dns_server=network.gateway)
            if not network.faults.captive_portal:
                rates[network.ifname] = probes.throughput(network.bytes_url(1_000_000), network.ifname)
    slots = [threading.Thread(target=run, args=(n,)) for n in networks]
    for t in slots:
        t.start()
    for t in slots:
        t.join(60)
    plain, portal, other = networks
    assert [answers[n.ifname].status for n in networks] == [204, 302, 204]
    assert answers[portal.ifname].location == portal.portal_url
    assert [rates[n.ifname].received for n in (plain, other)] == [1_000_000, 1_000_000]
    for network in networks:
        log = network.evidence()["carrier web server log"]
        assert [line.split()[0] for line in log.splitlines() if "GET" in line] and all(
            line.split()[0] == leases[network.ifname].address for line in log.splitlines() if "GET" in line)


def test_an_own_routing_table_leaves_the_hosts_default_route_alone(make):
    network = make()
    before = _default_routes()
    with online(network, routes=True):
        table = interface.route_table(network.ifname)
        rules = json.loads(subprocess.run(["ip", "-j", "rule"], capture_output=True, text=True).stdout)
        assert {"oif": network.ifname, "table": str(table)}.items() <= next(
            r for r in rules if r.get("oif") == network.ifname).items()
        # beyond the carrier's subnet: via its gateway when leaving by the dongle, else as before
        assert f"via {network.gateway} dev {network.ifname}" in _route_get("203.0.113.9", "oif", network.ifname)
        assert f"dev {network.ifname}" not in _route_get("203.0.113.9")
        assert _default_routes() == before
    assert interface.forget_rules(network.ifname) == []                 # undo took its rule away
    assert subprocess.run(["ip", "route", "show", "table", str(table)], capture_output=True, text=True).stdout == ""


def test_even_the_same_address_on_three_interfaces_reaches_each_ones_own_carrier(make):
    """The worst case of one subnet on many slots: the very same address on every host end (two
    HiLink sticks both leasing 192.168.8.100). Sockets bound to an interface still meet only its
    carrier."""
    networks = [make("s"), make("p", faults=["captive_portal"]), make("s")]
    for network in networks:
        interface.add_address(network.ifname, "192.168.8.150", 24)
    statuses: dict[str, set[int]] = {}

    def ask(network):
        statuses[network.ifname] = {probes.http_get(network.url("/generate_204"), network.ifname).status
                                    for _ in range(20)}
    askers = [threading.Thread(target=ask, args=(n,)) for n in networks]
    for t in askers:
        t.start()
    for t in askers:
        t.join(60)
    assert [statuses[n.ifname] for n in networks] == [{204}, {302}, {204}]
