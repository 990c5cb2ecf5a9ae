"""The faults a simulated lab can inject, as data: what each does and the failure category a run
must classify it into. A rig file names them; a backend that can inject faults rolls the dice."""
from __future__ import annotations

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
}
