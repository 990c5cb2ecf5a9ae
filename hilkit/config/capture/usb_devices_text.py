"""Parse ``usb-devices`` / ``/sys/kernel/debug/usb/devices`` text (``T:``, ``D:``, ``P:``, ``S:``,
``C:``, ``A:``, ``I:``, ``E:`` lines) into the same :class:`CapturedDevice` records as ``lsusb -v``.

Forum posts and kernel patches (the ``usb-devices`` block every new id in ``option.c`` comes with)
carry dumps in this form. Lines may sit behind a prefix (a shell comment, a quote marker): only
what follows the tag matters. A record the text does not close (an ``E:`` before any ``I:``, a
``P:`` without ``D:``) is named by its line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from hilkit.config.capture.captured_device import (
    CapturedAssociation,
    CapturedConfiguration,
    CapturedDevice,
    CapturedEndpoint,
    CapturedInterface,
)
from hilkit.core.errors import ProfileError
from hilkit.core.ids import UsbId

_LINE = re.compile(r"^.*?\b([TDPSCAIE]):[ *]\s*(.*)$")
_PAIR = re.compile(r"(#?[A-Za-z]+#?)=\s*(\S+)")
_EP_TYPES = {"Ctrl": "control", "Isoc": "isochronous", "Bulk": "bulk", "Int.": "interrupt"}


@dataclass
class _Config:
    line: int
    pairs: dict[str, str]
    interfaces: list[CapturedInterface] = field(default_factory=list)
    associations: list[CapturedAssociation] = field(default_factory=list)


@dataclass
class _Device:
    line: int
    topology: dict[str, str]
    device: dict[str, str] = field(default_factory=dict)
    product: dict[str, str] = field(default_factory=dict)
    strings: dict[str, str] = field(default_factory=dict)
    configs: list[_Config] = field(default_factory=list)


def _hex(pairs: dict[str, str], key: str) -> int:
    return int(re.match(r"[0-9A-Fa-f]+", pairs[key]).group(0), 16)  # type: ignore[union-attr]


def _int(pairs: dict[str, str], key: str) -> int:
    return int(re.match(r"\d+", pairs[key]).group(0))  # type: ignore[union-attr]


def _bcd(text: str) -> int:
    major, _, minor = text.partition(".")
    return int(major) << 8 | int(minor or "0", 16)


def parse_usb_devices(text: str, path: str = "<stdin>") -> list[CapturedDevice]:
    """Every device in the text, in the order printed; :class:`ProfileError` names the line of a flaw."""
    devices: list[_Device] = []
    interface: dict[str, object] | None = None

    def close_interface() -> None:
        nonlocal interface
        if interface is not None:
            devices[-1].configs[-1].interfaces.append(CapturedInterface(**interface))  # type: ignore[arg-type]
            interface = None

    for number, raw in enumerate(text.splitlines(), start=1):
        match = _LINE.match(raw)
        if not match:
            continue
        tag, rest = match.groups()
        pairs = dict(_PAIR.findall(rest))
        try:
            if tag == "T":
                close_interface()
                devices.append(_Device(number, pairs))
                continue
            if not devices:
                raise ProfileError(path, number, f"{tag}:", "comes before any T: (topology) line of a device")
            device = devices[-1]
            if tag == "D":
                device.device = pairs
            elif tag == "P":
                device.product = pairs
            elif tag == "S":
                key, _, value = rest.partition("=")
                device.strings[key.strip()] = value.strip()
            elif tag == "C":
                close_interface()
                device.configs.append(_Config(number, pairs))
            elif tag == "A":
                if not device.configs:
                    raise ProfileError(path, number, "A:", "an interface association outside a configuration")
                device.configs[-1].associations.append(CapturedAssociation(
                    first_interface=_int(pairs, "FirstIf#"), interface_count=_int(pairs, "IfCount"),
                    cls=_hex(pairs, "Cls"), subclass=_hex(pairs, "Sub"), protocol=_hex(pairs, "Prot"), line=number))
            elif tag == "I":
                close_interface()
                if not device.configs:
                    raise ProfileError(path, number, "I:", "an interface outside a configuration (no C: before it)")
                driver = pairs.get("Driver", "")
                interface = {"number": _int(pairs, "If#"), "alt": _int(pairs, "Alt"), "cls": _hex(pairs, "Cls"),
                             "subclass": _hex(pairs, "Sub"), "protocol": _hex(pairs, "Prot"),
                             "driver": "" if driver == "(none)" else driver, "endpoints": (), "line": number}
            elif tag == "E":
                if interface is None:
                    raise ProfileError(path, number, "E:", "an endpoint outside an interface (no I: line before it)")
                address = _hex(pairs, "Ad")
                kind = re.search(r"\(([^)]*)\)", pairs["Atr"])
                interface["endpoints"] = (*interface["endpoints"], CapturedEndpoint(  # type: ignore[misc]
                    address=address, type=_EP_TYPES.get(kind.group(1) if kind else "", "bulk"),
                    max_packet=_int(pairs, "MxPS"), interval=_int(pairs, "Ivl"), line=number))
        except KeyError as exc:
            raise ProfileError(path, number, f"{tag}:", f"no {exc.args[0]}= field") from None
    close_interface()
    return [_device(d, path) for d in devices]


def _device(device: _Device, path: str) -> CapturedDevice:
    if not device.device or not device.product:
        raise ProfileError(path, device.line, "T:", "a device without its D: and P: lines")
    configs = tuple(CapturedConfiguration(
        value=_int(c.pairs, "Cfg#"), attributes=_hex(c.pairs, "Atr"), max_power_ma=_int(c.pairs, "MxPwr"),
        num_interfaces=_int(c.pairs, "#Ifs"), interfaces=tuple(c.interfaces), associations=tuple(c.associations),
        line=c.line) for c in device.configs)
    d, p = device.device, device.product
    return CapturedDevice(
        path=path, line=device.line, bus=_int(device.topology, "Bus"), address=_int(device.topology, "Dev#"),
        id=UsbId(_hex(p, "Vendor"), _hex(p, "ProdID")), bcd_usb=_bcd(d["Ver"]), device_class=_hex(d, "Cls"),
        device_subclass=_hex(d, "Sub"), device_protocol=_hex(d, "Prot"), num_configurations=_int(d, "#Cfgs"),
        configurations=configs, manufacturer=device.strings.get("Manufacturer", ""),
        product=device.strings.get("Product", ""), serial=device.strings.get("SerialNumber", ""),
        bcd_device=_bcd(p["Rev"]) if "Rev" in p else None, max_packet0=_int(d, "MxPS"))
