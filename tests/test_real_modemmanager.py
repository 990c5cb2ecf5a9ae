"""Debian's real ModemManager drives the virtual dongles (test mode, private bus): the attach, the
connect and the disconnect go through the real daemon and the real mmcli; the virtual modem
answers what the daemon asks. Skipped, with the reason, where ModemManager is not installed
(scripts/setup --test installs it, so CI runs these)."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hilkit.config.paths import PROJECT_ROOT
from hilkit.dut import Dongle
from hilkit.lab.registry import load_rig
from hilkit.modem.mmcli_client import ModemManager
from hilkit.modem.mmcli_json import text_value
from hilkit.sim.programs.real_modemmanager import unavailable
from hilkit.sim.virtual_lab import VirtualLab

pytestmark = pytest.mark.skipif(bool(unavailable()), reason=f"real ModemManager: {unavailable()}")

RIG = load_rig(PROJECT_ROOT / "lab" / "virtual.yaml")
SLOT = next(s for s in RIG.slots if s.profile.attach is not None and s.profile.attach.method == "modemmanager")


@pytest.fixture
def attached():
    lab = VirtualLab(RIG)
    dongle = Dongle(SLOT, lab)
    try:
        dongle.power_on()
        result = dongle.attach(timeout=60)   # a hang guard; the daemon takes about a second
        yield lab, dongle, result
    finally:
        dongle.close()
        lab.close()


def _mmcli(lab: VirtualLab, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*lab.mmcli_command(), *args], capture_output=True, text=True, timeout=60)


def test_the_lab_says_it_uses_the_real_daemon(attached):
    lab, _, _ = attached
    assert lab.hardware.mm_choice.startswith("ModemManager 1.")
    assert lab.environment()["modemmanager"] == lab.hardware.mm_choice
    assert lab.mmcli_command()[-1] == "mmcli" and "DBUS_SYSTEM_BUS_ADDRESS=unix:path=" in lab.mmcli_command()[1]


def test_attach_goes_through_the_real_daemon(attached):
    lab, _, result = attached
    network = SLOT.profile.virtual.network
    assert (result.sim, result.registration, result.operator) == ("ready", network.registration, network.operator)
    assert result.packet_attached
    modem = ModemManager(lab.mmcli_command()).find_modem(SLOT.port)[1]
    assert text_value(modem, "generic.plugin") == "generic"            # the real daemon's own answer
    assert text_value(modem, "generic.device").endswith("/" + SLOT.port)
    assert text_value(modem, "3gpp.operator-code") == network.mcc_mnc   # read in the numeric format it set


def _exchanges(transcript: str) -> dict[str, str]:
    """Command -> the modem's first answer to it, from a transcript's ``>>`` and ``<<`` lines."""
    out: dict[str, str] = {}
    command = ""
    for line in transcript.splitlines():
        direction, _, text = line.partition(" s ")[2].partition(" ")
        if direction == ">>":
            command = text
        elif direction == "<<" and command:
            out.setdefault(command, text)
            command = ""
    return out


def test_the_virtual_modem_answers_what_the_daemon_asks(attached):
    lab, _, _ = attached
    answers = _exchanges(lab.hardware.real_mm.transcript(SLOT.port))
    for command in ("AT+CGSN", "AT+CPIN?", "AT+CRSM=176,12258,0,0,10", "AT+CSCS=?", "AT+CLCK=?", "AT+IFC=?",
                    "AT+CGEREP=?", "AT+CGDCONT=?", "AT+CREG=2", "AT+COPS?", "AT+CSQ"):
        assert command in answers, f"the daemon did not ask {command}"
        assert answers[command] != "ERROR" and not answers[command].startswith("+CRSM: 106"), \
            f"{command}: {answers[command]}"
    assert answers["AT+CPIN?"] == "+CPIN: READY | OK"


def test_connect_and_disconnect_through_the_real_daemon(attached):
    lab, _, _ = attached
    connect = _mmcli(lab, "-m", "any", "--simple-connect=apn=internet")
    assert connect.returncode == 0, connect.stdout + connect.stderr
    state = text_value(ModemManager(lab.mmcli_command()).find_modem(SLOT.port)[1], "generic.state")
    assert state == "connected"
    transcript = lab.hardware.real_mm.transcript(SLOT.port)
    assert ">> ATD*99***1#\n" in transcript and "<< CONNECT" in transcript
    disconnect = _mmcli(lab, "-m", "any", "--simple-disconnect")
    assert disconnect.returncode == 0, disconnect.stdout + disconnect.stderr
    assert ">> AT+CGACT=0,1" in lab.hardware.real_mm.transcript(SLOT.port)


def test_an_unplugged_modem_leaves_the_daemon(attached):
    lab, dongle, _ = attached
    dongle.power_off()
    deadline, pause, listed = time.monotonic() + 30, threading.Event(), ""
    while time.monotonic() < deadline:
        listed = _mmcli(lab, "-L").stdout
        if "No modems were found" in listed:
            break
        pause.wait(0.05)
    assert "No modems were found" in listed, f"expected no modem after power-off; seen {listed!r}"


def test_the_fake_mmcli_is_the_fallback_and_says_so(monkeypatch):
    monkeypatch.setenv("HILKIT_MODEMMANAGER", "fake")
    lab = VirtualLab(RIG)
    try:
        assert lab.hardware.real_mm is None
        assert lab.environment()["modemmanager"] == "fake mmcli (HILKIT_MODEMMANAGER=fake)"
    finally:
        lab.close()


KILLED_RUN = '''
import os, signal, sys
from pathlib import Path
from hilkit.sim.programs.real_modemmanager import RealModemManager
mm = RealModemManager(Path(sys.argv[1]), serve=lambda port: None)
mm.mmcli_command()                       # the private bus and the daemon are up
print(" ".join(str(p.pid) for p in mm._procs), flush=True)
os.kill(os.getpid(), signal.SIGKILL)     # no close(), no atexit: as a SIGKILLed pytest ends
'''


def test_a_killed_run_leaves_no_bus_or_daemon_behind(tmp_path):
    done = subprocess.run([sys.executable, "-c", KILLED_RUN, str(tmp_path)], capture_output=True, text=True,
                          timeout=120)
    pids = [int(p) for p in done.stdout.split()]
    assert len(pids) == 2, done.stderr[-2000:]

    def alive() -> list[int]:
        out = []
        for pid in pids:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
            except OSError:
                continue
            if state != "Z":   # a zombie has ended; only its reaping is left
                out.append(pid)
        return out
    deadline = time.monotonic() + 30   # a hang guard: SIGTERM ends both at once
    while alive() and time.monotonic() < deadline:
        threading.Event().wait(0.05)
    assert alive() == [], f"still running after their parent was killed: {alive()}"
