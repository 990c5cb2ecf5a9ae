"""A virtual dongle: powered by its relay, enumerating in its profile's modes, switching when its
firmware gets the message it expects, and recording every transfer it receives.

Its life on the bus is :mod:`hilkit.sim.model.dongle_lifecycle`'s; the device side of the transfers
it answers is :mod:`hilkit.sim.model.usb_device_side`'s; :class:`VirtualDongle` is both, and what
tests look at."""
from __future__ import annotations

from hilkit.sim.model.firmware import Trigger
from hilkit.sim.model.received_transfer import Received
from hilkit.sim.model.usb_device_side import UsbDeviceSide, gone


class VirtualDongle(UsbDeviceSide):
    """Device-side model of one dongle on one port. Thread-safe; physics runs on the lab's scheduler."""

    # -- what tests look at ----------------------------------------------------------------
    def switch_transfers(self) -> list[Received]:
        """Transfers other than standard requests: what a switch sent."""
        return [t for t in self.transfers if not t.standard_request]

    def kernel_view(self) -> dict[int, dict[str, str]]:
        with self._lock:
            return {k: dict(v) for k, v in self.binding.view.items()}

    def __repr__(self) -> str:
        state = self.mode.name if self.mode else ("powered, not enumerated" if self.powered else "off")
        return f"<VirtualDongle {self.profile.key} on {self.port}: {state}>"


__all__ = ["VirtualDongle", "Received", "Trigger", "gone"]
