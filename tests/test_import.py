"""`hilkit profiles import` is reproducible: importing the kept tarball again gives the same files."""
from __future__ import annotations

import filecmp
import tarfile
from pathlib import Path

from hilkit.cli.main import main
from hilkit.config.modeswitch_db import profile_key, read_database
from hilkit.config.modeswitch_file import parse_config_text
from hilkit.config.paths import PROJECT_ROOT
from hilkit.config.profiles import load_profile

KEPT = PROJECT_ROOT / "device_profiles" / "usb-modeswitch-data"
TARBALL = KEPT / "configPack.tar.gz"


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*.yaml")}


def test_import_of_the_kept_tarball_reproduces_the_kept_profiles(tmp_path, capsys):
    assert main(["profiles", "import", "--from", str(TARBALL), "--no-overrides", "--out", str(tmp_path)]) == 0
    assert "imported 512 configs" in capsys.readouterr().out
    assert _tree(tmp_path) == _tree(KEPT)
    names = sorted(_tree(KEPT)) + ["SOURCE.txt"]
    match, mismatch, errors = filecmp.cmpfiles(tmp_path, KEPT, names, shallow=False)
    assert mismatch == [] and errors == []


def test_overrides_replace_database_entries_and_variants_become_matches(tmp_path):
    overrides = tmp_path / "usb_modeswitch.d"
    overrides.mkdir()
    (overrides / "12d1:1446").write_text("# my lab's own Huawei setting\nTargetVendor=0x12d1\nTargetProduct=0x1506\n"
                                         "HuaweiNewMode=1\n")
    entries = {e.name: e for e in read_database(TARBALL, overrides)}
    assert len(entries) == 512
    assert entries["12d1:1446"].origin == str(overrides / "12d1:1446")
    out = tmp_path / "out"
    assert main(["profiles", "import", "--from", str(TARBALL), "--overrides", str(overrides),
                 "--out", str(out)]) == 0
    profile = load_profile(out / "12d1" / "1446.yaml")
    assert profile.switches[0].config.target_products == [0x1506]
    variant = load_profile(out / "05c6" / "1000-uma-option.yaml")
    assert variant.match == {"manufacturer": "Option"}
    assert profile_key("05c6:1000:uMa=Co.,Ltd") == "usb-modeswitch-data/05c6/1000-uma-co-ltd"


def test_every_database_entry_parses_with_its_line_numbers():
    with tarfile.open(TARBALL) as pack:
        names = [m.name for m in pack.getmembers() if m.isfile() and m.name != "new.lst"]
        assert len(names) == 512
        for name in names:
            parsed = parse_config_text(pack.extractfile(name).read().decode(), name)
            assert parsed.raw, name
            assert all(line >= 1 for line in parsed.lines.values())


def test_bad_config_line_is_one_line_error(tmp_path, capsys):
    import pytest

    from hilkit.core.errors import ProfileError

    with pytest.raises(ProfileError) as error:
        parse_config_text("# x\nTargetVendor=0x12d1\nMessageContent=\"5553424Z\"\n", "12d1:dead")
    assert str(error.value) == "12d1:dead:3: MessageContent: '5553424Z' is not a hex message (expected pairs of hex digits)"
