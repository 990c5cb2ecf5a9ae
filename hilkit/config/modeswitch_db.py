"""Import usb-modeswitch-data (the configPack tarball plus /etc/usb_modeswitch.d overrides) as profiles.

Each database entry becomes one profile: a ``default`` mode (the id in the entry's name, showing the
storage interface the switch talks to), a ``target`` mode (the ids, class or configuration the
success check expects) and one switch holding the entry's keys verbatim. The database gives ids and
switch keys only, so its modes say ``known: ids``: the device class and interfaces are placeholders
the virtual dongle shows for what the switch needs, and a mode check on a device asserts the ids
(and configuration) only. A contributor who owns the device replaces them with a captured profile.

The output is deterministic (sorted, no timestamps): importing the same tarball twice writes the
same bytes, which a test checks against the copy kept in the repository.
"""
from __future__ import annotations

import hashlib
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hilkit.config.modeswitch_file import ConfigFile, parse_config_text
from hilkit.core.errors import ProfileError
from hilkit.core.switch_plan import special_modes
from hilkit.core.switchconfig import SwitchConfig

DEFAULT_TARBALL = Path("/usr/share/usb_modeswitch/configPack.tar.gz")
DEFAULT_OVERRIDES = Path("/etc/usb_modeswitch.d")
_NAME = re.compile(r"^([0-9a-fA-F]{4}):([0-9a-fA-F]{4})(?::(uMa|uPr|uSe|sVe|sMo)=(.+))?$")
MATCH_FIELDS = {"uMa": "manufacturer", "uPr": "product", "uSe": "serial", "sVe": "scsi_vendor",
                "sMo": "scsi_model"}
VENDORS = {
    "03f0": "HP", "0408": "Quanta", "0421": "Nokia", "0471": "Philips", "0482": "Kyocera", "04cc": "ST-Ericsson",
    "04e8": "Samsung", "05c6": "Qualcomm", "0685": "ZTE", "07d1": "D-Link", "0af0": "Option", "0b3c": "Olivetti",
    "0bda": "Realtek", "0e8d": "MediaTek", "1004": "LG", "106c": "Pantech", "1199": "Sierra Wireless",
    "12d1": "Huawei", "1410": "Novatel", "1435": "AnyDATA", "19d2": "ZTE", "1bbb": "Alcatel/T&A",
    "1c9e": "Longcheer", "1e0e": "Qualcomm/Option", "2001": "D-Link", "2020": "Fibocom", "201e": "Haier",
    "2357": "TP-Link", "413c": "Dell", "1d09": "TechFaith", "0fce": "Sony Ericsson", "1033": "NEC",
}


@dataclass(frozen=True)
class Entry:
    name: str          # the file name in the database: 12d1:1446 or 05c6:1000:uMa=Option
    text: str
    origin: str        # "configPack.tar.gz" or the override file's path


def read_database(tarball: Path = DEFAULT_TARBALL, overrides: Path | None = DEFAULT_OVERRIDES) -> list[Entry]:
    """Every config entry, overrides from ``overrides`` (a directory) replacing same-named ones."""
    entries: dict[str, Entry] = {}
    with tarfile.open(tarball, "r:gz") as pack:
        for member in pack.getmembers():
            name = Path(member.name).name
            if member.isfile() and _NAME.match(name):
                data = pack.extractfile(member)
                assert data is not None
                entries[name] = Entry(name, data.read().decode("utf-8", errors="replace"), tarball.name)
    if overrides is not None and overrides.is_dir():
        for path in sorted(overrides.iterdir()):
            if path.is_file() and _NAME.match(path.name):
                entries[path.name] = Entry(path.name, path.read_text(errors="replace"), str(path))
    return [entries[k] for k in sorted(entries)]


def profile_key(name: str) -> str:
    """``05c6:1000:uMa=Co.,Ltd`` -> ``usb-modeswitch-data/05c6/1000-uma-co-ltd``."""
    match = _NAME.match(name)
    assert match, name
    vid, pid, attr, value = match.groups()
    leaf = pid.lower()
    if attr:
        leaf += "-" + re.sub(r"[^a-z0-9]+", "-", f"{attr}-{value}".lower()).strip("-")
    return f"usb-modeswitch-data/{vid.lower()}/{leaf}"


def _default_interfaces(config: SwitchConfig) -> list[dict[str, Any]]:
    """What the switch needs to find on the device: the interface it talks to, with its endpoints."""
    number = config.get("Interface", 0) or 0
    mobile_action = config.flag("MobileActionMode")  # its endpoints are fixed: interrupt 0x02 OUT, 0x81 IN
    out_ep = config.get("MessageEndpoint") or (0x02 if mobile_action else 0x01)
    in_ep = config.get("ResponseEndpoint") or 0x81
    kind = "interrupt" if mobile_action else "bulk"
    interfaces = [{"number": n, "class": Hex(0xFF), "subclass": Hex(0xFF), "protocol": Hex(0xFF), "role": "other"}
                  for n in range(number)]
    # ResponseEndpoint=0x01 occurs (raw-message configs that never read): the IN endpoint the
    # device really has is then the OUT one's twin
    endpoints = [{"address": Hex(in_ep if in_ep & 0x80 else out_ep | 0x80), "type": kind},
                 {"address": Hex(out_ep), "type": kind}]
    if mobile_action:  # a data cable that starts as a HID-like device, not a CD-ROM (placeholder class 03)
        interfaces.append({"number": number, "class": Hex(0x03), "subclass": Hex(0), "protocol": Hex(0),
                           "role": "other", "endpoints": endpoints})
    else:
        interfaces.append({"number": number, "class": Hex(0x08), "subclass": Hex(0x06), "protocol": Hex(0x50),
                           "role": "storage", "endpoints": endpoints})
    return interfaces


def _target_interfaces(cls: int) -> list[dict[str, Any]]:
    triple = (0xFF, 0xFF, 0xFF) if cls == 0xFF else (cls, 0, 0)
    return [{"number": 0, "class": Hex(triple[0]), "subclass": Hex(triple[1]), "protocol": Hex(triple[2]),
             "role": "other"}]


def profile_for(entry: Entry, parsed: ConfigFile) -> dict[str, Any]:
    match = _NAME.match(entry.name)
    assert match
    vid, pid, attr, value = match.groups()
    vid, pid = vid.lower(), pid.lower()
    config = parsed.config()
    raw = {"DefaultVendor": Hex4(int(vid, 16)), "DefaultProduct": Hex4(int(pid, 16)), **_hexed(config)}
    default = {"initial": True, "ids": [f"{vid}:{pid}"], "known": "ids", "device_class": Hex(0),
               "interfaces": _default_interfaces(config)}
    configuration = config.get("Configuration", 0) or 0
    if configuration == 1:
        # the kernel chose another configuration (e.g. MBIM) at enumeration, or there is nothing to switch
        default["configuration"] = 2
    profile: dict[str, Any] = {
        "vendor": VENDORS.get(vid, f"vendor {vid}"),
        "model": parsed.title or entry.name,
        "description": " / ".join(parsed.comments) or entry.name,
        "source": f"usb-modeswitch-data entry {entry.name} ({entry.origin}); imported by hilkit profiles import",
    }
    if attr:
        profile["match"] = {MATCH_FIELDS[attr]: value}
    target: dict[str, Any] | None = None
    tv, products, tclass = config.get("TargetVendor"), config.target_products, config.get("TargetClass")
    if tv is not None and products:
        target = {"ids": [f"{tv:04x}:{p:04x}" for p in products], "device_class": Hex(0),
                  "interfaces": _target_interfaces(tclass if tclass is not None else 0xFF)}
    elif tclass is not None:
        target = {"ids": [f"{vid}:{pid}"], "device_class": 0, "interfaces": _target_interfaces(tclass)}
    elif configuration:
        target = {"ids": [f"{vid}:{pid}"], "device_class": 0, "configuration": configuration,
                  "interfaces": _target_interfaces(0xFF)}
    elif special_modes(config) or config.messages or config.flag("StandardEject"):
        # no success data: usb_modeswitch only checks that the original device went away
        target = {"ids": [f"{vid}:{pid}"], "device_class": 0, "interfaces": _target_interfaces(0xFF)}
    if target is not None:
        target = {"ids": target.pop("ids"), "known": "ids", **target}
    if target is not None and configuration and "configuration" not in target:
        target["configuration"] = configuration
    profile["modes"] = {"default": default} | ({"target": target} if target else {})
    profile["switches"] = [{"name": f"usb-modeswitch-data {entry.name}", "from": "default",
                            "to": "target" if target else "default", "config": raw}]
    profile["virtual"] = {"enumerate_delay": 0.0, "reenumerate_delay": 0.005}
    return profile


class Hex(int):
    """An int written in hex: ids with 4 digits, classes and endpoints with 2."""


class Hex4(Hex):
    pass


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(Hex, lambda d, v: d.represent_scalar("tag:yaml.org,2002:int", f"0x{int(v):02x}"))
_Dumper.add_representer(Hex4, lambda d, v: d.represent_scalar("tag:yaml.org,2002:int", f"0x{int(v):04x}"))


def _hexed(config: SwitchConfig) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in config.values.items():
        if key.endswith(("Vendor", "Product")):
            out[key] = Hex4(value)
        elif key in ("TargetClass", "MessageEndpoint", "ResponseEndpoint"):
            out[key] = Hex(value)
        else:
            out[key] = value
    return out


def render(entry: Entry, profile: dict[str, Any]) -> str:
    header = (f"# Generated by `hilkit profiles import` from usb-modeswitch-data ({entry.origin}), entry "
              f"{entry.name}.\n# Do not edit: re-run the import. Only ids and switch keys come from the "
              "database;\n# the modes know their ids only (known: ids): their classes and interfaces are placeholders\n"
              "# the virtual dongle shows for what the switch needs, and are not asserted on a device.\n")
    return header + yaml.dump(profile, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


@dataclass
class ImportReport:
    written: int = 0
    unchanged: int = 0
    errors: list[str] | None = None


def import_database(out_dir: Path, tarball: Path = DEFAULT_TARBALL,
                    overrides: Path | None = DEFAULT_OVERRIDES) -> ImportReport:
    """Write one profile per entry under ``out_dir`` (keys usb-modeswitch-data/<vid>/<pid>...)."""
    errors: list[str] = []
    report = ImportReport(errors=errors)
    root = out_dir
    for entry in read_database(tarball, overrides):
        try:
            parsed = parse_config_text(entry.text, f"{entry.origin}:{entry.name}")
        except ProfileError as exc:  # one bad entry must not stop the others; reported per entry
            errors.append(str(exc))
            continue
        text = render(entry, profile_for(entry, parsed))
        path = root / (profile_key(entry.name).split("/", 1)[1] + ".yaml")
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            report.unchanged += 1
            continue
        path.write_text(text, encoding="utf-8")
        report.written += 1
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    (root / "SOURCE.txt").write_text(
        f"usb-modeswitch-data imported from {tarball.name}\nsha256 {digest}\n"
        f"entries {report.written + report.unchanged}\n", encoding="utf-8")
    return report
