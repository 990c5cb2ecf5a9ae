"""The exporter host's ``usb_modeswitch`` in the virtual lab: same arguments, virtual dongles.

``python -m hilkit.sim.programs.fake_usb_modeswitch --lab URL -b BUS -g DEV -c FILE`` reads the config file
exactly as :class:`~hilkit.switch.exporter.ExporterSwitchEngine` wrote it on the "exporter host",
and hands it to the virtual lab (``URL``), which sends the switch's transfers to the virtual dongle
with bus number BUS and device number DEV through hilkit's engine (usb_modeswitch 2.6.1's bytes and
order). What is simulated: the binary and the USB device; the config file, the command line, the
way it is run on the exporter host and the wait for re-enumeration are the real path.
"""
from __future__ import annotations

import argparse
import json
import sys
import urllib.request

from hilkit.config.modeswitch_file import parse_config_text
from hilkit.core.errors import HilkitError
from hilkit.core.switch_plan import plan
from hilkit.switch import validate
from hilkit.switch.native import NativeSwitchEngine
from hilkit.switch.result import SwitchResult
from hilkit.usb.bus import UsbBus


def run_config(bus: UsbBus, busnum: int, address: int, text: str) -> tuple[int, str]:
    """Send the config's switch to the device BUS/DEV on ``bus``: (exit code, usb_modeswitch-like output)."""
    device = next((d for d in bus.devices() if d.bus == busnum and d.address == address), None)
    if device is None:
        return 0, (f"Use given bus/device number: {busnum:03d}/{address:03d} ...\n"
                   " No devices in default mode found. Nothing to do. Bye!")
    try:
        config = parse_config_text(text, "<usb_modeswitch -c>").config()
        interface = validate.check(config, device)
        steps = plan(config, interface.number if interface else 0)
        result = SwitchResult(device.port, steps.method, device)
        engine = NativeSwitchEngine(bus)
        engine.send(device.port, config, device, interface, steps.operations, result)
    except HilkitError as exc:
        return 1, f"Error: {exc}"
    lines = [f"Look for default devices ... found device {device.id} on bus {busnum:03d} device {address:03d}",
             f"Switching with {steps.method} ({len(result.transfers)} transfers, hilkit's engine on the virtual "
             f"exporter host)"]
    lines += [t.line(result.transfers[0].time) for t in result.transfers]
    return 0, "\n".join(lines)


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
