"""Shared machinery made robust on the real 池田 PDFs: one test per thing they taught us.

- rulings drawn as thin filled rects (no stroke anywhere on the page) make the grid;
- a lone framed box (池田's NO. and ※備考 boxes) is a cell, though pdfplumber drops a
  "table" of one cell;
- a grid drawn only with filled rects (no ruling at all) takes the fills as its cells;
- labels spread by 均等割付 (`事　業　費　　Ａ`, `区　　　分`) match their plain form;
- a row label nested in another (うち受益者負担 inside その他) is the row's own label;
- ○ columns on the left of their items (SDGs, 視点) pair with their items;
- a budget header that shares its row with a neighbouring table stops at that table;
- a `-` is zero in a money table and "no figure" in an indicator table, by the template's
  `DashRule`, not by a special case in the number parser;
- printed funding labels map to the sources every template shares.
"""

from __future__ import annotations

import copy
import io
from functools import cache

import pdfplumber
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from conftest import IKEDA
from hyoka.extractors import ikeda_sheet
from hyoka.extractors.grid import PageGrid, build_grid, ruling_edges
from hyoka.extractors.records import BudgetRecord, BudgetSourceRecord
from hyoka.extractors.tables import (
    DASH_IS_NO_FIGURE,
    DASH_IS_ZERO,
    DashRule,
    funding_source,
    labelled_rows,
    marked_items,
    read_number,
    stage_columns,
)
from hyoka.schemas.validate import validate_table

SHEET_001 = IKEDA / "ikeda-r7-001.pdf"


@cache
def _grid(path: str) -> PageGrid:
    with pdfplumber.open(path) as pdf:
        return build_grid(pdf.pages[0])


def grid_001() -> PageGrid:
    """A private copy of 001's grid (tests may edit cell texts)."""
    return copy.deepcopy(_grid(str(SHEET_001)))


def _pdf(draw) -> bytes:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    draw(pdf)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _grid_of(data: bytes) -> PageGrid:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return build_grid(pdf.pages[0])


# ---- cells -------------------------------------------------------------------------------


def test_thin_filled_rects_are_the_rulings_of_a_real_page() -> None:
    with pdfplumber.open(str(SHEET_001)) as pdf:
        page = pdf.pages[0]
        assert not page.lines and not page.curves
        assert not any(r.get("stroke") for r in page.rects)  # 261 fills, no stroke at all
        assert len(page.rects) == 261
        assert ruling_edges(page)  # the thin fills are the rulings
    grid = grid_001()
    assert len(grid.cells) > 180
    for label in ("担当部署名", "事務事業名", "施策の柱", "成果指標の内容", "一般財源", "判断理由"):
        assert grid.find_label(label) is not None, label


def test_a_lone_framed_box_is_a_cell() -> None:
    grid = grid_001()
    caption = next(line for line in grid.loose_lines if "NO." in line.text)
    boxes = [c for c in grid.cells if c.x0 >= caption.x1 - 1 and c.top <= caption.bottom and c.bottom >= caption.top]
    assert [b.text for b in boxes] == ["1"]  # not loose text any more
    remarks = [c for c in grid.cells if c.top > 730]
    assert len(remarks) == 1 and remarks[0].width > 500  # the ※備考 box, empty on 001

    def draw(pdf: canvas.Canvas) -> None:
        pdf.rect(100, 700, 120, 30)  # one framed box, nothing else ruled
        pdf.drawString(110, 710, "42")
        pdf.drawString(100, 600, "outside")

    grid = _grid_of(_pdf(draw))
    assert [c.text for c in grid.cells] == ["42"]
    assert [line.text for line in grid.loose_lines] == ["outside"]


def test_a_grid_of_filled_rects_without_rulings_takes_the_fills_as_cells() -> None:
    def draw(pdf: canvas.Canvas) -> None:
        pdf.setFillGray(0.95)
        pdf.rect(40, 560, 400, 200, stroke=0, fill=1)  # a table-wide background under the cells
        pdf.setFillGray(0.85)
        for row, (_label, _value) in enumerate((("Name", "Alpha"), ("Cost", "1,200"), ("Unit", "yen"))):
            top = 740 - 40 * row
            pdf.rect(50, top - 30, 100, 30, stroke=0, fill=1)  # gaps between fills are the borders
            pdf.rect(152, top - 30, 200, 30, stroke=0, fill=1)
        pdf.setFillGray(0)
        for row, (label, value) in enumerate((("Name", "Alpha"), ("Cost", "1,200"), ("Unit", "yen"))):
            top = 740 - 40 * row
            pdf.drawString(56, top - 20, label)
            pdf.drawString(158, top - 20, value)

    grid = _grid_of(_pdf(draw))
    assert len(grid.cells) == 6
    cost = grid.find_label("Cost")
    assert cost is not None
    assert [c.text for c in grid.right_of(cost)] == ["1,200"]
    assert not grid.loose_lines


def test_a_page_with_rulings_ignores_its_background_fills() -> None:
    """The fallback is only for pages with no ruling at all: backgrounds never split cells."""

    def draw(pdf: canvas.Canvas) -> None:
        pdf.setFillGray(0.9)
        pdf.rect(50, 700, 100, 15, stroke=0, fill=1)  # a background over the upper half of one cell
        pdf.setFillGray(0)
        pdf.rect(50, 680, 100, 35)
        pdf.rect(150, 680, 100, 35)
        pdf.drawString(56, 702, "top")
        pdf.drawString(56, 685, "bottom")

    grid = _grid_of(_pdf(draw))
    assert len(grid.cells) == 2
    assert grid.cells[0].text == "top\nbottom"


# ---- labels, rows, marks ---------------------------------------------------------------------


def test_labels_spread_by_kinto_waritsuke_match() -> None:
    grid = grid_001()
    total = grid.find_label("事業費A")
    assert total is not None and total.text == "事\u3000業\u3000費\u3000\u3000Ａ"
    corner = grid.find_label("区分")
    assert corner is not None and corner.text.startswith("区\u3000")
    assert grid.find_label("受益者負担率B÷A") is not None
    assert grid.find_label("うち受益者負担B") is not None  # 'うち受益者負担 Ｂ': a space and a full-width B


def test_budget_header_stops_at_the_neighbouring_table() -> None:
    grid = grid_001()
    corner = grid.find_label("区分")
    columns = stage_columns(grid, corner)
    # 成果指標の内容 shares the header row: the budget table ends before it
    assert [(c.fiscal_year, c.stage, c.label) for c in columns] == [
        (2022, "決算", "Ｒ４年度 決\u3000算"),
        (2023, "決算", "R５年度 決\u3000算"),
        (2024, "予算", "R６年度 予\u3000算"),
        (2024, "決算", "R６年度 決\u3000算"),
    ]


def test_nested_row_labels_give_the_innermost_label_and_the_group() -> None:
    grid = grid_001()
    corner = grid.find_label("区分")
    columns = stage_columns(grid, corner)
    extents = {c.label: (c.column.x0, c.column.x1) for c in columns}
    rows = labelled_rows(grid, columns[0].column.cell, extents, label_x0=corner.x0)
    described = [
        (r.group.label if r.group else None, r.label.label, r.parent.label if r.parent else None) for r in rows
    ]
    assert described == [
        (None, "事業費a", None),
        ("主な内訳", "環境学習推進委託料", "主な内訳"),
        ("主な内訳", "", "主な内訳"),
        ("主な内訳", "", "主な内訳"),
        ("財源", "国・府支出金", "財源"),
        ("財源", "地方債", "財源"),
        ("財源", "その他", "財源"),
        ("財源", "うち受益者負担b", "その他"),  # inside その他, not beside it
        ("財源", "一般財源", "財源"),
        (None, "受益者負担率b÷a", None),
    ]
    other = rows[6].values["R６年度 予\u3000算"]
    assert other is not None and other.text == "5,700"


def test_marks_pair_with_the_item_on_their_right() -> None:
    grid = grid_001()
    label = grid.find_label("関連するSDGsのゴール", startswith=True)
    items = marked_items(grid, grid.in_band(label.top, label.bottom, x0=label.x1))
    assert len(items) == 17
    marked = sorted(int(i.item.text.split("\u3000")[0].translate(str.maketrans("０１２３４５６７８９", "0123456789")))
                    for i in items if i.marked)
    assert marked == [4, 7, 8, 9, 12, 17]
    assert {i.mark for i in items if i.marked} == {"○"}


# ---- the meaning of a dash ---------------------------------------------------------------------


def test_dash_rule_is_a_parameter_not_a_parser_special_case() -> None:
    zero = read_number("-", DASH_IS_ZERO)
    assert (zero.status, zero.value, zero.raw) == ("value", 0, "-")
    none = read_number("-", DASH_IS_NO_FIGURE)
    assert (none.status, none.value) == ("placeholder", None)
    assert read_number("－", DASH_IS_ZERO).value == 0  # full-width dash too
    assert read_number("／", DASH_IS_ZERO).value is None  # a slash means "not applicable", never zero
    assert read_number("1,500", DASH_IS_ZERO).value == read_number("1,500", DASH_IS_NO_FIGURE).value == 1500
    assert read_number("", DASH_IS_ZERO).value is None  # blank stays blank
    assert read_number("-", DashRule(0, frozenset("-"))).value == 0
    assert read_number("―", DashRule(0, frozenset("-"))).value is None
    template = ikeda_sheet.TEMPLATE
    assert template.money_dash is DASH_IS_ZERO and template.indicator_dash is DASH_IS_NO_FIGURE


def _set_text(grid: PageGrid, x: float, y: float, text: str) -> None:
    cell = min((c for c in grid.cells if c.x0 <= x <= c.x1 and c.top <= y <= c.bottom), key=lambda c: c.width * c.height)
    cell.text = text


def test_a_dash_is_zero_in_the_money_table_and_no_figure_in_the_indicators() -> None:
    grid = grid_001()
    total = grid.find_label("事業費A")
    mid = (total.top + total.bottom) / 2
    corner = grid.find_label("区分")
    first = stage_columns(grid, corner)[0].column
    _set_text(grid, (first.x0 + first.x1) / 2, mid, "-")
    budgets, sources, items = ikeda_sheet.read_budget_table(grid, "1")
    assert (budgets[0].total_cost, budgets[0].raw["total_cost"]) == (0, "-")
    assert all(s.total_cost == 0 for s in sources if s.label == budgets[0].label)

    header = grid.find_label("成果指標の内容")
    row = grid.below(header)[0]
    estimate = next(c for c in grid.cells if "見" in c.text and "R６" in c.text)
    _set_text(grid, (estimate.x0 + estimate.x1) / 2, (row.top + row.bottom) / 2, "-")
    indicators = ikeda_sheet.read_indicators(grid, "1")
    (dash,) = [r for r in indicators if r.fiscal_year == 2024 and r.kind == "見込"]
    assert (dash.value, dash.value_text) == (None, "-")
    (actual,) = [r for r in indicators if r.fiscal_year == 2024 and r.kind == "実績"]
    assert actual.value == 27


# ---- funding sources ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "source"),
    [
        ("国・府支出金", "国・都道府県"),
        ("国・県支出金", "国・都道府県"),
        ("国", "国"),
        ("北海道", "都道府県"),
        ("県支出金", "都道府県"),
        ("地方債", "市債"),
        ("市債", "市債"),
        ("その他", "その他"),
        ("うち受益者負担 Ｂ", "受益者負担"),
        ("一般財源", "一般財源"),
        ("受益者負担率　Ｂ÷Ａ", None),  # a ratio row, not a source
        ("事業費", None),
        ("国土強靭化", None),
    ],
)
def test_funding_labels_map_to_shared_sources(label: str, source: str | None) -> None:
    assert funding_source(label) == source


def _source(source: str, amount: float | None, total: float | None, part_of: str | None = None,
            blank_is_zero: bool = True) -> BudgetSourceRecord:
    return BudgetSourceRecord(
        page=1, project_code="1", fiscal_year=2024, stage="決算", label="R6決算", source=source,
        source_label=source, amount=amount, amount_text=None if amount is None else str(amount),
        raw={"amount": "" if amount is None else str(amount)}, part_of=part_of, total_cost=total,
        blank_is_zero=blank_is_zero,
    )


def test_funding_sum_on_sources_leaves_parts_out() -> None:
    consistent = [
        _source("国・都道府県", None, 5690), _source("市債", None, 5690), _source("その他", 5690, 5690),
        _source("受益者負担", 5690, 5690, part_of="その他"), _source("一般財源", 0, 5690),
    ]
    assert validate_table("project_budget_sources", consistent) == []
    wrong = [_source("その他", 5000, 5690), _source("受益者負担", 100, 5690, part_of="その他"), _source("一般財源", 600, 5690)]
    issues = validate_table("project_budget_sources", wrong)
    assert [(i.check_name, i.column_name, i.severity, i.record_key) for i in issues] == [
        ("funding_sum", "amount", "error", "1 R6決算 一般財源")
    ]
    too_big = [_source("その他", 10, 110), _source("受益者負担", 20, 110, part_of="その他"), _source("一般財源", 100, 110)]
    assert [i.check_name for i in validate_table("project_budget_sources", too_big)] == ["part_exceeds_whole"]
    unknown = [_source("寄附金", 100, 100)]
    assert [i.check_name for i in validate_table("project_budget_sources", unknown)] == ["unknown_funding_source"]


def test_a_blank_source_counts_as_zero_only_where_the_template_says_so() -> None:
    """池田 leaves unused sources blank (0); elsewhere a blank is "not stated" and the sum is not checked."""
    blanks_are_zero = [_source("国・都道府県", None, 100), _source("その他", None, 100), _source("一般財源", 0, 100)]
    assert [i.check_name for i in validate_table("project_budget_sources", blanks_are_zero)] == ["funding_sum"]
    not_stated = [_source(s.source, s.amount, 100, blank_is_zero=False) for s in blanks_are_zero]
    assert validate_table("project_budget_sources", not_stated) == []
    all_printed = [_source("国", 10, 100, blank_is_zero=False), _source("一般財源", 80, 100, blank_is_zero=False)]
    assert [i.check_name for i in validate_table("project_budget_sources", all_printed)] == ["funding_sum"]
    assert ikeda_sheet.TEMPLATE.money_blank_is_zero is True
    assert all(s.blank_is_zero for s in ikeda_sheet.read_budget_table(grid_001(), "1")[1])


def test_burden_rate_is_checked_to_its_printed_decimal() -> None:
    def budget(pct: float | None) -> BudgetRecord:
        return BudgetRecord(page=1, project_code="9", fiscal_year=2022, stage="決算", label="R4決算",
                            total_cost=164341, other=5396, beneficiary_burden=5396, general_revenue=158945,
                            beneficiary_burden_pct=pct, raw={"beneficiary_burden_pct": f"{pct}%"})

    assert validate_table("project_budgets", [budget(3.3)]) == []
    issues = validate_table("project_budgets", [budget(3.8)])
    assert [(i.check_name, i.column_name, i.severity) for i in issues] == [
        ("burden_rate", "beneficiary_burden_pct", "warning")]
