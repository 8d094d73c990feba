"""Reading labelled tables out of a `PageGrid`: headers, leaf columns and data rows.

These helpers know nothing of any one template. A template names the labels; these
functions find where the labelled columns are and which cells sit under them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from hyoka.extractors.grid import EDGE_TOLERANCE, BBox, Cell, PageGrid, TextLine
from hyoka.extractors.records import BUDGET_SOURCE_PART_OF, BudgetRecord, BudgetSourceRecord
from hyoka.normalize import ParsedNumber, normalize_label, parse_number, parse_stage_label, with_era


# ---- what a page answers once ----------------------------------------------------------

T = TypeVar("T")

# The pages' answers while a template reads them (`page_answers`), by the id of each grid (a grid
# is not hashable, and not ours to add to), with the grid itself: kept alive, its id stays its own.
_ANSWERS: ContextVar[dict[int, tuple[PageGrid, dict[Hashable, Any]]] | None] = ContextVar("page_answers",
                                                                                        default=None)


@contextmanager
def page_answers() -> Iterator[None]:
    """Within: a page answers each question once (`page_memo`); a reading inside another shares its answers.

    A template asks the same of a page many times (a label for each of its fields, the
    header row for each header of a table, the page again for a hook). The answers last
    as long as the reading: nothing is kept after it (`forget_pages` lets them go sooner).
    """
    if _ANSWERS.get() is not None:
        yield
        return
    token = _ANSWERS.set({})
    try:
        yield
    finally:
        _ANSWERS.reset(token)


def page_memo(grid: PageGrid) -> dict[Hashable, Any]:
    """The answers one page has given in this reading (a new, unkept dict outside `page_answers`).

    Keys name a question that is a pure function of the page and its arguments (cells by
    `id`: they live as long as the grid).
    """
    answers = _ANSWERS.get()
    if answers is None:
        return {}
    known = answers.get(id(grid))
    if known is None:
        known = answers[id(grid)] = (grid, {})
    return known[1]


def answered_once(grid: PageGrid, key: Hashable, owners: tuple[object, ...], find: Callable[[], T]) -> T:
    """The page's answer to `key`, found (`find()`) once a reading (the one place a page's answer is kept).

    `owners` are the objects whose `id`s the key names that are not the page's own (a spec, the
    settings): kept with the answer, so that a new object given an old id is not taken for the
    old one. The page's cells need none: they live as long as its grid, which the reading keeps.
    """
    memo = page_memo(grid)
    known = memo.get(key)
    if known is None or any(kept is not owner for kept, owner in zip(known[0], owners)):
        known = memo[key] = (owners, find())
    answer: T = known[1]
    return answer


def forget_pages(grids: Iterable[PageGrid]) -> None:
    """Let these pages' answers go (a project read: its pages are not asked again, and a book's answers add up)."""
    answers = _ANSWERS.get()
    if answers is not None:
        for grid in grids:
            answers.pop(id(grid), None)


@dataclass
class Column:
    """A leaf column of a table header: its label path and horizontal extent."""

    label: str  # the leaf header's text, e.g. 'R2'
    parent: str | None  # the spanning header above it, e.g. '実績'
    x0: float
    x1: float
    cell: Cell

    @property
    def full_label(self) -> str:
        return f"{self.parent} {self.label}" if self.parent else self.label


# How a normalized label fits a normalized wanted one, by a template's `match` (any other: contains it)
_FITS: dict[str, Callable[[str, str], bool]] = {"exact": str.__eq__, "prefix": str.startswith, "suffix": str.endswith}


def _fits(match: str) -> Callable[[str, str], bool]:
    """The test of (label, wanted) that `match` names."""
    return _FITS.get(match, str.__contains__)


def label_matches(label: str, wanted: str, match: str) -> bool:
    """Whether a normalized label fits a normalized wanted label, the way `match` says."""
    return _fits(match)(label, wanted)


def labels_matching(labels: Iterable[str], wanted: str, match: str) -> list[str]:
    """The labels that fit a normalized wanted label the way `match` says (`label_matches` over many labels)."""
    fits = _fits(match)  # (asked for every label of a page: the rule looked up once)
    return [label for label in labels if fits(label, wanted)]


def union_bbox(cells: list[Cell]) -> BBox | None:
    """The smallest box around some cells."""
    if not cells:
        return None
    if len(cells) == 1:  # (most boxes are of one or two cells, and this is asked of every record)
        return cells[0].bbox
    return (min(c.x0 for c in cells), min(c.top for c in cells), max(c.x1 for c in cells), max(c.bottom for c in cells))


def header_columns(grid: PageGrid, first_header: Cell, tolerance: float = EDGE_TOLERANCE) -> list[Column]:
    """Leaf columns of the header row that starts at `first_header`, left to right.

    The header row is `first_header` and the cells chained to its right with the same
    top (within `tolerance` points); a header cell with cells under it inside the
    header's height is split into those sub-headers (e.g. 実績 over R2 | R3).
    """
    # a budget table and its hook's reading of the page ask for the same header
    return list(answered_once(grid, ("header_columns", id(first_header), tolerance), (),
                              lambda: list(columns_right_of(grid, first_header, tolerance))))


def columns_right_of(grid: PageGrid, first_header: Cell, tolerance: float = EDGE_TOLERANCE) -> Iterator[Column]:
    """`header_columns` one by one, found as they are asked for (a table that ends at a column stops there)."""
    header_bottom = first_header.bottom
    current = first_header
    while True:
        nexts = [c for c in grid.right_of(current, tolerance) if abs(c.top - first_header.top) <= tolerance]
        if not nexts:
            break
        current = nexts[0]
        # sub-headers may sit below a header that spans them: look inside the header's width
        subs = [
            c
            for c in grid.in_band(current.bottom, header_bottom, current.x0 - 1, current.x1 + 1)
            if c.bottom <= header_bottom + tolerance and c.top >= current.bottom - tolerance
        ] or [c for c in grid.below(current, tolerance) if c.bottom <= header_bottom + tolerance]
        if subs:
            for sub in subs:
                yield Column(sub.text, current.text, sub.x0, sub.x1, sub)
        else:
            yield Column(current.text, None, current.x0, current.x1, current)


def cell_in_column(cells: list[Cell], column_x0: float, column_x1: float) -> Cell | None:
    """The cell among `cells` whose horizontal centre lies inside a column's extent."""
    for cell in cells:
        centre = (cell.x0 + cell.x1) / 2
        if column_x0 - 1 <= centre <= column_x1 + 1:
            return cell
    return None


def row_cells(grid: PageGrid, anchor: Cell, x0: float | None = None, x1: float | None = None) -> list[Cell]:
    """Cells in the same row band as `anchor` (their vertical centre within it)."""
    return grid.in_band(
        anchor.top + 0.5,
        anchor.bottom - 0.5,
        x0 if x0 is not None else float("-inf"),
        x1 if x1 is not None else float("inf"),
    )


def stacked_below(grid: PageGrid, cell: Cell, tolerance: float = EDGE_TOLERANCE) -> list[Cell]:
    """Cells stacked directly under `cell` with the same left and right edges, in order."""
    return list(answered_once(grid, ("stacked_below", id(cell), tolerance), (), lambda: _stacked_below(grid, cell, tolerance)))


def _stacked_below(grid: PageGrid, cell: Cell, tolerance: float) -> list[Cell]:
    """`stacked_below`, found."""
    stack: list[Cell] = []
    current = cell
    while True:
        nexts = [
            c
            for c in grid.below(current, tolerance)
            if abs(c.x0 - cell.x0) <= tolerance and abs(c.x1 - cell.x1) <= tolerance
        ]
        if not nexts:
            return stack
        current = nexts[0]
        stack.append(current)


# ---------------------------------------------------------------------------------------
# Shared machinery added with the second template (池田市): points, labelled rows, marks,
# budget columns, funding sources and the meaning of a printed dash.


# The height of the bands `cell_at` indexes a page's cells by (points): a table row or two.
CELL_BAND = 32.0


def cells_by_band(grid: PageGrid) -> dict[int, list[Cell]]:
    """The page's cells by the bands of `CELL_BAND` points they reach into, each band's in page order."""
    def find() -> dict[int, list[Cell]]:
        bands: dict[int, list[Cell]] = {}
        for cell in grid.cells:
            for band in range(int(cell.top // CELL_BAND), int(cell.bottom // CELL_BAND) + 1):
                bands.setdefault(band, []).append(cell)
        return bands

    return answered_once(grid, "cells_by_band", (), find)


def cells_across(grid: PageGrid, y: float) -> list[Cell]:
    """The cells a horizontal line at `y` crosses (their top and bottom included), in page order."""
    # while a template reads (the bands kept), only the cells reaching into y's band can
    cells = grid.cells if _ANSWERS.get() is None else cells_by_band(grid).get(int(y // CELL_BAND), [])
    return [c for c in cells if c.top <= y <= c.bottom]


def cell_in_row(across: list[Cell], x: float) -> Cell | None:
    """The smallest of the cells a line crosses (`cells_across`) that holds `x`: `cell_at` on that line."""
    holding = [c for c in across if c.x0 <= x <= c.x1]
    return min(holding, key=lambda c: c.width * c.height) if holding else None


def cell_at(grid: PageGrid, x: float, y: float) -> Cell | None:
    """The smallest cell that holds the point (x, y), or None."""
    return cell_in_row(cells_across(grid, y), x)


@dataclass
class StageColumn:
    """A budget column whose header names a fiscal year and a stage (R6年度 / 予　算)."""

    column: Column
    fiscal_year: int
    stage: str

    @property
    def label(self) -> str:
        """The header as printed, its rows joined by one space: `R６年度 予　算`."""
        return self.column.full_label

    @property
    def centre(self) -> float:
        return (self.column.x0 + self.column.x1) / 2


def stage_columns(grid: PageGrid, first_header: Cell, tolerance: float = EDGE_TOLERANCE,
                  era: str = "") -> list[StageColumn]:
    """The budget columns right of `first_header` (e.g. 区分), left to right.

    A column belongs when its header gives a fiscal year and a stage (決算, 予算, 決算見込
    …); the first header that does not (a neighbouring table sharing the header row)
    ends the table. `era`: the document's era, for years printed without one (20年度決算).
    """
    found: list[StageColumn] = []
    for column in columns_right_of(grid, first_header, tolerance):  # (not past the table's end)
        span, stage = parse_stage_label(with_era(column.full_label, era))
        if span is None or stage is None:
            break
        found.append(StageColumn(column, span.start, stage))
    return found


@dataclass
class TableRow:
    """One data row of a labelled table: its label cells (outer to inner) and value cells."""

    labels: list[Cell]  # every label cell covering the row, outermost (e.g. 財源) first
    values: dict[str, Cell | None]  # column key -> the cell under that column in this row
    top: float
    bottom: float

    @property
    def label(self) -> Cell:
        """The row's own label: the innermost (e.g. うち受益者負担 inside その他)."""
        return self.labels[-1]

    @property
    def group(self) -> Cell | None:
        """The outermost label when it spans several rows (主な内訳, 財源), else None."""
        return self.labels[0] if len(self.labels) > 1 else None

    @property
    def parent(self) -> Cell | None:
        """The label just outside the row's own one (その他 for うち受益者負担), if any."""
        return self.labels[-2] if len(self.labels) > 1 else None


def labelled_rows(grid: PageGrid, first_column_header: Cell, columns: dict[str, tuple[float, float]],
                  label_x0: float | None = None, tolerance: float = EDGE_TOLERANCE) -> list[TableRow]:
    """Data rows under a header: one per cell stacked under `first_column_header`.

    Each row's labels are the cells left of the value columns that cover the row's middle
    (a label merged over several rows, such as 財源, covers each of them); each value is
    the cell at the row's middle under each column (`columns`: key -> (x0, x1)).
    """
    left = min(x0 for x0, _ in columns.values())
    rows: list[TableRow] = []
    for band in stacked_below(grid, first_column_header, tolerance):
        middle = (band.top + band.bottom) / 2
        labels = sorted(
            (
                c
                for c in grid.cells
                if c.x1 <= left + tolerance
                and (label_x0 is None or c.x0 >= label_x0 - tolerance)
                and c.top <= middle <= c.bottom
            ),
            key=lambda c: c.x0,
        )
        if not labels:
            continue
        across = cells_across(grid, middle)
        values = {key: cell_in_row(across, (x0 + x1) / 2) for key, (x0, x1) in columns.items()}
        rows.append(TableRow(labels=labels, values=values, top=band.top, bottom=band.bottom))
    return rows


@dataclass
class MarkedItem:
    """An item of a ○-list: the item's cell and the mark cell on its left."""

    item: Cell
    mark_cell: Cell
    mark: str  # as printed, '' when unmarked

    @property
    def marked(self) -> bool:
        return bool(self.mark)


def marked_items(grid: PageGrid, cells: list[Cell], narrow: float = 0.35,
                 tolerance: float = EDGE_TOLERANCE) -> list[MarkedItem]:
    """Items among `cells` that have a narrow mark cell on their left, in reading order.

    SDG goals and 視点 elements are printed as [mark][item] pairs: the mark cell is at most
    `narrow` times the item's width, shares its row and touches its left edge (edges
    within `tolerance` points).
    """
    items: list[MarkedItem] = []
    for cell in sorted(cells, key=lambda c: (round(c.top), c.x0)):
        if not cell.text.strip():
            continue
        marks = [
            c
            for c in grid.cells
            if abs(c.x1 - cell.x0) <= tolerance and abs(c.top - cell.top) <= tolerance
            and abs(c.bottom - cell.bottom) <= tolerance
            and c.width <= narrow * cell.width
        ]
        if marks:
            items.append(MarkedItem(cell, marks[0], marks[0].text.strip()))
    return items


# ---- what a printed dash means -------------------------------------------------------

# Dash-like marks (slashes excluded: a 斜線 means "not applicable", never zero).
DASH_MARKS: frozenset[str] = frozenset("-\uff0d\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2500\ufe63\u30fc\uff70")


@dataclass(frozen=True)
class DashRule:
    """What a cell holding only a dash means in one kind of table of one template.

    Spreadsheet exports print Excel's accounting-format zero as `-` in money tables,
    while indicator tables use `-` for "no figure". A template says which, per table, with
    a `DashRule`, and reads its numbers through `read_number`; the parser stays neutral
    (`parse_number` calls a dash a placeholder).
    """

    value: float | None  # what a dash stands for: 0, or None for "no figure"
    marks: frozenset[str] = DASH_MARKS

    def applies(self, text: str | None) -> bool:
        marks = "".join((text or "").split())
        return bool(marks) and all(c in self.marks for c in marks)


DASH_IS_ZERO = DashRule(0)
DASH_IS_NO_FIGURE = DashRule(None)


def read_number(text: str | None, dash: DashRule = DASH_IS_NO_FIGURE) -> ParsedNumber:
    """`parse_number`, with a dash read by the table's `DashRule`."""
    parsed = parse_number(text)
    if parsed.status == "placeholder" and dash.value is not None and dash.applies(text):
        return ParsedNumber(raw=parsed.raw, status="value", value=dash.value, text=parsed.text)
    return parsed


# ---- funding sources -------------------------------------------------------------------

# Printed source labels (normalized prefix; one-character labels match exactly) -> source.
# Longest first so that 国・府支出金 is not read as 国.
FUNDING_SOURCE_LABELS: tuple[tuple[str, str], ...] = (
    ("国・都道府県支出金", "国・都道府県"),
    ("国・府支出金", "国・都道府県"),
    ("国・県支出金", "国・都道府県"),
    ("国・都支出金", "国・都道府県"),
    ("国・道支出金", "国・都道府県"),
    ("国府支出金", "国・都道府県"),
    ("国県支出金", "国・都道府県"),
    ("国庫支出金", "国"),
    ("国支出金", "国"),
    ("国", "国"),
    ("都道府県支出金", "都道府県"),
    ("都道府県", "都道府県"),
    ("北海道", "都道府県"),
    ("府支出金", "都道府県"),
    ("県支出金", "都道府県"),
    ("道支出金", "都道府県"),
    ("都支出金", "都道府県"),
    ("府", "都道府県"),
    ("県", "都道府県"),
    ("道", "都道府県"),
    ("都", "都道府県"),
    ("地方債", "市債"),
    ("市債", "市債"),
    ("町債", "市債"),
    ("村債", "市債"),
    ("うち受益者負担", "受益者負担"),
    ("受益者負担", "受益者負担"),
    ("その他", "その他"),
    ("一般財源", "一般財源"),
)

# BudgetRecord column -> source, for templates that read a wide budget matrix first.
BUDGET_COLUMN_SOURCES: dict[str, str] = {
    "national": "国",
    "prefecture": "都道府県",
    "national_prefecture": "国・都道府県",
    "municipal_bonds": "市債",
    "other": "その他",
    "beneficiary_burden": "受益者負担",
    "general_revenue": "一般財源",
}


@functools.lru_cache(maxsize=4096)  # asked of every row or column label of every sheet
def funding_source(label: str) -> str | None:
    """The source a printed funding label names (国・府支出金 → 国・都道府県), or None."""
    norm = normalize_label(label)
    if "率" in norm:
        return None  # a ratio row (受益者負担率) is not a source
    for printed, source in FUNDING_SOURCE_LABELS:
        wanted = normalize_label(printed)
        if norm == wanted or (len(wanted) > 1 and norm.startswith(wanted)):
            return source
    return None


def budget_source_records(
    budget: BudgetRecord, labels: dict[str, str] | None = None, *, blank_is_zero: bool = False
) -> list[BudgetSourceRecord]:
    """The long `project_budget_sources` rows of one wide `BudgetRecord`.

    One row per source column the template has (a column is present when the record has
    its printed text in `raw`, blank or not); `labels` gives each column's printed label
    (e.g. prefecture -> 北海道), else the source name is used. `blank_is_zero` is the
    template's rule for a blank source cell: 0 (池田: the sources add up with blanks as 0)
    or unknown (travels with each row so the funding-sum check can apply it).
    """
    rows: list[BudgetSourceRecord] = []
    for column, source in BUDGET_COLUMN_SOURCES.items():
        if column not in budget.raw:
            continue
        printed = budget.raw[column].strip()
        rows.append(
            BudgetSourceRecord(
                page=budget.page,
                bbox=budget.cell_bboxes.get(column),
                raw_text=printed,
                raw={"amount": printed},
                cell_bboxes={"amount": budget.cell_bboxes[column]} if column in budget.cell_bboxes else {},
                project_code=budget.project_code,
                fiscal_year=budget.fiscal_year,
                stage=budget.stage,
                source=source,
                source_label=(labels or {}).get(column) or source,
                amount=getattr(budget, column),
                amount_text=printed or None,
                part_of=BUDGET_SOURCE_PART_OF.get(source),
                total_cost=budget.total_cost,
                label=budget.label,
                blank_is_zero=blank_is_zero,
            )
        )
    return rows


# ---- a header table: header cells over one data row (旭川's 事業コード | 事業名 | … table) ----


def beside(grid: PageGrid, cell: Cell, side: str, tolerance: float = EDGE_TOLERANCE) -> list[Cell]:
    """The cells touching a cell on its left or right that share its top (the same row of a header)."""
    def find() -> list[Cell]:
        touching = grid.left_of(cell, tolerance) if side == "left" else grid.right_of(cell, tolerance)
        return [c for c in touching if abs(c.top - cell.top) <= tolerance]

    # each header of a row chains along the same row (`header_row`)
    return list(answered_once(grid, ("beside", id(cell), side, tolerance), (), find))


def header_row(grid: PageGrid, cell: Cell, tolerance: float = EDGE_TOLERANCE) -> list[Cell]:
    """The header row a header cell is in: it and the cells chained left and right of it with its top."""
    def find() -> list[Cell]:
        row = [cell]
        while nexts := beside(grid, row[0], "left", tolerance):
            row.insert(0, nexts[0])
        while nexts := beside(grid, row[-1], "right", tolerance):
            row.append(nexts[0])
        return row

    # every header of a header table asks for the same row
    return list(answered_once(grid, ("header_row", id(cell), tolerance), (), find))


def data_row(grid: PageGrid, header: Cell, tolerance: float = EDGE_TOLERANCE) -> tuple[float, float]:
    """The top and bottom of the first data row under a header's row.

    The header row ends with its tallest cell (事業コード spans the rows that インプット
    splits into 事業費 …); the data row is the cells starting there, across the header
    row's width, down to the bottom of the tallest of them.
    """
    row = header_row(grid, header, tolerance)
    # by the row: each of its headers asks for the same
    return answered_once(grid, ("data_row", *map(id, row), tolerance), (), lambda: _data_row(grid, row, tolerance))


def _data_row(grid: PageGrid, row: list[Cell], tolerance: float) -> tuple[float, float]:
    """`data_row` of a header row."""
    top = max(c.bottom for c in row)
    x0, x1 = min(c.x0 for c in row), max(c.x1 for c in row)
    starting = [c for c in grid.starting_at(top, tolerance) if c.x0 >= x0 - tolerance and c.x1 <= x1 + tolerance]
    return top, max((c.bottom for c in starting), default=top)


def header_stack(grid: PageGrid, header: Cell, tolerance: float = EDGE_TOLERANCE) -> tuple[list[Cell], list[Cell]]:
    """A header and its sub-header cells down to the data row; and the cells under it in that row.

    アウトプット on 旭川's page 2 is a header cell over a sub-header (R3年度は何をどれだけ
    したか); on page 1 the two are one cell. Either way the value is the cell under the
    whole stack, in the table's first data row.
    """
    top, _ = data_row(grid, header, tolerance)
    stack = [header]
    while below := grid.below(stack[-1], tolerance):
        if below[0].top >= top - tolerance:
            return stack, [c for c in below if c.top >= top - tolerance]
        stack.append(below[0])
    return stack, []


def stage_rows(grid: PageGrid, first_header: Cell, tolerance: float = EDGE_TOLERANCE) -> list[tuple[Cell, int, str]]:
    """The rows of a table whose row labels give fiscal year and stage (R3決算見込), top to bottom.

    The labels are the cells stacked under the header cell left of `first_header` (the
    first figure column's header); a label that gives no year or stage is not a budget row.
    """
    corner = beside(grid, first_header, "left", tolerance)
    rows: list[tuple[Cell, int, str]] = []
    for label in stacked_below(grid, corner[0], tolerance) if corner else []:
        span, stage = parse_stage_label(label.text)
        if span is not None and stage is not None:
            rows.append((label, span.start, stage))
    return rows


# ---- cells next to loose text (captions printed outside the grid) ---------------------


def cell_right_of_line(grid: PageGrid, line: TextLine, max_gap: float = 40.0,
                       tolerance: float = EDGE_TOLERANCE) -> Cell | None:
    """The nearest cell right of a loose text line, on its row (e.g. the box after `NO.`)."""
    middle = (line.top + line.bottom) / 2
    candidates = [
        c for c in grid.cells
        if c.top <= middle <= c.bottom and c.x0 >= line.x1 - tolerance and c.x0 - line.x1 <= max_gap
    ]
    return min(candidates, key=lambda c: c.x0) if candidates else None


def box_below_line(grid: PageGrid, line: TextLine, max_gap: float = 12.0,
                   tolerance: float = EDGE_TOLERANCE) -> Cell | None:
    """The cell right under a loose caption (e.g. the ※備考 box), overlapping it horizontally."""
    candidates = [
        c
        for c in grid.cells
        if line.bottom - tolerance <= c.top <= line.bottom + max_gap and c.x0 <= line.x1 and c.x1 >= line.x0
    ]
    return min(candidates, key=lambda c: (c.top, c.x0)) if candidates else None
