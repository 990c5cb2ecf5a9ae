"""Which modem and firmware a result is about: as labels and evidence on every result.

The IMEI is personal data (it identifies one device, and so its owner): only its TAC, the first
8 digits that name the model (3GPP TS 23.003 §6.2), is kept. A report shows ``86000000`` where the
modem said ``860000000031310``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field


def imei_tac(imei: str) -> str:
    """The Type Allocation Code of an IMEI (its first 8 digits); "" for anything that is not one."""
    digits = re.sub(r"\D", "", imei or "")
    return digits[:8] if len(digits) >= 14 else ""


@dataclass(frozen=True)
class FirmwareIdentity:
    manufacturer: str = ""
    model: str = ""
    firmware: str = ""
    imei_tac: str = ""
    source: str = ""      # "AT+CGMI/CGMM/CGMR/CGSN", "ModemManager", "HiLink device/information"
    #: the whole IMEI, only to mask it in evidence (:func:`mask_imei`); never shown or labelled
    imei: str = field(default="", repr=False, compare=False)

    def labels(self) -> dict[str, str]:
        """Allure labels (and environment keys), only those known."""
        pairs = {"modem_manufacturer": self.manufacturer, "modem_model": self.model,
                 "firmware": self.firmware, "imei_tac": self.imei_tac}
        return {k: v for k, v in pairs.items() if v}

    def line(self) -> str:
        return (f"{self.manufacturer or '?'} {self.model or '?'}, firmware {self.firmware or '?'}, "
                f"IMEI TAC {self.imei_tac or '?'} (from {self.source})")


def at_answer(lines: list[str], prefix: str) -> str:
    """The information text of a +CGMI/+CGMM/+CGMR/+CGSN answer: bare, or after its own prefix
    (``+CGMR: 21.180.00.00.00``), quotes stripped; "" when there is none."""
    for line in lines:
        text = line.strip()
        if not text or text.startswith("AT"):
            continue
        if text.upper().startswith(prefix.upper()):
            text = text[len(prefix):].strip()
        return text.strip('"').strip()
    return ""


def mask_imei(text: str, imei: str) -> str:
    """``text`` with ``imei`` shown as its TAC and stars: ``86000000*******``."""
    digits = re.sub(r"\D", "", imei or "")
    if len(digits) < 14:
        return text
    return text.replace(digits, digits[:8] + "*" * (len(digits) - 8))
