"""usb_modeswitch's switching methods as data: what each key makes the host send, in order.

Each method turns a :class:`SwitchConfig` into a list of operations (:class:`BulkMessage`,
:class:`Control`, :class:`SetConfiguration`); :mod:`hilkit.switch.engine` sends them through
pyusb. The values follow usb_modeswitch 2.6.1 (see shared/reference/usb_modeswitch.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Union

from .config import CBW_SIGNATURE, SwitchConfig


@dataclass(frozen=True)
class BulkMessage:
    """A message to the bulk OUT endpoint; a CBW is followed by a 13-byte CSW read."""

    data: bytes
    timeout_ms: int = 3000

    @property
    def is_cbw(self) -> bool:
        return self.data[:4].hex() == CBW_SIGNATURE


@dataclass(frozen=True)
class Control:
    bm_request_type: int
    b_request: int
    w_value: int
    w_index: int
    data_or_length: bytes | int = 0
    timeout_ms: int = 1000
    pipe_error_ok: bool = False


@dataclass(frozen=True)
class SetConfiguration:
    value: int


Operation = Union[BulkMessage, Control, SetConfiguration]


def cbw(tag: str, cb_length: int, cdb: str, transfer_length: str = "00000000", flags: str = "00",
        lun: int = 0) -> bytes:
    """A 31-byte Command Block Wrapper, laid out as usb_modeswitch writes it (tag never generated)."""
    cdb_bytes = bytes.fromhex(cdb).ljust(16, b"\0")
    return bytes.fromhex(CBW_SIGNATURE + tag + transfer_length + flags) + bytes([lun, cb_length]) + cdb_bytes


HUAWEI_NEW_MODE = cbw("12345678", 0, "11062000000101000100000000000000")
HUAWEI_ALT_MODE = cbw("12345678", 0, "11063000000000010000000000000000")
OPTION_MODE = cbw("12345678", 6, "010000000000", transfer_length="00000000", flags="00")


def standard_eject(config: SwitchConfig) -> list[Operation]:
    """ALLOW MEDIUM REMOVAL then START STOP UNIT (eject) for LUN 0, then the same for LUN 1."""
    ops: list[Operation] = []
    for lun in (0, 1):
        ops.append(BulkMessage(cbw("87654321", 6, "1e0000000000", lun=lun)))
        ops.append(BulkMessage(cbw("97654321", 6, "1b0000000200", lun=lun)))
    return ops + message_content(config)


def message_content(config: SwitchConfig) -> list[Operation]:
    return [BulkMessage(bytes.fromhex(m)) for m in config.messages]


def _fixed(*ops: Operation) -> Callable[[SwitchConfig], list[Operation]]:
    return lambda config: list(ops)


def configuration(config: SwitchConfig) -> list[Operation]:
    value = config.get("Configuration", 0)
    return [SetConfiguration(value)] if value else []


#: special modes: each replaces MessageContent/StandardEject (usb_modeswitch drops those silently)
SPECIAL: dict[str, Callable[[SwitchConfig], list[Operation]]] = {
    "HuaweiMode": _fixed(Control(0x00, 0x03, 1, 0)),
    "HuaweiNewMode": _fixed(BulkMessage(HUAWEI_NEW_MODE)),
    "HuaweiAltMode": _fixed(BulkMessage(HUAWEI_ALT_MODE)),
    "OptionMode": _fixed(BulkMessage(OPTION_MODE)),
    "SierraMode": _fixed(Control(0x40, 0x0B, 1, 0, pipe_error_ok=True)),
    "SequansMode": _fixed(Control(0x40, 0x0B, 2, 0)),
    "QuantaMode": _fixed(Control(0xC0, 0xFF, 0, 0, 0)),
    "KobilMode": _fixed(Control(0xC0, 0x88, 0, 0, 8)),
}

#: special modes whose message is a storage command: they need an effective interface class of 8
STORAGE_METHODS = frozenset({"StandardEject", "HuaweiNewMode", "HuaweiAltMode", "CiscoMode", "OptionMode"})


def method_name(config: SwitchConfig) -> str:
    specials = config.special_modes
    if specials:
        return specials[0]
    if config.flag("StandardEject"):
        return "StandardEject"
    if config.messages:
        return "MessageContent"
    if config.get("Configuration"):
        return "Configuration"
    return "none"


def plan(config: SwitchConfig) -> list[Operation]:
    """The operations usb_modeswitch would send for ``config``: special mode or messages, then configuration."""
    specials = config.special_modes
    if specials:
        ops = SPECIAL[specials[0]](config)
    elif config.flag("StandardEject"):
        ops = standard_eject(config)
    else:
        ops = message_content(config)
    return ops + configuration(config)


def uses_storage_command(config: SwitchConfig) -> bool:
    name = method_name(config)
    if name in STORAGE_METHODS:
        return True
    return name == "MessageContent" and any(m.startswith(CBW_SIGNATURE) for m in config.messages)
