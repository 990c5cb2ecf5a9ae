"""PPP (RFC 1661, 1662, 1332, 1334, 1877, 1994) without I/O: :class:`PppEndpoint` turns line bytes into answers,
as pppd on a host (``role="client"``) or as the modem's side in the simulator (``role="server"``)."""
from __future__ import annotations

from hilkit.net.ppp.endpoint import PppConfig, PppEndpoint

__all__ = ["PppConfig", "PppEndpoint"]
