"""The connect phase, one way per modem kind, against the virtual lab's firmware and programs: the
HiLink stick's dial API, ModemManager's --simple-connect through the fake mmcli (bearer JSON with
mmcli's field names), Huawei's AT^NDISDUP, and PPP dial-up up to CONNECT and the hand-over of the
port to the PPP client (tests/test_ppp_link.py runs PPP on it). The link the lab's carrier network follows goes up and down with each session."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace

import pytest

from hilkit.config.paths import PROJECT_ROOT
from hilkit.config.profiles import load_profile
from hilkit.core.errors import Category, WaitTimeout
from hilkit.core.profile import AttachSpec, NetworkModel
from hilkit.core.secrecy import Secrets
from hilkit.modem.connectors import (
    BearerConnector,
    HiLinkConnector,
    NdisConnector,
    NoDataSession,
    PppDialer,
)
from hilkit.modem.hilink_api import HiLinkClient
from hilkit.modem.mmcli_client import ModemManager
from hilkit.sim.model.hilink_stick import VirtualHiLinkStick
from hilkit.sim.programs.mm_state import MMState

HILINK = load_profile(PROJECT_ROOT / "device_profiles" / "huawei" / "e3372-hilink.yaml")


@pytest.fixture
def at_modem(modem_port):
    """(AtClient, ModemModel, the link changes the model reported) on a fresh pty, registered at once."""
    def make(**network):
        client, model = modem_port(**{"register_after": 0.0, **network})
        links: list[bool] = []
        model.data_link = links.append
        return client, model, links
    return make


def test_hilink_dial_waits_for_901_and_hangs_up_again():
    with VirtualHiLinkStick(replace(HILINK.virtual, network=replace(HILINK.virtual.network, register_after=0.0)),
                            dial_delay=0.2) as stick:
        links: list[bool] = []
        stick.data_link = links.append
        connector = HiLinkConnector(HiLinkClient(stick.url), poll_interval=0.02)
        session = connector.connect(timeout=30)
        assert session.method == "hilink" and session.addressing == "dhcp" and session.interface == ""
        assert "ConnectionStatus: 901" in session.evidence["HiLink /api/monitoring/status after the dial"]
        assert links == [True]
        connector.disconnect()
        connector.disconnect()            # twice: nothing more is sent
        assert links == [True, False]
        assert [r.path for r in stick.requests if r.path == "/api/dialup/dial"] == ["/api/dialup/dial"] * 2


def test_hilink_dial_that_never_connects_names_the_status_it_stayed_in():
    network = replace(HILINK.virtual.network, registration="searching")
    with VirtualHiLinkStick(replace(HILINK.virtual, network=network)) as stick, \
            pytest.raises(WaitTimeout) as raised:
        HiLinkConnector(HiLinkClient(stick.url), poll_interval=0.02).connect(timeout=0.3)
    assert raised.value.category is Category.NO_DATA_SESSION
    assert "waiting for ConnectionStatus 901 (connected) after the dial" in str(raised.value)
    assert "ConnectionStatus 900 (connecting)" in str(raised.value)


def test_ndis_call_comes_up_on_its_urc_and_goes_down(at_modem):
    client, model, links = at_modem()
    spec = AttachSpec("at", apn="web.vodafone.de", username="vf", password_env="APN_PASSWORD")
    connector = NdisConnector(client, spec, Secrets({"APN_PASSWORD": "s3cret-apn"}))
    session = connector.connect(timeout=10)
    assert session.method == "ndis" and model.ndis and links == [True]
    assert client.command("AT^NDISSTATQRY?").value("^NDISSTATQRY:") == '1,,,"IPV4"'
    since = time.monotonic()
    connector.disconnect()
    client.wait_urc(lambda text: text.replace(" ", "").startswith("^NDISSTAT:0"), 10, "^NDISSTAT: 0", since=since)
    assert not model.ndis and links == [True, False]
    transcript = client.transcript_text()
    assert 'AT^NDISDUP=1,1,"web.vodafone.de","vf","' in transcript and "s3cret-apn" not in transcript


def test_ndis_without_registration_is_refused_in_its_category(at_modem):
    client, model, links = at_modem(registration="denied")
    client.command("AT+CMEE=1")
    with pytest.raises(Exception) as raised:
        NdisConnector(client, AttachSpec("at"), Secrets()).connect(timeout=5)
    assert "+CME ERROR: 30" in str(raised.value) and links == []


def test_ppp_dial_hands_the_port_over_after_connect_and_takes_it_back(at_modem):
    client, model, _ = at_modem()
    dialer = PppDialer(client, AttachSpec("at", apn="internet", username="web", password_env="APN_PW"),
                       Secrets({"APN_PW": "s3cret-apn"}))
    session = dialer.connect(timeout=10)
    assert session.addressing == "ppp" and session.method == "ppp" and model.data_mode
    assert 'AT+CGDCONT=1,"IP","internet"' in client.transcript_text()
    line = dialer.dial_up_line()
    assert line.port is client.serial and (line.username, line.password) == ("web", "s3cret-apn")
    assert "data mode" in client.transcript_text()
    line.release()
    assert client.command("AT").ok and not model.data_mode   # AT text in data mode: the host hung up
    assert "s3cret-apn" not in client.transcript_text()


def test_a_session_not_on_a_serial_port_has_no_line_for_ppp(at_modem):
    client, _, _ = at_modem()
    with pytest.raises(NoDataSession, match="not on a serial port"):
        NdisConnector(client, AttachSpec("at"), Secrets()).dial_up_line()


def test_bearer_through_the_fake_mmcli_reads_the_static_settings(tmp_path):
    state = MMState(tmp_path / "mm.json")
    marks = tmp_path / "link.log"
    link = [sys.executable, "-c", f"import sys; open({str(marks)!r}, 'a').write(sys.argv[1] + '\\n')"]
    state.add_modem("1-1.4", "861234567890123", "huawei", "E3531", "21.158", ["option"],
                    ["ttyUSB0 (at)", "wwan0 (net)"], NetworkModel(register_after=0.0), plugged_at=0.0,
                    data_path={"interface": "hk-e3531", "link_command": link,
                               "ipv4": {"method": "static", "address": "10.64.0.2", "prefix": 30,
                                        "gateway": "10.64.0.1", "dns": ["10.64.0.1"], "mtu": 1500}})
    mm = ModemManager(state.command(), timeout=20)
    modem = mm.find("1-1.4")
    mm.enable(modem)
    connector = BearerConnector(mm, modem, AttachSpec("modemmanager", apn="internet", username="u",
                                                      password_env="APN_PASSWORD"),
                                Secrets({"APN_PASSWORD": "pw-hidden-42"}))
    session = connector.connect(timeout=20)
    assert (session.interface, session.addressing, session.address, session.prefix, session.gateway,
            session.dns) == ("hk-e3531", "static", "10.64.0.2", 30, "10.64.0.1", ("10.64.0.1",))
    assert mm.modem(modem)["generic"]["state"] == "connected"
    assert "pw-hidden-42" not in json.dumps(session.evidence) and "--simple-connect=" in json.dumps(session.evidence)
    connector.disconnect()
    assert mm.modem(modem)["generic"]["state"] == "registered"
    assert marks.read_text().split() == ["up", "down"]
    bearer = json.loads(subprocess.run([*state.command(), "-b", "0", "-J"], capture_output=True, text=True,
                                       check=True).stdout)["bearer"]
    assert bearer["status"]["connected"] == "no" and bearer["ipv4-config"]["method"] == "--"


def test_bearer_on_a_modem_that_is_not_registered_is_no_session(tmp_path):
    state = MMState(tmp_path / "mm.json")
    state.add_modem("1-1.4", "861234567890123", "huawei", "E3531", "21.158", ["option"], ["ttyUSB0 (at)"],
                    NetworkModel(registration="searching"), plugged_at=0.0)
    mm = ModemManager(state.command(), timeout=20)
    modem = mm.find("1-1.4")
    with pytest.raises(Exception) as raised:
        BearerConnector(mm, modem, AttachSpec("modemmanager"), Secrets()).connect(timeout=5)
    assert "couldn't connect the modem" in str(raised.value)


def test_a_bearer_without_an_interface_is_no_session(tmp_path):
    state = MMState(tmp_path / "mm.json")
    state.add_modem("1-1.4", "861234567890123", "huawei", "E3531", "21.158", ["option"], ["ttyUSB0 (at)"],
                    NetworkModel(register_after=0.0), plugged_at=0.0)
    mm = ModemManager(state.command(), timeout=20)
    modem = mm.find("1-1.4")
    mm.enable(modem)
    with pytest.raises(NoDataSession) as raised:
        BearerConnector(mm, modem, AttachSpec("modemmanager"), Secrets()).connect(timeout=5)
    assert "names no network interface" in str(raised.value) or "IPv4 method" in str(raised.value)
