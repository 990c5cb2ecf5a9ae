"""`hilkit profiles capture` (the command wiring; the parser has its own tests in test_capture.py)."""
from __future__ import annotations

import io
import sys

from hilkit.cli.main import main
from hilkit.config.paths import PROJECT_ROOT

DUMP = PROJECT_ROOT / "fixtures" / "huawei-e3531" / "lsusb-v.txt"


def test_capture_from_a_file_prints_a_loadable_draft(tmp_path, capsys):
    assert main(["profiles", "capture", str(DUMP), "--vendor", "Huawei", "--model", "E3531"]) == 0
    draft = tmp_path / "e3531.yaml"
    draft.write_text(capsys.readouterr().out)
    assert main(["profiles", "check", str(draft)]) == 0


def test_capture_from_stdin_with_a_truncated_dump_is_one_line(monkeypatch, capsys):
    text = DUMP.read_text().splitlines()
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(text[:40]) + "\n"))
    assert main(["profiles", "capture", "-"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("<stdin>:")
