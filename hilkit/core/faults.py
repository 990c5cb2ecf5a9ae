"""The faults a simulated lab can inject, as data: what each does and the failure category a run
must classify it into. A rig file names them; a backend that can inject faults rolls the dice."""
from __future__ import annotations

from dataclasses import dataclass

from hilkit.core.errors import Category

#: fault -> (what it does, the failure category it must be classified into)
FAULTS: dict[str, tuple[str, Category]] = {
    "no_reenumeration": ("the switch is accepted but the device never comes back", Category.NO_REENUMERATION),
    "wrong_id": ("the device comes back with an id outside its mode's ids", Category.WRONG_ID),
    "wrong_classes": ("the device comes back with the right id but other interface classes",
                      Category.WRONG_INTERFACE_CLASS),
    "slow_enumeration": ("the device enumerates after its enumeration budget", Category.ENUMERATION_TIMEOUT),
    "stall": ("the switch transfer stalls (pipe error) and nothing switches", Category.TRANSFER_ERROR),
    "vanish_during_transfer": ("the device drops off the bus when the switch transfer arrives",
                               Category.NO_REENUMERATION),
    "vanish_during_at": ("the device drops off the bus while an AT command is in flight", Category.PORT_VANISHED),
    "at_garbage": ("the AT port answers garbage instead of result codes", Category.AT_TIMEOUT),
    "at_truncated": ("AT answers are cut off before their final result code", Category.AT_TIMEOUT),
    "tty_vanish": ("the serial port disappears right after enumeration", Category.PORT_VANISHED),
    "relay_stuck": ("the relay does not follow its pin: the power state read back differs", Category.POWER_FAULT),
    "sim_absent": ("no SIM in the dongle", Category.SIM_ERROR),
    "registration_denied": ("the network denies registration", Category.NOT_REGISTERED),
    "reenumeration_loop": ("after its switch the device keeps dropping off the bus and coming back",
                           Category.REENUMERATION_LOOP),
    # the data path (the virtual lab's carrier network behind the dongle's interface)
    "no_dhcp": ("the network behind the dongle answers no DHCP request", Category.NO_ADDRESS),
    "dns_failure": ("the carrier's DNS server refuses every query", Category.DNS_FAILURE),
    "captive_portal": ("every HTTP request is redirected to a portal page", Category.CAPTIVE_PORTAL),
    "slow_data": ("downloads crawl far below the profile's throughput floor", Category.SLOW_DATA),
    "link_drop": ("the dongle's link goes down in the middle of a download", Category.LINK_DROPPED),
}

#: the faults the carrier network plays, not the dongle's firmware
DATA_PATH_FAULTS = ("no_dhcp", "dns_failure", "captive_portal", "slow_data", "link_drop")


@dataclass
class FaultSpec:
    name: str
    probability: float = 1.0
    count: int | None = None   # at most this many times (None: unlimited)
    port: str = ""             # only on the slot at this port ("": any)

    def __post_init__(self) -> None:
        if self.name not in FAULTS:
            raise ValueError(f"unknown fault {self.name!r} (expected one of: {', '.join(FAULTS)})")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"fault {self.name}: probability {self.probability} (expected 0..1)")


def parse_fault(text: str) -> FaultSpec:
    """``name``, ``name:probability`` or ``name:probability:count`` (the CLI and rig form); the
    name may end in ``@PORT`` to inject it on one slot only (``relay_stuck@1-1.3``: a dead relay)."""
    parts = text.split(":")
    name, _, port = parts[0].partition("@")
    try:
        return FaultSpec(name, float(parts[1]) if len(parts) > 1 and parts[1] else 1.0,
                         int(parts[2]) if len(parts) > 2 and parts[2] else None, port)
    except ValueError as exc:
        raise ValueError(f"fault {text!r}: {exc}") from None


@dataclass
class Fired:
    """A fault that happened: when, which, where (a slot's port) and the category it must end in."""

    time: float
    fault: str
    where: str          # slot port
    category: str
