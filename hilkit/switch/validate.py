"""Checks made before anything is sent: a switch that cannot work is refused with a reason and a hint."""
from __future__ import annotations

from collections.abc import Callable

from hilkit.core.device import DeviceInfo, InterfaceInfo
from hilkit.core.errors import SwitchRefused
from hilkit.core.ids import UsbId
from hilkit.core.switch_plan import contains_cbw, mode_bits, needs_bulk_endpoints, user_messages, uses_storage_command
from hilkit.core.switchconfig import CBW_SIGNATURE, SwitchConfig


def target_interface(config: SwitchConfig, device: DeviceInfo) -> InterfaceInfo | None:
    """The interface usb_modeswitch talks to: ``Interface`` if set, else the first interface
    descriptor of the active configuration (not necessarily number 0)."""
    number = config.get("Interface")
    if number is None:
        return next((i for i in device.interfaces if i.alt == 0), None)
    return device.interface(number)


def effective_class(device: DeviceInfo, interface: InterfaceInfo) -> int:
    """The class usb_modeswitch checks: the device class, or the interface class when the device
    class defers to it (0x00, 0xEF); a storage interface under a class other than 8/0xFF counts as 8."""
    cls = interface.cls if device.device_class in (0x00, 0xEF) else device.device_class
    if interface.cls == 0x08 and device.device_class not in (0x08, 0xFF):
        cls = 0x08
    return cls


def bulk_endpoints(interface: InterfaceInfo | None, config: SwitchConfig) -> tuple[int | None, int | None]:
    """(message, response) endpoints: MessageEndpoint/ResponseEndpoint if set, else the interface's
    first bulk OUT and first bulk IN (an interrupt endpoint before them does not count)."""
    eps = interface.endpoints if interface else ()
    out_ep = config.get("MessageEndpoint") or next(
        (e.address for e in eps if e.type == "bulk" and not e.address & 0x80), None)
    in_ep = config.get("ResponseEndpoint") or next(
        (e.address for e in eps if e.type == "bulk" and e.address & 0x80), None)
    return out_ep, in_ep


def matches_target(config: SwitchConfig, device: DeviceInfo) -> bool:
    """Does ``device`` show the target ids (TargetVendor + TargetProduct/List) and TargetClass
    (class of the first interface), as far as the config gives them?"""
    vendor, products, target_class = config.get("TargetVendor"), config.target_products, config.get("TargetClass")
    if vendor is not None and products:
        if device.id.vendor != vendor or device.id.product not in products:
            return False
    elif target_class is None:
        return False
    if target_class is not None:
        first = target_interface(SwitchConfig({}), device)
        return first is not None and first.cls == target_class
    return True


def same_ids_as_default(config: SwitchConfig, device: DeviceInfo) -> bool:
    """Sticks that keep their ids and change only their interfaces: ids alone cannot tell the modes apart."""
    return (config.get("DefaultVendor"), config.get("DefaultProduct")) == (device.id.vendor, device.id.product) \
        and config.get("TargetClass") is None


def in_target(config: SwitchConfig, device: DeviceInfo) -> bool:
    """Is ``device`` already what the switch aims at ("no switch needed")?"""
    return matches_target(config, device) and not same_ids_as_default(config, device)


def hex_problem(message: str) -> str:
    """What keeps ``message`` from being bytes in hex ("" if nothing): a forum's abbreviated
    ``5553424312345678...`` and a stray character are named with their position."""
    if "..." in message or "\u2026" in message:
        return "it contains '...': a message shortened for reading (the device needs every byte)"
    bad = next(((i, c) for i, c in enumerate(message) if c not in "0123456789abcdefABCDEF"), None)
    if bad is not None:
        return f"character {bad[1]!r} at position {bad[0] + 1} of {len(message)}"
    if len(message) % 2:
        return f"{len(message)} hex digits, an odd number (expected two per byte)"
    return ""


def check(config: SwitchConfig, device: DeviceInfo, where: str = "") -> InterfaceInfo | None:
    """Raise :class:`SwitchRefused` if ``config`` cannot work on ``device``; return the interface used."""
    def refuse(problem: str, hint: str) -> SwitchRefused:
        return SwitchRefused(problem, hint, where)

    dv, dp = config.get("DefaultVendor"), config.get("DefaultProduct")
    if in_target(config, device):
        raise refuse(f"no switch needed: the device on {device.port} is {device.id}, already in the target "
                     f"mode ({config.describe_targets()})",
                     "assert the mode instead of switching")
    if dv is not None and dp is not None and UsbId(dv, dp) != device.id:
        raise refuse(f"the device on {device.port} is {device.id}, not the DefaultVendor:DefaultProduct "
                     f"{UsbId(dv, dp)} this switch is for", "check the slot's profile and port path")
    specials = mode_bits(config)
    if len(specials) > 1:
        raise refuse(f"more than one special mode set ({', '.join(specials)}); usb_modeswitch aborts on this",
                     "keep the one method this firmware needs")
    for key in ("MessageContent", "MessageContent2", "MessageContent3"):
        message = config.get(key) or ""
        problem = hex_problem(message)
        if problem:
            raise refuse(f"{key} is not hex: {problem}",
                         "give the whole message as pairs of hex digits, e.g. 55534243... (31 bytes for a CBW)")
        if message.startswith(CBW_SIGNATURE) and len(message) != 62:
            raise refuse(f"{key} is a CBW of {len(message) // 2} bytes (expected 31)",
                         "a CBW is USBC + tag + length + flags + LUN + CB length + 16-byte CDB")
        if message.startswith("5553") and not message.startswith(CBW_SIGNATURE):
            raise refuse(f"{key} starts like a CBW but its signature is {message[:8]} (expected 55534243, 'USBC')",
                         "a storage command starts with 55534243; the device would ignore or stall on this one")

    interface = target_interface(config, device)
    if interface is None:
        raise refuse(f"interface {config.get('Interface', 0)} does not exist on {device.id}",
                     f"interfaces: {', '.join(str(i.number) for i in device.interfaces if i.alt == 0)}")
    if uses_storage_command(config):
        cls = effective_class(device, interface)
        if cls != 0x08:
            raise refuse(f"can't use storage command in MessageContent with interface {interface.number}; "
                         f"interface class is {cls}, expected 8",
                         f"{device.id} shows {interface.classes} on interface {interface.number}, not a "
                         f"storage (CD-ROM) interface: if it is already a modem, it needs no switch")
    if needs_bulk_endpoints(config):
        out_ep, in_ep = bulk_endpoints(interface, config)
        if out_ep is None or in_ep is None:
            missing = "message (bulk OUT)" if out_ep is None else "response (bulk IN)"
            raise refuse(f"{missing} endpoint not given or found on interface {interface.number}",
                         "set MessageEndpoint/ResponseEndpoint, or Interface to the storage interface")
        _check_endpoint(config, "MessageEndpoint", False, interface, refuse)
        # a CSW is read only after a CBW: only then is the response endpoint used
        if uses_storage_command(config) or any(contains_cbw(m) for m in user_messages(config)):
            _check_endpoint(config, "ResponseEndpoint", True, interface, refuse)
    value = config.get("Configuration")
    if value and value not in device.configurations:
        raise refuse(f"Configuration={value}: {device.id} has no configuration {value} (bNumConfigurations "
                     f"{device.num_configurations}, bConfigurationValue {', '.join(map(str, device.configurations))})",
                     "usb_modeswitch would unconfigure the device (SET_CONFIGURATION 0) and then fail, leaving "
                     "it with no configuration; check that this config is for this device")
    return interface


def _check_endpoint(config: SwitchConfig, key: str, is_in: bool, interface: InterfaceInfo,
                    refuse: Callable[[str, str], SwitchRefused]) -> None:
    """An endpoint the config names must be a bulk endpoint of that direction on the interface: pyusb
    cannot send to one the interface lacks, and the kernel would refuse it (usb_modeswitch fails there)."""
    address = config.get(key)
    if address is None:
        return
    have = ", ".join(f"0x{e.address:02x} {e.type} {'IN' if e.is_in else 'OUT'}" for e in interface.endpoints) or "none"
    found = next((e for e in interface.endpoints if e.address == address), None)
    wanted = f"a bulk {'IN' if is_in else 'OUT'} endpoint"
    if found is None:
        raise refuse(f"{key}=0x{address:02x} is not an endpoint of interface {interface.number} (its endpoints: "
                     f"{have})", f"{key} must be {wanted} of the interface the switch talks to; leave it out "
                     f"to use the interface's first one")
    if found.is_in != is_in or found.type != "bulk":
        raise refuse(f"{key}=0x{address:02x} is a {found.type} {'IN' if found.is_in else 'OUT'} endpoint of "
                     f"interface {interface.number}, not {wanted} (its endpoints: {have})",
                     f"leave {key} out to use the interface's first {wanted[2:]}")
