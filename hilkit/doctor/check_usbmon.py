"""The USB capture check: the kernel's usbmon interface of each slot's bus is there and readable, so
every test's USB traffic can go into its report as a pcapng (``--hilkit-usb-capture``). A warning,
not a failure: the tests run without it, with a note where the capture would be."""
from __future__ import annotations

import os

from hilkit.core.rig import Rig
from hilkit.doctor.findings import OK, WARN, Finding
from hilkit.doctor.host import Host

UDEV_RULE = 'SUBSYSTEM=="usbmon", GROUP="plugdev", MODE="0640"'


def check_usbmon(rig: Rig, host: Host) -> list[Finding]:
    check = "usb-capture"
    buses = sorted({slot.bus for slot in rig.slots})
    if not buses:
        return []
    nodes = {bus: f"/dev/usbmon{bus}" for bus in buses}
    missing = [node for node in nodes.values() if not host.exists(node)]
    if missing and not host.exists("/sys/module/usbmon"):
        return [Finding(WARN, check, "the usbmon module is not loaded: no USB traffic (pcapng) in the reports",
                        "sudo modprobe usbmon; echo usbmon | sudo tee /etc/modules-load.d/usbmon.conf")]
    if missing:
        where = host.container()
        fix = (f"pass the nodes into the container (--device {' --device '.join(missing)})" if where else
               "check the slots' ports: these buses have no usbmon node")
        return [Finding(WARN, check, f"{', '.join(missing)} missing: that bus's USB traffic is not captured", fix)]
    unreadable = [node for node in nodes.values() if not host.access(host.path(node), os.R_OK)]
    if unreadable:
        return [Finding(WARN, check, f"{', '.join(unreadable)} not readable by this user: no USB traffic "
                                     "(pcapng) in the reports",
                        f"a udev rule, /etc/udev/rules.d/60-usbmon.rules: {UDEV_RULE}, and this user in plugdev")]
    return [Finding(OK, check, f"usbmon readable on bus {', '.join(map(str, buses))}: each test's USB traffic "
                               "can be captured")]
