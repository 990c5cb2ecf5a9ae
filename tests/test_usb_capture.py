"""The USB traffic of a test as a pcapng of usbmon packets, read back by Wireshark's tshark (not
by hilkit's own code): a switch's CBW shows as a USB mass-storage packet, with the profile's
MessageContent byte for byte; one submit and one completion per transfer the virtual device saw
(plus the kernel's descriptor reads at each enumeration, as usbmon shows them on a rig)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import pytest

from hilkit.config.paths import builtin_rig
from hilkit.core.usb_capture import urb_pair
from hilkit.dut import Dongle
from hilkit.lab.registry import load_rig
from hilkit.report.pcapng import LINKTYPE_USB_LINUX_MMAPPED, pcapng
from hilkit.sim.virtual_lab import VirtualLab

pytestmark = pytest.mark.skipif(shutil.which("tshark") is None,
                                reason="tshark not installed (scripts/setup --test installs it)")


def tshark(path, *args: str) -> str:
    done = subprocess.run(["tshark", "-r", str(path), *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def cbw_bytes(path, frame: str) -> bytes:
    """The last 31 bytes of a frame, from tshark's hex dump."""
    dump = tshark(path, "-Y", f"frame.number=={frame}", "-x")
    raw = b"".join(bytes.fromhex(" ".join(line[6:53].split())) for line in dump.splitlines()
                   if len(line) > 6 and line[:4].strip() and all(c in "0123456789abcdef" for c in line[:4]))
    return raw[-31:]


def test_the_writer_is_read_back_by_tshark(tmp_path):
    t = time.time()
    cbw = bytes.fromhex("55534243123456780000000000000011060000000000000000000000000000")
    events = [*urb_pair(1, t, t + 0.001, "bulk", 0x01, 5, 1, cbw),
              *urb_pair(2, t + 0.002, t + 0.003, "bulk", 0x81, 5, 1, b"USBS" + bytes.fromhex("12345678") + bytes(5))]
    path = tmp_path / "x.pcapng"
    path.write_bytes(pcapng(events, "usbmon1", "slot e3131, USB port 1-1.2"))
    assert tshark(path, "-T", "fields", "-e", "frame.interface_name", "-e", "frame.interface_description",
                  "-e", "usb.urb_type", "-e", "usb.device_address").splitlines() == [
        "usbmon1\tslot e3131, USB port 1-1.2\t'S'\t5", "usbmon1\tslot e3131, USB port 1-1.2\t'C'\t5",
        "usbmon1\tslot e3131, USB port 1-1.2\t'S'\t5", "usbmon1\tslot e3131, USB port 1-1.2\t'C'\t5"]
    assert tshark(path, "-T", "fields", "-e", "frame.protocols").split()[0].startswith("usb")
    assert LINKTYPE_USB_LINUX_MMAPPED == 220 and "USB packets with Linux header and padding" in \
        subprocess.run(["capinfos", "-E", str(path)], capture_output=True, text=True).stdout \
        if shutil.which("capinfos") else True


def switched_e3131() -> tuple[list, list, object]:
    """The virtual E3131 powered and switched: (usbmon events captured, transfers the device saw, slot)."""
    rig = load_rig(builtin_rig("virtual"))
    lab = VirtualLab(rig)
    slot = rig.slot("e3131")
    dongle = Dongle(slot, lab)
    since = time.monotonic()
    try:
        dongle.power_on()
        dongle.switch_to("modem")
    finally:
        dongle.close()
    seen = [t for t in lab.dongle("e3131").transfers if t.time >= since and t.kind != "reset"]
    events = lab.usb_capture(slot, since)
    lab.close()
    return events, seen, slot


def test_a_switch_tests_traffic_opens_in_tshark_with_the_cbw_as_mass_storage(tmp_path):
    events, seen, slot = switched_e3131()
    enumerations = 2   # storage, then modem: the kernel reads two descriptors each
    assert len(events) == 2 * (len(seen) + 2 * enumerations)
    path = tmp_path / "switch.pcapng"
    path.write_bytes(pcapng(events, "usbmon1", f"slot {slot.name} port {slot.port}"))
    assert len(tshark(path).splitlines()) == len(events)
    frames = tshark(path, "-Y", "usbms.dCBWSignature == 0x43425355", "-T", "fields", "-e", "frame.number").split()
    message = slot.profile.switches[0].config.get("MessageContent")
    assert len(frames) == 1 and cbw_bytes(path, frames[0]).hex() == message
    classes = set(tshark(path, "-T", "fields", "-e", "usb.bInterfaceClass").replace(",", " ").split())
    assert "0x08" in classes and "0xff" in classes   # the CD-ROM, then the modem's serial functions


def test_hilkit_run_attaches_a_pcapng_to_every_switch_test(tmp_path):
    done = subprocess.run([sys.executable, "-m", "hilkit", "run", "--no-html", "--results", str(tmp_path / "results"), "--",
                           "-k", "test_switch_reaches_working_mode", "-p", "no:randomly"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    results = [json.loads(p.read_text()) for p in (tmp_path / "results").glob("*-result.json")]
    containers = [json.loads(p.read_text()) for p in (tmp_path / "results").glob("*-container.json")]
    assert results
    for result in results:
        attachments = [a for c in containers if result["uuid"] in c.get("children", [])
                       for f in c.get("afters", []) for a in f.get("attachments", [])]
        captures = [a for a in attachments if a["source"].endswith(".pcapng")]
        assert len(captures) == 1, result["name"]
        path = tmp_path / "results" / captures[0]["source"]
        assert tshark(path, "-Y", "usbms.dCBWSignature == 0x43425355"), f"{result['name']}: no CBW"
