"""Slot locks: one holder per slot on a host, a one-line busy message naming it, bounded waits,
stale locks taken over, and release on every exit path (the kernel drops a dead holder's flock)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hilkit.config.paths import PROJECT_ROOT
from hilkit.lab.slotlock import Holder, SlotBusy, SlotLock, SlotLocks, lock_path

HOLD = """
import sys, time
sys.path.insert(0, {root!r})
from hilkit.lab.slotlock import SlotLock
lock = SlotLock({path!r}, "slot e3131 (port 1-1.2)")
lock.acquire()
print("held", flush=True)
sys.stdin.readline()   # hold until told (or killed)
lock.release()
"""


def _holder(path: Path) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", HOLD.format(root=str(PROJECT_ROOT), path=str(path))],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    return process


def test_lock_path_names_rig_and_port(tmp_path):
    assert lock_path(tmp_path, "bench pi/1", "1-1.2") == tmp_path / "bench_pi_1-1-1.2.lock"


def test_second_holder_is_refused_in_one_line_naming_the_first(tmp_path):
    path = lock_path(tmp_path, "virtual", "1-1.2")
    holder = _holder(path)
    try:
        with pytest.raises(SlotBusy) as busy:
            SlotLock(path, "slot e3131 (port 1-1.2)").acquire()
        message = str(busy.value)
        assert "\n" not in message
        assert re.fullmatch(rf"slot e3131 \(port 1-1\.2\) busy: held by PID {holder.pid} \(python\S* -c .*\) "
                            r"since \d\d:\d\d:\d\d", message), message
    finally:
        holder.kill()
        holder.wait()


def test_waiting_gets_the_slot_when_the_holder_lets_go(tmp_path):
    path = lock_path(tmp_path, "virtual", "1-1.2")
    holder = _holder(path)
    threading.Timer(0.5, lambda: (holder.stdin.write("\n"), holder.stdin.flush())).start()
    lock = SlotLock(path, "slot e3131 (port 1-1.2)")
    start = time.monotonic()
    lock.acquire(wait=20)
    waited = time.monotonic() - start
    holder.wait()
    try:
        assert waited > 0.4, waited   # not before the holder let go (after 0.5 s)
        assert Holder.read(path).pid == os.getpid()
    finally:
        lock.release()
    assert path.read_text() == "", "a released lock names no holder"


def test_a_wait_that_runs_out_says_so_and_does_not_take_the_lock_later(tmp_path):
    path = lock_path(tmp_path, "virtual", "1-1.2")
    holder = _holder(path)
    try:
        start = time.monotonic()
        with pytest.raises(SlotBusy, match=r"busy: held by PID \d+ .*; waited 0.3 s$"):
            SlotLocks([SlotLock(path, "slot e3131 (port 1-1.2)")]).acquire(wait=0.3)
        assert time.monotonic() - start >= 0.3   # it did wait what it was asked to
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait()
    # the helper thread of the cancelled wait got the flock after the holder left: it must let go
    third = SlotLock(path, "slot e3131 (port 1-1.2)")
    deadline = time.monotonic() + 120   # a hang guard: the helper lets go as soon as it runs
    while True:
        try:
            third.acquire()
            break
        except SlotBusy:
            assert time.monotonic() < deadline, "the cancelled wait kept the lock"
            time.sleep(0.05)
    third.release()


def test_a_killed_holder_leaves_a_stale_file_that_is_taken_over(tmp_path):
    path = lock_path(tmp_path, "virtual", "1-1.2")
    holder = _holder(path)
    holder.kill()
    holder.wait()
    assert Holder.read(path).pid == holder.pid, "the dead holder's record is still in the file"
    lock = SlotLock(path, "slot e3131 (port 1-1.2)")
    lock.acquire()
    try:
        assert json.loads(path.read_text())["pid"] == os.getpid()
    finally:
        lock.release()


def test_locks_of_several_slots_are_all_or_nothing(tmp_path):
    free, taken = lock_path(tmp_path, "r", "1-1.1"), lock_path(tmp_path, "r", "1-1.2")
    holder = _holder(taken)
    try:
        locks = SlotLocks([SlotLock(free, "slot a (port 1-1.1)"), SlotLock(taken, "slot b (port 1-1.2)")])
        with pytest.raises(SlotBusy, match=r"^slot b \(port 1-1\.2\) busy"):
            locks.acquire()
        assert not any(lock.held for lock in locks.locks)
        other = SlotLock(free, "slot a (port 1-1.1)")
        other.acquire()  # the first slot was given back
        other.release()
    finally:
        holder.kill()
        holder.wait()
