"""usb_modeswitch's switching methods as data: what each key makes the host do, in order.

:func:`plan` turns a :class:`SwitchConfig` into operations in the order usb_modeswitch 2.6.1's
``main()`` runs them: one special mode, else the bulk message block, then Configuration,
AltSetting and ResetUSB. The engine (:mod:`hilkit.switch.native`) executes them through pyusb.
Bytes, request values and timeouts were checked against the 2.6.1 binary (traced with a fake
libusb), see shared/reference/usb_modeswitch.md and the notes in docs of issue 4.

One table entry per special mode (:data:`SPECIAL`), not a chain of ifs.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Union

from hilkit.core.switchconfig import CBW_SIGNATURE, MESSAGE_KEYS, SwitchConfig


# -- operations ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Detach:
    """Detach kernel drivers from every interface of the active configuration."""


@dataclass(frozen=True)
class SendMessages:
    """usb_modeswitch's ``switchSendMessage``: claim, each message to the bulk OUT endpoint with a
    13-byte CSW read after any message containing a CBW, clear halts, settle, release.

    ``cisco`` is CiscoMode's variant: up to 3 reads per message, halts cleared OUT first, a fixed
    2 s release delay instead of 50 ms + ReleaseDelay.
    """

    messages: tuple[bytes, ...]
    cisco: bool = False
    timeout_ms: int = 3000


@dataclass(frozen=True)
class Control:
    bm_request_type: int
    b_request: int
    w_value: int
    w_index: int
    data_or_length: bytes | int = 0
    timeout_ms: int = 1000
    tolerate: tuple[str, ...] = ()   # "pipe": a stall is fine; "any": every error is fine

    @property
    def is_in(self) -> bool:
        return bool(self.bm_request_type & 0x80)


@dataclass(frozen=True)
class InterruptOut:
    endpoint: int
    data: bytes
    timeout_ms: int = 1000


@dataclass(frozen=True)
class InterruptIn:
    endpoint: int
    length: int = 8
    timeout_ms: int = 1000


@dataclass(frozen=True)
class Claim:
    interface: int


@dataclass(frozen=True)
class Release:
    interface: int


@dataclass(frozen=True)
class SwitchConfiguration:
    """Configuration=N: nothing if N is active; else detach, SET_CONFIGURATION 0, 100 ms, N."""

    value: int


@dataclass(frozen=True)
class SetAltSetting:
    """SET_INTERFACE on the switch's interface (usb_modeswitch's AltSetting key)."""

    interface: int
    alt: int


@dataclass(frozen=True)
class Hold:
    """A fixed delay usb_modeswitch imposes (not a wait for an event)."""

    ms: int


@dataclass(frozen=True)
class ResetDevice:
    tries: int = 101


@dataclass(frozen=True)
class AwaitReturn:
    """SonyMode: the stick drops off the bus; wait (event-driven, bounded) for it on the same port."""

    timeout_s: float = 30.0


Operation = Union[Detach, SendMessages, Control, InterruptOut, InterruptIn, Claim, Release,  # noqa: UP007
                  SwitchConfiguration, SetAltSetting, Hold, ResetDevice, AwaitReturn]   # (a runtime alias)


@dataclass
class Plan:
    method: str
    operations: list[Operation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# -- the fixed messages ----------------------------------------------------------------------
def _hex(*messages: str) -> tuple[bytes, ...]:
    return tuple(bytes.fromhex(m) for m in messages)


STANDARD_EJECT = _hex(
    "5553424387654321000000000000061e000000000000000000000000000000",  # LUN 0 ALLOW MEDIUM REMOVAL
    "5553424397654321000000000000061b000000020000000000000000000000",  # LUN 0 START STOP UNIT, LoEj
    "5553424387654321000000000001061e000000000000000000000000000000",  # LUN 1
    "5553424397654321000000000001061b000000020000000000000000000000",
)
HUAWEI_NEW_MODE = bytes.fromhex("55534243123456780000000000000011062000000101000100000000000000")
HUAWEI_ALT_MODE = bytes.fromhex("55534243123456780000000000000011063000000000010000000000000000")
OPTION_MODE = bytes.fromhex("55534243123456780000000000000601000000000000000000000000000000")
CISCO_MESSAGES = _hex(
    "55534243f83bcd810002000080000afd000000030000000100000000000000",
    "55534243984300820002000080000afd000000070000000100000000000000",
    "55534243984300820000000000000afd000100071000000000000000000000",
    "55534243984300820002000080000afd000200230000000100000000000000",
    "55534243984300820000000000000afd000300238200000000000000000000",
    "55534243984300820002000080000afd000200260000000100000000000000",
    "55534243984300820000000000000afd00030026c800000000000000000000",
    "55534243d84c04820002000080000afd000010730000000100000000000000",
    "55534243d84c04820002000080000afd000200240000000100000000000000",
    "55534243d84c04820000000000000afd000300241300000000000000000000",
    "55534243d84c04820000000000000afd000110732400000000000000000000",
)
QISDA_PAYLOAD = bytes.fromhex("058c0408a0ee20005c01040898cdeabf")
MOBILE_ACTION_INIT = bytes.fromhex("b004000002902686")
_MA1, _MA2, _MA3 = (bytes.fromhex(h) for h in ("3701fedbc1331f83", "370eb59d3b8a9151", "3487ba0dfc8a9151"))
_MA4, _MA5 = bytes.fromhex("3304fe00f46c1ff0"), bytes.fromhex("3207fef029b93af0")


def _mobile_action(config: SwitchConfig) -> list[Operation]:
    ops: list[Operation] = [Control(0x21, 0x09, 0x0300, 0, MOBILE_ACTION_INIT, tolerate=("any",))] * 2
    ops += [InterruptIn(0x81)] * 2

    def handshake() -> list[Operation]:
        return [InterruptOut(0x02, _MA1), InterruptIn(0x81), InterruptOut(0x02, _MA2), InterruptIn(0x81),
                InterruptOut(0x02, _MA3)]

    ops += handshake() + [InterruptIn(0x81)] * 63 + handshake() + [InterruptIn(0x81)] * 73
    ops += [InterruptOut(0x02, _MA4), InterruptIn(0x81), InterruptOut(0x02, _MA5), InterruptIn(0x81)]
    return ops


def _interface(config: SwitchConfig, default: int) -> int:
    value = config.get("Interface")
    return default if value is None else value


def _gct(config: SwitchConfig, interface: int) -> list[Operation]:
    return [Detach(), Claim(interface),
            Control(0xA1, 0xA0, 0, interface, 1, tolerate=("any",)),
            Control(0xA1, 0xFE, 0, interface, 1), Release(interface)]


def _pantech(config: SwitchConfig, interface: int) -> list[Operation]:
    value = config.get("PantechMode", 0)
    ops: list[Operation] = [Detach()]
    if value > 1:
        ops.append(Control(0x40, 0x70, value, 0, 0))
    return ops


def _sony(config: SwitchConfig, interface: int) -> list[Operation]:
    request = Control(0xC0, 0x11, 2, 0, 3, timeout_ms=100)
    return [Detach(), request, AwaitReturn(30.0), Hold(1000), request]


#: special mode key -> operations (given the config and the interface in use)
SPECIAL: dict[str, Callable[[SwitchConfig, int], list[Operation]]] = {
    "DetachStorageOnly": lambda c, i: [Detach()],
    "HuaweiMode": lambda c, i: [Control(0x00, 0x03, 1, 0, 0)],
    "SierraMode": lambda c, i: [Control(0x40, 0x0B, 1, 0, 0, tolerate=("pipe",))],
    "GCTMode": _gct,
    "QisdaMode": lambda c, i: [Control(0x40, 0x04, 0, 0, QISDA_PAYLOAD)],
    "KobilMode": lambda c, i: [Detach(), Control(0xC0, 0x88, 0, 0, 8)],
    "QuantaMode": lambda c, i: [Control(0xC0, 0xFF, 0, 0, 0)],
    "SequansMode": lambda c, i: [Control(0x40, 0x0B, 2, 0, 0)],
    "MobileActionMode": lambda c, i: _mobile_action(c),
    "CiscoMode": lambda c, i: [Detach(), SendMessages(CISCO_MESSAGES, cisco=True)],
    "BlackberryMode": lambda c, i: [Detach(), Control(0xC0, 0xB1, 0, 0, 8, tolerate=("any",)),
                                    Control(0xC0, 0xA9, 0x0E, 0, 2)],
    "PantechMode": _pantech,
    "SonyMode": _sony,
}

#: methods whose message is a SCSI command: they need an interface of effective class 8
STORAGE_METHODS = frozenset({"StandardEject", "HuaweiNewMode", "HuaweiAltMode", "CiscoMode", "OptionMode"})


#: bulk methods that are also bits of usb_modeswitch's ModeMap (they count as "special" when
#: checking for two modes at once, and they drop MessageContent/StandardEject)
BULK_MODES = ("HuaweiNewMode", "HuaweiAltMode", "OptionMode")


def special_modes(config: SwitchConfig) -> list[str]:
    return [key for key in SPECIAL if config.flag(key) or (key == "PantechMode" and config.get(key))]


def mode_bits(config: SwitchConfig) -> list[str]:
    """Every ModeMap mode the config sets: more than one is an error."""
    return special_modes(config) + [key for key in BULK_MODES if config.flag(key)]


def user_messages(config: SwitchConfig) -> list[bytes]:
    """MessageContent, then 2 and 3; the list stops at the first empty one, as usb_modeswitch's does."""
    out = []
    for key in MESSAGE_KEYS:
        value = config.get(key)
        if not value:
            break
        out.append(bytes.fromhex(value))
    return out


def method_name(config: SwitchConfig) -> str:
    modes = mode_bits(config)
    if modes:
        return modes[0]
    if config.flag("StandardEject"):
        return "StandardEject"
    if config.get("MessageContent"):
        return "MessageContent"
    if config.get("Configuration"):
        return "Configuration"
    if config.get("AltSetting") is not None:
        return "AltSetting"
    if config.flag("ResetUSB"):
        return "ResetUSB"
    return "none"


def plan(config: SwitchConfig, interface: int = 0) -> Plan:
    """The operations usb_modeswitch 2.6.1 runs for ``config`` on ``interface``, in its order."""
    result = Plan(method_name(config))
    ops = result.operations
    specials = special_modes(config)
    if mode_bits(config) and (config.get("MessageContent") or config.flag("StandardEject")):
        result.warnings.append("MessageContent/StandardEject ignored; can't combine with special mode")
    if specials:
        ops += SPECIAL[specials[0]](config, _interface(config, interface))
    elif config.flag("StandardEject") and not mode_bits(config):
        if config.get("MessageContent2") or config.get("MessageContent3"):
            result.warnings.append("MessageContent2/3 ignored; only one allowed with StandardEject")
        extra = _hex(config.get("MessageContent")) if config.get("MessageContent") else ()
        ops += [Detach(), SendMessages(STANDARD_EJECT + extra)]
    elif config.flag("HuaweiNewMode"):
        ops += [Detach(), SendMessages((HUAWEI_NEW_MODE,))]
    elif config.flag("HuaweiAltMode"):
        ops += [Detach(), SendMessages((HUAWEI_ALT_MODE,))]
    elif config.flag("OptionMode"):
        ops += [Detach(), SendMessages((OPTION_MODE,))]
    elif config.get("MessageContent") and not mode_bits(config):
        ops += [Detach(), SendMessages(tuple(user_messages(config)))]
    if config.get("Configuration"):
        ops.append(SwitchConfiguration(config.get("Configuration")))
    if config.get("AltSetting") is not None:
        number = _interface(config, interface)
        ops += [Claim(number), SetAltSetting(number, config.get("AltSetting")), Release(number)]
    if config.flag("ResetUSB"):
        ops += [Hold(1000), ResetDevice()]
    return result


def uses_storage_command(config: SwitchConfig) -> bool:
    """usb_modeswitch's trigger for the class-8 check: a storage method, or a CBW at the START of
    MessageContent (a CBW only in MessageContent2/3 slips past, as in usb_modeswitch)."""
    if any(config.flag(k) for k in STORAGE_METHODS):
        return True
    return (config.get("MessageContent") or "").startswith(CBW_SIGNATURE)


def needs_bulk_endpoints(config: SwitchConfig) -> bool:
    return bool(config.get("MessageContent")) or any(config.flag(k) for k in STORAGE_METHODS)


def contains_cbw(message: bytes) -> bool:
    """usb_modeswitch reads a CSW after any message whose hex contains 55534243 (anywhere)."""
    return CBW_SIGNATURE in message.hex()
