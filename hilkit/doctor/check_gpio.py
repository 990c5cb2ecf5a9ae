"""The GPIO checks, for slots whose power is switched by a GPIO relay: a usable /dev/gpiochip*, and a
gpiozero pin factory that can load here."""
from __future__ import annotations

import os
import sys

from hilkit.core.rig import Rig, Slot
from hilkit.doctor.findings import FAIL, OK, WARN, Finding
from hilkit.doctor.host import Host
from hilkit.doctor.rig_slots import slot_names

#: gpiozero's pin factory names -> the module each needs (gpiozero's own fallback order)
PIN_LIBRARIES = {"lgpio": "lgpio", "rpigpio": "RPi.GPIO", "pigpio": "pigpio"}
PIN_INSTALL = {"lgpio": "pip install lgpio (or apt install python3-lgpio)",
               "rpigpio": "pip install RPi.GPIO",
               "pigpio": "pip install pigpio, and sudo systemctl enable --now pigpiod"}


def _gpio_slots(rig: Rig) -> list[Slot]:
    return [s for s in rig.slots if s.power.driver == "gpio"]


def _pin_factory(rig: Rig, host: Host) -> str:
    return rig.pin_factory or host.environ.get("GPIOZERO_PIN_FACTORY", "")


def check_gpio_chip(rig: Rig, host: Host) -> list[Finding]:
    """A /dev/gpiochip* this user can read+write (unless the pins are mocked or driven remotely)."""
    check = "gpio-chip"
    slots = _gpio_slots(rig)
    if not slots:
        return []
    factory = _pin_factory(rig, host)
    if factory == "mock":
        return [Finding(OK, check, "pin_factory mock: no GPIO hardware is used")]
    if factory == "pigpio" and rig.pin_host:
        return [Finding(OK, check, f"pins are driven by pigpiod on {rig.pin_host}: no local GPIO chip needed")]
    chips = host.glob("/dev/gpiochip*")
    if not chips:
        return [Finding(FAIL, check, f"no /dev/gpiochip* on this machine, and slots {slot_names(slots)} switch "
                                     "their power by GPIO",
                        "run on the Pi that drives the relays (in a container: --device /dev/gpiochip0)")]
    usable = [c for c in chips if host.access(c, os.R_OK | os.W_OK)]
    if not usable:
        return [Finding(FAIL, check, f"this user cannot read+write {', '.join(host.show(c) for c in chips)}",
                        "sudo usermod -aG gpio $USER (then log in again)")]
    return [Finding(OK, check, f"read+write on {', '.join(host.show(c) for c in usable)}")]


def check_pin_factory(rig: Rig, host: Host) -> list[Finding]:
    """The rig's gpiozero pin factory (or the one gpiozero would fall back to) can load here."""
    check = "pin-factory"
    if not _gpio_slots(rig):
        return []
    factory = _pin_factory(rig, host)
    if factory == "mock":
        return [Finding(OK, check, "pin_factory mock (the relays do not move)")]
    native_ok = host.exists("/dev/gpiomem") or host.path("/sys/class/gpio").is_dir()
    if factory == "native":
        if native_ok:
            return [Finding(OK, check, "pin_factory native: /dev/gpiomem or /sys/class/gpio present")]
        return [Finding(FAIL, check, "pin_factory native needs /dev/gpiomem or /sys/class/gpio; neither is here",
                        "use pin_factory: lgpio (Pi 5 and any recent kernel), or give group gpio access to "
                        "/dev/gpiomem")]
    if factory in PIN_LIBRARIES:
        module = PIN_LIBRARIES[factory]
        if host.module_available(module):
            return [Finding(OK, check, f"pin_factory {factory}: {module} imports in {sys.executable}")]
        return [Finding(FAIL, check, f"pin_factory {factory}: {module} is not importable in {sys.executable}",
                        PIN_INSTALL[factory])]
    # no pin_factory: gpiozero tries lgpio, RPi.GPIO, pigpio, then native
    for name, module in PIN_LIBRARIES.items():
        if host.module_available(module):
            return [Finding(OK, check, f"no pin_factory in the rig: gpiozero will use {name} ({module})")]
    if native_ok:
        return [Finding(WARN, check, "no pin_factory in the rig and none of lgpio, RPi.GPIO, pigpio importable: "
                                     "gpiozero falls back to native",
                        f"set pin_factory in the rig and install it: {PIN_INSTALL['lgpio']}")]
    return [Finding(FAIL, check, "no pin_factory in the rig, none of lgpio, RPi.GPIO, pigpio importable, "
                                 "no /dev/gpiomem: gpiozero has no way to drive the relays",
                    f"set pin_factory: lgpio in the rig and {PIN_INSTALL['lgpio']}")]
