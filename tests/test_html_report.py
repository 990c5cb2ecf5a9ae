"""The morning report: the HTML report, opened from disk (file://, no server) in headless
Chromium, shows a suite, a step, an attachment and a measurement; the path ``hilkit run`` prints
is the newest run's report; a wrong-id failure is in its category. A failed switch shows expected
and seen ids, the transfers sent and its failure category; measurements show value, unit and limit
and fail outside it. Where the report generator comes from: the checkout, else the user's cache
(installed once with npm); without Node.js, one line says what to install."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hilkit.cli.run_cmd import _html
from hilkit.config.paths import PROJECT_ROOT
from hilkit.report import html as html_report
from hilkit.report.html import (
    ALLURE_VERSION,
    DATA_FIRST,
    allure_command,
    allure_config,
    cache_dir,
    data_before_app,
    ensure_allure,
)
from hilkit.report.results_files import CATEGORIES

ARTIFACTS = PROJECT_ROOT / "artifacts"
CHECKER = PROJECT_ROOT / "tests" / "report" / "check_report.mjs"
FAULT_RUN, PASS_RUN = "fault", "pass"


def _tools_or_skip() -> None:
    missing = [name for name, ok in (("Allure (npm ci)", allure_command() is not None),
                                     ("chromium", shutil.which("chromium") is not None),
                                     ("playwright-core (npm ci)",
                                      (PROJECT_ROOT / "node_modules" / "playwright-core").is_dir())) if not ok]
    if missing:
        message = f"not installed: {', '.join(missing)} (scripts/setup --test installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)   # CI must check the report, not skip it
        pytest.skip(message)


def _hilkit_run(base: Path, run: str, html: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    results = base / f"results-{run}"
    done = subprocess.run([sys.executable, "-m", "hilkit", "run", "--results", str(results), "--report", str(html),
                           "--junitxml", str(base / f"junit-{run}.xml"), *extra], capture_output=True, text=True,
                          timeout=600, cwd=PROJECT_ROOT)   # a hang guard: the runs take seconds
    return done, results


def _printed_report(stderr: str) -> Path:
    lines = [line for line in stderr.splitlines() if line.startswith("hilkit: HTML report: ")]
    assert len(lines) == 1, stderr[-2000:]
    return Path(lines[0].removeprefix("hilkit: HTML report: "))


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """Two runs into the same report folder: first every slot with one wrong-id fault, then the
    e3131 slot alone, all passing. The first run's report (one self-contained file) is kept aside."""
    _tools_or_skip()
    base = tmp_path_factory.mktemp("report")
    html = base / "allure-report"
    fault, fault_results = _hilkit_run(base, FAULT_RUN, html, "--", "--hilkit-fault=wrong_id:1:1")
    assert fault.returncode == 1, fault.stderr[-2000:]   # the one test the fault hits fails
    first = _printed_report(fault.stderr)
    kept = base / "first-run" / "index.html"
    kept.parent.mkdir()
    shutil.copy2(first, kept)
    passed, pass_results = _hilkit_run(base, PASS_RUN, html, "--profile", "huawei/e3131")
    assert passed.returncode == 0, passed.stderr[-2000:]
    return {"base": base, "html": html, "first": first, "kept": kept, "printed": _printed_report(passed.stderr),
            "count": {run: len(list(results.glob("*-result.json")))
                      for run, results in ((FAULT_RUN, fault_results), (PASS_RUN, pass_results))}}


def _check(**spec) -> dict:
    """check_report.mjs on ``spec`` (see there); its JSON verdict."""
    done = subprocess.run(["node", str(CHECKER), json.dumps(spec)], capture_output=True, text=True,
                          timeout=300)   # a hang guard: Chromium opens the report in seconds
    assert done.returncode == 0, done.stderr[-2000:]
    verdict = json.loads(done.stdout.strip().splitlines()[-1])
    assert verdict["embeddedData"], "the report is not one self-contained file (no embedded data)"
    # the page waited for its embedded data (html.data_before_app): no fetch went to the disk first
    assert verdict["earlyFetches"] == []
    assert verdict["failedFiles"] == []   # everything the report needs is in its one file
    assert not [url for url in verdict["external"] if "googletagmanager.com" not in url]   # only Allure's analytics
    return verdict


def test_report_opens_from_disk_and_shows_suite_step_attachment_and_measurement(report):
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-e3131-attach.png"
    assert report["printed"] == report["html"].resolve() / "index.html"
    verdict = _check(url=report["printed"].as_uri(), screenshot=str(shot),
                     tree=["rig virtual", "Huawei E3131", "slot e3131", "test_network_attach"],
                     step="attach over at", attachment="attach result", measurement="(limit >= -100 dBm) PASS")
    assert verdict["found"] == {"tree:rig virtual": True, "tree:Huawei E3131": True, "tree:slot e3131": True,
                                "tree:test_network_attach": True, "step": True, "attachment": True,
                                "measurement": True}
    assert shot.stat().st_size > 20_000


def test_the_printed_path_is_the_newest_runs_report_with_the_first_as_history(report):
    html = report["html"].resolve()
    assert report["first"] == report["printed"] == html / "index.html"   # the same path, both runs
    assert not (html / "awesome").exists() and not (html / "data").exists()   # no older report left beside it
    counts = report["count"]
    assert counts[PASS_RUN] < counts[FAULT_RUN]
    verdict = _check(url=report["printed"].as_uri(), screenshot=str(report["base"] / "newest.png"),
                     texts=[f"Results {counts[PASS_RUN]}"],
                     tree=["rig virtual", "Huawei E3131", "slot e3131", "test_powers_up_in_initial_mode"],
                     absentBeside="Huawei E3131", absent=["Huawei E3372", "Huawei E3531"],
                     testTab="History")
    assert verdict["found"] == {f"text:Results {counts[PASS_RUN]}": True, "tree:rig virtual": True,
                                "tree:Huawei E3131": True, "tree:slot e3131": True,
                                "tree:test_powers_up_in_initial_mode": True, "tab:History": True}
    assert verdict["absent"] == {"Huawei E3372": True, "Huawei E3531": True}
    assert verdict["counter"] == {"History": "1"}   # the first run, from the history file


def test_a_wrong_id_failure_is_in_its_category(report):
    ARTIFACTS.mkdir(exist_ok=True)
    count = report["count"][FAULT_RUN]
    verdict = _check(url=report["kept"].as_uri(), screenshot=str(ARTIFACTS / "report-categories.png"),
                     texts=[f"Results {count}"],
                     category={"name": "wrong id", "inside": "SwitchFailed: wrong id: ",   # its message
                               "absent": ["Test errors", "Product errors"]})
    assert verdict["found"] == {f"text:Results {count}": True, "categoriesTab": True, "category:wrong id": True,
                                "inside:SwitchFailed: wrong id: ": True}
    assert verdict["absent"] == {"Test errors": True, "Product errors": True}


def test_second_run_has_history_and_junit_is_written(report):
    base = report["base"]
    assert (base / f"junit-{FAULT_RUN}.xml").read_text().count("<testcase") >= 15
    history = base / "allure-report-history.jsonl"
    assert len(history.read_text().splitlines()) == 2   # one line a generation: the trend of both runs


def test_the_single_file_page_has_its_data_store_before_its_app(tmp_path):
    """Allure's single-file page runs its app before the script that makes window.allureReportData;
    hilkit makes the store first, once, and leaves any other page alone."""
    page = tmp_path / "index.html"
    single = ('<html><head><script src="data:text/javascript;base64,QQ=="></script></head><body>'
              '<script>window.allureReportData = window.allureReportData || {};</script></body></html>')
    page.write_text(single)
    data_before_app(page)
    data_before_app(page)
    text = page.read_text()
    assert text.count(DATA_FIRST) == 1 and text.index(DATA_FIRST) < text.index("data:text/javascript")
    other = "<html><head><script src=app.js></script></head></html>"   # a multi-file report: its data is files
    page.write_text(other)
    data_before_app(page)
    assert page.read_text() == other


def test_categories_match_alike_in_python_and_in_allures_javascript():
    """Allure 3 tests each category with ``new RegExp(messageRegex).test(message)``; the same
    messages fall into the same categories as with Python's ``re.match`` (and no (?s) that
    JavaScript would refuse)."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    messages = ["hilkit.core.errors.SwitchFailed: wrong id: MessageContent switch on port 1-1.2: expected\nmode",
                "Failed: slot e3131 (port 1-1.2): WaitTimeout: enumeration timeout: timed out\nafter 2.0 s",
                "hilkit.core.errors.RigError: lab/x.yaml:3: slots[0].port: not a port path",
                "Failed: Timeout (>2.0s) from pytest-timeout.",
                "hilkit.core.errors.HilkitError: no re-enumeration, wrong id, SIM error",
                "AssertionError: wrong id: x but the type is no hilkit error", "wrong id: no type"]
    python = [next((c["name"] for c in CATEGORIES if re.match(c["messageRegex"], m)), None) for m in messages]
    script = ("const [categories, messages] = JSON.parse(process.argv[1]);"
              "console.log(JSON.stringify(messages.map((m) => "
              "(categories.find((c) => new RegExp(c.messageRegex).test(m)) || {name: null}).name)));")
    done = subprocess.run(["node", "-e", script, json.dumps([CATEGORIES, messages])], capture_output=True,
                          text=True, timeout=60, check=True)
    assert json.loads(done.stdout) == python
    assert python[:4] == ["wrong id", "enumeration timeout", "rig error", "test timeout"] and python[4] is None


def test_allure_3_gets_hilkits_categories_and_one_file(tmp_path):
    config = allure_config(tmp_path / "out", tmp_path / "history.jsonl", "hilkit")
    assert config["categories"] == CATEGORIES
    assert config["plugins"] == {"awesome": {"options": {"singleFile": True,
                                                         "groupBy": ["parentSuite", "suite", "subSuite"]}}}


def test_the_allure_version_is_pinned_once():
    package = json.loads((PROJECT_ROOT / "package.json").read_text())
    assert package["devDependencies"]["allure"] == ALLURE_VERSION   # npm ci's pin is hilkit's


def _fake_allure(node_modules: Path, version: str = ALLURE_VERSION) -> Path:
    (node_modules / "allure").mkdir(parents=True)
    (node_modules / "allure" / "package.json").write_text(json.dumps({"name": "allure", "version": version}))
    cli = node_modules / "allure" / "cli.js"
    cli.write_text("#!/usr/bin/env node\nconsole.log('allure');\n")
    cli.chmod(0o755)   # as npm leaves a package's bin
    return cli


def _checkout(folder: Path) -> Path:
    folder.mkdir()
    (folder / "package.json").write_text("{}")
    return folder


def test_an_installed_hilkit_takes_allure_from_the_users_cache_or_path(tmp_path, monkeypatch):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{Path(node).parent}")
    environ = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    site = tmp_path / "site-packages"   # a wheel's PROJECT_ROOT: no package.json, so no checkout
    _fake_allure(site / "node_modules")
    assert allure_command(root=site, environ=environ) is None
    old_global = _fake_allure(tmp_path / "old-global" / "node_modules", version="3.0.0")
    (bin_dir / "allure").symlink_to(old_global)   # npm install -g of another release: not this one
    assert allure_command(root=site, environ=environ) is None
    (bin_dir / "allure").unlink()
    (bin_dir / "allure").symlink_to(_fake_allure(tmp_path / "global" / "node_modules"))
    assert allure_command(root=site, environ=environ) == [node, str(tmp_path / "global" / "node_modules" /
                                                                    "allure" / "cli.js")]
    cached = _fake_allure(cache_dir(environ) / "node_modules")
    assert cache_dir(environ) == tmp_path / "cache" / "hilkit" / f"allure-{ALLURE_VERSION}"
    assert allure_command(root=site, environ=environ) == [node, str(cached)]   # before PATH's
    mine = _fake_allure(_checkout(tmp_path / "checkout") / "node_modules")
    assert allure_command(root=tmp_path / "checkout", environ=environ) == [node, str(mine)]   # first of all
    _fake_allure(_checkout(tmp_path / "stale") / "node_modules", version="3.0.0")   # an old npm ci: not used
    assert allure_command(root=tmp_path / "stale", environ=environ) == [node, str(cached)]


def test_a_missing_allure_is_installed_once_into_the_cache(tmp_path, monkeypatch):
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    bin_dir, calls = tmp_path / "bin", tmp_path / "npm-calls"
    bin_dir.mkdir()
    npm = bin_dir / "npm"   # stands in for the registry: writes what `npm install allure@X` would
    npm.write_text(f"""#!/bin/sh
echo "$*" >> {calls}
while [ $# -gt 0 ]; do [ "$1" = --prefix ] && prefix=$2; shift; done
mkdir -p "$prefix/node_modules/allure"
echo '{{"version": "{ALLURE_VERSION}"}}' > "$prefix/node_modules/allure/package.json"
echo 'console.log(1)' > "$prefix/node_modules/allure/cli.js"
""")
    npm.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    environ = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    site = tmp_path / "site-packages"
    site.mkdir()
    assert allure_command(root=site, environ=environ) is None
    first = ensure_allure(root=site, environ=environ)
    assert first == ensure_allure(root=site, environ=environ) == allure_command(root=site, environ=environ)
    assert first is not None and Path(first[1]).is_relative_to(cache_dir(environ))
    assert calls.read_text().count("install --prefix") == 1 and f"allure@{ALLURE_VERSION}" in calls.read_text()
    assert sorted(p.name for p in cache_dir(environ).parent.iterdir()) == [cache_dir(environ).name]   # no leftovers


def test_without_node_one_line_says_what_to_install(tmp_path, monkeypatch, capsys):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))   # no node, no npm
    results = tmp_path / "allure-results"
    results.mkdir()
    (results / "x-result.json").write_text("{}")
    _html(results, tmp_path / "allure-report")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    assert "install Node.js 20 or later" in lines[0] and "apt install nodejs npm" in lines[0]
    assert str(results.resolve()) in lines[0] and "npm ci" not in lines[0]
    assert not (tmp_path / "allure-report").exists()


def test_a_new_report_replaces_an_older_one_and_nothing_else(tmp_path):
    out, staging = tmp_path / "allure-report", tmp_path / "staging"
    for name in ("index.html", "summary.json", "awesome/index.html", "data/test-results/a.json",
                 "widgets/b.json", "app-1234.js", "app-1234.js.LICENSE.txt", "notes.txt"):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text("old")
    for name in ("index.html", "summary.json"):
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
        (staging / name).write_text("new")
    html_report._replace_report(staging, out)
    assert {p.name: p.read_text() for p in out.iterdir()} == {"index.html": "new", "summary.json": "new",
                                                             "notes.txt": "old"}
    foreign = tmp_path / "site"   # no Allure report: only the names the generation writes are replaced
    (foreign / "data").mkdir(parents=True)
    (foreign / "index.html").write_text("mine")
    (staging / "index.html").write_text("new")
    html_report._replace_report(staging, foreign)
    assert (foreign / "data").is_dir() and (foreign / "index.html").read_text() == "new"


FAILING_SWITCH = '''
import pytest
from hilkit.core.switchconfig import SwitchConfig

@pytest.mark.profile("huawei/e3131")
def test_wrong_message(dongle):
    wrong = SwitchConfig.from_mapping({"TargetVendor": 0x12d1, "TargetProductList": "1506,1c05",
        "MessageContent": "55534243123456780000000000000011063000000100010000000000000000"})
    dongle.run_switch(wrong, target="modem", timeout=0.5)

@pytest.mark.profile("huawei/e3131")
def test_measurements(dongle):
    from hilkit import measure
    measure("re-enumeration time", 0.4, "s", high=5)
    measure("signal", -118, "dBm", low=-100)
'''


def test_failed_switch_shows_ids_transfers_and_category(pytester: pytest.Pytester):
    pytester.makepyfile(test_fail=FAILING_SWITCH)
    results = pytester.path / "results"
    outcome = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--alluredir={results}")
    outcome.assert_outcomes(failed=2)
    tests = {json.loads(p.read_text())["name"]: json.loads(p.read_text()) for p in results.glob("*-result.json")}
    failed = tests["test_wrong_message[e3131]"]
    message = failed["statusDetails"]["message"]
    assert "expected mode 'modem' (12d1:1506|12d1:1c05" in message and "seen 12d1:14fe" in message
    names = []
    for step in failed["steps"]:
        names += [a["name"] for a in step.get("attachments", [])]
    assert "transfers sent" in names and "USB event timeline" in names
    transfers = next(a for s in failed["steps"] for a in s.get("attachments", []) if a["name"] == "transfers sent")
    assert "55534243123456780000000000000011063000000100010000000000000000" in (results / transfers["source"]).read_text()
    categories = json.loads((results / "categories.json").read_text())
    matched = [c["name"] for c in categories if re.match(c["messageRegex"], message)]
    assert matched[0] == "no re-enumeration" and categories == CATEGORIES

    measured = tests["test_measurements[e3131]"]
    assert measured["status"] == "failed"
    steps = [s["name"] for s in measured["steps"]]
    assert "re-enumeration time: 0.400 s (limit <= 5 s) PASS" in steps
    assert "signal: -118.000 dBm (limit >= -100 dBm) FAIL" in steps
    assert "signal: -118.000 dBm (limit >= -100 dBm) FAIL" in measured["statusDetails"]["message"]
    lines = [json.loads(line) for line in (results / "hilkit-measurements.jsonl").read_text().splitlines()]
    assert {(m["name"], m["passed"], m["unit"]) for m in lines} == {("re-enumeration time", True, "s"),
                                                                   ("signal", False, "dBm")}
