"""The exporter host's ``usb_modeswitch`` in the virtual lab: same arguments, same output lines,
virtual dongles.

``python -m hilkit.sim.programs.fake_usb_modeswitch --lab URL -b BUS -g DEV -c FILE`` reads the
config file exactly as :class:`~hilkit.switch.exporter.ExporterSwitchEngine` wrote it on the
"exporter host" and hands it to the virtual lab (``URL``), which switches the virtual dongle with
bus number BUS and device number DEV. The switch is sent by a small implementation of its own,
written from usb_modeswitch 2.6.1's documented behaviour (shared/reference/usb_modeswitch.md), NOT
by hilkit's engine: a bug in the engine cannot hide behind it, and what it prints is what the real
binary prints, which the exporter engine parses. It knows the methods the loopback's dongles use
(MessageContent 1-3, StandardEject, HuaweiNewMode, HuaweiMode) and says so for any other.
"""
from __future__ import annotations

import argparse
import errno
import json
import sys
import urllib.request

import usb.core
import usb.util

from hilkit.config.modeswitch_file import parse_config_text
from hilkit.core.errors import HilkitError
from hilkit.core.switchconfig import SwitchConfig
from hilkit.usb.bus import UsbBus

#: usb_modeswitch 2.6.1's fixed messages (shared/reference/usb_modeswitch.md)
STANDARD_EJECT = ("5553424387654321000000000000061e000000000000000000000000000000",
                  "5553424397654321000000000000061b000000020000000000000000000000",
                  "5553424387654321000000000001061e000000000000000000000000000000",
                  "5553424397654321000000000001061b000000020000000000000000000000")
HUAWEI_NEW_MODE = "55534243123456780000000000000011062000000101000100000000000000"
NOT_FOUND = "No devices in default mode found. Nothing to do. Bye!"


def _messages(config: SwitchConfig) -> list[str] | None:
    """The bulk messages usb_modeswitch sends for ``config``, in order (None: no bulk method)."""
    if config.flag("StandardEject"):
        return [*STANDARD_EJECT, *([str(config.get("MessageContent"))] if config.get("MessageContent") else [])]
    if config.flag("HuaweiNewMode"):
        return [HUAWEI_NEW_MODE]
    found = [str(config.get(key)) for key in ("MessageContent", "MessageContent2", "MessageContent3")
             if config.get(key)]
    return found or None


def run_config(bus: UsbBus, busnum: int, address: int, text: str) -> tuple[int, str]:
    """Switch the device BUS/DEV on ``bus`` as usb_modeswitch would: (exit code, its output)."""
    out = [f"Use given bus/device number: {busnum:03d}/{address:03d} ..."]
    device = next((d for d in bus.devices() if d.bus == busnum and d.address == address), None)
    if device is None:
        return 0, "\n".join([*out, f" {NOT_FOUND}"])
    try:
        config = parse_config_text(text, "<usb_modeswitch -c>").config()
    except HilkitError as exc:
        return 1, f"Error: {exc}"
    out.append(f"Look for default devices ...\n found matching vendor ID\n Found device in default mode ({device.id})")
    messages = _messages(config)
    if messages is None and not config.flag("HuaweiMode"):
        return 1, "\n".join([*out, "Error: this virtual exporter host's usb_modeswitch knows MessageContent, "
                                   "StandardEject, HuaweiNewMode and HuaweiMode only"])
    first = device.interfaces[0] if device.interfaces else None
    if messages and (first is None or first.cls != 0x08):
        cls = first.cls if first is not None else 0
        return 1, "\n".join([*out, f"Error: can't use storage command in MessageContent with interface 0; "
                                   f"interface class is {cls}, expected 8. Abort"])
    dev = bus.open(device.port)
    if dev is None:
        return 1, "\n".join([*out, "Error: the device vanished before the switch"])
    try:
        if config.flag("HuaweiMode"):
            out += _huawei_mode(dev)
        else:
            assert messages is not None
            out += _send_messages(dev, config, messages)
    finally:
        usb.util.dispose_resources(dev)
    return 0, "\n".join(out)


def _huawei_mode(dev: usb.core.Device) -> list[str]:
    out = ["Send old Huawei control message ..."]
    try:
        dev.ctrl_transfer(0x00, 0x03, 1, 0, None, 1000)   # SET_FEATURE, as the kernel's E220 initializer
        out.append(" OK, Huawei control message sent")
    except usb.core.USBError as exc:
        out.append(f" Sending Huawei control message failed (error {exc.errno})")
    return out


def _send_messages(dev: usb.core.Device, config: SwitchConfig, messages: list[str]) -> list[str]:
    """claim, each message (a CSW read after any CBW), clear halts, release: switchSendMessage()."""
    intf = dev.get_active_configuration()[(0, 0)]
    out_ep = config.get("MessageEndpoint") or next(e.bEndpointAddress for e in intf
                                                   if not e.bEndpointAddress & 0x80 and e.bmAttributes & 3 == 2)
    in_ep = config.get("ResponseEndpoint") or next(e.bEndpointAddress for e in intf
                                                   if e.bEndpointAddress & 0x80 and e.bmAttributes & 3 == 2)
    out: list[str] = []
    try:
        if dev.is_kernel_driver_active(0):
            dev.detach_kernel_driver(0)
    except (NotImplementedError, usb.core.USBError):
        pass
    usb.util.claim_interface(dev, 0)
    for number, message in enumerate(messages, start=1):
        out.append(f"Trying to send message {number} to endpoint 0x{out_ep:02x} ...")
        try:
            dev.write(out_ep, bytes.fromhex(message), 3000)
            out.append(" OK, message successfully sent")
            if "55534243" in message:
                out.append(f"Read the response to message {number} (CSW) ...")
                csw = bytes(dev.read(in_ep, 13, 3000))
                out.append(f" Response successfully read ({len(csw)} bytes), status {csw[12] if len(csw) > 12 else 0}")
        except usb.core.USBError as exc:
            out.append(" Device is gone, skip any further commands" if exc.errno == errno.ENODEV
                       else f" Sending the message returned error {exc.errno}. Try to continue")
            if exc.errno == errno.ENODEV:
                return out
    for kind, endpoint in (("response", in_ep), ("message", out_ep)):
        out.append(f"Reset {kind} endpoint 0x{endpoint:02x}")
        try:
            dev.clear_halt(endpoint)
        except usb.core.USBError:
            out.append(" Could not reset endpoint (probably harmless): -4")
    try:
        usb.util.release_interface(dev, 0)
    except usb.core.USBError:
        pass
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="usb_modeswitch (hilkit virtual lab)")
    parser.add_argument("--lab", required=True, help="the virtual lab's exporter-host endpoint")
    parser.add_argument("-b", type=int, required=True, dest="bus")
    parser.add_argument("-g", type=int, required=True, dest="address")
    parser.add_argument("-c", required=True, dest="config")
    args = parser.parse_args(argv)
    with open(args.config, encoding="utf-8") as fh:
        text = fh.read()
    body = json.dumps({"bus": args.bus, "address": args.address, "config": text}).encode()
    request = urllib.request.Request(args.lab, data=body,  # noqa: S310 - 127.0.0.1, the virtual lab
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - 127.0.0.1, the virtual lab
        reply = json.loads(answer.read())
    print(reply["output"])
    return int(reply["code"])


if __name__ == "__main__":
    sys.exit(main())
