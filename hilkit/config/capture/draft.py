"""Turn a parsed :class:`CapturedDevice` into a hilkit device profile: a dict, then YAML text."""
from __future__ import annotations

from typing import Any

import yaml

from hilkit.config.capture.captured_device import CapturedAssociation, CapturedConfiguration, CapturedDevice
from hilkit.config.capture.interface_roles import guess_role
from hilkit.config.capture.naming import clean as _clean
from hilkit.config.capture.naming import device_names, profile_key, usb_ids_names
from hilkit.core.errors import ProfileError
from hilkit.core.ids import class_triple

_KNOWN_FUNCTIONS = {
    (0x02, 0x02): "CDC ACM", (0x02, 0x06): "CDC ECM", (0x02, 0x0C): "CDC EEM", (0x02, 0x0D): "CDC NCM",
    (0x02, 0x0E): "MBIM", (0xE0, 0x01): "RNDIS", (0xEF, 0x04): "RNDIS", (0x0A, 0x00): "CDC data",
    (0x08, 0x06): "mass storage", (0xFF, 0xFF): "vendor-specific",
}


def _what(cls: int, subclass: int) -> str:
    known = _KNOWN_FUNCTIONS.get((cls, subclass))
    return f" ({known})" if known else ""


def _roles(device: CapturedDevice, config: CapturedConfiguration) -> dict[tuple[int, int], str]:
    """Role per (number, alt); "first ff/ff/ff port" counts interfaces, so all alts of one agree."""
    roles: dict[tuple[int, int], str] = {}
    at_taken = False
    for number in config.numbers:
        for itf in (i for i in config.interfaces if i.number == number):
            roles[(itf.number, itf.alt)] = guess_role(itf.cls, itf.subclass, itf.protocol, at_taken=at_taken,
                                                      vendor=device.id.vendor)
        at_taken = at_taken or roles.get((number, 0)) == "at"
    return roles


def _mode_name(config: CapturedConfiguration, roles: dict[tuple[int, int], str]) -> str:
    first = config.interface(0)
    if first is not None and (first.cls, first.subclass, first.protocol) == (0x08, 0x06, 0x50):
        return "storage"
    if any(role in ("at", "ppp") for role in roles.values()):
        return "modem"
    if any(role == "net" and (i.cls, i.subclass) in ((0x02, 0x06), (0xE0, 0x01), (0xEF, 0x04))
           for i in config.interfaces for role in [roles[(i.number, i.alt)]]):
        return "hilink"
    return "default"


def _association_text(iad: CapturedAssociation) -> str:
    last = iad.first_interface + iad.interface_count - 1
    span = (f"interface {iad.first_interface}" if iad.interface_count == 1
            else f"interfaces {iad.first_interface}-{last}")
    text = (f"Interface Association: {span} (bFirstInterface {iad.first_interface}, bInterfaceCount "
            f"{iad.interface_count}), function {iad.classes}{_what(iad.cls, iad.subclass)}")
    if _clean(iad.name):
        text += f" {_clean(iad.name)!r}"
    if iad.next_interface is not None and iad.next_interface not in iad.interfaces:
        text += (f"; lsusb prints it before interface {iad.next_interface}, outside the interfaces it "
                 "names (kept as the device reports it)")
    return text + "."


def _fail_draft(device: CapturedDevice, line: int, key: str, problem: str) -> ProfileError:
    return ProfileError(device.path, line or device.line, key, problem)


def draft_profile(device: CapturedDevice, vendor: str | None = None, model: str | None = None) -> dict[str, Any]:
    """A profile (a dict valid against ``profile.schema.json``) describing ``device`` as captured.

    ``vendor``/``model`` are used as given; without them the names follow
    :func:`~hilkit.config.capture.naming.device_names` (``usb.ids`` names first, then the string
    descriptors, shortened: ``Huawei``/``E3372``).

    One mode, marked initial, from the first configuration listed: ``storage`` when interface 0 is
    ``08/06/50``, else ``modem`` when a port was guessed ``at``/``ppp``, else ``hilink`` when there
    is an ECM or RNDIS network function, else ``default``. Roles are guesses (:func:`guess_role`),
    listed in ``notes`` for review. The schema has no field for Interface Association descriptors,
    so ``description`` tells them in words.

    Raises :class:`ProfileError` (at the dump's line) for what a profile cannot hold: interface
    numbers with gaps, control endpoints.
    """
    config = device.configuration
    numbers = config.numbers
    if numbers != list(range(len(numbers))):
        raise _fail_draft(device, config.line, "bInterfaceNumber",
                          f"interface numbers {numbers} have gaps; a hilkit profile needs them to run "
                          f"0..{len(numbers) - 1}, so this device cannot be drafted as is")
    roles = _roles(device, config)
    interfaces: list[dict[str, Any]] = []
    odd_packets: list[str] = []
    for itf in config.interfaces:
        entry: dict[str, Any] = {"number": itf.number}
        if itf.alt:
            entry["alt"] = itf.alt
        entry.update({"class": itf.cls, "subclass": itf.subclass, "protocol": itf.protocol,
                      "role": roles[(itf.number, itf.alt)]})
        if _clean(itf.name):
            entry["name"] = _clean(itf.name)
        endpoints = []
        for ep in itf.endpoints:
            if ep.type == "control":
                raise _fail_draft(device, ep.line, "bmAttributes",
                                  f"endpoint 0x{ep.address:02x} is a control endpoint, which a profile cannot "
                                  "describe (expected bulk, interrupt or isochronous)")
            described: dict[str, Any] = {"address": ep.address, "type": ep.type}
            if 8 <= ep.max_packet <= 1024:
                described["max_packet"] = ep.max_packet
            else:
                odd_packets.append(f"0x{ep.address:02x} ({ep.max_packet} bytes)")
            endpoints.append(described)
        if endpoints:
            entry["endpoints"] = endpoints
        interfaces.append(entry)

    manufacturer, product = _clean(device.manufacturer), _clean(device.product)
    named_vendor, named_model = device_names(device)
    vendor_text = _clean(vendor or "") or named_vendor
    model_text = _clean(model or "") or named_model
    mode_name = _mode_name(config, roles)
    alt0 = [i for i in config.interfaces if i.alt == 0]
    summary = ", ".join(f"{i.number}: {i.classes} {roles[(i.number, 0)]}" for i in alt0)
    mode: dict[str, Any] = {
        "initial": True,
        "description": f"as captured: {summary} (roles guessed from class codes; review them)",
        "ids": [str(device.id)],
        "device_class": device.device_class,
        "configuration": config.value,
    }
    if manufacturer:
        mode["manufacturer"] = manufacturer
    if product:
        mode["product"] = product
    mode["interfaces"] = interfaces

    facts = [f"Captured from lsusb -v: {device.id} on bus {device.bus:03d} device {device.address:03d}, "
             f"USB {device.bcd_usb >> 8:x}.{device.bcd_usb & 0xff:02x}, device class "
             f"{class_triple(device.device_class, device.device_subclass, device.device_protocol)}"
             + (f", bcdDevice {device.bcd_device >> 8:x}.{device.bcd_device & 0xff:02x}"
                if device.bcd_device is not None else "") + "."]
    others = [c.value for c in device.configurations[1:]]
    facts.append(f"Configuration {config.value} ({len(numbers)} interfaces, {len(config.interfaces)} interface "
                 f"descriptors, MaxPower {config.max_power_ma}mA)"
                 + (f"; the device also has configuration{'s' if len(others) > 1 else ''} "
                    f"{', '.join(map(str, others))}, not drafted." if others else "."))
    facts += [_association_text(iad) for iad in config.associations]
    if not config.associations:
        facts.append("No Interface Association descriptors.")
    notes = [
        "Draft written by hilkit profiles capture. Roles are guesses from class codes: the first "
        "ff/ff/ff port is called at and further ff/ff/ff ports diag (on Huawei sticks the third port is "
        "often a second AT port); check which ports answer AT before relying on them. Add switches, "
        "attach and budgets by hand.",
    ]
    sources = ("usb.ids vendor", "usb.ids product", "iManufacturer", "iProduct")
    said = [f"{what} {text!r}" for what, text in
            zip(sources, (*usb_ids_names(device), manufacturer, product), strict=True) if text]
    if said and not (vendor and model):
        notes.append(f"Named {vendor_text!r} / {model_text!r} from what lsusb showed: {', '.join(said)} "
                     "(usb.ids names first, shortened; rename freely).")
    if odd_packets:
        notes.append("max_packet left out (the schema allows 8-1024) for endpoint"
                     f"{'s' if len(odd_packets) > 1 else ''} {', '.join(odd_packets)}.")
    if device.notes:
        notes.append("lsusb said: " + "; ".join(_clean(n) for n in device.notes) + " (strings may be missing).")
    return {
        "vendor": vendor_text,
        "model": model_text,
        "description": " ".join(facts),
        "source": f"captured from lsusb -v ({_clean(device.path) or '<stdin>'})",
        "notes": " ".join(notes),
        "modes": {mode_name: mode},
    }


#: keys the shipped profiles write in hex (``class: 0xff``, ``address: 0x81``); the rest stay decimal
HEX_KEYS = frozenset({"device_class", "class", "subclass", "protocol", "address"})


class _HexInt(int):
    """An int written as ``0x..`` (at least two digits), which YAML 1.1 reads back as the same int."""


class _OneLine(dict):
    """A mapping written on one line, as the shipped profiles write endpoints: ``{address: 0x81, type: bulk}``."""


class _DraftDumper(yaml.SafeDumper):
    """``yaml.safe_dump`` plus :class:`_HexInt` and :class:`_OneLine`."""


_DraftDumper.add_representer(
    _HexInt, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:int", f"0x{int(value):02x}"))
_DraftDumper.add_representer(
    _OneLine, lambda dumper, value: dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=True))


def _styled(value: Any, key: str = "") -> Any:
    """``value`` with the ints under :data:`HEX_KEYS` as :class:`_HexInt`, endpoints as :class:`_OneLine`."""
    if isinstance(value, dict):
        styled = {k: _styled(v, k) for k, v in value.items()}
        return _OneLine(styled) if key == "endpoints" else styled
    if isinstance(value, list):
        return [_styled(item, key) for item in value]
    if key in HEX_KEYS and isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return _HexInt(value)
    return value


def draft_yaml(profile: dict[str, Any], allow_unicode: bool = True) -> str:
    """The profile as YAML text that :func:`hilkit.config.profiles.load_profile` accepts from a file.

    Written the way the shipped profiles are: class codes, device class and endpoint addresses in
    hex (``class: 0xff``, ``address: 0x81``), each endpoint on one line. The header comment names
    the profile key (:func:`~hilkit.config.capture.naming.profile_key`) to save it under.
    ``allow_unicode=False`` writes non-ASCII characters as ``\\u`` escapes (for an ASCII terminal).
    """
    key = profile_key(str(profile.get("vendor", "")), str(profile.get("model", "")))
    header = ("# Draft profile from `hilkit profiles capture` (lsusb -v). Interface roles are guesses:\n"
              "# review them, then add switches, attach and budgets. Check with: hilkit profiles check FILE\n"
              f"# Profile key: {key} (save it as <profiles folder>/{key}.yaml)\n")
    body = yaml.dump(_styled(profile), Dumper=_DraftDumper, sort_keys=False, allow_unicode=allow_unicode,
                     default_flow_style=False, width=100)
    return header + body
