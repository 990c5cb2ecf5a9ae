"""`hilkit nm-connection`: GSM keyfiles from a profile, checks of existing ones; passwords never shown."""
from __future__ import annotations

import configparser
import stat

from hilkit.cli.main import main
from hilkit.config.paths import PROJECT_ROOT
from hilkit.config.profiles import ProfileLibrary
from hilkit.modem.nmconnection import check_keyfile, render_keyfile

FIXTURES = PROJECT_ROOT / "fixtures" / "networkmanager"
E3131 = ProfileLibrary(PROJECT_ROOT / "device_profiles").get("huawei/e3131")


def test_keyfile_from_profile_is_valid_and_asks_an_agent_for_the_password():
    text = render_keyfile(E3131)
    parsed = configparser.ConfigParser(interpolation=None)
    parsed.read_string(text)
    assert parsed["connection"]["type"] == "gsm"
    assert parsed["gsm"]["apn"] == "m2m-net.sa.t-mobile" and parsed["gsm"]["number"] == "*99#"
    assert parsed["gsm"]["password-flags"] == "1" and "password" not in parsed["gsm"]
    assert check_keyfile(text, E3131) == []
    assert render_keyfile(E3131) == text   # same uuid every time: reproducible


def test_forum_keyfiles_checked():
    giffgaff = check_keyfile((FIXTURES / "giffgaff.nmconnection").read_text())
    assert [(p.line, p.field) for p in giffgaff] == [(12, "gsm.password")]
    assert "password" not in giffgaff[0].text.split(":")[0] or "not shown" in giffgaff[0].text
    assert check_keyfile((FIXTURES / "soracom.nmconnection").read_text()) == []


def test_stored_password_goes_to_the_file_only(tmp_path, monkeypatch, capsys):
    secret = "apn-s3cret-pw"
    profile_dir = tmp_path / "profiles" / "huawei"
    profile_dir.mkdir(parents=True)
    text = (PROJECT_ROOT / "device_profiles" / "huawei" / "e3131.yaml").read_text().replace(
        "  apn: m2m-net.sa.t-mobile\n", "  apn: m2m-net.sa.t-mobile\n  username: lab\n  password_env: LAB_APN_PW\n")
    (profile_dir / "e3131.yaml").write_text(text)
    monkeypatch.setenv("LAB_APN_PW", secret)
    out = tmp_path / "lab.nmconnection"
    assert main(["nm-connection", "huawei/e3131", "--profiles", str(tmp_path / "profiles"),
                 "--store-password", "--out", str(out)]) == 0
    shown = capsys.readouterr()
    assert secret not in shown.out + shown.err
    assert f"password={secret}" in out.read_text()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert main(["nm-connection", "--check", str(out)]) == 1   # clear-text password is reported...
    assert secret not in capsys.readouterr().err                 # ...without showing it


def test_check_reports_broken_keyfiles_in_one_line_each(tmp_path, capsys):
    bad = tmp_path / "bad.nmconnection"
    bad.write_text("[connection]\nid=x\ntype=ethernet\n\n[gsm]\nnumber=12345\n")
    assert main(["nm-connection", "--check", str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"{bad}:3: connection.type: is 'ethernet' (expected 'gsm')",
                   f"{bad}:5: gsm.apn: missing",
                   f"{bad}:6: gsm.number: '12345' is not a packet-data dial string (expected *99# or *99***1#)"]
    garbage = tmp_path / "garbage"
    garbage.write_text("password=hunter2\n[gsm\n")
    assert main(["nm-connection", "--check", str(garbage)]) == 1
    assert "hunter2" not in capsys.readouterr().err
