"""The virtual host kernel: binds drivers to a virtual dongle's interfaces by class, as Linux does,
and makes the tty and net names a rig would see under /dev and /sys/class/net.

The ttys themselves are made by the factory the lab composes it with (real ptys that pyserial
opens: :mod:`hilkit.sim.adapters.pty_port`): the model does not depend on its adapters."""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from hilkit.core.profile import InterfaceSpec, ModeSpec
from hilkit.sim.model.at_model import ModemModel


class Tty(Protocol):
    """A serial port the kernel made for an interface (its node is ``path``)."""

    path: str

    def close(self) -> None: ...


#: (name, the AT model answering on it or None, the fault hook) -> a tty
TtyFactory = Callable[[str, "ModemModel | None", "Callable[[str], str | None] | None"], Tty]


def driver_for(itf: InterfaceSpec) -> tuple[str, str]:
    """(driver, what it creates: "tty" / "net" / "") for an interface, by class like the kernel."""
    triple = (itf.cls, itf.subclass)
    if itf.cls == 0x08:
        return "usb-storage", ""
    if itf.cls == 0xFF:
        if itf.role == "net":
            return "qmi_wwan", "net"
        if itf.subclass == 0xFF or itf.role in ("at", "diag", "ppp"):
            return "option", "tty"   # the modem drivers' vendor-class ports
        return "", ""                # another vendor-specific function: no driver claims it
    if triple == (0x02, 0x0D):
        return "cdc_ncm", "net"
    if triple == (0x02, 0x06):
        return "cdc_ether", "net"
    if triple == (0x02, 0x0E):
        return "cdc_mbim", "net"
    if triple == (0x02, 0x02):
        return "cdc_acm", "tty"
    if (itf.cls, itf.subclass, itf.protocol) == (0xE0, 0x01, 0x03):
        return "rndis_host", "net"
    return "", ""


@dataclass
class Binding:
    """What the kernel made of one enumeration of a dongle."""

    view: dict[int, dict[str, str]] = field(default_factory=dict)   # interface -> driver/tty/net
    ports: list[Tty] = field(default_factory=list)
    nets: list[str] = field(default_factory=list)
    #: other ends the firmware's AT interpreter is served on (a modem manager's socket): they hear
    #: its unsolicited codes and close with the binding
    served: list[Any] = field(default_factory=list)


class SimKernel:
    def __init__(self, make_tty: TtyFactory) -> None:
        self._make_tty = make_tty
        self._lock = threading.Lock()
        self._nets_in_use: set[str] = set()

    def _net_name(self, driver: str) -> str:
        prefix = "usb" if driver in ("cdc_ether", "rndis_host") else "wwan"
        with self._lock:
            n = 0
            while f"{prefix}{n}" in self._nets_in_use:
                n += 1
            self._nets_in_use.add(f"{prefix}{n}")
            return f"{prefix}{n}"

    def bind(self, port: str, mode: ModeSpec, modem: ModemModel | None,
             interfere: Callable[[str], str | None] | None = None) -> Binding:
        binding = Binding()
        master_driver: dict[int, str] = {}
        for itf in mode.interfaces:
            if itf.alt != 0:
                continue
            driver, creates = driver_for(itf)
            if itf.cls == 0x0A:
                driver = next(iter(master_driver.values()), "")  # data interface of the CDC function
            entry = {"driver": driver} if driver else {}
            if creates == "tty":
                name = f"{port}:{itf.number}"
                pty = self._make_tty(name, modem if itf.role in ("at", "ppp") else None, interfere)
                binding.ports.append(pty)
                entry["tty"] = pty.path
            elif creates == "net":
                entry["net"] = self._net_name(driver)
                binding.nets.append(entry["net"])
                master_driver[itf.number] = driver
            binding.view[itf.number] = entry
        return binding

    def unbind(self, binding: Binding) -> None:
        for pty in [*binding.ports, *binding.served]:
            pty.close()
        with self._lock:
            self._nets_in_use.difference_update(binding.nets)
