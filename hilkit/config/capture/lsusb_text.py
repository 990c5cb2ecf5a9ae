"""Parse ``lsusb -v`` text into :class:`CapturedDevice` records, naming the line of any flaw."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hilkit.config.capture.captured_device import (
    CapturedAssociation,
    CapturedConfiguration,
    CapturedDevice,
    CapturedEndpoint,
    CapturedInterface,
)
from hilkit.config.capture.lsusb_fields import (
    CANONICAL,
    HEADERS,
    KEYS,
    OWNER,
    PARENT,
    REQUIRED,
    STRUCTURAL,
    TITLE,
    TYPES,
    BadValue,
    key_of,
    quoted,
)
from hilkit.core.errors import ProfileError
from hilkit.core.ids import UsbId

_BUS_LIKE = re.compile(r"Bus\s+[0-9]")
_BUS = re.compile(r"Bus\s+([0-9]{1,3})\s+Device\s+([0-9]{1,3}):\s+ID\s+([0-9a-fA-F]{4}):([0-9a-fA-F]{4})"
                  r"(?:\s+(.*))?")


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
            raise self.fail(number, "Bus line", f"garbled: {quoted(body)} (expected "
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
        kind = HEADERS.get(name)
        if kind is not None:
            return CANONICAL[kind]
        if name:
            known = next((b for b in reversed(self.stack) if b.kind != "skip"), None)
            return known.indent + 2 if known is not None else 0
        return self.stack[-1].indent + 2 if self.stack else 0

    def header(self, number: int, indent: int, name: str) -> None:
        kind = HEADERS.get(name)
        top = self.stack[-1] if self.stack else None
        if kind is None or (top is not None and top.kind == "skip"):
            self.stack.append(_Block("skip", indent, number, title=name))
            return
        parent = PARENT[kind]
        if kind == "device":
            if top is not None:
                raise self.fail(number, name, f"inside the {TITLE.get(top.kind, top.title)} of line {top.line} "
                                "(expected a Device Descriptor to start at the left margin)")
            if self.bus is None:
                raise self.fail(number, name, "no 'Bus NNN Device NNN: ID vvvv:pppp' line before it "
                                              "(lsusb -v prints one above every device)")
            if self.device is not None:
                raise self.fail(number, name, f"a second Device Descriptor for the Bus line at line {self.bus[0]} "
                                              "(expected a new 'Bus NNN Device NNN: ID vvvv:pppp' line first)")
        elif top is None or top.kind != parent:
            assert parent is not None  # only a Device Descriptor has no parent: handled above
            where = (f"inside the {TITLE.get(top.kind, top.title)} of line {top.line}" if top is not None
                     else "outside any descriptor")
            raise self.fail(number, name, f"{where} (expected it indented under a {TITLE[parent]})")
        self.stack.append(_Block(kind, indent, number))

    def check_indent(self, number: int, indent: int, body: str) -> None:
        """A known header indented no deeper than its parent would silently close the parent."""
        kind = HEADERS.get(body[:-1].strip()) if body.endswith(":") else None
        parent = PARENT.get(kind) if kind is not None else None
        # nothing known sits in a skip
        if kind is None or parent is None or (self.stack and self.stack[-1].kind == "skip"):
            return
        for block in reversed(self.stack):
            if block.kind == parent:
                if indent <= block.indent:
                    raise self.fail(number, TITLE[kind], f"not indented under the {TITLE[parent]} of line "
                                    f"{block.line} (expected more than {block.indent} columns, got {indent})")
                return

    def not_a_header(self, number: int, body: str) -> None:
        """``    Interface Descr`` (a cut-off text) or ``Endpoint Descriptor`` without its colon."""
        top = self.stack[-1] if self.stack else None
        if (top is not None and top.kind == "skip") or (top is None and self.bus is None):
            return
        for header in HEADERS:
            if header.startswith(body):
                raise self.fail(number, header, f"{quoted(body)} is cut off or garbled (expected '{header}:')")

    def field(self, number: int, body: str) -> None:
        key, rest = key_of(body)
        top = self.stack[-1] if self.stack else None
        if top is not None and top.kind == "skip":
            if key in STRUCTURAL:
                raise self.fail(number, key, f"inside '{top.title}:' (line {top.line}); expected it "
                                             f"under '{TITLE[OWNER[key]]}:' (garbled header?)")
            return
        if top is None:
            if key in OWNER and self.bus is not None:
                raise self.fail(number, key, f"outside any descriptor (expected it under "
                                             f"'{TITLE[OWNER[key]]}:')")
            if self.bus is not None and self.device is None and body.startswith("Couldn't open device"):
                self.notes.append(body)
            return
        parser = KEYS[top.kind].get(key)
        if parser is None:
            if key in OWNER:
                raise self.fail(number, key, f"inside the {TITLE[top.kind]} of line {top.line} (expected it "
                                             f"under '{TITLE[OWNER[key]]}:'; a header line missing?)")
            return
        if key in top.values:
            raise self.fail(number, key, f"given twice in the {TITLE[top.kind]} of line {top.line} "
                                         f"(first at line {top.values[key][1]})")
        try:
            top.values[key] = (parser(rest), number)
        except BadValue as bad:
            raise self.fail(number, key, str(bad)) from None

    # -- blocks --

    def close(self, block: _Block, eof: bool) -> None:
        if block.kind == "skip":
            return
        block.last = self.previous
        ends = f"ends at line {block.last}" + (", where the text ends: cut off?" if eof else "")
        for key in REQUIRED[block.kind]:
            if key not in block.values:
                raise self.fail(block.line, key, f"missing from the {TITLE[block.kind]} that starts here "
                                                 f"(it {ends})")
        end = f"the {TITLE[block.kind]} of line {block.line} {ends}"
        parent = self.stack[-1] if self.stack else None
        getattr(self, f"close_{block.kind}")(block, parent, end)

    def close_endpoint(self, block: _Block, parent: _Block | None, end: str) -> None:
        assert parent is not None and parent.kind == "interface"
        attributes = block.get("bmAttributes")
        kind = TYPES[attributes & 3]
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

    def count(self, block: _Block, key: str, found: int, what: str, where: str, at_least_one: bool = False) -> None:
        """The descriptor's count field (``key``) against the descriptors that follow it."""
        said = block.get(key)
        if said != found or (at_least_one and not found):
            raise self.fail(block.line_of(key), key, f"says {said}, but {found} {what}"
                                                     f"{'' if found == 1 else 's'} follow{where}")

    def once(self, items: list[tuple[int, int]], key: str, twice: Callable[[int], str]) -> None:
        """Each (value, line) value once; else the second one's line, naming the first's."""
        seen: dict[int, int] = {}
        for value, line in items:
            if value in seen:
                raise self.fail(line, key, f"{twice(value)} (also at line {seen[value]})")
            seen[value] = line

    def close_interface(self, block: _Block, parent: _Block | None, end: str) -> None:
        assert parent is not None and parent.kind == "config"
        number, alt = block.get("bInterfaceNumber"), block.get("bAlternateSetting")
        endpoints: list[CapturedEndpoint] = block.children
        self.count(block, "bNumEndpoints", len(endpoints), "Endpoint Descriptor",
                   f" in interface {number} alt {alt} ({end})")
        self.once([(ep.address, ep.line) for ep in endpoints], "bEndpointAddress",
                  lambda a: f"endpoint 0x{a:02x} appears twice in interface {number} alt {alt}")
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
        self.count(block, "bNumConfigurations", len(configs), "Configuration Descriptor",
                   f" ({'expected at least one; ' if not configs else ''}{end})", at_least_one=True)
        self.once([(config.value, config.line) for config in configs], "bConfigurationValue",
                  lambda value: f"configuration {value} appears twice")
        self.device = CapturedDevice(
            path=self.path, line=bus_line, bus=int(bus.group(1)), address=int(bus.group(2)), id=said_id,
            bcd_usb=block.get("bcdUSB"), device_class=block.get("bDeviceClass"),
            device_subclass=block.get("bDeviceSubClass"), device_protocol=block.get("bDeviceProtocol"),
            num_configurations=block.get("bNumConfigurations"), configurations=tuple(configs),
            manufacturer=block.get("iManufacturer", ""), product=block.get("iProduct", ""),
            serial=block.get("iSerial", ""), vendor_name=vendor_name, product_name=product_name,
            header_name=(bus.group(5) or "").strip(),
            bcd_device=block.get("bcdDevice"), max_packet0=block.get("bMaxPacketSize0"), notes=tuple(self.notes))


def parse_lsusb(text: str, path: str = "<stdin>") -> list[CapturedDevice]:
    """Every device in ``lsusb -v`` output, in the order printed.

    Raises :class:`ProfileError` (``path:line: key: problem``) for a dump that is cut off or
    garbled, and nothing else.

    The parser is tolerant of the noise real dumps carry (CDC functional descriptors, ``** UNRECOGNIZED``
    lines, Device Qualifier, Device Status, hub and BOS descriptors, "can't get debug descriptor",
    "Couldn't open device", class names after numbers, trailing spaces, tabs) and strict about
    structure: a dump that is cut off or garbled raises :class:`~hilkit.core.errors.ProfileError` naming the
    line (``dump.txt:35: bNumEndpoints: says 3, but 2 Endpoint Descriptors follow ...``).

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
    return _Parser(text, path).parse()
