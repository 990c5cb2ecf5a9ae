"""The ``labgrid:`` keys of a rig file: which coordinator, and which place is each slot's hardware.

.. code-block:: yaml

    labgrid: {coordinator: "lab-coordinator:20408"}   # or LG_COORDINATOR; a place here: one-slot rig
    slots:
      - name: e3131
        labgrid: {place: hilkit-e3131}   # power, USB port path and AT port come from the place
        profile: huawei/e3131

A slot with a place has no ``power`` (the place's power resource is used) and may keep ``port`` as
a check: it must then agree with the place's USB device.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from hilkit.config.yamlsource import Located
from hilkit.core.errors import RigError
from hilkit.core.rig import LabgridSpec

DEFAULT_COORDINATOR = "127.0.0.1:20408"


def labgrid_spec(doc: Located) -> LabgridSpec | None:
    data = doc.data.get("labgrid")
    if data is None:
        return None
    coordinator = data.get("coordinator") or os.environ.get("LG_COORDINATOR") or DEFAULT_COORDINATOR
    return LabgridSpec(coordinator, data.get("place", ""), doc.line_of(("labgrid",)))


def labgrid_slot(raw: dict[str, Any], data: dict[str, Any],
                 fail: Callable[[tuple[Any, ...], str], RigError]) -> dict[str, Any]:
    """The slot's keys with a labgrid place's power filled in; errors for what cannot go together."""
    own = (raw.get("labgrid") or {}).get("place", "")
    if own and "labgrid" not in data:
        raise fail(("labgrid",), "a labgrid place needs the rig's coordinator "
                                 "(expected a top-level labgrid: {coordinator: HOST:PORT})")
    place = own or (data.get("labgrid") or {}).get("place", "")
    if not place:
        for key in ("power", "port"):
            if key not in raw:
                hint = " (or a labgrid place: labgrid: {place: NAME})" if "labgrid" in data else ""
                raise fail((), f"missing required key {key!r}{hint}")
        return raw
    if "power" in raw:
        raise fail(("power",), f"the power comes from labgrid place {place} (expected no power key)")
    return {**raw, "power": {"driver": "labgrid", "place": place}, "port": raw.get("port", "")}
