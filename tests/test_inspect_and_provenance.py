"""The visual debugger, and where each value was read from."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from typer.testing import CliRunner

from conftest import SHEET_REPORTLAB
from extractors.inspect import field_boxes
from extractors.registry import extract_pdf
from hyoka.cli import app


def test_page_two_fields_know_their_page() -> None:
    (project,) = extract_pdf(SHEET_REPORTLAB.read_bytes()).rows("projects")
    assert project.page == 1
    assert project.page_of("summary") == 1
    for column in ("policy_code", "vision_title", "pledge_no", "pledge_title"):
        assert project.page_of(column) == 2, column


def test_field_boxes_are_drawn_on_the_page_they_come_from() -> None:
    data = SHEET_REPORTLAB.read_bytes()
    page1 = {label for label, _ in field_boxes(data, 1)}
    page2 = {label for label, _ in field_boxes(data, 2)}
    assert {"projects.project_code", "projects.summary", "project_budgets.total_cost"} <= page1
    assert {"projects.policy_code", "projects.pledge_no", "project_indicators.value"} <= page2
    assert "projects.policy_code" not in page1


def test_inspect_command_writes_a_png(tmp_path: Path) -> None:
    out = tmp_path / "page2.png"
    run = CliRunner().invoke(app, ["inspect", str(SHEET_REPORTLAB), "--page", "2", "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert "asahikawa_jimujigyo_sheet" in run.stdout and "cells" in run.stdout
    with Image.open(out) as image:
        assert image.width > 1000  # A4 landscape at 110 dpi


def test_inspect_missing_page_says_so(tmp_path: Path) -> None:
    run = CliRunner().invoke(app, ["inspect", str(SHEET_REPORTLAB), "--page", "9", "--out", str(tmp_path / "x.png")])
    assert run.exit_code == 2, run.output  # a usage error, like a missing file
    assert "page 9 does not exist: the PDF has 2 page(s)" in run.stderr
    assert run.exception is None or isinstance(run.exception, SystemExit), run.exception  # no traceback
    assert not (tmp_path / "x.png").exists()
