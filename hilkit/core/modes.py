"""Does the device on a port look like a mode of its profile? Each difference is one readable line."""
from __future__ import annotations

from hilkit.core.device import Check, DeviceInfo
from hilkit.core.profile import TTY_ROLES, ModeSpec, Profile


def mode_problems(mode: ModeSpec, info: DeviceInfo | None, strict: bool = False) -> list[str]:
    """Why ``info`` is not ``mode`` (ids, device class, configuration, interfaces, tty/net); [] if it is.

    A mode that knows its ids only (``known: ids``) is judged by ids and configuration, unless
    ``strict`` (then its placeholder interfaces count too: how two modes with one id are told apart
    on the virtual dongle that shows them)."""
    if info is None:
        return ["no device on the port"]
    problems = []
    if info.id not in mode.ids:
        problems.append(f"id {info.id} (expected {' or '.join(map(str, mode.ids))})")
    if mode.known == "ids" and not strict:
        if info.configuration != mode.configuration:
            problems.append(f"configuration {info.configuration} (expected {mode.configuration})")
        return problems
    if info.device_class != mode.device_class:
        problems.append(f"device class {info.device_class:02x} (expected {mode.device_class:02x})")
    if info.configuration != mode.configuration:
        problems.append(f"configuration {info.configuration} (expected {mode.configuration})")
    for spec in mode.interfaces:
        seen = info.interface(spec.number, spec.alt)
        label = f"interface {spec.number}" + (f" alt {spec.alt}" if spec.alt else "")
        if seen is None:
            problems.append(f"{label} missing (expected {spec.classes} {spec.role})")
            continue
        if seen.classes != spec.classes:
            problems.append(f"{label} is {seen.classes} (expected {spec.classes} {spec.role})")
            continue
        if spec.alt == 0 and spec.role in TTY_ROLES and not seen.tty:
            problems.append(f"{label} ({spec.role}) has no serial port yet")
        if spec.alt == 0 and spec.role == "net" and not seen.net:
            problems.append(f"{label} (net) has no network interface yet")
    declared = {(s.number, s.alt) for s in mode.interfaces}
    for itf in info.interfaces:
        if (itf.number, itf.alt) not in declared:
            problems.append(f"unexpected interface {itf.number} alt {itf.alt} ({itf.classes})")
    return problems


def in_mode(mode: ModeSpec) -> Check:
    return lambda info: mode_problems(mode, info)


def identify(profile: Profile, info: DeviceInfo | None) -> ModeSpec | None:
    """The profile mode ``info`` is in, judged by ids and interface classes (kernel names aside)."""
    if info is None:
        return None
    for strict in (True, False):   # a full match first: ids-only modes may share their ids
        for mode in profile.modes.values():
            problems = mode_problems(mode, info, strict)
            if not [p for p in problems if not p.endswith(("no serial port yet", "no network interface yet"))]:
                return mode
    return None
