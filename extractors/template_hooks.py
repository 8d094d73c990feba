"""Python hooks of template files: what the vocabulary cannot say, one small function each.

A template file names its hooks in `[project] hooks`; `FileTemplate` calls each once per
project with the project's pages, a way to read one page alone (`PageReader`) and the
project's code, and files the findings it returns. A hook reads nothing itself: the
template file still says where every value is. Add one only when the vocabulary cannot
grow to say it, and say why in its docstring.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from hyoka.extractors.grid import BBox, PageGrid
from hyoka.extractors.records import (
    BUDGET_AMOUNT_COLUMNS,
    BudgetRecord,
    Extraction,
    IndicatorRecord,
    IssueRecord,
    ProjectRecord,
    Record,
    StaffingRecord,
)
from hyoka.normalize import fold_width


class PageReader(Protocol):
    """What a hook may ask of its template: one page read as if it were a project of its own."""

    def read_alone(self, grid: PageGrid, role: str, levels: tuple[str, ...] | None = None) -> Extraction | None:
        """The records one page gives by itself, with the indicators of these levels (None: no code label).

        With `levels`, the page's project fields, budget, staffing and those indicators: not its marks,
        evaluations or extras (no hook compares them)."""
        ...


Pages = list[tuple[PageGrid, str]]
ProjectHook = Callable[[PageReader, Pages, str], list[IssueRecord]]

# ---- 旭川: page 2 repeats page 1's header table ------------------------------------------------

MISMATCH = "page_header_mismatch"
REPEATED_FIELDS = ("project_code_raw", "project_name", "summary", "outputs_text")  # compared as printed
HEADER_LEVEL = "事業"  # the indicator of the header table (its アウトカム), not page 2's outcome tables
STAFF_COLUMNS = ("regular_staff", "fiscal_year_staff")


_SPACES = re.compile(r"\s")


def same_text(a: str | None, b: str | None) -> bool:
    """Equal once width is folded and whitespace ignored (page 2 may print ＜＞ for <>)."""
    return _SPACES.sub("", fold_width(a or "")) == _SPACES.sub("", fold_width(b or ""))


def mismatch(page: int, record_type: type[Record], key: str, column: str, first: str | None, second: str | None,
             bbox: BBox | None = None) -> list[IssueRecord]:
    """A page_header_mismatch when the two printings differ (none when they agree)."""
    if same_text(first, second):
        return []
    return [IssueRecord(page=page, table_name=record_type.TABLE, record_key=key, column_name=column, check_name=MISMATCH,
                        raw_value=second, bbox=bbox, detail=f"1ページ目 {first or '(空欄)'} / 2ページ目 {second or '(空欄)'}")]


def compare_header_tables(first: Extraction, second: Extraction, page: int, code: str) -> list[IssueRecord]:
    """Every difference between page 1's header table and its copy on `page`, in reading order."""
    one, two = first.rows(ProjectRecord)[0], second.rows(ProjectRecord)[0]
    issues: list[IssueRecord] = []
    for name in REPEATED_FIELDS:
        column = "project_code" if name == "project_code_raw" else name
        # only the summary's box is given, as it always was (the other cells are page 1's too)
        bbox = two.cell_bboxes.get(name) if name == "summary" else None
        issues += mismatch(page, ProjectRecord, code, column, getattr(one, name), getattr(two, name), bbox)

    def budget_key(budget: BudgetRecord) -> str:
        return replace(budget, project_code=code).key()

    seconds = {(b.fiscal_year, b.stage): b for b in second.rows(BudgetRecord)}
    for budget in first.rows(BudgetRecord):
        other = seconds.pop((budget.fiscal_year, budget.stage), None)
        key = budget_key(budget)  # once a row, not once a column (it copies the record)
        if other is None:
            issues += mismatch(page, BudgetRecord, key, "label", budget.label, None)
            continue
        for column in BUDGET_AMOUNT_COLUMNS:
            issues += mismatch(page, BudgetRecord, key, column, budget.raw.get(column),
                               other.raw.get(column), other.cell_bboxes.get(column))
    for other in seconds.values():
        issues += mismatch(page, BudgetRecord, budget_key(other), "label", None, other.label)
    # These keys name the repeated cell as they always have (`code year`, `code 事業 label`), not
    # StaffingRecord / IndicatorRecord.key(): released validation_issues keep their keys.
    staff_one, staff_two = first.rows(StaffingRecord), second.rows(StaffingRecord)
    if staff_one and staff_two:
        for column in STAFF_COLUMNS:
            issues += mismatch(page, StaffingRecord, f"{code} {staff_one[0].fiscal_year}", column,
                               staff_one[0].raw.get(column), staff_two[0].raw.get(column),
                               staff_two[0].cell_bboxes.get(column))
    mine = {(o.fiscal_year, o.kind): o for o in first.rows(IndicatorRecord) if o.level == HEADER_LEVEL}
    for outcome in (o for o in second.rows(IndicatorRecord) if o.level == HEADER_LEVEL):
        printed = mine.get((outcome.fiscal_year, outcome.kind))
        issues += mismatch(page, IndicatorRecord, f"{code} {HEADER_LEVEL} {outcome.column_label}", "value",
                           printed.value_text if printed else None, outcome.value_text, outcome.cell_bboxes.get("value"))
    return issues


def repeated_header(reader: PageReader, pages: Pages, code: str) -> list[IssueRecord]:
    """旭川: each later page of a project prints page 1's header table again; what differs is flagged.

    Why a hook: the comparison is of two printings of one table, cell by cell, and its
    findings carry the keys released `validation_issues` have always had for them; the
    vocabulary says where each value is, not that two places must agree.
    """
    if len(pages) < 2:
        return []
    first = reader.read_alone(*pages[0], levels=(HEADER_LEVEL,))
    issues: list[IssueRecord] = []
    for grid, role in pages[1:]:
        second = reader.read_alone(grid, role, levels=(HEADER_LEVEL,))
        if first is not None and second is not None:
            issues += compare_header_tables(first, second, grid.page_number, code)
    return issues


HOOKS: dict[str, ProjectHook] = {"repeated_header": repeated_header}
