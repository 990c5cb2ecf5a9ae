"""The layout's house rules, checked on the code as it is (docs/architecture.md explains them).

The import contract itself (layers, who may import the simulator and allure, no cycles) is
import-linter's: `.importlinter`, run by .ci/run as `lint-imports`; a test here runs it too, so a
plain pytest run tells the same truth.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from hilkit.config.paths import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "hilkit"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)
#: modules that are generated tables, not written code (none today)
GENERATED: set[str] = set()
LIMIT = 400


def test_no_module_over_400_lines():
    long = {str(p.relative_to(PROJECT_ROOT)): n for p in MODULES
            if (n := len(p.read_text().splitlines())) > LIMIT and p.name not in GENERATED}
    assert long == {}, f"split these by concern (at most {LIMIT} lines each): {long}"


def test_no_two_modules_share_a_file_name():
    names = Counter(p.name for p in MODULES if p.name != "__init__.py")
    repeated = {name: [str(p.relative_to(PACKAGE)) for p in MODULES if p.name == name]
                for name, count in names.items() if count > 1}
    assert repeated == {}, f"a reader cannot tell these apart by name: {repeated}"


def test_the_import_contract_holds():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    done = subprocess.run([lint, "--no-cache"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout and "broken" in done.stdout
