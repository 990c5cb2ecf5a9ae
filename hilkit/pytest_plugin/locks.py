"""Slot locks: the session's process holds a lock per slot it drives (:mod:`hilkit.lab.slotlock`),
so two runs on one host never drive the same dongle."""
from __future__ import annotations

import pytest

from hilkit.core.rig import Rig, Slot
from hilkit.lab.lab_backend import Capability
from hilkit.lab.registry import lab_class
from hilkit.lab.slotlock import SlotBusy, SlotLock, SlotLocks, lock_dir, lock_path
from hilkit.pytest_plugin.keys import LOCKS, SETTINGS


def slots_are_locked(config: pytest.Config, rig: Rig) -> bool:
    """Where a run locks its slots (and keeps their health): on this host's hardware, or wherever a
    lock directory is named (a virtual rig's dongles otherwise live only in the run)."""
    return bool(config.stash[SETTINGS].lock_dir) or Capability.HOST_HARDWARE in lab_class(rig).capabilities


def hold_slots(config: pytest.Config, rig: Rig, slots: list[Slot]) -> None:
    """Lock ``slots`` for the rest of the session (released at unconfigure, whatever ended it),
    or stop the run with one line naming the holder. Nothing to lock on a virtual rig unless a
    lock directory is named."""
    settings = config.stash[SETTINGS]
    if not slots or not slots_are_locked(config, rig):
        return
    directory = lock_dir(settings.lock_dir)
    locks = SlotLocks(SlotLock(lock_path(directory, rig.name, s.port), f"slot {s.name} (port {s.port})")
                      for s in slots)
    try:
        locks.acquire(settings.slot_wait)
    except SlotBusy as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[LOCKS] = locks
    config.add_cleanup(locks.release)
