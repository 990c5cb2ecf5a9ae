"""hilkit as a lab installs it: ``pip install <checkout>`` (not editable) into a fresh venv, then
used from an empty folder, with no checkout in sight: the suites, profiles and rigs come from the
wheel, results land in the working folder, and a test file of the user's own runs on the shipped
virtual rig with no option."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from hilkit.config.paths import PROJECT_ROOT

USERS_TEST = '''
from hilkit.core.modes import mode_problems


def test_my_dongle_enumerates_in_its_initial_mode(dongle, slot):
    assert mode_problems(slot.profile.initial_mode, dongle.snapshot()) == []
'''


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A venv with hilkit pip-installed from the checkout (its dependencies from the index)."""
    home = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(home)
    done = subprocess.run([str(home / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                           str(PROJECT_ROOT)], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return home / "bin"


def run(where: Path, *argv: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HILKIT_", "PYTEST_", "COV_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run(list(argv), cwd=where, capture_output=True, text=True, timeout=timeout, env=env)


def test_the_installed_package_is_not_the_checkout(installed):
    done = run(installed, str(installed / "python"), "-c", "import hilkit, sys; print(hilkit.__file__)")
    assert done.returncode == 0, done.stderr
    assert not done.stdout.strip().startswith(str(PROJECT_ROOT / "hilkit")), done.stdout


def test_hilkit_run_in_an_empty_folder(installed, tmp_path):
    """Results, JUnit and the HTML land in the working folder; the HTML with the pinned Allure that
    the installed hilkit finds (or installs once) in the user's cache, where Node.js is present."""
    done = run(tmp_path, str(installed / "hilkit"), "run")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert (tmp_path / "junit.xml").read_text().count("<testcase") >= 15
    assert len(list((tmp_path / "allure-results").glob("*-result.json"))) >= 15
    assert "hilkit: rig virtual [virtual]" in done.stdout
    if shutil.which("node") is None:
        assert "hilkit: no HTML report: Node.js not found" in done.stderr
        return
    index = tmp_path / "allure-report" / "index.html"
    assert f"HTML report: {index}" in done.stderr and index.stat().st_size > 100_000
    again = run(tmp_path, str(installed / "hilkit"), "report")
    assert again.returncode == 0 and again.stdout.strip() == f"HTML report: {index}", again.stderr


def test_profiles_and_rigs_in_an_empty_folder(installed, tmp_path):
    listed = run(tmp_path, str(installed / "hilkit"), "profiles", "list", "huawei/")
    assert listed.returncode == 0, listed.stderr
    names = [line.split()[0] for line in listed.stdout.splitlines()]
    shipped = sorted(f"huawei/{p.stem}" for p in (PROJECT_ROOT / "device_profiles" / "huawei").glob("*.yaml"))
    assert [n for n in names if n.startswith("huawei/")] == shipped and "huawei/e3372-stick" in shipped
    checked = run(tmp_path, str(installed / "hilkit"), "profiles", "check")
    assert checked.returncode == 0, checked.stderr[-2000:]
    count = len(list((PROJECT_ROOT / "device_profiles").rglob("*.yaml")))
    assert checked.stdout.strip() == f"{count} of {count} profiles ok"
    for rig in ("host", "virtual"):
        done = run(tmp_path, str(installed / "hilkit"), "rig", "check", rig)
        assert done.returncode == 0 and f"rig {rig} [" in done.stdout, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_users_own_test_runs_on_the_virtual_rig_with_no_option(installed, tmp_path):
    (tmp_path / "test_mine.py").write_text(USERS_TEST)
    done = run(tmp_path, str(installed / "pytest"), "-q", "-p", "no:cacheprovider", "test_mine.py")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "4 passed" in done.stdout   # one per slot of the default rig
    header = run(tmp_path, str(installed / "pytest"), "--collect-only", "-p", "no:cacheprovider", "test_mine.py")
    assert "hilkit: rig virtual [virtual] from " in header.stdout and "(default virtual lab)" in header.stdout
    assert "test_my_dongle_enumerates_in_its_initial_mode[e3131]" in header.stdout


def test_the_switch_command_in_an_empty_folder(installed, tmp_path):
    done = run(tmp_path, str(installed / "hilkit"), "switch", "--power-on", "-v", "12d1", "-p", "14fe",
               "-V", "12d1", "-P", "1506,1c05", "-M", "55534243123456780000000000000011060000000000000000000000000000")
    assert done.returncode == 0, done.stderr
    assert "Mode switch succeeded: 12d1:1c05" in done.stderr


if sys.platform != "linux":  # pragma: no cover - the virtual lab's ttys are ptys
    pytestmark = pytest.mark.skip(reason="the virtual lab needs Linux ptys")
