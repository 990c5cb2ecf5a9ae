"""Draft a device profile from ``lsusb -v`` output: ``hilkit profiles capture DUMP``.

Someone with the stick runs ``lsusb -v -d vvvv:pppp`` (or plain ``lsusb -v``), pastes the output
into a file, and gets a profile draft that ``hilkit profiles check`` accepts: ids, device class,
configuration and every interface descriptor (alt settings included) with its endpoints. What a
dump cannot tell (which port answers AT commands, switches, attach) is left for a human: interface
roles are *guesses* from class codes (see :func:`guess_role`) and the draft says so.

The parser is tolerant of the noise real dumps carry (CDC functional descriptors, ``** UNRECOGNIZED``
lines, Device Qualifier, Device Status, hub and BOS descriptors, "can't get debug descriptor",
"Couldn't open device", class names after numbers, trailing spaces, tabs) and strict about
structure: a dump that is cut off or garbled raises :class:`~hilkit.core.errors.ProfileError` naming the
line (``dump.txt:35: bNumEndpoints: says 3, but 2 Endpoint Descriptors follow ...``). It raises
nothing else for any input text.

Structure is read from the descriptor headers and their indentation, the way ``lsusb -v`` prints
them: ``Device Descriptor:`` > ``Configuration Descriptor:`` > ``Interface Association:`` /
``Interface Descriptor:`` > ``Endpoint Descriptor:``; a header ends where a line is indented no
deeper than it. Any other header (``CDC Header:``, ``HID Device Descriptor:``, ``Device Qualifier
(for other device speed):``, ``Hub Descriptor:``, ...) opens a block that is skipped. Forums often
strip the indentation of a pasted dump: when the line after ``Device Descriptor:`` is not indented
deeper than it, the device is read from its headers alone (a skipped block then runs to the next
known header).

What is checked: every descriptor has the fields it needs, numbers are numbers in range,
``bNumEndpoints``/``bNumInterfaces``/``bNumConfigurations`` match what follows, no interface/alt,
endpoint or configuration value appears twice, every interface has alt setting 0, the ids match
the Bus line, and what lsusb prints twice agrees (``EP 1 IN`` after the address, ``Transfer Type``
after ``bmAttributes``, ``1x 512 bytes`` after ``wMaxPacketSize``). A text cut right after a
complete descriptor, where all counts still add up (after the last alt setting printed so far,
say), cannot be told from a whole dump.
"""
from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml

from hilkit.core.errors import ProfileError
from hilkit.core.ids import UsbId, class_triple

__all__ = ["CapturedAssociation", "CapturedConfiguration", "CapturedDevice", "CapturedEndpoint",
           "CapturedInterface", "capture_command", "draft_profile", "draft_yaml", "guess_role",
           "parse_lsusb"]

HUAWEI = 0x12D1
HUB_CLASS = 0x09


# --- what a dump says -------------------------------------------------------------------------

@dataclass(frozen=True)
class CapturedEndpoint:
    address: int
    type: str            # control, isochronous, bulk or interrupt (bmAttributes bits 0-1)
    max_packet: int      # bytes per packet: bits 0-10 of wMaxPacketSize
    interval: int
    attributes: int = 0
    packets_per_microframe: int = 1  # bits 11-12 of wMaxPacketSize, plus one (high-bandwidth endpoints)
    line: int = 0

    @property
    def is_in(self) -> bool:
        return bool(self.address & 0x80)


@dataclass(frozen=True)
class CapturedInterface:
    """One interface descriptor: an (interface number, alternate setting) pair."""

    number: int
    alt: int
    cls: int
    subclass: int
    protocol: int
    name: str = ""       # the iInterface string ("" when there is none or lsusb could not read it)
    endpoints: tuple[CapturedEndpoint, ...] = ()
    line: int = 0

    @property
    def classes(self) -> str:
        return class_triple(self.cls, self.subclass, self.protocol)


@dataclass(frozen=True)
class CapturedAssociation:
    """An Interface Association descriptor (IAD): groups interfaces into one function."""

    first_interface: int
    interface_count: int
    cls: int
    subclass: int
    protocol: int
    name: str = ""       # the iFunction string
    next_interface: int | None = None  # number of the interface descriptor printed right after it
    line: int = 0

    @property
    def classes(self) -> str:
        return class_triple(self.cls, self.subclass, self.protocol)

    @property
    def interfaces(self) -> range:
        return range(self.first_interface, self.first_interface + self.interface_count)


@dataclass(frozen=True)
class CapturedConfiguration:
    value: int           # bConfigurationValue
    attributes: int      # bmAttributes
    max_power_ma: int
    num_interfaces: int  # bNumInterfaces
    interfaces: tuple[CapturedInterface, ...]
    associations: tuple[CapturedAssociation, ...] = ()
    name: str = ""       # the iConfiguration string
    line: int = 0

    @property
    def numbers(self) -> list[int]:
        return sorted({i.number for i in self.interfaces})

    def interface(self, number: int, alt: int = 0) -> CapturedInterface | None:
        return next((i for i in self.interfaces if i.number == number and i.alt == alt), None)


@dataclass(frozen=True)
class CapturedDevice:
    path: str            # the file the dump came from ("<stdin>")
    line: int            # its "Bus NNN Device NNN: ID vvvv:pppp" line
    bus: int
    address: int
    id: UsbId
    bcd_usb: int
    device_class: int
    device_subclass: int
    device_protocol: int
    num_configurations: int
    configurations: tuple[CapturedConfiguration, ...]
    manufacturer: str = ""   # the iManufacturer string
    product: str = ""        # the iProduct string
    serial: str = ""
    vendor_name: str = ""    # what lsusb's usb.ids says after idVendor and idProduct
    product_name: str = ""
    bcd_device: int | None = None
    max_packet0: int | None = None
    notes: tuple[str, ...] = ()  # "Couldn't open device ..." and the like

    @property
    def is_hub(self) -> bool:
        return self.device_class == HUB_CLASS

    @property
    def configuration(self) -> CapturedConfiguration:
        """The first configuration listed (the one a draft describes)."""
        return self.configurations[0]


# --- parsing ----------------------------------------------------------------------------------

_BUS_LIKE = re.compile(r"Bus\s+[0-9]")
_BUS = re.compile(r"Bus\s+([0-9]{1,3})\s+Device\s+([0-9]{1,3}):\s+ID\s+([0-9a-fA-F]{4}):([0-9a-fA-F]{4})"
                  r"(?:\s+(.*))?")
_NUMBER = re.compile(r"0[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10})")
_BCD = re.compile(r"([0-9a-fA-F]{1,2})\.([0-9a-fA-F]{2})")
_STRING = re.compile(r"([0-9]{1,3})(?:\s+(.*))?")
_POWER = re.compile(r"([0-9]{1,5})\s*mA\b")
_EP_WORDS = re.compile(r"\bEP\s+([0-9]{1,2})\s+(IN|OUT)\b")
_PACKETS = re.compile(r"\b([123])x\s+([0-9]{1,5})\s+bytes\b")
_TYPES = ("control", "isochronous", "bulk", "interrupt")


class _Bad(Exception):
    """A value that does not parse; turned into a ProfileError with the line and key."""


def _show(text: str) -> str:
    text = text.strip()
    return ascii(text if len(text) <= 40 else text[:37] + "...")  # ascii: a look-alike letter shows as \u....


def _number(rest: str, low: int = 0, high: int = 0xFF) -> int:
    token = rest.split(None, 1)[0] if rest.strip() else ""
    if not token:
        raise _Bad("expected a number, got nothing")
    match = _NUMBER.fullmatch(token)
    if not match:
        raise _Bad(f"expected a number (decimal or 0x hex), got {_show(token)}")
    value = int(match.group(1), 16) if match.group(1) is not None else int(match.group(2))
    if not low <= value <= high:
        raise _Bad(f"{token} is out of range (expected {low}-{high})")
    return value


def _byte(rest: str) -> int:
    return _number(rest)


def _word_named(rest: str) -> tuple[int, str]:
    value = _number(rest, 0, 0xFFFF)
    parts = rest.split(None, 1)
    return value, parts[1].strip() if len(parts) > 1 else ""


def _bcd(rest: str) -> int:
    token = rest.split(None, 1)[0] if rest.strip() else ""
    match = _BCD.fullmatch(token)
    if not match:
        raise _Bad(f"expected a BCD version like 2.00, got {_show(token) if token else 'nothing'}")
    return int(match.group(1), 16) << 8 | int(match.group(2), 16)


def _string(rest: str) -> str:
    """``1 HUAWEI`` (index and string, as lsusb prints it) or just the string."""
    rest = rest.strip()
    match = _STRING.fullmatch(rest)
    if match:
        return (match.group(2) or "").strip()
    return rest


def _power(rest: str) -> int:
    match = _POWER.match(rest.strip())
    if not match:
        raise _Bad(f"expected a current like 500mA, got {_show(rest) if rest.strip() else 'nothing'}")
    return int(match.group(1))


def _config_value(rest: str) -> int:
    value = _number(rest)
    if value == 0:
        raise _Bad("0 is not a configuration value (expected 1-255; 0 means unconfigured)")
    return value


def _endpoint_address(rest: str) -> int:
    address = _number(rest)
    if address & 0x70 or not address & 0x0F:
        raise _Bad(f"0x{address:02x} is not an endpoint address (expected 0x01-0x0f or 0x81-0x8f)")
    words = _EP_WORDS.search(rest)
    if words:
        number, direction = int(words.group(1)), words.group(2)
        if number != address & 0x0F or (direction == "IN") != bool(address & 0x80):
            raise _Bad(f"0x{address:02x} does not match {words.group(0)!r} printed after it "
                       f"(expected EP {address & 0x0f} {'IN' if address & 0x80 else 'OUT'})")
    return address


def _max_packet(rest: str) -> int:
    raw = _number(rest, 0, 0xFFFF)
    size, mult = raw & 0x7FF, ((raw >> 11) & 3) + 1
    if size > 1024:
        raise _Bad(f"0x{raw:04x} gives {size}-byte packets (expected at most 1024)")
    words = _PACKETS.search(rest)
    if words and (int(words.group(1)), int(words.group(2))) != (mult, size):
        raise _Bad(f"0x{raw:04x} does not match {words.group(0)!r} printed after it "
                   f"(expected {mult}x {size} bytes)")
    return raw


def _transfer_type(rest: str) -> str:
    word = rest.split(None, 1)[0].lower() if rest.strip() else ""
    if word not in _TYPES:
        raise _Bad(f"expected Control, Isochronous, Bulk or Interrupt, got {_show(rest) if word else 'nothing'}")
    return word


#: per block kind: key -> value parser. Keys not listed are ignored (bLength, Synch Type, CDC, ...).
_KEYS: dict[str, dict[str, Callable[[str], Any]]] = {
    "device": {"bcdUSB": _bcd, "bDeviceClass": _byte, "bDeviceSubClass": _byte, "bDeviceProtocol": _byte,
               "bMaxPacketSize0": _byte, "idVendor": _word_named, "idProduct": _word_named, "bcdDevice": _bcd,
               "iManufacturer": _string, "iProduct": _string, "iSerial": _string, "bNumConfigurations": _byte},
    "config": {"bNumInterfaces": _byte, "bConfigurationValue": _config_value, "iConfiguration": _string,
               "bmAttributes": _byte, "MaxPower": _power},
    "iad": {"bFirstInterface": _byte, "bInterfaceCount": _byte, "bFunctionClass": _byte,
            "bFunctionSubClass": _byte, "bFunctionProtocol": _byte, "iFunction": _string},
    "interface": {"bInterfaceNumber": _byte, "bAlternateSetting": _byte, "bNumEndpoints": _byte,
                  "bInterfaceClass": _byte, "bInterfaceSubClass": _byte, "bInterfaceProtocol": _byte,
                  "iInterface": _string},
    "endpoint": {"bEndpointAddress": _endpoint_address, "bmAttributes": _byte, "Transfer Type": _transfer_type,
                 "wMaxPacketSize": _max_packet, "bInterval": _byte},
}
_REQUIRED = {
    "device": ("bcdUSB", "bDeviceClass", "bDeviceSubClass", "bDeviceProtocol", "idVendor", "idProduct",
               "bNumConfigurations"),
    "config": ("bNumInterfaces", "bConfigurationValue", "bmAttributes", "MaxPower"),
    "iad": ("bFirstInterface", "bInterfaceCount", "bFunctionClass", "bFunctionSubClass", "bFunctionProtocol"),
    "interface": ("bInterfaceNumber", "bAlternateSetting", "bNumEndpoints", "bInterfaceClass",
                  "bInterfaceSubClass", "bInterfaceProtocol"),
    "endpoint": ("bEndpointAddress", "bmAttributes", "wMaxPacketSize", "bInterval"),
}
_HEADERS = {"Device Descriptor": "device", "Configuration Descriptor": "config", "Interface Association": "iad",
            "Interface Descriptor": "interface", "Endpoint Descriptor": "endpoint"}
_TITLE = {kind: header for header, kind in _HEADERS.items()}
#: the indentation lsusb gives each header; used for dumps whose indentation a forum flattened
_CANONICAL = {"device": 0, "config": 2, "iad": 4, "interface": 4, "endpoint": 6}
_PARENT = {"device": None, "config": "device", "iad": "config", "interface": "config", "endpoint": "interface"}
#: keys shared by several descriptors (or by skipped ones): never a sign of a misplaced line
_SHARED = {"bmAttributes"}
#: key -> the descriptor it belongs to, for keys that name exactly one
_OWNER = {key: kind for kind, keys in _KEYS.items() for key in keys if key not in _SHARED}
#: keys that only ever appear in their own descriptor, even inside skipped blocks (the Device
#: Qualifier repeats device keys, so those are not here)
_STRUCTURAL = {"bConfigurationValue", "bNumInterfaces", "bFirstInterface", "bInterfaceNumber",
               "bAlternateSetting", "bNumEndpoints", "bInterfaceClass", "bEndpointAddress"}


@dataclass
class _Block:
    kind: str            # device, config, iad, interface, endpoint, or skip
    indent: int
    line: int
    title: str = ""
    last: int = 0        # its last line, known when it closes
    values: dict[str, tuple[Any, int]] = field(default_factory=dict)
    children: list[Any] = field(default_factory=list)      # built children (configs, interfaces, endpoints)
    associations: list[tuple[Any, int]] = field(default_factory=list)  # (iad fields, interfaces before it)

    def get(self, key: str, default: Any = None) -> Any:
        return self.values[key][0] if key in self.values else default

    def line_of(self, key: str) -> int:
        return self.values[key][1] if key in self.values else self.line


def _split_lines(text: str) -> list[str]:
    return re.split(r"\r\n|\r|\n", text)


def _key_of(body: str) -> tuple[str, str]:
    for two_words in ("Transfer Type", "Synch Type", "Usage Type"):
        if body.startswith(two_words) and (len(body) == len(two_words) or body[len(two_words)].isspace()):
            return two_words, body[len(two_words):]
    parts = body.split(None, 1)
    return parts[0], (parts[1] if len(parts) > 1 else "")


class _Parser:
    def __init__(self, text: str, path: str) -> None:
        self.path = path
        self.lines = _split_lines(text)
        self.last_line = max((n for n, raw in enumerate(self.lines, 1) if raw.strip()), default=0)
        self.devices: list[CapturedDevice] = []
        self.stack: list[_Block] = []
        self.bus: tuple[int, re.Match[str]] | None = None  # (line, match) of the current device's Bus line
        self.device: CapturedDevice | None = None          # the current Bus line's device, once closed
        self.notes: list[str] = []
        self.previous = 0  # the last non-blank line handled
        self.flat = False  # the current device's lines all start at the same column (a forum paste)

    def fail(self, line: int, key: str, problem: str) -> ProfileError:
        return ProfileError(self.path, line, key, problem)

    # -- driving --

    def parse(self) -> list[CapturedDevice]:
        for number, raw in enumerate(self.lines, 1):
            text = raw.expandtabs(8).rstrip()
            body = text.strip()
            if not body:
                continue
            indent = len(text) - len(text.lstrip())
            if _BUS_LIKE.match(body):
                self.bus_line(number, body)
                continue
            is_header = body.endswith(":") and ": " not in body.rstrip(":")
            name = body[:-1].strip() if is_header else ""
            if self.flat:
                indent = self.flat_indent(name)
            elif name == "Device Descriptor" and not self.stack and self.looks_flat(number, indent):
                self.flat, indent = True, 0
            self.check_indent(number, indent, body)
            while self.stack and indent <= self.stack[-1].indent:
                self.close(self.stack.pop(), eof=False)
            self.previous = number
            if is_header:
                self.header(number, indent, name)
            else:
                self.not_a_header(number, body)
                self.field(number, body)
        self.end_device(eof=True)
        if not self.devices:
            if self.last_line == 0:
                raise ProfileError(self.path, None, "", "empty: expected the output of lsusb -v")
            raise self.fail(1, "Bus line", "no 'Bus NNN Device NNN: ID vvvv:pppp' line in the text "
                                           "(expected the output of lsusb -v)")
        return self.devices

    def bus_line(self, number: int, body: str) -> None:
        match = _BUS.fullmatch(body)
        if not match:
            raise self.fail(number, "Bus line", f"garbled: {_show(body)} (expected "
                                                "'Bus NNN Device NNN: ID vvvv:pppp ...')")
        self.end_device(eof=False, before=number)
        self.previous = number
        self.bus = (number, match)
        self.device = None
        self.notes = []
        self.flat = False

    def end_device(self, eof: bool, before: int | None = None) -> None:
        while self.stack:
            self.close(self.stack.pop(), eof=eof)
        if self.bus is not None and self.device is None:
            line = self.bus[0]
            raise self.fail(line, "Device Descriptor", "missing: no 'Device Descriptor:' follows this Bus line "
                            + ("before the end of the text (cut off? or lsusb without -v?)" if eof
                               else f"before the next one at line {before} (lsusb without -v?)"))
        if self.device is not None:
            self.devices.append(self.device)

    # -- lines --

    def looks_flat(self, number: int, indent: int) -> bool:
        """Is the line after this Device Descriptor header indented no deeper than it?"""
        for raw in self.lines[number:]:
            text = raw.expandtabs(8).rstrip()
            if text.strip():
                return not _BUS_LIKE.match(text.strip()) and len(text) - len(text.lstrip()) <= indent
        return False

    def flat_indent(self, name: str) -> int:
        """The indentation lsusb would have given a line of a flattened dump: known headers their
        own, other headers one step under the descriptor they are in, other lines one step under
        the block they are in (so a skipped block runs to the next known header)."""
        kind = _HEADERS.get(name)
        if kind is not None:
            return _CANONICAL[kind]
        if name:
            known = next((b for b in reversed(self.stack) if b.kind != "skip"), None)
            return known.indent + 2 if known is not None else 0
        return self.stack[-1].indent + 2 if self.stack else 0

    def header(self, number: int, indent: int, name: str) -> None:
        kind = _HEADERS.get(name)
        top = self.stack[-1] if self.stack else None
        if kind is None or (top is not None and top.kind == "skip"):
            self.stack.append(_Block("skip", indent, number, title=name))
            return
        parent = _PARENT[kind]
        if kind == "device":
            if top is not None:
                raise self.fail(number, name, f"inside the {_TITLE.get(top.kind, top.title)} of line {top.line} "
                                "(expected a Device Descriptor to start at the left margin)")
            if self.bus is None:
                raise self.fail(number, name, "no 'Bus NNN Device NNN: ID vvvv:pppp' line before it "
                                              "(lsusb -v prints one above every device)")
            if self.device is not None:
                raise self.fail(number, name, f"a second Device Descriptor for the Bus line at line {self.bus[0]} "
                                              "(expected a new 'Bus NNN Device NNN: ID vvvv:pppp' line first)")
        elif top is None or top.kind != parent:
            assert parent is not None  # only a Device Descriptor has no parent: handled above
            where = (f"inside the {_TITLE.get(top.kind, top.title)} of line {top.line}" if top is not None
                     else "outside any descriptor")
            raise self.fail(number, name, f"{where} (expected it indented under a {_TITLE[parent]})")
        self.stack.append(_Block(kind, indent, number))

    def check_indent(self, number: int, indent: int, body: str) -> None:
        """A known header indented no deeper than its parent would silently close the parent."""
        kind = _HEADERS.get(body[:-1].strip()) if body.endswith(":") else None
        parent = _PARENT.get(kind) if kind is not None else None
        # nothing known sits in a skip
        if kind is None or parent is None or (self.stack and self.stack[-1].kind == "skip"):
            return
        for block in reversed(self.stack):
            if block.kind == parent:
                if indent <= block.indent:
                    raise self.fail(number, _TITLE[kind], f"not indented under the {_TITLE[parent]} of line "
                                    f"{block.line} (expected more than {block.indent} columns, got {indent})")
                return

    def not_a_header(self, number: int, body: str) -> None:
        """``    Interface Descr`` (a cut-off text) or ``Endpoint Descriptor`` without its colon."""
        top = self.stack[-1] if self.stack else None
        if (top is not None and top.kind == "skip") or (top is None and self.bus is None):
            return
        for header in _HEADERS:
            if header.startswith(body):
                raise self.fail(number, header, f"{_show(body)} is cut off or garbled (expected '{header}:')")

    def field(self, number: int, body: str) -> None:
        key, rest = _key_of(body)
        top = self.stack[-1] if self.stack else None
        if top is not None and top.kind == "skip":
            if key in _STRUCTURAL:
                raise self.fail(number, key, f"inside '{top.title}:' (line {top.line}); expected it "
                                             f"under '{_TITLE[_OWNER[key]]}:' (garbled header?)")
            return
        if top is None:
            if key in _OWNER and self.bus is not None:
                raise self.fail(number, key, f"outside any descriptor (expected it under "
                                             f"'{_TITLE[_OWNER[key]]}:')")
            if self.bus is not None and self.device is None and body.startswith("Couldn't open device"):
                self.notes.append(body)
            return
        parser = _KEYS[top.kind].get(key)
        if parser is None:
            if key in _OWNER:
                raise self.fail(number, key, f"inside the {_TITLE[top.kind]} of line {top.line} (expected it "
                                             f"under '{_TITLE[_OWNER[key]]}:'; a header line missing?)")
            return
        if key in top.values:
            raise self.fail(number, key, f"given twice in the {_TITLE[top.kind]} of line {top.line} "
                                         f"(first at line {top.values[key][1]})")
        try:
            top.values[key] = (parser(rest), number)
        except _Bad as bad:
            raise self.fail(number, key, str(bad)) from None

    # -- blocks --

    def close(self, block: _Block, eof: bool) -> None:
        if block.kind == "skip":
            return
        block.last = self.previous
        ends = f"ends at line {block.last}" + (", where the text ends: cut off?" if eof else "")
        for key in _REQUIRED[block.kind]:
            if key not in block.values:
                raise self.fail(block.line, key, f"missing from the {_TITLE[block.kind]} that starts here "
                                                 f"(it {ends})")
        end = f"the {_TITLE[block.kind]} of line {block.line} {ends}"
        parent = self.stack[-1] if self.stack else None
        getattr(self, f"close_{block.kind}")(block, parent, end)

    def close_endpoint(self, block: _Block, parent: _Block | None, end: str) -> None:
        assert parent is not None and parent.kind == "interface"
        attributes = block.get("bmAttributes")
        kind = _TYPES[attributes & 3]
        said = block.get("Transfer Type")
        if said is not None and said != kind:
            raise self.fail(block.line_of("Transfer Type"), "Transfer Type",
                            f"says {said.capitalize()}, but bmAttributes {attributes} (line "
                            f"{block.line_of('bmAttributes')}) means {kind.capitalize()}")
        raw = block.get("wMaxPacketSize")
        parent.children.append(CapturedEndpoint(
            address=block.get("bEndpointAddress"), type=kind, max_packet=raw & 0x7FF,
            interval=block.get("bInterval"), attributes=attributes,
            packets_per_microframe=((raw >> 11) & 3) + 1, line=block.line))

    def close_interface(self, block: _Block, parent: _Block | None, end: str) -> None:
        assert parent is not None and parent.kind == "config"
        number, alt = block.get("bInterfaceNumber"), block.get("bAlternateSetting")
        endpoints: list[CapturedEndpoint] = block.children
        said = block.get("bNumEndpoints")
        if said != len(endpoints):
            raise self.fail(block.line_of("bNumEndpoints"), "bNumEndpoints",
                            f"says {said}, but {len(endpoints)} Endpoint Descriptor"
                            f"{'' if len(endpoints) == 1 else 's'} follow in interface {number} alt {alt} "
                            f"({end})")
        seen: dict[int, int] = {}
        for ep in endpoints:
            if ep.address in seen:
                raise self.fail(ep.line, "bEndpointAddress", f"endpoint 0x{ep.address:02x} appears twice in "
                                f"interface {number} alt {alt} (also at line {seen[ep.address]})")
            seen[ep.address] = ep.line
        parent.children.append(CapturedInterface(
            number=number, alt=alt, cls=block.get("bInterfaceClass"), subclass=block.get("bInterfaceSubClass"),
            protocol=block.get("bInterfaceProtocol"), name=block.get("iInterface", ""),
            endpoints=tuple(endpoints), line=block.line))

    def close_iad(self, block: _Block, parent: _Block | None, end: str) -> None:
        assert parent is not None and parent.kind == "config"
        count = block.get("bInterfaceCount")
        if count == 0:
            raise self.fail(block.line_of("bInterfaceCount"), "bInterfaceCount",
                            "0 (expected an association of at least one interface)")
        parent.associations.append((block, len(parent.children)))

    def close_config(self, block: _Block, parent: _Block | None, end: str) -> None:
        assert parent is not None and parent.kind == "device"
        interfaces: list[CapturedInterface] = block.children
        seen: dict[tuple[int, int], int] = {}
        for itf in interfaces:
            if (itf.number, itf.alt) in seen:
                raise self.fail(itf.line, "bInterfaceNumber", f"interface {itf.number} alt {itf.alt} appears "
                                f"twice (also at line {seen[(itf.number, itf.alt)]})")
            seen[(itf.number, itf.alt)] = itf.line
        numbers = sorted({n for n, _ in seen})
        said = block.get("bNumInterfaces")
        if said != len(numbers) or not numbers:
            listed = f" ({', '.join(map(str, numbers))})" if numbers else ""
            raise self.fail(block.line_of("bNumInterfaces"), "bNumInterfaces",
                            f"says {said}, but Interface Descriptors for {len(numbers)} interface"
                            f"{'' if len(numbers) == 1 else 's'}{listed} follow ("
                            f"{'expected at least one; ' if not numbers else ''}{end})")
        for number in numbers:
            if (number, 0) not in seen:
                first = min(line for (n, _), line in seen.items() if n == number)
                raise self.fail(first, "bAlternateSetting", f"interface {number} has no alternate setting 0 "
                                "(every interface has one; a descriptor missing?)")
        associations = []
        for iad, position in block.associations:
            following = interfaces[position].number if position < len(interfaces) else None
            associations.append(CapturedAssociation(
                first_interface=iad.get("bFirstInterface"), interface_count=iad.get("bInterfaceCount"),
                cls=iad.get("bFunctionClass"), subclass=iad.get("bFunctionSubClass"),
                protocol=iad.get("bFunctionProtocol"), name=iad.get("iFunction", ""),
                next_interface=following, line=iad.line))
        parent.children.append(CapturedConfiguration(
            value=block.get("bConfigurationValue"), attributes=block.get("bmAttributes"),
            max_power_ma=block.get("MaxPower"), num_interfaces=said, interfaces=tuple(interfaces),
            associations=tuple(associations), name=block.get("iConfiguration", ""), line=block.line))

    def close_device(self, block: _Block, parent: _Block | None, end: str) -> None:
        assert self.bus is not None
        bus_line, bus = self.bus
        vendor, vendor_name = block.get("idVendor")
        product, product_name = block.get("idProduct")
        said_id = UsbId(int(bus.group(3), 16), int(bus.group(4), 16))
        if UsbId(vendor, product) != said_id:
            key = "idVendor" if vendor != said_id.vendor else "idProduct"
            raise self.fail(block.line_of(key), key, f"{UsbId(vendor, product)} differs from the ID "
                                                     f"{said_id} on the Bus line (line {bus_line})")
        configs: list[CapturedConfiguration] = block.children
        said = block.get("bNumConfigurations")
        if said != len(configs) or not configs:
            raise self.fail(block.line_of("bNumConfigurations"), "bNumConfigurations",
                            f"says {said}, but {len(configs)} Configuration Descriptor"
                            f"{'' if len(configs) == 1 else 's'} follow ("
                            f"{'expected at least one; ' if not configs else ''}{end})")
        values: dict[int, int] = {}
        for config in configs:
            if config.value in values:
                raise self.fail(config.line, "bConfigurationValue", f"configuration {config.value} appears "
                                f"twice (also at line {values[config.value]})")
            values[config.value] = config.line
        self.device = CapturedDevice(
            path=self.path, line=bus_line, bus=int(bus.group(1)), address=int(bus.group(2)), id=said_id,
            bcd_usb=block.get("bcdUSB"), device_class=block.get("bDeviceClass"),
            device_subclass=block.get("bDeviceSubClass"), device_protocol=block.get("bDeviceProtocol"),
            num_configurations=said, configurations=tuple(configs),
            manufacturer=block.get("iManufacturer", ""), product=block.get("iProduct", ""),
            serial=block.get("iSerial", ""), vendor_name=vendor_name, product_name=product_name,
            bcd_device=block.get("bcdDevice"), max_packet0=block.get("bMaxPacketSize0"), notes=tuple(self.notes))


def parse_lsusb(text: str, path: str = "<stdin>") -> list[CapturedDevice]:
    """Every device in ``lsusb -v`` output, in the order printed.

    Raises :class:`ProfileError` (``path:line: key: problem``) for a dump that is cut off or
    garbled, and nothing else.
    """
    return _Parser(text, path).parse()


# --- roles ------------------------------------------------------------------------------------

def guess_role(cls: int, subclass: int, protocol: int, *, at_taken: bool = False,
               vendor: int | None = None) -> str:
    """A *guess* at an interface's role from its class codes; review it against the real device.

    - ``ff/ff/ff`` (vendor-specific serial ports, option/qcserial): ``at`` for the first one,
      ``diag`` for the others (``at_taken``: an earlier interface already got ``at``). On a Huawei
      stick the third port is often a second AT port (PCUI), which this rule calls ``diag``.
    - Huawei (``vendor`` 0x12d1) vendor-specific codes, as ModemManager's and Linux's tables use
      them: ``ff/01/01``, ``ff/02/01`` modem port -> ``ppp``; ``ff/01/02``, ``ff/02/02`` PCUI -> ``at``;
      ``ff/01/05``, ``ff/01/14``, ``ff/06/14`` GPS -> ``other``; ``ff/02/16``, ``ff/02/46``,
      ``ff/02/76``, ``ff/03/16`` (NCM in disguise) -> ``net``.
    - other ``ff/*/*`` -> ``other``.
    - ``02/02/*`` (CDC ACM) -> ``at``; ``02/06`` (ECM), ``02/0c`` (EEM), ``02/0d`` (NCM),
      ``02/0e`` (MBIM) -> ``net``; ``e0/01/03`` and ``ef/04/01`` (RNDIS) -> ``net``.
    - ``0a/*/*`` (CDC data) -> ``data``.
    - ``08/*/*`` (mass storage: ``08/06/50`` is the usual ZeroCD/SD card) -> ``storage``.
    - anything else -> ``other``.
    """
    if cls == 0xFF:
        if vendor == HUAWEI:
            if subclass in (0x01, 0x02) and protocol == 0x01:
                return "ppp"
            if subclass in (0x01, 0x02) and protocol == 0x02:
                return "at"
            if (subclass, protocol) in ((0x01, 0x05), (0x01, 0x14), (0x06, 0x14)):
                return "other"
            if (subclass, protocol) in ((0x02, 0x16), (0x02, 0x46), (0x02, 0x76), (0x03, 0x16)):
                return "net"
        if subclass == 0xFF and protocol == 0xFF:
            return "diag" if at_taken else "at"
        return "other"
    if cls == 0x02:
        if subclass == 0x02:
            return "at"
        if subclass in (0x06, 0x0C, 0x0D, 0x0E):
            return "net"
        return "other"
    if (cls, subclass, protocol) in ((0xE0, 0x01, 0x03), (0xEF, 0x04, 0x01)):
        return "net"
    if cls == 0x0A:
        return "data"
    if cls == 0x08:
        return "storage"
    return "other"


_KNOWN_FUNCTIONS = {
    (0x02, 0x02): "CDC ACM", (0x02, 0x06): "CDC ECM", (0x02, 0x0C): "CDC EEM", (0x02, 0x0D): "CDC NCM",
    (0x02, 0x0E): "MBIM", (0xE0, 0x01): "RNDIS", (0xEF, 0x04): "RNDIS", (0x0A, 0x00): "CDC data",
    (0x08, 0x06): "mass storage", (0xFF, 0xFF): "vendor-specific",
}


def _what(cls: int, subclass: int) -> str:
    known = _KNOWN_FUNCTIONS.get((cls, subclass))
    return f" ({known})" if known else ""


# --- drafting ---------------------------------------------------------------------------------

def _clean(text: str) -> str:
    """A string from the dump, safe for YAML and one line: printable characters only."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


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
    vendor_text = _clean(vendor or "") or manufacturer or _clean(device.vendor_name) or "unknown"
    model_text = _clean(model or "") or product or _clean(device.product_name) or "unknown"
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


def draft_yaml(profile: dict[str, Any], allow_unicode: bool = True) -> str:
    """The profile as YAML text that :func:`hilkit.config.profiles.load_profile` accepts from a file.

    ``allow_unicode=False`` writes non-ASCII characters as ``\\u`` escapes (for an ASCII terminal).
    """
    header = ("# Draft profile from `hilkit profiles capture` (lsusb -v). Interface roles are guesses:\n"
              "# review them, then add switches, attach and budgets. Check with: hilkit profiles check FILE\n")
    return header + yaml.safe_dump(profile, sort_keys=False, allow_unicode=allow_unicode,
                                   default_flow_style=False, width=100)


# --- command ----------------------------------------------------------------------------------

def _read(source: str, stdin: TextIO | None) -> tuple[str, str]:
    if source == "-":
        stream = stdin if stdin is not None else sys.stdin
        return stream.read(), "<stdin>"
    try:
        data = Path(source).read_bytes()
    except FileNotFoundError:
        raise ProfileError(source, None, "", "no such file") from None
    except OSError as exc:
        raise ProfileError(source, None, "", f"cannot read: {exc.strerror or exc}") from None
    return data.decode("utf-8", errors="replace"), source


def _check_loads(text: str, device: CapturedDevice) -> None:
    """Make sure the draft loads as a profile: a one-line error now beats a broken file later."""
    from hilkit.config.profiles import load_profile

    handle, name = tempfile.mkstemp(suffix=".yaml", prefix="hilkit-capture-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        load_profile(name, "captured")
    except ProfileError as exc:
        raise ProfileError(device.path, device.line, "draft",
                           f"the profile drafted for {device.id} does not load ({exc.problem}); "
                           "please report this with the dump") from None
    finally:
        os.unlink(name)


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def capture_command(source: str, out: TextIO, err: TextIO, vendor: str | None = None,
                    model: str | None = None, *, stdin: TextIO | None = None) -> int:
    """``hilkit profiles capture SOURCE``: write a draft profile for each non-hub device to ``out``.

    ``source`` is a file or ``-`` for standard input. Several drafts are separated by ``---``
    (save each to its own file before checking it). ``vendor``/``model`` override what the dump's
    strings say, for every device. Returns 0, or 1 after printing a one-line error to ``err``.
    """
    try:
        text, path = _read(source, stdin)
        devices = parse_lsusb(text, path)
        wanted = [d for d in devices if not d.is_hub]
        if not wanted:
            raise ProfileError(path, devices[0].line, "", f"only hubs in this dump ({len(devices)}): nothing to "
                               "draft (expected the modem; try lsusb -v -d vvvv:pppp)")
        encoding = getattr(out, "encoding", None) or "utf-8"
        drafts = []
        for device in wanted:
            profile = draft_profile(device, vendor, model)
            text = draft_yaml(profile)
            if not _encodable(text, encoding):
                text = draft_yaml(profile, allow_unicode=False)
            _check_loads(text, device)
            drafts.append(text)
    except ProfileError as exc:
        print(exc.one_line(), file=err)
        return 1
    out.write("---\n".join(drafts))
    return 0
