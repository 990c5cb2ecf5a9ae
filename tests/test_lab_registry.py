"""Lab backends come from a registry: built-in ones by name, a lab's own through the hilkit.labs
entry points; what a backend can do is declared (capabilities), never guessed from its name."""
from __future__ import annotations

import sys
import textwrap

import pytest

from hilkit.config.paths import PROJECT_ROOT
from hilkit.core.errors import RigError
from hilkit.doctor import run_doctor
from hilkit.lab import registry
from hilkit.lab.lab_backend import Capability, LabBackend, Unsupported

VIRTUAL = (PROJECT_ROOT / "lab" / "virtual.yaml").read_text()


def _rig(tmp_path, text: str):
    (tmp_path / "lab").mkdir(exist_ok=True)
    path = tmp_path / "lab" / "r.yaml"
    path.write_text(text.replace("profiles: ../device_profiles", f"profiles: {PROJECT_ROOT / 'device_profiles'}"))
    return path


@pytest.fixture
def benchlab(tmp_path, monkeypatch):
    """A lab's own backend, in its own module, installed under the hilkit.labs entry points."""
    (tmp_path / "benchlab.py").write_text(textwrap.dedent('''
        from hilkit.lab.lab_backend import Capability, LabBackend
        from hilkit.sim.adapters.virtual_bus import SimUsbBus
        from hilkit.sim.adapters.pyusb_backend import SimUsbBackend

        class BenchLab(LabBackend):
            capabilities = frozenset({Capability.HOST_HARDWARE})
            opened = []

            def __init__(self, rig):
                super().__init__(rig)
                self.bus = SimUsbBus(SimUsbBackend([]), lambda port: {})
                BenchLab.opened.append(rig.name)

        class NotALab:
            pass
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "_installed", lambda: {"bench": "benchlab:BenchLab", "broken": "benchlab:NotALab"})
    yield
    sys.modules.pop("benchlab", None)


def test_builtin_backends_by_name_with_their_capabilities():
    rig = registry.load_rig(PROJECT_ROOT / "lab" / "virtual.yaml")
    cls = registry.lab_class(rig)
    assert cls.__name__ == "VirtualLab" and Capability.FAULT_INJECTION in cls.capabilities
    assert Capability.HOST_HARDWARE not in cls.capabilities
    lab = registry.open_lab(rig)
    try:
        assert lab.can(Capability.FAULT_INJECTION) and lab.faults.log == []
    finally:
        lab.close()


def test_a_labs_own_backend_from_the_entry_points(tmp_path, benchlab):
    path = _rig(tmp_path, VIRTUAL.replace("backend: virtual", "backend: bench"))
    rig = registry.load_rig(path)
    lab = registry.open_lab(rig)
    try:
        assert type(lab).__name__ == "BenchLab" and type(lab).opened == [rig.name]
        assert isinstance(lab, LabBackend) and not lab.can(Capability.FAULT_INJECTION)
        with pytest.raises(Unsupported, match="injects no faults"):
            lab.faults  # noqa: B018 - the property raises
    finally:
        lab.close()
    assert "bench" in registry.known() and registry.known()[:3] == ["virtual", "umockdev", "linux"]
    # declared capabilities decide: host hardware, so doctor checks the host (a virtual lab: one OK line)
    assert len(run_doctor(rig)) > 1
    assert len(run_doctor(registry.load_rig(PROJECT_ROOT / "lab" / "virtual.yaml"))) == 1


def test_unknown_or_wrong_backends_are_one_line_errors(tmp_path, benchlab):
    path = _rig(tmp_path, VIRTUAL.replace("backend: virtual", "backend: bench9"))
    with pytest.raises(RigError) as info:
        registry.load_rig(path)
    line = VIRTUAL.splitlines().index("backend: virtual") + 1
    assert str(info.value).startswith(f"{path}:{line}: backend: 'bench9' is not allowed (expected one of: "
                                      "virtual, umockdev, linux, bench, broken;")
    path = _rig(tmp_path, VIRTUAL.replace("backend: virtual", "backend: broken"))
    with pytest.raises(RigError, match="'broken' names benchlab:NotALab, which is not a LabBackend"):
        registry.load_rig(path)


def test_faults_need_a_backend_that_injects_them(tmp_path, benchlab):
    path = _rig(tmp_path, VIRTUAL.replace("backend: virtual", "backend: bench\nfaults: [stall]"))
    with pytest.raises(RigError) as info:
        registry.load_rig(path)
    assert "faults: faults can only be injected in the virtual lab (backend virtual, umockdev)" in str(info.value)
