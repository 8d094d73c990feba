"""Lay out the sources as they install (hyoka.extractors, hyoka.schemas, ...) for mypy and import-linter.

The stage folders sit at the top of the repository but install under the hyoka package
(pyproject's [tool.setuptools.package-dir]); the type checker and the import-layer check read
folders, not the editable install's import hook, so they get a tree of links in that shape.
Usage: python tools/check_tree.py DIR  (then point MYPYPATH / PYTHONPATH at DIR).
"""

from __future__ import annotations

import os
import shutil
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def package_dirs() -> dict[str, Path]:
    """Each installed package name and the folder it comes from, as pyproject declares them."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    mapping = setuptools.get("package-dir", {})
    return {name: ROOT / mapping.get(name, name.replace(".", "/")) for name in setuptools["packages"] if "." not in name or name in mapping}


def build(target: Path) -> None:
    """Rebuild TARGET/hyoka/... as directories of links to the real source files."""
    shutil.rmtree(target, ignore_errors=True)
    for name, source in package_dirs().items():
        place = target.joinpath(*name.split("."))
        place.mkdir(parents=True, exist_ok=True)
        for entry in source.iterdir():
            if entry.name != "__pycache__":
                os.symlink(entry, place / entry.name)


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "check-tree")
