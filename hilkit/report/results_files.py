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
from hilkit.core.errors import Category, named_by_type

_ANY = r"[\s\S]*"   # any characters, newlines too, in every regex dialect


def _category_regex(category: Category) -> str:
    """The message Allure shows for a failure of ``category``: ``<Exception type>: <category>: ...``
    (a hilkit error names its category first), anywhere in the message (pytest.fail may wrap it);
    or, for the errors that keep a one-line ``file:line`` form, ``<their type>: ...``.

    One pattern for three engines: Allure 2 (Java) matches the whole message, Allure 3 (JavaScript,
    which has no inline flags such as ``(?s)``) searches it, Python's tests ``re.match`` it; so it is
    anchored at both ends and says "any character" as ``[\\s\\S]``."""
    if category is Category.TEST_TIMEOUT:  # pytest-timeout's own words: not an exception of hilkit's
        return rf"^{_ANY}(?:Timeout \(>|Failed: Timeout){_ANY}$"
    shown = r"[A-Z]\w*: " + re.sub(r"([.^$*+?{}\[\]\\|()])", r"\\\1", category.value) + ": "
    types = named_by_type().get(category)
    if types:
        shown = f"(?:(?:{'|'.join(sorted(types))}): |{shown})"
    return rf"^(?:{_ANY}\W)?{shown}{_ANY}$"


#: the failure categories, generated from :class:`~hilkit.core.errors.Category` (first match wins):
#: Allure 2 reads them from the results' categories.json, Allure 3 from its configuration
#: (:func:`hilkit.report.html.allure_config`), in the compatibility form it accepts
CATEGORIES: list[dict[str, Any]] = [
    {"name": category.value, "messageRegex": _category_regex(category), "matchedStatuses": ["failed", "broken"]}
    for category in Category]


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
        "usb_modeswitch_data": _package_version("usb-modeswitch-data"),
    }


def _package_version(name: str) -> str:
    """A Debian package's version (dpkg-query), or "not installed" / "unknown" (not a Debian host)."""
    if not shutil.which("dpkg-query"):
        return "unknown (no dpkg-query)"
    try:
        done = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True,
                              timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else "not installed"


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


def label_slot_results(results: Path, identities: dict[str, dict[str, str]]) -> int:
    """Add each slot's modem identity labels to every result of that slot that lacks them (a
    slot's enumeration tests run before its attach test learns the firmware); the count changed.
    Each file is rewritten whole (a reader sees the old one or the new one)."""
    changed = 0
    for path in results.glob("*-result.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        labels = data.setdefault("labels", [])
        slot = next((item.get("value") for item in labels if item.get("name") == "slot"), None)
        wanted = identities.get(slot or "", {})
        have = {item.get("name") for item in labels}
        missing = [{"name": k, "value": v} for k, v in wanted.items() if k not in have]
        if missing:
            labels.extend(missing)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, path)
            changed += 1
    return changed
