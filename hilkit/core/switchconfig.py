"""A switch written with usb_modeswitch's own keys, normalised to numbers and hex strings."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: keys whose values are numbers (hex in usb_modeswitch config files)
NUMERIC_KEYS = frozenset({
    "DefaultVendor", "DefaultProduct", "TargetVendor", "TargetProduct", "TargetClass",
    "MessageEndpoint", "ResponseEndpoint", "Configuration", "Interface", "AltSetting",
    "ReleaseDelay", "WaitBefore", "CheckSuccess", "PantechMode",
})
#: keys that select a special (non-MessageContent) switching method
SPECIAL_MODES = (
    "HuaweiMode", "HuaweiNewMode", "HuaweiAltMode", "SierraMode", "SonyMode", "GCTMode",
    "KobilMode", "SequansMode", "MobileActionMode", "CiscoMode", "QisdaMode", "QuantaMode",
    "BlackberryMode", "PantechMode", "OptionMode",
)
FLAG_KEYS = frozenset(set(SPECIAL_MODES) - {"PantechMode"} | {
    "StandardEject", "ResetUSB", "DetachStorageOnly", "NeedResponse", "NoDriverLoading", "NoMBIMCheck",
})
MESSAGE_KEYS = ("MessageContent", "MessageContent2", "MessageContent3")
CBW_SIGNATURE = "55534243"


HEX_KEYS = frozenset({"DefaultVendor", "DefaultProduct", "TargetVendor", "TargetProduct", "TargetClass",
                      "MessageEndpoint", "ResponseEndpoint"})


def _number(key: str, value: Any) -> int:
    """usb_modeswitch writes ids, classes and endpoints in hex, delays and counts in decimal."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    text = str(value).strip().lower()
    if text.startswith("0x"):
        return int(text, 16)
    return int(text, 16) if key in HEX_KEYS else int(text, 10)


@dataclass(frozen=True)
class SwitchConfig:
    """usb_modeswitch settings for one switch. Values: ints, or lower-case hex strings for messages."""

    values: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> SwitchConfig:
        out: dict[str, Any] = {}
        for key, value in raw.items():
            if key in NUMERIC_KEYS or key in FLAG_KEYS:
                out[key] = _number(key, value)
            elif key in MESSAGE_KEYS:
                out[key] = str(value).lower()
            elif key == "TargetProductList":
                out[key] = ",".join(p.strip().lower() for p in str(value).split(","))
            else:
                out[key] = value
        return cls(out)

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def flag(self, key: str) -> bool:
        return bool(self.values.get(key, 0))

    @property
    def messages(self) -> list[str]:
        """MessageContent, MessageContent2, MessageContent3 in the order usb_modeswitch sends them."""
        return [self.values[k] for k in MESSAGE_KEYS if self.values.get(k)]

    @property
    def target_products(self) -> list[int]:
        if "TargetProductList" in self.values:
            return [int(p, 16) for p in self.values["TargetProductList"].split(",") if p]
        if "TargetProduct" in self.values:
            return [self.values["TargetProduct"]]
        return []

    def describe_targets(self) -> str:
        vendor = self.values.get("TargetVendor")
        products = self.target_products
        parts = []
        if vendor is not None:
            parts.append(f"{vendor:04x}:" + ("|".join(f"{p:04x}" for p in products) if products else "*"))
        if "TargetClass" in self.values:
            parts.append(f"interface class {self.values['TargetClass']:02x}")
        return " with ".join(parts) if parts else "the original device gone"

    def as_config_text(self) -> str:
        """The settings as a usb_modeswitch config file (``-c FILE``)."""
        lines = []
        for key, value in self.values.items():
            if key in MESSAGE_KEYS or key == "TargetProductList":
                lines.append(f'{key}="{value}"')
            elif key in HEX_KEYS:
                width = 4 if key.endswith(("Vendor", "Product")) else 2
                lines.append(f"{key}=0x{value:0{width}x}")
            else:
                lines.append(f"{key}={value}")
        return "\n".join(lines) + "\n"
