"""Soak: power-cycle, switch and attach every slot N times; summarise; resume after a kill.

Each slot-cycle is a record appended to ``<out>/cycles.jsonl`` (one atomic line), and the cycle
reached is kept in ``<out>/state.json`` (replaced atomically), so a soak killed at cycle 612
continues at 613 and its first 612 cycles stay valid. Every failure is classified into one of the
report's categories; in the virtual lab every injected fault is checked against its category.
"""
from __future__ import annotations

import json
import os
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hilkit.core.errors import category_of
from hilkit.core.rig import Rig, Slot
from hilkit.dut import Dongle
from hilkit.lab.lab_backend import Capability, LabBackend
from hilkit.lab.slot_health import SlotHealth
from hilkit.modem.attach import require_attached
from hilkit.report.results_files import append_jsonl


@dataclass
class SoakSummary:
    cycles: int = 0
    records: int = 0
    passed: int = 0
    categories: Counter = field(default_factory=Counter)
    timings: dict[str, list[float]] = field(default_factory=dict)
    injected: int = 0
    classified_as_injected: int = 0
    mismatches: list[str] = field(default_factory=list)
    relays_at_rest: bool | None = None
    seconds: float = 0.0
    quarantined: list[str] = field(default_factory=list)   # slots left out: quarantined (hilkit slot status)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.records if self.records else 0.0

    def lines(self) -> list[str]:
        out = [f"slot-cycles: {self.records} ({self.cycles} cycles), passed {self.passed} "
               f"({self.pass_rate:.1%}), wall {self.seconds:.1f} s"]
        for category, count in self.categories.most_common():
            out.append(f"  failed: {category}: {count}")
        for name, values in sorted(self.timings.items()):
            if values:
                ordered = sorted(values)
                p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
                out.append(f"  {name}: p50 {statistics.median(ordered):.3f} s, p95 {p95:.3f} s, "
                           f"max {ordered[-1]:.3f} s (n={len(ordered)})")
        if self.injected:
            out.append(f"  injected faults: {self.injected}, classified into their category: "
                       f"{self.classified_as_injected} ({self.classified_as_injected / self.injected:.0%})")
        for mismatch in self.mismatches[:10]:
            out.append(f"  MISMATCH {mismatch}")
        if self.quarantined:
            out.append(f"  quarantined slots, not soaked: {len(self.quarantined)} ({', '.join(self.quarantined)}; "
                       "hilkit slot release NAME)")
        if self.relays_at_rest is not None:
            out.append(f"  relays at rest at the end: {'yes' if self.relays_at_rest else 'NO'}")
        return out


def _write_state(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state), encoding="utf-8")
    os.replace(tmp, path)


def one_cycle(dongle: Dongle) -> dict[str, Any]:
    """Power on, switch to the working mode, attach; the record of what happened and how long."""
    timings: dict[str, float] = {}
    start = time.monotonic()
    dongle.power_on()
    timings["enumerate"] = dongle.enumeration_time or 0.0
    final = dongle.profile.final_mode
    if dongle.mode() != final:
        for result in dongle.switch_to(final.name):
            timings["re-enumerate"] = result.reenumeration_time
    if dongle.profile.attach is not None:
        attached = dongle.attach()
        timings["attach"] = attached.time_to_attach
        require_attached(dongle.profile.attach, attached)
    timings["cycle"] = time.monotonic() - start
    return timings


def soak(rig: Rig, lab: LabBackend, cycles: int, out: Path, budget_scale: float = 1.0,
         on_record: Callable[[dict[str, Any]], None] | None = None,
         stop: threading.Event | None = None, health: SlotHealth | None = None) -> SoakSummary:
    """Run (or resume) a soak of ``cycles`` cycles over every slot of ``rig`` in parallel threads;
    a slot ``health`` says is quarantined is left out and counted."""
    quarantined = [s.name for s in rig.slots if health is not None and health.read(rig.name, s.port).quarantined_since]
    out.mkdir(parents=True, exist_ok=True)
    state_path, records_path = out / "state.json", out / "cycles.jsonl"
    state = json.loads(state_path.read_text()) if state_path.is_file() else {}
    done = {slot.name: state.get(slot.name, -1) for slot in rig.slots}
    faults = lab.faults if lab.can(Capability.FAULT_INJECTION) else None
    lock = threading.Lock()
    stop = stop or threading.Event()

    def run_slot(slot: Slot) -> None:
        for cycle in range(done[slot.name] + 1, cycles):
            if stop.is_set():
                return
            mark = len(faults.log) if faults is not None else 0
            dongle = Dongle(slot, lab, budget_scale)
            record: dict[str, Any] = {"cycle": cycle, "slot": slot.name, "port": slot.port,
                                      "profile": slot.profile.key, "time": time.time()}
            try:
                record["timings"] = one_cycle(dongle)
                record["ok"] = True
            except Exception as exc:  # noqa: BLE001 - every failure is classified, never lost
                message = f"{type(exc).__name__}: {exc}"
                category = category_of(exc)
                record.update(ok=False, error=message[:2000], category=category.value if category else "unclassified")
            finally:
                try:
                    dongle.close()
                except Exception as exc:  # noqa: BLE001 - a failing teardown is a result too
                    record.setdefault("teardown_error", f"{type(exc).__name__}: {exc}")
            if faults is not None:
                fired = faults.fired_since(mark, slot.port)
                record["injected"] = [{"fault": f.fault, "category": f.category} for f in fired]
            with lock:
                append_jsonl(records_path, [record])
                done[slot.name] = cycle
                _write_state(state_path, dict(done))
            if on_record is not None:
                on_record(record)

    start = time.monotonic()
    threads = [threading.Thread(target=run_slot, args=(slot,), name=f"soak-{slot.name}") for slot in rig.slots
               if slot.name not in quarantined]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except KeyboardInterrupt:
        stop.set()
        for thread in threads:
            thread.join()
        raise
    summary = summarize(records_path, cycles) if records_path.is_file() else SoakSummary(cycles=cycles)
    summary.seconds = time.monotonic() - start
    summary.quarantined = quarantined
    return summary


def summarize(records_path: Path, cycles: int = 0) -> SoakSummary:
    summary = SoakSummary(cycles=cycles)
    for line in records_path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        summary.records += 1
        if record.get("ok"):
            summary.passed += 1
            for name, value in record.get("timings", {}).items():
                summary.timings.setdefault(name, []).append(value)
        else:
            summary.categories[record.get("category", "unclassified")] += 1
        injected = record.get("injected", [])
        if injected:
            summary.injected += 1
            wanted = {i["category"] for i in injected}
            got = record.get("category")
            # the first fault that broke the cycle decides; a fault that did no harm (a garbage
            # answer to a command whose answer is not needed) must not hide behind a pass
            if not record.get("ok") and got in wanted:
                summary.classified_as_injected += 1
            else:
                summary.mismatches.append(f"cycle {record['cycle']} slot {record['slot']}: injected "
                                          f"{[i['fault'] for i in injected]} ({', '.join(sorted(wanted))}), "
                                          f"got {'pass' if record.get('ok') else got}: {record.get('error', '')[:160]}")
    return summary
