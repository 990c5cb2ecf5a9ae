"""``hilkit doctor``: every check against a fake root tree and fake commands, never this machine.

Each check gets a root that has the problem and one that does not, and the test asserts the line
an engineer would act on: the status, the file it names, the fix. The uhubctl and usb_modeswitch
texts are real outputs (uhubctl's issue tracker, usb_modeswitch 2.6.1, usb-modeswitch-data
20191128's rules file).
"""
from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from hilkit.cli import main as cli
from hilkit.cli import rig_arg
from hilkit.config.profiles import ProfileLibrary
from hilkit.core.rig import PowerSpec, Rig, Slot
from hilkit.doctor import (
    FAIL,
    OK,
    WARN,
    CommandResult,
    DeniedNode,
    Host,
    check_container,
    check_dial_up,
    check_gpio_chip,
    check_modemmanager,
    check_modeswitch_binary,
    check_modeswitch_rule,
    check_permissions,
    check_pin_factory,
    check_ports,
    check_subnets,
    check_uhubctl,
    check_usbmon,
    parse_udev_rules,
    parse_uhubctl_hubs,
    permission_fix,
    run_doctor,
)
from hilkit.lab.registry import load_rig

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ProfileLibrary(ROOT / "device_profiles")

# --- real outputs -------------------------------------------------------------------------------

# usb-modeswitch-data 20191128, /lib/udev/rules.d/40-usb_modeswitch.rules: the head (the generic Huawei
# rule is line 15) and two of its 414 per-id rules
MODESWITCH_RULES = """\
# Part of usb-modeswitch-data, version 20191128
#
# Works with usb_modeswitch versions >= 2.4.0. Slash before %k parameter
# is for compatibility only. Versions >= 2.5.0 don't need it.
#
ACTION!="add|change", GOTO="modeswitch_rules_end"

# Adds a symlink "gsmmodem[n]" to the lowest ttyUSB port with interrupt
# transfer; checked against a list of known modems, or else no action
KERNEL=="ttyUSB*", ATTRS{bNumConfigurations}=="*", PROGRAM="usb_modeswitch --symlink-name %p %s{idVendor} %s{idProduct} %E{PRODUCT}", SYMLINK+="%c"

SUBSYSTEM!="usb", ACTION!="add",, GOTO="modeswitch_rules_end"

# Generic entry for most Huawei devices, excluding Android phones
ATTRS{idVendor}=="12d1", ATTRS{manufacturer}!="Android", ATTR{bInterfaceNumber}=="00", ATTR{bInterfaceClass}=="08", RUN+="usb_modeswitch '%b/%k'"

# Huawei ME909u-521 (MBIM, dummy config)
ATTR{idVendor}=="12d1", ATTR{idProduct}=="1573", RUN+="usb_modeswitch '/%k'"

# ZTE MF668 (Variant), MF70
ATTR{idVendor}=="19d2", ATTR{idProduct}=="1225", RUN+="usb_modeswitch '/%k'"

LABEL="modeswitch_rules_end"
"""
GENERIC_HUAWEI_LINE = 15
WITHOUT_GENERIC = MODESWITCH_RULES.replace(MODESWITCH_RULES.splitlines()[GENERIC_HUAWEI_LINE - 1], "")

# uhubctl 2.5 (TP-Link UH720 report, mvp/uhubctl#629)
UHUBCTL_PPPS = """\
Current status for hub 3-1.1 [0bda:5411 Generic 4-Port USB 2.0 Hub, USB 2.10, 4 ports, ppps]
  Port 1: 0103 power enable connect [2c97:1015 Ledger Nano S 0001]
  Port 2: 0100 power
  Port 3: 0100 power
  Port 4: 0100 power
Current status for hub 3-1 [0bda:5411 Generic 4-Port USB 2.0 Hub, USB 2.10, 4 ports, ppps]
  Port 1: 0503 power highspeed enable connect [0bda:5411 Generic 4-Port USB 2.0 Hub, USB 2.10, 4 ports, ppps]
  Port 2: 0103 power enable connect [0d8c:000c C-Media USB Headphone Set]
  Port 3: 0103 power enable connect [046d:c52b Logitech USB Receiver]
  Port 4: 0103 power enable connect [258a:0049 BY Tech Gaming Keyboard]
"""
# `uhubctl -f -l 3-4 -a 1` on a Waveshare USB-HUB-3U-ETH (mvp/uhubctl#541): only listed with -f
UHUBCTL_GANGED = """\
Current status for hub 3-4 [1a40:0101 USB 2.0 Hub, USB 2.00, 4 ports, ganged]
  Port 1: 0000 off
  Port 2: 0000 off
  Port 3: 0000 off
  Port 4: 0000 off
Sent power on request
New status for hub 3-4 [1a40:0101 USB 2.0 Hub, USB 2.00, 4 ports, ganged]
  Port 1: 0101 power connect []
  Port 2: 0100 power
  Port 3: 0100 power
  Port 4: 0101 power connect []
"""
UHUBCTL_OLD = "Current status for hub 1-1 [8087:8000, USB 2.00, 8 ports]\n  Port 1: 0100 power\n"  # mvp/uhubctl#131
UHUBCTL_OLDEST = "Current status for hub 20-1, vendor 2109:2811, 4 ports\n   Port 1: 0100 power\n"  # mvp/uhubctl#63
UHUBCTL_NONE = "No compatible devices detected at location 3-4!\nRun with -h to get usage info.\n"  # uhubctl 2.5.0
UHUBCTL_PERMISSION = ("There were permission problems while accessing USB.\nFollow https://git.io/JIB2Z for a fix!\n"
                      "No compatible devices detected at location 3-1!\nRun with -h to get usage info.\n")

MODESWITCH_VERSION = """
 * usb_modeswitch: handle USB devices with multiple modes
 * Version 2.6.1 (C) Josua Dietze 2017
 * Based on libusb1/libusbx

 ! PLEASE REPORT NEW CONFIGURATIONS !

"""

# --- fakes --------------------------------------------------------------------------------------


def make_root(root: Path, files: dict[str, str | int]) -> Path:
    """Files under ``root``: text, or an int for an empty device node stand-in with that mode."""
    for name, content in files.items():
        path = root / name.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, int):
            path.write_text("")
            path.chmod(content)
        else:
            path.write_text(content)
    return root


def other_access(path: Path, mode: int) -> bool:
    """os.access for a user in none of the node's groups (the tests may run as root)."""
    bits = (0o004 if mode & os.R_OK else 0) | (0o002 if mode & os.W_OK else 0)
    return path.stat().st_mode & bits == bits


class FakeCommands:
    """``run`` for a Host: answers by the program's name and arguments, records what ran."""

    def __init__(self, answers: dict[tuple[str, ...], CommandResult]) -> None:
        self.answers = answers
        self.ran: list[tuple[str, ...]] = []

    def __call__(self, argv) -> CommandResult:
        key = (Path(argv[0]).name, *argv[1:])
        self.ran.append(key)
        return self.answers.get(key, CommandResult(127, "", f"{argv[0]}: not found"))


def host(root: Path, *, programs: dict[str, str] | None = None, answers=None, modules=(), environ=None) -> Host:
    return Host(root=root, run=FakeCommands(answers or {}), which=(programs or {}).get, access=other_access,
                environ={"PATH": "/usr/local/bin:/usr/bin:/bin"} if environ is None else environ,
                module_available=lambda name: name in modules)


def slot(name: str, port: str, profile: str, power: PowerSpec | None = None) -> Slot:
    return Slot(name, port, power or PowerSpec("gpio", pin=17), LIBRARY.get(profile))


def rig(*slots: Slot, pin_factory: str = "lgpio", pin_host: str = "") -> Rig:
    return Rig(name="bench", path="lab/bench.yaml", backend="linux", slots=slots, pin_factory=pin_factory,
               pin_host=pin_host)


E3131 = slot("e3131", "1-1.2", "huawei/e3131")             # switches 12d1:14fe (class 08), attach over AT
E3531 = slot("e3531", "1-1.4", "huawei/e3531")             # no switch, attach through ModemManager
E3372 = slot("e3372", "1-1.3", "huawei/e3372-hilink")      # switches 12d1:15ca, attach over HiLink


def only(findings):
    assert len(findings) == 1, findings
    return findings[0]


# --- parsers ------------------------------------------------------------------------------------


def test_uhubctl_header_per_port_switching():
    hubs = parse_uhubctl_hubs(UHUBCTL_PPPS)
    assert [(h.location, h.description, h.ports, h.switching) for h in hubs] == [
        ("3-1.1", "0bda:5411 Generic 4-Port USB 2.0 Hub", 4, "ppps"),
        ("3-1", "0bda:5411 Generic 4-Port USB 2.0 Hub", 4, "ppps")]  # a port line naming a hub is no header


def test_uhubctl_header_ganged_and_new_status_not_counted_twice():
    hubs = parse_uhubctl_hubs(UHUBCTL_GANGED)
    assert [(h.location, h.description, h.switching) for h in hubs] == [("3-4", "1a40:0101 USB 2.0 Hub", "ganged")]


@pytest.mark.parametrize("text, expected", [
    (UHUBCTL_OLD, ("1-1", "8087:8000", 8, None)),
    (UHUBCTL_OLDEST, ("20-1", "2109:2811", 4, None)),
    ("Current status for hub 2-4 [0bda:5411 Generic 4-Port USB 2.0 Hub]\n",  # FreeBSD port
     ("2-4", "0bda:5411 Generic 4-Port USB 2.0 Hub", None, None)),
    (UHUBCTL_NONE, None),
])
def test_uhubctl_older_formats(text, expected):
    hubs = parse_uhubctl_hubs(text)
    assert [(h.location, h.description, h.ports, h.switching) for h in hubs] == ([expected] if expected else [])


def test_udev_rules_parse_matches_assignments_and_continuations():
    rules = parse_udev_rules(MODESWITCH_RULES + 'ATTRS{idVendor}=="12d1", \\\n    ENV{ID_MM_DEVICE_IGNORE}="1"\n')
    generic = next(r for r in rules if r.line == GENERIC_HUAWEI_LINE)
    assert generic.matches == {"idVendor": "12d1", "bInterfaceNumber": "00", "bInterfaceClass": "08"}  # != dropped
    assert generic.assigns == {"RUN": "usb_modeswitch '%b/%k'"}
    symlink = next(r for r in rules if "PROGRAM" in r.assigns)
    assert "RUN" not in symlink.assigns and symlink.matches["KERNEL"] == "ttyUSB*"
    assert rules[-1].matches == {"idVendor": "12d1"} and rules[-1].assigns == {"ENV{ID_MM_DEVICE_IGNORE}": "1"}
    assert rules[-1].line == len(MODESWITCH_RULES.splitlines()) + 1


# --- 1. usb_modeswitch's udev rule ---------------------------------------------------------------


def test_modeswitch_rule_fails_when_the_generic_huawei_rule_switches_a_slot(tmp_path):
    make_root(tmp_path, {"/lib/udev/rules.d/40-usb_modeswitch.rules": MODESWITCH_RULES,
                         "/etc/usb_modeswitch.conf": "# comment\nDisableSwitching=0\nEnableLogging=0\n"})
    f = only(check_modeswitch_rule(rig(E3131, E3531), host(tmp_path)))
    assert f.status == FAIL
    assert f.message.startswith("/lib/udev/rules.d/40-usb_modeswitch.rules will switch the dongles of slots "
                                f"e3131 (12d1:14fe, line {GENERIC_HUAWEI_LINE}) before the test can")
    assert "DisableSwitching=0 in /etc/usb_modeswitch.conf" in f.message
    assert "e3531" not in f.message  # nothing to switch there
    assert "DisableSwitching=1 in /etc/usb_modeswitch.conf" in f.fix
    assert "ln -s /dev/null /etc/udev/rules.d/40-usb_modeswitch.rules" in f.fix


@pytest.mark.parametrize("value", ["1", "yes", "TRUE"])
def test_modeswitch_rule_ok_when_disable_switching_is_set(tmp_path, value):
    make_root(tmp_path, {"/usr/lib/udev/rules.d/40-usb_modeswitch.rules": MODESWITCH_RULES,
                         "/etc/usb_modeswitch.conf": f"DisableSwitching={value}\n"})
    f = only(check_modeswitch_rule(rig(E3131), host(tmp_path)))
    assert (f.status, f.fix) == (OK, "")
    assert f"DisableSwitching={value} in /etc/usb_modeswitch.conf keeps it off" in f.message


def test_modeswitch_rule_without_conf_file_fails(tmp_path):
    make_root(tmp_path, {"/lib/udev/rules.d/40-usb_modeswitch.rules": MODESWITCH_RULES})
    f = only(check_modeswitch_rule(rig(E3372), host(tmp_path)))
    assert f.status == FAIL and "e3372 (12d1:15ca, line 15)" in f.message
    assert "no DisableSwitching in /etc/usb_modeswitch.conf" in f.message


@pytest.mark.parametrize("override", ["symlink", "empty", "comments"])
def test_modeswitch_rule_ok_when_overridden_in_etc(tmp_path, override):
    make_root(tmp_path, {"/lib/udev/rules.d/40-usb_modeswitch.rules": MODESWITCH_RULES})
    etc = tmp_path / "etc/udev/rules.d/40-usb_modeswitch.rules"
    etc.parent.mkdir(parents=True)
    if override == "symlink":
        etc.symlink_to("/dev/null")
    else:
        etc.write_text("" if override == "empty" else "# lab: no automatic switching\n")
    f = only(check_modeswitch_rule(rig(E3131), host(tmp_path)))
    assert f.status == OK
    how = "a symlink to /dev/null" if override == "symlink" else "empty"
    assert f.message == f"usb_modeswitch's udev rule is off: /etc/udev/rules.d/40-usb_modeswitch.rules is {how}"


def test_modeswitch_rule_generic_rule_needs_storage_class_on_interface_0(tmp_path):
    make_root(tmp_path, {"/lib/udev/rules.d/40-usb_modeswitch.rules": MODESWITCH_RULES})
    profile = E3131.profile
    storage = profile.modes["storage"]
    not_storage = replace(storage, interfaces=tuple(replace(i, cls=0xff) for i in storage.interfaces))
    odd = replace(E3131, profile=replace(profile, modes={**profile.modes, "storage": not_storage}))
    f = only(check_modeswitch_rule(rig(odd), host(tmp_path)))
    assert f.status == OK and "matches none of the slots' dongles (12d1:14fe)" in f.message
    # an explicit rule for the id matches whatever the class
    explicit = MODESWITCH_RULES.replace('"1573"', '"14fe"')
    (tmp_path / "lib/udev/rules.d/40-usb_modeswitch.rules").write_text(explicit)
    f = only(check_modeswitch_rule(rig(odd), host(tmp_path)))
    assert f.status == FAIL and "e3131 (12d1:14fe, line 18)" in f.message


def test_modeswitch_rule_other_vendors_only_and_no_rule_at_all(tmp_path):
    make_root(tmp_path, {"/lib/udev/rules.d/40-usb_modeswitch.rules": WITHOUT_GENERIC})
    assert only(check_modeswitch_rule(rig(E3131), host(tmp_path))).status == OK
    (tmp_path / "lib/udev/rules.d/40-usb_modeswitch.rules").unlink()
    f = only(check_modeswitch_rule(rig(E3131), host(tmp_path)))
    assert f.status == OK and f.message.startswith("no 40-usb_modeswitch.rules in /etc/udev/rules.d")


def test_modeswitch_rule_does_not_matter_without_switches(tmp_path):
    make_root(tmp_path, {"/lib/udev/rules.d/40-usb_modeswitch.rules": MODESWITCH_RULES})
    f = only(check_modeswitch_rule(rig(E3531), host(tmp_path)))
    assert f.status == OK and "does not matter" in f.message


# --- 2. ModemManager -----------------------------------------------------------------------------

MM_RUNNING = {"/proc/1/comm": "systemd\n", "/proc/812/comm": "ModemManager\n", "/proc/900/comm": "bash\n"}


def test_modemmanager_running_fails_for_slots_hilkit_talks_at_to(tmp_path):
    make_root(tmp_path, MM_RUNNING)
    f = only(check_modemmanager(rig(E3131, E3372), host(tmp_path)))
    assert f.status == FAIL
    assert f.message == ("ModemManager is running (pid 812) and will probe the serial ports hilkit opens itself, "
                         "of slots e3131 (12d1:14fe, 12d1:1506, 12d1:1c05)")  # the HiLink stick has no tty
    assert ('ATTRS{idVendor}=="12d1", ATTRS{idProduct}=="14fe|1506|1c05", ENV{ID_MM_DEVICE_IGNORE}="1" to '
            "/etc/udev/rules.d/70-hilkit-mm-ignore.rules") in f.fix
    assert "systemctl disable --now ModemManager" in f.fix


def test_modemmanager_ignore_rule_keeps_it_off(tmp_path):
    make_root(tmp_path, {**MM_RUNNING, "/etc/udev/rules.d/70-lab.rules":
                         'ACTION=="add|change", ATTRS{idVendor}=="12d1", ATTRS{idProduct}=="14fe|15*|1c05", '
                         'ENV{ID_MM_DEVICE_IGNORE}="1"\n'})
    f = only(check_modemmanager(rig(E3131), host(tmp_path)))
    assert f.status == OK and "ID_MM_DEVICE_IGNORE" in f.message
    # one id left out: that one is named
    (tmp_path / "etc/udev/rules.d/70-lab.rules").write_text(
        'ATTRS{idVendor}=="12d1", ATTRS{idProduct}=="14fe|1506", ENV{ID_MM_DEVICE_IGNORE}="1"\n')
    f = only(check_modemmanager(rig(E3131), host(tmp_path)))
    assert f.status == FAIL and f.message.endswith("e3131 (12d1:1c05)")


def test_modemmanager_needed_by_a_slot_but_not_running(tmp_path):
    make_root(tmp_path, {"/proc/1/comm": "systemd\n"})
    f = only(check_modemmanager(rig(E3531, E3131), host(tmp_path)))
    assert f.status == FAIL
    assert f.message.startswith("ModemManager is not running, and slots e3531 attach through it")
    assert f.fix == "sudo systemctl enable --now ModemManager"
    assert only(check_modemmanager(rig(E3131), host(tmp_path))).status == OK


def test_modemmanager_running_for_its_own_slots(tmp_path):
    make_root(tmp_path, MM_RUNNING)
    f = only(check_modemmanager(rig(E3531), host(tmp_path)))
    assert f.status == OK and f.message == "ModemManager is running (pid 812); slots e3531 attach through it"
    mixed = only(check_modemmanager(rig(E3531, E3131), host(tmp_path)))
    assert mixed.status == FAIL and "disable" not in mixed.fix  # e3531 needs it: never advise stopping it


# --- 3. containers -------------------------------------------------------------------------------


def test_container_without_usb_and_udev_fails(tmp_path):
    make_root(tmp_path, {"/.dockerenv": ""})
    f = only(check_container(rig(E3131), host(tmp_path)))
    assert f.status == FAIL
    assert f.message.startswith("in a container (/.dockerenv): no /dev/bus/usb")
    assert "no /run/udev/control" in f.message and "never attaches" in f.message
    assert "no /sys/bus/usb (the ports and their devices cannot be read)" in f.message
    assert "--privileged -v /dev:/dev -v /sys:/sys:ro -v /run/udev:/run/udev:ro --net=host" in f.fix
    assert "run udevd in the container" in f.fix


@pytest.mark.parametrize("files, environ, why", [
    ({"/proc/1/cgroup": "12:devices:/docker/4f1c0d\n"}, {}, "/proc/1/cgroup mentions docker"),
    ({"/proc/1/cgroup": "0::/kubepods/burstable/pod1\n"}, {}, "/proc/1/cgroup mentions kubepods"),
    ({"/run/.containerenv": ""}, {}, "/run/.containerenv"),
    ({}, {"container": "podman"}, "container=podman in the environment"),
])
def test_container_detection(tmp_path, files, environ, why):
    make_root(tmp_path, {**files, "/run/udev/control": ""})
    f = only(check_container(rig(E3131), host(tmp_path, environ=environ)))
    assert f.status == FAIL and f.message.startswith(f"in a container ({why}): no /dev/bus/usb")


def test_container_on_balena_names_udev_1(tmp_path):
    make_root(tmp_path, {"/.dockerenv": ""})
    f = only(check_container(rig(E3131), host(tmp_path, environ={"BALENA": "1"})))
    assert "on balena: set UDEV=1" in f.fix


def test_container_with_usb_and_udev_is_ok(tmp_path):
    make_root(tmp_path, {"/.dockerenv": "", "/dev/bus/usb/001/001": 0o664, "/run/udev/control": "",
                         **sysfs_device("1-1", "0424:2514", 1, 2)})
    f = only(check_container(rig(E3131), host(tmp_path)))
    assert f.status == OK and f.message.startswith("in a container (/.dockerenv); /dev/bus/usb and udev")


def test_host_without_udevd_fails_and_a_good_host_passes(tmp_path):
    make_root(tmp_path, {"/dev/bus/usb/001/001": 0o664, "/proc/1/cgroup": "0::/init.scope\n",
                         **sysfs_device("1-1", "0424:2514", 1, 2)})
    f = only(check_container(rig(E3131), host(tmp_path)))
    assert f.status == FAIL and f.message.startswith("no /run/udev/control")
    assert f.fix == "sudo systemctl start systemd-udevd"
    make_root(tmp_path, {"/run/udev/control": ""})
    f = only(check_container(rig(E3131), host(tmp_path)))
    assert f.status == OK and f.message.startswith("not in a container")


# --- 4. permissions ------------------------------------------------------------------------------


def sysfs_device(port: str, usb_id: str, bus: int, dev: int) -> dict[str, str]:
    vendor, product = usb_id.split(":")
    base = f"/sys/bus/usb/devices/{port}"
    return {f"{base}/idVendor": vendor + "\n", f"{base}/idProduct": product + "\n",
            f"{base}/busnum": f"{bus}\n", f"{base}/devnum": f"{dev}\n"}


def test_permissions_fail_names_nodes_and_fix(tmp_path):
    make_root(tmp_path, {**sysfs_device("1-1.2", "12d1:1506", 1, 5), **sysfs_device("1-1.1", "0424:ec00", 1, 3),
                         "/sys/bus/usb/devices/1-1.2:1.0/bInterfaceClass": "ff\n",
                         "/dev/bus/usb/001/005": 0o664, "/dev/bus/usb/001/003": 0o600,
                         "/dev/ttyUSB0": 0o660, "/dev/ttyACM0": 0o666})
    f = only(check_permissions(rig(E3131), host(tmp_path)))
    assert f.status == FAIL
    assert f.message.startswith("this user cannot read+write /dev/bus/usb/001/005 (slot e3131, group ")
    assert "/dev/ttyUSB0 (tty" in f.message
    assert "001/003" not in f.message and "ttyACM0" not in f.message  # not a slot's / readable
    assert 'SUBSYSTEM=="usb", ATTR{idVendor}=="12d1", MODE="0660", GROUP="plugdev"' in f.fix
    assert "usermod -aG dialout,plugdev $USER" in f.fix


def test_permissions_ok(tmp_path):
    make_root(tmp_path, {**sysfs_device("1-1.2", "12d1:1506", 1, 5), "/dev/bus/usb/001/005": 0o666,
                         "/dev/ttyUSB0": 0o666})
    f = only(check_permissions(rig(E3131), host(tmp_path)))
    assert (f.status, f.message) == (OK, "read+write on /dev/bus/usb/001/005, /dev/ttyUSB0")


def test_permissions_missing_node_and_nothing_to_check(tmp_path):
    make_root(tmp_path, sysfs_device("1-1.2", "12d1:1506", 1, 5))
    f = only(check_permissions(rig(E3131), host(tmp_path)))
    assert f.status == FAIL and "/dev/bus/usb/001/005 (slot e3131: missing)" in f.message
    f = only(check_permissions(rig(E3531), host(tmp_path)))  # its port 1-1.4 is empty
    assert f.status == WARN and f.message.startswith("nothing to check")


def test_permissions_checks_the_uhubctl_hub_node(tmp_path):
    make_root(tmp_path, {**sysfs_device("1-1", "0424:2514", 1, 2), "/dev/bus/usb/001/002": 0o664})
    hubbed = replace(E3131, power=PowerSpec("uhubctl", hub="1-1", port=2))
    f = only(check_permissions(rig(hubbed), host(tmp_path)))
    assert f.status == FAIL and "/dev/bus/usb/001/002 (hub 1-1" in f.message
    assert 'ATTR{idVendor}=="0424"' in f.fix


RULES = "to /etc/udev/rules.d/50-hilkit.rules, then sudo udevadm control --reload && sudo udevadm trigger"


@pytest.mark.parametrize("nodes, expected", [
    ([DeniedNode("tty", "dialout", 0o660)], "sudo usermod -aG dialout $USER (then log in again)"),
    ([DeniedNode("usb", "plugdev", 0o664, "12d1:1506")], "sudo usermod -aG plugdev $USER (then log in again)"),
    ([DeniedNode("usb", "root", 0o664, "12d1:1506"), DeniedNode("usb", "plugdev", 0o644, "0424:2514")],
     f'add SUBSYSTEM=="usb", ATTR{{idVendor}}=="0424|12d1", MODE="0660", GROUP="plugdev" {RULES}; '
     "sudo usermod -aG plugdev $USER (then log in again)"),
    ([DeniedNode("tty", "root", 0o600), DeniedNode("usb", "root", 0o664, "?")],
     f'add SUBSYSTEM=="usb", MODE="0660", GROUP="plugdev" and KERNEL=="ttyUSB*|ttyACM*", MODE="0660", '
     f'GROUP="dialout" {RULES}; sudo usermod -aG dialout,plugdev $USER (then log in again)'),
])
def test_permission_fix(nodes, expected):
    assert permission_fix(nodes) == expected


# --- 5. GPIO -------------------------------------------------------------------------------------


def test_gpio_chip_missing_unreadable_ok(tmp_path):
    bench = rig(E3131)
    f = only(check_gpio_chip(bench, host(tmp_path)))
    assert f.status == FAIL and f.message.startswith("no /dev/gpiochip* on this machine, and slots e3131")
    make_root(tmp_path, {"/dev/gpiochip0": 0o660, "/dev/gpiochip1": 0o660})
    f = only(check_gpio_chip(bench, host(tmp_path)))
    assert f.status == FAIL and f.message == "this user cannot read+write /dev/gpiochip0, /dev/gpiochip1"
    assert f.fix == "sudo usermod -aG gpio $USER (then log in again)"
    (tmp_path / "dev/gpiochip0").chmod(0o666)
    f = only(check_gpio_chip(bench, host(tmp_path)))
    assert (f.status, f.message) == (OK, "read+write on /dev/gpiochip0")


def test_gpio_not_needed_for_mock_remote_pigpio_or_hub_power(tmp_path):
    assert only(check_gpio_chip(rig(E3131, pin_factory="mock"), host(tmp_path))).status == OK
    assert only(check_gpio_chip(rig(E3131, pin_factory="pigpio", pin_host="pi4.lab"), host(tmp_path))).status == OK
    hubbed = replace(E3131, power=PowerSpec("uhubctl", hub="1-1", port=2))
    assert check_gpio_chip(rig(hubbed), host(tmp_path)) == [] and check_pin_factory(rig(hubbed), host(tmp_path)) == []


@pytest.mark.parametrize("factory, module", [("lgpio", "lgpio"), ("rpigpio", "RPi.GPIO"), ("pigpio", "pigpio")])
def test_pin_factory_library(tmp_path, factory, module):
    f = only(check_pin_factory(rig(E3131, pin_factory=factory), host(tmp_path)))
    assert f.status == FAIL and f.message.startswith(f"pin_factory {factory}: {module} is not importable")
    assert f.fix.startswith(f"pip install {module}")
    f = only(check_pin_factory(rig(E3131, pin_factory=factory), host(tmp_path, modules={module})))
    assert f.status == OK


def test_pin_factory_native_and_default(tmp_path):
    native = rig(E3131, pin_factory="native")
    assert only(check_pin_factory(native, host(tmp_path))).status == FAIL
    make_root(tmp_path, {"/sys/class/gpio/export": ""})
    assert only(check_pin_factory(native, host(tmp_path))).status == OK
    default = rig(E3131, pin_factory="")
    f = only(check_pin_factory(default, host(tmp_path, modules={"pigpio"})))
    assert (f.status, f.message) == (OK, "no pin_factory in the rig: gpiozero will use pigpio (pigpio)")
    assert only(check_pin_factory(default, host(tmp_path))).status == WARN  # only native left
    assert only(check_pin_factory(default, host(tmp_path / "empty"))).status == FAIL
    f = only(check_pin_factory(default, host(tmp_path, environ={"GPIOZERO_PIN_FACTORY": "mock"})))
    assert f.status == OK and "mock" in f.message


# --- 6. uhubctl ----------------------------------------------------------------------------------

HUB_SLOT = replace(E3131, power=PowerSpec("uhubctl", hub="3-1", port=2))
UHUBCTL = {"uhubctl": "/usr/bin/uhubctl"}


def test_uhubctl_missing_or_in_sbin(tmp_path):
    f = only(check_uhubctl(rig(HUB_SLOT), host(tmp_path)))
    assert f.status == FAIL and f.fix == "sudo apt install uhubctl"
    # Debian's /usr/sbin is off an ordinary user's PATH; hilkit looks there too, so the hub is checked
    commands = {("uhubctl", "-l", "3-1"): CommandResult(0, UHUBCTL_PPPS)}
    h = host(tmp_path, programs={"uhubctl": "/usr/sbin/uhubctl"}, answers=commands)
    f = only(check_uhubctl(rig(HUB_SLOT), h))
    assert f.status == OK and f.message.startswith("hub 3-1 ")


def test_uhubctl_default_which_searches_path_and_sbin_under_root(tmp_path):
    make_root(tmp_path, {"/usr/sbin/uhubctl": 0o755})
    h = Host(root=tmp_path, environ={"PATH": "/usr/bin:/bin"})
    assert h.find_program("uhubctl") == "/usr/sbin/uhubctl"
    assert h.find_program("usb_modeswitch") is None


def test_uhubctl_per_port_hub_ok(tmp_path):
    commands = {("uhubctl", "-l", "3-1"): CommandResult(0, UHUBCTL_PPPS)}
    h = host(tmp_path, programs=UHUBCTL, answers=commands)
    f = only(check_uhubctl(rig(HUB_SLOT), h))
    assert (f.status, f.message) == (OK, "hub 3-1 [0bda:5411 Generic 4-Port USB 2.0 Hub]: per-port power (ppps), "
                                         "for slots e3131")


def test_uhubctl_ganged_hub_fails(tmp_path):
    ganged = replace(E3131, power=PowerSpec("uhubctl", hub="3-4", port=1))
    commands = {("uhubctl", "-l", "3-4"): CommandResult(1, "", UHUBCTL_NONE),
                ("uhubctl", "-f", "-l", "3-4"): CommandResult(0, UHUBCTL_GANGED.split("Sent")[0])}
    h = host(tmp_path, programs=UHUBCTL, answers=commands)
    f = only(check_uhubctl(rig(ganged), h))
    assert f.status == FAIL
    assert f.message == ("hub 3-4 [1a40:0101 USB 2.0 Hub] switches all its ports together (ganged): "
                         "no per-port power for slots e3131")
    assert h.run.ran == [("uhubctl", "-l", "3-4"), ("uhubctl", "-f", "-l", "3-4")]


def test_uhubctl_no_such_hub_permission_and_port_number(tmp_path):
    none = {("uhubctl", "-l", "3-1"): CommandResult(1, "", UHUBCTL_NONE.replace("3-4", "3-1"))}
    f = only(check_uhubctl(rig(HUB_SLOT), host(tmp_path, programs=UHUBCTL, answers=none)))
    assert f.status == FAIL and f.message == ("no hub at location 3-1 (uhubctl -l 3-1: No compatible devices "
                                              "detected at location 3-1!)")
    denied = {("uhubctl", "-l", "3-1"): CommandResult(1, "", UHUBCTL_PERMISSION)}
    f = only(check_uhubctl(rig(HUB_SLOT), host(tmp_path, programs=UHUBCTL, answers=denied)))
    assert f.status == FAIL and "permission problems" in f.message and "/etc/udev/rules.d/52-usb.rules" in f.fix
    far = replace(E3131, power=PowerSpec("uhubctl", hub="3-1", port=7))
    ppps = {("uhubctl", "-l", "3-1"): CommandResult(0, UHUBCTL_PPPS)}
    f = only(check_uhubctl(rig(far), host(tmp_path, programs=UHUBCTL, answers=ppps)))
    assert f.status == FAIL and "has 4 ports; slots e3131 (port 7)" in f.message


def test_uhubctl_older_version_without_switching_word(tmp_path):
    old = replace(E3131, power=PowerSpec("uhubctl", hub="1-1", port=2))
    commands = {("uhubctl", "-l", "1-1"): CommandResult(0, UHUBCTL_OLD)}
    f = only(check_uhubctl(rig(old), host(tmp_path, programs=UHUBCTL, answers=commands)))
    assert f.status == OK and "lists only hubs with per-port power" in f.message


# --- 7. ports ------------------------------------------------------------------------------------


def test_port_present_with_the_profiles_id(tmp_path):
    make_root(tmp_path, sysfs_device("1-1.2", "12d1:1506", 1, 5))
    f = only(check_ports(rig(E3131), host(tmp_path)))
    assert (f.status, f.message) == (OK, "slot e3131 (1-1.2): 12d1:1506 (huawei/e3131, mode modem)")


def test_port_missing_dongle_found_elsewhere(tmp_path):
    make_root(tmp_path, {**sysfs_device("1-1", "0424:2514", 1, 2), **sysfs_device("1-1.5", "12d1:1c05", 1, 7),
                         **sysfs_device("1-1.4", "12d1:155e", 1, 6)})
    bad, good = check_ports(rig(E3131, E3531), host(tmp_path))
    assert bad.status == FAIL
    assert bad.message == ("slot e3131 (1-1.2): nothing there, but 12d1:1c05 at 1-1.5 (huawei/e3131) is on a port "
                           "no slot names")
    assert 'set port: "1-1.5" for slot e3131' in bad.fix
    assert good.status == OK


def test_port_missing_lists_what_is_on_the_bus(tmp_path):
    make_root(tmp_path, {**sysfs_device("1-1", "0424:2514", 1, 2), **sysfs_device("1-1.1", "0424:ec00", 1, 3),
                         "/sys/bus/usb/devices/usb1/idVendor": "1d6b\n",
                         "/sys/bus/usb/devices/1-1.1:1.0/bInterfaceClass": "ff\n"})
    f = only(check_ports(rig(E3131), host(tmp_path)))
    assert f.status == WARN
    assert f.message == "slot e3131 (1-1.2): nothing there (powered off?); on the bus: 1-1 0424:2514, 1-1.1 0424:ec00"


def test_port_missing_with_its_hub(tmp_path):
    make_root(tmp_path, sysfs_device("2-1", "2109:3431", 2, 2))
    f = only(check_ports(rig(E3131), host(tmp_path)))
    assert f.status == FAIL
    assert f.message == "slot e3131 (1-1.2): its hub 1-1 is not on the bus either (on the bus: 2-1 2109:3431)"


def test_port_with_another_device(tmp_path):
    make_root(tmp_path, sysfs_device("1-1.2", "046d:c52b", 1, 5))
    f = only(check_ports(rig(E3131), host(tmp_path)))
    assert f.status == WARN and f.message.startswith("slot e3131 (1-1.2): 046d:c52b is there, which is none of "
                                                     "huawei/e3131's ids (12d1:14fe, 12d1:1506, 12d1:1c05)")


# --- 8. usb_modeswitch ---------------------------------------------------------------------------


def test_modeswitch_binary(tmp_path):
    f = only(check_modeswitch_binary(rig(E3131), host(tmp_path)))
    assert f.status == WARN and f.fix == "sudo apt install usb-modeswitch"
    commands = {("usb_modeswitch", "--version"): CommandResult(0, MODESWITCH_VERSION)}
    h = host(tmp_path, programs={"usb_modeswitch": "/usr/sbin/usb_modeswitch"}, answers=commands)
    f = only(check_modeswitch_binary(rig(E3131), h))
    assert (f.status, f.message) == (OK, "/usr/sbin/usb_modeswitch: version 2.6.1")


# --- the whole doctor ----------------------------------------------------------------------------


def test_virtual_rig_needs_nothing(tmp_path):
    virtual = load_rig(ROOT / "lab" / "virtual.yaml")
    h = host(tmp_path)
    (f,) = run_doctor(virtual, h)
    assert f.status == OK and "backend virtual" in f.message and "hardware checks skipped" in f.message
    assert h.run.ran == []
    (f,) = run_doctor(replace(virtual, backend="umockdev"), h)  # main's kernel-level virtual lab
    assert f.status == OK and "backend umockdev" in f.message
    assert {f.check for f in run_doctor(replace(virtual, backend="linux"), h)} > {"container", "port"}


@pytest.fixture
def linux_rig(monkeypatch):
    """load_rig still refuses backend: linux; the CLI gets the shipped rig with its backend swapped."""
    monkeypatch.setattr(rig_arg, "load_rig", lambda path: replace(load_rig(path), backend="linux"))
    monkeypatch.delenv("container", raising=False)
    return ROOT / "lab" / "virtual.yaml"


def test_cli_fails_on_a_container_root_with_problems(tmp_path, linux_rig, capsys):
    make_root(tmp_path, {"/.dockerenv": "", **MM_RUNNING, **sysfs_device("1-1", "0424:2514", 1, 2),
                         "/lib/udev/rules.d/40-usb_modeswitch.rules": MODESWITCH_RULES,
                         "/usr/sbin/usb_modeswitch": "#!/bin/sh\necho ' * Version 2.6.1 (C) Josua Dietze 2017'\n"})
    (tmp_path / "usr/sbin/usb_modeswitch").chmod(0o755)
    code = cli.main(["doctor", "--rig", str(linux_rig), "--root", str(tmp_path)])
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert code == 1
    assert [line.split()[:2] for line in lines] == [
        ["FAIL", "container"], ["WARN", "modeswitch-rule"], ["FAIL", "modemmanager"], ["WARN", "permissions"],
        ["OK", "gpio-chip"], ["OK", "pin-factory"], ["WARN", "port"], ["WARN", "port"], ["WARN", "port"],
        ["WARN", "port"], ["WARN", "subnet"], ["WARN", "dial-up"], ["WARN", "usb-capture"], ["OK", "usb_modeswitch"]]
    assert "the host's udev rules decide whether usb_modeswitch switches the dongles" in lines[1]
    assert lines[-1].endswith("version 2.6.1")
    assert "hilkit doctor: 2 FAIL, 9 WARN, 3 OK" in err


def test_cli_passes_on_a_ready_root_and_speaks_json(tmp_path, linux_rig, capsys):
    files = {"/run/udev/control": "", "/etc/usb_modeswitch.conf": "DisableSwitching=1\n",
             "/lib/udev/rules.d/40-usb_modeswitch.rules": MODESWITCH_RULES, **MM_RUNNING,  # e3531 needs it
             "/etc/udev/rules.d/70-hilkit-mm-ignore.rules":
                 'ATTRS{idVendor}=="12d1", ATTRS{idProduct}=="14fe|1506|1c05", ENV{ID_MM_DEVICE_IGNORE}="1"\n'}
    for n, (port, usb_id) in enumerate([("1-1.2", "12d1:1c05"), ("1-1.3", "12d1:14dc"), ("1-1.4", "12d1:155e"),
                                        ("1-1.5", "12d1:1506")]):
        files.update(sysfs_device(port, usb_id, 1, 5 + n))
        files[f"/dev/bus/usb/001/{5 + n:03d}"] = 0o666
    files.update(sysfs_device("1-1", "0424:2514", 1, 2))
    files.update({"/sys/module/usbmon/refcnt": "0", "/dev/usbmon1": 0o644, "/dev/net/tun": 0o666})
    files["/usr/sbin/ip"] = ("#!/bin/sh\necho '[{\"ifname\": \"eth0\", \"addr_info\": [{\"family\": \"inet\", "
                             "\"local\": \"10.0.3.7\", \"prefixlen\": 24}]}]'\n")
    make_root(tmp_path, files)
    (tmp_path / "usr/sbin/ip").chmod(0o755)
    code = cli.main(["doctor", "--rig", str(linux_rig), "--root", str(tmp_path), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["ok"] is True
    statuses = {(f["check"], f["status"]) for f in report["findings"]}
    assert ("usb_modeswitch", WARN) in statuses  # not installed under this root: not fatal
    assert {s for c, s in statuses if c != "usb_modeswitch"} == {OK}
    assert [f["message"] for f in report["findings"] if f["check"] == "port"][0] == \
        "slot e3131 (1-1.2): 12d1:1c05 (huawei/e3131, mode modem)"


def test_cli_virtual_rig_and_bad_rig(tmp_path, capsys):
    assert cli.main(["doctor", "--rig", str(ROOT / "lab" / "virtual.yaml")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith("OK   rig")
    bad = tmp_path / "rig.yaml"
    bad.write_text("name: x\nbackend: virtual\nslots:\n  - name: a\n    port: nope\n")
    assert cli.main(["doctor", "--rig", str(bad)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()  # both mistakes, one line each, in line order
    assert [line.split(": ")[:2] for line in lines] == [[f"{bad}:4", "slots[0]"], [f"{bad}:5", "slots[0].port"]]


def test_secrets_never_printed(tmp_path, linux_rig, capsys, monkeypatch):
    (tmp_path / "secrets.env").write_text("SIM_PIN=4711\n")
    rig_file = tmp_path / "rig.yaml"
    rig_file.write_text(linux_rig.read_text().replace("profiles: ../device_profiles",
                                                      f"profiles: {ROOT / 'device_profiles'}\nsecrets: secrets.env"))
    assert load_rig(rig_file).secrets.get("SIM_PIN") == "4711"
    cli.main(["doctor", "--rig", str(rig_file), "--root", str(tmp_path / "root"), "--json"])
    out, err = capsys.readouterr()
    assert "4711" not in out + err and json.loads(out)["findings"]


# --- in a container, the host's udev and ModemManager act; without /sys/bus/usb nothing is readable ----


def test_in_a_container_without_udevd_the_modeswitch_rule_is_the_hosts(tmp_path):
    make_root(tmp_path, {"/.dockerenv": "", "/lib/udev/rules.d/40-usb_modeswitch.rules": MODESWITCH_RULES})
    f = only(check_modeswitch_rule(rig(E3131), host(tmp_path)))
    assert f.status == WARN and "the host's udev rules decide" in f.message and f.fix.startswith("on the host: ")
    make_root(tmp_path, {"/proc/77/comm": "systemd-udevd\n"})  # balena's UDEV=1: udevd runs in the container
    f = only(check_modeswitch_rule(rig(E3131), host(tmp_path)))
    assert f.status == FAIL and "will switch the dongles of slots e3131" in f.message


def test_in_a_container_a_modemmanager_not_seen_may_run_on_the_host(tmp_path):
    make_root(tmp_path, {"/.dockerenv": "", "/proc/1/comm": "python3\n"})
    f = only(check_modemmanager(rig(E3131), host(tmp_path)))
    assert f.status == WARN and "ModemManager is not running in this container (/.dockerenv)" in f.message
    assert f.fix.startswith("on the host: systemctl is-active ModemManager")


def test_a_virtual_labs_private_modemmanager_is_not_the_systems(tmp_path):
    make_root(tmp_path, {"/proc/812/comm": "ModemManager\n",
                         "/proc/812/cmdline": "/usr/sbin/ModemManager\0--test-enable\0--no-auto-scan\0"})
    f = only(check_modemmanager(rig(E3131), host(tmp_path)))
    assert f.status == OK and f.message.startswith("ModemManager is not running")


def test_without_sysfs_usb_the_ports_cannot_be_read_and_the_fix_mounts_it(tmp_path):
    make_root(tmp_path, {"/.dockerenv": ""})
    f = only(check_ports(rig(E3131), host(tmp_path)))
    assert f.status == FAIL and f.message == "no /sys/bus/usb/devices here: the ports of slots e3131 cannot be read"
    assert f.fix.startswith("give the container the host's sysfs: docker run -v /sys:/sys:ro")


def test_uhubctl_in_a_container_without_sysfs_usb(tmp_path):
    make_root(tmp_path, {"/.dockerenv": ""})
    hub = replace(rig(E3131), slots=tuple(replace(s, power=PowerSpec("uhubctl", hub="1-1", port=2))
                                          for s in rig(E3131).slots))
    f = only(check_uhubctl(hub, host(tmp_path, programs={"uhubctl": "/usr/sbin/uhubctl"})))
    assert f.status == FAIL and "uhubctl cannot find or switch the hub ports of slots e3131" in f.message
    assert "-v /sys:/sys " in f.fix


def test_doctor_names_what_a_umockdev_rig_needs(monkeypatch, capsys):
    import shutil as shutil_module
    real_which = shutil_module.which
    monkeypatch.setattr(shutil_module, "which",
                        lambda name, *a, **k: None if name == "umockdev-wrapper" else real_which(name, *a, **k))
    assert cli.main(["doctor", "--rig", str(ROOT / "lab" / "umockdev.yaml")]) == 1
    out = capsys.readouterr().out
    assert "FAIL rig" in out and "umockdev-wrapper is not installed (apt install umockdev)" in out


# --- a HiLink stick's network against the host's -------------------------------------------------

def _ip(addresses: list[tuple[str, str, int]]) -> dict:
    import json as json_module
    links = [{"ifname": name, "addr_info": [{"family": "inet", "local": local, "prefixlen": prefix}]}
             for name, local, prefix in addresses]
    return {("ip", "-j", "-4", "addr", "show"): CommandResult(0, json_module.dumps(links), "")}


def test_a_lab_lan_on_the_hilink_sticks_subnet_fails(tmp_path):
    make_root(tmp_path, {})
    rig_e3372 = rig(E3372)
    f = only(check_subnets(rig_e3372, host(tmp_path, programs={"ip": "/usr/sbin/ip"},
                                           answers=_ip([("lo", "127.0.0.1", 8), ("eth0", "192.168.8.23", 24)]))))
    assert f.status == FAIL
    assert f.message == "eth0 192.168.8.23/24 overlaps the network 192.168.8.0/24 behind slot e3372's HiLink stick"
    assert "Settings > DHCP" in f.fix


def test_the_sticks_own_interface_is_not_a_collision(tmp_path):
    port = rig(E3372).slots[0].port
    device = tmp_path / "sys" / "devices" / "usb1" / f"{port}:1.0"
    device.mkdir(parents=True)
    (tmp_path / "sys" / "class" / "net" / "usb0").mkdir(parents=True)
    (tmp_path / "sys" / "class" / "net" / "usb0" / "device").symlink_to(device)
    f = only(check_subnets(rig(E3372), host(tmp_path, programs={"ip": "/usr/sbin/ip"},
                                            answers=_ip([("eth0", "10.0.0.5", 24), ("usb0", "192.168.8.100", 24)]))))
    assert f.status == OK and f.message.startswith("no network of this host overlaps 192.168.8.0/24")


def test_no_hilink_slot_no_subnet_check_and_no_ip_is_a_warning(tmp_path):
    make_root(tmp_path, {})
    assert check_subnets(rig(E3131), host(tmp_path)) == []
    f = only(check_subnets(rig(E3372), host(tmp_path)))
    assert f.status == WARN and f.message.startswith("ip (iproute2) not found")


# --- usbmon (the rig's USB capture) ---------------------------------------------------------------


def test_usbmon_not_loaded_missing_unreadable_and_ok(tmp_path):
    f = only(check_usbmon(rig(E3131, E3372), host(make_root(tmp_path / "bare", {}))))
    assert f.status == WARN and "usbmon module is not loaded" in f.message and "modprobe usbmon" in f.fix
    loaded = make_root(tmp_path / "loaded", {"/sys/module/usbmon/refcnt": "0"})
    f = only(check_usbmon(rig(E3131, slot("far", "3-2", "huawei/e3131")), host(loaded)))
    assert f.status == WARN and f.message.startswith("/dev/usbmon1, /dev/usbmon3 missing")
    in_container = make_root(tmp_path / "container", {"/sys/module/usbmon/refcnt": "0", "/.dockerenv": ""})
    f = only(check_usbmon(rig(E3131), host(in_container)))
    assert f.fix == "pass the nodes into the container (--device /dev/usbmon1)"
    root_only = make_root(tmp_path / "root-only", {"/sys/module/usbmon/refcnt": "0", "/dev/usbmon1": 0o600})
    f = only(check_usbmon(rig(E3131, E3372), host(root_only)))
    assert f.status == WARN and f.message.startswith("/dev/usbmon1 not readable by this user")
    assert 'SUBSYSTEM=="usbmon"' in f.fix
    readable = make_root(tmp_path / "readable", {"/sys/module/usbmon/refcnt": "0", "/dev/usbmon1": 0o644})
    f = only(check_usbmon(rig(E3131, E3372), host(readable)))
    assert f.status == OK and f.message.startswith("usbmon readable on bus 1:")
    assert check_usbmon(rig(), host(readable)) == []


# --- dial-up (hilkit's PPP client needs a tun) ------------------------------------------------------


def test_dial_up_check_names_the_ppp_slots_and_what_their_tun_needs(tmp_path):
    bare = make_root(tmp_path / "bare", {})
    f = only(check_dial_up(rig(E3131, E3372, E3531), host(bare)))   # e3531's bearer has its net port
    assert f.status == WARN and f.message.startswith("/dev/net/tun missing: a PPP session on e3131 ")
    assert f.fix == "sudo modprobe tun"
    in_container = make_root(tmp_path / "container", {"/.dockerenv": ""})
    assert "--device /dev/net/tun --cap-add NET_ADMIN" in only(check_dial_up(rig(E3131), host(in_container))).fix
    locked = make_root(tmp_path / "locked", {"/dev/net/tun": 0o600})
    f = only(check_dial_up(rig(E3131), host(locked)))
    assert f.status == WARN and "not readable and writable" in f.message
    no_admin = make_root(tmp_path / "no-admin", {"/dev/net/tun": 0o666, "/proc/self/status": "CapEff:\t0000000000000000\n"})
    f = only(check_dial_up(rig(E3131), host(no_admin)))   # a user's process: the node is 0666, making one is not
    assert f.status == WARN and f.message.startswith("this user lacks CAP_NET_ADMIN")
    usable = make_root(tmp_path / "usable", {"/dev/net/tun": 0o666, "/proc/self/status": "CapEff:\t0000000000001000\n"})
    f = only(check_dial_up(rig(E3131), host(usable)))
    assert f.status == OK and "e3131" in f.message
    assert check_dial_up(rig(E3372, E3531), host(usable)) == []   # HiLink, and a bearer on a net port
