"""uhubctl's output: the hubs it lists (:class:`HubStatus`: location, ports, how it switches power)."""
from __future__ import annotations

import re
from dataclasses import dataclass

_HUB_HEADER = re.compile(r"^Current status for hub (\S+?),? (?:\[(.*)\]|vendor (\S+), (\d+) ports)\s*$")
_HUB_DETAIL = re.compile(r",\s*USB ([0-9a-fA-F]+\.[0-9a-fA-F]+),\s*(\d+) ports(?:,\s*(\w+))?$")


@dataclass(frozen=True)
class HubStatus:
    location: str
    description: str               # "0bda:5411 Generic 4-Port USB 2.0 Hub"
    ports: int | None = None
    switching: str | None = None   # "ppps" per port, "ganged", "nops"; None when uhubctl does not say


def parse_uhubctl_hubs(output: str) -> list[HubStatus]:
    """The hubs in uhubctl's output, from their ``Current status for hub ...`` header lines.

    ``Current status for hub 1-1 [0424:2514, USB 2.00, 4 ports, ppps]`` (uhubctl 2.2+);
    older versions leave out the switching word, or print ``..., vendor 2109:2811, 4 ports``.
    """
    hubs: list[HubStatus] = []
    for line in output.splitlines():
        match = _HUB_HEADER.match(line.strip())
        if not match:
            continue
        location, bracket, vendor, ports = match.groups()
        if bracket is None:
            hubs.append(HubStatus(location, vendor, int(ports)))
            continue
        detail = _HUB_DETAIL.search(bracket)
        if detail:
            hubs.append(HubStatus(location, bracket[:detail.start()].strip(), int(detail.group(2)),
                                  detail.group(3)))
        else:
            hubs.append(HubStatus(location, bracket.strip()))
    return hubs
