"""A broken rig file is reported as ONE line: ``path:line: field: what is wrong (expected ...)``.

Every case starts from the real text of ``lab/virtual.yaml`` (with ``profiles:`` made absolute so the
copy in tmp_path still finds ``device_profiles``), breaks one thing by text substitution, and checks
the exception type, that the message is a single line, the exact line number of the broken line
(computed from the modified text), the dotted field and something specific about the problem.

"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from brokenfiles import case, line_number, write_broken

from hilkit.cli.main import main
from hilkit.core.errors import ProfileError, RigError, SourceError
from hilkit.lab.registry import load_rig

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ROOT / "device_profiles"
SHIPPED = ROOT / "lab" / "virtual.yaml"



def good_text(profiles: Path = PROFILES) -> str:
    text = SHIPPED.read_text(encoding="utf-8")
    relative = "profiles: ../device_profiles\n"
    assert text.count(relative) == 1, f"{SHIPPED} changed: no {relative!r} line"
    return text.replace(relative, f"profiles: {profiles}\n")


def break_rig(tmp_path: Path, old: str, new: str, profiles: Path = PROFILES) -> tuple[Path, str]:
    """Write the shipped rig with ``old`` replaced by ``new`` (exactly once)."""
    path = tmp_path / "lab" / "rig.yaml"
    return path, write_broken(good_text(profiles), old, new, path, SHIPPED)






E3372_POWER = "{driver: gpio, pin: 27, active_high: true}"
E3372_PORT = '    port: "1-1.3"\n'
SECOND_SLOT = "- name: e3372\n"

CASES = [
    # --- YAML syntax -------------------------------------------------------------------------
    case("yaml-bad-indentation",
         E3372_PORT, '     port: "1-1.3"\n',
         line='     port: "1-1.3"', field="", says=("YAML syntax error", "expected <block end>")),
    case("yaml-unclosed-brace",
         E3372_POWER, E3372_POWER[:-1],
         line="pin: 27", field="", says=("YAML syntax error", "'}'")),

    # --- unknown and missing keys ------------------------------------------------------------
    case("unknown-top-level-key",
         "pin_factory: mock\n", "pin_factroy: mock\n",
         line="pin_factroy", field="pin_factroy",
         says=("unknown key 'pin_factroy'", "expected one of:", "pin_factory")),
    case("unknown-slot-key",
         E3372_PORT, E3372_PORT + "    note: spare dongle\n",
         line="note: spare dongle", field="slots[1].note",
         says=("unknown key 'note'", "expected one of:", "notes")),
    case("unknown-power-key",
         E3372_POWER, "{driver: gpio, pin: 27, active_hi: true}",
         line="active_hi:", field="slots[1].power.active_hi",
         says=("unknown key 'active_hi'", "active_high")),
    case("unknown-key-typo-of-required-prot",
         E3372_PORT, '    prot: "1-1.3"\n',
         line="prot:", field="slots[1].prot", says=("unknown key 'prot'", "port")),
    case("missing-port",
         E3372_PORT, "",
         line=("profile: huawei/e3131", SECOND_SLOT.strip()), field="slots[1]", says=("missing required key 'port'",)),

    # --- forms and values --------------------------------------------------------------------
    case("malformed-port-path",
         '"1-1.3"', '"1.1-3"',
         line='"1.1-3"', field="slots[1].port", says=("'1.1-3'", "wrong form", "expected")),
    case("port-not-a-string",
         E3372_PORT, "    port: 13\n",
         line="port: 13", field="slots[1].port", says=("expected string", "got integer 13")),
    case("slot-name-not-lower-case",
         SECOND_SLOT, "- name: E3372\n",
         line="- name: E3372", field="slots[1].name", says=("'E3372'", "wrong form")),
    case("unknown-backend",
         "backend: virtual\n", "backend: real\n",
         line="backend:", field="backend", says=("'real' is not allowed", "virtual, umockdev, linux")),
    case("faults-on-a-real-rig",
         "backend: virtual\n", "backend: linux\nfaults: [stall]\n",
         line="faults:", field="faults", says=("only be injected in the virtual lab",)),
    case("unknown-pin-factory",
         "pin_factory: mock\n", "pin_factory: gpiod\n",
         line="pin_factory:", field="pin_factory", says=("'gpiod' is not allowed", "lgpio")),
    case("unknown-power-driver",
         E3372_POWER, "{driver: relay, pin: 27}",
         line="driver: relay", field="slots[1].power.driver", says=("'relay' is not allowed", "gpio, uhubctl")),

    # --- cross-checks between slots ----------------------------------------------------------
    case("two-slots-same-name",
         SECOND_SLOT, "- name: e3131\n",
         line=("profile: huawei/e3131", "- name: e3131"),
         field="slots[1].name", says=("'e3131' is used twice",)),
    case("two-slots-same-port",
         '"1-1.3"', '"1-1.2"',
         line=("profile: huawei/e3131", "port:"), field="slots[1].port",
         says=("port 1-1.2", "'e3131'")),
    case("two-slots-same-gpio-pin",
         "pin: 27", "pin: 17",
         line=("profile: huawei/e3131", "pin: 17"), field="slots[1].power.pin",
         says=("pin 17 already powers slot 'e3131'",)),
    case("two-slots-same-gpio-pin-written-as-string",
         "pin: 27", 'pin: "17"',
         line='pin: "17"', field="slots[1].power.pin", says=("pin 17 already powers slot 'e3131'",)),
    case("gpio-without-pin",
         E3372_POWER, "{driver: gpio, active_high: true}",
         line="{driver: gpio, active_high: true}", field="slots[1].power",
         says=("missing required key 'pin'", "gpio driver needs a pin")),
    case("uhubctl-without-hub-and-port",
         E3372_POWER, "{driver: uhubctl}",
         line="driver: uhubctl", field="slots[1].power", says=("needs 'hub'", "and 'port'")),
    case("uhubctl-without-hub",
         E3372_POWER, "{driver: uhubctl, port: 2}",
         line="driver: uhubctl", field="slots[1].power", says=("needs 'hub'",)),
    case("uhubctl-without-port",
         E3372_POWER, "{driver: uhubctl, hub: 1-1}",
         line="driver: uhubctl", field="slots[1].power", says=("'port'",)),

    # --- profiles ------------------------------------------------------------------------------
    case("unknown-profile",
         "profile: huawei/e3372-hilink\n", "profile: huawei/e3372-hilnk\n",
         line="profile: huawei/e3372-hilnk", field="slots[1].profile",
         says=("no profile 'huawei/e3372-hilnk'", "known; did you mean huawei/e3372-hilink")),
    case("profile-name-not-lower-case",
         "profile: huawei/e3372-hilink\n", "profile: Huawei/E3372\n",
         line="profile: Huawei/E3372", field="slots[1].profile", says=("'Huawei/E3372'", "wrong form")),
]


@pytest.mark.parametrize("old, new, marker, field, says", CASES)
def test_broken_rig_is_one_line_at_the_broken_line(tmp_path, old, new, marker, field, says):
    path, text = break_rig(tmp_path, old, new)
    expected_line = line_number(text, marker)

    with pytest.raises(SourceError) as info:
        load_rig(path, profiles_root=PROFILES)

    err = info.value
    message = str(err)
    assert type(err) is RigError, message
    assert "\n" not in message and "Traceback" not in message, message
    assert message == err.one_line()
    prefix = f"{path}:{expected_line}: "
    assert message.startswith(prefix), f"expected the message to start with {prefix!r}: {message}"
    assert (err.path, err.line, err.field) == (str(path), expected_line, field), message
    if field:
        assert message[len(prefix):].startswith(f"{field}: "), message
    for fragment in says:
        assert fragment in err.problem, f"{fragment!r} not in: {message}"


def test_the_shipped_rig_loads(tmp_path):
    path, _ = break_rig(tmp_path, "name: virtual\n", "name: virtual\n")
    rig = load_rig(path, profiles_root=PROFILES)
    assert [s.port for s in rig.slots] == ["1-1.2", "1-1.3", "1-1.4", "1-1.5"]
    assert load_rig(path).profiles_root == str(PROFILES)  # the absolute `profiles:` is used too


def test_the_shipped_profiles_stand_behind_the_rigs_own_folder(tmp_path):
    """A rig's own profile folder comes first; a name it does not hold is found among the shipped."""
    empty = tmp_path / "no-profiles"
    empty.mkdir()
    path, _ = break_rig(tmp_path, "name: virtual\n", "name: virtual\n", profiles=empty)
    rig = load_rig(path)
    assert rig.profile_dirs[0] == str(empty)
    assert rig.slot("e3131").profile.path == str(PROFILES / "huawei" / "e3131.yaml")


def test_a_labs_own_profile_shadows_the_shipped_one(tmp_path):
    own = tmp_path / "our-profiles"
    (own / "huawei").mkdir(parents=True)
    (own / "huawei" / "e3131.yaml").write_text(
        (PROFILES / "huawei" / "e3131.yaml").read_text().replace("model: E3131", "model: E3131 (our firmware)"))
    path, _ = break_rig(tmp_path, "profiles: " + str(PROFILES) + "\n", f"profiles: [{own}]\n")
    rig = load_rig(path)
    assert rig.slot("e3131").profile.model == "E3131 (our firmware)"
    assert rig.slot("e3531").profile.path == str(PROFILES / "huawei" / "e3531.yaml")


def test_a_rig_lists_every_mistake_at_once(tmp_path):
    text = good_text().replace("pin: 27", "pin: 17").replace("profile: huawei/e3531", "profile: huawei/e3351") \
        .replace("port: \"1-1.2\"", "prot: \"1-1.2\"").replace("pin_factory: mock", "pin_factory: mock\ncolour: red")
    path = tmp_path / "lab" / "rig.yaml"
    path.parent.mkdir()
    path.write_text(text)
    with pytest.raises(RigError) as info:
        load_rig(path)
    lines = info.value.lines()
    assert [line.split(": ", 2)[1] for line in lines] == ["colour", "slots[0].prot", "slots[1].power.pin",
                                                          "slots[2].profile"], lines
    numbers = [int(line.split(":")[1]) for line in lines]
    assert numbers == sorted(numbers) and len(set(numbers)) == 4


def test_a_broken_profile_is_reported_in_the_profile_file(tmp_path):
    """A slot naming a broken profile: one ProfileError line pointing into the profile, not the rig."""
    profiles = tmp_path / "device_profiles"
    shutil.copytree(PROFILES, profiles)
    broken = profiles / "huawei" / "e3372-hilink.yaml"
    text = broken.read_text(encoding="utf-8")
    assert text.count("vendor: Huawei\n") == 1
    broken.write_text(text.replace("vendor: Huawei\n", "vendr: Huawei\n"), encoding="utf-8")
    path, _ = break_rig(tmp_path, "name: virtual\n", "name: virtual\n", profiles=profiles)

    with pytest.raises(ProfileError) as info:
        load_rig(path)

    err = info.value
    assert err.path == str(broken)
    assert "\n" not in str(err)
    assert str(err).startswith(f"{broken}:")


def test_two_slots_on_the_same_uhubctl_port(tmp_path):
    path, text = break_rig(tmp_path, E3372_POWER, "{driver: uhubctl, hub: 1-1, port: 2}")
    text = text.replace("{driver: gpio, pin: 17, active_high: true}", "{driver: uhubctl, hub: 1-1, port: 2}")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RigError) as info:
        load_rig(path, profiles_root=PROFILES)
    err = info.value
    assert "\n" not in str(err)
    assert err.line == line_number(text, ("profile: huawei/e3131", "driver: uhubctl"))
    assert err.field.startswith("slots[1].power")
    assert "hub 1-1 port 2 already powers slot 'e3131'" in err.problem


# --- hilkit rig check --------------------------------------------------------------------------

CLI_BREAKS = [
    pytest.param('"1-1.3"', '"1.1-3"', id="malformed-port-path"),
    pytest.param("pin: 27", "pin: 17", id="same-gpio-pin"),
    pytest.param("profile: huawei/e3372-hilink\n", "profile: huawei/e3372-hilnk\n", id="unknown-profile"),
    pytest.param("backend: virtual\n", "backend: linux\nfaults: [stall]\n", id="faults-on-linux"),
    pytest.param(E3372_PORT, '     port: "1-1.3"\n', id="yaml-syntax-error"),
]


@pytest.mark.parametrize("old, new", CLI_BREAKS)
def test_rig_check_prints_one_error_line_and_exits_1(tmp_path, capsys, old, new):
    path, _ = break_rig(tmp_path, old, new)
    with pytest.raises(RigError) as info:
        load_rig(path)  # as the command does: profiles from the rig's own `profiles:` key

    code = main(["rig", "check", str(path)])

    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert err.splitlines() == [str(info.value)]


def test_rig_check_missing_file_exits_1(tmp_path, capsys):
    path = tmp_path / "nope.yaml"
    assert main(["rig", "check", str(path)]) == 1
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"{path}: no such file\n")


def test_rig_check_accepts_the_shipped_rig(capsys):
    rig = load_rig(SHIPPED)

    code = main(["rig", "check", str(SHIPPED)])

    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"{SHIPPED}: rig {rig.name} [virtual], {len(rig.slots)} slots"
    assert len(lines) == 1 + len(rig.slots)


def test_rig_check_accepts_the_tmp_copy(tmp_path, capsys):
    path, _ = break_rig(tmp_path, "name: virtual\n", "name: virtual\n")
    assert main(["rig", "check", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err == "" and out.startswith(f"{path}: rig virtual [virtual], ")


def test_profile_name_may_not_leave_the_profiles_directory(tmp_path):
    path, text = break_rig(tmp_path, "profile: huawei/e3531", "profile: ../lab/virtual")
    with pytest.raises(RigError) as info:
        load_rig(path, profiles_root=PROFILES)
    assert str(info.value) == (f"{path}:{line_number(text, '../lab/virtual')}: slots[2].profile: "
                               "'../lab/virtual' leaves the profiles directory (expected a name such as huawei/e3131)")


def test_secrets_file_that_never_ends_is_refused(tmp_path):
    from hilkit.config.secrets import load_secrets

    with pytest.raises(RigError, match="not a regular file"):
        load_secrets("/dev/zero")
