"""Waits for hardware are event-driven: no time.sleep in hilkit/ outside the virtual lab's physics."""
from __future__ import annotations

import ast
from pathlib import Path

import hilkit

PACKAGE = Path(hilkit.__file__).parent


def _sleeps(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "sleep":
                found.append(node.lineno)
    return found


def test_no_sleep_calls_outside_the_simulator():
    offenders = {str(p.relative_to(PACKAGE)): lines for p in PACKAGE.rglob("*.py")
                 if "sim" not in p.relative_to(PACKAGE).parts and (lines := _sleeps(p))}
    assert offenders == {}


def test_the_scan_finds_a_sleep(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("import time\ndef f():\n    time.sleep(1)\n")
    assert _sleeps(sample) == [3]
