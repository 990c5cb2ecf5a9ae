"""The HTML report: Allure 3's own generator, at the version pinned here (:data:`ALLURE_VERSION`).

Where the generator comes from, first found of that version wins: the hilkit checkout's
``node_modules`` (``npm ci`` installs package.json's pin, which a test keeps equal to
:data:`ALLURE_VERSION`); the user's cache (``$XDG_CACHE_HOME/hilkit/allure-<version>``, else
``~/.cache/...``); an ``allure`` npm installed on PATH; else (:func:`ensure_allure`) npm puts it
into that cache, once. An installed hilkit (a wheel: no checkout) skips the first.

The report is ONE self-contained ``index.html`` (the awesome plugin's ``singleFile``), so it opens
from disk (``file://``) with no server. Each generation writes into a fresh folder beside the
report folder and then replaces the report's files, so the printed ``index.html`` is always this
run's: Allure 3 itself moves its plugin's folder up to the output folder only when that is the
output's one folder, and so left a second generation in ``awesome/index.html``.

History and trends come from a JSON-lines history file kept next to the report folder and passed
to every generation, so the second run of the night shows the first one's results as history.
The failure categories are hilkit's (:data:`~hilkit.report.results_files.CATEGORIES`): Allure 3
takes them from its configuration, not from the results' ``categories.json``.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from hilkit.config.paths import PROJECT_ROOT, user_cache
from hilkit.core.errors import HilkitError
from hilkit.report.results_files import CATEGORIES

#: the Allure 3 release hilkit generates its report with (package.json pins the same for ``npm ci``)
ALLURE_VERSION = "3.18.0"
#: the oldest Node.js that release runs on (it calls Array.prototype.toSorted, new in Node.js 20)
NODE_MAJOR = 20
#: what one installs for the report, said in the one line printed when it cannot be made
NODE_HINT = f"install Node.js {NODE_MAJOR} or later with npm (e.g. apt install nodejs npm)"

#: what Allure 3 writes at the top of a report folder, in one file or many: a later generation
#: replaces all of it (the awesome plugin's folder is there when Allure did not move it up)
_ALLURE_ENTRIES = ("index.html", "summary.json", "test-results.json", "quality-gate.json", "artifacts.json",
                   "awesome", "data", "widgets", "app-*.js", "app-*.js.LICENSE.txt")


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where an installed hilkit keeps its Allure: ``$XDG_CACHE_HOME/hilkit/allure-<version>``."""
    return user_cache(environ) / f"allure-{ALLURE_VERSION}"


def _pinned_cli(node_modules: Path) -> Path | None:
    """``allure/cli.js`` under ``node_modules`` when it is the pinned release, else None."""
    try:
        version = json.loads((node_modules / "allure" / "package.json").read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError, AttributeError):
        return None
    cli = node_modules / "allure" / "cli.js"
    return cli if version == ALLURE_VERSION and cli.is_file() else None


def _checkout_node_modules(root: Path = PROJECT_ROOT) -> Path | None:
    """The checkout's ``node_modules`` when hilkit runs from a checkout (its package.json beside
    it); an installed hilkit has none (``root`` is then site-packages)."""
    return root / "node_modules" if (root / "package.json").is_file() else None


def _path_node_modules() -> Path | None:
    """The ``node_modules`` of an ``allure`` on PATH that npm installed (its ``.bin/allure`` links
    to ``node_modules/allure/cli.js``); not Allure 2's Java launcher, nor any other file."""
    found = shutil.which("allure")
    cli = Path(found).resolve() if found else None
    return cli.parents[1] if cli is not None and cli.name == "cli.js" and cli.parent.name == "allure" else None


def node_problem(node: str | None = None) -> str | None:
    """Why Node.js cannot run Allure here (one line), or None when it can."""
    node = node or shutil.which("node")
    if node is None:
        return f"Node.js not found: {NODE_HINT}"
    try:
        done = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{node} --version failed ({exc}): {NODE_HINT}"
    found = re.match(r"v(\d+)\.", done.stdout.strip())
    if found is None or int(found.group(1)) < NODE_MAJOR:
        return f"Node.js {done.stdout.strip() or '?'} is too old for Allure {ALLURE_VERSION}: {NODE_HINT}"
    return None


def allure_command(*, root: Path = PROJECT_ROOT, environ: Mapping[str, str] | None = None) -> list[str] | None:
    """``node .../allure/cli.js`` of the pinned Allure: the checkout's, else the cached one, else
    one npm installed on PATH; None when none is there (or no Node.js runs it)."""
    node = shutil.which("node")
    found = [modules for modules in (_checkout_node_modules(root), cache_dir(environ) / "node_modules",
                                     _path_node_modules()) if modules]
    cli = next((c for c in map(_pinned_cli, found) if c is not None), None)
    return [node, str(cli)] if cli is not None and node is not None else None


def ensure_allure(*, root: Path = PROJECT_ROOT, environ: Mapping[str, str] | None = None) -> list[str]:
    """:func:`allure_command`, else npm installs the pinned Allure into the user's cache first;
    HilkitError (one line, saying what to install) when that cannot be done."""
    node = shutil.which("node")
    problem = node_problem(node)
    if problem is not None or node is None:   # an old Node.js cannot run even the checkout's Allure
        raise HilkitError(problem or NODE_HINT)
    return allure_command(root=root, environ=environ) or [node, str(install_allure(cache_dir(environ)))]


def install_allure(cache: Path, timeout: float = 900) -> Path:
    """npm installs the pinned Allure into ``cache`` (once: a fresh folder renamed into place, so a
    run that is killed or loses the race leaves no half install); return its ``cli.js``."""
    npm = shutil.which("npm")
    if npm is None:
        raise HilkitError(f"npm not found (Allure {ALLURE_VERSION} is installed with it): {NODE_HINT}")
    print(f"hilkit: installing Allure {ALLURE_VERSION} for the HTML report into {cache} (once)", file=sys.stderr)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{cache.name}-", dir=cache.parent))
    except OSError as exc:
        raise HilkitError(f"cannot install Allure into {cache.parent}: {exc}") from None
    try:
        argv = [npm, "install", "--prefix", str(staging), "--no-save", "--no-package-lock", "--no-audit", "--no-fund",
                "--loglevel=error", f"allure@{ALLURE_VERSION}"]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False,
                                  stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise HilkitError(f"npm install allure@{ALLURE_VERSION} failed: {exc}") from None
        if done.returncode != 0 or _pinned_cli(staging / "node_modules") is None:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise HilkitError(f"npm install allure@{ALLURE_VERSION} exited {done.returncode}: {tail[0]}")
        if cache.exists() and _pinned_cli(cache / "node_modules") is None:   # a broken earlier install
            shutil.rmtree(cache, ignore_errors=True)
        try:
            staging.rename(cache)
        except OSError as exc:   # another run installed it meanwhile: use that one
            if _pinned_cli(cache / "node_modules") is None:
                raise HilkitError(f"cannot install Allure into {cache}: {exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    cli = _pinned_cli(cache / "node_modules")
    assert cli is not None
    return cli


def allure_config(out: Path, history: Path, name: str) -> dict[str, object]:
    """Allure 3's configuration for one generation into ``out``."""
    return {"name": name, "output": str(out), "historyPath": str(history),
            # Allure 3 reads the categories from here; it keeps categories.json for Allure 2 only
            "categories": CATEGORIES,
            "plugins": {"awesome": {"options": {
                "singleFile": True,   # one index.html with the data inside: opens from file://
                # the tree a lab reads: rig > dongle (vendor model firmware) > slot > test
                "groupBy": ["parentSuite", "suite", "subSuite"]}}}}


def generate_html(results: Path, out: Path, history: Path | None = None, name: str = "hilkit",
                  command: list[str] | None = None, timeout: float = 300) -> Path:
    """Write the HTML report of ``results`` into ``out``; return its index.html (this run's)."""
    if not results.is_dir() or not any(results.glob("*-result.json")):
        raise HilkitError(f"{results}: no Allure results to report (run the suites with --alluredir first)")
    out = out.resolve()
    history = (history or out.parent / f"{out.name}-history.jsonl").resolve()
    try:
        return _generate(command or ensure_allure(), results, out, history, name, timeout)
    except OSError as exc:   # the report's folder cannot be written
        raise HilkitError(f"{out}: {exc.strerror or exc}") from None


def _generate(command: list[str], results: Path, out: Path, history: Path, name: str, timeout: float) -> Path:
    """Generate into a fresh folder beside ``out``, then move the report into ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out.name}-", dir=out.parent) as tmp:
        staging = Path(tmp) / "report"
        config = Path(tmp) / "allurerc.mjs"
        config.write_text(f"export default {json.dumps(allure_config(staging, history, name))};\n", encoding="utf-8")
        argv = [*command, "generate", str(results.resolve()), "--config", str(config)]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False, cwd=tmp,
                                  stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise HilkitError(f"allure generate failed: {exc}") from None
        index = _index(staging)
        if done.returncode != 0 or index is None:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise HilkitError(f"allure generate exited {done.returncode}: {tail[0]}")
        data_before_app(index)
        _replace_report(staging, out)
        return out / index.relative_to(staging)


#: the single-file report's data store, made before any of the page's own scripts runs (see data_before_app)
DATA_FIRST = "<head><script>window.allureReportData = window.allureReportData || {};</script>"


def data_before_app(index: Path) -> None:
    """Make the single-file report wait for its own data. Its page runs the app (a ``data:`` script)
    before the inline script that creates ``window.allureReportData``, and Allure's reportDataUrl
    (web-commons) asks the disk for ``widgets/*.json`` while that is undefined: on a slow machine the
    report then opens with widgets missing (no results count, no Categories tab). With the store there
    from the start, the app takes its embedded path, which waits for ``allureReportDataReady``."""
    text = index.read_text(encoding="utf-8")
    if "window.allureReportData" not in text or text.count("<head>") != 1 or DATA_FIRST in text:
        return   # not a single-file report, or not the page this was written for, or done already
    index.write_text(text.replace("<head>", DATA_FIRST, 1), encoding="utf-8")


def _index(staging: Path) -> Path | None:
    """The index.html Allure wrote: at the top, or in the plugin's folder if it left it there."""
    if (staging / "index.html").is_file():
        return staging / "index.html"
    return next(iter(sorted(staging.glob("*/index.html"))), None)


def _is_allure_report(folder: Path) -> bool:
    return (folder / "summary.json").is_file() and any((folder / index).is_file()
                                                        for index in ("index.html", "awesome/index.html"))


def _replace_report(staging: Path, out: Path) -> None:
    """Move this generation's files into ``out``. An earlier report there goes first, all of it
    (a multi-file one's data and scripts too); in a folder that is no Allure report, only the
    names this generation writes are replaced."""
    out.mkdir(parents=True, exist_ok=True)
    stale = {p for pattern in _ALLURE_ENTRIES for p in out.glob(pattern)} if _is_allure_report(out) else set()
    stale |= {out / entry.name for entry in staging.iterdir() if (out / entry.name).exists()}
    for path in stale:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    for entry in staging.iterdir():
        entry.rename(out / entry.name)
