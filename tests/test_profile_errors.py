"""A broken device profile is reported as ONE line per mistake: ``path:line: field: what is wrong (expected ...)``.

Every case starts from the real text of ``device_profiles/huawei/e3131.yaml``, breaks one thing by
text substitution, and checks the exception type, that the message is a single line, the exact line
number of the broken line (computed from the modified text, never hard-coded), the dotted field and
something specific about the problem.

"""
from __future__ import annotations

from pathlib import Path

import pytest
from brokenfiles import case, line_number, write_broken

from hilkit.cli.main import main
from hilkit.config.profiles import load_profile
from hilkit.core.errors import ProfileError, SourceError

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ROOT / "device_profiles"
SHIPPED = PROFILES / "huawei" / "e3131.yaml"

CBW = "55534243123456780000000000000011060000000000000000000000000000"  # the shipped 31-byte CBW



def good_text() -> str:
    return SHIPPED.read_text(encoding="utf-8")


def break_profile(tmp_path: Path, old: str, new: str) -> tuple[Path, str]:
    """Write the shipped e3131 profile with ``old`` replaced by ``new`` (exactly once)."""
    path = tmp_path / "huawei" / "e3131.yaml"
    return path, write_broken(good_text(), old, new, path, SHIPPED)






STORAGE_IDS = '    ids: ["12d1:14fe"]\n'
STORAGE_DEVICE_CLASS = STORAGE_IDS + "    device_class: 0x00\n"

CASES = [
    # --- YAML syntax -------------------------------------------------------------------------
    case("yaml-key-without-colon",  # PyYAML notices it on the next line; the mistake is on this one
         "vendor: Huawei\nmodel: E3131\n", "vendor: Huawei\nmodel E3131\n",
         line="model E3131", field="", says=("expected ':'", "key: value")),
    case("yaml-unclosed-bracket",
         'ids: ["12d1:14fe"]', 'ids: ["12d1:14fe"',
         line='ids: ["12d1:14fe"', field="", says=("YAML syntax error", "']'")),
    case("yaml-bad-indentation",
         STORAGE_DEVICE_CLASS + "    manufacturer: HUAWEI\n",
         STORAGE_DEVICE_CLASS + "     manufacturer: HUAWEI\n",
         line="     manufacturer: HUAWEI", field="",
         says=("YAML syntax error", "mapping values are not allowed")),
    case("yaml-tab-indentation",
         STORAGE_DEVICE_CLASS, STORAGE_IDS + "\tdevice_class: 0x00\n",
         line="\tdevice_class", field="", says=("YAML syntax error", r"'\t'", "cannot start any token")),
    case("duplicate-key",
         "    product: HUAWEI Mobile\n    interfaces:\n      - number: 0\n",
         "    product: HUAWEI Mobile\n    product: E3131 again\n    interfaces:\n      - number: 0\n",
         line="E3131 again", field="modes.storage.product", says=("duplicate key",)),

    # --- unknown and missing keys ------------------------------------------------------------
    case("unknown-key-typo-of-required-devce_class",
         STORAGE_DEVICE_CLASS, STORAGE_IDS + "    devce_class: 0x00\n",
         line="devce_class", field="modes.storage.devce_class",
         says=("unknown key 'devce_class'", "device_class")),
    case("unknown-key-typo-of-optional-manufactuer",
         '    observed_id: "12d1:1c05"\n    device_class: 0x00\n    manufacturer: HUAWEI\n',
         '    observed_id: "12d1:1c05"\n    device_class: 0x00\n    manufactuer: HUAWEI\n',
         line="manufactuer", field="modes.modem.manufactuer",
         says=("unknown key 'manufactuer'", "expected one of:", "manufacturer")),
    case("unknown-usb_modeswitch-key",
         "      MessageContent:", "      MessageContnet:",
         line="MessageContnet", field="switches[0].config.MessageContnet",
         says=("unknown key 'MessageContnet'", "expected one of:", "MessageContent,")),
    case("missing-device_class",
         STORAGE_DEVICE_CLASS, STORAGE_IDS,
         line="  storage:", field="modes.storage", says=("missing required key 'device_class'",)),

    # --- types, forms and ranges -------------------------------------------------------------
    case("string-where-integer-expected",
         "      - number: 0\n", '      - number: "0"\n',
         line='- number: "0"', field="modes.storage.interfaces[0].number",
         says=("expected integer", "got string '0'")),
    case("malformed-usb-id",
         'ids: ["12d1:14fe"]', 'ids: ["12d1-14fe"]',
         line="12d1-14fe", field="modes.storage.ids[0]", says=("'12d1-14fe'", "wrong form", "expected")),
    case("empty-ids",
         'ids: ["12d1:14fe"]', "ids: []",
         line="ids: []", field="modes.storage.ids", says=("must not be empty", "at least 1")),
    case("class-out-of-range",
         "        class: 0x08\n", "        class: 0x1ff\n",
         line="class: 0x1ff", field="modes.storage.interfaces[0].class",
         says=("511", "out of range", "expected <= 255")),
    case("unknown-interface-role",
         "        role: storage\n", "        role: modem\n",
         line="role: modem", field="modes.storage.interfaces[0].role",
         says=("'modem' is not allowed", "expected one of: storage, at, diag")),
    case("mode-name-not-lower-case",
         "  modem:\n", "  Modem:\n",
         line="  Modem:", field="modes.Modem", says=("bad name 'Modem'", "expected lower-case")),
    case("unknown-attach-technology",
         "technology: [gsm, umts, hsdpa, hspa]", "technology: [gsm, umts, 3g]",
         line="technology: [gsm, umts, 3g]", field="attach.technology[2]",
         says=("'3g' is not allowed", "lte")),
    case("message-not-hex",
         f'MessageContent: "{CBW}"', f'MessageContent: "{CBW[:-1]}Z"',
         line="MessageContent:", field="switches[0].config.MessageContent",
         says=("wrong form", "[0-9a-fA-F]")),

    # --- cross-checks inside a mode ----------------------------------------------------------
    case("observed_id-not-in-ids",
         'observed_id: "12d1:1c05"', 'observed_id: "12d1:1c06"',
         line="observed_id", field="modes.modem.observed_id",
         says=("12d1:1c06 is not among this mode's ids", "12d1:1506, 12d1:1c05")),
    case("duplicate-interface-number",
         "{number: 1, class: 0xff", "{number: 0, class: 0xff",
         line="role: diag", field="modes.modem.interfaces[1].number",
         says=("interface 0 alt 0 is listed twice", "[0]")),
    case("interface-numbers-with-a-gap",
         "{number: 3, class: 0x08", "{number: 4, class: 0x08",
         line=("  modem:", "    interfaces:"), field="modes.modem.interfaces",
         says=("[0, 1, 2, 4]", "0..3 without gaps")),
    case("not-an-endpoint-address",
         "{address: 0x81, type: bulk}", "{address: 0x91, type: bulk}",
         line="address: 0x91", field="modes.storage.interfaces[0].endpoints[0].address",
         says=("0x91 is not an endpoint address", "0x81-0x8f")),

    # --- initial mode --------------------------------------------------------------------------
    case("two-initial-modes",
         "  modem:\n    description:", "  modem:\n    initial: true\n    description:",
         line="modes:", field="modes", says=("exactly one mode", "found: storage, modem")),
    case("no-initial-mode",
         "    initial: true\n", "",
         line="modes:", field="modes", says=("exactly one mode", "found: none")),

    # --- switches ------------------------------------------------------------------------------
    case("switch-to-unknown-mode",
         "    to: modem\n", "    to: modem-on\n",
         line="to: modem-on", field="switches[0].to",
         says=("no mode named 'modem-on'", "expected one of: storage, modem")),
    case("switch-from-unknown-mode",
         "    from: storage\n", "    from: cdrom\n",
         line="from: cdrom", field="switches[0].from",
         says=("no mode named 'cdrom'", "expected one of: storage, modem")),
    case("switch-to-its-own-mode",
         "    to: modem\n", "    to: storage\n",
         line="to: storage", field="switches[0].to", says=("another mode",)),
    case("cbw-wrong-length",
         f'MessageContent: "{CBW}"', f'MessageContent: "{CBW[:-2]}"',
         line="MessageContent:", field="switches[0].config.MessageContent",
         says=("CBW", "must be 31 bytes", "this one is 30")),
    case("target-product-list-misses-observed-id",
         'TargetProductList: "1506,1c05"', 'TargetProductList: "1506"',
         line="TargetProductList", field="switches[0].config.TargetProductList",
         says=("comes up as 12d1:1c05", "includes 1c05")),
    case("target-product-and-list-both",
         '      TargetProductList: "1506,1c05"',
         '      TargetProduct: 0x1506\n      TargetProductList: "1506,1c05"',
         line="TargetProductList", field="switches[0].config.TargetProductList",
         says=("TargetProduct or TargetProductList, not both",)),
    case("default-product-not-an-id-of-from-mode",
         "DefaultProduct: 0x14fe", "DefaultProduct: 0x14ff",
         line="DefaultProduct", field="switches[0].config.DefaultProduct",
         says=("12d1:14ff is not an id of mode 'storage'", "12d1:14fe")),
    case("target-vendor-wrong",
         "TargetVendor: 0x12d1", "TargetVendor: 0x12d2",
         line="TargetVendor", field="switches[0].config.TargetVendor", says=("12d2",)),

    # --- attach and virtual --------------------------------------------------------------------
    case("attach-port-role-no-mode-has",
         "  port_role: at\n", "  port_role: ppp\n",
         line="port_role: ppp", field="attach.port_role", says=("role 'ppp'",)),
]


@pytest.mark.parametrize("old, new, marker, field, says", CASES)
def test_broken_profile_is_one_line_at_the_broken_line(tmp_path, old, new, marker, field, says):
    path, text = break_profile(tmp_path, old, new)
    expected_line = line_number(text, marker)

    with pytest.raises(SourceError) as info:
        load_profile(path)

    err = info.value
    message = str(err)
    assert type(err) is ProfileError, message
    assert "\n" not in message and "Traceback" not in message, message
    assert message == err.one_line()
    prefix = f"{path}:{expected_line}: "
    assert message.startswith(prefix), f"expected the message to start with {prefix!r}: {message}"
    assert (err.path, err.line, err.field) == (str(path), expected_line, field), message
    rest = message[len(prefix):]
    if field:
        assert rest.startswith(f"{field}: "), message
    for fragment in says:
        assert fragment in err.problem, f"{fragment!r} not in: {message}"


def test_the_shipped_profile_loads(tmp_path):
    """The cases above break a profile that is itself good (a no-op substitution loads)."""
    path, _ = break_profile(tmp_path, "vendor: Huawei\n", "vendor: Huawei\n")
    profile = load_profile(path)
    assert set(profile.modes) == {"storage", "modem"}
    assert profile.initial_mode.name == "storage"


def test_missing_file_is_one_line(tmp_path):
    path = tmp_path / "huawei" / "nope.yaml"
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert str(info.value) == f"{path}: no such file"


# --- hilkit profiles check ---------------------------------------------------------------------

CLI_BREAKS = [
    pytest.param("        class: 0x08\n", "        class: 0x1ff\n", id="schema-error"),
    pytest.param('ids: ["12d1:14fe"]', 'ids: ["12d1-14fe"]', id="malformed-usb-id"),
    pytest.param(STORAGE_DEVICE_CLASS, STORAGE_IDS + "\tdevice_class: 0x00\n", id="yaml-syntax-error"),
    pytest.param("    to: modem\n", "    to: modem-on\n", id="cross-check"),
]


@pytest.mark.parametrize("old, new", CLI_BREAKS)
def test_profiles_check_prints_one_error_line_and_exits_1(tmp_path, capsys, old, new):
    path, _ = break_profile(tmp_path, old, new)
    with pytest.raises(ProfileError) as info:
        load_profile(path)

    code = main(["profiles", "check", str(path)])

    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert "Traceback" not in err
    error_lines = [line for line in err.splitlines() if line.startswith(str(path))]
    assert error_lines == [str(info.value)]
    # the only other stderr line is the summary
    assert err.splitlines() == [str(info.value), "0 of 1 profiles ok"]


def test_profiles_check_directory_reports_only_the_broken_file(tmp_path, capsys):
    path, _ = break_profile(tmp_path, "    to: modem\n", "    to: modem-on\n")
    good = tmp_path / "huawei" / "e3531.yaml"
    good.write_text((PROFILES / "huawei" / "e3531.yaml").read_text(encoding="utf-8"), encoding="utf-8")

    code = main(["profiles", "check", str(tmp_path)])

    out, err = capsys.readouterr()
    assert code == 1
    lines = err.splitlines()
    assert len([line for line in lines if line.startswith(str(tmp_path))]) == 1
    assert lines[0].startswith(f"{path}:") and "switches[0].to: no mode named 'modem-on'" in lines[0]
    assert lines[-1] == "1 of 2 profiles ok"


def test_profiles_check_accepts_the_shipped_profiles(capsys):
    count = len(list(PROFILES.rglob("*.yaml")))
    assert count >= 1

    code = main(["profiles", "check", str(PROFILES)])

    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert out.strip() == f"{count} of {count} profiles ok"


def test_profiles_check_verbose_lists_each_shipped_profile(capsys):
    assert main(["profiles", "check", "-v", str(SHIPPED)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert f"{SHIPPED}: ok (Huawei E3131" in out


def test_a_pin_sim_without_its_pin_and_without_the_pin_variable_is_two_mistakes(tmp_path):
    text = good_text().replace("    operator: T-Mobile D\n", "    sim: pin\n    operator: T-Mobile D\n")
    path = tmp_path / "e3131.yaml"
    path.write_text(text)
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert [(line.split(":")[1], line.split(": ")[1]) for line in info.value.lines()] == [
        (str(line_number(text, ("TargetProductList", "attach:"))), "attach.sim_pin_env"),
        (str(line_number(text, "  network:")), "virtual.network.sim_pin")]


#: six different mistakes in one profile: (substitution, field named, line marker after it)
SIX = [
    ("vendor: Huawei\n", "vendr: Huawei\n", "vendr", "vendr: Huawei"),
    ("      - {number: 3, class: 0x08", "      - {number: 3, class: 0x108", "modes.modem.interfaces[3].class",
     "class: 0x108"),
    ("      TargetVendor: 0x12d1\n", "      TargetVendor: 0x12d2\n", "switches[0].config.TargetVendor",
     "TargetVendor: 0x12d2"),
    ("  port_role: at\n", "  port_role: ppp\n", "attach.port_role", "port_role: ppp"),
    ("  switch: 20\n", "  switch: .inf\n", "budgets.switch", "switch: .inf"),
    ("  reenumerate_delay: 0.2\n", "  reenumerate_delay: slow\n", "virtual.reenumerate_delay",
     "reenumerate_delay: slow"),
]


def test_six_mistakes_are_six_lines_in_line_order(tmp_path):
    text = good_text()
    for old, new, _, _ in SIX:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "e3131.yaml"
    path.write_text(text)
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    lines = info.value.lines()
    assert len(lines) == 6, "\n".join(lines)
    assert [line.split(": ")[1] for line in lines] == [field for _, _, field, _ in SIX]
    assert [int(line.split(":")[1]) for line in lines] == [line_number(text, marker) for *_, marker in SIX]


def test_profiles_check_prints_every_mistake(tmp_path, capsys):
    text = good_text()
    for old, new, _, _ in SIX:
        text = text.replace(old, new)
    (tmp_path / "e3131.yaml").write_text(text)
    assert main(["profiles", "check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert sum(1 for line in err.splitlines() if line.startswith(str(tmp_path / "e3131.yaml"))) == 6, err
