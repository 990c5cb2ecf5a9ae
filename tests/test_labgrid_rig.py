"""labgrid places in rig files, and what a place's resources mean to hilkit (no coordinator needed)."""
from __future__ import annotations

from pathlib import Path

import pytest

from hilkit.core.errors import RigError, SwitchFailed
from hilkit.lab.labgrid_map import (
    exporter_host,
    hub_port_path,
    power_resource,
    serial_resource,
    serial_url,
    usb_port_path,
)
from hilkit.lab.labgrid_place import PlaceError, PlaceResource
from hilkit.lab.registry import load_rig

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK_RIG = ROOT / "lab" / "labgrid-loopback.yaml"


def rig_text(body: str) -> str:
    return f"name: shared\nbackend: virtual\nprofiles: {ROOT / 'device_profiles'}\n{body}"


def load(tmp_path: Path, body: str):
    path = tmp_path / "rig.yaml"
    path.write_text(rig_text(body))
    return load_rig(path)


def test_the_loopback_rig_names_one_place_per_slot(monkeypatch):
    monkeypatch.setenv("LG_COORDINATOR", "127.0.0.1:1234")
    rig = load_rig(LOOPBACK_RIG)
    assert rig.labgrid is not None and rig.labgrid.coordinator == "127.0.0.1:1234"
    assert [(s.name, s.power.driver, s.power.place, s.port) for s in rig.slots] == [
        ("e3131", "labgrid", "hilkit-e3131", ""), ("e3372", "labgrid", "hilkit-e3372", ""),
        ("e3531", "labgrid", "hilkit-e3531", "")]
    assert rig.slots[0].power.describe() == "labgrid place hilkit-e3131"


def test_a_rig_level_place_serves_a_one_slot_rig(tmp_path, monkeypatch):
    monkeypatch.delenv("LG_COORDINATOR", raising=False)
    rig = load(tmp_path, 'labgrid: {coordinator: "lab-1:20408", place: hilkit-e3131}\n'
                         "slots:\n  - name: e3131\n    profile: huawei/e3131\n")
    assert rig.labgrid.coordinator == "lab-1:20408"
    assert rig.slots[0].power.place == "hilkit-e3131"


@pytest.mark.parametrize("body, line, field, says", [
    ('labgrid: {coordinator: "lab-1"}\nslots:\n  - name: a\n    labgrid: {place: p1}\n'
     '    power: {driver: gpio, pin: 17}\n    profile: huawei/e3131\n',
     8, "slots[0].power", "the power comes from labgrid place p1"),
    ('labgrid: {coordinator: "lab-1", place: p1}\nslots:\n  - name: a\n    profile: huawei/e3131\n'
     '  - name: b\n    profile: huawei/e3531\n',
     8, "slots[1].labgrid.place", "labgrid place p1 is already slot 'a'"),
    ("slots:\n  - name: a\n    labgrid: {place: p1}\n    profile: huawei/e3131\n",
     6, "slots[0].labgrid", "expected a top-level labgrid: {coordinator: HOST:PORT}"),
    ('labgrid: {coordinator: "lab-1"}\nslots:\n  - name: a\n    port: "1-1.2"\n    profile: huawei/e3131\n',
     6, "slots[0]", "missing required key 'power' (or a labgrid place"),
    ('labgrid: {coordinator: "lab 1:x"}\nslots:\n  - name: a\n    labgrid: {place: p1}\n    profile: huawei/e3131\n',
     4, "labgrid.coordinator", "wrong form"),
    ('labgrid: {coordinator: "lab-1"}\nslots:\n  - name: a\n    labgrid: {plase: p1}\n    profile: huawei/e3131\n',
     7, "slots[0].labgrid.plase", "unknown key 'plase'"),
], ids=["place-and-power", "place-twice", "no-coordinator", "neither-power-nor-place", "bad-coordinator",
        "typo"])
def test_labgrid_rig_errors_are_one_line_with_file_line_and_field(tmp_path, body, line, field, says):
    with pytest.raises(RigError) as caught:
        load(tmp_path, body)
    text = str(caught.value)
    assert "\n" not in text
    assert caught.value.line == line, text
    assert caught.value.field == field, text
    assert says in text
    assert text.startswith(f"{tmp_path / 'rig.yaml'}:{line}: {field}: ")


def res(name: str, cls: str, **params) -> PlaceResource:
    return PlaceResource(name, cls, params, True, f"exp/grp/{cls}/{name}")


def test_usb_port_path_comes_from_the_device_else_the_hub_port():
    device = res("usb", "NetworkUSBFlashableDevice", host="pi-1", busnum=1, devnum=7, path="1-1.2")
    hub = res("hub", "NetworkUSBPowerPort", host="pi-1", busnum=1, devnum=2, path="1-1", index=3)
    assert usb_port_path("p", [hub, device]) == "1-1.2"
    assert usb_port_path("p", [hub]) == "1-1.3"
    assert hub_port_path("usb2", 1) == "2-1"
    unplugged = res("usb", "NetworkUSBFlashableDevice", host="pi-1", busnum=None, devnum=None, path=None)
    with pytest.raises(PlaceError, match="USB device usb is not available"):
        usb_port_path("p", [unplugged])


def test_power_is_exactly_one_power_resource():
    pdu = res("NetworkPowerPort", "NetworkPowerPort", model="gude24", host="pdu-1", index="2")
    gpio = res("relay", "NetworkSysfsGPIO", host="pi-1", index=17)
    assert power_resource("p", [pdu, res("at", "NetworkSerialPort", host="h", port=1)]) is pdu
    with pytest.raises(PlaceError, match="no power resources"):
        power_resource("p", [])
    with pytest.raises(PlaceError, match=r"2 \(NetworkPowerPort, relay\) power resources"):
        power_resource("p", [pdu, gpio])


def test_serial_port_by_role_and_url_by_protocol():
    at = res("at", "NetworkSerialPort", host="pi-1", port=4001, speed=115200)
    diag = res("diag", "NetworkSerialPort", host="pi-1", port=4002, protocol="raw")
    assert serial_resource("p", [at, diag], "diag") is diag
    assert serial_resource("p", [at, diag], "ppp") is None
    assert serial_url(at) == "rfc2217://pi-1:4001"       # labgrid's default protocol
    assert serial_url(diag) == "socket://pi-1:4002"
    gone = res("at", "NetworkSerialPort", host="pi-1", port=None)
    with pytest.raises(PlaceError, match="no host:port yet"):
        serial_url(gone)


def test_the_exporter_host_is_the_usb_devices_host_or_its_proxy():
    pdu = res("NetworkPowerPort", "NetworkPowerPort", model="rest", host="http://pdu/{index}", index="0")
    at = res("at", "NetworkSerialPort", host="10.0.0.9", port=4001)
    device = res("usb", "NetworkUSBFlashableDevice", host="pi-1", busnum=1, devnum=7, path="1-1.2")
    assert exporter_host([pdu, at, device]) == "pi-1"
    proxied = res("usb", "NetworkUSBFlashableDevice", host="pi-1", busnum=1, devnum=7, path="1-1.2",
                  extra={"proxy": "gw.lab", "proxy_required": True})
    assert exporter_host([proxied]) == "gw.lab"


def test_exporter_switch_runs_the_installed_usb_modeswitch_with_a_config_file(tmp_path):
    """The external engine on this host with the REAL usb_modeswitch binary: it reads the config
    file hilkit writes and answers for bus 1 device 99, where nothing is (usb_modeswitch exits 0
    there; hilkit says so at once instead of waiting out the switch budget)."""
    import shutil

    binary = shutil.which("usb_modeswitch") or next(
        (p for p in ("/usr/sbin/usb_modeswitch", "/sbin/usb_modeswitch") if Path(p).exists()), None)
    if binary is None:
        pytest.skip("usb_modeswitch is not installed (apt-get install usb-modeswitch)")
    from hilkit.core.device import DeviceInfo
    from hilkit.core.ids import UsbId
    from hilkit.core.switchconfig import SwitchConfig
    from hilkit.switch.exporter import ExporterSwitchEngine
    from hilkit.switch.result import SwitchResult

    config = SwitchConfig.from_mapping({"DefaultVendor": "0x12d1", "DefaultProduct": "0x14fe",
                                        "TargetVendor": "0x12d1", "TargetProductList": "1506,1c05",
                                        "MessageContent": "55534243123456780000000000000011060000000000000000000000000000"})
    before = DeviceInfo("1-1.2", UsbId(0x12d1, 0x14fe), 0, 1, (), bus=1, address=99)
    result = SwitchResult("1-1.2", "MessageContent", before)
    engine = ExporterSwitchEngine(bus=None, host="localhost", place="hilkit-e3131", usb_modeswitch=[binary])
    with pytest.raises(SwitchFailed, match="found no device 001/099 in default mode"):
        engine.send("1-1.2", config, before, None, [], result)
    log = result.transfer_log()
    assert "usb_modeswitch on exporter host localhost (labgrid place hilkit-e3131)" in log
    assert f"{binary} -b 1 -g 99" in log
    assert "Use given bus/device number: 001/099" in log   # the binary's own words: it ran, with -b/-g
