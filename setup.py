"""Puts the folders hilkit ships -- the device profiles, the suites and the built-in rigs -- into the
wheel as package data under ``hilkit/shipped/``, so an installed hilkit works from any folder
(:func:`hilkit.config.paths.shipped` finds them there). In the repository they stay at the top level,
where contributors edit them; an editable install reads them in place. Everything else is in
pyproject.toml."""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
#: top-level folder -> the files of it that hilkit ships
SHIPPED = {
    "device_profiles": ("**/*.yaml",),
    "suites": ("*.py",),
    "lab": ("virtual.yaml", "virtual8.yaml", "umockdev.yaml", "host.yaml"),
}


class BuildWithShippedData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for folder, patterns in SHIPPED.items():
            for pattern in patterns:
                for source in sorted((ROOT / folder).glob(pattern)):
                    target = Path(self.build_lib) / "hilkit" / "shipped" / folder / source.relative_to(ROOT / folder)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, target)


setup(cmdclass={"build_py": BuildWithShippedData})
