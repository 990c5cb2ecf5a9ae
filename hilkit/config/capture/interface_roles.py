"""Guess an interface's role (at, ppp, net, ...) from its class codes, for a draft to review."""
from __future__ import annotations

HUAWEI = 0x12D1


def guess_role(cls: int, subclass: int, protocol: int, *, at_taken: bool = False,
               vendor: int | None = None) -> str:
    """A *guess* at an interface's role from its class codes; review it against the real device.

    - ``ff/ff/ff`` (vendor-specific serial ports, option/qcserial): ``at`` for the first one,
      ``diag`` for the others (``at_taken``: an earlier interface already got ``at``). On a Huawei
      stick the third port is often a second AT port (PCUI), which this rule calls ``diag``.
    - Huawei (``vendor`` 0x12d1) vendor-specific codes, as ModemManager's and Linux's tables use
      them: ``ff/01/01``, ``ff/02/01`` modem port -> ``ppp``; ``ff/01/02``, ``ff/02/02`` PCUI -> ``at``;
      ``ff/01/05``, ``ff/01/14``, ``ff/06/14`` GPS -> ``other``; ``ff/02/16``, ``ff/02/46``,
      ``ff/02/76``, ``ff/03/16`` (NCM in disguise) -> ``net``.
    - other ``ff/*/*`` -> ``other``.
    - ``02/02/*`` (CDC ACM) -> ``at``; ``02/06`` (ECM), ``02/0c`` (EEM), ``02/0d`` (NCM),
      ``02/0e`` (MBIM) -> ``net``; ``e0/01/03`` and ``ef/04/01`` (RNDIS) -> ``net``.
    - ``0a/*/*`` (CDC data) -> ``data``.
    - ``08/*/*`` (mass storage: ``08/06/50`` is the usual ZeroCD/SD card) -> ``storage``.
    - anything else -> ``other``.
    """
    if cls == 0xFF:
        if vendor == HUAWEI:
            if subclass in (0x01, 0x02) and protocol == 0x01:
                return "ppp"
            if subclass in (0x01, 0x02) and protocol == 0x02:
                return "at"
            if (subclass, protocol) in ((0x01, 0x05), (0x01, 0x14), (0x06, 0x14)):
                return "other"
            if (subclass, protocol) in ((0x02, 0x16), (0x02, 0x46), (0x02, 0x76), (0x03, 0x16)):
                return "net"
        if subclass == 0xFF and protocol == 0xFF:
            return "diag" if at_taken else "at"
        return "other"
    if cls == 0x02:
        if subclass == 0x02:
            return "at"
        if subclass in (0x06, 0x0C, 0x0D, 0x0E):
            return "net"
        return "other"
    if (cls, subclass, protocol) in ((0xE0, 0x01, 0x03), (0xEF, 0x04, 0x01)):
        return "net"
    if cls == 0x0A:
        return "data"
    if cls == 0x08:
        return "storage"
    return "other"
