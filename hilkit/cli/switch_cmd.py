"""``hilkit switch``: usb_modeswitch's command line on hilkit's engine, plus ``--port``.

A lab script that runs ``usb_modeswitch -v 12d1 -p 14fe -M 5553...`` can run ``hilkit switch`` with
the same flags. Unlike usb_modeswitch, which takes the LAST matching device when two identical
sticks are plugged in, hilkit refuses to guess: name the device with ``--port 1-1.3`` (or -b/-g).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from hilkit.config.modeswitch_file import parse_config_text
from hilkit.config.paths import default_rig, rig_path
from hilkit.core.errors import Category, HilkitError, SourceError, SwitchFailed, SwitchRefused
from hilkit.core.modes import in_mode
from hilkit.core.profile import Budgets
from hilkit.core.rig import Rig, Slot
from hilkit.core.switchconfig import SwitchConfig
from hilkit.lab.lab_backend import Capability, LabBackend
from hilkit.lab.registry import load_rig, open_lab
from hilkit.switch.native import NativeSwitchEngine

if TYPE_CHECKING:
    from hilkit.core.device import DeviceInfo

#: usb_modeswitch flag -> (config key, takes a value)
FLAGS: dict[str, tuple[str, bool]] = {
    "-v": ("DefaultVendor", True), "-p": ("DefaultProduct", True), "-V": ("TargetVendor", True),
    "-P": ("TargetProduct", True), "-C": ("TargetClass", True), "-M": ("MessageContent", True),
    "-2": ("MessageContent2", True), "-3": ("MessageContent3", True), "-w": ("ReleaseDelay", True),
    "-n": ("NeedResponse", False), "-r": ("ResponseEndpoint", True), "-m": ("MessageEndpoint", True),
    "-K": ("StandardEject", False), "-d": ("DetachStorageOnly", False), "-H": ("HuaweiMode", False),
    "-J": ("HuaweiNewMode", False), "-X": ("HuaweiAltMode", False), "-S": ("SierraMode", False),
    "-O": ("SonyMode", False), "-G": ("GCTMode", False), "-T": ("KobilMode", False),
    "-N": ("SequansMode", False), "-A": ("MobileActionMode", False), "-B": ("QisdaMode", False),
    "-E": ("QuantaMode", False), "-F": ("PantechMode", True), "-Z": ("BlackberryMode", False),
    "-L": ("CiscoMode", False), "-u": ("Configuration", True), "-a": ("AltSetting", True),
    "-i": ("Interface", True), "-R": ("ResetUSB", False), "-s": ("CheckSuccess", True),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hilkit switch", description="Switch a dongle's mode with usb_modeswitch's flags, over pyusb.")
    for flag, (key, takes_value) in FLAGS.items():
        if takes_value:
            parser.add_argument(flag, dest=key, metavar=key.upper(), help=f"{key} (hex for ids/classes/endpoints)")
        else:
            parser.add_argument(flag, dest=key, action="store_const", const=1, help=key)
    parser.add_argument("-c", dest="config_file", metavar="FILE", help="read the settings from a config file")
    parser.add_argument("-f", dest="config_text", metavar="TEXT", help="settings as config-file text")
    parser.add_argument("-b", dest="bus", type=int, help="bus number of the device")
    parser.add_argument("-g", dest="device", type=int, help="device number (address) on that bus")
    parser.add_argument("-W", dest="verbose", action="store_true", help="print every transfer")
    parser.add_argument("-Q", dest="quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("-D", dest="sysmode", action="store_true", help="print ok:ID or fail: on stdout")
    parser.add_argument("-I", dest="no_inquire", action="store_true", help="accepted for compatibility")
    parser.add_argument("--port", help="the device's USB port path (e.g. 1-1.3): "
                                       "the way to pick one of two identical sticks")
    parser.add_argument("--profile", help="take the switch from this profile (its first switch from the current mode)")
    parser.add_argument("--rig", help="rig file (default: lab/virtual.yaml)")
    parser.add_argument("--power-on", action="store_true", help="power the slot(s) first and wait for enumeration")
    return parser


def _settings(args: argparse.Namespace) -> dict[str, object]:
    raw: dict[str, object] = {}
    if args.config_file:
        path = Path(args.config_file)
        try:
            text = path.read_text()
        except OSError as exc:
            raise HilkitError(f"{path}: cannot read: {exc.strerror}") from None
        raw.update(parse_config_text(text, str(path)).raw)
    if args.config_text:
        raw.update(parse_config_text(args.config_text.replace(";", "\n"), "-f").raw)
    for _, (key, _) in FLAGS.items():
        value = getattr(args, key)
        if value is not None:
            raw[key] = value
    if "TargetProduct" in raw and "," in str(raw["TargetProduct"]):
        raw["TargetProductList"] = str(raw.pop("TargetProduct"))
    return raw


def run(argv: list[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    args = build_parser().parse_args(argv)
    say = (lambda text: None) if args.quiet else (lambda text: print(text, file=err))
    try:
        raw = _settings(args)
        rig = load_rig(rig_path(args.rig) if args.rig else default_rig(Path.cwd()) or "lab/virtual.yaml")
    except (SourceError, HilkitError) as exc:
        print(str(exc), file=err)
        return 2
    try:
        lab = open_lab(rig)
    except HilkitError as exc:
        print(f"Error: {exc}", file=err)
        return 2
    say(f"hilkit switch: on {_which_lab(rig, lab)}")
    switches = []
    try:
        if args.power_on:
            for powered in rig.slots:
                if args.port in (None, powered.port):
                    switch = lab.power_switch(powered)
                    switches.append(switch)
                    switch.on()
                    lab.bus.wait_until(powered.port, in_mode(powered.profile.initial_mode),
                                       powered.profile.budgets.enumerate, f"{powered.profile.key} to enumerate")
        port = _pick_port(lab.bus.devices(), args, raw, powered=bool(switches) or lab.can(Capability.HOST_HARDWARE))
        slot = next((s for s in rig.slots if s.port == port), None)
        if args.profile or (not raw.keys() - {"DefaultVendor", "DefaultProduct"} and slot is not None):
            raw = _from_profile(args.profile, slot, rig, lab.bus.device_at(port)) | raw
        config = SwitchConfig.from_mapping(raw)
        say(f"hilkit switch: port {port}, {config.as_config_text().strip().replace(chr(10), ', ')}")
        timeout = float(config.get("CheckSuccess") or (slot.profile.budgets.switch if slot else 20))
        settle = (slot.profile.budgets.settle if slot else Budgets().settle) * lab.time_scale
        result = NativeSwitchEngine(lab.bus).switch(port, config, timeout, settle=settle)
        if args.verbose:
            say(result.transfer_log().rstrip())
        after = result.after
        say(f"Mode switch succeeded: {after.summary() if after else 'device gone'} "
            f"after {result.reenumeration_time:.2f} s")
        if args.sysmode:
            print(f"ok:{after.id if after else 'no_data'}", file=out)
        return 0
    except SwitchRefused as exc:
        print(f"Error: {exc}", file=err)
        if args.sysmode:
            print("fail:", file=out)
        return 1
    except (SwitchFailed, HilkitError) as exc:
        print(f"Error: {exc}", file=err)
        hint = _hint(exc, raw)
        if hint:
            print(f"hint: {hint}", file=err)
        if args.sysmode:
            print("fail:", file=out)
        return 1
    finally:
        for switch in switches:
            switch.close()
        lab.close()


def _which_lab(rig: Rig, lab: LabBackend) -> str:
    """The first line says where the transfers go: a real bus or a simulated one."""
    if lab.can(Capability.HOST_HARDWARE) and not lab.can(Capability.FAULT_INJECTION):
        return f"this machine's USB bus (rig {rig.name}, {rig.path})"
    return (f"the simulated dongles of the {rig.backend} lab (rig {rig.name}, {rig.path}; "
            "--rig host acts on this machine's bus)")


def _hint(exc: Exception, raw: dict[str, object]) -> str:
    """What a usb_modeswitch user most likely meant, for the failures that have a usual cause."""
    seen = getattr(exc, "seen", None)
    if isinstance(exc, SwitchFailed) and exc.category is Category.WRONG_ID and seen is not None \
            and "TargetProduct" in raw:
        asked = str(raw["TargetProduct"])
        return (f"the device came back as {seen.id}: if that is the modem, accept it too with "
                f"-P {asked},{seen.id.product:04x} (usb_modeswitch's TargetProductList)")
    return ""


def _pick_port(devices: Sequence[DeviceInfo], args: argparse.Namespace, raw: dict[str, object],
               powered: bool = True) -> str:
    if args.port:
        if not any(d.port == args.port for d in devices):
            present = ", ".join(d.port for d in devices) or "none"
            raise HilkitError(f"no device on port {args.port} (present: {present})")
        return args.port
    if args.bus is not None and args.device is not None:
        for d in devices:
            if d.bus == args.bus and d.address == args.device:
                return d.port
        raise HilkitError(f"no device {args.device} on bus {args.bus}")
    config = SwitchConfig.from_mapping({k: v for k, v in raw.items() if k in ("DefaultVendor", "DefaultProduct")})
    vendor, product = config.get("DefaultVendor"), config.get("DefaultProduct")
    if vendor is None or product is None:
        raise HilkitError("name the device: --port PATH, -b BUS -g DEVICE, or -v VENDOR -p PRODUCT")
    matches = [d for d in devices if d.id.vendor == vendor and d.id.product == product]
    if not matches:
        present = ", ".join(f"{d.id} on {d.port}" for d in devices) or "nothing"
        hint = "" if powered else " (the lab's dongles start powered off: add --power-on)"
        raise HilkitError(f"no device {vendor:04x}:{product:04x} found (present: {present}){hint}")
    if len(matches) > 1:
        raise HilkitError(f"{len(matches)} devices are {vendor:04x}:{product:04x} (ports "
                          f"{', '.join(d.port for d in matches)}): name one with --port "
                          "(usb_modeswitch would silently take the last)")
    return matches[0].port


def _from_profile(key: str | None, slot: Slot | None, rig: Rig, info: DeviceInfo | None) -> dict[str, object]:
    from hilkit.core.modes import identify
    profile = rig.slot(slot.name).profile if slot and not key else None
    if key:
        from hilkit.config.profiles import ProfileLibrary
        profile = ProfileLibrary(rig.profile_dirs).get(key)
    if profile is None:
        raise HilkitError("no switch settings given and no profile for this port")
    mode = identify(profile, info)
    if mode is None:
        raise HilkitError(f"the device ({info.summary() if info else 'absent'}) is in no mode of {profile.key}")
    for sw in profile.switches:
        if sw.source == mode.name:
            return dict(sw.config.values)
    raise HilkitError(f"{profile.key} has no switch from mode {mode.name!r}")
