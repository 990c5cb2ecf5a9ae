"""Attach through ModemManager: mmcli's two output formats, the runner, the checker, the fake mmcli.

The one real mmcli output is the forum's ``mmcli -m 0`` table (``fixtures/huawei-e3531/mmcli-m0.txt``);
the JSON samples in ``fixtures/modemmanager/`` are written from the documented mmcli 1.20 shape
(see the README there). The checker runs against the fake ``mmcli``
(``python -m hilkit.sim.programs.fake_mmcli --state FILE``), whose state :class:`MMState` writes. No input text
or bytes may make either parser raise anything but :class:`ModemError` (Hypothesis;
``HILKIT_FUZZ_EXAMPLES`` sets how many examples, default 200).
"""
from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import traceback

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hilkit.config.paths import PROJECT_ROOT
from hilkit.config.profiles import load_profile
from hilkit.core.errors import ModemError, WaitTimeout
from hilkit.core.profile import AttachSpec, NetworkModel
from hilkit.core.secrecy import Secrets
from hilkit.modem.attach import attach_problems
from hilkit.modem.mm_attach import ModemManagerAttachChecker, attach_result, percent_to_dbm
from hilkit.modem.mmcli_client import ModemManager, ModemNotFound
from hilkit.modem.mmcli_json import mm_value, parse_mmcli_json
from hilkit.modem.mmcli_table import parse_mmcli_text
from hilkit.sim.programs.fake_mmcli import HUMAN_ROWS, MODEM_PREFIX, MMState, device_path, main

FIXTURES = PROJECT_ROOT / "fixtures"
SAMPLES = FIXTURES / "modemmanager"
FORUM = FIXTURES / "huawei-e3531" / "mmcli-m0.txt"
FUZZ_EXAMPLES = int(os.environ.get("HILKIT_FUZZ_EXAMPLES", "200"))
PIN_ENV = "HILKIT_TEST_MM_SIM_PIN"
PIN = "7405"
SPEC = AttachSpec(method="modemmanager", technology=("umts", "hsdpa", "hspa", "lte"), min_signal_dbm=-105,
                  sim_pin_env=PIN_ENV)
E3531 = dict(imei="860000000035310", manufacturer="huawei", model="E3531", revision="21.318.01.00.00",
             drivers=["cdc_ncm", "option1"], ports=["ttyUSB0 (at)", "ttyUSB2 (at)", "wwan0 (net)"])
E3372 = dict(imei="866000000033720", manufacturer="huawei", model="E3372", revision="21.286.03.01.209",
             drivers=["huawei_cdc_ncm", "option"], ports=["cdc-wdm0 (at)", "ttyUSB0 (at)", "wwan0 (net)"])
#: what the forum's E3531 showed: I WIND 22288, home, umts, 19 % (CSQ 6)
FORUM_NET = NetworkModel(operator="I WIND", mcc_mnc="22288", registration="home", technology="umts", csq=6,
                         register_after=0.2)


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    assert text and "\n" not in text and "\r" not in text, repr(text)
    return text


@pytest.fixture
def lab(tmp_path):
    """(MMState, ModemManager running the fake mmcli on that state)."""
    state = MMState(tmp_path / "mm-state.json")
    assert state.command() == [sys.executable, "-m", "hilkit.sim.programs.fake_mmcli", "--state", str(state.path)]
    mm = ModemManager(state.command(), timeout=10)
    return state, mm


def _checker(mm, port="1-1.3", spec=SPEC, imei=""):
    return ModemManagerAttachChecker(mm, port, spec, imei=imei, poll_interval=0.03)


# --- the forum's human-readable table ---------------------------------------------------------

def test_forum_table_parses_into_the_json_keys():
    modem = parse_mmcli_text(FORUM.read_text(encoding="utf-8"))["modem"]
    generic, gpp = modem["generic"], modem["3gpp"]
    assert modem["dbus-path"] == "/org/freedesktop/ModemManager1/Modem/0"
    assert generic["state"] == "connecting"
    assert gpp["registration-state"] == "home"
    assert generic["access-technologies"] == ["umts"]
    assert generic["signal-quality"] == {"value": "19", "recent": "yes"}
    assert (gpp["operator-name"], gpp["operator-code"]) == ("I WIND", "22288")
    assert generic["ports"] == ["ttyUSB0 (at)", "ttyUSB2 (at)", "wwan0 (net)"]
    assert generic["drivers"] == ["cdc_ncm", "option1"]
    assert generic["device"].endswith("/1-1.3")
    assert generic["unlock-retries"] == ["sim-pin (2)", "sim-pin2 (3)", "sim-puk (10)", "sim-puk2 (10)"]
    assert generic["supported-modes"] == ["allowed: 2g, 3g; preferred: none", "allowed: 2g, 3g; preferred: 2g",
                                          "allowed: 2g, 3g; preferred: 3g", "allowed: 2g; preferred: none",
                                          "allowed: 3g; preferred: none"]
    assert generic["current-modes"] == "allowed: 2g, 3g; preferred: none"
    assert (generic["manufacturer"], generic["model"], generic["plugin"]) == ("huawei", "E3531", "Huawei")
    assert generic["supported-capabilities"] == ["gsm-umts"] and generic["primary-port"] == "ttyUSB0"
    assert generic["supported-ip-families"] == ["ipv4"]
    assert generic["sim"] == "/org/freedesktop/ModemManager1/SIM/0"
    assert generic["bearers"] == ["/org/freedesktop/ModemManager1/Bearer/2"]
    assert mm_value(modem, "generic.signal-quality.value") == "19"
    assert mm_value(modem, "3gpp.packet-service-state") == "--"   # not shown by that mmcli


def test_forum_table_as_an_attach_result():
    result = attach_result(parse_mmcli_text(FORUM.read_text(encoding="utf-8"))["modem"])
    assert (result.sim, result.registration, result.technology, result.operator) == ("ready", "home", "umts", "I WIND")
    assert result.signal_percent == 19 and result.signal_dbm == -101   # CSQ 6, as the AT path says
    assert result.packet_attached is False                            # connecting, no packet state shown


def test_pasted_command_lines_above_the_table_are_skipped():
    pasted = 'pi@raspberrypi:~ $ mmcli -m 0 | grep -Ev "imei|equipment"\n' + FORUM.read_text(encoding="utf-8")
    assert parse_mmcli_text(pasted) == parse_mmcli_text(FORUM.read_text(encoding="utf-8"))


def test_old_quoted_and_coloured_tables():
    old = ("  -------------------------\n"
           "  Status   |           lock: 'sim-pin'\n"
           "           | unlock retries: 'sim-pin (3), sim-puk (10)'\n"
           "           |          state: 'locked'\n"
           "           |    access tech: 'unknown'\n"
           "           | signal quality: '0' (cached)\n"
           "  -------------------------\n"
           "  SIM      |           path: '/org/freedesktop/ModemManager1/SIM/0'\n\n"
           "  -------------------------\n"
           "  Bearers  |          paths: 'none'\n")
    generic = parse_mmcli_text(old)["modem"]["generic"]
    assert generic["unlock-required"] == "sim-pin" and generic["state"] == "locked"
    assert generic["unlock-retries"] == ["sim-pin (3)", "sim-puk (10)"]
    assert generic["access-technologies"] == [] and generic["bearers"] == []
    assert generic["signal-quality"] == {"value": "0", "recent": "no"}
    assert generic["sim"] == "/org/freedesktop/ModemManager1/SIM/0"
    coloured = "  ----\n  Status | state: \x1b[32mconnected\x1b[0m\n         | other thing: x\r\n"
    modem = parse_mmcli_text(coloured.encode())["modem"]
    assert modem["generic"]["state"] == "connected"
    assert modem["other"]["status"]["other-thing"] == "x"   # unknown labels are kept, apart


@pytest.mark.parametrize("text, where", [
    ("", "no 'Section | label: value' rows"),
    ("just some words\nand more\n", "no 'Section | label: value' rows"),
    ("  ----\n  General | dbus path: /x\nthis is not a row\n", "line 3"),
    ("  ----\n          | state: registered\n", "line 2: a row before any section"),
    ("  ----\n  Status | no label here\n", "line 2: expected 'label: value'"),
    ("  ----\n  Status | state: x\n$ mmcli -m 0 | grep state\n", "line 3: not a section name"),
    (b"  ----\n  Status | state: \xff\n", "not UTF-8"),
])
def test_bad_tables_are_one_line_errors(text, where):
    with pytest.raises(ModemError) as caught:
        parse_mmcli_text(text)
    assert where in _one_line(caught.value)


# --- JSON ---------------------------------------------------------------------------------------

def _leaves(node, key=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, f"{key}.{k}" if key else k)
    elif isinstance(node, list):
        for item in node:
            yield key, item
    else:
        yield key, node


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("mmcli-m-*.json")))
def test_json_samples_have_the_documented_shape(name):
    data = parse_mmcli_json((SAMPLES / name).read_text(encoding="utf-8"))
    modem = data["modem"]
    assert set(modem) >= {"dbus-path", "generic", "3gpp", "cdma"}
    bad = [(k, v) for k, v in _leaves(modem) if not isinstance(v, str) or v == ""]
    assert bad == [], "every value a non-empty string ('--' when unknown)"
    assert modem["generic"]["state"] in {"failed", "unknown", "initializing", "locked", "disabled", "disabling",
                                         "enabling", "enabled", "searching", "registered", "disconnecting",
                                         "connecting", "connected"}


def test_json_samples_as_attach_results():
    load = lambda name: parse_mmcli_json((SAMPLES / name).read_bytes())["modem"]  # noqa: E731
    connected = attach_result(load("mmcli-m-connected-lte.json"))
    assert (connected.sim, connected.registration, connected.technology, connected.operator) == \
        ("ready", "home", "lte", "Telekom.de")
    assert connected.signal_percent == 67 and connected.signal_dbm == percent_to_dbm(67) == -71
    assert connected.packet_attached
    assert attach_result(load("mmcli-m-locked-sim-pin.json")).sim == "pin"
    missing = attach_result(load("mmcli-m-failed-sim-missing.json"))
    assert (missing.sim, missing.registration, missing.signal_dbm) == ("absent", "unknown", None)
    denied = attach_result(load("mmcli-m-searching-denied.json"))
    assert (denied.registration, denied.technology, denied.packet_attached) == ("denied", "unknown", False)
    assert parse_mmcli_json((SAMPLES / "mmcli-L.json").read_text())["modem-list"][1].endswith("/Modem/7")
    assert parse_mmcli_json((SAMPLES / "mmcli-L-empty.json").read_text()) == {"modem-list": []}


@pytest.mark.parametrize("text, where", [
    ("", "empty output"),
    ("error: couldn't find modem", "line 1 column 1"),
    ('{"modem": {"generic": }', "line 1 column 23"),
    ("[1, 2]", "expected an object, got list"),
    ('{"modem": []}', "'modem' is not an object"),
    ('{"modem-list": [1]}', "'modem-list' is not a list of strings"),
    ("[" * 100000, "mmcli JSON"),
    (b'{"a": "\xc3"}', "not UTF-8"),
])
def test_bad_json_is_a_one_line_error(text, where):
    with pytest.raises(ModemError) as caught:
        parse_mmcli_json(text)
    assert where in _one_line(caught.value)


# --- the fake mmcli against its own two formats -----------------------------------------------

@pytest.mark.parametrize("network", [FORUM_NET, NetworkModel(sim="pin", sim_pin=PIN), NetworkModel(sim="absent"),
                                     NetworkModel(technology="lte", registration="roaming", register_after=0)])
def test_fake_human_table_parses_back_to_its_json(lab, network):
    state, _ = lab
    state.add_modem("1-1.3", network=network, plugged_at=0, **E3531)
    state.enable("any") if network.sim == "ready" else None
    now = time.time() + 1
    json_modem = parse_mmcli_json(json.dumps(state.modem_json("any", now)))["modem"]
    text_modem = parse_mmcli_text(state.human("any", now))["modem"]
    for _section, _label, key, kind in HUMAN_ROWS:
        shown = mm_value(json_modem, key)
        if shown in ("--", []) or (kind == "signal" and shown.get("value") == "--"):
            assert mm_value(text_modem, key) in ("--", []), key
        else:
            assert mm_value(text_modem, key) == shown, key
    assert "other" not in text_modem


def test_fake_cli_speaks_like_mmcli(lab, capsys):
    state, _ = lab
    path = str(state.path)
    assert main(["--state", path, "-L", "-J"]) == 0
    assert json.loads(capsys.readouterr().out) == {"modem-list": []}
    assert main(["--state", path, "-L"]) == 0 and capsys.readouterr().out == "No modems were found\n"
    state.add_modem("1-1.3", network=FORUM_NET, plugged_at=0, **E3531)
    assert main(["--state", path, "-L"]) == 0
    assert capsys.readouterr().out == f"    {MODEM_PREFIX}0 [huawei] E3531\n"
    assert main(["--state", path, "-m", "3", "-J"]) == 1
    assert capsys.readouterr().err == "error: couldn't find modem\n"
    assert main(["--state", path, "--modem=0", "-J"]) == 0
    modem = json.loads(capsys.readouterr().out)["modem"]
    assert modem["generic"]["state"] == "disabled" and modem["3gpp"]["registration-state"] == "--"
    assert main(["--state", path, "-m", device_path("1-1.3"), "-e"]) == 0   # mmcli takes the device too
    assert capsys.readouterr().out == "successfully enabled the modem\n"
    assert main(["--state", path, "-i", "0", "--pin=1234"]) == 1
    assert "not SIM-PIN locked" in capsys.readouterr().err
    assert main(["--state", path, "-i", "9", "--pin=1234"]) == 1
    assert capsys.readouterr().err == "error: couldn't find sim\n"
    assert main(["--state", path, "-m", "0", "--bogus"]) == 1
    assert capsys.readouterr().err.startswith("error: couldn't parse command line options")


def test_state_indexes_grow_and_are_never_reused(tmp_path):
    state = MMState(tmp_path / "s.json")
    assert state.add_modem("1-1.2", network=FORUM_NET, plugged_at=0, **E3531) == 0
    assert state.add_modem("1-1.3", network=FORUM_NET, plugged_at=0, **E3531) == 1
    assert state.remove_modem("1-1.2") and not state.remove_modem("1-1.2")
    assert state.add_modem("1-1.2", network=FORUM_NET, plugged_at=0, **E3531) == 2
    assert state.add_modem("1-1.3", network=FORUM_NET, plugged_at=0, **E3531) == 3   # re-plug replaces
    assert state.modem_list() == [f"{MODEM_PREFIX}2", f"{MODEM_PREFIX}3"]
    assert device_path("1-1.3") == "/sys/devices/platform/soc/3f980000.usb/usb1/1-1/1-1.3"
    assert device_path("2-4") == "/sys/devices/platform/soc/3f980000.usb/usb2/2-4"
    with pytest.raises(ValueError):
        device_path("usb1")


def test_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "s.json"
    indexes: list[int] = []

    def plug(bus: int) -> None:   # each thread its own MMState: only the file lock keeps them apart
        own = MMState(path)
        for port in range(1, 6):
            indexes.append(own.add_modem(f"{bus}-1.{port}", network=FORUM_NET, plugged_at=0, **E3531))

    threads = [threading.Thread(target=plug, args=(bus,)) for bus in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(indexes) == list(range(40))
    assert len(MMState(path).modem_list()) == 40


# --- the checker against the fake mmcli ---------------------------------------------------------

def test_home_attach_like_the_forum_stick(lab):
    state, mm = lab
    state.add_modem("1-1.3", network=FORUM_NET, plugged_at=time.time(), **E3531)
    result = _checker(mm).run(timeout=60)
    assert (result.sim, result.registration, result.technology, result.operator) == ("ready", "home", "umts", "I WIND")
    assert (result.signal_percent, result.signal_dbm, result.packet_attached) == (19, -101, True)
    assert result.time_to_attach >= 0.2   # not before the network's register_after
    assert attach_problems(SPEC, result) == []
    answer = result.evidence[f"{sys.executable} -m hilkit.sim.programs.fake_mmcli --state {state.path} -m {MODEM_PREFIX}0 -J"]
    assert json.loads(answer)["modem"]["generic"]["state"] == "registered"
    timeline = result.evidence["mmcli timeline"]
    assert "state disabled" in timeline and "enable sent" in timeline and "registration home" in timeline
    assert any(" -e" in call.command for call in mm.transcript)


def test_virtual_e3531_profile_attaches_like_mmcli_showed(lab):
    state, mm = lab
    profile = load_profile(PROJECT_ROOT / "device_profiles" / "huawei" / "e3531.yaml")
    v = profile.virtual
    state.add_modem("1-1.3", v.imei, v.manufacturer, v.model, v.revision, E3531["drivers"], E3531["ports"],
                    v.network, time.time())
    result = _checker(mm, spec=profile.attach).run(timeout=60)
    forum = attach_result(parse_mmcli_text(FORUM.read_text(encoding="utf-8"))["modem"])
    for name in ("registration", "technology", "operator", "signal_percent", "signal_dbm"):
        assert getattr(result, name) == getattr(forum, name), name


def test_roaming_on_lte(lab):
    state, mm = lab
    state.add_modem("1-1.3", network=NetworkModel(registration="roaming", technology="lte", operator="Vodafone.de",
                                                   mcc_mnc="26202", csq=25, register_after=0.1),
                    plugged_at=time.time(), **E3372)
    result = _checker(mm).run(timeout=60)
    assert (result.registration, result.technology, result.operator) == ("roaming", "lte", "Vodafone.de")
    assert result.signal_percent == 81 and result.signal_dbm == -63


def test_found_by_port_path_when_indexes_have_moved(lab):
    state, mm = lab
    state.add_modem("1-1.2", network=NetworkModel(operator="first", register_after=0.1), plugged_at=0, **E3372)
    state.add_modem("1-1.3", network=NetworkModel(operator="second", register_after=0.1), plugged_at=0, **E3531)
    state.remove_modem("1-1.2")
    state.add_modem("1-1.2", network=NetworkModel(operator="first", register_after=0.1), plugged_at=0, **E3372)
    state.remove_modem("1-1.3")
    state.add_modem("1-1.3", network=NetworkModel(operator="second", register_after=0.1), plugged_at=0, **E3531)
    assert mm.list_modems() == [f"{MODEM_PREFIX}2", f"{MODEM_PREFIX}3"]
    assert mm.find("1-1.3") == f"{MODEM_PREFIX}3"
    assert mm.find(imei=E3372["imei"]) == f"{MODEM_PREFIX}2"
    with pytest.raises(ModemNotFound) as caught:
        mm.modem(f"{MODEM_PREFIX}1")                     # the old index of 1-1.3 is gone
    assert "couldn't find modem" in _one_line(caught.value)
    result = _checker(mm, "1-1.3").run(timeout=60)
    assert result.operator == "second" and f"{MODEM_PREFIX}3: state registered" in result.evidence["mmcli timeline"]
    with pytest.raises(ModemNotFound) as caught:
        mm.find("1-1.4")
    text = _one_line(caught.value)
    assert "no modem on USB port 1-1.4" in text
    assert f"{MODEM_PREFIX}2 at {device_path('1-1.2')} IMEI {E3372['imei']}" in text
    assert f"{MODEM_PREFIX}3 at {device_path('1-1.3')}" in text


def test_denied_times_out_naming_the_last_state(lab):
    state, mm = lab
    # denied as soon as enabled: the checker's last look (always after its enable) sees it, however slow
    state.add_modem("1-1.3", network=NetworkModel(registration="denied", register_after=0), plugged_at=0, **E3531)
    with pytest.raises(WaitTimeout) as caught:
        _checker(mm).run(timeout=0.5)
    text = _one_line(caught.value)
    assert "USB port 1-1.3 registered" in text
    assert caught.value.seen == f"{MODEM_PREFIX}0: state searching, registration denied"


def test_modem_that_never_shows_up_times_out_saying_what_was_seen(lab):
    state, mm = lab
    state.add_modem("1-1.2", network=FORUM_NET, plugged_at=0, **E3372)
    with pytest.raises(WaitTimeout) as caught:
        _checker(mm, "1-1.3").run(timeout=0.3)
    assert "no modem on USB port 1-1.3; seen: /org/freedesktop/ModemManager1/Modem/0 at" in _one_line(caught.value)


def test_waits_for_the_modem_to_appear(lab):
    state, mm = lab
    state.add_modem("1-1.3", network=NetworkModel(register_after=0.1), plugged_at=time.time() + 0.2, **E3531)
    result = _checker(mm).run(timeout=60)
    assert result.registration == "home" and result.time_to_attach >= 0.2
    assert "ModemManager lists no modems" in result.evidence["mmcli timeline"].splitlines()[0]


def test_absent_sim_is_reported_not_raised(lab):
    state, mm = lab
    state.add_modem("1-1.3", network=NetworkModel(sim="absent"), plugged_at=0, **E3531)
    result = _checker(mm).run(timeout=60)
    assert (result.sim, result.registration, result.packet_attached) == ("absent", "unknown", False)
    assert any("SIM" in problem for problem in attach_problems(SPEC, result))
    assert not any(" -e" in call.command for call in mm.transcript)


def test_pin_required_without_secret_reports_pin(lab, monkeypatch):
    monkeypatch.delenv(PIN_ENV, raising=False)
    state, mm = lab
    state.add_modem("1-1.3", network=NetworkModel(sim="pin", sim_pin=PIN), plugged_at=0, **E3531)
    result = _checker(mm).run(timeout=60)
    assert result.sim == "pin" and PIN_ENV in result.evidence["sim pin"]
    assert not any("--pin" in call.command for call in mm.transcript)


def _everything_shown(mm, result=None, exc=None, caplog=None) -> str:
    parts = [f"{c.command}\n{c.stdout}\n{c.stderr}" for c in mm.transcript]
    if result is not None:
        parts += [f"{k}\n{v}" for k, v in result.evidence.items()] + [repr(result), result.summary()]
    if exc is not None:
        parts += ["".join(traceback.format_exception(type(exc), exc, exc.__traceback__)), repr(exc)]
    if caplog is not None:
        parts.append(caplog.text)
    return "\n".join(parts)


def test_pin_from_environment_unlocks_and_is_never_shown(lab, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG, logger="hilkit.modem.mmcli_client")
    monkeypatch.setenv(PIN_ENV, PIN)
    state, mm = lab
    state.add_modem("1-1.3", network=NetworkModel(sim="pin", sim_pin=PIN, register_after=0.1), plugged_at=0, **E3531)
    result = _checker(mm).run(timeout=60)
    assert (result.sim, result.registration) == ("ready", "home")
    assert any(call.command.endswith("-i /org/freedesktop/ModemManager1/SIM/0 --pin=********")
               for call in mm.transcript)
    assert "PIN sent" in result.evidence["mmcli timeline"]
    assert PIN not in _everything_shown(mm, result, caplog=caplog)


def test_pin_from_the_rig_secrets_file(lab, monkeypatch):
    monkeypatch.delenv(PIN_ENV, raising=False)
    state, mm = lab
    state.add_modem("1-1.3", network=NetworkModel(sim="pin", sim_pin=PIN, register_after=0.1), plugged_at=0, **E3531)
    checker = ModemManagerAttachChecker(mm, "1-1.3", SPEC, poll_interval=0.03,
                                        secrets=Secrets({PIN_ENV: PIN}, environ={}))
    result = checker.run(timeout=60)
    assert (result.sim, result.registration) == ("ready", "home")
    assert PIN not in _everything_shown(mm, result)


def test_wrong_pin_is_sent_once_and_masked(lab, monkeypatch):
    monkeypatch.setenv(PIN_ENV, "9153")
    state, mm = lab
    state.add_modem("1-1.3", network=NetworkModel(sim="pin", sim_pin=PIN), plugged_at=0, **E3531)
    result = _checker(mm).run(timeout=60)
    assert result.sim == "pin"
    assert "Incorrect password" in result.evidence["sim pin"]
    assert sum("--pin" in call.command for call in mm.transcript) == 1
    assert json.loads(state.path.read_text())["modems"][0]["pin_tries"] == 2
    assert "9153" not in _everything_shown(mm, result)


# --- command failures ------------------------------------------------------------------------

@pytest.fixture
def script(tmp_path):
    """script(code) -> a command running that Python code (kept out of the command line)."""
    def make(code: str) -> list[str]:
        path = tmp_path / f"fake{len(list(tmp_path.iterdir()))}.py"
        path.write_text(code, encoding="utf-8")
        return [sys.executable, str(path)]
    return make


def test_missing_executable(tmp_path):
    with pytest.raises(ModemError) as caught:
        ModemManager([str(tmp_path / "no-mmcli")]).list_modems()
    text = _one_line(caught.value)
    assert "no-mmcli -L -J" in text and "not found" in text


def test_non_zero_exit_names_command_and_last_stderr_line(script):
    mm = ModemManager(script("import sys\nsys.stderr.write('warning: x\\nerror: couldn\\'t create manager\\n')\n"
                             "sys.exit(1)\n"))
    with pytest.raises(ModemError) as caught:
        mm.modem("/org/freedesktop/ModemManager1/Modem/0")
    text = _one_line(caught.value)
    assert "-m /org/freedesktop/ModemManager1/Modem/0 -J: exit status 1: error: couldn't create manager" in text
    assert "warning" not in text


def test_timeout(script):
    mm = ModemManager(script("import time\ntime.sleep(5)\n"), timeout=0.3)
    with pytest.raises(ModemError) as caught:
        mm.list_modems()
    assert "-L -J: no answer within 0.3 s" in _one_line(caught.value)


def test_non_json_answer(script):
    mm = ModemManager(script("print('  /org/freedesktop/ModemManager1/Modem/0 [huawei] E3531')\n"))
    with pytest.raises(ModemError) as caught:
        mm.list_modems()
    text = _one_line(caught.value)
    assert "answered no mmcli JSON" in text and "[huawei] E3531" in text


@pytest.mark.parametrize("code", [
    "import sys\nsys.stderr.write('error: bad pin ' + ' '.join(sys.argv[1:]) + '\\n')\nsys.exit(1)\n",
    "import sys, time\nprint(sys.argv, flush=True)\ntime.sleep(5)\n",
], ids=["echoes-the-pin-and-fails", "echoes-the-pin-and-hangs"])
def test_pin_is_masked_in_failures(script, code):
    secret = str(8642)
    mm = ModemManager(script(code), timeout=0.3)
    with pytest.raises(ModemError) as caught:
        mm.send_pin("/org/freedesktop/ModemManager1/SIM/0", secret)
    text = _one_line(caught.value)
    assert "--pin=********" in text
    assert secret not in _everything_shown(mm, exc=caught.value)
    assert secret not in "".join(mm.evidence().values())


def test_command_must_be_a_list():
    with pytest.raises(ValueError):
        ModemManager("mmcli -L")   # type: ignore[arg-type]


# --- fuzzing: both parsers give a dict or a ModemError, nothing else ---------------------------

FRAGMENTS = ["  -----------------------------", "  Status   |             state: connected", "           |",
             "  General  |         dbus path: /org/freedesktop/ModemManager1/Modem/0", " | ", "|", ":",
             "           |    signal quality: 19% (recent)", "  3GPP | registration: home", "\t|\t: x",
             "           |                    allowed: 2g; preferred: none", "  Hardware | signal quality: x",
             "  Status | signal quality: '7'", "\x1b[31m", "  SIM | dbus path:", "'", "  a|b:c"]
tables = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=40)), max_size=25).map("\n".join)
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                               st.sampled_from(["modem", "modem-list", "generic", "state", "x"]) | st.text(max_size=5),
                               inner, max_size=4), max_leaves=20)
FUZZ = settings(max_examples=FUZZ_EXAMPLES, deadline=None)


def _dict_or_modem_error(parse, data) -> None:
    try:
        out = parse(data)
    except ModemError as exc:
        _one_line(exc)
    else:
        assert isinstance(out, dict)
        if isinstance(out.get("modem"), dict):
            attach_result(out["modem"])   # whatever the answer said, no exception


@FUZZ
@given(st.one_of(st.text(), tables))
def test_fuzz_text_parser_with_text(text):
    _dict_or_modem_error(parse_mmcli_text, text)


@FUZZ
@given(st.one_of(st.binary(), tables.map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_fuzz_text_parser_with_bytes(data):
    _dict_or_modem_error(parse_mmcli_text, data)


@FUZZ
@given(st.one_of(st.text(), json_values.map(json.dumps), json_values.map(lambda v: json.dumps(v)[:-1])))
def test_fuzz_json_parser_with_text(text):
    _dict_or_modem_error(parse_mmcli_json, text)


@FUZZ
@given(st.one_of(st.binary(), json_values.map(lambda v: json.dumps(v).encode())))
def test_fuzz_json_parser_with_bytes(data):
    _dict_or_modem_error(parse_mmcli_json, data)

