"""The switch engine contract: send a usb_modeswitch config to the device on a port and wait until
the device on that port comes back switched.

Must implement:
    ``switch(port, config, timeout, where="", expect=None, expected="") -> SwitchResult``: refuse
    what cannot work before sending (:class:`~hilkit.core.errors.SwitchRefused`), send, then end
    with :func:`~hilkit.switch.result.await_switched` (so every engine judges success alike);
    ``describe()``: where the transfers go from, for step titles ("" for this host, over pyusb).
May override:
    ``close()``: cut a switch under way short (its fixed delays), release what the engine holds.

Engines: :class:`~hilkit.switch.native.NativeSwitchEngine` (usb_modeswitch's methods over
pyusb), :class:`~hilkit.switch.external.ExternalSwitchEngine` (the installed usb_modeswitch),
:class:`~hilkit.switch.exporter.ExporterSwitchEngine` (usb_modeswitch on a labgrid exporter host).
"""
from __future__ import annotations

from abc import ABC, abstractmethod

from hilkit.core.device import Check
from hilkit.core.switchconfig import SwitchConfig
from hilkit.switch.result import SwitchResult


class SwitchEngine(ABC):
    @abstractmethod
    def switch(self, port: str, config: SwitchConfig, timeout: float, where: str = "",
               expect: Check | None = None, expected: str = "", settle: float | None = None) -> SwitchResult:
        """Send ``config`` to the device on ``port``; return once it is back switched. ``timeout``
        is the ceiling; with ``settle``, a device that came back and stayed that long without a USB
        event in another state fails the switch then (:func:`~hilkit.switch.result.await_switched`)."""

    def describe(self) -> str:
        """Where the transfers go from, for step titles (this host, over pyusb: "")."""
        return ""

    def close(self) -> None:  # noqa: B027 - optional: an engine that holds nothing has nothing to close
        """Cut a switch under way short; release what the engine holds."""
