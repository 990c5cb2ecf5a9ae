"""Attach fails with a clear message, over every attach method, for: denied registration, no SIM,
a SIM asking for its PIN when no PIN was given, and signal below the profile's floor."""
from __future__ import annotations

import copy

import pytest
import yaml

from hilkit.config.paths import PROJECT_ROOT
from hilkit.core.errors import WaitTimeout
from hilkit.core.measurement import MeasurementOutOfLimits, measure
from hilkit.modem import attach_problems

PROFILES = PROJECT_ROOT / "device_profiles" / "huawei"
BY_METHOD = {"at": "e3131.yaml", "hilink": "e3372-hilink.yaml", "modemmanager": "e3531.yaml"}


def profile(method: str, network: dict, **attach) -> dict:
    data = yaml.safe_load((PROFILES / BY_METHOD[method]).read_text())
    data = copy.deepcopy(data)
    data["attach"]["method"] = method
    data["attach"].update(attach)
    data["virtual"]["network"] = {**data["virtual"].get("network", {}), "register_after": 0.05, **network}
    return data


METHODS = pytest.mark.parametrize("method", ["at", "hilink", "modemmanager"])


@METHODS
def test_denied_registration_times_out_naming_what_was_seen(dongle_of, method):
    # denied at once: every checker's last look comes after it, however slow the machine
    dongle, _ = dongle_of(profile(method, {"registration": "denied", "register_after": 0}))
    with pytest.raises(WaitTimeout) as timeout:
        dongle.attach(timeout=1.0)
    text = str(timeout.value)
    assert "timed out after 1.0 s" in text and "seen:" in text
    assert "denied" in text.lower() or "ServiceStatus" in text, text


@METHODS
def test_no_sim_is_reported(dongle_of, method):
    dongle, _ = dongle_of(profile(method, {"sim": "absent"}))
    result = dongle.attach(timeout=60)
    assert result.sim == "absent"
    assert "no SIM (expected ready: is a SIM inserted?)" in attach_problems(dongle.profile.attach, result)


@METHODS
def test_pin_required_without_a_secret_says_what_to_set(dongle_of, method):
    dongle, _ = dongle_of(profile(method, {"sim": "pin", "sim_pin": "4711"}, sim_pin_env="LAB_SIM_PIN"))
    result = dongle.attach(timeout=60)
    assert result.sim == "pin"
    problems = attach_problems(dongle.profile.attach, result)
    assert "SIM asks for its PIN and no PIN was given (expected ready; set LAB_SIM_PIN to enter it)" in problems


@METHODS
def test_signal_below_the_floor_fails_with_value_and_limit(dongle_of, method):
    dongle, _ = dongle_of(profile(method, {"csq": 3}, min_signal_dbm=-90))   # -107 dBm
    result = dongle.attach(timeout=60)
    problems = attach_problems(dongle.profile.attach, result)
    assert len(problems) == 1 and problems[0].startswith("signal -")
    assert problems[0].endswith("(expected >= -90 dBm)")
    with pytest.raises(MeasurementOutOfLimits, match=r"signal: -\d+\.000 dBm \(limit >= -90 dBm\) FAIL"):
        measure("signal", result.signal_dbm, "dBm", low=-90)


def test_pin_from_the_rig_secrets_attaches_over_at(dongle_of):
    dongle, device = dongle_of(profile("at", {"sim": "pin", "sim_pin": "4711"}, sim_pin_env="LAB_SIM_PIN"),
                               secrets={"LAB_SIM_PIN": "4711"})
    result = dongle.attach(timeout=60)
    assert result.sim == "ready" and result.registration == "home"
    assert all("4711" not in client.transcript_text() for client in dongle.modems)
