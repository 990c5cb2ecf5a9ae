"""What a whole-suite run on the virtual lab must end with: every suite test passed, except the
data path's, which skip where this host cannot make the carrier networks (not root) or the PPP
client's tun interface (no /dev/net/tun), and say so."""
from __future__ import annotations

import re

from hilkit.net.tun import tun_unavailable
from hilkit.sim.carrier import carrier_available

SUITE_TESTS = 21          # per three-slot rig: 18 before the data path, and test_online per slot
#: every slot's test_online where this process may not make network namespaces (not root); the
#: dial-up ones (e3131, and e3531 under the real ModemManager: a PPP bearer) where it has no tun
NO_CARRIER = carrier_available()
NO_TUN = tun_unavailable()
MAY_SKIP = 3 if NO_CARRIER else 2 if NO_TUN else 0


def data_path_skip(name: str, message: str) -> bool:
    """A skip the suites may show: the data path's, for a reason it states."""
    return name.startswith("test_online[") and any(why and why in message for why in (NO_CARRIER, NO_TUN))


def suites_passed(last_line: str, tests: int = SUITE_TESTS, may_skip: int = MAY_SKIP) -> bool:
    found = re.match(r"^(\d+) passed(?:, (\d+) skipped)?", last_line.strip("= "))
    if not found or "failed" in last_line or "error" in last_line:
        return False
    passed, skipped = int(found.group(1)), int(found.group(2) or 0)
    return passed + skipped == tests and skipped <= may_skip
