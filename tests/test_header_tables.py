"""Shared machinery for header tables, grown from 旭川's sheet: one test per thing it needs.

旭川's sheet starts each page with a header table: header cells (事業コード, 事業名, …,
インプット split into 事業費 | 国 | …, 人工 split into 正職員 | 会計年度) over one data row.
On both renderings of the sample sheet (LibreOffice and reportlab, different geometry):

- a header's row is the cells sharing its top, chained left and right of it;
- the data row starts where the tallest header cell ends, and ends with its tallest cell;
- a header split over stacked cells (page 2's アウトプット) has its value under the whole stack;
- a budget matrix whose row labels give year and stage (R3決算見込) has its rows under the
  header left of its first figure column;
- the grid finds cells touching a cell's left edge, and the cells starting on a line.
"""

from __future__ import annotations

from functools import cache

import pytest

from conftest import SHEET_LIBREOFFICE, SHEET_REPORTLAB
from hyoka.extractors.grid import Cell, PageGrid
from hyoka.extractors.registry import read_page_grids
from hyoka.extractors.tables import beside, data_row, header_row, header_stack, stage_rows
from hyoka.normalize import normalize_label

SHEETS = {"libreoffice": SHEET_LIBREOFFICE, "reportlab": SHEET_REPORTLAB}


@cache
def pages(name: str) -> tuple[PageGrid, PageGrid]:
    page1, page2 = (read.grid for read in read_page_grids(SHEETS[name].read_bytes()))
    assert page1 is not None and page2 is not None
    return page1, page2


def label(grid: PageGrid, text: str) -> Cell:
    found = grid.find_label(text, startswith=True)
    assert found is not None, text
    return found


def labels(cells: list[Cell]) -> list[str]:
    return [normalize_label(c.text) for c in cells]


@pytest.mark.parametrize("name", SHEETS)
def test_a_headers_row_is_chained_left_and_right_with_its_top(name: str) -> None:
    for grid in pages(name):
        row = labels(header_row(grid, label(grid, "アウトプット")))
        assert row[:3] == ["事業コード", "事業名", "事業の概要"] and row[3].startswith("インプット")
        assert row[4].startswith("アウトプット") and row[5].startswith("アウトカム") and len(row) == 6
        # a sub-header's row is its own: 事業費 sits on the line インプット ends on
        subs = labels(header_row(grid, label(grid, "事業費")))
        assert subs[1:8] == ["事業費(千円)", "国", "北海道", "市債", "交付税措置(%)", "その他", "一般財源"]


@pytest.mark.parametrize("name", SHEETS)
def test_the_data_row_starts_under_the_tallest_header_and_ends_with_its_tallest_cell(name: str) -> None:
    for grid in pages(name):
        code = label(grid, "事業コード")
        top, bottom = data_row(grid, label(grid, "アウトカム"))
        assert top == code.bottom  # 事業コード spans the header's rows; アウトカム does too
        (project_name,) = grid.below(label(grid, "事業名"))
        assert bottom == project_name.bottom  # the name spans the four budget rows
        assert data_row(grid, label(grid, "国")) == (top, bottom)  # a sub-header's table is the same table


@pytest.mark.parametrize("name", SHEETS)
def test_a_split_header_has_its_value_under_the_whole_stack(name: str) -> None:
    page1, page2 = pages(name)
    stack1, under1 = header_stack(page1, label(page1, "アウトプット"))
    stack2, under2 = header_stack(page2, label(page2, "アウトプット"))
    assert len(stack1) == 1 and len(stack2) == 2  # page 1 prints the sub-header inside the header's cell
    assert normalize_label(stack2[1].text).endswith("年度は何をどれだけしたか(利用者数・件数等)")
    assert [c.text for c in under1] == [c.text for c in under2] and under1[0].text.startswith("・定住自立圏")
    codes, _ = header_stack(page1, label(page1, "事業コード"))
    assert [c.text for c in header_stack(page1, label(page1, "事業コード"))[1]] == ["12", "11", "01"]
    assert codes == [label(page1, "事業コード")]


@pytest.mark.parametrize("name", SHEETS)
def test_budget_rows_labelled_by_year_and_stage_under_the_corner(name: str) -> None:
    for grid in pages(name):
        rows = stage_rows(grid, label(grid, "事業費"))
        assert [(c.text, year, stage) for c, year, stage in rows] == [
            ("R2決算", 2020, "決算"), ("R3当初予算", 2021, "当初予算"), ("R3決算見込", 2021, "決算見込"),
            ("R4当初予算", 2022, "当初予算")]
        assert stage_rows(grid, label(grid, "正職員")) == []  # under 人工 nothing names a year and stage


@pytest.mark.parametrize("name", SHEETS)
def test_cells_left_of_a_cell_and_cells_starting_on_a_line(name: str) -> None:
    grid, _ = pages(name)
    national = label(grid, "国")
    (total,) = beside(grid, national, "left")
    assert normalize_label(total.text) == "事業費(千円)"
    assert grid.left_of(total) and all(c.x1 == pytest.approx(total.x0, abs=2.5) for c in grid.left_of(total))
    code = label(grid, "事業コード")
    starting = grid.starting_at(code.bottom)
    assert [c.text for c in starting][:3] == ["12", "11", "01"]
    assert all(abs(c.top - code.bottom) <= 2.5 for c in starting)
