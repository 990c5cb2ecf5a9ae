"""The faults a simulated lab can inject, as data: what each does and the failure category a run
must classify it into. A rig file names them; a backend that can inject faults rolls the dice."""
from __future__ import annotations

#: fault -> (what it does, the failure category it must be classified into)
FAULTS: dict[str, tuple[str, str]] = {
    "no_reenumeration": ("the switch is accepted but the device never comes back", "no re-enumeration"),
    "wrong_id": ("the device comes back with an id outside its mode's ids", "wrong id"),
    "wrong_classes": ("the device comes back with the right id but other interface classes", "wrong interface class"),
    "slow_enumeration": ("the device enumerates after its enumeration budget", "enumeration timeout"),
    "stall": ("the switch transfer stalls (pipe error) and nothing switches", "transfer error"),
    "vanish_during_transfer": ("the device drops off the bus when the switch transfer arrives", "no re-enumeration"),
    "vanish_during_at": ("the device drops off the bus while an AT command is in flight", "port vanished"),
    "at_garbage": ("the AT port answers garbage instead of result codes", "AT timeout"),
    "at_truncated": ("AT answers are cut off before their final result code", "AT timeout"),
    "tty_vanish": ("the serial port disappears right after enumeration", "port vanished"),
    "relay_stuck": ("the relay does not follow its pin: the power state read back differs", "power fault"),
    "sim_absent": ("no SIM in the dongle", "SIM error"),
    "registration_denied": ("the network denies registration", "not registered"),
}
