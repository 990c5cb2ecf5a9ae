"""The AT client over pyserial, against the virtual firmware on a real pty."""
from __future__ import annotations

import time
from dataclasses import replace

import pytest

from hilkit.core.errors import Category, ModemError, WaitTimeout
from hilkit.core.profile import AttachSpec
from hilkit.modem.at import AtClient, AtCommandError
from hilkit.modem.attach import AtAttachChecker, attach_problems
from hilkit.modem.ts27007 import Csq, parse_registration
from hilkit.sim.adapters.pty_port import PtyPort


def test_ok_with_information_lines(modem_port):
    client, _ = modem_port()
    response = client.command("ATI")
    assert response.ok and response.final == "OK"
    assert response.lines == ["huawei", "modem", "11.000.00.00.000"]


def test_echo_off_and_on_give_the_same_answers(modem_port):
    client, model = modem_port()
    assert client.command("AT+CSQ").value("+CSQ:") == "20,99"
    client.command("ATE0")
    assert model.echo is False
    assert client.command("AT+CSQ").value("+CSQ:") == "20,99"


def test_error_and_cme_error_with_27007_text(modem_port):
    client, _ = modem_port(sim="absent")
    with pytest.raises(AtCommandError, match=r"AT\+BOGUS failed: ERROR"):
        client.command("AT+BOGUS")
    client.command("AT+CMEE=1")
    with pytest.raises(AtCommandError) as error:
        client.command("AT+CPIN?")
    # the category is data, and the message shows it first
    assert str(error.value) == "SIM error: AT+CPIN? failed: +CME ERROR: 10 (SIM not inserted)"
    assert error.value.category is Category.SIM_ERROR
    assert client.command("AT+CPIN?", check=False).final == "+CME ERROR: 10"


def test_urc_is_kept_apart_from_responses(modem_port):
    client, _ = modem_port(register_after=1.0)
    since = time.monotonic()
    client.command("AT+CREG=1")
    assert client.command("AT+CREG?").lines == ["+CREG: 1,2"]   # searching
    urc = client.wait_urc(lambda text: text.startswith("+CREG: 1"), 3, "registration", since=since)
    assert urc.text == "+CREG: 1"
    assert client.command("AT+CSQ").lines == ["+CSQ: 20,99"]     # the URC did not leak into it
    assert "!! +CREG: 1" in client.transcript_text()


def test_silent_port_times_out_naming_command_and_port():
    port = PtyPort("diag")
    client = AtClient(port.path)
    try:
        with pytest.raises(WaitTimeout) as timeout:
            client.command("AT", timeout=0.3)
        assert f"a final result code for AT from {port.path}" in str(timeout.value)
        assert "seen: nothing" in str(timeout.value)
    finally:
        client.close()
        port.close()


def test_vanished_port_is_a_modem_error(modem_port):
    client, _ = modem_port()
    client.command("AT")
    client.serial.close()
    with pytest.raises(ModemError):
        client.command("AT", timeout=0.5)


def test_sim_pin_entered_from_environment_and_never_in_transcript(modem_port, monkeypatch):
    monkeypatch.setenv("HILKIT_TEST_PIN", "4711")
    client, model = modem_port(sim="pin", sim_pin="4711")
    spec = AttachSpec(method="at", sim_pin_env="HILKIT_TEST_PIN", min_signal_dbm=-100)
    result = AtAttachChecker(client, spec).run(timeout=60)
    assert result.sim == "ready" and model.sim_ready
    assert attach_problems(spec, result) == []
    transcript = client.transcript_text()
    assert "4711" not in transcript
    assert 'AT+CPIN=********' in transcript


def test_attach_result_from_the_forum_e3531(modem_port):
    client, _ = modem_port(operator="I WIND", mcc_mnc="22288", csq=6, technology="umts")
    spec = AttachSpec(method="at", technology=("umts",), min_signal_dbm=-105)
    result = AtAttachChecker(client, spec).run(timeout=60)
    assert (result.registration, result.operator, result.technology) == ("home", "I WIND", "umts")
    assert result.signal_dbm == -101 and result.signal_percent == 19   # mmcli showed "19%"
    assert result.packet_attached
    assert attach_problems(replace(spec, min_signal_dbm=-100), result) == ["signal -101 dBm (expected >= -100 dBm)"]


def test_denied_registration_times_out_with_last_state(modem_port):
    client, _ = modem_port(registration="denied")
    with pytest.raises(WaitTimeout) as timeout:
        AtAttachChecker(client, AttachSpec(method="at")).run(timeout=0.5)
    assert "last state: denied" in str(timeout.value)
    assert "stat 1 home or 5 roaming" in str(timeout.value)


@pytest.mark.parametrize("line, parsed", [
    ("+CREG: 2,1,\"1A2B\",\"01C3D4E\",2", (1, "umts")),
    ("+CREG: 0,5", (5, "")),
    ("+CEREG: 1,\"00C1\",\"0001A2B3\",7", (1, "lte")),
    ("+CGREG: 2", (2, "")),
    ("garbage", None),
])
def test_parse_registration(line, parsed):
    got = parse_registration(line)
    assert (None if got is None else (got.stat, got.technology)) == parsed


@pytest.mark.parametrize("rssi, dbm, percent", [(0, -113, 0), (6, -101, 19), (31, -51, 100), (99, None, None)])
def test_csq_conversions(rssi, dbm, percent):
    assert Csq(rssi, 99).dbm == dbm and Csq(rssi, 99).percent == percent
