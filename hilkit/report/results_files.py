"""Files hilkit adds to an Allure results directory: failure categories, the environment, the
CI executor, and the measurements of every test as JSON lines (one line per test, appended
atomically, so a run killed half-way keeps what it measured)."""
from __future__ import annotations

import json
import os
import platform
import re
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

from hilkit import __version__

#: failure categories (Allure's categories.json), first match wins; each failure hilkit raises
#: matches one of them, and :func:`classify` applies the same list outside Allure (the soak)
CATEGORIES: list[dict[str, Any]] = [{"name": name, "messageRegex": regex, "matchedStatuses": ["failed", "broken"]}
                                     for name, regex in (
    ("rig error", r"(?s).*(RigError|ProfileError|\.yaml:\d+: ).*"),
    ("power fault", r"(?s).*(PowerError|reads back|uhubctl|power switch).*"),
    ("test timeout", r"(?s).*(Timeout \(>|Failed: Timeout).*"),
    ("enumeration timeout", r"(?s).*enumeration timeout.*"),
    ("transfer error", r"(?s).*transfer error.*"),
    ("no re-enumeration", r"(?s).*no re-enumeration.*"),
    ("wrong id", r"(?s).*(wrong id|id [0-9a-f]{4}:[0-9a-f]{4} \(expected).*"),
    ("wrong interface class", r"(?s).*(wrong interface class|interface \d+( alt \d+)? is [0-9a-f]{2}/).*"),
    ("switch refused", r"(?s).*(SwitchRefused|can't use storage command|no switch needed|special mode set|"
                       r"endpoint not given or found).*"),
    ("port vanished", r"(?s).*(port vanished|no modem (on|for|with) ).*"),
    ("AT timeout", r"(?s).*a final result code for.*"),
    ("SIM error", r"(?s).*(SIM asks for its PIN|no SIM|SIM (error|puk|absent)|\+CME ERROR: 1[0-5]\b).*"),
    ("not registered", r"(?s).*(registration (denied|searching|not registered|unknown)|last state: |"
                       r"waiting for registration|waiting for SimStatus 1 .*ServiceStatus 2).*"),
    ("weak signal", r"(?s).*(signal -?\d+(\.\d+)? dBm \(limit >=.*FAIL|signal -?\d+ dBm \(expected).*"),
)]


def classify(message: str) -> str:
    """The one failure category a failure message falls into ("unclassified" if none)."""
    for category in CATEGORIES:
        if re.match(category["messageRegex"], message):
            return category["name"]
    return "unclassified"


def write_categories(results: Path) -> None:
    (results / "categories.json").write_text(json.dumps(CATEGORIES, indent=1), encoding="utf-8")


def _first_line(argv: list[str]) -> str:
    if not shutil.which(argv[0]):
        return "not installed"
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    lines = [line.strip(" *") for line in (done.stdout + done.stderr).splitlines() if line.strip(" *")]
    return next((line for line in lines if "ersion" in line), lines[0] if lines else "unknown")


def environment(rig_name: str, rig_path: str, backend: str) -> dict[str, str]:
    import usb

    try:
        import usb.backend.libusb1 as libusb1
        lib = libusb1.get_backend()
        libusb = "available" if lib is not None else "not found"
    except Exception:  # noqa: BLE001 - any failure to load libusb only means "not found"
        libusb = "not found"
    return {
        "rig": rig_name, "rig.file": rig_path, "rig.backend": backend, "host": socket.gethostname(),
        "kernel": platform.release(), "python": platform.python_version(), "hilkit": __version__,
        "pyusb": getattr(usb, "__version__", "unknown"), "libusb": libusb,
        "usb_modeswitch": _first_line(["usb_modeswitch", "--version"]),
    }


def write_environment(results: Path, values: dict[str, str]) -> None:
    text = "".join(f"{k}={str(v).replace(chr(10), ' ')}\n" for k, v in values.items())
    (results / "environment.properties").write_text(text, encoding="utf-8")


def write_executor(results: Path, environ: dict[str, str] | None = None) -> bool:
    """executor.json from CI variables (GitHub Actions, GitLab, Jenkins); False when not in CI."""
    env = os.environ if environ is None else environ
    if env.get("GITHUB_ACTIONS"):
        base = f"{env.get('GITHUB_SERVER_URL', '')}/{env.get('GITHUB_REPOSITORY', '')}"
        info = {"name": "GitHub Actions", "type": "github", "buildName": env.get("GITHUB_WORKFLOW", ""),
                "buildOrder": env.get("GITHUB_RUN_NUMBER", ""),
                "buildUrl": f"{base}/actions/runs/{env.get('GITHUB_RUN_ID', '')}"}
    elif env.get("GITLAB_CI"):
        info = {"name": "GitLab CI", "type": "gitlab", "buildName": env.get("CI_JOB_NAME", ""),
                "buildOrder": env.get("CI_PIPELINE_IID", ""), "buildUrl": env.get("CI_JOB_URL", "")}
    elif env.get("JENKINS_URL"):
        info = {"name": "Jenkins", "type": "jenkins", "buildName": env.get("JOB_NAME", ""),
                "buildOrder": env.get("BUILD_NUMBER", ""), "buildUrl": env.get("BUILD_URL", "")}
    elif env.get("CI"):
        info = {"name": "CI", "type": "ci", "buildName": env.get("CI_JOB_NAME", "hilkit")}
    else:
        return False
    (results / "executor.json").write_text(json.dumps(info, indent=1), encoding="utf-8")
    return True


def append_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    """Append records as JSON lines in ONE write on an O_APPEND descriptor, then fsync: a crash
    leaves whole lines only."""
    if not records:
        return
    data = "".join(json.dumps(r, sort_keys=True) + "\n" for r in records).encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
