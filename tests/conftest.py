"""Shared fixtures for hilkit's own tests: a virtual lab built from the shipped rig file."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from hilkit.config.paths import PROJECT_ROOT
from hilkit.core.profile import NetworkModel, VirtualSpec
from hilkit.core.rig import Rig
from hilkit.dut import Dongle
from hilkit.lab.registry import load_rig
from hilkit.modem.at import AtClient
from hilkit.sim.adapters.pty_port import AtPort
from hilkit.sim.model.at_model import ModemModel
from hilkit.sim.model.scheduler import Scheduler
from hilkit.sim.virtual_lab import VirtualLab


@pytest.fixture
def virtual_rig() -> Rig:
    return load_rig(PROJECT_ROOT / "lab" / "virtual.yaml")


@pytest.fixture
def lab_closed() -> Iterator[Callable[[VirtualLab], VirtualLab]]:
    """lab_closed(lab) -> lab, closed at the end of the test, whose physics must not have failed."""
    labs: list[VirtualLab] = []

    def keep(lab: VirtualLab) -> VirtualLab:
        labs.append(lab)
        return lab
    yield keep
    for lab in labs:
        lab.close()
        assert not lab.scheduler.errors, f"virtual lab physics failed: {lab.scheduler.errors}"


@pytest.fixture
def vlab(virtual_rig: Rig, lab_closed) -> VirtualLab:
    return lab_closed(VirtualLab(virtual_rig))


@pytest.fixture
def powered(vlab: VirtualLab):
    """powered(slot_name) -> a Dongle powered on in its initial mode; closed at the end."""
    opened: list[Dongle] = []

    def make(name: str) -> Dongle:
        dongle = Dongle(vlab.rig.slot(name), vlab)
        opened.append(dongle)
        dongle.power_on()
        return dongle

    yield make
    for dongle in opened:
        dongle.close()


@pytest.fixture
def dongle_of(tmp_path):
    """dongle_of(profile dict) -> (Dongle powered in its initial mode, its VirtualDongle), on a
    one-slot virtual lab of its own; closed at the end."""
    import yaml

    from hilkit.config.profiles import load_profile
    from hilkit.core.rig import PowerSpec, Slot

    labs = []

    def make(data: dict, secrets: dict | None = None):
        from hilkit.core.secrecy import Secrets

        path = tmp_path / f"p{len(labs)}.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        slot = Slot("dut", "1-1.1", PowerSpec("gpio", pin=17), load_profile(path, "test/p"))
        lab = VirtualLab(Rig("t", "<test>", "virtual", (slot,), secrets=Secrets(secrets or {}, environ={})))
        dongle = Dongle(slot, lab)
        labs.append((dongle, lab))
        dongle.power_on()
        return dongle, lab.dongle("dut")

    yield make
    for dongle, lab in labs:
        dongle.close()
        lab.close()


def pytest_ignore_collect(collection_path, config):
    """tests/umockdev/ needs a process started under umockdev-wrapper; tests/test_umockdev_lab.py
    runs it that way. Collected directly only when the preload is there."""
    if collection_path.name == "umockdev" and collection_path.parent.name == "tests":
        from hilkit.sim.umockdev import unavailable
        return bool(unavailable()) or None
    return None


@pytest.fixture
def scheduler():
    s = Scheduler()
    yield s
    s.stop()
    assert not s.errors


@pytest.fixture
def modem_port(scheduler):
    """modem_port(**network) -> (AtClient, ModemModel) on a fresh pty."""
    opened = []

    def make(secrets=None, **network):
        spec = VirtualSpec(network=NetworkModel(**{"register_after": 0.05, **network}))
        ports = []
        model = ModemModel(spec, lambda text: ports[0].unsolicited(text), scheduler.after)
        port = AtPort("test", model)
        ports.append(port)
        client = AtClient(port.path, secrets=secrets)
        opened.append((client, port))
        return client, model

    yield make
    for client, port in opened:
        client.close()
        port.close()
