"""Plain data objects that extractors produce and the later stages consume.

One dataclass per warehouse table, and the one place that ties a record to its table:
each record type declares `TABLE` (the warehouse table it fills) and `key()` (how a person
finds the row: `validation_issues.record_key`). `Extraction.add(record)` files a record
under its own table; `RECORD_TYPES` lists every record type by table, for the validation
schemas (`schemas/registry.py`) and the warehouse DDL (`warehouse/schema.py`).

Every record carries its provenance: the page it was read from, the bounding box of its
source cell(s) on that page (PDF points, top-left origin of the upright page: `hyoka.extractors.pages`) and
the text as printed. The document id (sha256) is not repeated here: it belongs to the
`Extraction` that holds the records.

Values that could not be parsed stay None and keep their printed text in `raw`, so the
validation stage can flag them and nothing the document said is lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, TypeVar, cast, overload

BBox = tuple[float, float, float, float]  # x0, top, x1, bottom

# table -> the record type that fills it, in the order the types are declared below
RECORD_TYPES: dict[str, type[Record]] = {}


@dataclass
class Record:
    """Fields every record has: where it came from.

    A subclass is a record type: it must set `TABLE` and say its `key()`. Declaring it
    registers it in `RECORD_TYPES` (a table has one record type).
    """

    TABLE: ClassVar[str]

    page: int = 0
    bbox: BBox | None = None
    raw_text: str = ""
    # column name -> the printed text of that column's cell (only for parsed columns)
    raw: dict[str, str] = field(default_factory=dict)
    # column name -> the bbox of that column's cell, for report crops
    cell_bboxes: dict[str, BBox] = field(default_factory=dict)
    # column name -> the page of that column's cell, where it is not `page` (a project's
    # page-2 fields, say)
    cell_pages: dict[str, int] = field(default_factory=dict)
    # column name -> the OCR confidence (0-1) of that column's cell, for values read from a
    # scanned page (`hyoka.extractors.ocr_text.attach_confidence`); empty for a text layer
    confidence: dict[str, float] = field(default_factory=dict)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        table = cls.__dict__.get("TABLE")
        if not table:
            raise TypeError(f"record type {cls.__name__} declares no TABLE")
        if table in RECORD_TYPES:
            raise TypeError(f"table {table!r} already has a record type: {RECORD_TYPES[table].__name__}")
        RECORD_TYPES[table] = cls

    def key(self) -> str:
        """A short key a person can find the row by: 事業コード + year + stage, KPI id + slot …"""
        raise NotImplementedError

    def page_of(self, column: str | None) -> int:
        """The page a column's value was read from."""
        return self.cell_pages.get(column or "", self.page)

    def as_row(self) -> dict[str, Any]:
        """The record as a flat dict of its table columns (no provenance helpers)."""
        skip = {"raw", "cell_bboxes", "cell_pages", "confidence", "bbox"}
        row = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}
        row["bbox"] = list(self.bbox) if self.bbox else None
        return row


@dataclass
class ProjectRecord(Record):
    TABLE: ClassVar[str] = "projects"

    project_code: str = ""
    project_code_raw: str = ""
    project_name: str | None = None
    summary: str | None = None
    start_fiscal_year: int | None = None
    start_text: str | None = None
    legal_basis: str | None = None
    related_plans: str | None = None
    similar_services: str | None = None
    reference_cases: str | None = None
    outputs_header: str | None = None
    outputs_text: str | None = None
    outcome_header: str | None = None
    policy_code: str | None = None
    policy_name: str | None = None
    policy_note: str | None = None
    policy_purpose: str | None = None
    vision_title: str | None = None
    vision_text: str | None = None
    strategy_policy_text: str | None = None
    strategy_vision_text: str | None = None
    pledge_no: str | None = None
    pledge_title: str | None = None
    footer_text: str | None = None
    first_page: int = 0
    last_page: int = 0
    # added for templates other than 旭川's (池田市 目標設定シート is the first)
    department: str | None = None  # 担当部署名
    sheet_no: int | None = None  # a sheet number such as 池田's NO. (not stable across years)
    period_start_fiscal_year: int | None = None  # 実施期間 (start)
    period_end_fiscal_year: int | None = None  # 実施期間 (end)
    period_text: str | None = None  # 実施期間 as printed
    target: str | None = None  # 事業の対象
    method: str | None = None  # 事業の手段・方法
    delivery_mode: str | None = None  # 実施形態: 直営 / 一部委託 / 全部委託 as printed
    resilience_goal: str | None = None  # 国土強靭化地域計画: 事前に備えるべき目標
    resilience_field: str | None = None  # 国土強靭化地域計画: 施策分野
    initiatives_plan: str | None = None  # 上記要素に係る取組予定 (池田: R6年度取組予定)
    initiatives_result: str | None = None  # 上記要素に係る取組実績
    other_funding_text: str | None = None  # 「その他」財源の主な内容
    remarks: str | None = None  # 備考

    def key(self) -> str:
        return self.project_code or ""


@dataclass
class BudgetRecord(Record):
    TABLE: ClassVar[str] = "project_budgets"

    project_code: str = ""
    fiscal_year: int | None = None
    stage: str | None = None
    label: str = ""
    total_cost: float | None = None
    national: float | None = None
    prefecture: float | None = None
    municipal_bonds: float | None = None
    tax_allocation_pct: float | None = None
    other: float | None = None
    general_revenue: float | None = None
    # added for templates whose matrix differs from 旭川's
    national_prefecture: float | None = None  # 国・府支出金 printed as one row (国 and 都道府県 together)
    beneficiary_burden: float | None = None  # うち受益者負担: a part of `other`, not beside it
    beneficiary_burden_pct: float | None = None  # 受益者負担率 (B÷A) in percent, as printed
    revenue_total: float | None = None  # 収入合計 printed under its sources (神戸): the sources but 一般財源

    def key(self) -> str:
        return f"{self.project_code} {self.label}"


BUDGET_AMOUNT_COLUMNS = (
    "total_cost",
    "national",
    "prefecture",
    "municipal_bonds",
    "tax_allocation_pct",
    "other",
    "general_revenue",
)


# project_budget_sources.source: the funding sources every template maps its rows to.
BUDGET_SOURCES = ("国", "都道府県", "国・都道府県", "市債", "その他", "受益者負担", "一般財源")
# A source that is a part of another (printed as うち…), not beside it: never added to the sum.
BUDGET_SOURCE_PART_OF = {"受益者負担": "その他"}


@dataclass
class BudgetSourceRecord(Record):
    """One funding source of one budget column: long format, one row per source.

    `total_cost` (the column's 事業費) is repeated on each row so that the funding sum can
    be checked on this table alone, whatever the template's matrix looks like.
    """

    TABLE: ClassVar[str] = "project_budget_sources"

    project_code: str = ""
    fiscal_year: int | None = None
    stage: str | None = None
    source: str = ""  # one of BUDGET_SOURCES
    source_label: str = ""  # the row or column label as printed, e.g. 北海道, 国・府支出金
    amount: float | None = None
    amount_text: str | None = None  # as printed; None when blank
    part_of: str | None = None  # the source this one is a part of (受益者負担 → その他), else None
    total_cost: float | None = None
    label: str = ""  # the budget column / row heading as printed, e.g. R3決算見込
    blank_is_zero: bool = False  # the template prints no figure for a zero source (a blank counts as 0)

    def key(self) -> str:
        return f"{self.project_code} {self.label} {self.source}"


@dataclass
class BudgetItemRecord(Record):
    """One line of a cost breakdown (主な内訳) in one budget column."""

    TABLE: ClassVar[str] = "project_budget_items"

    project_code: str = ""
    fiscal_year: int | None = None
    stage: str | None = None
    item_no: int = 0  # position in the breakdown block, from 1
    item_name: str = ""
    amount: float | None = None
    amount_text: str | None = None
    label: str = ""  # the budget column heading as printed
    # a full breakdown (神戸's コスト), not the main items only: the items add up to total_cost
    part_of: str | None = None  # the item this one is a part of (物件費 for its 委託料), else None
    total_cost: float | None = None  # the column's 事業費, repeated on each item of a full breakdown
    adds_up: bool = False  # the items (parts left out) add up to total_cost

    def key(self) -> str:
        return f"{self.project_code} {self.label} 内訳#{self.item_no}"


@dataclass
class SdgRecord(Record):
    """One SDG goal marked for a project."""

    TABLE: ClassVar[str] = "project_sdgs"

    project_code: str = ""
    goal_no: int = 0  # 1..17
    goal_label: str = ""  # the goal as printed, e.g. ４　質の高い教育をみんなに
    mark: str = ""  # the mark as printed (○)

    def key(self) -> str:
        return f"{self.project_code} SDG {self.goal_no}"


@dataclass
class StaffingRecord(Record):
    TABLE: ClassVar[str] = "project_staffing"

    project_code: str = ""
    fiscal_year: int | None = None
    label: str = ""
    regular_staff: float | None = None
    fiscal_year_staff: float | None = None
    # staff by job type (神戸's 職種等内訳): one row per year and job type, its year's total repeated
    job_type: str | None = None  # as printed (事務職, 技術職 …); None for a year's figures in columns
    staff: float | None = None  # persons of that job type
    total_staff: float | None = None  # the year's printed total (合計(D)), repeated on each job type

    def key(self) -> str:
        if self.job_type is not None:
            return f"{self.project_code} 人工 {self.fiscal_year} {self.job_type}"
        return f"{self.project_code} 人工 {self.fiscal_year}"


@dataclass
class ReformViewpointRecord(Record):
    TABLE: ClassVar[str] = "project_reform_viewpoints"

    project_code: str = ""
    viewpoint_no: int = 0
    viewpoint: str = ""
    selected: bool = False
    mark: str = ""
    viewpoint_group: str | None = None  # the heading the viewpoint is listed under, if the table has groups

    def key(self) -> str:
        return self.project_code or ""


@dataclass
class EvaluationRecord(Record):
    TABLE: ClassVar[str] = "project_evaluations"

    project_code: str = ""
    evaluator: str = ""  # 1次 / 外部 / 2次
    title: str | None = None
    issues: str | None = None
    direction: str | None = None
    expected_effect: str | None = None
    comment: str | None = None
    # ratings with their reasons (池田: 達成状況, 有効性, 効率性, 方向性)
    achievement_rating: str | None = None  # 成果指標の達成状況, e.g. A.順調に推移している
    achievement_reason: str | None = None
    effectiveness_rating: str | None = None  # 事業の有効性
    efficiency_rating: str | None = None  # 事業の効率性
    effectiveness_efficiency_reason: str | None = None  # 有効性・効率性の判断理由
    direction_rating: str | None = None  # 今後の事業の方向性, e.g. 現状維持, 廃止
    direction_reason: str | None = None

    def key(self) -> str:
        return self.project_code or ""


@dataclass
class IndicatorRecord(Record):
    """One value of one indicator: long format, one row per (indicator, year, kind).

    `baseline`, `achievement_rate` and `progress_text` belong to the indicator and are
    repeated on each of its rows, so that any row can be read on its own.
    """

    TABLE: ClassVar[str] = "project_indicators"

    project_code: str = ""
    level: str = ""  # 事業 / 施策 / 基本政策 / 総合戦略施策 / 総合戦略
    indicator_no: int = 0  # order within its table, from 1
    indicator_name: str = ""
    unit: str | None = None
    baseline: float | None = None
    baseline_text: str | None = None
    fiscal_year: int | None = None
    kind: str | None = None  # 実績 / 目標 / 見込
    column_label: str = ""
    value: float | None = None
    value_text: str | None = None
    achievement_rate: float | None = None
    achievement_text: str | None = None
    progress_text: str | None = None
    resilience_mark: str | None = None  # 国土強靭化地域計画の指標に該当: the mark as printed
    # added for indicators written inside prose (京都: 指標：… 【数値目標：…（数値目標の考え方：…）】)
    target_basis: str | None = None  # 数値目標の考え方: how the target was set, as printed
    indicator_group: str | None = None  # the heading or label the indicator is listed under (京都: 事業効果（アウトカム）, 神戸: 単位あたりコスト（A／C）)

    def key(self) -> str:
        return f"{self.project_code} {self.level}#{self.indicator_no} {self.column_label}"


@dataclass
class StrategyKpiRecord(Record):
    """One KPI row of a 総合戦略 KPI一覧 (placeholder rows of parent items included)."""

    TABLE: ClassVar[str] = "strategy_kpis"

    kpi_id: str = ""  # stable across editions: derived from the normalized goal and KPI name
    row_no: int = 0  # order on its page, from 1
    goal_no: int | None = None
    goal_title: str | None = None
    item_label: str | None = None  # ア, イ, …
    item_title: str | None = None
    sub_item_no: str | None = None  # ①, ②, … or None
    sub_item_title: str | None = None
    kpi_name: str = ""
    kpi_remark: str | None = None  # the ※ line under the name
    unit: str | None = None
    department: str | None = None
    is_placeholder: bool = False  # every cell is －: the parent row of an item with sub-items

    def key(self) -> str:
        return self.kpi_id


@dataclass
class StrategyKpiValueRecord(Record):
    """One value cell of a KPI row: what it says and the years it really refers to."""

    TABLE: ClassVar[str] = "strategy_kpi_values"

    kpi_id: str = ""
    slot: str = ""  # 現状値 / 実績値 / 目標値
    column_label: str = ""
    column_fiscal_year: int | None = None
    value: float | None = None
    value_text: str | None = None  # the raw cell text
    ref_fiscal_year_start: int | None = None
    ref_fiscal_year_end: int | None = None
    aggregation: str | None = None  # 単年度 / 累計 / 平均
    status: str = "empty"  # value / pending / text / placeholder / empty
    annotation: str | None = None  # e.g. （令和元年度）
    note: str | None = None

    def key(self) -> str:
        return f"{self.kpi_id} {self.column_label}"


@dataclass
class PageRecord(Record):
    """What each page of the document turned out to be."""

    TABLE: ClassVar[str] = "pages"

    template: str | None = None
    page_role: str | None = None  # e.g. sheet_page1, sheet_page2, kpi_goal, unknown
    project_code: str | None = None
    status: str = "read"  # read / skipped
    note: str | None = None

    def key(self) -> str:
        return f"page {self.page}"


@dataclass
class ExtraFieldRecord(Record):
    """A field of a city's sheet that fits no shared table: its label as printed and its text.

    What one city prints and no other does stays queryable here, never dropped; a
    template names such fields in `[project.extras]`.
    """

    TABLE: ClassVar[str] = "project_extra_fields"

    project_code: str = ""
    label: str = ""  # the label as printed, spaces normalized (行財政改革の項目)
    value_text: str | None = None

    def key(self) -> str:
        return f"{self.project_code} {self.label}"


@dataclass
class IssueRecord:
    """A validation issue: an extractor's finding, or a schema check's failure.

    An extractor reports a finding: the check's name, where it is and `detail` (the
    specific part: the values that differ, the column label …). Severity and wording
    belong to the check registry (`schemas/checks.py`), which extractors may not import:
    the validate stage fills in `severity` and `message` (`hyoka.schemas.validate.complete_findings`).
    """

    page: int | None
    table_name: str
    record_key: str
    column_name: str | None
    check_name: str
    severity: str | None = None  # error / warning; None until the validate stage completes it
    message: str | None = None  # None until the validate stage completes it
    raw_value: str | None = None
    bbox: BBox | None = None
    detail: str = ""  # the finding's specifics, appended to the registry's message


R = TypeVar("R", bound=Record)


@dataclass
class Extraction:
    """Everything read from one document (or by one template), ready for validation and loading.

    The document-level fields are the `documents` row's (hence `TABLE`). A template's
    `read` returns an `Extraction` of its own: its records, its issues, and the document
    fields it read, with `page_count` the pages it read; the registry merges them
    (`hyoka.extractors.registry.merge_extractions`).
    """

    TABLE: ClassVar[str] = "documents"
    # what a template may read about the document (the registry decides who owns each)
    DOCUMENT_FIELDS: ClassVar[tuple[str, ...]] = ("municipality", "results_fiscal_year", "title")

    template: str
    doc_type: str
    municipality: str | None = None
    results_fiscal_year: int | None = None
    title: str | None = None
    page_count: int = 0
    tables: dict[str, list[Record]] = field(default_factory=dict)
    issues: list[IssueRecord] = field(default_factory=list)

    def add(self, record: Record) -> None:
        """File a record under its own table."""
        self.tables.setdefault(record.TABLE, []).append(record)

    def extend(self, records: Iterable[Record]) -> None:
        for record in records:
            self.add(record)

    @overload
    def rows(self, table: type[R]) -> list[R]: ...

    @overload
    def rows(self, table: str) -> list[Record]: ...

    def rows(self, table: type[Record] | str) -> list[Any]:
        """The records of a table, by record type (typed) or by table name."""
        name = table if isinstance(table, str) else table.TABLE
        return cast(list[Any], self.tables.get(name, []))
