"""Every registered check (`hyoka.schemas.checks.CHECKS`) has a test: an input that trips it, and a close one that does not.

Each `Case` builds one small input twice: with its defect (`bad=True`) and without it
(`bad=False`), so the two differ only in what the check looks at. The tripped input
must give exactly the expected issues of that check (page, table, record key, column)
at the registry's severity; the twin must give no issue at all, so the defect alone
is what tripped the check (the tripped input may trip others too: a blank 事業コード is
also not a code of digits).

Each check is reached by the smallest real path that raises it:

- schema checks: records validated by `hyoka.schemas.validate.validate_table`;
- extractor checks: page grids read from a PDF (the sample sheet, a 池田 sheet, or a
  KPI一覧 drawn by `synth.kpi_list`), sometimes with one cell or line edited, put
  together by the registry's `assemble_extraction` and validated as a whole;
- the cross-document check: two small extractions loaded into a DuckDB warehouse by the
  ingest's own `load_result`.

`test_every_registered_check_has_a_case` fails for a check added to the registry
without a case here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Any, NamedTuple
from collections.abc import Callable

import pytest

from conftest import IKEDA_PDFS, SHEET_LIBREOFFICE
from hyoka.extractors.kpi_list import kpi_id_for
from hyoka.extractors.grid import Cell, PageGrid, TextLine
from hyoka.extractors.ocr_text import OcrPage, OcrText
from hyoka.extractors.records import (
    BBox,
    BudgetItemRecord,
    BudgetRecord,
    BudgetSourceRecord,
    Extraction,
    IndicatorRecord,
    IssueRecord,
    ProjectRecord,
    Record,
    SdgRecord,
    StaffingRecord,
    StrategyKpiRecord,
    StrategyKpiValueRecord,
)
from hyoka.extractors.registry import PageRead, assemble_extraction, read_page_grids
from hyoka.identity import sha256_hex
from hyoka.normalize import normalize_label
from pdf_factory import text_pdf
from hyoka.schemas.checks import CHECKS
from hyoka.schemas.validate import complete_findings, validate_extraction, validate_table
from synth.kpi_list import SynthGoal, SynthItem, SynthKpi, kpi_list_pdf


class Where(NamedTuple):
    """What an issue points at."""

    page: int | None
    table: str
    key: str
    column: str | None


class Found(NamedTuple):
    """One issue as any stage reports it (an `IssueRecord` or a `validation_issues` row)."""

    check: str
    severity: str
    where: Where


def found_in(issues: list[IssueRecord]) -> list[Found]:
    # an extractor's findings get their severity from the registry, as the validate stage gives it
    return [Found(i.check_name, i.severity or "", Where(i.page, i.table_name, i.record_key, i.column_name))
            for i in complete_findings(issues)]


@dataclass(frozen=True)
class Case:
    check: str
    variant: str
    issues: Callable[[bool], list[Found]]  # every issue of the input, with (True) or without (False) its defect
    expected: tuple[Where, ...]  # where the tripped input's issues of `check` point, in order
    dead: str | None = None  # why no input trips the check today (its trip test is a strict xfail)

    @property
    def id(self) -> str:
        return f"{self.check}-{self.variant}" if self.variant else self.check


# ---------------------------------------------------------------------------------------
# schema checks: small record lists, validated directly


def schema(table: str, records: list[Record]) -> list[Found]:
    return found_in(validate_table(table, records))


CODE = "1"
R3 = "R3決算"


def budget(**values: Any) -> BudgetRecord:
    """One plain budget row (R3決算, 事業費 100 all from 一般財源), with `values` changed."""
    fields: dict[str, Any] = dict(
        page=1, project_code=CODE, fiscal_year=2021, stage="決算", label=R3, total_cost=100.0, national=0.0,
        prefecture=0.0, municipal_bonds=0.0, tax_allocation_pct=0.0, other=0.0, general_revenue=100.0,
    )
    return BudgetRecord(**{**fields, **values})


def source(name: str, amount: float | None, part_of: str | None = None) -> BudgetSourceRecord:
    """One funding source of the R3決算 column, whose 事業費 is 100."""
    return BudgetSourceRecord(page=1, project_code=CODE, fiscal_year=2021, stage="決算", label=R3, source=name,
                              source_label=name, amount=amount, amount_text=None if amount is None else f"{amount:g}",
                              part_of=part_of, total_cost=100.0)


def indicator(kind: str, year: int, value: float, **values: Any) -> IndicatorRecord:
    """One value of 施策 indicator #1; its column is labelled like R3実績 (令和 year)."""
    return IndicatorRecord(page=1, project_code=CODE, level="施策", indicator_no=1, indicator_name="観光客数",
                           fiscal_year=year, kind=kind, column_label=f"R{year - 2018}{kind}", value=value,
                           value_text=f"{value:g}", **values)


def indicator_key(kind: str, year: int) -> str:
    return f"{CODE} 施策#1 R{year - 2018}{kind}"


def sdg(goal_no: Any) -> SdgRecord:
    """An SDG mark whose goal number is whatever the template handed over (Any: a string, on purpose)."""
    return SdgRecord(page=1, project_code=CODE, goal_no=goal_no)


def project(code: Any, **values: Any) -> ProjectRecord:
    """A project whose code is whatever the template handed over (Any: an int, on purpose)."""
    return ProjectRecord(**{"page": 1, "project_code": code, **values})


KPI = "g1-test"
KPI_COLUMN = "令和３年度実績値"


def kpi(**values: Any) -> StrategyKpiRecord:
    fields: dict[str, Any] = dict(page=1, kpi_id=KPI, row_no=1, goal_no=1, kpi_name="転入者数", unit="人",
                                  department="総合政策部")
    return StrategyKpiRecord(**{**fields, **values})


def kpi_value(**values: Any) -> StrategyKpiValueRecord:
    """An 実績値 cell of FY2021 that says 5 for FY2021, with `values` changed."""
    fields: dict[str, Any] = dict(page=1, kpi_id=KPI, slot="実績値", column_label=KPI_COLUMN, column_fiscal_year=2021,
                                  value=5.0, value_text="5", ref_fiscal_year_start=2021, ref_fiscal_year_end=2021,
                                  status="value")
    return StrategyKpiValueRecord(**{**fields, **values})


BUDGET_KEY = f"{CODE} {R3}"
# Pandera hands a column check only the column's non-missing values (`ignore_na`), so the
# check `s.notna()` on the nullable fiscal_year never sees a missing year: a budget row with
# no year passes validation silently. Reported, not fixed here (tests only).

SCHEMA_CASES = [
    # a printed value that did not parse; a placeholder (－) is not one
    Case("unparseable_number", "budget",
         lambda bad: schema("project_budgets", [budget(general_revenue=None,
                                                       raw={"general_revenue": "不明" if bad else "－"})]),
         (Where(1, "project_budgets", BUDGET_KEY, "general_revenue"),)),
    # a KPI cell read as a value with no number
    Case("unparseable_number", "kpi_value",
         lambda bad: schema("strategy_kpi_values", [kpi_value(value=None if bad else 5.0)]),
         (Where(1, "strategy_kpi_values", f"{KPI} {KPI_COLUMN}", "value"),)),
    # words are allowed in a 目標値 cell, not in an 実績値 one
    Case("unparseable_number", "kpi_words",
         lambda bad: schema("strategy_kpi_values", [kpi_value(slot="実績値" if bad else "目標値", status="text", value=None,
                                                              value_text="法定雇用率以上")]),
         (Where(1, "strategy_kpi_values", f"{KPI} {KPI_COLUMN}", "value_text"),)),
    # a value Pandera cannot coerce is reported under this name too
    Case("unparseable_number", "coercion",
         lambda bad: schema("project_sdgs", [sdg("四" if bad else "4")]),
         (Where(1, "project_sdgs", f"{CODE} SDG 四", "goal_no"),)),
    # a value every record must have (Pandera's not_nullable): a funding-source row without its source
    Case("required_value_missing", "",
         lambda bad: schema("project_budget_sources", [source(None if bad else "その他", 100.0)]),
         (Where(1, "project_budget_sources", f"{BUDGET_KEY} None", "source"),)),
    Case("fiscal_year_range", "budget_item",
         lambda bad: schema("project_budget_items", [BudgetItemRecord(page=1, project_code=CODE, fiscal_year=1867 if bad else 1868,
                                                                      stage="決算", item_no=1, item_name="委託料", amount=10.0,
                                                                      label=R3)]),
         (Where(1, "project_budget_items", f"{CODE} {R3} 内訳#1", "fiscal_year"),)),
    Case("fiscal_year_range", "start_year",
         lambda bad: schema("projects", [project("121101", start_fiscal_year=2101 if bad else 2100)]),
         (Where(1, "projects", "121101", "start_fiscal_year"),)),
    Case("fiscal_year_missing", "budget",
         lambda bad: schema("project_budgets", [budget(fiscal_year=None if bad else 2021)]),
         (Where(1, "project_budgets", BUDGET_KEY, "fiscal_year"),)),
    Case("fiscal_year_missing", "source",
         lambda bad: schema("project_budget_sources", [replace(source("一般財源", 100.0),
                                                               fiscal_year=None if bad else 2021)]),
         (Where(1, "project_budget_sources", f"{BUDGET_KEY} 一般財源", "fiscal_year"),)),
    Case("project_code_format", "",
         lambda bad: schema("projects", [project("A-1" if bad else "121101")]),
         (Where(1, "projects", "A-1", "project_code"),)),
    Case("negative_amount", "",
         lambda bad: schema("project_budgets", [budget(other=-5.0 if bad else 0.0)]),
         (Where(1, "project_budgets", BUDGET_KEY, "other"),)),
    Case("percent_range", "",
         lambda bad: schema("project_budgets", [budget(tax_allocation_pct=100.5 if bad else 100.0)]),
         (Where(1, "project_budgets", BUDGET_KEY, "tax_allocation_pct"),)),
    Case("staff_range", "",
         lambda bad: schema("project_staffing", [StaffingRecord(page=1, project_code=CODE, fiscal_year=2021, label="人工",
                                                                regular_staff=1000.5 if bad else 1000.0, fiscal_year_staff=1.0)]),
         (Where(1, "project_staffing", f"{CODE} 人工 2021", "regular_staff"),)),
    # 30 + 70 = 事業費 100; 71 is one too many, reported on the last whole source
    Case("funding_sum", "",
         lambda bad: schema("project_budget_sources", [source("国", 30.0), source("一般財源", 71.0 if bad else 70.0)]),
         (Where(1, "project_budget_sources", f"{BUDGET_KEY} 一般財源", "amount"),)),
    # 実績 80 ÷ 目標 100 = 80.0%, reported on the newest 実績
    Case("achievement_rate", "",
         lambda bad: schema("project_indicators", [
             indicator("実績", 2020, 70.0, achievement_rate=81.0 if bad else 80.0),
             indicator("実績", 2021, 80.0, achievement_rate=81.0 if bad else 80.0),
             indicator("目標", 2024, 100.0, achievement_rate=81.0 if bad else 80.0),
         ]),
         (Where(1, "project_indicators", indicator_key("実績", 2021), "achievement_rate"),)),
    # the sheet's year is the median (2021): 2 years off is allowed, 3 is not
    Case("budget_year_out_of_range", "",
         lambda bad: schema("project_budgets", [
             budget(fiscal_year=2020, label="R2決算"), budget(fiscal_year=2021, label="R3決算"),
             budget(fiscal_year=2024 if bad else 2023, label="R6当初予算" if bad else "R5当初予算", stage="当初予算"),
         ]),
         (Where(1, "project_budgets", f"{CODE} R6当初予算", "label"),)),
    # a 目標 dated the year of the newest 実績 is fine; a year before is not
    Case("target_before_actual", "",
         lambda bad: schema("project_indicators", [indicator("実績", 2021, 80.0),
                                                   indicator("目標", 2020 if bad else 2021, 100.0)]),
         (Where(1, "project_indicators", indicator_key("目標", 2020), "column_label"),)),
    # a project bound twice with the same content is no issue; with other content the later one is
    Case("duplicate_project", "",
         lambda bad: schema("projects", [project("121101", project_name="観光振興事業"),
                                         project("121101", page=3, project_name="観光振興事業（再掲）" if bad else "観光振興事業")]),
         (Where(3, "projects", "121101", "project_code"),)),
    # 10× the previous year is allowed; more is not
    Case("value_jump", "budget",
         lambda bad: schema("project_budgets", [budget(fiscal_year=2020, label="R2決算"),
                                                budget(fiscal_year=2021, total_cost=1001.0 if bad else 1000.0,
                                                       general_revenue=1001.0 if bad else 1000.0)]),
         (Where(1, "project_budgets", BUDGET_KEY, "total_cost"),)),
    Case("value_jump", "indicator",
         lambda bad: schema("project_indicators", [indicator("実績", 2020, 10.0),
                                                   indicator("実績", 2021, 101.0 if bad else 100.0)]),
         (Where(1, "project_indicators", indicator_key("実績", 2021), "value"),)),
    Case("kpi_unit_unknown", "",
         lambda bad: schema("strategy_kpis", [kpi(unit="謎" if bad else "人")]),
         (Where(1, "strategy_kpis", KPI, "unit"),)),
    Case("ref_year_after_column", "",
         lambda bad: schema("strategy_kpi_values", [kpi_value(ref_fiscal_year_start=2022 if bad else 2021,
                                                              ref_fiscal_year_end=2022 if bad else 2021)]),
         (Where(1, "strategy_kpi_values", f"{KPI} {KPI_COLUMN}", "ref_fiscal_year_end"),)),
    Case("aggregate_without_range", "",
         lambda bad: schema("strategy_kpi_values", [kpi_value(aggregation="累計",
                                                              ref_fiscal_year_start=2021 if bad else 2019)]),
         (Where(1, "strategy_kpi_values", f"{KPI} {KPI_COLUMN}", "aggregation"),)),
    Case("placeholder_status", "",
         lambda bad: schema("strategy_kpi_values", [kpi_value(status="placeholder", value=None,
                                                              value_text="12" if bad else "－")]),
         (Where(1, "strategy_kpi_values", f"{KPI} {KPI_COLUMN}", "status"),)),
    Case("kpi_id_missing", "",
         lambda bad: schema("strategy_kpis", [kpi(kpi_id="" if bad else KPI)]),
         (Where(1, "strategy_kpis", "", "kpi_id"),)),
    # うち受益者負担 may equal その他, not exceed it (50 + 50 = 事業費 100: the sum holds either way)
    Case("part_exceeds_whole", "",
         lambda bad: schema("project_budget_sources", [source("国", 50.0), source("その他", 50.0),
                                                       source("受益者負担", 51.0 if bad else 50.0, part_of="その他"),
                                                       source("一般財源", 0.0)]),
         (Where(1, "project_budget_sources", f"{BUDGET_KEY} 受益者負担", "amount"),)),
    # 33 ÷ 1000 = 3.3%
    Case("burden_rate", "",
         lambda bad: schema("project_budgets", [budget(total_cost=1000.0, other=33.0, general_revenue=967.0,
                                                       beneficiary_burden=33.0, beneficiary_burden_pct=3.4 if bad else 3.3)]),
         (Where(1, "project_budgets", BUDGET_KEY, "beneficiary_burden_pct"),)),
    # 京都's 経費（一財）: 一般財源 may be the whole cost, not more (unless another source is △:
    # tests/test_kyoto_vocabulary.py, as its twin trips negative_amount)
    Case("general_revenue_exceeds_cost", "",
         lambda bad: schema("project_budgets", [budget(general_revenue=101.0 if bad else 100.0)]),
         (Where(1, "project_budgets", BUDGET_KEY, "general_revenue"),)),
    Case("unknown_funding_source", "",
         lambda bad: schema("project_budget_sources", [source("寄附金" if bad else "その他", 100.0)]),
         (Where(1, "project_budget_sources", f"{BUDGET_KEY} 寄附金", "source"),)),
    Case("sdg_goal_range", "",
         lambda bad: schema("project_sdgs", [sdg(18 if bad else 17)]),
         (Where(1, "project_sdgs", f"{CODE} SDG 18", "goal_no"),)),
    # a check that raises (a template handing an int where a code string belongs: a hyoka bug)
    # is reported once, with no row to point at
    Case("check_failed", "",
         lambda bad: schema("projects", [project(121101 if bad else "121101")]),
         (Where(None, "projects", "", "project_code"),)),
]


# ---------------------------------------------------------------------------------------
# extractor checks: page grids from a PDF, maybe edited, assembled by the registry


def validated(reads: list[PageRead]) -> list[Found]:
    """What the extract and validate stages say of these pages, as one document."""
    return found_in(validate_extraction(assemble_extraction(reads, len(reads))))


def edited(grid: PageGrid, cell: Callable[[Cell], Cell | None] = lambda c: c,
           line: Callable[[TextLine], TextLine | None] = lambda line: line) -> PageGrid:
    """A copy of a page grid with each cell and loose line replaced (None: removed); the original is untouched."""
    cells = [new for c in grid.cells if (new := cell(c)) is not None]
    lines = [new for li in grid.loose_lines if (new := line(li)) is not None]
    return PageGrid(grid.page_number, grid.width, grid.height, cells, lines)


def printed(cell: Cell, text: str) -> Cell:
    """The same ruled cell printing `text` instead (one line per hard break)."""
    parts = text.split("\n") if text else []
    height = (cell.bottom - cell.top) / max(len(parts), 1)
    lines = [TextLine(part, cell.x0 + 1, cell.top + i * height, cell.x1 - 1, cell.top + (i + 1) * height, 7.0)
             for i, part in enumerate(parts)]
    return Cell(cell.index, cell.x0, cell.top, cell.x1, cell.bottom, lines, text)


def on_page(read: PageRead, number: int) -> PageRead:
    """A page read as page `number` of another document (a book's page)."""
    assert read.grid is not None
    return replace(read, page=number, grid=replace(read.grid, page_number=number))


def retexted(read: PageRead, texts: dict[BBox, str]) -> PageRead:
    """A page read with the cells at these boxes printing other text."""
    assert read.grid is not None
    return replace(read, grid=edited(read.grid, lambda c: printed(c, texts[c.bbox]) if c.bbox in texts else c))


def inside(cell: Cell, box: BBox | None, slack: float = 2.5) -> bool:
    """Whether a cell lies in a box (page 2 prints the same cells a point or so lower)."""
    return box is not None and (cell.x0 >= box[0] - slack and cell.top >= box[1] - slack
                                and cell.x1 <= box[2] + slack and cell.bottom <= box[3] + slack)


# -- 旭川's evaluation sheet (the sample: one project on two pages)


@functools.cache
def sample_sheet() -> tuple[PageRead, PageRead, tuple[BBox, ...]]:
    """The sample sheet's two pages, page 2 made consistent with page 1; and the cells that were changed.

    The sample's page 2 leaves 交付税措置(%) blank in three budget rows where page 1
    prints 0 (its only issues, page_header_mismatch): those cells, found by the issues'
    boxes, print 0 here, so the sheet is clean and each case adds one defect.
    """
    page1, page2 = read_page_grids(SHEET_LIBREOFFICE.read_bytes())
    issues = assemble_extraction([page1, page2], 2).issues
    assert {i.check_name for i in issues} == {"page_header_mismatch"} and len(issues) == 3
    boxes = tuple(sorted((i.bbox for i in issues if i.bbox), key=lambda box: box[1]))  # top first
    return page1, retexted(page2, dict.fromkeys(boxes, "0")), boxes


def sheet_pages() -> list[PageRead]:
    page1, page2, _ = sample_sheet()
    return [page1, page2]


def sheet_with_page2_saying(text: str) -> list[PageRead]:
    """The clean sheet, page 2 printing `text` in its first changed 交付税措置(%) cell (R3当初予算)."""
    page1, page2, boxes = sample_sheet()
    return [page1, retexted(page2, {boxes[0]: text})]


def sheet_code_box() -> BBox | None:
    """Where page 1 prints the 事業コード (its digits in three cells)."""
    (record,) = assemble_extraction(sheet_pages(), 2).rows("projects")
    return record.cell_bboxes.get("project_code")


def sheet_without_code(bad: bool) -> list[Found]:
    """The clean sheet, with the 事業コード's cells printed blank on both pages when `bad`."""
    page1, page2 = sheet_pages()
    if not bad:
        return validated([page1, page2])
    box = sheet_code_box()
    blank = lambda c: printed(c, "") if inside(c, box) else c  # noqa: E731
    assert page1.grid is not None and page2.grid is not None
    return validated([replace(page1, grid=edited(page1.grid, blank)), replace(page2, grid=edited(page2.grid, blank))])


@functools.cache
def foreign_page() -> PageRead:
    """A page no template knows (a table of contents bound into the book)."""
    (read,) = read_page_grids(text_pdf(["Table of contents", "1. Overview"]))
    return read


SHEET = "121101"

SHEET_CASES = [
    # page 2 repeats page 1's header table: one of its cells now says 5 where page 1 says 0
    Case("page_header_mismatch", "",
         lambda bad: validated(sheet_with_page2_saying("5" if bad else "0")),
         (Where(2, "project_budgets", f"{SHEET} R3当初予算", "tax_allocation_pct"),)),
    Case("missing_page1", "",
         lambda bad: validated([on_page(sheet_pages()[1], 1)] if bad else sheet_pages()),
         (Where(1, "projects", SHEET, None),)),
    Case("missing_page2", "",
         lambda bad: validated(sheet_pages()[:1] if bad else sheet_pages()),
         (Where(1, "projects", SHEET, None),)),
    Case("page_skipped", "",
         lambda bad: validated([*sheet_pages(), on_page(foreign_page(), 3)] if bad else sheet_pages()),
         (Where(3, "pages", "page 3", None),)),
    # the code's cells printed blank on both pages
    Case("missing_project_code", "asahikawa", sheet_without_code,
         (Where(1, "projects", "", "project_code"),)),
]


# -- 池田's 目標設定シート (one sheet a page)


@functools.cache
def ikeda_page() -> PageRead:
    (read,) = read_page_grids(IKEDA_PDFS[0].read_bytes())
    return read


def ikeda(bad: bool, defect: Callable[[Cell], bool]) -> list[Found]:
    """池田 No.1, with the cells `defect` picks printed blank when `bad`."""
    read = ikeda_page()
    assert read.grid is not None
    if bad:
        read = replace(read, grid=edited(read.grid, lambda c: printed(c, "") if defect(c) else c))
    return validated([read])


def ikeda_no_box() -> BBox | None:
    """The NO. box (the sheet number, 池田's project code)."""
    (record,) = assemble_extraction([ikeda_page()], 1).rows("projects")
    return record.bbox


def ikeda_scanned(bad: bool) -> list[Found]:
    """池田 No.1 as if read by OCR: every text sure, but (when `bad`) the first 事業費 figure."""
    read = ikeda_page()
    assert read.grid is not None
    budget = assemble_extraction([read], 1).rows("project_budgets")[0]
    unsure = budget.cell_bboxes["total_cost"]
    texts = tuple(OcrText(cell.bbox, cell.text, 0.5 if bad and cell.bbox == unsure else 0.99)
                  for cell in read.grid.cells if cell.text)
    return validated([replace(read, ocr=OcrPage(texts, 200.0))])


IKEDA_CASES = [
    # a figure OCR was unsure of: loaded as read, and flagged on its cell
    Case("ocr_low_confidence", "", ikeda_scanned, (Where(1, "project_budgets", "1 Ｒ４年度 決\u3000算", "total_cost"),)),
    Case("missing_project_code", "ikeda", lambda bad: ikeda(bad, lambda c: c.bbox == ikeda_no_box()),
         (Where(1, "projects", "", "project_code"),)),
    # the 事業費等 table is found by its 区分 corner
    Case("missing_budget_table", "", lambda bad: ikeda(bad, lambda c: c.label == "区分"),
         (Where(1, "project_budgets", "1", None),)),
    # the 成果指標 table's header printed blank: the table the file expects is on no page
    Case("template_item_not_found", "", lambda bad: ikeda(bad, lambda c: c.label == "成果指標の内容"),
         (Where(1, "projects", "1", None),)),
]


# -- 総合戦略 KPI一覧, drawn by synth.kpi_list


TITLE = "【第２期】旭川市まち・ひと・しごと創生総合戦略に係る重要業績評価指標（ＫＰＩ）一覧"
ACTUAL = "令和３年度\n実績値"
HEADERS = ["現状値", ACTUAL, "目標値\n（令和６年度）"]
MOVERS = SynthKpi("転入者数", "人", ["100", "120", "130"], "総合政策部")


def consults(**values: Any) -> SynthKpi:
    """The second KPI row (its 実績値 66 is the only cell printing 66)."""
    fields: dict[str, Any] = dict(name="相談件数", unit="件", values=["5", "66", "70"], department="総合政策部")
    return SynthKpi(**{**fields, **values})


def kpi_pdf(*kpis: SynthKpi, headers: list[str] = HEADERS, title: str | None = TITLE,
            item: tuple[str, str] = ("ア", "移住の促進"), goals: int = 1) -> bytes:
    """A KPI一覧 with one item of these KPIs under 基本目標1 (and, for `goals` 2, a copy under 基本目標2)."""
    rows = list(kpis or [MOVERS, consults()])
    drawn = [SynthGoal(no, "若い世代の希望をかなえる", [SynthItem(item[0], item[1], kpis=rows)]) for no in range(1, goals + 1)]
    return kpi_list_pdf(drawn, headers, title=title)


def kpi_issues(pdf: bytes, page: int | None = None, cell: Callable[[Cell], Cell | None] = lambda c: c,
               line: Callable[[TextLine], TextLine | None] = lambda li: li) -> list[Found]:
    """Every issue of a KPI一覧, with one page's grid edited first."""
    reads = read_page_grids(pdf)
    return validated([replace(r, grid=edited(r.grid, cell, line)) if r.page == page and r.grid else r
                      for r in reads])


def labelled(prefix: str) -> Callable[[Cell], bool]:
    return lambda c: c.label.startswith(normalize_label(prefix))


def blank_if(picked: Callable[[Cell], bool]) -> Callable[[Cell], Cell]:
    return lambda c: printed(c, "") if picked(c) else c


def kpi_without_rows(bad: bool) -> list[Found]:
    """The KPI list with, when `bad`, every ruled cell below its table's header taken out: a page the template
    recognizes by its labels, with no KPI row to read."""
    (read,) = read_page_grids(kpi_pdf())
    assert read.grid is not None
    if bad:
        header = next(c for c in read.grid.cells if labelled("具体的な施策項目")(c))
        read = replace(read, grid=edited(read.grid, lambda c: None if c.top >= header.bottom - 0.5 else c))
    return validated([read])


MOVERS_ID = kpi_id_for(1, "転入者数")
CONSULTS_ID = kpi_id_for(1, "相談件数")
PLACEHOLDER_ID = "g1-ア-placeholder"  # a row without a KPI name is named after its item

KPI_CASES = [
    Case("missing_title", "",
         lambda bad: kpi_issues(kpi_pdf(title=None if bad else TITLE)),
         (Where(1, "documents", "", "title"),)),
    Case("missing_municipality", "",
         lambda bad: kpi_issues(kpi_pdf(title=TITLE.replace("旭川市", "") if bad else TITLE)),
         (Where(1, "documents", "", "municipality"),)),
    # the second goal's page lost its 具体的な施策項目 header: still a KPI page, but no table
    Case("missing_table", "",
         lambda bad: kpi_issues(kpi_pdf(goals=2), page=2 if bad else None,
                                cell=blank_if(labelled("具体的な施策項目"))),
         (Where(2, "pages", "page 2", None),)),
    Case("missing_goal_heading", "",
         lambda bad: kpi_issues(kpi_pdf(), page=1 if bad else None,
                                line=lambda li: None if "基本目標" in li.text else li),
         (Where(1, "strategy_kpis", "", "goal_no"),)),
    # the KPI column's header printed blank (a blank header is also an unknown one)
    Case("missing_column", "kpi",
         lambda bad: kpi_issues(kpi_pdf(), page=1 if bad else None, cell=blank_if(labelled("総合戦略における"))),
         (Where(1, "strategy_kpis", "", "kpi"),)),
    # a table whose only value column is not one
    Case("missing_column", "values",
         lambda bad: kpi_issues(kpi_pdf(SynthKpi("転入者数", "人", ["120"], "総合政策部"),
                                        headers=["備考" if bad else ACTUAL])),
         (Where(1, "strategy_kpi_values", "", None),)),
    Case("unknown_column", "",
         lambda bad: kpi_issues(kpi_pdf(SynthKpi("転入者数", "人", ["100", "120", "130", "125"], "総合政策部"),
                                        headers=[*HEADERS, "備考" if bad else "令和４年度\n実績値"])),
         (Where(1, "strategy_kpis", "備考", None),)),
    Case("column_without_year", "",
         lambda bad: kpi_issues(kpi_pdf(headers=["現状値", "実績値" if bad else ACTUAL, HEADERS[2]])),
         (Where(1, "strategy_kpi_values", "実績値", "column_fiscal_year"),)),
    Case("missing_item_label", "",
         lambda bad: kpi_issues(kpi_pdf(MOVERS, item=("", "") if bad else ("ア", "移住の促進"))),
         (Where(1, "strategy_kpis", "", "item_label"),)),
    Case("missing_kpi_name", "",
         lambda bad: kpi_issues(kpi_pdf(MOVERS, consults(name="" if bad else "相談件数"))),
         (Where(1, "strategy_kpis", PLACEHOLDER_ID, "kpi_name"),)),
    # a name of － is right on a placeholder row (every cell －), wrong on a row with values
    Case("placeholder_kpi_name", "",
         lambda bad: kpi_issues(kpi_pdf(MOVERS, consults(name="－") if bad
                                        else SynthKpi("－", "－", ["－"] * 3, "－"))),
         (Where(1, "strategy_kpis", PLACEHOLDER_ID, "kpi_name"),)),
    Case("missing_department", "",
         lambda bad: kpi_issues(kpi_pdf(MOVERS, consults(department="" if bad else "総合政策部"))),
         (Where(1, "strategy_kpis", CONSULTS_ID, "department"),)),
    Case("duplicate_kpi_id", "",
         lambda bad: kpi_issues(kpi_pdf(MOVERS, MOVERS if bad else consults())),
         (Where(1, "strategy_kpis", f"{MOVERS_ID}-2", "kpi_id"),)),
    # the cell under 令和３年度 実績値 of the second row is not ruled at all
    Case("missing_cell", "",
         lambda bad: kpi_issues(kpi_pdf(), page=1 if bad else None, cell=lambda c: None if c.text == "66" else c),
         (Where(1, "strategy_kpi_values", f"{CONSULTS_ID} {ACTUAL}", "value"),)),
    # a year annotation after the value is read; other words are kept as a note
    Case("unknown_annotation", "",
         lambda bad: kpi_issues(kpi_pdf(MOVERS, consults(
             values=["5", "66\n（参考値）" if bad else "66\n（令和２年度）", "70"]))),
         (Where(1, "strategy_kpi_values", f"{CONSULTS_ID} {ACTUAL}", "annotation"),)),
    # a KPI page by its labels, yet not one KPI row read: never a document loaded with nothing in it
    Case("no_records", "", kpi_without_rows, (Where(1, "strategy_kpis", "", None),)),
    # one empty cell is no issue; a column empty in every row is
    Case("empty_column", "",
         lambda bad: kpi_issues(kpi_pdf(SynthKpi("転入者数", "人", ["100", "", "130"], "総合政策部"),
                                        consults(values=["5", "" if bad else "66", "70"]))),
         (Where(1, "strategy_kpi_values", ACTUAL, "value"),)),
]


# ---------------------------------------------------------------------------------------
# the warehouse's cross-document check: a sheet and a KPI list of one city, loaded in turn


def sheet_extraction(value: float) -> Extraction:
    """A 旭川 sheet whose 施策 indicator 観光客のリピート率 was `value` in FY2021."""
    extraction = Extraction(template="asahikawa_jimujigyo_sheet", doc_type="jimujigyo_sheet", municipality="旭川市",
                            results_fiscal_year=2022, page_count=1)
    extraction.add(ProjectRecord(page=1, project_code=SHEET, first_page=1, last_page=1))
    extraction.add(IndicatorRecord(
        page=1, project_code=SHEET, level="施策", indicator_no=1, indicator_name="観光客のリピート率", fiscal_year=2021,
        kind="実績", column_label="R3実績", value=value, value_text=f"{value:g}"))
    return extraction


def kpi_list_extraction(value: float) -> Extraction:
    """A 旭川 KPI list whose 観光客のリピート率 was `value` in FY2021."""
    extraction = Extraction(template="asahikawa_strategy_kpi_list", doc_type="strategy_kpi_list", municipality="旭川市",
                            results_fiscal_year=2022, title=TITLE, page_count=1)
    extraction.add(kpi(kpi_id="g2-repeat", goal_no=2, kpi_name="観光客のリピート率", unit="％"))
    extraction.add(kpi_value(kpi_id="g2-repeat", value=value, value_text=f"{value:g}"))
    return extraction


def warehouse_issues(bad: bool) -> list[Found]:
    """Every validation_issues row after loading the sheet (77.2) and then the KPI list (77.5, or 77.2 too)."""
    from hyoka.flows.runs import load_result
    from hyoka.flows.stages import document_row, validated_result
    from hyoka.warehouse import store

    con = store.connect(":memory:")
    try:
        for name, extraction in (("sheet.pdf", sheet_extraction(77.2)),
                                 ("kpi.pdf", kpi_list_extraction(77.5 if bad else 77.2))):
            document = document_row(name, 1, sha256_hex(name.encode()))
            load_result(con, validated_result(name, document, extraction))
        rows = con.execute(
            "SELECT check_name, severity, page, table_name, record_key, column_name FROM validation_issues").fetchall()
    finally:
        con.close()
    return [Found(check, severity, Where(page, table, key, column)) for check, severity, page, table, key, column in rows]


WAREHOUSE_CASES = [
    # the later document (the KPI list) gets the warning
    Case("cross_document_mismatch", "", warehouse_issues,
         (Where(1, "strategy_kpi_values", "g2-repeat 観光客のリピート率 2021", "value"),)),
]


def cost_item(no: int, name: str, amount: float, part_of: str | None = None) -> BudgetItemRecord:
    """An item of a full breakdown (神戸's コスト) of the R3決算 column, whose 事業費 is 100."""
    return BudgetItemRecord(page=1, project_code=CODE, fiscal_year=2021, stage="決算", label=R3, item_no=no,
                            item_name=name, amount=amount, amount_text=f"{amount:g}", part_of=part_of,
                            total_cost=100.0, adds_up=True)


def job(name: str, staff: float, total: float | None = 5.0) -> StaffingRecord:
    """The FY2021 staff of one job type, with the year's printed total."""
    return StaffingRecord(page=1, project_code=CODE, fiscal_year=2021, label=R3, job_type=name, staff=staff,
                          total_staff=total)


# 神戸 (issue 13): a full cost breakdown, revenue under its total, staff by job type
KOBE_CASES = [
    Case("cost_items_sum", "",
         lambda bad: schema("project_budget_items", [cost_item(1, "人件費", 60.0), cost_item(2, "物件費", 30.0 if bad else 40.0),
                                                     cost_item(3, "委託料", 30.0 if bad else 40.0, "物件費")]),
         (Where(1, "project_budget_items", f"{BUDGET_KEY} 内訳#2", "amount"),)),
    Case("item_parts_sum", "",
         lambda bad: schema("project_budget_items", [cost_item(1, "人件費", 60.0), cost_item(2, "物件費", 40.0),
                                                     cost_item(3, "委託料", 35.0 if bad else 40.0, "物件費")]),
         (Where(1, "project_budget_items", f"{BUDGET_KEY} 内訳#3", "amount"),)),
    Case("revenue_sum", "",
         lambda bad: schema("project_budgets", [budget(national_prefecture=20.0, other=10.0, general_revenue=70.0,
                                                       revenue_total=25.0 if bad else 30.0)]),
         (Where(1, "project_budgets", BUDGET_KEY, "revenue_total"),)),
    Case("general_revenue_balance", "",
         lambda bad: schema("project_budgets", [budget(revenue_total=0.0, general_revenue=90.0 if bad else 100.0,
                                                       other=10.0 if bad else 0.0)]),
         (Where(1, "project_budgets", BUDGET_KEY, "general_revenue"),)),
    Case("staff_sum", "",
         lambda bad: schema("project_staffing", [job("事務職", 2.0), job("技術職", 4.0 if bad else 3.0),
                                                 job("（参考：定数）", 9.0, total=None)]),  # a reference row: not counted
         (Where(1, "project_staffing", f"{CODE} 人工 2021 技術職", "staff"),)),
]


CASES = SCHEMA_CASES + SHEET_CASES + IKEDA_CASES + KPI_CASES + WAREHOUSE_CASES + KOBE_CASES


# ---------------------------------------------------------------------------------------


def tripping(cases: list[Case]) -> list[Any]:
    """The cases as parameters; a dead check's must fail (strict: a fix makes it pass, and its mark must go)."""
    dead = lambda case: [pytest.mark.xfail(raises=AssertionError, strict=True, reason=case.dead)] if case.dead else []  # noqa: E731
    return [pytest.param(case, id=case.id, marks=dead(case)) for case in cases]


@pytest.mark.parametrize("case", tripping(CASES))
def test_the_defect_trips_its_check(case: Case) -> None:
    found = [f for f in case.issues(True) if f.check == case.check]
    assert [f.where for f in found] == list(case.expected)
    assert {f.severity for f in found} == {CHECKS[case.check].severity}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_the_close_input_does_not(case: Case) -> None:
    assert case.issues(False) == []


def test_a_value_of_the_wrong_type_is_one_issue_and_the_other_checks_still_judge_the_rows() -> None:
    """Not also "year missing", a dtype failure or a check that crashed on the uncoerced column."""
    found = schema("project_budgets", [budget(fiscal_year="abc"), budget(other=-5.0)])
    assert [(f.check, f.where.column) for f in found] == [("unparseable_number", "fiscal_year"), ("negative_amount", "other")]
    assert schema("project_sdgs", [sdg(None)]) == [
        Found("required_value_missing", "error", Where(1, "project_sdgs", f"{CODE} SDG None", "goal_no"))
    ]


def test_an_empty_project_code_is_said_once_where_the_template_looked() -> None:
    """The template says the code is missing (missing_project_code); the schema does not add a format error."""
    assert schema("projects", [project("")]) == []


def test_every_registered_check_has_a_case() -> None:
    covered = {case.check for case in CASES}
    assert covered == set(CHECKS), (
        f"registered without a case here: {sorted(set(CHECKS) - covered)}; "
        f"a case for no registered check: {sorted(covered - set(CHECKS))}"
    )
