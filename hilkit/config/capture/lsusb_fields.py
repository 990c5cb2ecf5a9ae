"""The fields of ``lsusb -v`` descriptors: which keys each one has, and how each value is read."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_NUMBER = re.compile(r"0[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10})")
_BCD = re.compile(r"([0-9a-fA-F]{1,2})\.([0-9a-fA-F]{2})")
_STRING = re.compile(r"([0-9]{1,3})(?:\s+(.*))?")
_POWER = re.compile(r"([0-9]{1,5})\s*mA\b")
_EP_WORDS = re.compile(r"\bEP\s+([0-9]{1,2})\s+(IN|OUT)\b")
_PACKETS = re.compile(r"\b([123])x\s+([0-9]{1,5})\s+bytes\b")
TYPES = ("control", "isochronous", "bulk", "interrupt")


class BadValue(Exception):
    """A value that does not parse; turned into a ProfileError with the line and key."""


def quoted(text: str) -> str:
    """``text`` for an error message: stripped, cut to 40 characters, quoted, non-ASCII escaped."""
    text = text.strip()
    return ascii(text if len(text) <= 40 else text[:37] + "...")  # ascii: a look-alike letter shows as \u....


def _number(rest: str, low: int = 0, high: int = 0xFF) -> int:
    token = rest.split(None, 1)[0] if rest.strip() else ""
    if not token:
        raise BadValue("expected a number, got nothing")
    match = _NUMBER.fullmatch(token)
    if not match:
        raise BadValue(f"expected a number (decimal or 0x hex), got {quoted(token)}")
    value = int(match.group(1), 16) if match.group(1) is not None else int(match.group(2))
    if not low <= value <= high:
        raise BadValue(f"{token} is out of range (expected {low}-{high})")
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
        raise BadValue(f"expected a BCD version like 2.00, got {quoted(token) if token else 'nothing'}")
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
        raise BadValue(f"expected a current like 500mA, got {quoted(rest) if rest.strip() else 'nothing'}")
    return int(match.group(1))


def _config_value(rest: str) -> int:
    value = _number(rest)
    if value == 0:
        raise BadValue("0 is not a configuration value (expected 1-255; 0 means unconfigured)")
    return value


def _endpoint_address(rest: str) -> int:
    address = _number(rest)
    if address & 0x70 or not address & 0x0F:
        raise BadValue(f"0x{address:02x} is not an endpoint address (expected 0x01-0x0f or 0x81-0x8f)")
    words = _EP_WORDS.search(rest)
    if words:
        number, direction = int(words.group(1)), words.group(2)
        if number != address & 0x0F or (direction == "IN") != bool(address & 0x80):
            raise BadValue(f"0x{address:02x} does not match {words.group(0)!r} printed after it "
                           f"(expected EP {address & 0x0f} {'IN' if address & 0x80 else 'OUT'})")
    return address


def _max_packet(rest: str) -> int:
    raw = _number(rest, 0, 0xFFFF)
    size, mult = raw & 0x7FF, ((raw >> 11) & 3) + 1
    if size > 1024:
        raise BadValue(f"0x{raw:04x} gives {size}-byte packets (expected at most 1024)")
    words = _PACKETS.search(rest)
    if words and (int(words.group(1)), int(words.group(2))) != (mult, size):
        raise BadValue(f"0x{raw:04x} does not match {words.group(0)!r} printed after it "
                       f"(expected {mult}x {size} bytes)")
    return raw


def _transfer_type(rest: str) -> str:
    word = rest.split(None, 1)[0].lower() if rest.strip() else ""
    if word not in TYPES:
        raise BadValue(f"expected Control, Isochronous, Bulk or Interrupt, got {quoted(rest) if word else 'nothing'}")
    return word


#: per block kind: key -> value parser. Keys not listed are ignored (bLength, Synch Type, CDC, ...).
KEYS: dict[str, dict[str, Callable[[str], Any]]] = {
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
REQUIRED = {
    "device": ("bcdUSB", "bDeviceClass", "bDeviceSubClass", "bDeviceProtocol", "idVendor", "idProduct",
               "bNumConfigurations"),
    "config": ("bNumInterfaces", "bConfigurationValue", "bmAttributes", "MaxPower"),
    "iad": ("bFirstInterface", "bInterfaceCount", "bFunctionClass", "bFunctionSubClass", "bFunctionProtocol"),
    "interface": ("bInterfaceNumber", "bAlternateSetting", "bNumEndpoints", "bInterfaceClass",
                  "bInterfaceSubClass", "bInterfaceProtocol"),
    "endpoint": ("bEndpointAddress", "bmAttributes", "wMaxPacketSize", "bInterval"),
}
HEADERS = {"Device Descriptor": "device", "Configuration Descriptor": "config", "Interface Association": "iad",
           "Interface Descriptor": "interface", "Endpoint Descriptor": "endpoint"}
TITLE = {kind: header for header, kind in HEADERS.items()}
#: the indentation lsusb gives each header; used for dumps whose indentation a forum flattened
CANONICAL = {"device": 0, "config": 2, "iad": 4, "interface": 4, "endpoint": 6}
PARENT = {"device": None, "config": "device", "iad": "config", "interface": "config", "endpoint": "interface"}
#: keys shared by several descriptors (or by skipped ones): never a sign of a misplaced line
_SHARED = {"bmAttributes"}
#: key -> the descriptor it belongs to, for keys that name exactly one
OWNER = {key: kind for kind, keys in KEYS.items() for key in keys if key not in _SHARED}
#: keys that only ever appear in their own descriptor, even inside skipped blocks (the Device
#: Qualifier repeats device keys, so those are not here)
STRUCTURAL = {"bConfigurationValue", "bNumInterfaces", "bFirstInterface", "bInterfaceNumber",
              "bAlternateSetting", "bNumEndpoints", "bInterfaceClass", "bEndpointAddress"}


def key_of(body: str) -> tuple[str, str]:
    """A line's key and the rest of it; a few keys are two words (``Transfer Type``)."""
    for two_words in ("Transfer Type", "Synch Type", "Usage Type"):
        if body.startswith(two_words) and (len(body) == len(two_words) or body[len(two_words)].isspace()):
            return two_words, body[len(two_words):]
    parts = body.split(None, 1)
    return parts[0], (parts[1] if len(parts) > 1 else "")
