"""Load device profiles from YAML: schema first, then the cross-checks a schema cannot express.

Every problem is a :class:`~hilkit.core.errors.ProfileError` that prints as one line,
``device_profiles/huawei/e3131.yaml:12: modes.storage.ids[0]: ... (expected ...)``.
"""
from __future__ import annotations

import difflib
import math
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from hilkit.config.problems import Problems
from hilkit.config.schema import load_checked
from hilkit.config.yamlsource import Located
from hilkit.core.errors import ProfileError
from hilkit.core.ids import UsbId
from hilkit.core.profile import (
    AttachSpec,
    Budgets,
    DataSpec,
    EndpointSpec,
    InterfaceSpec,
    ModeSpec,
    NetworkModel,
    Profile,
    RefuseSpec,
    SwitchSpec,
    VirtualSpec,
)
from hilkit.core.switch_plan import method_name
from hilkit.core.switchconfig import HEX_KEYS, SwitchConfig


def load_profile(path: str | Path, key: str | None = None) -> Profile:
    """Load and check one profile file. ``key`` is its name in a library (``huawei/e3131``).

    Every mistake of the file is found in one pass: the first (in line order) is raised, holding
    the others (:meth:`~hilkit.core.errors.SourceError.lines`)."""
    return load_checked(path, "profile", ProfileError,
                        lambda doc, problems: _build(doc, key or Path(path).stem, problems))


def _build(doc: Located, key: str, problems: Problems) -> Profile:
    data = doc.data
    modes: dict[str, ModeSpec] = {}
    for name, raw in data["modes"].items():
        with problems.shaped(("modes", name)):
            modes[name] = _mode(doc, name, raw, problems)
    initial = [m for m in modes.values() if m.initial]
    if len(modes) == 1 and not initial:
        only = next(iter(modes.values()))
        modes[only.name] = replace(only, initial=True)
    elif len(initial) != 1 and not problems.about(("modes",)):
        names = ", ".join(m.name for m in initial) or "none"
        problems.add(("modes",), f"exactly one mode must say 'initial: true' (found: {names})")

    switches = []
    for i, raw in enumerate(data.get("switches", [])):
        with problems.shaped(("switches", i)):
            switch = _switch(doc, i, raw, modes, problems)
            if switch is not None:
                switches.append(switch)
    refuse = []
    for i, raw in enumerate(data.get("refuse", [])):
        with problems.shaped(("refuse", i)):
            refuse.append(RefuseSpec(raw.get("name", f"refuse-{i}"),
                                     _config(doc, ("refuse", i, "config"), raw["config"], problems),
                                     raw["error"], doc.line_of(("refuse", i))))
    attach = None
    with problems.shaped(("attach",)):
        attach = _attach(doc, data.get("attach"), modes, problems)
    data_spec = DataSpec()
    with problems.shaped(("data",)):
        raw_data = dict(data.get("data", {}))
        if "address_budget" in raw_data:
            raw_data["address_budget"] = _seconds(doc, ("data", "address_budget"), raw_data["address_budget"],
                                                  problems)
        data_spec = DataSpec(**raw_data)
    budgets = Budgets()
    with problems.shaped(("budgets",)):
        budgets = Budgets(**{k: _seconds(doc, ("budgets", k), v, problems)
                             for k, v in data.get("budgets", {}).items()})
    virtual = VirtualSpec()
    with problems.shaped(("virtual",)):
        virtual = _virtual(doc, data.get("virtual", {}), attach, problems)
    hidden = []
    for i, raw in enumerate(data.get("virtual", {}).get("firmware_switches", [])):
        with problems.shaped(("virtual", "firmware_switches", i)):
            switch = _switch(doc, i, raw, modes, problems, where=("virtual", "firmware_switches", i))
            if switch is not None:
                hidden.append(switch)
    virtual = replace(virtual, firmware_switches=tuple(hidden))
    return Profile(
        key=key, path=doc.path, vendor=data["vendor"], model=data["model"], modes=modes,
        switches=tuple(switches), refuse=tuple(refuse), attach=attach, data=data_spec, budgets=budgets, virtual=virtual,
        firmware=data.get("firmware", ""), description=data.get("description", ""),
        source=data.get("source", ""), match=dict(data.get("match", {})),
    )


def _seconds(doc: Located, where: tuple[Any, ...], value: Any, problems: Problems) -> float:
    """A time in seconds: the schema says "number", which also lets .inf and 10**400 through."""
    try:
        seconds = float(value)
    except OverflowError:
        seconds = math.inf
    if not math.isfinite(seconds):
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        problems.add(where, f"{shown} is out of range (expected a finite number of seconds)")
        return 0.0
    return seconds


def _mode(doc: Located, name: str, raw: dict[str, Any], problems: Problems) -> ModeSpec:
    where = ("modes", name)
    ids = tuple(UsbId.parse(t) for t in raw["ids"])
    observed = UsbId.parse(raw["observed_id"]) if "observed_id" in raw else None
    if observed is not None and observed not in ids:
        problems.add(where + ("observed_id",),
                     f"{observed} is not among this mode's ids (expected one of {', '.join(map(str, ids))})")
        observed = None
    interfaces = []
    seen: dict[tuple[int, int], int] = {}
    twice = False
    for index, itf in enumerate(raw["interfaces"]):
        number, alt = itf["number"], itf.get("alt", 0)
        if (number, alt) in seen:
            problems.add(where + ("interfaces", index, "number"),
                         f"interface {number} alt {alt} is listed twice (also at [{seen[(number, alt)]}])")
            twice = True
            continue
        seen[(number, alt)] = index
        endpoints = []
        for e_index, ep in enumerate(itf.get("endpoints", [])):
            if ep["address"] & 0x70:
                problems.add(where + ("interfaces", index, "endpoints", e_index, "address"),
                             f"0x{ep['address']:02x} is not an endpoint address (expected 0x01-0x0f or 0x81-0x8f)")
            endpoints.append(EndpointSpec(ep["address"], ep.get("type", "bulk"), ep.get("max_packet", 512)))
        interfaces.append(InterfaceSpec(
            number=number, alt=alt, cls=itf["class"], subclass=itf.get("subclass", 0),
            protocol=itf.get("protocol", 0), role=itf["role"], name=itf.get("name", ""),
            endpoints=tuple(endpoints)))
    numbers = sorted({i.number for i in interfaces})
    if numbers != list(range(len(numbers))) and not twice and not problems.about(where + ("interfaces",)):
        problems.add(where + ("interfaces",),
                     f"interface numbers {numbers} must run 0..{len(numbers) - 1} without gaps")
    return ModeSpec(
        name=name, ids=ids, observed_id=observed, initial=raw.get("initial", False),
        device_class=raw["device_class"], configuration=raw.get("configuration", 1),
        manufacturer=raw.get("manufacturer", ""), product=raw.get("product", ""),
        description=raw.get("description", ""), interfaces=tuple(interfaces), known=raw.get("known", "all"))


def _config(doc: Located, where: tuple[Any, ...], raw: dict[str, Any], problems: Problems) -> SwitchConfig:
    good = {}
    for key, value in raw.items():
        try:
            number = SwitchConfig.from_mapping({key: value}).get(key)
        except ValueError:  # e.g. WaitBefore: "ff", a hex string for a key usb_modeswitch reads in decimal
            problems.add(where + (key,), f"{value!r} is not a number (expected decimal, or hex "
                         "written with 0x)" if key not in HEX_KEYS else f"{value!r} is not a number")
            continue
        if isinstance(number, int) and number > 0xFFFFFFFF:  # the schema's hex strings stop at 8 digits too
            problems.add(where + (key,), f"0x{number:x}"[:40] + " is out of range (expected at most 0xffffffff)")
            continue
        good[key] = value
    config = SwitchConfig.from_mapping(good)
    for key in ("MessageContent", "MessageContent2", "MessageContent3"):
        message = config.get(key)
        if message and message.startswith("55534243") and len(message) != 62:
            problems.add(where + (key,),
                         f"a CBW (starts with 55534243) must be 31 bytes, this one is {len(message) // 2}")
    if "TargetProduct" in config.values and "TargetProductList" in config.values:
        problems.add(where + ("TargetProductList",),
                     "give TargetProduct or TargetProductList, not both (usb_modeswitch uses one)")
    return config


def _switch(doc: Located, index: int, raw: dict[str, Any], modes: dict[str, ModeSpec],
            problems: Problems, where: tuple[Any, ...] = ()) -> SwitchSpec | None:
    where = where or ("switches", index)
    config = _config(doc, where + ("config",), raw["config"], problems)
    missing = [end for end in ("from", "to") if raw[end] not in modes]
    for end in missing:
        # a mode the schema refused (a bad name such as 'Modem') is not missing a second time
        reported = [name for name in doc.data["modes"] if str(name).lower() == str(raw[end]).lower()
                    and problems.about(("modes", name))]
        if not reported:
            problems.add(where + (end,), f"no mode named {raw[end]!r} (expected one of: {', '.join(modes)})")
    if missing or any(problems.about(("modes", raw[end]), inside=False) or problems.about(("modes", raw[end], "ids"))
                      or problems.about(("modes", raw[end], "observed_id")) for end in ("from", "to")):
        return None  # the checks below would only repeat what was found in the modes' names and ids
    if raw["from"] == raw["to"] and method_name(config) != "none":
        problems.add(where + ("to",), "a switch must lead to another mode "
                     "(only a no-op such as the database's dummy Configuration=0 may stay)")
        return None
    source, target = modes[raw["from"]], modes[raw["to"]]
    dv, dp = config.get("DefaultVendor"), config.get("DefaultProduct")
    if dv is not None and dp is not None and UsbId(dv, dp) not in source.ids:
        problems.add(where + ("config", "DefaultProduct"),
                     f"{UsbId(dv, dp)} is not an id of mode {source.name!r} "
                     f"(expected one of {', '.join(map(str, source.ids))})")
    tv, products = config.get("TargetVendor"), config.target_products
    if tv is not None and products:
        seen_id = target.enumerates_as
        if seen_id.vendor != tv:
            problems.add(where + ("config", "TargetVendor"),
                         f"0x{tv:04x} is not the vendor mode {target.name!r} comes up with "
                         f"(expected 0x{seen_id.vendor:04x}, from {seen_id})")
        elif seen_id.product not in products:
            key = "TargetProductList" if "TargetProductList" in config.values else "TargetProduct"
            problems.add(where + ("config", key),
                         f"mode {target.name!r} comes up as {seen_id}, which the success check would not "
                         f"accept (expected a TargetProductList that includes {seen_id.product:04x})")
    return SwitchSpec(raw["from"], raw["to"], config, raw.get("name", ""), doc.line_of(where))


def _attach(doc: Located, raw: dict[str, Any] | None, modes: dict[str, ModeSpec],
            problems: Problems) -> AttachSpec | None:
    if raw is None:
        return None
    attach = AttachSpec(
        method=raw["method"], port_role=raw.get("port_role", "at"),
        registration=tuple(raw.get("registration", ("home", "roaming"))),
        technology=tuple(raw.get("technology", ())),
        min_signal_dbm=float(raw.get("min_signal_dbm", -113)),
        packet_attach=raw.get("packet_attach", True), apn=raw.get("apn", ""),
        sim_pin_env=raw.get("sim_pin_env", ""), url=raw.get("url", ""), number=raw.get("number", ""),
        username=raw.get("username", ""), password_env=raw.get("password_env", ""),
        login_user=raw.get("login_user", "admin"), login_password_env=raw.get("login_password_env", ""))
    roles_reported = any(p[:1] == ("modes",) and (len(p) <= 4 or p[-1] == "role") for p in problems.paths())
    if attach.method == "at" and not any(m.interfaces_with_role(attach.port_role) for m in modes.values()) \
            and not roles_reported:
        problems.add(("attach", "port_role"),
                     f"no mode has an interface with role {attach.port_role!r} to send AT commands to")
    return attach


def _virtual(doc: Located, raw: dict[str, Any], attach: AttachSpec | None, problems: Problems) -> VirtualSpec:
    fields = {k: v for k, v in raw.items() if k not in ("network", "firmware_switches")}
    for key in ("enumerate_delay", "reenumerate_delay"):
        if key in raw:
            fields[key] = _seconds(doc, ("virtual", key), raw[key], problems)
    network = dict(raw.get("network", {}))
    if "register_after" in network:
        network["register_after"] = _seconds(doc, ("virtual", "network", "register_after"),
                                             network["register_after"], problems)
    net = NetworkModel(**network)
    if net.sim == "pin" and not net.sim_pin:
        problems.add(("virtual", "network", "sim_pin"),
                     "missing: a virtual SIM that asks for a PIN needs sim_pin (a test PIN, never a real one)")
    if net.sim == "pin" and not (attach and attach.sim_pin_env) and not problems.about(("attach",)):
        problems.add(("attach", "sim_pin_env"),
                     "missing: the SIM asks for a PIN, so attach must name the environment variable holding it")
    return VirtualSpec(network=net, **fields)


class ProfileLibrary:
    """The profiles under one or more folders, addressed by relative name: ``huawei/e3131``.

    Folders are layered: a lab's own folder comes first and the shipped profiles after it, so a
    name found in an earlier folder shadows the same name in a later one."""

    def __init__(self, roots: str | Path | Sequence[str | Path]) -> None:
        given = [roots] if isinstance(roots, (str, Path)) else list(roots)
        self.roots: tuple[Path, ...] = tuple(dict.fromkeys(Path(r) for r in given))
        self.root = self.roots[0] if self.roots else Path()
        self._cache: dict[str, Profile] = {}

    def _keys_in(self, root: Path) -> list[str]:
        return sorted(str(p.relative_to(root).with_suffix("")).replace("\\", "/") for p in root.rglob("*.yaml"))

    def origin(self, key: str) -> Path | None:
        """The folder ``key`` comes from (the first that has it), or None."""
        return next((root for root in self.roots if (root / f"{key}.yaml").is_file()), None)

    def path_of(self, key: str) -> Path:
        root = self.origin(key) or self.root
        return root / f"{key}.yaml"

    def keys(self) -> list[str]:
        return sorted({key for root in self.roots for key in self._keys_in(root)})

    def listing(self) -> list[tuple[str, Path, list[Path]]]:
        """``(key, folder it comes from, folders it shadows)`` for every profile, by name."""
        found: dict[str, list[Path]] = {}
        for root in self.roots:
            for key in self._keys_in(root):
                found.setdefault(key, []).append(root)
        return [(key, roots[0], roots[1:]) for key, roots in sorted(found.items())]

    def get(self, key: str) -> Profile:
        if key not in self._cache:
            if self.origin(key) is None:
                raise ProfileError(str(self.path_of(key)), None, "", self._unknown(key))
            self._cache[key] = load_profile(self.path_of(key), key)
        return self._cache[key]

    def _unknown(self, key: str) -> str:
        where = ", ".join(map(str, self.roots)) or "no folder"
        keys = self.keys()
        near = nearest_names(key, keys)
        hint = f"did you mean {', '.join(near)}?" if near else "`hilkit profiles list` shows them"
        return f"no profile {key!r} under {where} ({len(keys)} known; {hint})"

    def loadable(self) -> list[Profile]:
        """Every profile that loads (a broken one is what ``check_all`` reports)."""
        return [self.get(key) for key, broken in self.check_all() if broken is None]

    def check_all(self) -> Iterator[tuple[str, ProfileError | None]]:
        """Yield ``(key, error or None)`` for every profile file."""
        for key in self.keys():
            try:
                self.get(key)
                yield key, None
            except ProfileError as exc:
                yield key, exc


def nearest_names(key: str, keys: Sequence[str], count: int = 4) -> list[str]:
    """The few profile names a mistyped ``key`` most likely meant: the same name in another folder
    (``e3131`` -> ``huawei/e3131``, ``12d1:1f01`` -> ``usb-modeswitch-data/12d1/1f01``), then names
    it begins (``e3372`` -> ``e3372-hilink``), then the closest spellings of the whole name, then of
    its last part."""
    wanted = key.strip().lower().replace(":", "/")
    same = [k for k in keys if k.lower() == wanted or k.lower().endswith("/" + wanted)]
    tail = wanted.rsplit("/", 1)[-1]
    longer = [k for k in keys if len(tail) >= 3 and k.lower().rsplit("/", 1)[-1].startswith(tail)]
    close = difflib.get_close_matches(wanted, keys, n=count, cutoff=0.75)
    likeness = {k: difflib.SequenceMatcher(None, tail, k.rsplit("/", 1)[-1].lower()).ratio() for k in keys}
    by_tail = sorted((k for k in keys if likeness[k] >= 0.8), key=lambda k: -likeness[k])
    return list(dict.fromkeys([*same, *longer, *close, *by_tail]))[:count]
