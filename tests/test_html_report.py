"""The morning report: the HTML report opened in headless Chromium shows a suite, a step, an
attachment and a measurement; a failed switch shows expected and seen ids, the transfers sent and
its failure category; measurements show value, unit and limit and fail outside it."""
from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading

import pytest

from hilkit.config.paths import PROJECT_ROOT
from hilkit.report.html import allure_command
from hilkit.report.results_files import CATEGORIES

ARTIFACTS = PROJECT_ROOT / "artifacts"
CHECKER = PROJECT_ROOT / "tests" / "report" / "check_report.mjs"


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


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    _tools_or_skip()
    base = tmp_path_factory.mktemp("report")
    results, html = base / "allure-results", base / "allure-report"
    done = subprocess.run([sys.executable, "-m", "hilkit", "run", "--results", str(results), "--report", str(html),
                           "--junitxml", str(base / "junit.xml")], capture_output=True, text=True, timeout=600,
                          cwd=PROJECT_ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"HTML report: {html / 'index.html'}" in done.stderr
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_address[1]}/index.html", "base": base, "results": results}
    server.shutdown()


def test_report_in_chromium_shows_suite_step_attachment_and_measurement(report):
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-e3131-attach.png"
    done = subprocess.run(["node", str(CHECKER), report["url"], str(shot), "attach over at", "attach result",
                           "(limit >= -100 dBm) PASS", "rig virtual", "Huawei E3131", "slot e3131",
                           "test_network_attach"], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])["found"]
    assert found == {"tree:rig virtual": True, "tree:Huawei E3131": True, "tree:slot e3131": True,
                     "tree:test_network_attach": True, "step": True, "attachment": True, "measurement": True}
    assert shot.stat().st_size > 20_000


def test_second_run_has_history_and_junit_is_written(report):
    base = report["base"]
    assert (base / "junit.xml").read_text().count("<testcase") >= 15
    history = base / "allure-report-history.jsonl"
    assert history.is_file() and history.read_text().strip()


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
