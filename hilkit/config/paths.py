"""Where hilkit finds its default rig and profiles."""
from __future__ import annotations

from pathlib import Path

#: the checkout hilkit runs from (an editable install points here)
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def default_rig(rootdir: Path | None = None) -> Path | None:
    """``lab/virtual.yaml`` of the project being tested, else of hilkit's own checkout."""
    for base in (rootdir, PROJECT_ROOT):
        if base is not None and (base / "lab" / "virtual.yaml").is_file():
            return base / "lab" / "virtual.yaml"
    return None
