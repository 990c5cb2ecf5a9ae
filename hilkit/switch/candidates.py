"""The switches worth trying on a dongle nobody has written a working switch for.

What usb_modeswitch's users do by hand, in the order they would: first the usb-modeswitch-data
configs written for this very id, then those of the same vendor, then those of sticks whose
interfaces look the same, then the generic methods. Each candidate keeps only the keys that make
the switch (the message, the special mode, the configuration); the ids are the device's own, and
no target is assumed: what the device becomes is what a try measures.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hilkit.core.device import DeviceInfo, InterfaceInfo
from hilkit.core.profile import InterfaceSpec, Profile
from hilkit.core.switch_plan import method_name, uses_storage_command
from hilkit.core.switchconfig import SwitchConfig

#: keys that say which device a config is for and what it should become: a candidate drops them
IDENTITY_KEYS = frozenset({"DefaultVendor", "DefaultProduct", "TargetVendor", "TargetProduct", "TargetProductList",
                           "TargetClass", "CheckSuccess", "NoDriverLoading", "WaitBefore", "DetachStorageOnly"})

#: the generic methods, last: the ones that work on many sticks of many vendors
GENERIC: tuple[tuple[str, dict[str, object]], ...] = (
    ("StandardEject", {"StandardEject": 1}),
    ("HuaweiNewMode", {"HuaweiNewMode": 1}),
    ("HuaweiAltMode", {"HuaweiAltMode": 1}),
    ("HuaweiMode", {"HuaweiMode": 1}),
    ("SierraMode", {"SierraMode": 1}),
    ("OptionMode", {"OptionMode": 1}),
    ("Configuration 2", {"Configuration": 2}),
)


@dataclass(frozen=True)
class Candidate:
    name: str          # where it comes from: "usb-modeswitch-data/12d1/1f01", "generic: StandardEject"
    why: str           # "same id", "same vendor", "same interfaces", "generic method"
    config: SwitchConfig

    def payload(self) -> tuple[tuple[str, object], ...]:
        """What the switch sends, for telling two candidates apart."""
        return tuple(sorted((k, v) for k, v in self.config.values.items()
                            if k not in ("DefaultVendor", "DefaultProduct")))


def _layout(interfaces: Iterable[InterfaceInfo | InterfaceSpec]) -> tuple[tuple[int, int, int], ...]:
    """The classes of a configuration's interfaces (first alternate settings), in order."""
    return tuple(sorted((i.cls, i.subclass, i.protocol) for i in interfaces if i.alt == 0))


def candidates_for(device: DeviceInfo, profiles: Iterable[Profile]) -> list[Candidate]:
    """Every distinct switch worth trying on ``device`` (in its current mode), best bets first."""
    own = {"DefaultVendor": device.id.vendor, "DefaultProduct": device.id.product}
    layout = _layout(device.interfaces)
    storage = any(i.cls == 0x08 for i in device.interfaces) or device.device_class == 0x08
    ranked: list[tuple[int, Candidate]] = []
    for profile in profiles:
        initial = profile.initial_mode
        same_id = device.id in initial.ids
        same_vendor = any(uid.vendor == device.id.vendor for uid in initial.ids)
        # a profile written from a capture knows its interfaces; the database's know ids only, and
        # every stick it lists starts as a CD-ROM: its storage commands fit any mass-storage interface
        same_layout = _layout(initial.interfaces) == layout if initial.known == "all" else storage
        for switch in profile.switches:
            if switch.source != initial.name:
                continue
            kept = {k: v for k, v in switch.config.values.items() if k not in IDENTITY_KEYS}
            config = SwitchConfig.from_mapping({**own, **kept})
            rank, why = (0, "same id") if same_id else (1, "same vendor") if same_vendor else \
                (2, "same interfaces") if same_layout and (initial.known == "all" or uses_storage_command(config)) \
                else (9, "")
            if kept and rank < 9 and method_name(config) != "none":   # not the database's dummy Configuration=0
                ranked.append((rank, Candidate(profile.key, why, config)))
    for name, keys in GENERIC:
        ranked.append((3, Candidate(f"generic: {name}", "generic method", SwitchConfig.from_mapping({**own, **keys}))))
    seen: set[tuple[tuple[str, object], ...]] = set()
    out = []
    for _, candidate in sorted(ranked, key=lambda pair: (pair[0], pair[1].name)):
        if candidate.payload() not in seen:
            seen.add(candidate.payload())
            out.append(candidate)
    return out
