"""HiLink attach: the client and checker against the virtual stick (127.0.0.1 only), garbage
answers, the hand-written fixtures in fixtures/hilink/, and a fuzzed XML-answer parser."""
from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from hilkit.config.paths import PROJECT_ROOT
from hilkit.config.profiles import load_profile
from hilkit.core.errors import Category, ModemError, WaitTimeout
from hilkit.core.profile import VirtualSpec
from hilkit.modem.attach import attach_findings, attach_problems
from hilkit.modem.hilink_api import (
    DIAL,
    INFORMATION,
    LOGIN,
    PIN_OPERATE,
    PIN_STATUS,
    SES_TOK_INFO,
    STATUS,
    HiLinkAttachChecker,
    HiLinkClient,
    HiLinkError,
    attach_from_answers,
    fields,
    login_password,
    network_technology,
    parse_dbm,
    parse_response,
    sim_from_pin_status,
    sim_state,
)
from hilkit.sim.model.hilink_stick import VirtualHiLinkStick

FIXTURES = PROJECT_ROOT / "fixtures" / "hilink"
PROFILE = load_profile(PROJECT_ROOT / "device_profiles" / "huawei" / "e3372-hilink.yaml")
SPEC = PROFILE.attach
FUZZ_EXAMPLES = int(os.environ.get("HILKIT_FUZZ_EXAMPLES", "200"))


def network(**changes: object) -> VirtualSpec:
    """The shipped E3372 HiLink profile's virtual stick with a changed network."""
    changes.setdefault("register_after", 0.1)
    return replace(PROFILE.virtual, network=replace(PROFILE.virtual.network, **changes))


@pytest.fixture
def stick() -> Iterator[Callable[..., VirtualHiLinkStick]]:
    made: list[VirtualHiLinkStick] = []

    def make(spec: VirtualSpec | None = None, **kwargs: object) -> VirtualHiLinkStick:
        made.append(VirtualHiLinkStick(spec or network(), **kwargs))
        return made[-1]

    yield make
    for one in made:
        one.close()


def fixture(name: str) -> dict[str, str]:
    return fields(parse_response((FIXTURES / name).read_bytes(), name))


# -- attach against the virtual stick ----------------------------------------------------------
def test_attached_home_on_lte_after_one_dial(stick):
    virtual = stick(network())
    assert virtual.url.startswith("http://127.0.0.1:")
    with HiLinkClient(virtual.url) as client:
        result = HiLinkAttachChecker(client, SPEC).run(timeout=60)
    assert (result.sim, result.registration, result.technology) == ("ready", "home", "lte")
    assert result.operator == "Vodafone.de"
    assert result.signal_dbm == -113 + 2 * 22 and result.signal_percent == 80   # csq 22, SignalIcon 4 of 5
    assert result.packet_attached
    assert result.time_to_attach > 0.05   # registered, then dialled: never before the stick's delays
    assert attach_problems(SPEC, result) == []
    posts = [r for r in virtual.requests if r.method == "POST"]
    assert [(r.path, r.token_sent, r.cookie_sent) for r in posts] == [(DIAL, True, True)]
    assert "<ConnectionStatus>901</ConnectionStatus>" in result.evidence[STATUS]
    assert "<response>OK</response>" in result.evidence[DIAL]
    assert "<FullName>Vodafone.de</FullName>" in result.evidence["/api/net/current-plmn"]
    assert "<rssi>-69dBm</rssi>" in result.evidence["/api/device/signal"]
    assert "<Imsi>***</Imsi>" in result.evidence["/api/device/information"]
    assert SES_TOK_INFO not in result.evidence
    assert "<TokInfo>***</TokInfo>" in client.answers[SES_TOK_INFO]
    assert "ready, home on Vodafone.de (lte), -69 dBm (80%), packet attached" in result.summary()


def test_a_stick_that_connects_by_itself_is_not_dialled(stick):
    virtual = stick(network(), auto_connect=True)
    result = HiLinkAttachChecker(HiLinkClient(virtual.url), SPEC).run(timeout=60)
    assert result.packet_attached
    assert not [r for r in virtual.requests if r.method == "POST"]


def test_without_packet_attach_registration_is_enough(stick):
    virtual = stick(network())
    result = HiLinkAttachChecker(HiLinkClient(virtual.url), replace(SPEC, packet_attach=False)).run(timeout=60)
    assert (result.registration, result.packet_attached) == ("home", False)
    assert not [r for r in virtual.requests if r.method == "POST"]


def test_a_slow_dial_is_waited_for(stick):
    virtual = stick(network(register_after=0.0), dial_delay=0.3)
    result = HiLinkAttachChecker(HiLinkClient(virtual.url), SPEC).run(timeout=60)
    assert result.packet_attached and result.time_to_attach >= 0.3
    assert sum(r.method == "POST" for r in virtual.requests) == 1


def test_roaming_on_umts(stick):
    virtual = stick(network(registration="roaming", technology="umts", operator="Orange F", mcc_mnc="20801",
                            csq=12))
    result = HiLinkAttachChecker(HiLinkClient(virtual.url), SPEC).run(timeout=60)
    assert (result.registration, result.technology, result.operator) == ("roaming", "umts", "Orange F")
    assert result.signal_dbm == -89 and result.signal_percent == 40    # csq 12: SignalIcon 2 of 5
    assert "<RoamingStatus>1</RoamingStatus>" in result.evidence[STATUS]
    assert attach_problems(replace(SPEC, registration=("home",)), result) == [
        "registration roaming (expected home)"]


@pytest.mark.parametrize("registration, connection", [("denied", "902 (disconnected)"),
                                                      ("searching", "900 (connecting)")])
def test_no_service_times_out_naming_what_was_last_seen(stick, registration, connection):
    virtual = stick(network(registration=registration))
    started = time.monotonic()
    with pytest.raises(WaitTimeout) as caught:
        HiLinkAttachChecker(HiLinkClient(virtual.url), SPEC).run(timeout=0.4)
    assert time.monotonic() - started >= 0.4   # not before its deadline (pytest-timeout guards the after)
    message = str(caught.value)
    assert "ServiceStatus 2" in caught.value.expected and "ConnectionStatus 901" in caught.value.expected
    assert f"ConnectionStatus {connection}" in caught.value.seen
    assert "ServiceStatus 1 (restricted service)" in caught.value.seen
    assert "SimStatus 1 (ready)" in caught.value.seen
    assert "\n" not in message and virtual.url in message
    assert not [r for r in virtual.requests if r.method == "POST"]   # no service: nothing to dial


def test_no_sim_is_reported_at_once(stick):
    virtual = stick(network(sim="absent"))
    result = HiLinkAttachChecker(HiLinkClient(virtual.url), SPEC).run(timeout=30.0)
    assert len([r for r in virtual.requests if r.path == STATUS]) == 1   # at once: one look, no polling
    assert (result.sim, result.registration, result.packet_attached) == ("absent", "not registered", False)
    assert "<SimStatus>255</SimStatus>" in result.evidence[STATUS]   # 255: no SIM (the web UI's code)
    assert "SIM" in attach_problems(SPEC, result)[0]


def test_pin_required_is_reported(stick):
    virtual = stick(network(sim="pin"))
    result = HiLinkAttachChecker(HiLinkClient(virtual.url), SPEC).run(timeout=30.0)
    assert result.sim == "pin"
    assert "<SimState>260</SimState>" in result.evidence[PIN_STATUS]   # the web UI reads it there, not in status


def test_an_unreachable_stick_is_retried_until_the_deadline(stick):
    virtual = stick()
    virtual.close()
    with pytest.raises(WaitTimeout) as caught:
        HiLinkAttachChecker(HiLinkClient(virtual.url, timeout=1.0), SPEC).run(timeout=0.3)
    assert "no status answer" in caught.value.seen and "refused" in caught.value.seen.lower()


# -- the client: tokens, errors ------------------------------------------------------------------
def test_a_used_token_is_refused_with_125003(stick):
    virtual = stick()
    cookie, token = HiLinkClient(virtual.url).token()
    send = {"Cookie": cookie, "__RequestVerificationToken": token}
    first = requests.post(virtual.url + DIAL, data=b"<request><Action>1</Action></request>", headers=send, timeout=30)
    assert parse_response(first.content).text == "OK"
    again = requests.post(virtual.url + DIAL, data=b"<request><Action>1</Action></request>", headers=send, timeout=30)
    with pytest.raises(HiLinkError) as caught:
        parse_response(again.content, f"POST {virtual.url}{DIAL}")
    assert caught.value.code == 125003 and caught.value.kind == "api"
    assert isinstance(caught.value, ModemError)
    assert "125003" in str(caught.value) and "single-use" in str(caught.value) and DIAL in str(caught.value)


def test_the_client_starts_a_new_session_once_when_its_token_went_stale(stick):
    virtual = stick()
    client = HiLinkClient(virtual.url)
    cookie, token = client.token()
    requests.post(virtual.url + DIAL, data=b"<request><Action>1</Action></request>", timeout=30,
                  headers={"Cookie": cookie, "__RequestVerificationToken": token})   # someone else used it
    assert client.post(DIAL, "<request><Action>1</Action></request>").text == "OK"
    assert [r.path for r in virtual.requests].count(SES_TOK_INFO) == 2


def test_a_post_without_token_is_refused_and_a_get_without_cookie_answers(stick):
    virtual = stick()
    posted = requests.post(virtual.url + DIAL, data=b"<request><Action>1</Action></request>", timeout=30)
    with pytest.raises(HiLinkError, match="125003"):
        parse_response(posted.content)
    answer = requests.get(virtual.url + STATUS, timeout=30)
    assert fields(parse_response(answer.content))["SimStatus"] == "1"
    assert [(r.method, r.path, r.token_sent, r.cookie_sent) for r in virtual.requests] == [
        ("POST", DIAL, False, False), ("GET", STATUS, False, False)]


def test_a_token_from_another_session_is_refused(stick):
    virtual = stick()
    _, token = HiLinkClient(virtual.url).token()
    other_cookie, _ = HiLinkClient(virtual.url).token()
    answer = requests.post(virtual.url + DIAL, data=b"<request><Action>1</Action></request>", timeout=30,
                           headers={"Cookie": other_cookie, "__RequestVerificationToken": token})
    with pytest.raises(HiLinkError) as caught:
        parse_response(answer.content)
    assert caught.value.code == 125002


def test_gets_send_the_session_and_posts_a_token_the_stick_handed_back(stick):
    """As real clients do: one session; each POST spends one token, and its answer's header hands out the next."""
    virtual = stick()
    client = HiLinkClient(virtual.url)
    info = fields(client.get("/api/device/information"))
    assert (info["DeviceName"], info["Imei"]) == ("E3372", "860000000000001")
    client.post(DIAL, "<request><Action>1</Action></request>")
    client.post(DIAL, "<request><Action>0</Action></request>")
    assert [(r.path, r.token_sent, r.cookie_sent) for r in virtual.requests] == [
        (SES_TOK_INFO, False, False), ("/api/device/information", False, True), (DIAL, True, True), (DIAL, True, True)]
    assert "<Imsi>***</Imsi>" in client.answers["/api/device/information"]


def test_an_unknown_path_is_not_supported(stick):
    client = HiLinkClient(stick().url)
    with pytest.raises(HiLinkError) as caught:
        client.get("/api/nothing/here")
    assert caught.value.code == 100002 and "not supported" in str(caught.value)
    assert "/api/nothing/here" in str(caught.value)


def test_a_bad_dial_body_is_a_format_error(stick):
    client = HiLinkClient(stick().url)
    with pytest.raises(HiLinkError, match="100005"):
        client.post(DIAL, "not xml")
    with pytest.raises(HiLinkError, match="100006"):
        client.post(DIAL, "<request><Action>7</Action></request>")


def test_connection_refused_is_one_line_naming_the_url(stick):
    virtual = stick()
    virtual.close()
    with pytest.raises(HiLinkError) as caught:
        HiLinkClient(virtual.url, timeout=1.0).get(STATUS)
    message = str(caught.value)
    assert "\n" not in message and len(message) < 200
    assert message.startswith(f"GET {virtual.url}{SES_TOK_INFO}: cannot connect")
    assert "refused" in message.lower() and caught.value.kind == "connection"


class _Garbage(BaseHTTPRequestHandler):
    answers: dict[str, tuple[int, bytes]] = {}

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        if self.path == SES_TOK_INFO:
            status, body = 200, b"<response><SesInfo>SessionID=x</SesInfo><TokInfo>t</TokInfo></response>"
        else:
            status, body = self.answers.get(self.path, (200, b""))
        self.send_response(status)
        if status == 302:
            self.send_header("Location", "/html/index.html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


GARBAGE = {
    "/html": (200, b"<html><body>login</body></html>", "unexpected XML root <html>"),
    "/empty": (200, b"", "empty answer"),
    "/truncated": (200, b'<?xml version="1.0"?><response><SimStatus>1</Sim', "not XML"),
    "/binary": (200, bytes(range(256)), "not XML"),
    "/text": (200, b"OK\r\n", "not XML"),
    "/codeless": (200, b"<error><code>abc</code></error>", "without a numeric code"),
    "/dtd": (200, b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aa">]><response>&a;</response>', "DTD"),
    "/server-error": (500, b"oops", "HTTP 500"),
    "/redirect": (302, b"", "HTTP 302 Found to /html/index.html"),
}


@pytest.fixture(scope="module")
def garbage_url() -> Iterator[str]:
    _Garbage.answers = {path: (status, body) for path, (status, body, _) in GARBAGE.items()}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("path", list(GARBAGE))
def test_garbage_answers_are_one_line_hilink_errors(garbage_url, path):
    with pytest.raises(HiLinkError) as caught:
        HiLinkClient(garbage_url).get(path)
    message = str(caught.value)
    assert GARBAGE[path][2] in message
    assert message.startswith(f"GET {garbage_url}{path}: ") and "\n" not in message
    assert caught.value.kind in ("xml", "http")


def test_garbage_status_stops_the_checker_at_once(garbage_url):
    client = HiLinkClient(garbage_url)
    client.get = lambda path: client._request("GET", "/html")   # type: ignore[method-assign]
    with pytest.raises(HiLinkError, match="unexpected XML root"):
        HiLinkAttachChecker(client, SPEC).run(timeout=30.0)


# -- fixtures (written from the documented API shape) ----------------------------------------------
def test_fixture_readme_says_the_files_are_not_captures():
    text = (FIXTURES / "README.md").read_text(encoding="utf-8")
    assert "written from the documented API shape, not captured from a device" in text
    listed = {name for name in os.listdir(FIXTURES) if name.endswith(".xml")}
    assert listed and all(f"`{name}`" in text for name in listed)


def test_fixtures_connected_lte():
    result = attach_from_answers(fixture("status-connected-lte.xml"), fixture("current-plmn.xml"),
                                 fixture("signal-lte.xml"))
    assert (result.sim, result.registration, result.technology, result.operator) == (
        "ready", "home", "lte", "Vodafone.de")
    assert (result.signal_dbm, result.signal_percent, result.packet_attached) == (-67.0, 80, True)
    assert attach_problems(SPEC, result) == []


def test_fixtures_roaming_hspa_plus_and_rsrp_fallback():
    result = attach_from_answers(fixture("status-roaming-hspa-disconnected.xml"), fixture("current-plmn.xml"),
                                 fixture("signal-lte-no-rssi.xml"))
    assert (result.registration, result.technology, result.packet_attached) == ("roaming", "hspa", False)
    assert (result.signal_dbm, result.signal_percent) == (-101.0, 60)


def test_fixtures_sim_states_and_signal_forms():
    assert attach_from_answers(fixture("status-no-sim.xml")).sim == "absent"
    # SimStatus alone does not say "PIN": 260 is a pin/status SimState code, not a SimStatus one
    assert attach_from_answers(fixture("status-pin-required.xml")).sim == "unknown"
    assert parse_dbm(fixture("signal-umts-strong.xml")["rssi"]) == -51.0
    assert fixture("sestokinfo.xml")["SesInfo"].startswith("SessionID=")
    assert fixture("information.xml")["DeviceName"] == "E3372"
    assert parse_response((FIXTURES / "dial-ok.xml").read_bytes()).text == "OK"


@pytest.mark.parametrize("name, code, says", [("error-125003.xml", 125003, "single-use"),
                                              ("error-100003.xml", 100003, "no rights"),
                                              ("error-108006.xml", 108006, "password wrong")])
def test_fixture_errors(name, code, says):
    with pytest.raises(HiLinkError) as caught:
        parse_response((FIXTURES / name).read_bytes(), "GET http://127.0.0.1/x")
    assert caught.value.code == code and says in str(caught.value) and says in caught.value.meaning
    assert str(caught.value).startswith(f"GET http://127.0.0.1/x: HiLink error {code}: ")


@pytest.mark.parametrize("status, technology", [
    ({"CurrentNetworkTypeEx": "101", "CurrentNetworkType": "19"}, "lte"),
    ({"CurrentNetworkType": "19"}, "lte"),
    ({"CurrentNetworkTypeEx": "41"}, "umts"),
    ({"CurrentNetworkTypeEx": "46"}, "hspa"),
    ({"CurrentNetworkType": "4"}, "umts"),
    ({"CurrentNetworkType": "2"}, "gsm"),
    ({"CurrentNetworkType": "3"}, "edge"),
    ({"CurrentNetworkTypeEx": "0", "CurrentNetworkType": "9"}, "hspa"),
    ({"CurrentNetworkTypeEx": "", "CurrentNetworkType": ""}, "unknown"),
    ({}, "unknown"),
])
def test_network_types(status, technology):
    assert network_technology(status) == technology


def test_sim_states_and_dbm():
    # monitoring/status SimStatus: 1 valid, 255 none, 0/2/3/4/240 not usable (pin/status says why)
    assert [sim_state(v) for v in ("1", "0", "255", "240", "260", "", None, "x")] == [
        "ready", "error", "absent", "error", "unknown", "unknown", "unknown", "unknown"]
    # /api/pin/status SimState, as the stick's web UI reads it
    assert [sim_from_pin_status({"SimState": v}) for v in ("257", "258", "260", "261", "255", "256", "259")] == [
        "ready", "ready", "pin", "puk", "absent", "error", "unknown"]
    assert [parse_dbm(v) for v in ("-67dBm", ">=-51dBm", "-8.5dB", "", None, "Unknown")] == [
        -67.0, -51.0, -8.5, None, None, None]


# -- fuzz: the XML-answer parser either parses or raises HiLinkError --------------------------------
_XMLISH = st.builds(
    lambda root, tag, text, tail: f"<{root}><{tag}>{text}</{tag}>{tail}</{root}>",
    st.sampled_from(["response", "error", "x", "response "]), st.sampled_from(["code", "message", "SimStatus"]),
    st.text(max_size=30), st.sampled_from(["", "<code>1</code>", "<", "&amp;", "&bogus;"]))


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(st.one_of(st.binary(max_size=300), _XMLISH, _XMLISH.map(lambda s: s.encode("utf-8", "surrogatepass")),
                 st.text(max_size=200)))
def test_fuzzed_answers_parse_or_raise_hilink_error(body):
    try:
        root = parse_response(body, "GET http://127.0.0.1/fuzz")
    except HiLinkError as exc:
        assert "\n" not in str(exc)
        return
    assert root.tag == "response"
    result = attach_from_answers(fields(root), fields(root), fields(root))
    assert result.sim in ("ready", "pin", "puk", "absent", "error", "unknown")


# -- login and PIN, as the stick's web UI does them ---------------------------------------------------
def test_login_password_is_the_web_uis_type_4_hash():
    """base64(sha256hex(user + base64(sha256hex(password)) + token)), computed here step by step."""
    import base64
    import hashlib

    inner = base64.b64encode(hashlib.sha256(b"secret").hexdigest().encode()).decode()
    outer = base64.b64encode(hashlib.sha256(("admin" + inner + "tok").encode()).hexdigest().encode()).decode()
    assert login_password("admin", "secret", "tok", 4) == outer
    assert login_password("admin", "secret", "tok", 0) == base64.b64encode(b"secret").decode()


def test_a_stick_with_a_password_is_logged_in_when_it_says_no_rights(stick):
    virtual = stick(network(login_password="test-only-pw"))
    without = HiLinkClient(virtual.url)
    with pytest.raises(HiLinkError) as caught:
        without.get(INFORMATION)
    assert caught.value.code == 100003
    client = HiLinkClient(virtual.url, password="test-only-pw")
    assert fields(client.get(INFORMATION))["DeviceName"] == "E3372"
    assert client.logged_in and [r.path for r in virtual.requests if r.method == "POST"] == [LOGIN]
    wrong = HiLinkClient(virtual.url, password="not-it")
    with pytest.raises(HiLinkError) as caught:
        wrong.get(INFORMATION)
    assert caught.value.code == 108006


def test_the_pin_is_entered_once_and_the_stick_then_attaches(stick, monkeypatch):
    monkeypatch.setenv("HILINK_TEST_PIN", "4321")
    virtual = stick(network(sim="pin", sim_pin="4321"))
    spec = dataclasses.replace(SPEC, sim_pin_env="HILINK_TEST_PIN")
    result = HiLinkAttachChecker(HiLinkClient(virtual.url), spec).run(timeout=30.0)
    assert (result.sim, result.registration, result.packet_attached) == ("ready", "home", True)
    assert [r.path for r in virtual.requests if r.method == "POST"].count(PIN_OPERATE) == 1


def test_a_wrong_pin_is_not_sent_twice(stick, monkeypatch):
    monkeypatch.setenv("HILINK_TEST_PIN", "0000")
    virtual = stick(network(sim="pin", sim_pin="4321"))
    spec = dataclasses.replace(SPEC, sim_pin_env="HILINK_TEST_PIN")
    result = HiLinkAttachChecker(HiLinkClient(virtual.url), spec).run(timeout=30.0)
    assert result.sim == "pin rejected" and virtual.pin_tries == 2
    assert attach_findings(spec, result)[0].category is Category.SIM_ERROR
