"""Every shipped profile's modes against a public capture of the real stick (fixtures/, sources in
fixtures/README.md), through the same mode check a test on a rig makes; modes no public capture
could be found for are listed with what was searched, so the gap is visible, not hidden."""
from __future__ import annotations

import pytest

from hilkit.config.capture import parse_lsusb, parse_usb_devices
from hilkit.config.paths import PROJECT_ROOT
from hilkit.config.profiles import ProfileLibrary
from hilkit.core.modes import mode_problems

FIXTURES = PROJECT_ROOT / "fixtures"
LIBRARY = ProfileLibrary(PROJECT_ROOT / "device_profiles")
SHIPPED = [k for k in LIBRARY.keys() if not k.startswith("usb-modeswitch-data/")]  # noqa: SIM118 - not a dict

#: (profile, mode) -> the capture of that mode
CAPTURED = {
    ("huawei/e3531", "modem"): "huawei-e3531/lsusb-v.txt",
    ("huawei/e3372-hilink", "hilink"): "huawei-e3372/14dc-hilink.usb-devices.txt",
    ("huawei/e3372-stick", "modem"): "huawei-e3372-stick/1506-ncm.usb-devices.txt",
}
#: (profile, mode) -> why there is no capture (searched: forum threads, GitHub code and issues,
#: kernel patches' usb-devices blocks, linux-hardware probes)
UNCAPTURED = {
    ("huawei/e3131", "storage"): "no public descriptor dump of 12d1:14fe (only one-line lsusb listings)",
    ("huawei/e3131", "modem"): "no public dump of an E3131 at 12d1:1506/1c05 (the 1c05 dumps found are E173s)",
    ("huawei/e3372-hilink", "storage"): "no public descriptor dump of the E3372's CD-ROM mode",
}


def _capture(path: str):
    text = (FIXTURES / path).read_text()
    return (parse_lsusb if "Device Descriptor:" in text else parse_usb_devices)(text, path)


@pytest.mark.parametrize("key, mode_name", sorted(CAPTURED))
def test_profile_mode_matches_its_capture(key, mode_name):
    mode = LIBRARY.get(key).modes[mode_name]
    device = next(d for d in _capture(CAPTURED[key, mode_name]) if d.id in mode.ids)
    seen = device.snapshot()
    assert [p for p in mode_problems(mode, seen) if not p.endswith("yet")] == []
    for spec in mode.interfaces:
        real = seen.interface(spec.number, spec.alt)
        assert real is not None
        if spec.endpoints:
            assert [e.address for e in spec.endpoints] == [e.address for e in real.endpoints], \
                f"{key} {mode_name} interface {spec.number} endpoints"


def test_every_shipped_mode_is_checked_or_its_gap_named():
    modes = {(key, name) for key in SHIPPED for name in LIBRARY.get(key).modes}
    assert modes == set(CAPTURED) | set(UNCAPTURED)
    assert not set(CAPTURED) & set(UNCAPTURED)


def test_the_capture_check_catches_the_old_e3372_profile():
    """The profile shipped before this check said device class 0 and an alt-1 data interface: it fails."""
    import copy
    from dataclasses import replace

    mode = LIBRARY.get("huawei/e3372-hilink").modes["hilink"]
    old = replace(copy.deepcopy(mode), device_class=0x00)
    device = _capture(CAPTURED["huawei/e3372-hilink", "hilink"])[0]
    assert "device class 02 (expected 00)" in mode_problems(old, device.snapshot())


def test_usb_devices_text_reads_the_e3372_dump():
    device = _capture("huawei-e3372/14dc-hilink.usb-devices.txt")[0]
    assert (str(device.id), device.device_class, device.num_configurations) == ("12d1:14dc", 0x02, 1)
    interfaces = device.configuration.interfaces
    assert [(i.number, i.classes, i.driver) for i in interfaces] == [
        (0, "02/06/00", "cdc_ether"), (1, "0a/06/00", "cdc_ether"), (2, "08/06/50", "")]
    assert [(e.address, e.type, e.max_packet) for e in interfaces[1].endpoints] == [(0x82, "bulk", 512),
                                                                                   (0x02, "bulk", 512)]
