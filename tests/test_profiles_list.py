"""`hilkit profiles list`: every profile with its ids and the folder it comes from; a lab's own
folder first, shadowing a shipped profile of the same name; a mistyped name suggests the nearest."""
from __future__ import annotations

import pytest

from hilkit.cli.main import main
from hilkit.config.paths import shipped_profiles
from hilkit.config.profiles import ProfileLibrary
from hilkit.core.errors import ProfileError

SHIPPED = shipped_profiles()


def test_list_shows_name_ids_model_and_folder(capsys):
    assert main(["profiles", "list", "e3131"]) == 0
    out, err = capsys.readouterr()
    line = next(line for line in out.splitlines() if line.startswith("huawei/e3131 "))
    assert "12d1:14fe -> 12d1:1506,12d1:1c05" in line and "Huawei E3131" in line and line.endswith("[shipped]")
    total = len(ProfileLibrary(SHIPPED).keys())
    assert err.strip() == f"{len(out.splitlines())} of {total} profiles matching 'e3131' from shipped"


def test_a_labs_folder_comes_first_and_shadows(tmp_path, capsys):
    own = tmp_path / "profiles"
    (own / "huawei").mkdir(parents=True)
    (own / "huawei" / "e3131.yaml").write_text((SHIPPED / "huawei" / "e3131.yaml").read_text())
    (own / "huawei" / "e9999.yaml").write_text((SHIPPED / "huawei" / "e3531.yaml").read_text())
    assert main(["profiles", "list", "huawei/", "--profiles", str(own)]) == 0
    lines = capsys.readouterr().out.splitlines()
    e3131 = next(line for line in lines if line.startswith("huawei/e3131 "))
    assert e3131.endswith(f"[{own}; shadows shipped]")
    assert next(line for line in lines if line.startswith("huawei/e9999 ")).endswith(f"[{own}]")
    assert next(line for line in lines if line.startswith("huawei/e3531 ")).endswith("[shipped]")


def test_a_broken_profile_is_listed_as_broken(tmp_path, capsys):
    (tmp_path / "bad.yaml").write_text("vendor: x\n")
    assert main(["profiles", "list", "bad", "--profiles", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("bad  (broken: missing required key ") and "1 broken" in err


@pytest.mark.parametrize("typed, first", [
    ("huawei/e3372", "huawei/e3372-hilink"),
    ("e3131", "huawei/e3131"),
    ("12d1:1f01", "usb-modeswitch-data/12d1/1f01"),
    ("huawei/E3531", "huawei/e3531"),
])
def test_an_unknown_name_suggests_the_nearest_few(typed, first):
    with pytest.raises(ProfileError) as info:
        ProfileLibrary(SHIPPED).get(typed)
    problem = info.value.problem
    assert f"did you mean {first}" in problem
    assert len(problem) < 300 and "\n" not in problem
