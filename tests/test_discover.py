"""`hilkit switch discover`: on a virtual stick whose profile lists no switch but whose firmware
answers one message, the candidates are tried one power cycle each until one reaches a network
mode; the config it prints works with `hilkit switch -c`, the drafted profile loads."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hilkit.cli.main import main
from hilkit.config.paths import builtin_rig, shipped_profiles
from hilkit.config.profiles import ProfileLibrary, load_profile
from hilkit.discovery import FOUND, NOTHING, REFUSED, discover
from hilkit.dut import Dongle
from hilkit.lab.registry import load_rig
from hilkit.sim.virtual_lab import VirtualLab
from hilkit.switch.candidates import candidates_for

RIG = """name: discover
backend: virtual
pin_factory: mock
profiles: [../profiles]
slots:
  - {name: mystery, power: {driver: gpio, pin: 5}, port: "1-1.2", profile: acme/unlisted}
"""


def unlisted_stick(tmp_path: Path, answers: dict | None) -> Path:
    """The shipped E3372 HiLink profile as an unknown stick (12d1:15ff, in no database) whose
    profile lists no switch; its firmware switches on ``answers`` (None: on nothing)."""
    data = yaml.safe_load((shipped_profiles() / "huawei" / "e3372-hilink.yaml").read_text())
    data.pop("switches")
    data["modes"]["storage"]["ids"] = ["12d1:15ff"]
    if answers:
        data["virtual"]["firmware_switches"] = [{"from": "storage", "to": "hilink", "config": answers}]
    (tmp_path / "profiles" / "acme").mkdir(parents=True)
    (tmp_path / "profiles" / "acme" / "unlisted.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    (tmp_path / "lab").mkdir()
    (tmp_path / "lab" / "rig.yaml").write_text(RIG)
    return tmp_path / "lab" / "rig.yaml"


def test_discover_finds_the_message_prints_a_working_config_and_a_profile(tmp_path, capsys):
    rig = unlisted_stick(tmp_path, {"HuaweiNewMode": 1})
    out = tmp_path / "found"
    assert main(["switch", "discover", "--rig", str(rig), "--port", "1-1.2", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    count = int(err.split(" candidates\n")[0].rsplit("; ", 1)[1])
    assert count >= 20, err
    tries = [line for line in err.splitlines() if line.startswith("try ")]
    assert "modem or network mode: 12d1:14dc" in tries[-1] and all("no switch" in t for t in tries[:-1])
    config = (out / "12d1:15ff").read_text()
    assert "TargetVendor=0x12d1" in config and 'TargetProductList="14dc"' in config
    assert "found by hilkit switch discover" in config.splitlines()[0]
    assert main(["switch", "--rig", str(rig), "--power-on", "--port", "1-1.2", "-c", str(out / "12d1:15ff")]) == 0
    assert "Mode switch succeeded: 12d1:14dc" in capsys.readouterr().err
    drafted = load_profile(out / "12d1-15ff.yaml")
    assert [m.ids[0].product for m in drafted.modes.values()] == [0x15FF, 0x14DC]
    assert drafted.switches[0].config.target_products == [0x14DC]


def test_candidates_come_best_bets_first_and_distinct():
    library = ProfileLibrary(shipped_profiles())
    profiles = library.loadable()
    e3131 = library.get("huawei/e3131")
    lab = VirtualLab(load_rig(builtin_rig("virtual")))
    dongle = Dongle(lab.rig.slot("e3131"), lab)
    try:
        device = dongle.power_on()
    finally:
        dongle.close()
        lab.close()
    candidates = candidates_for(device, profiles)
    whys = [c.why for c in candidates]
    assert whys[0] == "same id" and candidates[0].name in ("huawei/e3131", "usb-modeswitch-data/12d1/14fe")
    assert whys == sorted(whys, key=["same id", "same vendor", "same interfaces", "generic method"].index)
    assert len({c.payload() for c in candidates}) == len(candidates)
    assert all(c.config.get("DefaultProduct") == 0x14FE and c.config.get("TargetVendor") is None for c in candidates)
    assert e3131.initial_mode.ids[0] == device.id


def test_a_stick_that_answers_nothing_is_tried_and_left_powered_off(tmp_path):
    rig = load_rig(unlisted_stick(tmp_path, None))
    lab = VirtualLab(rig)
    dongle = Dongle(rig.slot("mystery"), lab)
    try:
        device = dongle.power_on()
        library = ProfileLibrary(rig.profile_dirs)
        candidates = candidates_for(device, library.loadable())[:8]
        seen = []
        found = discover(dongle, candidates, try_all=True, on_attempt=seen.append)
        outcomes = [a.outcome for a in found.attempts]
        assert len(outcomes) == 8 and set(outcomes) <= {NOTHING, REFUSED} and outcomes.count(NOTHING) >= 6
        assert seen == found.attempts
        refused = [a for a in found.attempts if a.outcome == REFUSED]
        assert all("Configuration 2" in a.detail or "configuration 2" in a.detail for a in refused), refused
        assert found.found is None and found.config_text() == "" and FOUND not in {a.outcome for a in seen}
        assert dongle.power.state is False and lab.bus.device_at("1-1.2") is None
    finally:
        dongle.close()
        lab.close()


@pytest.mark.parametrize("argv, says", [
    (["--port", "9-9"], "no slot of rig virtual is on port 9-9"),
])
def test_discover_needs_a_slot(argv, says, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["switch", "discover", *argv]) == 2
    assert says in capsys.readouterr().err
