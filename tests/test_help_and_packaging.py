"""Small promises to a new user: every command's help shows an example, and installing
hyoka prints no setuptools deprecation (the license is an SPDX string) and installs
only names under `hyoka.`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import ROOT
from hyoka.cli import app

COMMANDS = sorted(
    [c.name or c.callback.__name__ for c in app.registered_commands]
    + [f"{group.name} {c.name}" for group in app.registered_groups  # a group's commands: template check
       for c in group.typer_instance.registered_commands]
)


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "version"])
def test_every_command_help_has_an_example(command: str) -> None:
    result = CliRunner().invoke(app, [*command.split(), "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert re.search(r"Examples?:", result.output), command
    assert re.search(rf"^\s+hyoka {command}\b", result.output, flags=re.M), command


def test_templates_help_example() -> None:
    result = CliRunner().invoke(app, ["templates", "--help"], env={"COLUMNS": "200"})
    assert "hyoka templates" in result.output and "docs/adding-a-template.md" in result.output


def test_license_is_an_spdx_string_with_a_setuptools_that_reads_it() -> None:
    """A TOML table (`license = {text = ...}`) makes setuptools warn three times at install."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT"
    (setuptools,) = [r for r in project["build-system"]["requires"] if r.startswith("setuptools")]
    minimum = re.fullmatch(r"setuptools>=(\d+)(?:\.\d+)*", setuptools)
    assert minimum and int(minimum.group(1)) >= 77, setuptools  # PEP 639 strings: setuptools 77
    assert not any("License ::" in c for c in project["project"].get("classifiers", []))  # deprecated beside it


def test_importing_the_cli_leaves_the_environment_alone() -> None:
    """Prefect's quiet defaults are set when a command runs, not when a library imports hyoka.cli."""
    code = (
        "import os, json; before = dict(os.environ); import hyoka.cli; "
        "print(json.dumps(sorted(k for k in os.environ if os.environ.get(k) != before.get(k))))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_LOGGING", "PREFECT_SERVER_ANALYTICS", "DASK_"))}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert json.loads(out.stdout) == []


def test_every_source_folder_installs_under_the_hyoka_name() -> None:
    """Each folder of code is a declared package, named hyoka.<folder>: PyPI has its own `extractors`, `flows`, `schemas`."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    mapping = {name: ROOT / folder for name, folder in setuptools["package-dir"].items()}
    mapping["hyoka"] = ROOT / "hyoka"
    on_disk = set()
    for name, folder in mapping.items():
        for shipped in [*folder.rglob("__init__.py"), *folder.rglob("*.toml")]:  # code, or data (template files)
            relative = shipped.parent.relative_to(folder).parts
            on_disk.add(".".join((name, *relative)))
    assert sorted(setuptools["packages"]) == sorted(on_disk)
    assert all(name == "hyoka" or name.startswith("hyoka.") for name in setuptools["packages"])


def test_the_installed_names_are_hyokas_only(tmp_path: Path) -> None:
    """Outside the repository, the stages import as hyoka.extractors, ... and no bare `extractors` exists."""
    code = (
        "import importlib.util as u, json; import hyoka.extractors.grid, hyoka.flows.engine, hyoka.warehouse.store, hyoka.schemas.checks; "
        "print(json.dumps([hyoka.extractors.grid.__name__, *[n for n in ('extractors', 'schemas', 'warehouse', 'flows', 'synth') if u.find_spec(n)]]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True)
    assert json.loads(out.stdout) == ["hyoka.extractors.grid"]
