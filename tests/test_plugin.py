"""The pytest plugin: rig selection, one test per slot, filters, and one-line errors at start-up."""
from __future__ import annotations

import shutil

import pytest

from hilkit.config.paths import PROJECT_ROOT

SLOT_TEST = '''
import pytest

def test_slot(slot):
    assert slot.port.startswith("1-1.")

@pytest.mark.hilkit_requires("switches")
def test_switchable(slot):
    assert slot.profile.switches
'''


def test_one_test_per_slot_on_the_default_virtual_rig(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_slots=SLOT_TEST)
    result = pytester.runpytest_subprocess("-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)   # test_slot on each of the 4 slots, test_switchable on the 2 that switch
    result.stdout.fnmatch_lines(["hilkit: rig virtual [[]virtual[]] from *virtual.yaml (default virtual lab)*",
                                 "*test_slot?e3131? PASSED*", "*test_slot?e3372? PASSED*",
                                 "*test_slot?e3531? PASSED*", "*test_slot?e3372s? PASSED*",
                                 "*test_switchable?e3131? PASSED*"])


def test_the_plugin_runs_beside_every_installed_plugin(pytester: pytest.Pytester, monkeypatch) -> None:
    """hilkit's own test runs leave labgrid's and hypothesis's pytest plugins out (conftest.py: they
    only cost start-up time); a lab's runs have them loaded beside hilkit's, as here."""
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    pytester.makepyfile(test_slots=SLOT_TEST)
    result = pytester.runpytest_subprocess("-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)
    plugins = next(line for line in result.stdout.lines if line.startswith("plugins:"))
    assert all(name in plugins for name in ("labgrid", "hypothesis", "allure-pytest", "hilkit")), plugins


def test_profile_option_filters_slots(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_slots=SLOT_TEST)
    result = pytester.runpytest_subprocess("-v", "-rs", "-p", "no:cacheprovider", "--hilkit-profile=huawei/e3531")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*test_slot?e3531? PASSED*",
                                 "*SKIPPED*no slot of rig virtual has a profile in huawei/e3531 and profile "
                                 "with switches*"])


def test_unknown_profile_option_is_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_slots=SLOT_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--hilkit-profile=zte/mf823")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --hilkit-profile zte/mf823: no slot of rig virtual * has this profile "
                                 "(expected one of: huawei/e3131, huawei/e3372-hilink, huawei/e3372-stick, huawei/e3531)"])


def test_broken_profile_is_one_line_at_collection(pytester: pytest.Pytester) -> None:
    profiles = pytester.path / "device_profiles"
    shutil.copytree(PROJECT_ROOT / "device_profiles", profiles)
    broken = profiles / "huawei" / "e3531.yaml"
    text = broken.read_text().replace("device_class: 0x02", "device_class: two")
    broken.write_text(text)
    line = text.splitlines().index("    device_class: two") + 1
    lab = pytester.path / "lab"
    lab.mkdir()
    (lab / "virtual.yaml").write_text((PROJECT_ROOT / "lab" / "virtual.yaml").read_text())
    pytester.makepyfile(test_slots=SLOT_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.strip()]
    assert errors == [f"ERROR: {broken}:{line}: modes.modem.device_class: expected integer, got string 'two'"]
    assert "Traceback" not in result.stdout.str()


def test_rig_from_environment(pytester: pytest.Pytester, monkeypatch) -> None:
    rig = pytester.path / "one.yaml"
    rig.write_text(f"""name: one-slot
backend: virtual
profiles: {PROJECT_ROOT / 'device_profiles'}
slots:
  - name: only
    power: {{driver: gpio, pin: 5}}
    port: "1-1.1"
    profile: huawei/e3531
""")
    monkeypatch.setenv("HILKIT_RIG", str(rig))
    pytester.makepyfile(test_slots=SLOT_TEST)
    result = pytester.runpytest_subprocess("-v", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["hilkit: rig one-slot * (HILKIT_RIG)*", "*test_slot?only? PASSED*"])
