"""hilkit's HiLink client and parsers against answers real sticks sent (fixtures/hilink/captured/,
each with its source in that folder's README): E3372 and E3372h-320 status, signal, session and
error answers, served as the stick served them."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hilkit.config.paths import PROJECT_ROOT
from hilkit.modem.hilink_api import (
    SES_TOK_INFO,
    STATUS,
    HiLinkClient,
    HiLinkError,
    attach_from_answers,
    fields,
    parse_dbm,
    parse_response,
)

CAPTURED = PROJECT_ROOT / "fixtures" / "hilink" / "captured"


def answer(name: str) -> dict[str, str]:
    return fields(parse_response((CAPTURED / name).read_bytes()))


@pytest.mark.parametrize("name, percent", [("monitoring-status-e3372-lkwg82.xml", 40),
                                           ("monitoring-status-e3372h-320-vzakharchenko.xml", 60)])
def test_real_status_answers_read_as_attached_on_lte(name, percent):
    result = attach_from_answers(answer(name))
    assert (result.sim, result.registration, result.technology, result.packet_attached) == (
        "ready", "home", "lte", True)
    assert result.signal_percent == percent   # SignalIcon of maxsignal 5


def test_a_real_signal_answer_gives_lte_levels():
    signal = answer("device-signal-e3372-lkwg82.xml")
    assert [parse_dbm(signal[k]) for k in ("rsrp", "rsrq", "rssi", "sinr")] == [-89.0, -7.0, -69.0, 6.0]
    result = attach_from_answers(answer("monitoring-status-e3372-lkwg82.xml"), signal=signal)
    assert result.signal_dbm == -69.0


def test_a_real_information_answer_keeps_its_escaped_firmware_version():
    info = answer("device-information-e3372h-320-tsOS-vhf-issue3.xml")
    assert (info["DeviceName"], info["SoftwareVersion"]) == ("E3372h-320", "11.0.1.1(H697SP1C983)")


@pytest.mark.parametrize("name, code, says", [
    ("webserver-token-error-125002-e3372-trick77-issue3.xml", 125002, "wrong session"),
    ("error-100003-e3372-HariHend1973-issue1.xml", 100003, "no rights")])
def test_real_error_answers_name_their_code(name, code, says):
    with pytest.raises(HiLinkError) as caught:
        parse_response((CAPTURED / name).read_bytes(), "GET http://192.168.8.1/api/x")
    assert caught.value.code == code and says in caught.value.meaning


class _Replay(BaseHTTPRequestHandler):
    """Serves captured answers by path, and records the Cookie each request carried."""

    answers: dict[str, bytes] = {}
    cookies: list[tuple[str, str]] = []

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.cookies.append((self.path, self.headers.get("Cookie") or ""))
        body = self.answers.get(self.path, b"")
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html")   # as real sticks label their XML
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def replay() -> Iterator[str]:
    _Replay.answers = {SES_TOK_INFO: (CAPTURED / "webserver-SesTokInfo-e3372-lkwg82.xml").read_bytes(),
                       STATUS: (CAPTURED / "monitoring-status-e3372-lkwg82.xml").read_bytes()}
    _Replay.cookies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Replay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_real_bare_session_id_becomes_the_session_cookie(replay):
    """Real SesTokInfo answers carry the bare id (no 'SessionID=' prefix): the client sends it as SessionID."""
    session = answer("webserver-SesTokInfo-e3372-lkwg82.xml")["SesInfo"]
    assert "=" not in session
    status = fields(HiLinkClient(replay).get(STATUS))
    assert status["ConnectionStatus"] == "901"
    assert _Replay.cookies == [(SES_TOK_INFO, ""), (STATUS, f"SessionID={session}")]
