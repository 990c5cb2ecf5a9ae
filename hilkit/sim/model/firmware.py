"""What a virtual dongle's firmware reacts to, from the device's side of the cable.

The host side (:mod:`hilkit.core.switch_plan`) turns usb_modeswitch keys into transfers. This module
is written the other way round: for each switch the profile declares from the current mode, the
SCSI command, raw bulk message, control request or configuration that makes the firmware leave the
mode. A transfer that matches none of them changes nothing, so a wrong message leaves the dongle
where it was, as it would a real stick.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from hilkit.core.profile import Profile, SwitchSpec

# Huawei's vendor SCSI command 0x11 0x06 ("switch port mode"); byte 2 selects the firmware's mode.
_HUAWEI_NEW = bytes.fromhex("11062000000101000100000000000000")
_HUAWEI_ALT = bytes.fromhex("11063000000000010000000000000000")
_REZERO = bytes.fromhex("01000000000000000000000000000000")       # Option ZeroCD: REZERO UNIT
_EJECT = bytes.fromhex("1b000000020000000000000000000000")        # START STOP UNIT, LoEj
_CISCO_LAST = bytes.fromhex("fd000110732400000000000000000000")   # the 11th of Cisco's vendor commands
_MOBILE_ACTION_LAST = bytes.fromhex("3207fef029b93af0")           # the last interrupt message

_CONTROL_MODES = {  # (bmRequestType, bRequest, wValue) the firmware switches on
    "HuaweiMode": (0x00, 0x03, 1),    # SET_FEATURE(1), the E220-class switch
    "SierraMode": (0x40, 0x0B, 1),
    "SequansMode": (0x40, 0x0B, 2),
    "QuantaMode": (0xC0, 0xFF, 0),
    "KobilMode": (0xC0, 0x88, 0),
    "QisdaMode": (0x40, 0x04, 0),
    "BlackberryMode": (0xC0, 0xA9, 0x0E),
    "GCTMode": (0xA1, 0xFE, 0),
}
#: SonyMode: this request makes the stick drop off the bus and come back (its switch is the
#: Configuration that follows)
SONY_RECONNECT = (0xC0, 0x11, 2)


@dataclass(frozen=True)
class Trigger:
    target: str          # the mode the firmware moves to
    kind: str  # "cdb" (SCSI CDB in a CBW), "raw" (bulk/interrupt bytes), "control", "configuration", "detach"
    match: bytes | tuple[int, ...] | int


class Cbw(TypedDict):
    """A Command Block Wrapper's fields, as :func:`parse_cbw` reads them."""
    tag: bytes
    length: int
    flags: int
    lun: int
    cb_length: int
    cdb: bytes


def parse_cbw(data: bytes) -> Cbw | None:
    """A Command Block Wrapper's fields, or None if ``data`` is not a well-formed 31-byte CBW."""
    if len(data) != 31 or data[:4] != b"USBC":
        return None
    return {"tag": data[4:8], "length": int.from_bytes(data[8:12], "little"), "flags": data[12],
            "lun": data[13], "cb_length": data[14], "cdb": bytes(data[15:31])}


def trigger_for(switch: SwitchSpec) -> Trigger:
    config = switch.config
    for name, setup in _CONTROL_MODES.items():
        if config.flag(name):
            return Trigger(switch.target, "control", setup)
    pantech = config.get("PantechMode") or 0
    if pantech > 1:
        return Trigger(switch.target, "control", (0x40, 0x70, pantech))
    if pantech == 1 or config.flag("DetachStorageOnly"):
        return Trigger(switch.target, "detach", 0)  # the stick switches once usb-storage lets go
    if config.flag("MobileActionMode"):
        return Trigger(switch.target, "raw", _MOBILE_ACTION_LAST)
    if config.flag("CiscoMode"):
        return Trigger(switch.target, "cdb", _CISCO_LAST)
    if config.flag("SonyMode"):
        return Trigger(switch.target, "configuration", config.get("Configuration") or 0)
    if config.flag("HuaweiNewMode"):
        return Trigger(switch.target, "cdb", _HUAWEI_NEW)
    if config.flag("HuaweiAltMode"):
        return Trigger(switch.target, "cdb", _HUAWEI_ALT)
    if config.flag("OptionMode"):
        return Trigger(switch.target, "cdb", _REZERO)
    messages = config.messages
    if messages:
        last = bytes.fromhex(messages[-1] if not config.flag("StandardEject") else messages[0])
        cbw = parse_cbw(last)
        return Trigger(switch.target, "cdb", cbw["cdb"]) if cbw else Trigger(switch.target, "raw", last)
    if config.flag("StandardEject"):
        return Trigger(switch.target, "cdb", _EJECT)
    if config.get("Configuration"):
        return Trigger(switch.target, "configuration", config.get("Configuration"))
    return Trigger(switch.target, "none", 0)  # a no-op switch (the database's Configuration=0 dummy)


def triggers(profile: Profile, mode: str) -> list[Trigger]:
    """What makes the firmware leave ``mode``: the profile's switches, and those its firmware knows
    beyond them (``virtual.firmware_switches``: a stick whose working message is not written down)."""
    known = (*profile.switches, *profile.virtual.firmware_switches)
    return [trigger_for(s) for s in known if s.source == mode]
