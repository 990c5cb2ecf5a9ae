"""Small helpers over what a rig's slots ask of the host: their dongles' USB ids, their names in messages."""
from __future__ import annotations

from collections.abc import Iterable

from hilkit.core.ids import UsbId
from hilkit.core.profile import ModeSpec
from hilkit.core.rig import Slot


def usb_ids(modes: Iterable[ModeSpec]) -> list[UsbId]:
    """Every USB id of ``modes``, sorted, once each."""
    return sorted({uid for mode in modes for uid in mode.ids})


def slot_names(slots: Iterable[Slot]) -> str:
    """``a, b``: the slots' names for a message."""
    return ", ".join(slot.name for slot in slots)
