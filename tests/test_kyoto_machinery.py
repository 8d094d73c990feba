"""Shared machinery and vocabulary grown on the real 京都 sheets: one test per thing they taught us.

- a dotted ruling drawn as tiny filled rects (京都's 経費 table: 175 dashes of 2.2 × 0.7pt)
  is a ruling, and its dashes' short sides do not pull the table's real borders together;
- the new words of a template file are refused with their key when they are used wrongly
  (a pattern without the figure's group, a continuation on a caption, a bracketed figure
  into a column project_budgets does not have …).
"""

from __future__ import annotations

import io
from functools import cache

import pdfplumber
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from conftest import REAL
from hyoka.extractors.grid import PageGrid, build_grid, ruling_edges
from hyoka.extractors.pages import open_pages
from hyoka.extractors.template_loader import TemplateFileError, parse_template

KYOTO = REAL / "kyoto"
TEMPLATE = (KYOTO.parent.parent.parent / "extractors" / "templates" / "kyoto_shinki_jujitsu_sheet.toml").read_text(
    encoding="utf-8")


@cache
def kyoto_page(name: str, number: int) -> PageGrid:
    """One page of a 京都 sheet as hyoka reads it (pdfium)."""
    source = open_pages((KYOTO / name).read_bytes())
    try:
        return build_grid(source.read(number))
    finally:
        source.close()


def _grid_of(draw) -> PageGrid:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    draw(pdf)
    pdf.showPage()
    pdf.save()
    with pdfplumber.open(io.BytesIO(buffer.getvalue())) as document:
        return build_grid(document.pages[0])


# ---- a dotted ruling drawn as dashes ---------------------------------------------------------


def _table(pdf: canvas.Canvas, dashed: bool) -> None:
    """Two rows of three cells, rulings drawn as thin fills; the middle ruling solid or in dashes."""
    pdf.setFillColorRGB(0, 0, 0)
    left, right, top, middle, bottom = 100.0, 400.0, 700.0, 680.0, 660.0
    for y in (top, bottom):
        pdf.rect(left, y, right - left, 0.7, stroke=0, fill=1)
    for x in (left, 200.0, 300.0, right):
        pdf.rect(x, bottom, 0.7, top - bottom, stroke=0, fill=1)
    if dashed:  # 2.2pt dashes 0.7pt apart, as 京都's generator draws a dotted line
        x = left
        while x < right:
            pdf.rect(x, middle, min(2.2, right - x), 0.7, stroke=0, fill=1)
            x += 2.9
    else:
        pdf.rect(left, middle, right - left, 0.7, stroke=0, fill=1)
    for number, x in enumerate((110.0, 210.0, 310.0)):
        pdf.drawString(x, 688, f"head{number}")
        pdf.drawString(x, 667, f"{number},000")


def test_a_dotted_ruling_of_dashes_makes_the_same_cells_as_a_solid_one() -> None:
    solid = _grid_of(lambda pdf: _table(pdf, dashed=False))
    dotted = _grid_of(lambda pdf: _table(pdf, dashed=True))
    texts = sorted(c.text for c in solid.cells)
    assert texts == ["0,000", "1,000", "2,000", "head0", "head1", "head2"]
    assert sorted(c.text for c in dotted.cells) == texts
    for a, b in zip(sorted(solid.cells, key=lambda c: c.bbox), sorted(dotted.cells, key=lambda c: c.bbox)):
        assert a.bbox == pytest.approx(b.bbox, abs=0.5)  # the borders stay where they are printed


def test_the_real_budget_table_is_cells_not_loose_text() -> None:
    grid = kyoto_page("kyoto-r6-001.pdf", 1)
    with pdfplumber.open(KYOTO / "kyoto-r6-001.pdf") as pdf:
        dashes = [r for r in pdf.pages[0].rects if max(r["width"], r["height"]) < 3]
        assert len(dashes) > 100  # the dotted line under the 経費 header
        assert ruling_edges(pdf.pages[0])
    header = grid.find_label("年度")
    assert header is not None
    columns = [c.text for c in grid.right_of(header)]
    assert columns == ["令和５年度予算現額"]
    row = grid.find_label("経費（一財）")
    assert row is not None and [c.text for c in grid.right_of(row)] == ["326,800（0）"]
    # every section's text is inside a cell: only the title, Ｎｏ., 所管局 and the page number are loose
    assert sorted(line.text for line in grid.loose_lines)[:1] == ["1"]
    assert len(grid.loose_lines) == 4


# ---- the vocabulary: refused with the key named ------------------------------------------------


@pytest.mark.parametrize(("old", "new", "key", "reason"), [
    ("(?P<value_text>", "(?P<figure>", "indicators[1].pattern", "'figure' is not a text field"),
    ("bracketed = \"general_revenue\"", "bracketed = \"general_fund\"", "numbers.money.bracketed",
     "is not a number column of project_budgets"),
    ("department = { caption = \"所管局\", value = \"right\" }",
     "department = { caption = \"所管局\", value = \"right\", continues_unless = '^1' }",
     "project.fields.department.continues_unless", "value is below"),
    ("stage = \"予算案\"", "stage = \"予算案\"\ncolumn = \"budget\"", "budget.cells[1].column",
     "is not a number column of project_budgets"),
    ("group = '^[＜<（(](?P<group>.+?)[＞>）)]$'", "group = '^[＜<（(](.+?)[＞>）)]$'", "indicators[1].group",
     "a group (?P<group>"),
    ("layout = \"prose\"", "layout = \"prose\"\nheader = \"事業目標\"", "indicators[1].layout", "have no table"),
])
def test_a_mistake_in_the_new_words_is_refused_with_its_key(old: str, new: str, key: str, reason: str) -> None:
    assert old in TEMPLATE
    with pytest.raises(TemplateFileError) as refused:
        parse_template(TEMPLATE.replace(old, new, 1), "kyoto.toml")
    assert refused.value.key == key
    assert reason in refused.value.reason


def test_the_template_file_reads() -> None:
    spec = parse_template(TEMPLATE, "kyoto.toml")
    assert spec.numbers["money"].bracketed == "general_revenue"
    assert spec.budget is not None and [c.stage for c in spec.budget.cells] == ["予算案"]
    assert spec.indicators[0].layout == "prose"


# ---- the contributor loop on every 京都 file -------------------------------------------------


def test_template_check_reads_every_item_of_every_kyoto_file() -> None:
    import json

    from typer.testing import CliRunner

    from hyoka.cli import app

    path = KYOTO.parent.parent.parent / "extractors" / "templates" / "kyoto_shinki_jujitsu_sheet.toml"
    run = CliRunner().invoke(app, ["template", "check", str(path), str(KYOTO), "--format", "json"],
                             env={"COLUMNS": "400"})
    assert run.exit_code == 0, run.output
    report = json.loads(run.stdout)
    assert report["missing"] == 0 and report["errors"] == []
    assert len(report["documents"]) == len(list(KYOTO.glob("*.pdf")))
    for document in report["documents"]:
        assert [p["role"] for p in document["pages"]] == ["sheet_page1", "sheet_page2"]
        items = [item for page in document["pages"] for item in page["items"]]
        assert items and all(item["status"] == "read" for item in items), document["pdf"]
        by_key = {item["key"]: item for item in items}
        assert by_key["budget"]["rows"] == 4  # three columns of the 経費 table and the next year's 予算案
        assert by_key["indicators[1]"]["rows"] >= 2
