"""The README's CLI reference is each command's --help, regenerated: it cannot drift from the code."""

from __future__ import annotations

import difflib

from hyoka import cli_reference


def test_readme_cli_reference_is_the_current_help() -> None:
    readme = cli_reference.README.read_text(encoding="utf-8")
    fresh = cli_reference.updated(readme)
    if fresh != readme:
        diff = "".join(list(difflib.unified_diff(readme.splitlines(True), fresh.splitlines(True),
                                                 "README.md", "--help", n=1))[:40])
        raise AssertionError(
            "README.md's CLI reference differs from --help: run `.venv/bin/python -m hyoka.cli_reference` "
            f"and commit README.md\n{diff}"
        )


def test_the_reference_covers_every_command() -> None:
    rendered = cli_reference.render()
    for name in ("ingest", "serve", "sql", "report", "inspect", "changes", "export", "templates", "version",
                 "template", "template check"):
        assert f"### hyoka {name}\n" in rendered and f"Usage: hyoka {name} [OPTIONS]" in rendered
    assert "\x1b[" not in rendered  # no colour codes, whatever FORCE_COLOR says
    assert all(len(line) <= cli_reference.WIDTH for line in rendered.splitlines() if not line.startswith("<!--"))
