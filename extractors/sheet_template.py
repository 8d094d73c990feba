"""The vocabulary of a spreadsheet template file: which header labels fill which records.

A city's export (one row per project, one column per field, a block of columns per fiscal
year) is mapped by its header labels, never by column letters: a later export with its
columns moved or one more column reads the same. The file is TOML, read and checked by
`hyoka.extractors.template_loader.parse_spec` (errors name the file, line and key), like the
PDF templates of `hyoka.extractors.template_schema`, whose [template] table it shares.

A label matches a header cell when both are equal after `hyoka.normalize.normalize_label`
(line breaks, full-width spaces and widths folded); `match = "prefix"` lets a long header
(a question printed in full) be named by its start. Per-year blocks repeat the same labels:
the k-th column of a label belongs to the k-th entry of [[years]].
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import ClassVar, Literal

from hyoka.extractors.records import BUDGET_SOURCES, ProjectRecord
from hyoka.extractors.template_schema import SpecError, TemplateInfo, _labels, _one_of, _record_fields, check_evaluation_texts

SheetMatch = Literal["exact", "prefix"]


@dataclass(frozen=True)
class Column:
    """A header label (or several, tried in order) naming one column, or one per year block."""

    SHORTHAND: ClassVar[str] = "label"  # a file may write a column as its label alone

    label: tuple[str, ...]
    match: SheetMatch = "exact"

    def __post_init__(self) -> None:
        _labels("label", self.label)


@dataclass(frozen=True)
class HeaderSpec:
    """[header]: how the header row is found: the first row holding every anchor label."""

    anchors: tuple[str, ...]
    search_rows: int = 20  # the header is among the first rows (an export may put notes above it)

    def __post_init__(self) -> None:
        _labels("anchors", self.anchors)
        if self.search_rows < 1:
            raise SpecError("search_rows", "search at least one row")


@dataclass(frozen=True)
class RowSpec:
    """[rows]: what makes a row a project, and the export's own fiscal year."""

    code: Column  # a row whose code cell is blank is no project (totals, notes)
    fiscal_year: Column  # the year the export was made for, 和暦 year in `era` (e.g. 7 → 令和7)
    era: str = "令和"


@dataclass(frozen=True)
class YearBlock:
    """[[years]]: one per-year block, in the order its columns come left to right."""

    offset: int  # its fiscal year minus the export's own year
    stage: str  # the budget stage its amounts are (決算, 当初予算 …)
    kind: str  # the indicator kind its values are (実績, 目標)

    def __post_init__(self) -> None:
        if not self.stage.strip() or not self.kind.strip():
            raise SpecError("stage", "say the block's stage and kind (決算 / 実績, 当初予算 / 目標 …)")


@dataclass(frozen=True)
class SourceColumn:
    """One funding source of [budget]: its project_budget_sources.source and its column."""

    source: str
    column: Column

    def __post_init__(self) -> None:
        _one_of("source", self.source, BUDGET_SOURCES, "a funding source")


@dataclass(frozen=True)
class SheetBudget:
    """[budget]: each year block's 事業費 and its sources."""

    total: Column
    sources: tuple[SourceColumn, ...]
    blank_is_zero: bool = False  # a blank source cell counts as 0 in the funding sum

    def __post_init__(self) -> None:
        if not self.sources:
            raise SpecError("sources", "name at least one funding source")


@dataclass(frozen=True)
class SheetStaffing:
    """[staffing]: each year block's staff counts."""

    regular_staff: Column | None = None
    fiscal_year_staff: Column | None = None


@dataclass(frozen=True)
class SheetIndicator:
    """[[indicators]]: one indicator: its name and unit once per row, its value per year block."""

    name: Column
    value: Column
    unit: Column | None = None
    level: str = "事業"


PROJECT_TEXT_FIELDS = _record_fields(ProjectRecord, "str | None")


@dataclass(frozen=True)
class SheetEvaluation:
    """[[evaluations]]: one evaluation and the columns of its texts (several columns are joined)."""

    evaluator: str
    fields: dict[str, tuple[Column, ...]]

    def __post_init__(self) -> None:
        check_evaluation_texts(self.fields)


@dataclass(frozen=True)
class SheetTemplateSpec:
    """A whole spreadsheet template file."""

    template: TemplateInfo
    header: HeaderSpec
    rows: RowSpec
    years: tuple[YearBlock, ...]
    project: dict[str, Column] = field(default_factory=dict)  # projects column → its header
    budget: SheetBudget | None = None
    staffing: SheetStaffing | None = None
    indicators: tuple[SheetIndicator, ...] = ()
    evaluations: tuple[SheetEvaluation, ...] = ()
    # a city's own columns that fit no shared table (project_extra_fields), by the label they are
    # stored under: [extras] once per row, [year_extras] once per year block (stored with the
    # block's heading after the label: 人件費計 令和2年度決算)
    extras: dict[str, Column] = field(default_factory=dict)
    year_extras: dict[str, Column] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.years:
            raise SpecError("years", "list the per-year blocks: at least one [[years]]")
        for name in self.project:
            _one_of(("project", name), name, PROJECT_TEXT_FIELDS, "a text column of projects")
        for key, extras in (("extras", self.extras), ("year_extras", self.year_extras)):
            for label in extras:
                if not label.strip():
                    raise SpecError(key, "an extra is stored under its label: give one")


def column_specs(spec: SheetTemplateSpec) -> list[Column]:
    """Every column a template names (to say which headers a sheet lacks)."""
    found: list[Column] = [spec.rows.code, spec.rows.fiscal_year, *spec.project.values()]
    if spec.budget is not None:
        found += [spec.budget.total, *(source.column for source in spec.budget.sources)]
    if spec.staffing is not None:
        found += [getattr(spec.staffing, f.name) for f in fields(spec.staffing) if getattr(spec.staffing, f.name)]
    for indicator in spec.indicators:
        found += [indicator.name, indicator.value] + ([indicator.unit] if indicator.unit else [])
    for evaluation in spec.evaluations:
        found += [column for columns in evaluation.fields.values() for column in columns]
    return found + [*spec.extras.values(), *spec.year_extras.values()]
