"""`hilkit profiles capture` (the command wiring; the parser has its own tests in test_capture.py)."""
from __future__ import annotations

import io
import sys
from pathlib import Path

from hilkit.cli.capture_cmd import capture_command
from hilkit.cli.main import build_parser, main
from hilkit.config.paths import PROJECT_ROOT
from hilkit.config.profiles import ProfileLibrary, load_profile

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


# --- --out PATH [--force] -------------------------------------------------------------------------

def _capture_to(path: Path | str, source: str = str(DUMP), force: bool = False, stdin: str | None = None):
    out, err = io.StringIO(), io.StringIO()
    code = capture_command(source, out, err, out_path=str(path), force=force,
                           stdin=io.StringIO(stdin) if stdin is not None else None)
    return code, out.getvalue(), err.getvalue()


def test_the_parser_takes_out_and_force():
    args = build_parser().parse_args(["profiles", "capture", "dump.txt", "--out", "drafts/x.yaml", "--force"])
    assert (args.source, args.out, args.force) == ("dump.txt", "drafts/x.yaml", True)
    args = build_parser().parse_args(["profiles", "capture", "-"])
    assert (args.out, args.force) == (None, False)


def test_out_writes_the_draft_making_parent_folders(tmp_path):
    target = tmp_path / "new" / "deeper" / "e3531.yaml"
    code, out, err = _capture_to(target)
    assert (code, err) == (0, "")
    assert out == f"wrote the draft for 12d1:155e (profile key huawei/huawei-mobile) to {target}\n"
    printed = io.StringIO()
    assert capture_command(str(DUMP), printed, io.StringIO()) == 0
    assert target.read_text(encoding="utf-8") == printed.getvalue(), "the same text as without --out"
    assert load_profile(target).initial_mode.name == "modem"


def test_out_refuses_an_existing_file_unless_forced(tmp_path):
    target = tmp_path / "e3531.yaml"
    target.write_text("keep me\n")
    code, out, err = _capture_to(target)
    assert (code, out) == (1, "")
    assert err == f"{target}: --out: exists; not overwritten (add --force to replace it)\n"
    assert target.read_text() == "keep me\n"
    code, out, err = _capture_to(target, force=True)
    assert (code, err) == (0, "") and out.count("\n") == 1 and str(target) in out
    assert target.read_text(encoding="utf-8").startswith("# Draft profile")


def _two_devices() -> str:
    """The real E3531 dump, then the same dump re-labelled as a 12d1:1506 lsusb names with usb.ids
    (written for these tests, not a capture)."""
    text = DUMP.read_text()
    other = text.replace("Bus 001 Device 008: ID 12d1:155e  ", "Bus 001 Device 009: ID 12d1:1506 Huawei Technologies "
                         "Co., Ltd. E3372 LTE/UMTS/GSM Modem/Networkcard").replace(
                         "idProduct          0x155e", "idProduct          0x1506")
    return text + "\n" + other


def test_out_to_a_folder_writes_each_device_under_its_profile_key(tmp_path):
    for folder in (str(tmp_path / "new") + "/", str(tmp_path / "new")):   # trailing slash, or an existing folder
        code, out, err = _capture_to(folder, source="-", stdin=_two_devices(), force=folder.endswith("new"))
        assert (code, err) == (0, ""), err
        written = sorted(p.relative_to(folder).as_posix() for p in Path(folder).rglob("*.yaml"))
        assert written == ["huawei/e3372.yaml", "huawei/huawei-mobile.yaml"]
        assert out.splitlines()[1] == f"wrote the draft for 12d1:1506 (profile key huawei/e3372) to " \
                                      f"{Path(folder) / 'huawei' / 'e3372.yaml'}"
        loaded = ProfileLibrary(folder).get("huawei/e3372")
        assert (loaded.vendor, loaded.model, str(loaded.initial_mode.ids[0])) == ("Huawei", "E3372", "12d1:1506")


def test_out_names_one_file_but_the_dump_has_two_devices(tmp_path):
    target = tmp_path / "one.yaml"
    code, out, err = _capture_to(target, source="-", stdin=_two_devices())
    assert (code, out) == (1, "") and err.count("\n") == 1
    assert err.startswith(f"{target}: --out: one file, but the dump has 2 devices to draft (12d1:155e (line 1), ")
    assert not target.exists()


def test_out_two_devices_with_one_key_write_nothing(tmp_path):
    text = DUMP.read_text()
    code, out, err = _capture_to(str(tmp_path) + "/", source="-", stdin=text + "\n" + text)
    assert (code, out) == (1, "") and err.count("\n") == 1
    assert "huawei/huawei-mobile.yaml: --out: the devices of lines 1 and " in err
    assert list(tmp_path.iterdir()) == []


def test_out_cannot_write_is_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code, out, err = _capture_to(blocker / "e3531.yaml")
    assert (code, out) == (1, "") and err.count("\n") == 1
    assert err.startswith(f"{blocker}: --out: cannot make the folder: ")


def test_a_bad_dump_with_out_writes_nothing(tmp_path):
    target = tmp_path / "e3531.yaml"
    code, out, err = _capture_to(target, source="-", stdin="\n".join(DUMP.read_text().splitlines()[:40]) + "\n")
    assert (code, out) == (1, "") and err.startswith("<stdin>:") and not target.exists()


def test_out_through_the_hilkit_command(tmp_path, capsys):
    target = tmp_path / "drafts" / "e3531.yaml"
    assert main(["profiles", "capture", str(DUMP), "--out", str(target)]) == 0
    assert capsys.readouterr().out == f"wrote the draft for 12d1:155e (profile key huawei/huawei-mobile) to {target}\n"
    assert main(["profiles", "check", str(target)]) == 0
