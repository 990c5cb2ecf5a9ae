"""A SIM PIN and an APN password used by a run appear nowhere in its Allure results, logs or output."""
from __future__ import annotations

import shutil

import pytest

from hilkit.config.paths import PROJECT_ROOT

PIN = "73910462"
PASSWORD = "apn-pw-Zq93x"


def test_pin_and_apn_password_never_reach_results_or_logs(pytester: pytest.Pytester, monkeypatch) -> None:
    profiles = pytester.path / "device_profiles"
    shutil.copytree(PROJECT_ROOT / "device_profiles" / "huawei", profiles / "huawei")
    e3131 = profiles / "huawei" / "e3131.yaml"
    text = e3131.read_text()
    text = text.replace("  apn: m2m-net.sa.t-mobile\n", "  apn: m2m-net.sa.t-mobile\n  username: lab\n"
                        "  sim_pin_env: LEAK_PIN\n  password_env: LEAK_PW\n")
    text = text.replace("    operator: T-Mobile D\n", f"    operator: T-Mobile D\n    sim: pin\n    sim_pin: \"{PIN}\"\n")
    e3131.write_text(text)
    rig = pytester.path / "rig.yaml"
    rig.write_text(f"""name: leak-check
backend: virtual
profiles: {profiles}
slots:
  - {{name: e3131, power: {{driver: gpio, pin: 17}}, port: "1-1.2", profile: huawei/e3131}}
""")
    monkeypatch.setenv("LEAK_PIN", PIN)
    monkeypatch.setenv("LEAK_PW", PASSWORD)
    results = pytester.path / "allure-results"
    log = pytester.path / "run.log"
    shutil.copy(PROJECT_ROOT / "suites" / "test_attach.py", pytester.path / "test_attach.py")
    outcome = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--hilkit-rig={rig}", f"--alluredir={results}", f"--log-file={log}",
        "--log-file-level=DEBUG", "-v", "-rA")
    outcome.assert_outcomes(passed=2)
    written = [p for p in results.iterdir() if p.is_file()]
    assert len(written) > 5
    transcripts = [p.read_text() for p in written if p.suffix == ".txt" and "AT+CPIN=" in p.read_text()]
    assert transcripts and all('AT+CPIN=********' in t for t in transcripts)   # the PIN WAS entered, masked
    assert any("AT^AUTHDATA=********" in p.read_text() for p in written if p.suffix == ".txt")
    for path in written + [log]:
        content = path.read_bytes()
        assert PIN.encode() not in content, f"SIM PIN found in {path.name}"
        assert PASSWORD.encode() not in content, f"APN password found in {path.name}"
    console = outcome.stdout.str() + outcome.stderr.str()
    assert PIN not in console and PASSWORD not in console
