"""The HTML report: Allure 3's own generator (pinned in package.json, installed with ``npm ci``).

History and trends come from a JSON-lines history file kept next to the report and passed to
every generation, so the second run of the night shows the first one's results as history.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from hilkit.config.paths import PROJECT_ROOT
from hilkit.core.errors import HilkitError


def allure_command(root: Path = PROJECT_ROOT) -> list[str] | None:
    """Allure 3's CLI as installed by ``npm ci`` in the project, or one on PATH; None if neither."""
    local = root / "node_modules" / ".bin" / "allure"
    if local.is_file() and shutil.which("node"):
        return [str(local)]
    found = shutil.which("allure")
    return [found] if found else None


def generate_html(results: Path, out: Path, history: Path | None = None, name: str = "hilkit",
                  command: list[str] | None = None, timeout: float = 300) -> Path:
    """Write the HTML report of ``results`` into ``out``; return its index.html."""
    command = command or allure_command()
    if command is None:
        raise HilkitError("Allure's report generator is not installed: run `npm ci` in the hilkit checkout "
                          "(it installs the version pinned in package.json)")
    if not results.is_dir() or not any(results.glob("*-result.json")):
        raise HilkitError(f"{results}: no Allure results to report (run the suites with --alluredir first)")
    history = history or out.parent / f"{out.name}-history.jsonl"
    with tempfile.TemporaryDirectory(prefix="hilkit-allure-") as tmp:
        config = Path(tmp) / "allurerc.mjs"
        settings = {"name": name, "output": str(out.resolve()), "historyPath": str(history.resolve()),
                    # the tree a lab reads: rig > dongle (vendor model firmware) > slot > test
                    "plugins": {"awesome": {"options": {"groupBy": ["parentSuite", "suite", "subSuite"]}}}}
        config.write_text(f"export default {json.dumps(settings)};\n", encoding="utf-8")
        argv = [*command, "generate", str(results.resolve()), "--config", str(config)]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise HilkitError(f"allure generate failed: {exc}") from None
    index = out / "index.html"
    if done.returncode != 0 or not index.is_file():
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise HilkitError(f"allure generate exited {done.returncode}: {tail[0]}")
    return index
