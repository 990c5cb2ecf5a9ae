"""Nights without a human: every input hilkit reads gives a result or one clean line, never a traceback.

Each kind of input a lab feeds hilkit is fuzzed with Hypothesis, starting from the real files it
ships (mutated line by line, character by character, value by value) and from arbitrary text:

1. device profiles (``load_profile``)             -> Profile, or ProfileError ``path:line: ...``
2. rig files (``load_rig``)                       -> Rig, or RigError/ProfileError, one line
3. usb_modeswitch config files (configPack.tar.gz) -> SwitchConfig, or ProfileError, one line
4. ``lsusb -v`` dumps read from a file (bytes)     -> drafts, or one line on stderr (text and
   stdin are fuzzed in tests/test_capture.py)
6. mmcli JSON and tables, as attach results        -> AttachResult, or ModemError
7. HiLink XML answers                              -> AttachResult, or HiLinkError
8. secrets files                                   -> dict, or RigError that never shows a value

(5, AT byte streams, is tests/test_at_fuzz.py.) Plus a static check: YAML is only ever read with
a safe loader, and no subprocess runs through a shell.

``HILKIT_FUZZ_EXAMPLES`` sets the examples per test (default 100; the nightly long run uses 10000).
"""
from __future__ import annotations

import ast
import copy
import io
import json
import os
import re
import tarfile
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import event as _event
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from hilkit.cli.capture_cmd import capture_command
from hilkit.config.modeswitch_file import KNOWN_KEYS, parse_config_text
from hilkit.config.paths import PROJECT_ROOT
from hilkit.config.profiles import load_profile
from hilkit.config.secrets import load_secrets
from hilkit.core.errors import ModemError, ProfileError, RigError, SourceError
from hilkit.core.profile import Profile
from hilkit.core.rig import Rig
from hilkit.core.switchconfig import SwitchConfig
from hilkit.lab.registry import load_rig
from hilkit.modem import hilink_api as hilink
from hilkit.modem import mm_attach
from hilkit.modem.attach import AttachResult
from hilkit.modem.hilink_api import HiLinkError, attach_from_answers, describe_status, fields, parse_response
from hilkit.modem.mm_attach import attach_result
from hilkit.modem.mmcli_json import parse_mmcli_json
from hilkit.modem.mmcli_table import parse_mmcli_text

EXAMPLES = int(os.environ.get("HILKIT_FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

PROFILES = PROJECT_ROOT / "device_profiles"
HUAWEI = sorted((PROFILES / "huawei").glob("*.yaml"))
DATABASE = sorted((PROFILES / "usb-modeswitch-data").rglob("*.yaml"))
SOURCES = HUAWEI + DATABASE[::32]          # the hand-written profiles and every 32nd generated one
SOURCE_TEXT = {p: p.read_text(encoding="utf-8") for p in SOURCES}
SOURCE_DATA = {p: yaml.safe_load(t) for p, t in SOURCE_TEXT.items()}
RIG_TEXT = (PROJECT_ROOT / "lab" / "virtual.yaml").read_text(encoding="utf-8").replace(
    "profiles: ../device_profiles", f"profiles: {PROFILES}")
assert str(PROFILES) in RIG_TEXT, "lab/virtual.yaml changed: no 'profiles: ../device_profiles' line"
RIG_DATA = yaml.safe_load(RIG_TEXT)
with tarfile.open(PROFILES / "usb-modeswitch-data" / "configPack.tar.gz") as _pack:
    CONFIGS = {m.name: _pack.extractfile(m).read().decode("utf-8", "replace")
               for m in _pack.getmembers() if m.isfile() and m.name != "new.lst"}   # new.lst: a list of ids
CONFIG_NAMES = sorted(CONFIGS)
HILINK_XML = {p.name: p.read_bytes() for p in sorted((PROJECT_ROOT / "fixtures" / "hilink").glob("*.xml"))}
MMCLI_JSON = {p.name: json.loads(p.read_text(encoding="utf-8"))
              for p in sorted((PROJECT_ROOT / "fixtures" / "modemmanager").glob("*.json"))}
MMCLI_TEXT = (PROJECT_ROOT / "fixtures" / "huawei-e3531" / "mmcli-m0.txt").read_text(encoding="utf-8")
LSUSB_DUMP = (PROJECT_ROOT / "fixtures" / "huawei-e3531" / "lsusb-v.txt").read_bytes()


def event(what: str) -> None:
    """Count an outcome for --hypothesis-show-statistics (the checks also run outside Hypothesis)."""
    try:
        _event(what)
    except InvalidArgument:
        pass


def _keys(data: Any, into: set[str]) -> set[str]:
    if isinstance(data, dict):
        for key, value in data.items():
            into.add(str(key))
            _keys(value, into)
    elif isinstance(data, list):
        for item in data:
            _keys(item, into)
    return into


KNOWN_YAML_KEYS = sorted(_keys([*SOURCE_DATA.values(), RIG_DATA], set()))
KNOWN_JSON_KEYS = sorted(_keys(list(MMCLI_JSON.values()), set()))


# --- strategies ---------------------------------------------------------------------------------

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)   # no lone surrogates
PLAUSIBLE = st.sampled_from([
    "12d1:1506", "12d1:14fe", "12d1:1c05", "12D1:155E", "12d1:1506\n", "storage", "modem", "default",
    "target", "0x12d1", "12d1", "0X1C05", "1506,1c05", "1506, 1c05", "ff", "08", "0x", "",
    "55534243123456780000000000000011060000000000000000000000000000", "5553424312345678", "abc",
    "at", "ppp", "diag", "net", "other", "bulk", "interrupt", "hilink", "modemmanager", "home",
    "roaming", "umts", "lte", "pin", "1234", "virtual", "linux", "mock", "gpio", "uhubctl", "1-1",
    "1-1.2", "1-1.3", "huawei/e3131", "huawei/e3372-hilink", "../huawei/e3131", "GPIO17", "BOARD11",
    "SIM_PIN", "http://192.168.8.1", "*99#", "860000000031310", "26201", "secrets.env", "/dev/null",
    ".", "nul\x00byte", "~", "null", "yes", "0o17", "1_000", "1e3", ".inf",
])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-2, 300), st.integers(2 ** 31, 10 ** 400),
    st.floats(), st.integers(0, 300).map(float), TEXT, PLAUSIBLE, st.dates(), st.binary(max_size=6),
)
ANY_KEY = st.one_of(st.sampled_from(KNOWN_YAML_KEYS), TEXT, st.integers(-1, 3), st.booleans())
def _containers(inner):
    return st.lists(inner, max_size=4) | st.dictionaries(ANY_KEY, inner, max_size=4)


VALUES = st.recursive(SCALARS, _containers, max_leaves=8)
ODD_CHARS = st.one_of(
    st.sampled_from(list("\t:'\"[]{}-#&*!|>%@`,? \n\r\\") + ["\x00", "\x7f", "\x85", "\u2028", "\ufeff",
                                                             "\u00e9", "\u3000", "\U0001f600", "!!", ": ",
                                                             "- ", "&a ", "*a", "!!int ", "!!bool ",
                                                             "!!timestamp ", "!!python/object "]),
    st.characters(blacklist_categories=("Cs",)),
)


def flow(value: Any) -> str:
    """``value`` as YAML on one line where it can be (a flow collection, a plain/quoted scalar)."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10 ** 9, allow_unicode=True)
    if text.endswith("\n...\n"):
        text = text[:-5]
    return text.rstrip("\n")


_VALUE_LINE = re.compile(r"^(\s*(?:-\s+)?[^\s:#][^:#]*:)(\s.*|)$")


#: values written straight into YAML text, as a person (or a bad merge) would
RAW_YAML = st.sampled_from([
    "0x" + "f" * 4000, "9" * 5000, "0x1ffffffff", "0o777", "0b101", "1_000", "1e400", "1.0e+400", ".nan", "-.inf",
    "~", "2001-13-45", "2001-01-01 25:00:00", "!!binary AAAA", "!!binary '%%'", "!!int abc", "!!float x",
    "!!bool maybe", "!!timestamp x", "!!set {a}", "!!omap [a]", "!!str", "!!null x", "*undefined", "&a x",
    "!!python/object:os.system ls", "!custom x", "|", ">-", "'unclosed", '"\\q"', '"\\x00"', "[a, {b: c}]",
    "{a: [}", "? a", "- x", "129.0", "0.0", "-0", "+1", "0x81", "0xff", "00017", "1:20", "yes", "Off",
])
YAML_VALUES = st.one_of(VALUES.map(flow), RAW_YAML)


@st.composite
def mutated_text(draw, text: str, value_line: re.Pattern | None = _VALUE_LINE, values=YAML_VALUES) -> str:
    """``text`` with a few lines deleted, duplicated, swapped, indented, values replaced, odd
    characters put in, and maybe cut off."""
    lines = text.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 6))):
        if not lines:
            break
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "substitute", "insert_char", "value",
                                   "value", "indent", "insert_line"]))
        i = draw(st.integers(0, len(lines) - 1))
        line = lines[i]
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, line)
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op in ("substitute", "insert_char") and line:
            j = draw(st.integers(0, len(line) - 1))
            rest = line[j + 1:] if op == "substitute" else line[j:]
            lines[i] = line[:j] + draw(ODD_CHARS) + rest
        elif op == "value" and value_line is not None and value_line.match(line):
            lines[i] = value_line.match(line).group(1) + " " + draw(values) + "\n"
        elif op == "indent":
            lines[i] = draw(st.sampled_from(["", " ", "  ", "\t", "    "])) + line.lstrip(" ")
        elif op == "insert_line":
            lines.insert(i, draw(st.sampled_from(KNOWN_YAML_KEYS)) + ": " + draw(values) + "\n")
    out = "".join(lines)
    if draw(st.integers(0, 4)) == 0:
        out = out[: draw(st.integers(0, len(out)))]
    return out


def _paths(data: Any, here: tuple = ()) -> list[tuple]:
    out = [here]
    if isinstance(data, dict):
        for key, value in data.items():
            out += _paths(value, here + (key,))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            out += _paths(item, here + (index,))
    return out


def _at(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


@st.composite
def mutated_tree(draw, data: Any, values=VALUES, keys=ANY_KEY) -> Any:
    """A deep copy of ``data`` with a few values replaced, keys deleted/added/renamed, items
    duplicated or dropped: still well-formed YAML/JSON, so the checks behind the parser run."""
    data = copy.deepcopy(data)
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        if not path:
            continue
        parent, last = _at(data, path[:-1]), path[-1]
        op = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add", "rename", "duplicate"]))
        if op == "replace":
            parent[last] = draw(values)
        elif op == "delete":
            del parent[last]
        elif op == "add" and isinstance(parent, dict):
            parent[draw(keys)] = draw(values)
        elif op == "rename" and isinstance(parent, dict):
            new = draw(keys)
            if new not in parent:
                parent[new] = parent.pop(last)
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(last, copy.deepcopy(parent[last]))
    return data


def as_yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@st.composite
def profile_texts(draw) -> str:
    source = draw(st.sampled_from(SOURCES))
    kind = draw(st.sampled_from(["text", "text", "tree", "tree", "tree", "arbitrary"]))
    if kind == "text":
        return draw(mutated_text(SOURCE_TEXT[source]))
    if kind == "tree":
        return as_yaml(draw(mutated_tree(SOURCE_DATA[source])))
    return draw(st.one_of(st.text(max_size=300), VALUES.map(as_yaml)))


def write(tmp_path: Path, content: str | bytes, suffix: str = ".yaml") -> Path:
    path = tmp_path / f"{uuid.uuid4().hex}{suffix}"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", errors="surrogatepass", newline="")
    return path


def assert_one_line(exc: BaseException, *starts: str) -> str:
    """One line per mistake (a file's several mistakes come together, see hilkit.config.problems),
    each naming where; and no place named twice: a check does not repeat what another found there."""
    lines = exc.lines() if isinstance(exc, SourceError) else [str(exc)]
    for text in lines:
        assert text and len(text.splitlines()) == 1 and "\n" not in text and "\r" not in text, repr(text)
        if starts:
            assert text.startswith(starts), f"{text!r} does not start with one of {starts}"
    places = [line.rsplit(": ", 1)[0] for line in lines]
    assert len(places) == len(set(places)), lines
    return lines[0]


# --- 1. device profiles -------------------------------------------------------------------------

def check_profile(path: Path) -> Profile | None:
    try:
        profile = load_profile(path)
    except ProfileError as exc:
        assert_one_line(exc, str(path))
        event(f"ProfileError: {(exc.field or '(syntax)').split('.')[0].split('[')[0]}")
        return None
    event("Profile")
    assert isinstance(profile, Profile)
    # what the rest of hilkit does with a loaded profile works on it
    assert profile.title and profile.initial_mode.initial
    profile.final_mode.describe()
    for mode in profile.modes.values():
        mode.describe()
        assert mode.enumerates_as in mode.ids
    for switch in profile.switches:
        switch.config.describe_targets()
        switch.config.as_config_text()
        assert switch.label
    return profile


def test_shipped_profiles_load(tmp_path):
    for source, text in SOURCE_TEXT.items():
        assert check_profile(write(tmp_path, text)) is not None, source


@FUZZ
@given(text=profile_texts())
def test_fuzz_profiles_give_a_profile_or_one_line(tmp_path, text):
    check_profile(write(tmp_path, text))


@FUZZ
@given(data=st.binary(max_size=200), source=st.sampled_from(HUAWEI), cut=st.integers(0, 4000))
def test_fuzz_profile_bytes_give_a_profile_or_one_line(tmp_path, data, source, cut):
    raw = source.read_bytes()
    check_profile(write(tmp_path, raw[:cut] + data + raw[cut:]))


@pytest.mark.parametrize("text", [
    "model: 2001-13-45\n",                                 # a date PyYAML cannot construct
    "a: !!int abc\n", "a: !!float abc\n", "a: !!bool abc\n", "a: !!timestamp abc\n",
    "a: " + "9" * 5000 + "\n",                             # over Python's int-from-text limit
    "a: &x [*x]\n",                                        # an alias inside itself
    "a: " + "[" * 950 + "]" * 950 + "\n",                  # nested deeper than Python recurses
    "a: " + "[" * 5000 + "]" * 5000 + "\n",                # deeper than libyaml allows
    "a: b\x00c\n", "a: b\x85c\n", "\"a\\nb\": 1\n", "? [a]\n: 1\n", "a: !!binary '%%%'\n",
    "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(   # "billion laughs": aliases that expand
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)),
], ids=["bad-date", "bad-int", "bad-float", "bad-bool", "bad-timestamp", "huge-int", "recursive-alias",
        "deep-python", "deep-libyaml", "nul", "nel", "newline-key", "list-key", "bad-binary", "alias-bomb"])
def test_yaml_that_pyyaml_chokes_on_is_one_line(tmp_path, text):
    check_profile(write(tmp_path, text))
    check_profile(write(tmp_path, SOURCE_TEXT[HUAWEI[0]] + text))


# what the fuzzer found, kept as plain cases (each was a traceback before it was fixed)
E3131 = PROFILES / "huawei" / "e3131.yaml"


@pytest.mark.parametrize("old, new, field, says", [
    ("address: 0x81", "address: 129.0", "modes.storage.interfaces[0].endpoints[0].address",
     "expected integer, got number 129.0"),
    ("DefaultVendor: 0x12d1", "DefaultVendor: 4817.0", "switches[0].config.DefaultVendor",
     "expected integer or a hex string, got number 4817.0"),
    ("      DefaultVendor: 0x12d1", '      WaitBefore: "ff"\n      DefaultVendor: 0x12d1',
     "switches[0].config.WaitBefore", "'ff' is not a number"),
    ("TargetVendor: 0x12d1", "TargetVendor: 0x1ffffffff", "switches[0].config.TargetVendor", "out of range"),
    ("enumerate: 15", "enumerate: 1" + "0" * 400, "budgets.enumerate", "out of range"),
    ("enumerate: 15", "enumerate: .inf", "budgets.enumerate", "out of range"),
    ("enumerate_delay: 0.05", "enumerate_delay: 1" + "0" * 400, "virtual.enumerate_delay", "out of range"),
    ("\nmodel: E3131", "\nmodel: 2001-13-45", "model", "cannot read '2001-13-45' as timestamp"),
    ("enumerate: 15", "enumerate: " + "9" * 5000, "budgets.enumerate", "too many digits"),
    ("vendor: Huawei", "vendor: 0x" + "f" * 4000, "vendor", "too many digits"),
    ("csq: 18", "csq: 0x" + "f" * 4000, "virtual.network.csq", "too many digits"),
    ("\nmodel: E3131", "\nmodel: E\x003131", "", "unacceptable character #x0000"),
], ids=["float-endpoint", "float-config", "hex-for-decimal", "over-32-bits", "huge-budget", "inf-budget",
        "huge-delay", "bad-date", "int-digit-limit", "hex-digit-limit-string", "hex-digit-limit-int", "nul"])
def test_found_by_fuzzing_profiles(tmp_path, old, new, field, says):
    text = E3131.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = write(tmp_path, text.replace(old, new))
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    message = assert_one_line(info.value, str(path))
    assert info.value.field == field and says in message and info.value.line, message


@pytest.mark.parametrize("line, says", [
    ("WaitBefore=12d1", "not a decimal number"),
    ("AltSetting=0x" + "f" * 5000, "out of range"),
    ("TargetVendor=" + "1" * 9, "out of range"),
])
def test_found_by_fuzzing_config_files(line, says):
    with pytest.raises(ProfileError) as info:
        parse_config_text("# a stick\nDefaultVendor=0x12d1\n" + line + "\n", "12d1:1446")
    assert says in assert_one_line(info.value, "12d1:1446:3: ")


def test_found_by_fuzzing_hilink_signal_icon():
    status = {"SimStatus": "1", "ServiceStatus": "2", "SignalIcon": "9" * 400, "maxsignal": "5"}
    assert attach_from_answers(status).signal_percent == 100
    assert attach_from_answers(dict(status, SignalIcon="-" + "9" * 400)).signal_percent == 0


def test_found_by_fuzzing_secrets_not_utf8(tmp_path):
    path = write(tmp_path, b"APN_PASSWORD=S3kr\xff\xfeit\n", ".env")
    with pytest.raises(RigError) as info:
        load_secrets(path)
    message = assert_one_line(info.value, f"{path}:1: ")
    assert "S3kr" not in message and "xff" not in message


# --- 2. rig files -------------------------------------------------------------------------------

@st.composite
def rig_texts(draw) -> str:
    kind = draw(st.sampled_from(["text", "text", "tree", "tree", "arbitrary"]))
    if kind == "text":
        return draw(mutated_text(RIG_TEXT))
    if kind == "tree":
        return as_yaml(draw(mutated_tree(RIG_DATA)))
    return draw(st.one_of(st.text(max_size=300), VALUES.map(as_yaml)))


def check_rig(path: Path) -> Rig | None:
    try:
        rig = load_rig(path, profiles_root=PROFILES)
    except (RigError, ProfileError) as exc:
        assert_one_line(exc, str(path), str(PROFILES))
        event(type(exc).__name__)
        return None
    event("Rig")
    assert isinstance(rig, Rig)  # slots: [] is a rig for `hilkit switch` only (the built-in host)
    for slot in rig.slots:
        assert rig.slot(slot.name) is slot
        slot.describe()
        slot.power.describe()
    return rig


def test_shipped_rig_loads(tmp_path):
    assert check_rig(write(tmp_path, RIG_TEXT)) is not None


@FUZZ
@given(text=rig_texts())
def test_fuzz_rig_files_give_a_rig_or_one_line(tmp_path, text):
    (tmp_path / "secrets.env").write_text("SIM_PIN=1234\n")
    check_rig(write(tmp_path, text))


# --- 3. usb_modeswitch config files -------------------------------------------------------------

_CONFIG_LINE = re.compile(r"^(\s*[A-Za-z][A-Za-z0-9]*\s*=)(.*)$")
CONFIG_VALUES = st.one_of(
    st.sampled_from(["0x12d1", "12d1", "0X1C05", "1", "0", "ff", "FF", "0x", "x", "-1", "1.0", "", '""', "'1'",
                     '"55534243123456780000000000000011060000000000000000000000000000"', "5553424",
                     '"1506,1c05"', "1506,", "9" * 5000, "0x" + "f" * 5000, "١٢", "１２", "12 34", "0b1"]),
    st.text(st.sampled_from("0123456789abcdefABCDEFxX,\"' "), max_size=12), TEXT)


@st.composite
def config_texts(draw) -> tuple[str, str]:
    name = draw(st.sampled_from(CONFIG_NAMES))
    text = CONFIGS[name]
    kind = draw(st.sampled_from(["text", "values", "values", "arbitrary"]))
    if kind == "arbitrary":
        return name, draw(st.one_of(st.text(max_size=300), st.lists(st.tuples(
            st.sampled_from(sorted(KNOWN_KEYS)), CONFIG_VALUES).map("=".join), max_size=8).map("\n".join)))
    if kind == "values":
        lines = text.splitlines()
        for _ in range(draw(st.integers(1, 4))):
            if draw(st.booleans()) or not lines:
                lines.append(draw(st.sampled_from(sorted(KNOWN_KEYS))) + "=" + draw(CONFIG_VALUES))
            else:
                i = draw(st.integers(0, len(lines) - 1))
                match = _CONFIG_LINE.match(lines[i])
                if match:
                    lines[i] = match.group(1) + draw(CONFIG_VALUES)
        return name, "\n".join(lines)
    return name, draw(mutated_text(text, _CONFIG_LINE, CONFIG_VALUES))


def check_config(text: str, name: str) -> None:
    try:
        parsed = parse_config_text(text, name)
        config = parsed.config()
    except ProfileError as exc:
        assert_one_line(exc, name)
        event("ProfileError")
        return
    event("config")
    assert isinstance(config, SwitchConfig)
    assert set(parsed.raw) <= KNOWN_KEYS and parsed.title == (parsed.comments[0] if parsed.comments else "")
    config.describe_targets()
    config.as_config_text()
    config.messages
    config.target_products


def test_every_database_entry_parses():
    for name in CONFIG_NAMES:
        parse_config_text(CONFIGS[name], name).config()


@FUZZ
@given(entry=config_texts())
def test_fuzz_config_files_give_a_config_or_one_line(entry):
    name, text = entry
    check_config(text, name)


# --- 4. lsusb -v dumps read from a file ---------------------------------------------------------

@FUZZ
@given(cut=st.integers(0, len(LSUSB_DUMP)), junk=st.binary(max_size=40), crlf=st.booleans(),
       drop=st.integers(0, len(LSUSB_DUMP)))
def test_fuzz_lsusb_files_of_any_bytes_give_drafts_or_one_line(tmp_path, cut, junk, crlf, drop):
    raw = LSUSB_DUMP.replace(b"\n", b"\r\n") if crlf else LSUSB_DUMP
    raw = raw[:cut] + junk + raw[cut:]
    raw = raw[:drop] + raw[drop + 7:] if drop % 3 == 0 else raw
    path = write(tmp_path, raw, ".txt")
    out, err = io.StringIO(), io.StringIO()
    code = capture_command(str(path), out, err)
    if code == 1:
        assert out.getvalue() == "" and err.getvalue().count("\n") == 1
        assert err.getvalue().startswith(str(path)), err.getvalue()
    else:
        assert code == 0 and err.getvalue() == "" and out.getvalue()


# --- 6. mmcli JSON and tables as attach results -------------------------------------------------

JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                         TEXT, st.sampled_from(["--", "registered", "connected", "locked", "failed", "sim-pin",
                                                "sim-puk", "sim-missing", "home", "roaming", "attached", "lte",
                                                "19", "100", "1000", " 7 ", "١٢", "-5", "unknown", "enabled"]))
def _json_containers(inner):
    return st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KNOWN_JSON_KEYS) | TEXT, inner, max_size=3)


JSON_VALUES = st.recursive(JSON_SCALARS, _json_containers, max_leaves=6)


def check_attach(result: AttachResult) -> None:
    assert isinstance(result, AttachResult)
    assert result.sim in ("ready", "pin", "puk", "absent", "error", "unknown")
    assert isinstance(result.registration, str) and isinstance(result.technology, str)
    assert result.signal_percent is None or 0 <= result.signal_percent <= 100
    result.summary()


def check_mmcli(parse, data) -> None:
    try:
        parsed = parse(data)
    except ModemError as exc:
        assert_one_line(exc)
        event("ModemError")
        return
    event("parsed")
    assert isinstance(parsed, dict)
    modem = parsed.get("modem", {})
    try:
        check_attach(attach_result(modem))
        assert mm_attach.sim_state(modem) in ("ready", "pin", "puk", "absent", "error", "unknown")
    except ModemError as exc:
        assert_one_line(exc)


@FUZZ
@given(data=st.sampled_from(sorted(MMCLI_JSON)).flatmap(
    lambda name: mutated_tree(MMCLI_JSON[name], JSON_VALUES, st.sampled_from(KNOWN_JSON_KEYS) | TEXT)),
    cut=st.integers(0, 3))
def test_fuzz_mmcli_json_odd_values_give_an_attach_result_or_modem_error(data, cut):
    text = json.dumps(data)
    check_mmcli(parse_mmcli_json, text if cut else text[: len(text) // 2])


@FUZZ
@given(text=mutated_text(MMCLI_TEXT, re.compile(r"^(.*\|[^:]*:)(\s.*|)$"),
                         JSON_SCALARS.map(lambda v: v if isinstance(v, str) else json.dumps(v))))
def test_fuzz_mmcli_mangled_tables_give_an_attach_result_or_modem_error(text):
    check_mmcli(parse_mmcli_text, text)


# --- 7. HiLink XML answers ----------------------------------------------------------------------

XML_TEXT = st.one_of(TEXT, st.integers().map(str), st.integers(10 ** 20, 10 ** 400).map(str),
                     st.integers(-10 ** 30, 10 ** 30).map(str), st.sampled_from(
                         ["", "-67dBm", ">=-51dBm", "&gt;=-51dBm", "&bogus;", "<", "1e999", "nan", "0", "-1",
                          "901", "902", "2", "1", "255", "260", "5", "101", "٣", "<![CDATA[1]]>", "<a/>"]))
_XML_LINE = re.compile(r"^(<([A-Za-z_][\w.-]*)>)([^<]*)(</\2>\s*)$")


@st.composite
def hilink_bodies(draw) -> bytes:
    name = draw(st.sampled_from(sorted(HILINK_XML)))
    raw = HILINK_XML[name]
    kind = draw(st.sampled_from(["values", "values", "text", "bytes", "arbitrary"]))
    if kind == "arbitrary":
        return draw(st.one_of(st.binary(max_size=200), TEXT.map(str.encode)))
    if kind == "bytes":
        cut = draw(st.integers(0, len(raw)))
        return raw[:cut] + draw(st.binary(max_size=12)) + raw[cut + draw(st.integers(0, 3)):]
    lines = raw.decode("utf-8").splitlines(keepends=True)
    if kind == "values":
        for _ in range(draw(st.integers(1, 6))):
            i = draw(st.integers(0, len(lines) - 1))
            match = _XML_LINE.match(lines[i].rstrip("\n"))
            if match:
                lines[i] = match.group(1) + draw(XML_TEXT) + match.group(4) + "\n"
            elif draw(st.booleans()):
                tag = draw(st.sampled_from(["SignalIcon", "maxsignal", "SimStatus", "ServiceStatus", "rssi",
                                            "rsrp", "ConnectionStatus", "CurrentNetworkTypeEx", "code"]))
                lines.insert(i, f"<{tag}>{draw(XML_TEXT)}</{tag}>\n")
        return "".join(lines).encode("utf-8", "surrogatepass")
    return draw(mutated_text("".join(lines), None)).encode("utf-8", "surrogatepass")


def hilink_fields(body: bytes) -> dict[str, str] | None:
    try:
        root = parse_response(body, "GET http://127.0.0.1/fuzz")
    except HiLinkError as exc:
        assert_one_line(exc, "GET http://127.0.0.1/fuzz: ")
        event(f"HiLinkError {exc.kind}")
        return None
    assert root.tag == "response"
    return fields(root)


@FUZZ
@given(status=hilink_bodies(), plmn=hilink_bodies(), signal=hilink_bodies())
def test_fuzz_hilink_answers_give_an_attach_result_or_hilink_error(status, plmn, signal):
    answers = [hilink_fields(body) for body in (status, plmn, signal)]
    if answers[0] is None:
        return
    event("attach result")
    check_attach(attach_from_answers(answers[0], answers[1], answers[2]))
    assert "\n" not in describe_status(answers[0])
    hilink.network_technology(answers[0])


# --- 8. secrets files ---------------------------------------------------------------------------

SENTINEL = "S3kr"   # every secret value and every bad line carries it; no error may show it
SECRET_VALUE = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12).map(
    lambda t: SENTINEL + t.replace("\n", "").replace("\r", ""))
SECRET_LINES = st.one_of(
    st.tuples(st.from_regex(r"[A-Z_][A-Z0-9_]{0,10}", fullmatch=True), st.sampled_from(["=", " = ", "= ", "=\t"]),
              SECRET_VALUE, st.sampled_from(["", '"', "'"])).map(lambda t: t[0] + t[1] + t[3] + t[2] + t[3]),
    st.sampled_from(["", "# a comment", "   ", "\t# indented comment"]),
    SECRET_VALUE,                                                    # a value without NAME=
    st.tuples(st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True), SECRET_VALUE).map("=".join),
    st.tuples(TEXT, SECRET_VALUE).map("".join),
)


@FUZZ
@given(lines=st.lists(SECRET_LINES, max_size=8), ending=st.sampled_from(["\n", "\r\n", "\r", "\x85", "\u2028"]),
       junk=st.one_of(st.none(), st.binary(min_size=1, max_size=8)))
def test_fuzz_secrets_files_give_values_or_one_line_without_them(tmp_path, lines, ending, junk):
    text = ending.join(lines)
    raw = text.encode("utf-8")
    if junk is not None:
        raw = raw[: len(raw) // 2] + junk + raw[len(raw) // 2:]
    path = write(tmp_path, raw, ".env")
    try:
        values = load_secrets(path)
    except RigError as exc:
        message = assert_one_line(exc, str(path))
        assert SENTINEL not in message, message
        for line in lines:
            assert not (len(line.strip()) > 3 and line.strip() in message), message
        event("RigError")
        return
    event("secrets")
    assert all(re.fullmatch(r"[A-Z_][A-Z0-9_]*", k) and isinstance(v, str) for k, v in values.items())


@pytest.mark.parametrize("name", ["missing.env", ".", "nul\x00byte.env"])
def test_unreadable_secrets_files_are_one_line(tmp_path, name):
    with pytest.raises(RigError) as info:
        load_secrets(tmp_path / name)
    assert_one_line(info.value)


# --- static: safe YAML only, no shell -----------------------------------------------------------

HILKIT_SOURCES = sorted((PROJECT_ROOT / "hilkit").rglob("*.py"))
SUBPROCESS_CALLS = {"run", "Popen", "check_output", "check_call", "call"}
SHELL_ONLY = {"getoutput", "getstatusoutput"}


def test_no_unsafe_yaml_and_no_shell_in_the_source():
    problems = []
    for path in HILKIT_SOURCES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            where = f"{path.relative_to(PROJECT_ROOT)}:{number}"
            if re.search(r"shell\s*=\s*True", code):
                problems.append(f"{where}: shell=True")
            if "yaml.load(" in code and "Safe" not in code:
                problems.append(f"{where}: yaml.load without a Safe loader")
            if re.search(r"\b(unsafe_load|full_load|UnsafeLoader|FullLoader|yaml\.Loader\b|load_all\()", code):
                problems.append(f"{where}: an unsafe YAML loader")
            if re.search(r"\bos\.(system|popen)\(", code):
                problems.append(f"{where}: os.system/os.popen run a shell")
    assert not problems, "\n".join(problems)


def _is_text(node: ast.AST) -> bool:
    """A string the call would hand to a shell-like split: a literal, an f-string, "..." % x,
    "..." + x, or "...".format()/.join()."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (str, bytes))
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return _is_text(node.left) or _is_text(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "join"):
        return _is_text(node.func.value)
    return False


def test_subprocess_calls_use_argument_lists():
    problems, seen = [], 0
    for path in HILKIT_SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        imported = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                    and node.module == "subprocess" for alias in node.names}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "subprocess":
                name = func.attr
            elif isinstance(func, ast.Name) and func.id in imported:
                name = func.id
            else:
                continue
            where = f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}"
            if name in SHELL_ONLY:
                problems.append(f"{where}: subprocess.{name} always runs a shell")
            if name not in SUBPROCESS_CALLS:
                continue
            seen += 1
            first = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "args"), None)
            if first is None or _is_text(first):
                problems.append(f"{where}: subprocess.{name} must get an argument list, not a string")
            for keyword in node.keywords:
                if keyword.arg == "shell" and not (isinstance(keyword.value, ast.Constant) and keyword.value.value is False):
                    problems.append(f"{where}: subprocess.{name} with shell=")
    assert not problems, "\n".join(problems)
    assert seen, "no subprocess call found: the check looks at the wrong files"


def test_the_subprocess_check_catches_strings():
    bad = ast.parse('subprocess.run(f"mmcli -m {n}")\nsubprocess.run("ls " + d)\nsubprocess.run(" ".join(argv))\n'
                    'subprocess.run("mmcli")\nsubprocess.run("mmcli -m %s" % n)\nsubprocess.run("{} -L".format(m))')
    assert all(_is_text(call.args[0]) for call in ast.walk(bad) if isinstance(call, ast.Call) and call.args
               and isinstance(call.func, ast.Attribute) and call.func.attr == "run")
    assert not _is_text(ast.parse("argv", mode="eval").body)
    assert not _is_text(ast.parse('["mmcli", "-m", n]', mode="eval").body)
    assert not _is_text(ast.parse('shlex.split(line)', mode="eval").body)
