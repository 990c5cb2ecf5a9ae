"""Online in the virtual lab, with real Linux networking: each way of bringing a data session up
(HiLink dial + DHCP, ModemManager's static bearer, Huawei NDIS + DHCP, PPP dial-up with hilkit's
PPP client on a tun, the real ModemManager's PPP bearer) reaches an address on the dongle's
interface (from Debian's dnsmasq, or by IPCP), and DNS, HTTP, round trip and a download go through that
interface. Each data-path fault fails in its own category, and nothing (namespace, veth, address,
routing rule) is left behind, also after a SIGTERM in the middle of a download."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from hilkit.config.paths import PROJECT_ROOT
from hilkit.config.profiles import load_profile
from hilkit.core.errors import Category, HilkitError
from hilkit.core.faults import FaultSpec
from hilkit.core.secrecy import Secrets
from hilkit.dut import Dongle, State
from hilkit.lab.registry import load_rig
from hilkit.sim.carrier import carrier_available
from hilkit.sim.programs.real_modemmanager import unavailable as real_mm_unavailable
from hilkit.sim.virtual_lab import VirtualLab

pytestmark = pytest.mark.skipif(carrier_available() is not None, reason=str(carrier_available()))


def leftovers(pid: int | None = None) -> dict[str, list[str]]:
    """The namespaces, carrier host ends and addresses on them that process ``pid`` (this one by
    default) made, as the host shows them: other test workers run carriers of their own."""
    pid = os.getpid() if pid is None else pid
    namespaces = [line.split()[0] for line in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                                             text=True).stdout.splitlines()
                  if line.startswith("hilkit-") and line.split()[0].endswith(f"-{pid}")]
    links = json.loads(subprocess.run(["ip", "-j", "addr", "show"], capture_output=True, text=True).stdout or "[]")
    ours = [link for link in links if link["ifname"].startswith((f"hkc{pid:x}n", f"hkp{pid:x}n"))]
    return {"namespaces": namespaces, "links": [link["ifname"] for link in ours],
            "addresses": [f"{link['ifname']} {a['local']}" for link in ours for a in link.get("addr_info", [])]}


def mine(state: dict[str, list[str]], before: dict[str, list[str]]) -> dict[str, list[str]]:
    """What is in ``state`` and was not in ``before``."""
    return {key: sorted(set(values) - set(before[key])) for key, values in state.items()}


@pytest.fixture
def fake_mm(monkeypatch):
    monkeypatch.setenv("HILKIT_MODEMMANAGER", "fake")


@pytest.fixture
def lab(fake_mm, lab_closed):
    rig = load_rig(PROJECT_ROOT / "lab" / "virtual.yaml")
    return lab_closed(VirtualLab(rig))


@pytest.mark.parametrize("slot_name, method", [("e3372", "hilink"), ("e3531", "bearer"), ("e3131", "ppp")])
def test_online_through_the_carrier_network_and_nothing_left(lab, slot_name, method):
    assert lab.rig.slot(slot_name).profile.data_method == method
    before = leftovers()
    dongle = Dongle(lab.rig.slot(slot_name), lab)
    try:
        dongle.transition(State.ONLINE)   # from off: power, switch, attach, then online
        assert dongle.state is State.ONLINE
        online = dongle.data_path
        assert online is not None and online.added, "an address was put on the dongle's interface"
        assert online.connector.method == method
        name = online.added[0].ifname
        shown = subprocess.run(["ip", "-j", "addr", "show", "dev", name], capture_output=True, text=True).stdout
        assert online.added[0].address in shown
        if method == "ppp":   # a ppp0's way: no IPv6 for an IPv4-only link, the MTU the modem takes
            assert (Path("/proc/sys/net/ipv6/conf") / name / "disable_ipv6").read_text().strip() == "1"
            assert json.loads(shown)[0]["mtu"] == min(online.ppp.endpoint.peer_mru, 1500)
    finally:
        dongle.close()
    assert dongle.data_path is None
    assert mine(leftovers(), before) == {"namespaces": [], "links": [], "addresses": []}


@pytest.mark.skipif(bool(real_mm_unavailable()), reason=f"real ModemManager: {real_mm_unavailable()}")
def test_the_real_modemmanagers_ppp_bearer_goes_online_through_hilkits_ppp(lab_closed, monkeypatch):
    """Debian's ModemManager sees the virtual modem's AT port only, so it dials (ATD*99***1#) and
    reports a PPP bearer on that port; hilkit's PPP client then runs on the modem's tty, as
    NetworkManager's pppd does on a rig, and the session goes online."""
    monkeypatch.delenv("HILKIT_MODEMMANAGER", raising=False)
    lab = lab_closed(VirtualLab(load_rig(PROJECT_ROOT / "lab" / "virtual.yaml")))
    assert lab.hardware.real_mm is not None, lab.hardware.mm_choice
    dongle = Dongle(lab.rig.slot("e3531"), lab)
    try:
        result = dongle.go_online()
        assert result.session.method == "bearer" and result.interface.startswith("hkp")
        assert result.address == "10.64.2.2" and result.http_status == 204 and result.throughput_kbps
        transcript = lab.attach_evidence(lab.rig.slot("e3531"))
        assert any("ATD*99" in text for text in transcript.values()), "the real daemon dialled"
        far_end = lab.data_paths.far_ends["e3531"]
        dongle.data_path.close()   # what the test's teardown does first: PPP ends, then the bearer
        assert not lab.dongle("e3531").modem.data_mode, "the modem said NO CARRIER and left data mode"
        assert "rcvd [LCP TermReq" in "\n".join(far_end.log)
    finally:
        dongle.close()


def test_ppp_with_apn_credentials_authenticates_and_never_shows_the_password(lab, monkeypatch):
    """CHAP with the APN's user and password (the virtual modem asks for CHAP, as Huawei firmware
    does): the PPP log names the user; the password is in neither the log nor the AT transcript."""
    slot = lab.rig.slot("e3131")
    spec = replace(slot.profile.attach, username="web", password_env="HILKIT_TEST_APN_PASSWORD")
    slot = replace(slot, profile=replace(slot.profile, attach=spec))
    lab.rig = replace(lab.rig, secrets=Secrets({"HILKIT_TEST_APN_PASSWORD": "apn-s3cret"}))
    shown: dict[str, str] = {}
    for where in ("hilkit.online", "hilkit.dut"):
        monkeypatch.setattr(f"{where}.attach_text", lambda name, text: shown.__setitem__(name, text))
    dongle = Dongle(slot, lab)
    try:
        result = dongle.go_online()
        assert result.session.method == "ppp" and result.http_status == 204
        log = shown["PPP log (pppd's format)"]
        assert 'sent [CHAP Response id=0x1 <' in log and 'name = "web"]' in log
        assert "CHAP authentication succeeded" in log
    finally:
        dongle.close()
    assert any(name.startswith("AT transcript") for name in shown)
    assert "apn-s3cret" not in "\n".join(shown.values())


def test_ndis_session_over_at_gets_its_address_by_dhcp(fake_mm, lab_closed, tmp_path):
    """A stick in modem mode with a network function, attached over AT: AT^NDISDUP, then DHCP."""
    e3531 = load_profile(PROJECT_ROOT / "device_profiles" / "huawei" / "e3531.yaml")
    ndis = replace(e3531, key="test/e3531-ndis", attach=replace(e3531.attach, method="at", port_role="at"))
    rig = load_rig(PROJECT_ROOT / "lab" / "virtual.yaml")
    slot = replace(rig.slot("e3531"), profile=ndis)
    lab = lab_closed(VirtualLab(replace(rig, slots=(rig.slot("e3131"), rig.slot("e3372"), slot))))
    assert ndis.data_method == "ndis"
    dongle = Dongle(slot, lab)
    try:
        result = dongle.go_online()
        assert result.session.method == "ndis" and result.session.addressing == "dhcp"
        assert result.address.startswith("10.64.") and result.http_status == 204
        assert result.throughput_kbps and result.throughput_kbps > 0
        transcript = "\n".join(client.transcript_text() for client in dongle.modems)
        assert 'AT^NDISDUP=1,1,"' in transcript
    finally:
        dongle.close()
    assert not lab.dongle("e3531").modem or not lab.dongle("e3531").modem.ndis


@pytest.mark.parametrize("slot_name", ["e3372", "e3131"])   # HiLink + DHCP, PPP dial-up
@pytest.mark.parametrize("fault, category", [
    ("no_dhcp", Category.NO_ADDRESS), ("dns_failure", Category.DNS_FAILURE),
    ("captive_portal", Category.CAPTIVE_PORTAL), ("link_drop", Category.LINK_DROPPED)])
def test_each_data_path_fault_fails_in_its_own_category(lab, fault, category, slot_name):
    slot = lab.rig.slot(slot_name)
    lab.faults.add(FaultSpec(fault, port=slot.port))
    before = leftovers()
    dongle = Dongle(slot, lab)
    if fault == "no_dhcp":   # the DHCP budget, not a speed limit: a fault that hides no answer waits it out
        dongle.profile = replace(dongle.profile, data=replace(dongle.profile.data, address_budget=3.0))
        dongle.slot = replace(slot, profile=dongle.profile)
    try:
        with pytest.raises(HilkitError) as raised:
            dongle.go_online()
        assert raised.value.category is category, f"{type(raised.value).__name__}: {raised.value}"
    finally:
        dongle.close()
    assert mine(leftovers(), before) == {"namespaces": [], "links": [], "addresses": []}


def test_slow_data_fails_against_the_profiles_floor(lab):
    slot = lab.rig.slot("e3372")
    floor = 20_000.0   # kbit/s: the carrier's slow_data rate is 1000 kbit/s; a veth gives millions
    slow = replace(slot, profile=replace(slot.profile, data=replace(slot.profile.data, min_throughput_kbps=floor)))
    lab.faults.add(FaultSpec("slow_data", port=slot.port))
    lab.rig = replace(lab.rig, throughput_url="http://speed.hilkit.test/bytes?n=400000")
    dongle = Dongle(slow, lab)
    try:
        with pytest.raises(HilkitError) as raised:
            dongle.go_online()
        assert raised.value.category is Category.SLOW_DATA, str(raised.value)
        assert "throughput:" in str(raised.value) and "FAIL" in str(raised.value)
    finally:
        dongle.close()


SIGTERM_RUN = '''
import os, pathlib, sys
from hilkit.config.paths import PROJECT_ROOT
from hilkit.dut import Dongle
from hilkit.lab.registry import load_rig
from hilkit.net import probes
from hilkit.sim.virtual_lab import VirtualLab
from dataclasses import replace

rig = load_rig(PROJECT_ROOT / "lab" / "virtual.yaml")
rig = replace(rig, throughput_url="http://speed.hilkit.test/bytes?n=2000000000")
lab = VirtualLab(rig)
dongle = Dongle(rig.slot(sys.argv[2]), lab)
measure = probes.throughput

def announced(*args, **kwargs):
    pathlib.Path(sys.argv[1]).write_text("downloading")
    return measure(*args, **kwargs)
probes.throughput = announced
try:
    dongle.go_online()
finally:
    try:
        dongle.close()
    finally:
        lab.close()
'''


@pytest.mark.parametrize("slot_name", ["e3372", "e3131"])   # a veth; PPP on a tun
def test_sigterm_mid_download_leaves_nothing_behind(fake_mm, tmp_path, slot_name):
    """SIGTERM while a 2 GB download runs through the dongle's interface: the run's teardown (the
    plugin takes SIGTERM as Ctrl-C; here the same KeyboardInterrupt) removes the address, the veth
    or the PPP client's tun, and the namespace."""
    flag = tmp_path / "flag"
    script = tmp_path / "run.py"
    script.write_text(SIGTERM_RUN + "\n")
    child = subprocess.Popen([sys.executable, "-c",
                              "import signal, runpy, sys\n"
                              "signal.signal(signal.SIGTERM, lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))\n"
                              f"sys.argv = ['run', {str(flag)!r}, {slot_name!r}]\nrunpy.run_path({str(script)!r})"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while not flag.exists():
            assert child.poll() is None, child.communicate()[0][-3000:]
            assert time.monotonic() < deadline, "the download never started"
            time.sleep(0.05)   # a file another process writes: no event to wait on
        during = leftovers(child.pid)
        assert during["namespaces"] and during["addresses"], during
        child.send_signal(signal.SIGTERM)
        output, _ = child.communicate(timeout=120)   # a hang guard, not a speed limit
    finally:
        if child.poll() is None:
            child.kill()
    assert "KeyboardInterrupt" in output
    assert leftovers(child.pid) == {"namespaces": [], "links": [], "addresses": []}
