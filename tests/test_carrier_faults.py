"""Each of the carrier network's faults shows on the host side as its own exception, of its own
report category: no DHCP answer, a DNS failure, a captive portal, a link drop mid-transfer; and a
slow carrier as a throughput figure the framework can hold against a floor.

The slow carrier is told by its rate limit (a tbf qdisc caps what the kernel sends, however fast
this machine is), not by how long something took."""
from __future__ import annotations

import pytest
from support.carrier import carriers, online

from hilkit.core.errors import Category, category_of
from hilkit.net import dhcp, probes
from hilkit.net.failures import CaptivePortal, DnsFailure, LinkDropped, NoDhcpAnswer
from hilkit.sim.carrier import CHECK_NAME, CarrierFaults
from hilkit.sim.carrier.carrier_network import SLOW_KBIT


@pytest.fixture
def make():
    with carriers() as factory:
        yield factory


def test_no_dhcp_answer(make):
    network = make(faults=["no_dhcp"])
    with pytest.raises(NoDhcpAnswer) as caught:
        dhcp.lease(network.ifname, 1.5)
    assert category_of(caught.value) is Category.NO_ADDRESS
    assert f"no DHCPOFFER on {network.ifname} within 1.5 s" in str(caught.value)
    assert "seen: no DHCP reply at all" in str(caught.value)


def test_dns_failure(make):
    network = make(faults=["dns_failure"])
    with online(network) as lease, pytest.raises(DnsFailure) as caught:
        probes.resolve(CHECK_NAME, lease.dns_servers[0], network.ifname)
    assert category_of(caught.value) is Category.DNS_FAILURE and caught.value.rcode == 5


def test_captive_portal(make):
    network = make(faults=["captive_portal"])
    with online(network):
        answer = probes.http_get(network.check_url, network.ifname, dns_server=network.dns_server)
        with pytest.raises(CaptivePortal) as caught:
            answer.expect(204)
        with pytest.raises(CaptivePortal) as download:
            probes.throughput(network.bytes_url(100_000), network.ifname)
    assert (answer.status, answer.location) == (302, network.portal_url)    # shown, not followed
    assert category_of(caught.value) is Category.CAPTIVE_PORTAL
    assert caught.value.location == network.portal_url and f"to {network.portal_url}" in str(caught.value)
    assert download.value.status == 302


def test_slow_data_is_a_figure_far_below_a_normal_one(make):
    slow, normal = make(faults=["slow_data"]), make()
    with online(slow):
        crawl = probes.throughput(slow.bytes_url(128_000), slow.ifname, timeout=60)
    with online(normal):
        usual = probes.throughput(normal.bytes_url(4_000_000), normal.ifname, timeout=60)
    cap = SLOW_KBIT * 1000 * 1.5   # the rate limit, with room for the first burst
    assert crawl.complete and 0 < crawl.bits_per_second <= cap
    assert usual.bits_per_second > 10 * cap     # a floor between the two tells them apart


def test_link_drop_mid_transfer(make):
    network = make(faults=["link_drop"])
    size = 8_000_000
    with online(network), pytest.raises(LinkDropped) as caught:
        probes.throughput(network.bytes_url(size), network.ifname, timeout=30)
    assert category_of(caught.value) is Category.LINK_DROPPED
    assert 0 < caught.value.received < size and "lost its link" in str(caught.value)
    assert not network.link_up
    network.set_link(True)                       # the carrier comes back: a new lease is granted
    assert dhcp.lease(network.ifname, 10).router == network.gateway


def test_faults_are_named_as_the_catalogue_names_them():
    from hilkit.core.faults import DATA_PATH_FAULTS
    assert CarrierFaults.named(DATA_PATH_FAULTS).names() == list(DATA_PATH_FAULTS)
    with pytest.raises(ValueError, match="unknown carrier fault"):
        CarrierFaults.named(["slow"])
