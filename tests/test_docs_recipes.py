"""docs/ci.md and docs/containers.md hold recipes people paste: their YAML and JSON parse, every
``hilkit ...`` command line in them parses with hilkit's own argument parser, the cleanup script
they give runs, the history file they carry is the one hilkit writes, and every ``hilkit doctor``
line they quote is one doctor prints (made here on fake machine roots, as tests/test_doctor.py does)."""
from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from hilkit.cli import switch_cmd
from hilkit.cli.main import build_parser
from hilkit.config.paths import PROJECT_ROOT, shipped_profiles
from hilkit.doctor import Host
from hilkit.doctor.host import CommandResult
from hilkit.doctor.run import CHECKS, run_doctor
from hilkit.lab.registry import load_rig
from hilkit.report.html import generate_html

DOCS = {name: PROJECT_ROOT / "docs" / name for name in ("ci.md", "containers.md")}
FENCE = re.compile(r"^([ \t]*)```([\w-]*)[^\n]*\n(.*?)^\1```[ \t]*$", re.M | re.S)
SHELL = {"sh", "bash", "shell", "console", "dockerfile"}
#: a ``hilkit <command>`` in shell text (not ``hilkit.lab...`` in Python, not ``hilkit's``)
INVOCATION = re.compile(r"(?:^|[\s;&|('\"/])hilkit\s+[a-z]")
SUBCOMMANDS = {"run", "report", "doctor", "rig", "profiles", "soak", "switch", "nm-connection"}


def _blocks(name: str) -> list[tuple[str, str]]:
    return [(m.group(2).lower(), textwrap.dedent(m.group(3)))
            for m in FENCE.finditer(DOCS[name].read_text(encoding="utf-8"))]


def _yaml_docs(name: str) -> list[object]:
    return [yaml.safe_load(text) for lang, text in _blocks(name) if lang in ("yaml", "yml")]


def _strings(node: object) -> list[str]:
    """Every string in a parsed YAML document (run: scripts, command: lists, script: items)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    return []


def _command_lines(text: str) -> list[list[str]]:
    """The argv after ``hilkit`` of every hilkit invocation in shell text."""
    found = []
    text = re.sub(r"\$\{\{.*?\}\}", "X", text).replace("\\\n", " ")   # CI expressions; continuations
    for line in text.splitlines():
        if not INVOCATION.search(line) or line.lstrip().startswith("#"):
            continue
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|<>()")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        tokens = list(lexer)
        for i, token in enumerate(tokens):
            if INVOCATION.search(token) and token not in SUBCOMMANDS and " " in token:
                found += _command_lines(token)          # sh -c '... hilkit run ...'
            elif token == "hilkit" or token.endswith("/hilkit"):
                argv = []
                for arg in tokens[i + 1:]:
                    if arg and set(arg) <= set(";&|<>()"):
                        break
                    argv.append(arg)
                if argv[:1] and argv[0] in SUBCOMMANDS:   # not `echo "hilkit run: exit 2"`
                    found.append(argv)
    return found


def _all_command_lines() -> list[tuple[str, list[str]]]:
    commands = []
    for name in DOCS:
        text = DOCS[name].read_text(encoding="utf-8")
        for lang, body in _blocks(name):
            if lang in ("yaml", "yml"):
                for string in _strings(yaml.safe_load(body)):
                    commands += [(name, argv) for argv in _command_lines(string)]
            elif lang in SHELL:
                commands += [(name, argv) for argv in _command_lines(body)]
        for span in re.findall(r"`(hilkit [a-z][^`]*)`", text):   # inline: `hilkit report --out out/html`
            commands += [(name, argv) for argv in _command_lines(span)]
    return commands


def test_yaml_blocks_parse():
    workflow, gitlab = _yaml_docs("ci.md")
    rig_job = workflow["jobs"]["rig"]
    assert "self-hosted" in rig_job["runs-on"]
    assert any(step.get("uses", "").startswith("actions/cache/save") and step["if"].startswith("always()")
               for step in rig_job["steps"])
    assert gitlab["nightly-rig"]["artifacts"]["reports"]["junit"] == "junit.xml"
    assert gitlab["nightly-rig"]["cache"]["when"] == "always"
    assert gitlab["nightly-rig"]["tags"]
    compose, balena = _yaml_docs("containers.md")
    assert compose["services"]["hilkit"]["network_mode"] == balena["services"]["hilkit"]["network_mode"] == "host"
    assert {"c 189:* rmw", "c 188:* rmw", "c 166:* rmw"} <= set(compose["services"]["hilkit"]["device_cgroup_rules"])
    assert balena["services"]["hilkit"]["environment"]["UDEV"] == "on"


def test_json_blocks_parse():
    blocks = [json.loads(text) for name in DOCS for lang, text in _blocks(name) if lang == "json"]
    assert blocks and "70-hilkit-mm-ignore" in blocks[0]["os"]["udevRules"]


def _option_strings(parser: argparse.ArgumentParser) -> set[str]:
    """Every option string of a parser and its subcommands' parsers, spelled out."""
    found = set()
    for action in parser._actions:   # argparse keeps no public list of them
        found |= set(action.option_strings)
        for sub in (action.choices or {}).values() if isinstance(action, argparse._SubParsersAction) else ():
            found |= _option_strings(sub)
    return found


def test_every_hilkit_command_line_parses():
    commands = _all_command_lines()
    seen = {argv[0] for _, argv in commands if argv}
    assert {"run", "report", "doctor", "rig"} <= seen, seen
    spelled = _option_strings(build_parser()) | _option_strings(switch_cmd.build_parser())
    for name, argv in commands:
        parser = switch_cmd.build_parser() if argv[:1] == ["switch"] else build_parser()
        try:
            parser.parse_args(argv[1:] if argv[:1] == ["switch"] else argv)
        except SystemExit:
            pytest.fail(f"docs/{name}: `hilkit {shlex.join(argv)}` does not parse with hilkit's own parser")
        ours = argv[:argv.index("--")] if "--" in argv else argv
        abbreviated = [arg.split("=")[0] for arg in ours if arg.startswith("-") and arg.split("=")[0] not in spelled]
        assert not abbreviated, f"docs/{name}: `hilkit {shlex.join(argv)}`: spell out {abbreviated}"


def test_the_ci_commands_name_their_outputs():
    runs = [argv for _, argv in _all_command_lines() if argv[:1] == ["run"]]
    ci_runs = [argv for argv in runs if "allure-results" in argv]
    assert ci_runs, runs
    for argv in ci_runs:
        args = build_parser().parse_args(argv)
        assert args.rig and args.junitxml and args.results and not args.pytest_args


def test_the_relays_at_rest_step_runs_on_the_virtual_lab(tmp_path):
    """Both recipes end with `hilkit rig off`: run as written (with $RIG set), it switches every slot off."""
    workflow, gitlab = _yaml_docs("ci.md")
    steps = [line.split("#")[0].strip() for text in _strings(workflow) + _strings(gitlab)
             for line in text.splitlines() if line.strip().startswith("hilkit rig off")]
    assert len(steps) == 2
    for line in steps:
        env = {**os.environ, "HILKIT_LOCK_DIR": str(tmp_path / "locks"),
               "RIG": str(PROJECT_ROOT / "lab" / "virtual.yaml")}
        argv = [sys.executable, "-m", "hilkit", *shlex.split(line.replace('"$RIG"', env["RIG"]))[1:]]
        done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.count(": off") == 4, done.stdout   # every slot of the virtual rig


def test_the_history_file_the_docs_carry_is_the_one_hilkit_writes(tmp_path):
    results = tmp_path / "allure-results"
    results.mkdir()
    (results / "0-result.json").write_text("{}")
    fake = tmp_path / "fake_allure.py"   # stands for `node allure/cli.js`: writes the report, keeps the config
    fake.write_text(
        "import json, pathlib, sys\n"
        "config = pathlib.Path(sys.argv[sys.argv.index('--config') + 1]).read_text()\n"
        "settings = json.loads(config[len('export default '):].rstrip().rstrip(';'))\n"
        "out = pathlib.Path(settings['output']); out.mkdir(parents=True, exist_ok=True)\n"
        "(out / 'index.html').write_text('report'); (out / 'summary.json').write_text('{}')\n"
        f"pathlib.Path({str(tmp_path / 'settings.json')!r}).write_text(json.dumps(settings))\n")
    generate_html(results, tmp_path / "allure-report", command=[sys.executable, str(fake)])
    history = Path(json.loads((tmp_path / "settings.json").read_text())["historyPath"])
    assert history == (tmp_path / "allure-report-history.jsonl").resolve()
    workflow, gitlab = _yaml_docs("ci.md")
    cached = [step["with"]["path"] for step in workflow["jobs"]["rig"]["steps"]
              if step.get("uses", "").startswith("actions/cache/")]
    assert cached == [history.name, history.name]
    assert gitlab["nightly-rig"]["cache"]["paths"] == [history.name]
    assert all("--out allure-report" in s or "--out" not in s for s in _strings(workflow) + _strings(gitlab))


# -- the doctor lines the docs quote --------------------------------------------------------------

#: the first 15 lines of Debian's /lib/udev/rules.d/40-usb_modeswitch.rules (usb-modeswitch-data 20191128)
MODESWITCH_RULES = """# Part of usb-modeswitch-data, version 20191128
#
# Works with usb_modeswitch versions >= 2.4.0. Slash before %k parameter
# is for compatibility only. Versions >= 2.5.0 don't need it.
#
ACTION!="add|change", GOTO="modeswitch_rules_end"

# Adds a symlink "gsmmodem[n]" to the lowest ttyUSB port with interrupt
# transfer; checked against a list of known modems, or else no action
KERNEL=="ttyUSB*", ATTRS{bNumConfigurations}=="*", PROGRAM="usb_modeswitch --symlink-name %p %s{idVendor} \
%s{idProduct} %E{PRODUCT}", SYMLINK+="%c"

SUBSYSTEM!="usb", ACTION!="add",, GOTO="modeswitch_rules_end"

# Generic entry for most Huawei devices, excluding Android phones
ATTRS{idVendor}=="12d1", ATTRS{manufacturer}!="Android", ATTR{bInterfaceNumber}=="00", ATTR{bInterfaceClass}=="08", \
RUN+="usb_modeswitch '%b/%k'"
"""
UHUBCTL_OUT = "Current status for hub 1-1 [0424:2514, USB 2.00, 4 ports, ppps]\n  Port 3: 0100 power\n"


def _rig(tmp_path: Path, mm_slot: bool = False, pin: str = "pin_factory: lgpio"):
    slots = ['  - {name: e3131, power: {driver: gpio, pin: 17, active_high: false}, port: "1-1.2", '
             'profile: huawei/e3131}',
             '  - {name: e3372, power: {driver: uhubctl, hub: "1-1", port: 3}, port: "1-1.3", '
             'profile: huawei/e3372-hilink}']
    if mm_slot:
        slots.append('  - {name: e3531, power: {driver: gpio, pin: 27}, port: "1-1.4", profile: huawei/e3531}')
    path = tmp_path / ("bench-mm.yaml" if mm_slot else "bench.yaml")
    path.write_text("\n".join(["name: bench-pi-1", "backend: linux", pin, f"profiles: {shipped_profiles()}",
                               "slots:", *slots, ""]))
    return load_rig(path)


def _root(tmp_path: Path, name: str, *, docker: bool = True, usb: bool = False, udev: bool = False,
          udevd: bool = False, mm: bool = False, rule: str | None = None, dongle: bool = False,
          gpiochip: bool = True) -> Path:
    root = tmp_path / name
    (root / "proc" / "1").mkdir(parents=True)
    (root / "proc" / "1" / "cgroup").write_text("0::/\n")
    (root / "etc").mkdir()
    (root / "etc" / "group").write_text("root:x:0:\nplugdev:x:46:\ndialout:x:20:\n")
    (root / "etc" / "usb_modeswitch.conf").write_text("DisableSwitching=0\n")
    if docker:
        (root / ".dockerenv").touch()
    if usb:
        (root / "dev" / "bus" / "usb" / "001").mkdir(parents=True)
        (root / "sys" / "bus" / "usb" / "devices" / "1-1").mkdir(parents=True)
        hub = root / "sys" / "bus" / "usb" / "devices" / "1-1"
        for key, value in (("idVendor", "0424"), ("idProduct", "2514"), ("busnum", "1"), ("devnum", "2")):
            (hub / key).write_text(value + "\n")
        (root / "dev" / "bus" / "usb" / "001" / "002").touch()
        if dongle:
            stick = root / "sys" / "bus" / "usb" / "devices" / "1-1.2"
            stick.mkdir()
            for key, value in (("idVendor", "12d1"), ("idProduct", "14fe"), ("busnum", "1"), ("devnum", "5")):
                (stick / key).write_text(value + "\n")
            (root / "dev" / "bus" / "usb" / "001" / "005").touch()
    if udev:
        (root / "run" / "udev").mkdir(parents=True)
        (root / "run" / "udev" / "control").touch()
    if gpiochip:
        (root / "dev").mkdir(exist_ok=True)
        (root / "dev" / "gpiochip0").touch()
    if udevd:
        (root / "proc" / "50").mkdir()
        (root / "proc" / "50" / "comm").write_text("udevd\n")
    if mm:
        (root / "proc" / "612").mkdir()
        (root / "proc" / "612" / "comm").write_text("ModemManager\n")
        (root / "proc" / "612" / "cmdline").write_text("/usr/sbin/ModemManager\0")
    if rule == "debian":
        (root / "usr" / "lib" / "udev" / "rules.d").mkdir(parents=True)
        (root / "usr" / "lib" / "udev" / "rules.d" / "40-usb_modeswitch.rules").write_text(MODESWITCH_RULES)
    elif rule == "masked":
        (root / "etc" / "udev" / "rules.d").mkdir(parents=True)
        (root / "etc" / "udev" / "rules.d" / "40-usb_modeswitch.rules").symlink_to("/dev/null")
    return root


def _lines(rig, root: Path, environ: dict[str, str] | None = None, access: bool = True) -> list[str]:
    def run(argv):
        name = Path(argv[0]).name
        return CommandResult(0, UHUBCTL_OUT) if name == "uhubctl" else CommandResult(127, "", f"{name}: not found")

    host = Host(root=root, run=run, which=lambda name: "/usr/sbin/uhubctl" if name == "uhubctl" else None,
                access=lambda path, mode: access, environ=environ or {}, module_available=lambda module: False)
    return [finding.line() for check in CHECKS for finding in check(rig, host)]


@pytest.fixture(scope="module")
def doctor_lines(tmp_path_factory) -> list[str]:
    tmp = tmp_path_factory.mktemp("doctor")
    at, mm = _rig(tmp), _rig(tmp, mm_slot=True)
    lines = [line for rig in (at, mm) for line in _lines(rig, _root(tmp, f"bare-{Path(rig.path).stem}"))]
    lines += _lines(at, _root(tmp, "balena"), environ={"BALENA": "1"})
    lines += _lines(at, _root(tmp, "docker", usb=True, udev=True))
    lines += _lines(at, _root(tmp, "docker-denied", usb=True, udev=True, dongle=True), access=False)
    lines += _lines(at, _root(tmp, "udevd-rule", usb=True, udev=True, udevd=True, rule="debian"))
    lines += _lines(at, _root(tmp, "udevd-masked", usb=True, udev=True, udevd=True, rule="masked"))
    lines += _lines(at, _root(tmp, "udevd-none", usb=True, udev=True, udevd=True))
    lines += _lines(at, _root(tmp, "nochip", usb=True, udev=True, gpiochip=False))
    lines += _lines(at, _root(tmp, "hostpid-mm", usb=True, udev=True, mm=True))
    lines += _lines(mm, _root(tmp, "hostpid-mm-only", usb=True, udev=True, mm=False))
    (tmp / "pigpio").mkdir()
    pigpio = _rig(tmp / "pigpio", pin="pin_factory: pigpio\npin_host: pi-relays.lan")
    lines += _lines(pigpio, _root(tmp, "pigpio", usb=True, udev=True, gpiochip=False))
    lines += [f.line() for f in run_doctor(load_rig(PROJECT_ROOT / "lab" / "virtual.yaml"))]
    return lines


def _quoted_doctor_lines(name: str) -> list[str]:
    text = DOCS[name].read_text(encoding="utf-8")
    quoted = re.findall(r"`((?:OK|WARN|FAIL) +[a-z_-]+ {1,}[^`]+)`", text)
    for lang, body in _blocks(name):
        if lang == "text":
            quoted += [line for line in body.splitlines() if re.match(r"(OK|WARN|FAIL) ", line)]
    return quoted


def _matches(quote: str, line: str) -> bool:
    """The quote is the line, or the line with parts left out where the quote says … ."""
    if "…" not in quote:
        return quote == line
    first, *rest = (part.strip() for part in quote.split("…"))
    if not line.startswith(first):
        return False
    position = len(first)
    for part in filter(None, rest):
        found = line.find(part, position)
        if found < 0:
            return False
        position = found + len(part)
    return True


@pytest.mark.parametrize("name", list(DOCS))
def test_every_quoted_doctor_line_is_one_doctor_prints(name, doctor_lines):
    quoted = _quoted_doctor_lines(name)
    if name == "containers.md":
        assert len(quoted) >= 15, quoted
    for quote in quoted:
        assert any(_matches(quote, line) for line in doctor_lines), \
            f"docs/{name} quotes a doctor line doctor does not print:\n  {quote}\nclosest it prints:\n  " + \
            "\n  ".join(line for line in doctor_lines if line.split()[:2] == quote.split()[:2])


def test_the_doctor_checks_the_docs_name_exist():
    names = set()
    for path in (PROJECT_ROOT / "hilkit" / "doctor").glob("check_*.py"):
        names |= set(re.findall(r'check = "([a-z_-]+)"', path.read_text(encoding="utf-8")))
    table = DOCS["containers.md"].read_text(encoding="utf-8").split("## What doctor sees from inside a container")[1]
    named = set(re.findall(r"^\| `([a-z_-]+)` \|", table, re.M))
    assert named and named <= names, named - names
    assert names <= named | {"rig"}, f"checks the table leaves out: {names - named}"
