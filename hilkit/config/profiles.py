"""Load device profiles from YAML: schema first, then the cross-checks a schema cannot express.

Every problem is a :class:`~hilkit.core.errors.ProfileError` that prints as one line,
``device_profiles/huawei/e3131.yaml:12: modes.storage.ids[0]: ... (expected ...)``.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from hilkit.config.schema import validate
from hilkit.config.yamlsource import Located, dotted, load_located
from hilkit.core.errors import ProfileError
from hilkit.core.ids import UsbId
from hilkit.core.profile import (
    AttachSpec,
    Budgets,
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
    """Load and check one profile file. ``key`` is its name in a library (``huawei/e3131``)."""
    doc = load_located(path, ProfileError)
    validate(doc, "profile", ProfileError)
    return _build(doc, key or Path(path).stem)


def _fail(doc: Located, where: tuple[Any, ...], problem: str) -> ProfileError:
    return ProfileError(doc.path, doc.line_of(where), dotted(where), problem)


def _build(doc: Located, key: str) -> Profile:
    data = doc.data
    modes = {name: _mode(doc, name, raw) for name, raw in data["modes"].items()}
    initial = [m for m in modes.values() if m.initial]
    if len(modes) == 1 and not initial:
        only = next(iter(modes.values()))
        modes[only.name] = replace(only, initial=True)
    elif len(initial) != 1:
        names = ", ".join(m.name for m in initial) or "none"
        raise _fail(doc, ("modes",), f"exactly one mode must say 'initial: true' (found: {names})")

    switches = tuple(_switch(doc, i, raw, modes) for i, raw in enumerate(data.get("switches", [])))
    refuse = tuple(
        RefuseSpec(raw.get("name", f"refuse-{i}"), _config(doc, ("refuse", i, "config"), raw["config"]),
                   raw["error"], doc.line_of(("refuse", i)))
        for i, raw in enumerate(data.get("refuse", []))
    )
    attach = _attach(doc, data.get("attach"), modes)
    budgets = Budgets(**{k: _seconds(doc, ("budgets", k), v) for k, v in data.get("budgets", {}).items()})
    virtual = _virtual(doc, data.get("virtual", {}), attach)
    return Profile(
        key=key, path=doc.path, vendor=data["vendor"], model=data["model"], modes=modes,
        switches=switches, refuse=refuse, attach=attach, budgets=budgets, virtual=virtual,
        firmware=data.get("firmware", ""), description=data.get("description", ""),
        source=data.get("source", ""), match=dict(data.get("match", {})),
    )


def _seconds(doc: Located, where: tuple[Any, ...], value: Any) -> float:
    """A time in seconds: the schema says "number", which also lets .inf and 10**400 through."""
    try:
        seconds = float(value)
    except OverflowError:
        seconds = math.inf
    if not math.isfinite(seconds):
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise _fail(doc, where, f"{shown} is out of range (expected a finite number of seconds)")
    return seconds


def _mode(doc: Located, name: str, raw: dict[str, Any]) -> ModeSpec:
    where = ("modes", name)
    ids = tuple(UsbId.parse(t) for t in raw["ids"])
    observed = UsbId.parse(raw["observed_id"]) if "observed_id" in raw else None
    if observed is not None and observed not in ids:
        raise _fail(doc, where + ("observed_id",),
                    f"{observed} is not among this mode's ids (expected one of {', '.join(map(str, ids))})")
    interfaces = []
    seen: dict[tuple[int, int], int] = {}
    for index, itf in enumerate(raw["interfaces"]):
        number, alt = itf["number"], itf.get("alt", 0)
        if (number, alt) in seen:
            raise _fail(doc, where + ("interfaces", index, "number"),
                        f"interface {number} alt {alt} is listed twice (also at [{seen[(number, alt)]}])")
        seen[(number, alt)] = index
        endpoints = []
        for e_index, ep in enumerate(itf.get("endpoints", [])):
            if ep["address"] & 0x70:
                raise _fail(doc, where + ("interfaces", index, "endpoints", e_index, "address"),
                            f"0x{ep['address']:02x} is not an endpoint address (expected 0x01-0x0f or 0x81-0x8f)")
            endpoints.append(EndpointSpec(ep["address"], ep.get("type", "bulk"), ep.get("max_packet", 512)))
        interfaces.append(InterfaceSpec(
            number=number, alt=alt, cls=itf["class"], subclass=itf.get("subclass", 0),
            protocol=itf.get("protocol", 0), role=itf["role"], name=itf.get("name", ""),
            endpoints=tuple(endpoints)))
    numbers = sorted({i.number for i in interfaces})
    if numbers != list(range(len(numbers))):
        raise _fail(doc, where + ("interfaces",),
                    f"interface numbers {numbers} must run 0..{len(numbers) - 1} without gaps")
    return ModeSpec(
        name=name, ids=ids, observed_id=observed, initial=raw.get("initial", False),
        device_class=raw["device_class"], configuration=raw.get("configuration", 1),
        manufacturer=raw.get("manufacturer", ""), product=raw.get("product", ""),
        description=raw.get("description", ""), interfaces=tuple(interfaces), known=raw.get("known", "all"))


def _config(doc: Located, where: tuple[Any, ...], raw: dict[str, Any]) -> SwitchConfig:
    for key, value in raw.items():
        try:
            number = SwitchConfig.from_mapping({key: value}).get(key)
        except ValueError:  # e.g. WaitBefore: "ff", a hex string for a key usb_modeswitch reads in decimal
            raise _fail(doc, where + (key,), f"{value!r} is not a number (expected decimal, or hex "
                        "written with 0x)" if key not in HEX_KEYS else f"{value!r} is not a number") from None
        if isinstance(number, int) and number > 0xFFFFFFFF:  # the schema's hex strings stop at 8 digits too
            raise _fail(doc, where + (key,), f"0x{number:x}"[:40] + " is out of range (expected at most 0xffffffff)")
    config = SwitchConfig.from_mapping(raw)
    for key in ("MessageContent", "MessageContent2", "MessageContent3"):
        message = config.get(key)
        if message and message.startswith("55534243") and len(message) != 62:
            raise _fail(doc, where + (key,),
                        f"a CBW (starts with 55534243) must be 31 bytes, this one is {len(message) // 2}")
    if "TargetProduct" in config.values and "TargetProductList" in config.values:
        raise _fail(doc, where + ("TargetProductList",),
                    "give TargetProduct or TargetProductList, not both (usb_modeswitch uses one)")
    return config


def _switch(doc: Located, index: int, raw: dict[str, Any], modes: dict[str, ModeSpec]) -> SwitchSpec:
    where = ("switches", index)
    for end in ("from", "to"):
        if raw[end] not in modes:
            raise _fail(doc, where + (end,),
                        f"no mode named {raw[end]!r} (expected one of: {', '.join(modes)})")
    config = _config(doc, where + ("config",), raw["config"])
    if raw["from"] == raw["to"] and method_name(config) != "none":
        raise _fail(doc, where + ("to",), "a switch must lead to another mode "
                    "(only a no-op such as the database's dummy Configuration=0 may stay)")
    source, target = modes[raw["from"]], modes[raw["to"]]
    dv, dp = config.get("DefaultVendor"), config.get("DefaultProduct")
    if dv is not None and dp is not None and UsbId(dv, dp) not in source.ids:
        raise _fail(doc, where + ("config", "DefaultProduct"),
                    f"{UsbId(dv, dp)} is not an id of mode {source.name!r} "
                    f"(expected one of {', '.join(map(str, source.ids))})")
    tv, products = config.get("TargetVendor"), config.target_products
    if tv is not None and products:
        seen_id = target.enumerates_as
        if seen_id.vendor != tv:
            raise _fail(doc, where + ("config", "TargetVendor"),
                        f"0x{tv:04x} is not the vendor mode {target.name!r} comes up with "
                        f"(expected 0x{seen_id.vendor:04x}, from {seen_id})")
        if seen_id.product not in products:
            key = "TargetProductList" if "TargetProductList" in config.values else "TargetProduct"
            raise _fail(doc, where + ("config", key),
                        f"mode {target.name!r} comes up as {seen_id}, which the success check would not "
                        f"accept (expected a TargetProductList that includes {seen_id.product:04x})")
    return SwitchSpec(raw["from"], raw["to"], config, raw.get("name", ""), doc.line_of(where))


def _attach(doc: Located, raw: dict[str, Any] | None, modes: dict[str, ModeSpec]) -> AttachSpec | None:
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
    if attach.method == "at" and not any(m.interfaces_with_role(attach.port_role) for m in modes.values()):
        raise _fail(doc, ("attach", "port_role"),
                    f"no mode has an interface with role {attach.port_role!r} to send AT commands to")
    return attach


def _virtual(doc: Located, raw: dict[str, Any], attach: AttachSpec | None) -> VirtualSpec:
    for key in ("enumerate_delay", "reenumerate_delay"):
        if key in raw:
            _seconds(doc, ("virtual", key), raw[key])
    if "register_after" in raw.get("network", {}):
        _seconds(doc, ("virtual", "network", "register_after"), raw["network"]["register_after"])
    net = NetworkModel(**raw.get("network", {}))
    if net.sim == "pin" and not net.sim_pin:
        raise _fail(doc, ("virtual", "network", "sim_pin"),
                    "missing: a virtual SIM that asks for a PIN needs sim_pin (a test PIN, never a real one)")
    if net.sim == "pin" and not (attach and attach.sim_pin_env):
        raise _fail(doc, ("attach", "sim_pin_env"),
                    "missing: the SIM asks for a PIN, so attach must name the environment variable holding it")
    fields = {k: v for k, v in raw.items() if k != "network"}
    return VirtualSpec(network=net, **fields)


class ProfileLibrary:
    """The profiles under one directory, addressed by relative name: ``huawei/e3131``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._cache: dict[str, Profile] = {}

    def path_of(self, key: str) -> Path:
        return self.root / f"{key}.yaml"

    def keys(self) -> list[str]:
        return sorted(str(p.relative_to(self.root).with_suffix("")).replace("\\", "/")
                      for p in self.root.rglob("*.yaml"))

    def get(self, key: str) -> Profile:
        if key not in self._cache:
            path = self.path_of(key)
            if not path.is_file():
                known = ", ".join(self.keys()) or "none"
                raise ProfileError(str(path), None, "",
                                   f"no profile {key!r} under {self.root} (known: {known})")
            self._cache[key] = load_profile(path, key)
        return self._cache[key]

    def check_all(self) -> Iterator[tuple[str, ProfileError | None]]:
        """Yield ``(key, error or None)`` for every profile file."""
        for key in self.keys():
            try:
                self.get(key)
                yield key, None
            except ProfileError as exc:
                yield key, exc
