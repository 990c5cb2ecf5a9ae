"""``hilkit doctor``: is this machine ready to run a rig unattended tonight?

Each check is one small function ``check_x(rig, host) -> list[Finding]`` (usually one finding; the
port check gives one per slot). A :class:`Finding` prints as ONE line: status (OK, WARN, FAIL), the
check, what was found and, when something is wrong, the fix.

Every file is read through :class:`Host`, whose ``root`` (``/`` by default) is prefixed to every
path, and every command goes through ``host.run`` / ``host.which``: tests give a fake root tree
and fake commands, and no check depends on the machine the tests run on. Paths in messages are
shown as the host sees them (``/etc/udev/rules.d/...``), whatever the root.

The checks take a :class:`~hilkit.config.rigs.Rig` and ask only what its slots say (power driver,
port, profile), so they work for any hardware backend. The virtual lab needs none of them.
Nothing here reads the rig's secrets.
"""
from __future__ import annotations

import fnmatch
import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hilkit.core.ids import UsbId
from hilkit.core.profile import TTY_ROLES, ModeSpec, Profile
from hilkit.core.rig import Rig, Slot
from hilkit.lab.contract import Capability
from hilkit.lab.registry import lab_class
from hilkit.programs import SBIN_DIRS

OK, WARN, FAIL = "OK", "WARN", "FAIL"


@dataclass(frozen=True)
class Finding:
    status: str    # OK, WARN or FAIL
    check: str     # short name of the check
    message: str   # what was found (one line)
    fix: str = ""  # what to do about it (one line), empty when nothing needs doing

    def line(self) -> str:
        text = f"{self.status:<4} {self.check:<15} {self.message}"
        return f"{text} -> fix: {self.fix}" if self.fix else text

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


# --- the host: every path and command goes through it --------------------------------------------

@dataclass(frozen=True)
class CommandResult:
    returncode: int
    stdout: str = ""
    stderr: str = ""

    @property
    def text(self) -> str:
        return f"{self.stdout}\n{self.stderr}"


def run_command(argv: Sequence[str], timeout: float = 10.0) -> CommandResult:
    """Run a command; a missing program or a hang is a result too, never an exception."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError:
        return CommandResult(127, "", f"{argv[0]}: not found")
    except subprocess.TimeoutExpired:
        return CommandResult(124, "", f"{' '.join(argv)} did not finish in {timeout:.0f} s")
    except OSError as exc:
        return CommandResult(126, "", f"{argv[0]}: {exc.strerror}")
    return CommandResult(done.returncode, done.stdout, done.stderr)


def module_available(name: str) -> bool:
    """Whether ``import name`` would find the module, without importing it."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # RPi.GPIO without RPi
        return False


@dataclass
class Host:
    """The machine being checked: a root directory, and how to run and find commands there."""

    root: Path = Path("/")
    run: Callable[[Sequence[str]], CommandResult] = run_command
    which: Callable[[str], str | None] | None = None  # name -> host path; default searches under root
    access: Callable[[Path, int], bool] = os.access
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    module_available: Callable[[str], bool] = module_available

    def path(self, host_path: str) -> Path:
        """``/etc/x`` on the host -> the file to read (``root/etc/x``)."""
        return self.root / host_path.lstrip("/")

    def show(self, path: Path) -> str:
        """The file to read -> how the host names it."""
        try:
            return "/" + path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def read(self, host_path: str | Path) -> str | None:
        path = host_path if isinstance(host_path, Path) else self.path(host_path)
        try:
            return path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    def exists(self, host_path: str) -> bool:
        return self.path(host_path).exists()

    def glob(self, pattern: str) -> list[Path]:
        return sorted(self.root.glob(pattern.lstrip("/")))

    def path_dirs(self) -> list[str]:
        return [d for d in self.environ.get("PATH", "").split(":") if d]

    def find_program(self, name: str) -> str | None:
        """Host path of ``name``: on PATH, else in an sbin directory; None when absent."""
        if self.which is not None:
            return self.which(name)
        for directory in [*self.path_dirs(), *SBIN_DIRS]:
            candidate = self.path(f"{directory.rstrip('/')}/{name}")
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return self.show(candidate)
        return None

    def run_program(self, host_path: str, *args: str) -> CommandResult:
        return self.run([str(self.path(host_path)), *args])


# --- small parsers (tested on real samples) -------------------------------------------------------

_UDEV_PAIR = re.compile(r'([A-Za-z_]+)(?:\{([^}]*)\})?\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"')


@dataclass(frozen=True)
class UdevRule:
    line: int
    matches: dict[str, str]   # ATTR/ATTRS{idVendor}== -> "idVendor"; ENV{X}== -> "ENV{X}"; KERNEL== -> "KERNEL"
    assigns: dict[str, str]   # RUN+= -> "RUN"; ENV{ID_MM_DEVICE_IGNORE}="1" -> "ENV{ID_MM_DEVICE_IGNORE}"


def parse_udev_rules(text: str) -> list[UdevRule]:
    """The rules of a udev rules file (``==`` matches and assignments; ``!=`` is not kept)."""
    rules: list[UdevRule] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        line = raw.rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        matches: dict[str, str] = {}
        assigns: dict[str, str] = {}
        for key, attr, op, value in _UDEV_PAIR.findall(line):
            name = attr if key in ("ATTR", "ATTRS") else (f"{key}{{{attr}}}" if attr else key)
            if op == "==":
                matches[name] = value
            elif op in ("=", "+=", ":="):
                assigns[name] = value
        if matches or assigns:
            rules.append(UdevRule(start, matches, assigns))
    return rules


def udev_value_matches(pattern: str, value: str) -> bool:
    """udev's match: shell glob, ``|`` between alternatives (ids compared without case)."""
    return any(fnmatch.fnmatchcase(value.lower(), alt.lower()) for alt in pattern.split("|"))


_HUB_HEADER = re.compile(r"^Current status for hub (\S+?),? (?:\[(.*)\]|vendor (\S+), (\d+) ports)\s*$")
_HUB_DETAIL = re.compile(r",\s*USB ([0-9a-fA-F]+\.[0-9a-fA-F]+),\s*(\d+) ports(?:,\s*(\w+))?$")


@dataclass(frozen=True)
class HubStatus:
    location: str
    description: str               # "0bda:5411 Generic 4-Port USB 2.0 Hub"
    ports: int | None = None
    switching: str | None = None   # "ppps" per port, "ganged", "nops"; None when uhubctl does not say


def parse_uhubctl_hubs(output: str) -> list[HubStatus]:
    """The hubs in uhubctl's output, from their ``Current status for hub ...`` header lines.

    ``Current status for hub 1-1 [0424:2514, USB 2.00, 4 ports, ppps]`` (uhubctl 2.2+);
    older versions leave out the switching word, or print ``..., vendor 2109:2811, 4 ports``.
    """
    hubs: list[HubStatus] = []
    for line in output.splitlines():
        match = _HUB_HEADER.match(line.strip())
        if not match:
            continue
        location, bracket, vendor, ports = match.groups()
        if bracket is None:
            hubs.append(HubStatus(location, vendor, int(ports)))
            continue
        detail = _HUB_DETAIL.search(bracket)
        if detail:
            hubs.append(HubStatus(location, bracket[:detail.start()].strip(), int(detail.group(2)),
                                  detail.group(3)))
        else:
            hubs.append(HubStatus(location, bracket.strip()))
    return hubs


# --- what the rig asks of the host ---------------------------------------------------------------

def _switch_sources(profile: Profile) -> list[ModeSpec]:
    """The modes a switch starts from: what usb_modeswitch's rule would switch."""
    names = {sw.source for sw in profile.switches}
    return [mode for mode in profile.modes.values() if mode.name in names]


def _ids(modes: Iterable[ModeSpec]) -> list[UsbId]:
    return sorted({uid for mode in modes for uid in mode.ids})


def _names(slots: Iterable[Slot]) -> str:
    return ", ".join(slot.name for slot in slots)


RULE_DIRS = ("/etc/udev/rules.d", "/run/udev/rules.d", "/usr/local/lib/udev/rules.d",
             "/usr/lib/udev/rules.d", "/lib/udev/rules.d")  # udev's order: the first file of a name wins


def _rule_file(host: Host, name: str) -> Path | None:
    for directory in RULE_DIRS:
        path = host.path(f"{directory}/{name}")
        if path.exists() or path.is_symlink():
            return path
    return None


def _effective_rule_files(host: Host) -> list[Path]:
    found: dict[str, Path] = {}
    for directory in RULE_DIRS:
        for path in host.glob(f"{directory}/*.rules"):
            found.setdefault(path.name, path)
    return [found[name] for name in sorted(found)]


def _masked(path: Path) -> str:
    """How a rules file is switched off ('' when it is not): a link to /dev/null, or no rules."""
    if path.is_symlink() and os.readlink(path) == "/dev/null":
        return "a symlink to /dev/null"
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "" if parse_udev_rules(text) else "empty"


# --- 1. usb_modeswitch's udev rule ---------------------------------------------------------------

MODESWITCH_RULE = "40-usb_modeswitch.rules"
MODESWITCH_CONF = "/etc/usb_modeswitch.conf"


def _disable_switching(host: Host) -> str | None:
    """DisableSwitching's value in /etc/usb_modeswitch.conf (the last one), None when not set."""
    value = None
    for line in (host.read(MODESWITCH_CONF) or "").splitlines():
        line = re.split(r"[#;!]", line, maxsplit=1)[0].strip()
        key, sep, rest = line.partition("=")
        if sep and key.strip() == "DisableSwitching":
            value = rest.strip().strip("\"'")
    return value


def _rule_switches(rule: UdevRule, uid: UsbId, mode: ModeSpec) -> bool:
    vendor, product = rule.matches.get("idVendor"), rule.matches.get("idProduct")
    if vendor is None or "usb_modeswitch" not in rule.assigns.get("RUN", ""):
        return False
    if not udev_value_matches(vendor, f"{uid.vendor:04x}"):
        return False
    if product is not None and not udev_value_matches(product, f"{uid.product:04x}"):
        return False
    cls = rule.matches.get("bInterfaceClass")  # the generic Huawei rule: interface 0 of class 08
    if cls is not None:
        first = [i for i in mode.interfaces if i.number == 0 and i.alt == 0]
        if not first or not udev_value_matches(cls, f"{first[0].cls:02x}"):
            return False
    return True


def check_modeswitch_rule(rig: Rig, host: Host) -> list[Finding]:
    check = "modeswitch-rule"
    switching = [slot for slot in rig.slots if slot.profile.switches]
    if not switching:
        return [Finding(OK, check, "no slot's profile has a switch: usb_modeswitch's udev rule does not matter")]
    path = _rule_file(host, MODESWITCH_RULE)
    if path is None:
        return [Finding(OK, check, f"no {MODESWITCH_RULE} in {', '.join(RULE_DIRS)}: "
                                   "nothing switches the dongles before the test")]
    shown = host.show(path)
    how = _masked(path)
    if how:
        return [Finding(OK, check, f"usb_modeswitch's udev rule is off: {shown} is {how}")]
    rules = parse_udev_rules(host.read(path) or "")
    hits: list[str] = []
    for slot in switching:
        for mode in _switch_sources(slot.profile):
            for uid in mode.ids:
                rule = next((r for r in rules if _rule_switches(r, uid, mode)), None)
                if rule is not None:
                    hits.append(f"{slot.name} ({uid}, line {rule.line})")
    if not hits:
        ids = ", ".join(str(uid) for slot in switching for uid in _ids(_switch_sources(slot.profile)))
        return [Finding(OK, check, f"{shown} matches none of the slots' dongles ({ids})")]
    value = _disable_switching(host)
    if value is not None and value.lower() in ("1", "yes", "true"):
        return [Finding(OK, check, f"{shown} matches slots {', '.join(hits)}, but DisableSwitching={value} "
                                   f"in {MODESWITCH_CONF} keeps it off")]
    setting = (f"DisableSwitching={value} in {MODESWITCH_CONF}" if value is not None
               else f"no DisableSwitching in {MODESWITCH_CONF}")
    return [Finding(FAIL, check,
                    f"{shown} will switch the dongles of slots {', '.join(hits)} before the test can ({setting})",
                    f"set DisableSwitching=1 in {MODESWITCH_CONF}, or override the rule: sudo ln -s /dev/null "
                    f"/etc/udev/rules.d/{MODESWITCH_RULE} && sudo udevadm control --reload")]


# --- 2. ModemManager -----------------------------------------------------------------------------

MM_IGNORE_RULES = "/etc/udev/rules.d/70-hilkit-mm-ignore.rules"


def _pids(host: Host, name: str) -> list[int]:
    pids = []
    for comm in host.glob("/proc/[0-9]*/comm"):
        if (host.read(comm) or "").strip() == name:
            pids.append(int(comm.parent.name))
    return sorted(pids)


def _mm_ignore_rules(host: Host) -> list[UdevRule]:
    return [rule for path in _effective_rule_files(host) for rule in parse_udev_rules(host.read(path) or "")
            if rule.assigns.get("ENV{ID_MM_DEVICE_IGNORE}") == "1"]


def _mm_ignored(rules: list[UdevRule], uid: UsbId) -> bool:
    """Whether one of the rules sets ID_MM_DEVICE_IGNORE for ``uid`` (a rule without ids: for all)."""
    for rule in rules:
        vendor, product = rule.matches.get("idVendor"), rule.matches.get("idProduct")
        if vendor is not None and not udev_value_matches(vendor, f"{uid.vendor:04x}"):
            continue
        if product is not None and not udev_value_matches(product, f"{uid.product:04x}"):
            continue
        return True
    return False


def _mm_ignore_rule(ids: list[UsbId]) -> str:
    by_vendor: dict[int, list[str]] = {}
    for uid in ids:
        by_vendor.setdefault(uid.vendor, []).append(f"{uid.product:04x}")
    return " and ".join(f'ATTRS{{idVendor}}=="{vendor:04x}", ATTRS{{idProduct}}=="{"|".join(products)}", '
                        'ENV{ID_MM_DEVICE_IGNORE}="1"' for vendor, products in sorted(by_vendor.items()))


def check_modemmanager(rig: Rig, host: Host) -> list[Finding]:
    check = "modemmanager"
    pids = _pids(host, "ModemManager")
    through_mm = [s for s in rig.slots if s.profile.attach and s.profile.attach.method == "modemmanager"]
    # the slots whose serial ports hilkit opens itself (AT attach, the modem fixture)
    direct = [s for s in rig.slots if s not in through_mm
              and any(i.role in TTY_ROLES for m in s.profile.modes.values() for i in m.interfaces)]
    if not pids:
        if through_mm:
            return [Finding(FAIL, check, f"ModemManager is not running, and slots {_names(through_mm)} attach "
                                         "through it (attach.method: modemmanager)",
                            "sudo systemctl enable --now ModemManager")]
        return [Finding(OK, check, "ModemManager is not running: nothing else opens the dongles' ports")]
    running = f"ModemManager is running (pid {', '.join(map(str, pids))})"
    ignore = _mm_ignore_rules(host)
    exposed = [(slot, [uid for uid in _ids(slot.profile.modes.values()) if not _mm_ignored(ignore, uid)])
               for slot in direct]
    exposed = [(slot, ids) for slot, ids in exposed if ids]
    if not exposed:
        if direct:
            return [Finding(OK, check, f"{running}; a udev rule sets ID_MM_DEVICE_IGNORE for the dongles of "
                                       f"slots {_names(direct)}")]
        return [Finding(OK, check, f"{running}" + (f"; slots {_names(through_mm)} attach through it"
                                                    if through_mm else ""))]
    ids = sorted({uid for _, slot_ids in exposed for uid in slot_ids})
    fix = (f"add {_mm_ignore_rule(ids)} to {MM_IGNORE_RULES}, then sudo udevadm control --reload && "
           "sudo udevadm trigger")
    if not through_mm:
        fix += "; or, if nothing here needs it: sudo systemctl disable --now ModemManager"
    slots = "; ".join(f"{slot.name} ({', '.join(map(str, slot_ids))})" for slot, slot_ids in exposed)
    return [Finding(FAIL, check, f"{running} and will probe the serial ports hilkit opens itself, of slots {slots}",
                    fix)]


# --- 3. containers -------------------------------------------------------------------------------

def _container(host: Host) -> str:
    """Why this looks like a container ('' when it does not)."""
    for marker in ("/.dockerenv", "/run/.containerenv"):
        if host.exists(marker):
            return marker
    cgroup = host.read("/proc/1/cgroup") or ""
    for word in ("docker", "kubepods", "lxc", "containerd", "libpod"):
        if word in cgroup:
            return f"/proc/1/cgroup mentions {word}"
    if host.environ.get("container"):
        return f"container={host.environ['container']} in the environment"
    return ""


def check_container(rig: Rig, host: Host) -> list[Finding]:
    check = "container"
    why = _container(host)
    missing = []
    if not host.path("/dev/bus/usb").is_dir():
        missing.append("no /dev/bus/usb (libusb cannot open the dongles)")
    if not host.exists("/run/udev/control"):
        missing.append("no /run/udev/control (no udevd: no uevents, so re-enumeration is never seen)")
    if not missing:
        where = f"in a container ({why})" if why else "not in a container"
        note = "; uevents reach a container only with --net=host" if why else ""
        return [Finding(OK, check, f"{where}; /dev/bus/usb and udev (/run/udev/control) present{note}")]
    if why:
        balena = any(k in host.environ for k in ("BALENA", "RESIN", "BALENA_DEVICE_UUID", "RESIN_DEVICE_UUID"))
        fix = ("docker run --privileged -v /dev:/dev -v /run/udev:/run/udev:ro --net=host ...; or run udevd in "
               "the container" + ("; on balena: set UDEV=1 in the service's environment" if balena
                                  else " (balena images: UDEV=1)"))
        return [Finding(FAIL, check, f"in a container ({why}): {'; '.join(missing)} -- the switch seems to work "
                                     "but the modem never attaches", fix)]
    fixes = []
    if not host.path("/dev/bus/usb").is_dir():
        fixes.append("mount usbfs / check the kernel has CONFIG_USB (ls /dev/bus/usb)")
    if not host.exists("/run/udev/control"):
        fixes.append("sudo systemctl start systemd-udevd")
    return [Finding(FAIL, check, "; ".join(missing), "; ".join(fixes))]


# --- 4. permissions ------------------------------------------------------------------------------

_DEVICE_DIR = re.compile(r"^\d+-\d+(\.\d+)*$")


@dataclass(frozen=True)
class SysDevice:
    port: str
    usb_id: str        # "12d1:1506", "?" when sysfs does not say
    node: str | None   # /dev/bus/usb/BBB/DDD


def _sysfs_devices(host: Host) -> dict[str, SysDevice]:
    devices: dict[str, SysDevice] = {}
    for path in host.glob("/sys/bus/usb/devices/*"):
        if not _DEVICE_DIR.match(path.name):
            continue
        vendor = (host.read(path / "idVendor") or "").strip()
        product = (host.read(path / "idProduct") or "").strip()
        busnum = (host.read(path / "busnum") or "").strip()
        devnum = (host.read(path / "devnum") or "").strip()
        node = (f"/dev/bus/usb/{int(busnum):03d}/{int(devnum):03d}"
                if busnum.isdigit() and devnum.isdigit() else None)
        devices[path.name] = SysDevice(path.name, f"{vendor}:{product}" if vendor and product else "?", node)
    return devices


def _groups(host: Host) -> dict[int, str]:
    names: dict[int, str] = {}
    for line in (host.read("/etc/group") or "").splitlines():
        parts = line.split(":")
        if len(parts) >= 3 and parts[2].isdigit():
            names.setdefault(int(parts[2]), parts[0])
    return names


@dataclass(frozen=True)
class DeniedNode:
    kind: str         # "usb" or "tty"
    group: str        # the node's group name (or gid)
    mode: int         # its permission bits
    usb_id: str = ""  # vvvv:pppp of the USB device, for a rule that matches it


def permission_fix(nodes: Sequence[DeniedNode]) -> str:
    """How this user gets read+write on ``nodes``: join their group when it has rw, else udev rules first."""
    join: list[str] = []
    vendors: list[str] = []
    usb_rule = tty_rule = False
    for node in nodes:
        if node.group not in ("root", "0", "") and node.mode & 0o060 == 0o060:
            join.append(node.group)
        elif node.kind == "tty":
            tty_rule = True
            join.append("dialout")
        else:
            usb_rule = True
            if ":" in node.usb_id:
                vendors.append(node.usb_id.split(":")[0])
            join.append("plugdev")
    rules = []
    if usb_rule:
        match = f', ATTR{{idVendor}}=="{"|".join(sorted(set(vendors)))}"' if vendors else ""
        rules.append(f'SUBSYSTEM=="usb"{match}, MODE="0660", GROUP="plugdev"')
    if tty_rule:
        rules.append('KERNEL=="ttyUSB*|ttyACM*", MODE="0660", GROUP="dialout"')
    groups = ",".join(sorted(set(join)))
    parts = [f"add {' and '.join(rules)} to /etc/udev/rules.d/50-hilkit.rules, then sudo udevadm control "
             "--reload && sudo udevadm trigger"] if rules else []
    if groups:
        parts.append(f"sudo usermod -aG {groups} $USER (then log in again)")
    return "; ".join(parts)


def check_permissions(rig: Rig, host: Host) -> list[Finding]:
    check = "permissions"
    devices = _sysfs_devices(host)
    wanted: dict[str, tuple[str, str]] = {}  # node -> (what it is, usb id)
    for slot in rig.slots:
        dev = devices.get(slot.port)
        if dev and dev.node:
            wanted[dev.node] = (f"slot {slot.name}", dev.usb_id)
    for hub in sorted({s.power.hub for s in rig.slots if s.power.driver == "uhubctl"}):
        dev = devices.get(hub)
        if dev and dev.node:
            wanted.setdefault(dev.node, (f"hub {hub}", dev.usb_id))
    for pattern in ("/dev/ttyUSB*", "/dev/ttyACM*"):
        for path in host.glob(pattern):
            wanted[host.show(path)] = ("tty", "")
    if not wanted:
        return [Finding(WARN, check, "nothing to check: no slot's dongle on the bus, no /dev/ttyUSB*, /dev/ttyACM*",
                        "power the dongles on and run hilkit doctor again")]
    groups = _groups(host)
    denied, causes = [], []
    for node, (what, usb_id) in sorted(wanted.items()):
        path = host.path(node)
        if not path.exists():
            denied.append(f"{node} ({what}: missing)")
            continue
        if host.access(path, os.R_OK | os.W_OK):
            continue
        info = path.stat()
        group = groups.get(info.st_gid, str(info.st_gid))
        mode = info.st_mode & 0o777
        denied.append(f"{node} ({what}, group {group}, mode {mode:04o})")
        causes.append(DeniedNode("tty" if what == "tty" else "usb", group, mode, usb_id))
    if not denied:
        return [Finding(OK, check, f"read+write on {', '.join(sorted(wanted))}")]
    return [Finding(FAIL, check, f"this user cannot read+write {', '.join(denied)}",
                    permission_fix(causes) or "bind /dev into the container (-v /dev:/dev)")]


# --- 5. GPIO -------------------------------------------------------------------------------------

#: gpiozero's pin factory names -> the module each needs (gpiozero's own fallback order)
PIN_LIBRARIES = {"lgpio": "lgpio", "rpigpio": "RPi.GPIO", "pigpio": "pigpio"}
PIN_INSTALL = {"lgpio": "pip install lgpio (or apt install python3-lgpio)",
               "rpigpio": "pip install RPi.GPIO",
               "pigpio": "pip install pigpio, and sudo systemctl enable --now pigpiod"}


def _gpio_slots(rig: Rig) -> list[Slot]:
    return [s for s in rig.slots if s.power.driver == "gpio"]


def _pin_factory(rig: Rig, host: Host) -> str:
    return rig.pin_factory or host.environ.get("GPIOZERO_PIN_FACTORY", "")


def check_gpio_chip(rig: Rig, host: Host) -> list[Finding]:
    check = "gpio-chip"
    slots = _gpio_slots(rig)
    if not slots:
        return []
    factory = _pin_factory(rig, host)
    if factory == "mock":
        return [Finding(OK, check, "pin_factory mock: no GPIO hardware is used")]
    if factory == "pigpio" and rig.pin_host:
        return [Finding(OK, check, f"pins are driven by pigpiod on {rig.pin_host}: no local GPIO chip needed")]
    chips = host.glob("/dev/gpiochip*")
    if not chips:
        return [Finding(FAIL, check, f"no /dev/gpiochip* on this machine, and slots {_names(slots)} switch "
                                     "their power by GPIO",
                        "run on the Pi that drives the relays (in a container: --device /dev/gpiochip0)")]
    usable = [c for c in chips if host.access(c, os.R_OK | os.W_OK)]
    if not usable:
        return [Finding(FAIL, check, f"this user cannot read+write {', '.join(host.show(c) for c in chips)}",
                        "sudo usermod -aG gpio $USER (then log in again)")]
    return [Finding(OK, check, f"read+write on {', '.join(host.show(c) for c in usable)}")]


def check_pin_factory(rig: Rig, host: Host) -> list[Finding]:
    check = "pin-factory"
    if not _gpio_slots(rig):
        return []
    factory = _pin_factory(rig, host)
    if factory == "mock":
        return [Finding(OK, check, "pin_factory mock (the relays do not move)")]
    native_ok = host.exists("/dev/gpiomem") or host.path("/sys/class/gpio").is_dir()
    if factory == "native":
        if native_ok:
            return [Finding(OK, check, "pin_factory native: /dev/gpiomem or /sys/class/gpio present")]
        return [Finding(FAIL, check, "pin_factory native needs /dev/gpiomem or /sys/class/gpio; neither is here",
                        "use pin_factory: lgpio (Pi 5 and any recent kernel), or give group gpio access to "
                        "/dev/gpiomem")]
    if factory in PIN_LIBRARIES:
        module = PIN_LIBRARIES[factory]
        if host.module_available(module):
            return [Finding(OK, check, f"pin_factory {factory}: {module} imports in {sys.executable}")]
        return [Finding(FAIL, check, f"pin_factory {factory}: {module} is not importable in {sys.executable}",
                        PIN_INSTALL[factory])]
    # no pin_factory: gpiozero tries lgpio, RPi.GPIO, pigpio, then native
    for name, module in PIN_LIBRARIES.items():
        if host.module_available(module):
            return [Finding(OK, check, f"no pin_factory in the rig: gpiozero will use {name} ({module})")]
    if native_ok:
        return [Finding(WARN, check, "no pin_factory in the rig and none of lgpio, RPi.GPIO, pigpio importable: "
                                     "gpiozero falls back to native",
                        f"set pin_factory in the rig and install it: {PIN_INSTALL['lgpio']}")]
    return [Finding(FAIL, check, "no pin_factory in the rig, none of lgpio, RPi.GPIO, pigpio importable, "
                                 "no /dev/gpiomem: gpiozero has no way to drive the relays",
                    f"set pin_factory: lgpio in the rig and {PIN_INSTALL['lgpio']}")]


# --- 6. uhubctl ----------------------------------------------------------------------------------

def check_uhubctl(rig: Rig, host: Host) -> list[Finding]:
    check = "uhubctl"
    slots = [s for s in rig.slots if s.power.driver == "uhubctl"]
    if not slots:
        return []
    program = host.find_program("uhubctl")
    if program is None:
        return [Finding(FAIL, check, f"uhubctl is not installed, and slots {_names(slots)} switch their power with it",
                        "sudo apt install uhubctl")]
    findings = []
    for hub in sorted({s.power.hub for s in slots}):
        on_hub = [s for s in slots if s.power.hub == hub]
        findings.append(_check_hub(host, program, hub, on_hub))
    return findings


def _check_hub(host: Host, program: str, hub: str, slots: list[Slot]) -> Finding:
    check = "uhubctl"
    done = host.run_program(program, "-l", hub)
    if "permission problems" in done.text:
        return Finding(FAIL, check, f"hub {hub}: uhubctl cannot open the hubs (permission problems)",
                       'udev rule SUBSYSTEM=="usb", DRIVER=="hub|usb", MODE="0664", GROUP="dialout" in '
                       "/etc/udev/rules.d/52-usb.rules (see uhubctl's README), and sudo usermod -aG dialout $USER")
    hubs = parse_uhubctl_hubs(done.stdout)
    status = next((h for h in hubs if h.location == hub), hubs[0] if hubs else None)
    if status is None:
        forced = parse_uhubctl_hubs(host.run_program(program, "-f", "-l", hub).stdout)
        status = next((h for h in forced if h.location == hub), None)
        if status is None:
            last = (done.stderr or done.stdout).strip().splitlines()[:1] or [f"exit {done.returncode}"]
            return Finding(FAIL, check, f"no hub at location {hub} (uhubctl -l {hub}: {last[0]})",
                           "run sudo uhubctl to list the hub locations; set power.hub to the hub the dongles are on")
    what = f"hub {hub} [{status.description}]"
    if status.switching in ("ganged", "nops"):
        kind = "switches all its ports together (ganged)" if status.switching == "ganged" else "cannot switch power"
        return Finding(FAIL, check, f"{what} {kind}: no per-port power for slots {_names(slots)}",
                       "use a hub with per-port power switching (uhubctl's README lists them) or a GPIO relay")
    too_high = [s for s in slots if status.ports is not None and s.power.port > status.ports]
    if too_high:
        return Finding(FAIL, check, f"{what} has {status.ports} ports; slots "
                                    f"{', '.join(f'{s.name} (port {s.power.port})' for s in too_high)} name a port "
                                    "it does not have", f"set power.port to one of 1-{status.ports} for those slots")
    how = "per-port power (ppps)" if status.switching == "ppps" else \
        "listed by uhubctl, which lists only hubs with per-port power"
    return Finding(OK, check, f"{what}: {how}, for slots {_names(slots)}")


# --- 7. each slot's port -------------------------------------------------------------------------

def _parent(port: str) -> str | None:
    """``1-1.2`` -> ``1-1``; ``1-2`` -> None (a root port: its parent is the bus)."""
    head, dot, _ = port.rpartition(".")
    return head if dot else None


def check_ports(rig: Rig, host: Host) -> list[Finding]:
    check = "port"
    devices = _sysfs_devices(host)
    claimed = {slot.port for slot in rig.slots}
    findings = []
    for slot in rig.slots:
        ids = {str(uid) for uid in _ids(slot.profile.modes.values())}
        where = f"slot {slot.name} ({slot.port})"
        dev = devices.get(slot.port)
        if dev is not None:
            if dev.usb_id in ids:
                modes = [m.name for m in slot.profile.modes.values() if dev.usb_id in map(str, m.ids)]
                findings.append(Finding(OK, check, f"{where}: {dev.usb_id} ({slot.profile.key}, "
                                                   f"mode {' or '.join(modes)})"))
            else:
                findings.append(Finding(WARN, check, f"{where}: {dev.usb_id} is there, which is none of "
                                                     f"{slot.profile.key}'s ids ({', '.join(sorted(ids))})",
                                        "plug the right dongle into this port, or fix the slot's profile"))
            continue
        elsewhere = [d for d in devices.values() if d.usb_id in ids and d.port not in claimed]
        listing = ", ".join(f"{d.port} {d.usb_id}" for d in sorted(devices.values(), key=lambda d: d.port)[:12])
        listing = listing or "nothing in /sys/bus/usb/devices"
        if elsewhere:
            found = ", ".join(f"{d.usb_id} at {d.port}" for d in elsewhere)
            findings.append(Finding(FAIL, check, f"{where}: nothing there, but {found} ({slot.profile.key}) "
                                                 "is on a port no slot names",
                                    f"move the dongle to {slot.port}, or set port: \"{elsewhere[0].port}\" for slot "
                                    f"{slot.name}"))
            continue
        parent = _parent(slot.port)
        if parent is not None and parent not in devices:
            findings.append(Finding(FAIL, check, f"{where}: its hub {parent} is not on the bus either "
                                                 f"(on the bus: {listing})",
                                    "plug the hub in, or correct port: in the rig (ls /sys/bus/usb/devices)"))
            continue
        findings.append(Finding(WARN, check, f"{where}: nothing there (powered off?); on the bus: {listing}",
                                "power the dongle on and run again; if it shows up elsewhere, correct port:"))
    return findings


# --- 8. usb_modeswitch ---------------------------------------------------------------------------

_VERSION = re.compile(r"Version\s+(\S+)")


def check_modeswitch_binary(rig: Rig, host: Host) -> list[Finding]:
    check = "usb_modeswitch"
    program = host.find_program("usb_modeswitch")
    if program is None:
        return [Finding(WARN, check, "usb_modeswitch is not installed (needed only by the external switch "
                                     "engine; hilkit's own engine switches over pyusb)",
                        "sudo apt install usb-modeswitch")]
    done = host.run_program(program, "--version")
    match = _VERSION.search(done.text)
    if match is None:
        first = done.text.strip().splitlines()[:1] or [f"exit {done.returncode}"]
        return [Finding(WARN, check, f"{program}: `usb_modeswitch --version` gave no version ({first[0]})")]
    return [Finding(OK, check, f"{program}: version {match.group(1)}")]


# --- all of it -----------------------------------------------------------------------------------

CHECKS: tuple[Callable[[Rig, Host], list[Finding]], ...] = (
    check_container, check_modeswitch_rule, check_modemmanager, check_permissions, check_gpio_chip,
    check_pin_factory, check_uhubctl, check_ports, check_modeswitch_binary)


def run_doctor(rig: Rig, host: Host | None = None) -> list[Finding]:
    """Every check's findings for ``rig`` on ``host``; a lab whose dongles are not this host's
    hardware (a simulated one) gets one OK line."""
    if Capability.HOST_HARDWARE not in lab_class(rig).capabilities:
        return [Finding(OK, "rig", f"{rig.path}: backend {rig.backend}: the virtual lab needs nothing from this "
                                   "machine; hardware checks skipped")]
    host = host or Host()
    return [finding for check in CHECKS for finding in check(rig, host)]


def summary(findings: list[Finding]) -> str:
    counts = {status: sum(f.status == status for f in findings) for status in (FAIL, WARN, OK)}
    return ", ".join(f"{n} {status}" for status, n in counts.items())
