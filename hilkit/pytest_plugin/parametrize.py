"""One test per slot: tests that take the ``slot`` fixture are parametrized over the rig's slots
that the options and markers (``profile``, ``hilkit_requires``) leave eligible."""
from __future__ import annotations

import pytest

from hilkit.core.rig import Rig, Slot
from hilkit.pytest_plugin.keys import RIG, SETTINGS
from hilkit.pytest_plugin.markers import FEATURES
from hilkit.pytest_plugin.options import Settings


def slot_of(item: pytest.Item) -> Slot | None:
    """The slot a test instance was parametrized with (None: not a per-slot test)."""
    return getattr(getattr(item, "callspec", None), "params", {}).get("slot")


def profile_features(slot: Slot) -> set[str]:
    profile = slot.profile
    features = set()
    if profile.switches:
        features.add("switches")
    if profile.refuse:
        features.add("refuse")
    if profile.attach:
        features.update({"attach", f"attach:{profile.attach.method}"})
    return features


def _eligible(metafunc: pytest.Metafunc, rig: Rig, settings: Settings) -> tuple[list[Slot], str]:
    slots = list(rig.slots)
    why = []
    if settings.profiles:
        slots = [s for s in slots if s.profile.key in settings.profiles]
        why.append(f"profile in {', '.join(settings.profiles)}")
    for marker in metafunc.definition.iter_markers("profile"):
        slots = [s for s in slots if s.profile.key in marker.args]
        why.append(f"profile in {', '.join(marker.args)}")
    for marker in metafunc.definition.iter_markers("hilkit_requires"):
        unknown = [f for f in marker.args if f not in FEATURES]
        if unknown:
            raise pytest.UsageError(f"{metafunc.definition.nodeid}: hilkit_requires({unknown[0]!r}): "
                                    f"unknown feature (expected one of: {', '.join(FEATURES)})")
        slots = [s for s in slots if set(marker.args) <= profile_features(s)]
        why.append(f"profile with {', '.join(marker.args)}")
    return slots, " and ".join(why)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per eligible slot: a rig with 4 dongles runs the suite 4 times."""
    if "slot" not in metafunc.fixturenames:
        return
    rig = metafunc.config.stash[RIG]
    if rig is None:
        metafunc.parametrize("slot", [pytest.param(None, marks=pytest.mark.skip(reason="no hilkit rig"))],
                             ids=["no-rig"], indirect=True)
        return
    slots, why = _eligible(metafunc, rig, metafunc.config.stash[SETTINGS])
    if not slots:
        reason = f"no slot of rig {rig.name} has a {why}"
        metafunc.parametrize("slot", [pytest.param(None, marks=pytest.mark.skip(reason=reason))],
                             ids=["no-slot"], indirect=True)
        return
    metafunc.parametrize("slot", slots, ids=[s.name for s in slots], indirect=True)
