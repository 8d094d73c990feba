"""The vocabulary of a template file: what each key of a `templates/*.toml` file means.

A template file says where a city's sheet prints each field, in words a volunteer can
check against `hyoka inspect`: the labels that recognize a page, a field by its label
(its value right of it, below it, a ○/● choice, a value inside prose by a pattern), the
labelled tables whose column headers give fiscal year and stage and whose row labels
give the cost item or funding source, the number conventions of each table and the
tolerances of the geometry; or, for a document that lists KPIs rather than projects
(旭川's 総合戦略 KPI一覧), the `[kpi_list]` of goal headings, item labels and value columns
whose headers give kind and year. Each key is a field of one of the dataclasses below, each
validated in `__post_init__`; `hyoka.extractors.template_loader` turns a TOML file into a
`TemplateSpec` and names the file, line and key of any mistake;
`hyoka.extractors.file_template` reads pages with it.

Record fields are named as in `hyoka.extractors.records` (e.g. `[project.fields] department`
fills `ProjectRecord.department`): a field that fits an existing table is a change in
the template file only.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import MISSING, dataclass, field, fields
from collections.abc import Mapping
from typing import Annotated, Literal

from hyoka.extractors.grid import EDGE_TOLERANCE
from hyoka.extractors.records import (
    BUDGET_SOURCES,
    BudgetRecord,
    EvaluationRecord,
    IndicatorRecord,
    ProjectRecord,
    Record,
    ReformViewpointRecord,
    SdgRecord,
    StaffingRecord,
)
from hyoka.extractors.template_hooks import HOOKS
from hyoka.normalize import ERAS

__all__ = [
    "BudgetCell",
    "BudgetRow",
    "BudgetSpec",
    "ChoiceSpec",
    "DocumentSpec",
    "EvaluationSpec",
    "FieldSpec",
    "IndicatorTable",
    "KpiColumn",
    "KpiListSpec",
    "Length",
    "MarkList",
    "NumberRule",
    "PageRole",
    "ProjectSpec",
    "Ratio",
    "ResultsYearSpec",
    "SpecError",
    "SplitField",
    "StaffRowsSpec",
    "StaffingSpec",
    "TemplateInfo",
    "TemplateSpec",
    "TextPart",
    "Tolerances",
    "UNITS",
]


class SpecError(ValueError):
    """A value the vocabulary refuses; `key` is the path below the dataclass that raised it."""

    def __init__(self, key: str | tuple[str | int, ...] | None, reason: str) -> None:
        super().__init__(reason)
        self.key: tuple[str | int, ...] = () if key is None else (key,) if isinstance(key, str) else key
        self.reason = reason


# ---- quantities with units -------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """Marks a float setting as a quantity written with a unit in the file ("2.5pt", "35%")."""

    kind: Literal["length", "ratio"]


Length = Annotated[float, Unit("length")]  # points; written "2.5pt" or "1mm"
Ratio = Annotated[float, Unit("ratio")]  # a share; written "35%"

# Units a number convention may state. Money is stored in 千円, so a money unit carries
# the factor to 千円; counts and shares are stored as printed.
UNITS: dict[str, float | None] = {
    "円": 0.001,
    "千円": 1.0,
    "百万円": 1000.0,
    "人": None,
    "人工": None,
    "件": None,
    "回": None,
    "%": None,
}

Match = Literal["exact", "prefix", "suffix", "contains"]
Direction = Literal["right", "below", "self", "under", "header", "row"]  # row: every cell right of it, in order


def _regex(key: str | tuple[str | int, ...], pattern: str, *, groups: int = 0) -> None:
    """Refuse a pattern that does not compile, or has fewer than `groups` groups."""
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise SpecError(key, f"not a valid regular expression ({exc})") from None
    if compiled.groups < groups:
        raise SpecError(key, f"the pattern needs a group (…) around the value it reads: {pattern!r}")


def _labels(key: str | tuple[str | int, ...], labels: tuple[str, ...]) -> None:
    """Refuse an empty label list, or an empty or blank label in it."""
    if not labels:
        raise SpecError(key, "an empty list of labels: give at least one")
    for label in labels:
        if not label.strip():
            raise SpecError(key, "an empty label: write the label as printed")


def _record_fields(record_type: type[Record], annotation: str) -> tuple[str, ...]:
    """The fields of a record type declared with this annotation (e.g. 'str | None': its text fields)."""
    return tuple(f.name for f in fields(record_type) if f.type == annotation)


def _one_of(key: str | tuple[str | int, ...], value: str, allowed: tuple[str, ...], what: str) -> None:
    """Refuse a name outside `allowed`, suggesting the closest."""
    if value not in allowed:
        close = difflib.get_close_matches(value, allowed, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise SpecError(key, f"{value!r} is not {what}{hint}; one of: {', '.join(allowed)}")


# ---- the template and its settings ------------------------------------------------------


@dataclass(frozen=True)
class TemplateInfo:
    """[template]: the template's name (stored in documents.template), its document and city."""

    name: str
    doc_type: str
    description: str  # one line, shown by `hyoka templates`
    municipality: str = ""  # empty: the document says (else --municipality)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            raise SpecError("name", f"{self.name!r}: a name is lower-case letters, digits and _ (e.g. kobe_jimujigyo_sheet)")
        if not self.description.strip():
            raise SpecError("description", "an empty description: say in one line which city and document")


@dataclass(frozen=True)
class Tolerances:
    """[settings]: how close printed things must be to count as touching, with units."""

    edge: Length = EDGE_TOLERANCE  # two cell edges this close touch (right of / below / one header row)
    caption_gap: Length = 40.0  # a caption's box (池田's NO.) starts at most this far right of the caption
    box_gap: Length = 12.0  # a framed box (池田's ※備考) starts at most this far below its caption
    mark_width: Ratio = 0.35  # a ○ cell is at most this share of its item's width

    def __post_init__(self) -> None:
        for item in fields(self):
            if getattr(self, item.name) < 0:
                raise SpecError(item.name, "a tolerance is never negative")
        if not 0 < self.mark_width <= 1:
            raise SpecError("mark_width", "a share between 0% and 100%")


@dataclass(frozen=True)
class NumberRule:
    """[numbers.NAME]: how one kind of table prints its figures (money, indicators …).

    `parse_number` reads 1,234 / △1,234 / ▲1,234 (negative) / 12.5% alike for every
    template; a rule says what the shared parser cannot know: what a lone dash means here,
    whether a blank counts as 0 in a sum, and the unit the figures are printed in.
    """

    dash: Literal["zero", "no_figure"] = "no_figure"  # a cell holding only - / －: 0, or no figure
    blank_is_zero: bool = False  # a blank funding source counts as 0 when the sources are added up
    unit: str = ""  # as printed above the table (千円, 百万円, 円, 人, %); budget amounts are stored in 千円
    # a figure printed with a second one in brackets (京都: 326,800（0） = 経費 with its 一般財源):
    # the project_budgets column the bracketed figure fills (the first fills the row's own)
    bracketed: str = ""
    unit_printed: bool = False  # each figure prints its unit after it (神戸's `6.0人`): read without it
    # what to drop from a cell before its figure is read (神戸: a label's `）` printed over its
    # cell's border lands in the first figure cell); the printed text is kept as it is
    ignore: str = ""

    def __post_init__(self) -> None:
        if self.unit:
            _one_of("unit", self.unit, tuple(UNITS), "a unit hyoka knows")
        if self.bracketed:
            _one_of("bracketed", self.bracketed, _record_fields(BudgetRecord, "float | None"),
                    "a number column of project_budgets")
        if self.unit_printed and not self.unit:
            raise SpecError("unit_printed", "say which unit the figures print: give unit")
        if self.ignore:
            _regex("ignore", self.ignore)

    @property
    def factor(self) -> float:
        """What a budget amount is multiplied by to be stored in 千円 (1 for 千円 and for units not of money)."""
        return UNITS.get(self.unit) or 1.0


@dataclass(frozen=True)
class PageRole:
    """[[page]]: one kind of page and the labels printed on every page of that kind."""

    role: str
    anchors: tuple[str, ...]  # a page scores the share of these that start some cell's or loose line's text
    missing: str = ""  # the finding reported when a project has no page of this role (missing_page2 …)

    def __post_init__(self) -> None:
        if not self.role.strip():
            raise SpecError("role", "an empty role name")
        _labels("anchors", self.anchors)
        if self.missing and not re.fullmatch(r"[a-z][a-z0-9_]*", self.missing):
            raise SpecError("missing", f"{self.missing!r}: a check's name is lower-case letters, digits and _")


# ---- a value found by its label ----------------------------------------------------------


@dataclass(frozen=True)
class ChoiceSpec:
    """A ○/● or ■/□ choice printed inside one cell: the option after a filled mark is the value."""

    marked: tuple[str, ...] = ("●", "■", "◉")  # marks of the chosen option
    unmarked: tuple[str, ...] = ("○", "□", "◯")  # marks of the other options
    options: tuple[str, ...] = ()  # the options in full, when the printed text wraps them
    # the k-th mark chooses the k-th option (神戸: wrapped words print above and below the marks,
    # so the text after a mark is not its option)
    by_position: bool = False

    def __post_init__(self) -> None:
        if self.by_position and not self.options:
            raise SpecError("by_position", "a choice by position needs its options, in printed order")
        _labels("marked", self.marked)
        _labels("unmarked", self.unmarked)
        if set(self.marked) & set(self.unmarked):
            raise SpecError("marked", "a mark cannot be both marked and unmarked")


@dataclass(frozen=True)
class FieldSpec:
    """A value found by its label: the anchor (a cell's label or a loose caption), then where the value is.

    The anchor is a cell whose label matches `label` (see `match`), a cell whose
    width-folded label matches the regular expression `label_pattern`, or a text line
    outside every cell matching `caption`. The value is the text of the cells `right`
    of it or `below` it (for a caption: the nearest box right of it on its row, or the
    framed box under it), or the anchor's own text (`self`). A header of a header table
    (旭川's 事業コード | 事業名 | アウトプット … over one data row) has its value `under`
    it: the cells under it in the table's data row, through any sub-header cells; and
    `header` is its text with those sub-headers. Then, in order: `via_below` moves first
    to the cell so labelled among those under the anchor (池田's 判断理由), `skip` passes
    over that many cells in the value's direction (旭川's 公約 number before its title),
    `join` says how the value's cells make one text, `remove` deletes what matches,
    `pattern` keeps its first group, `choice` keeps the marked option, `digits` requires
    a digit. A field may list alternatives: the first that reads wins.
    """

    label: tuple[str, ...] = ()
    label_pattern: str = ""
    caption: tuple[str, ...] = ()
    match: Match = "exact"  # how a label compares, after normalize_label (no spaces, width folded)
    value: Direction = "right"
    via_below: str = ""
    skip: int = 0  # cells passed over first, in the value's direction (right / below)
    join: Literal["lines", "spaces"] = "lines"  # the value's cells one per line, or by a space (a code printed in 3 cells)
    remove: str = ""
    pattern: str = ""
    choice: ChoiceSpec | None = None
    digits: bool = False  # the value counts only when it holds a digit
    years: tuple[str, ...] = ()  # record fields given the fiscal year(s) the text names: (start,) or (start, end)
    # the value goes on over a page break (京都's 取組実績): when its cell ends its page, the
    # first cell of the project's next page under the repeated page header goes on with it,
    # unless that cell matches this pattern (it is the next section's heading: `^[0-9０-９]+\s`)
    continues_unless: str = ""

    def __post_init__(self) -> None:
        given = [name for name in ("label", "label_pattern", "caption") if getattr(self, name)]
        if len(given) != 1:
            raise SpecError(None, "say where the value is: exactly one of label, label_pattern or caption")
        if self.label:
            _labels("label", self.label)
        if self.caption:
            _labels("caption", self.caption)
        if self.label_pattern:
            _regex("label_pattern", self.label_pattern)
        if self.via_below and self.caption:
            raise SpecError("via_below", "via_below moves between cells: the anchor must be a label, not a caption")
        if self.value in ("under", "header") and self.caption:
            raise SpecError("value", f"{self.value!r} reads a header table: the anchor must be a label, not a caption")
        if self.skip < 0:
            raise SpecError("skip", "a number of cells is never negative")
        if self.skip and (self.caption or self.value not in ("right", "below")):
            raise SpecError("skip", "skip passes over cells right of or below a label: value is right or below")
        if self.remove:
            _regex("remove", self.remove)
        if self.pattern:
            _regex("pattern", self.pattern)
        if len(self.years) > 2:
            raise SpecError("years", "at most two fields: the start year and the end year")
        if self.continues_unless:
            _regex("continues_unless", self.continues_unless)
            if self.caption or self.value != "below":
                raise SpecError("continues_unless", "a value that goes on over a page break is the cell below a label:"
                                                    " value is below")


@dataclass(frozen=True)
class TextPart(FieldSpec):
    """One part of a text joined from several (a title): a FieldSpec that may take every match."""

    every: bool = False  # every matching caption, in reading order (else the first)


@dataclass(frozen=True)
class SplitField(FieldSpec):
    """[project.parts]: one printed value read into several fields by the named groups of `pattern`.

    `(?P<policy_code>…)` fills `policy_code`; a group that matches nothing (or only
    spaces) leaves its field empty. `compact` names groups stored width-folded and
    without spaces (a code printed `１２ - １ - １` is `12-1-1`).
    """

    compact: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.pattern or not re.compile(self.pattern).groupindex:
            raise SpecError("pattern", "say which part fills which field: a pattern with named groups (?P<field>…)")
        for name in self.compact:
            _one_of("compact", name, tuple(re.compile(self.pattern).groupindex), "a named group of the pattern")

    @functools.cached_property
    def groups(self) -> tuple[str, ...]:
        """The fields the pattern's named groups fill."""
        return tuple(re.compile(self.pattern).groupindex)

    @functools.cached_property  # one object for every read: a page answers a field once (`read_field`)
    def whole(self) -> FieldSpec:
        """The value as a whole, before it is split (the same field without the pattern)."""
        return FieldSpec(**{f.name: getattr(self, f.name) for f in fields(FieldSpec)} | {"pattern": ""})


# ---- the document and the project ---------------------------------------------------------


@dataclass(frozen=True)
class ResultsYearSpec:
    """[document.results_fiscal_year]: the year whose results the document reports."""

    read: tuple[FieldSpec, ...] = ()  # a fiscal year named in the text these read (the first that reads)
    newest: bool = False  # read on every page, the newest year named (else the first page's)
    else_newest_budget: tuple[str, ...] = ()  # else the newest budget year of these stages (決算 …)

    def __post_init__(self) -> None:
        if self.else_newest_budget:
            _labels("else_newest_budget", self.else_newest_budget)


@dataclass(frozen=True)
class DocumentSpec:
    """[document]: what the document says about itself."""

    title: tuple[TextPart, ...] = ()  # the parts that read, joined by a space
    results_fiscal_year: ResultsYearSpec = field(default_factory=ResultsYearSpec)
    # the era of years printed without one (神戸's 平成25年度 book prints `20年度決算`): 平成 …
    era: str = ""
    # the city named in the title (`【第２期】旭川市まち・ひと・しごと…` → 旭川市): the first group of
    # `municipality`, searched after each pattern of `municipality_remove` became a space;
    # a template with it reports a document without a title, or a title naming no city
    municipality: str = ""
    municipality_remove: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.municipality:
            _regex("municipality", self.municipality, groups=1)
        for number, pattern in enumerate(self.municipality_remove, start=1):
            _regex(("municipality_remove", number), pattern)
        if self.era:
            _one_of("era", self.era, tuple(name for name in ERAS if len(name) > 1), "an era")


PROJECT_TEXT_FIELDS = _record_fields(ProjectRecord, "str | None")
PROJECT_NUMBER_FIELDS = _record_fields(ProjectRecord, "int | None")  # years, and 池田's sheet_no


@dataclass(frozen=True)
class ProjectSpec:
    """[project]: how pages group into projects, the project's key and its fields (`projects` columns)."""

    code: tuple[FieldSpec, ...] = ()  # the project code (digits kept); alternatives, the first that reads
    code_name: str = ""  # what the sheet calls its code, when not 事業コード (named when it is missing: 池田's NO.)
    code_number: str = ""  # a `projects` integer field that also gets the code as a number (池田: sheet_no)
    starts_on: tuple[str, ...] = ()  # page roles that start a project; empty: every page is a project
    # which pages after a starting page join its project: every page up to the next starting
    # page, or (same_code) only a page of a role the project lacks that prints the same code
    continues: Literal["any", "same_code"] = "any"
    fields: dict[str, tuple[FieldSpec, ...]] = field(default_factory=dict)
    parts: dict[str, SplitField] = field(default_factory=dict)  # a value split into several fields
    hooks: tuple[str, ...] = ()  # Python checks the vocabulary cannot say (extractors/template_hooks.py)
    # [project.extras]: fields of this city that fit no shared table, by their label as stored
    # (project_extra_fields.label); each read like a [project.fields] entry
    extras: dict[str, tuple[FieldSpec, ...]] = field(default_factory=dict)
    # no code printed (神戸): the code is derived from these text fields (所属名, 事業名), read
    # as [project.fields] says (hyoka.identity.derived_code)
    code_from: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.code and not self.code_from:
            raise SpecError("code", "say where the project code is printed (or, with none printed, code_from)")
        for name in self.code_from:
            _one_of("code_from", name, tuple(self.fields), "a field of [project.fields]")
        if self.code_from and not self.code and self.continues == "same_code":
            raise SpecError("continues", "pages are joined by the code they print: a derived code is printed on none")
        check_extras(self.extras)
        if self.code_number:
            _one_of("code_number", self.code_number, PROJECT_NUMBER_FIELDS, "an integer field of projects")
        for name, alternatives in self.fields.items():
            _one_of(("fields", name), name, PROJECT_TEXT_FIELDS, "a text field of projects")
            for number, spec in enumerate(alternatives, start=1):
                for year_field in spec.years:
                    _one_of(("fields", name, number, "years"), year_field, PROJECT_NUMBER_FIELDS,
                            "a year field of projects")
        for name, split in self.parts.items():
            for group in split.groups:
                _one_of(("parts", name, "pattern"), group, PROJECT_TEXT_FIELDS, "a text field of projects")
        for hook in self.hooks:
            _one_of("hooks", hook, tuple(HOOKS), "a hook hyoka has")


def check_extras(extras: Mapping[str, object]) -> None:
    """[project.extras]: each label as stored is printed text, not blank, spaces as it is stored."""
    for label in extras:
        if not label.strip():
            raise SpecError(("extras", label), "an empty label: write the label as it is stored (as printed)")
        if re.sub(r"\s+", " ", label).strip() != label:
            raise SpecError(("extras", label), "write the label with single spaces and none at its ends, as it is stored")


# ---- tables ------------------------------------------------------------------------------

BUDGET_NUMBER_FIELDS = _record_fields(BudgetRecord, "float | None")


@dataclass(frozen=True)
class BudgetRow:
    """[[budget.rows]]: which rows of the budget table fill what (the first rule that fits a row wins)."""

    label: tuple[str, ...] = ()  # the row's own label (the innermost, e.g. うち受益者負担 inside その他)
    match: Match = "exact"
    group: str = ""  # the row's outermost label when it spans several rows (主な内訳, 財源)
    column: str = ""  # the project_budgets column the row fills (total_cost …)
    items: bool = False  # each row is a cost item (project_budget_items)
    funding_source: bool = False  # the row's label names a funding source (国・府支出金, 地方債 …: the shared list)
    numbers: str = ""  # the row's number convention, when not the table's
    # a source of this kind, whatever its label (神戸's 使用料手数料, 財産収入 → その他): a
    # project_budget_sources row per printed row; the project_budgets column gets their sum
    source: str = ""
    add_up: bool = False  # items: a full breakdown, adding up to total_cost (an item inside another is its part)
    remove: str = ""  # items: what to delete from an item's printed label (神戸: 物件費（内訳）)

    def __post_init__(self) -> None:
        actions = [name for name in ("column", "items", "funding_source", "source") if getattr(self, name)]
        if len(actions) != 1:
            raise SpecError(None, "say what the row fills: exactly one of column, items, funding_source or source")
        if self.source:
            _one_of("source", self.source, BUDGET_SOURCES, "a funding source")
        if (self.add_up or self.remove) and not self.items:
            raise SpecError("add_up" if self.add_up else "remove", "only cost items add up or have a label to clean")
        if self.remove:
            _regex("remove", self.remove)
        if self.label:
            _labels("label", self.label)
        if self.column:
            _one_of("column", self.column, BUDGET_NUMBER_FIELDS, "a number column of project_budgets")
        if self.column and not self.label:
            raise SpecError("label", "a row that fills a column is found by its label: give label")
        if self.items and not self.group and not self.label:
            raise SpecError("group", "say which rows are cost items: give group (or label)")


@dataclass(frozen=True)
class BudgetCell:
    """[[budget.cells]]: one figure outside the table, found by its label (京都's 予算案 under 令和７年度の方向性).

    Its fiscal year is the one the `year` field's text names, its stage is given; the
    record's label is that year as printed and the stage (令和７年度予算案).
    """

    value: tuple[FieldSpec, ...]  # the figure (alternatives, the first that reads)
    year: tuple[FieldSpec, ...]  # a text naming the figure's fiscal year (a heading)
    stage: str  # the budget stage the figure is (予算案 …)
    column: str = "total_cost"  # the project_budgets column it fills
    numbers: str = ""  # its number convention, when not the table's

    def __post_init__(self) -> None:
        _labels("stage", (self.stage,))
        _one_of("column", self.column, BUDGET_NUMBER_FIELDS, "a number column of project_budgets")


@dataclass(frozen=True)
class BudgetSpec:
    """[budget]: a labelled table of money by fiscal year and stage, in either orientation.

    Either the column headers give year and stage (池田: R6年度 / 決算) and `[[budget.rows]]`
    say what each row fills, the table found by its `corner` (区分, the header left of the
    year columns); or each row's label gives year and stage (旭川: R3決算見込) and
    `[[budget.columns]]` say what each column fills, the table found by the `header` of
    its first figure column (事業費), the row labels stacked under the header left of it.
    """

    numbers: str  # the table's number convention ([numbers.NAME])
    corner: tuple[str, ...] = ()  # with rows: the header cell left of the year columns; rows stacked under the first
    rows: tuple[BudgetRow, ...] = ()
    header: tuple[str, ...] = ()  # with columns: the first figure column's header; the columns run right from it
    columns: tuple[BudgetRow, ...] = ()  # the first header no rule names ends the table (a neighbouring one begins)
    match: Match = "exact"
    cells: tuple[BudgetCell, ...] = ()  # single figures outside the table (a next year's 予算案)
    # with rows, a corner printed blank (神戸): the first cell under this section caption (≪事業別コスト等≫)
    corner_under: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if bool(self.rows) == bool(self.columns):
            raise SpecError(None, "say what the table's lines fill: [[budget.rows]] (years in the column headers)"
                                  " or [[budget.columns]] (years in the row labels), not both")
        if self.corner_under:
            _labels("corner_under", self.corner_under)
        if self.rows:
            if bool(self.corner) == bool(self.corner_under):
                raise SpecError("corner", "a table with [[budget.rows]] is found by its corner header (区分),"
                                          " or by the section caption over a blank corner (corner_under): one of them")
            if self.corner:
                _labels("corner", self.corner)
        else:
            if not self.header:
                raise SpecError("header", "a table with [[budget.columns]] is found by its first column's header")
            _labels("header", self.header)
            for number, rule in enumerate(self.columns, start=1):
                if rule.items or rule.group:
                    raise SpecError(("columns", number), "cost items and groups are rows: use [[budget.rows]]")


STAFFING_NUMBER_FIELDS = _record_fields(StaffingRecord, "float | None")


@dataclass(frozen=True)
class StaffingSpec:
    """[staffing]: a header naming the year (人工 (R3年度)) over sub-headers, each figure under its sub-header."""

    header: tuple[str, ...]
    numbers: str  # the figures' number convention ([numbers.NAME])
    columns: dict[str, str]  # number field of project_staffing -> its sub-header (prefix)
    match: Match = "exact"

    def __post_init__(self) -> None:
        _labels("header", self.header)
        if not self.columns:
            raise SpecError("columns", "say which figures to read: at least one column")
        for name, header in self.columns.items():
            _one_of(("columns", name), name, STAFFING_NUMBER_FIELDS, "a number field of project_staffing")
            _labels(("columns", name), (header,))


@dataclass(frozen=True)
class StaffRowsSpec:
    """[staff_rows]: staff by job type, one row each, under year and stage column headers (神戸's 執行体制).

    The table is found like a budget table with a blank corner: its first cell under the
    section caption `corner_under`. The rows labelled inside the vertical `group` label
    (職種等内訳) are job types; the `total` row is each year's total (合計(D)).
    """

    corner_under: tuple[str, ...]
    group: tuple[str, ...]
    total: tuple[str, ...]
    numbers: str
    match: Match = "prefix"
    # rows listed among the job types that are not part of the total (神戸's （参考：定数）, the
    # authorized posts): read as printed, their total_staff left empty
    reference: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _labels("corner_under", self.corner_under)
        if self.reference:
            _labels("reference", self.reference)
        _labels("group", self.group)
        _labels("total", self.total)


INDICATOR_TEXT_FIELDS = tuple(name for name in _record_fields(IndicatorRecord, "str | None") if name != "value_text")
# a column read as text whose figure is stored too: its text field -> its number field
INDICATOR_NUMBER_OF = {"baseline_text": "baseline", "achievement_text": "achievement_rate"}


@dataclass(frozen=True)
class IndicatorTable:
    """[[indicators]]: a table of indicators, in one of two layouts.

    `rows` (池田's 成果指標, 旭川's 施策のアウトカム): one row per indicator, the names stacked
    under the header, a column per year's figure and the `columns` it names. `pairs`
    (旭川's アウトカム in the header table): under the header, in the table's data row,
    the indicator's name across the header's width and [year label | figure] pairs.
    """

    level: str  # project_indicators.level (事業, 施策 …)
    numbers: str  # the figures' number convention ([numbers.NAME])
    kinds: tuple[str, ...]  # words of a year column's header that give its kind (実績, 見込, 目標), first found wins
    header: tuple[str, ...] = ()  # the header cell over the indicator names
    header_pattern: str = ""  # or a regular expression on the header's width-folded label
    match: Match = "exact"
    layout: Literal["rows", "pairs", "prose", "rows_under"] = "rows"
    # `prose` (京都's 事業目標: `指標：… 【数値目標：10件（数値目標の考え方：…）】`): the text the
    # `text` field reads, each indicator where `pattern` matches it; its named groups are text
    # fields of project_indicators (value_text required: its figure is the value, the rest the unit)
    text: tuple[FieldSpec, ...] = ()
    pattern: str = ""
    # a line of the prose that heads the indicators after it (＜事業効果（アウトカム）＞, （令和６年度）):
    # its group `group` fills indicator_group, and a fiscal year it names their fiscal_year
    group: str = ""
    # rows_under (神戸's 事業実績等): under the header, a row of year headers, then each indicator's
    # name across the table over its row of figures; the label left of a row is its group,
    # and a row of figures without a name above it is named by that label
    unit_pattern: str = ""  # the unit inside an indicator's name or group: its first group (（単位：円）)
    every: bool = False  # every header that matches (several tables of one level), else the first
    # a column's label as stored: its printed lines joined by a space (R５年度 実　績), or its
    # text with a spanning header first, spaces collapsed (実績 R2: 旭川's stored keys)
    column_label: Literal["lines", "text"] = "lines"
    columns: dict[str, str] = field(default_factory=dict)  # text field of project_indicators -> its column header (prefix)

    def __post_init__(self) -> None:
        if self.layout == "prose":
            self._check_prose()
        elif bool(self.header) == bool(self.header_pattern):
            raise SpecError(None, "say where the table is: exactly one of header or header_pattern")
        if self.header:
            _labels("header", self.header)
        if self.header_pattern:
            _regex("header_pattern", self.header_pattern)
        _labels("kinds", self.kinds)
        if not self.level.strip():
            raise SpecError("level", "an empty level")
        if self.layout in ("pairs", "rows_under") and self.columns:
            raise SpecError("columns", f"a table of layout {self.layout} has no named columns")
        if self.unit_pattern:
            _regex("unit_pattern", self.unit_pattern, groups=1)
        for name, header in self.columns.items():
            _one_of(("columns", name), name, INDICATOR_TEXT_FIELDS, "a text field of project_indicators")
            _labels(("columns", name), (header,))

    def _check_prose(self) -> None:
        """Indicators inside prose: the text read, a pattern naming the fields, no table keys."""
        if not self.text:
            raise SpecError("text", "say where the prose is: a text field (label, value …)")
        if self.header or self.header_pattern or self.columns:
            raise SpecError("layout", "indicators inside prose have no table: give text and pattern,"
                                      " not header or columns")
        if not self.pattern:
            raise SpecError("pattern", "say how an indicator is written: a pattern with named groups")
        _regex("pattern", self.pattern)
        groups = tuple(re.compile(self.pattern).groupindex)
        for name in groups:
            _one_of(("pattern",), name, (*INDICATOR_TEXT_FIELDS, "value_text", "indicator_name", "column_label"),
                    "a text field of project_indicators")
        if "value_text" not in groups:
            raise SpecError("pattern", "name the figure: a group (?P<value_text>…)")
        if self.group:
            _regex("group", self.group)
            if "group" not in re.compile(self.group).groupindex:
                raise SpecError("group", "name the heading's text: a group (?P<group>…)")


MARK_TABLES = (SdgRecord.TABLE, ReformViewpointRecord.TABLE)


@dataclass(frozen=True)
class MarkList:
    """[[marks]]: items each printed beside a mark cell (○), under a label (SDG goals, 視点 …).

    `items = "right"` (池田): [mark][item] pairs right of the label, each mark a narrow
    cell on its item's left. `items = "below"` (旭川's 行財政改革の視点): the items listed in
    the label's column under it, each mark in the cell on its item's right.
    """

    into: str  # the table the items fill: project_sdgs or project_reform_viewpoints
    label: tuple[str, ...] = ()
    label_pattern: str = ""  # a regular expression on the label; its group `group` names the items' group
    match: Match = "exact"
    every: bool = False  # every label that matches (else the first)
    keep: Literal["marked", "all"] = "marked"
    items: Literal["right", "below"] = "right"
    # a pattern whose first group is the item's number, digits or ①…⑳ (SDG goals: required);
    # a viewpoint with a number is the text after it, and items without one are not items
    number: str = ""

    def __post_init__(self) -> None:
        _one_of("into", self.into, MARK_TABLES, "a table of marked items")
        if bool(self.label) == bool(self.label_pattern):
            raise SpecError(None, "say where the items are: exactly one of label or label_pattern")
        if self.label:
            _labels("label", self.label)
        if self.label_pattern:
            _regex("label_pattern", self.label_pattern)
        if self.number:
            _regex("number", self.number, groups=1)
        if self.into == SdgRecord.TABLE and not self.number:
            raise SpecError("number", "an SDG goal is stored by its number: give the pattern that reads it")
        if self.items == "below" and not self.number:
            raise SpecError("number", "items listed under a label are told from their marks by their number: give its pattern")


EVALUATION_TEXT_FIELDS = tuple(
    name for name in _record_fields(EvaluationRecord, "str | None") if name != "title"
)


def check_evaluation_texts(fields: Mapping[str, object]) -> None:
    """An evaluation names at least one text, each a text field of project_evaluations."""
    if not fields:
        raise SpecError("fields", "say which texts to read: at least one field")
    for name in fields:
        _one_of(("fields", name), name, EVALUATION_TEXT_FIELDS, "a text field of project_evaluations")


@dataclass(frozen=True)
class EvaluationSpec:
    """[[evaluations]]: one evaluation (1次, 外部 …) and where each of its texts is."""

    evaluator: str
    fields: dict[str, tuple[FieldSpec, ...]]
    title: tuple[FieldSpec, ...] = ()
    # the record's box: around the labels, each text with its own box (池田), or around
    # the texts read, one block (旭川's 課題 | 方向性 | 効果 side by side)
    box: Literal["labels", "texts"] = "labels"
    # its texts may be on different pages of the project (京都: 評価 on page 1, 方向性 on page 2):
    # each from the first page that has it (else all from the first page that has any)
    across_pages: bool = False

    def __post_init__(self) -> None:
        if not self.evaluator.strip():
            raise SpecError("evaluator", "an empty evaluator (1次, 外部, 2次 …)")
        check_evaluation_texts(self.fields)


# ---- a document-level list (旭川's 総合戦略 KPI一覧) -------------------------------------------

KPI_COLUMNS = ("kpi", "unit", "department")  # the text columns of a KPI row (strategy_kpis)


@dataclass(frozen=True)
class KpiColumn:
    """[[kpi_list.columns]]: what a header of the list's table names, by words in it (the first rule that fits wins).

    A column `fills` a text of the row (kpi: its name, unit, department), named `name`
    when it is missing; or it is a value column of `slot` (現状値, 実績値 …), one record
    per row each, its fiscal year read from its header (`year = "header"`), or, for a
    column whose header names none (現状値), from the year annotation in each cell.
    """

    words: tuple[str, ...]  # compared after normalize_label
    match: Match = "contains"
    fills: str = ""
    name: str = ""  # how a finding names the column when it is missing (担当部)
    slot: str = ""
    year: Literal["header", "annotation"] = "header"
    results: bool = False  # the document's results year is the newest year of this slot with a value

    def __post_init__(self) -> None:
        _labels("words", self.words)
        if bool(self.fills) == bool(self.slot):
            raise SpecError(None, "say what the column is: exactly one of fills (a text of the row) or slot (values)")
        if self.fills:
            _one_of("fills", self.fills, KPI_COLUMNS, "a text column of the list")
            if not self.name.strip():
                raise SpecError("name", "say how a finding names this column when it is missing")
        if (self.results or self.year != "header") and not self.slot:
            raise SpecError("results" if self.results else "year", "only a value column (slot) has years")


@dataclass(frozen=True)
class KpiListSpec:
    """[kpi_list]: a document-level table of KPIs under goal headings, rows grouped by item labels (旭川's KPI一覧).

    Each table starts at its `header` cell (具体的な施策項目), the item area under it, the
    other headers right of it named by `[[kpi_list.columns]]`. The `goal` heading above a
    table (a loose line or cell) gives the goal's number and title; the document title
    is the line above the first table that contains one of `title_contains` or ends
    with one of `title_ends`. In the item area, a cell matching `item_label` is a label
    (at the area's left edge the item's, further right a sub-item's), one matching
    `label_with_text` is a label and its text (the last group is the text, the first
    other group that matched the label). A value cell is a number with, on its next
    line or in brackets, either a year `annotation` (the years it refers to, then what
    `annotation_rest` allows) or a note; words of `pending` say a figure is not known yet.
    """

    header: tuple[str, ...]
    goal: str  # the goal heading: named groups `no` (digits or 一..九十九) and `title`
    goal_label: str  # a line starting with it is a goal heading, never the title
    columns: tuple[KpiColumn, ...]
    item_label: str
    label_with_text: str
    title_contains: tuple[str, ...] = ()
    title_ends: tuple[str, ...] = ()
    remark: str = "※"  # a line of the KPI cell starting with it begins the KPI's remark
    pending: tuple[str, ...] = ()
    annotation_rest: str = ""  # what may follow the year inside a year annotation ((の)?(累計|…)?)
    # the aggregation an annotation states: its name -> words (the first name whose word is in it)
    aggregation: dict[str, tuple[str, ...]] = field(default_factory=dict)
    match: Match = "prefix"

    def __post_init__(self) -> None:
        _labels("header", self.header)
        _labels("goal_label", (self.goal_label,))
        _regex("goal", self.goal)
        if not {"no", "title"} <= set(re.compile(self.goal).groupindex):
            raise SpecError("goal", "name the goal's number and title: groups (?P<no>…) and (?P<title>…)")
        _regex("item_label", self.item_label)
        _regex("label_with_text", self.label_with_text, groups=2)
        if self.annotation_rest:
            _regex("annotation_rest", self.annotation_rest)
        for name in ("title_contains", "title_ends", "pending"):
            if getattr(self, name):
                _labels(name, getattr(self, name))
        for name, words in self.aggregation.items():
            _labels(("aggregation", name), words)
        filled = [column.fills for column in self.columns if column.fills]
        for number, column in enumerate(self.columns, start=1):
            if column.fills and filled.count(column.fills) > 1:
                raise SpecError(("columns", number, "fills"), f"{column.fills!r} is filled by two rules")
        if "kpi" not in filled:
            raise SpecError("columns", "say which column names the KPI: a rule with fills = \"kpi\"")
        if not any(column.slot for column in self.columns):
            raise SpecError("columns", "say which columns hold values: at least one rule with a slot")

    @property
    def slots(self) -> tuple[str, ...]:
        """The value slots, in the order of the rules (named together when none is printed)."""
        return tuple(dict.fromkeys(column.slot for column in self.columns if column.slot))


# ---- the whole file -----------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateSpec:
    """A whole template file."""

    template: TemplateInfo
    page: tuple[PageRole, ...]  # [[page]]: each kind of page
    project: ProjectSpec | None = None  # a sheet per project; or
    kpi_list: KpiListSpec | None = None  # a document-level list of KPIs
    settings: Tolerances = field(default_factory=Tolerances)
    numbers: dict[str, NumberRule] = field(default_factory=dict)
    document: DocumentSpec = field(default_factory=DocumentSpec)
    budget: BudgetSpec | None = None
    staffing: StaffingSpec | None = None
    staff_rows: StaffRowsSpec | None = None
    indicators: tuple[IndicatorTable, ...] = ()
    marks: tuple[MarkList, ...] = ()
    evaluations: tuple[EvaluationSpec, ...] = ()

    def __post_init__(self) -> None:
        if not self.page:
            raise SpecError("page", "say how a page is recognized: at least one [[page]]")
        if (self.project is None) == (self.kpi_list is None):
            raise SpecError(None, "say what the document holds: [project] (a sheet per project) or [kpi_list] (a list of KPIs)")
        if self.kpi_list is not None:
            return
        assert self.project is not None
        roles = tuple(page.role for page in self.page)
        for role in self.project.starts_on:
            _one_of(("project", "starts_on"), role, roles, "a role of [[page]]")
        named = tuple(self.numbers)
        if self.budget is not None:
            self._numbers_named(("budget", "numbers"), self.budget.numbers, named)
            for lines in ("rows", "columns", "cells"):
                for number, row in enumerate(getattr(self.budget, lines), start=1):
                    if row.numbers:
                        self._numbers_named(("budget", lines, number, "numbers"), row.numbers, named)
        if self.staffing is not None:
            self._numbers_named(("staffing", "numbers"), self.staffing.numbers, named)
        if self.staff_rows is not None:
            self._numbers_named(("staff_rows", "numbers"), self.staff_rows.numbers, named)
        for number, page in enumerate(self.page, start=1):
            if page.missing and not self.project.starts_on:
                raise SpecError(("page", number, "missing"), "a missing page needs projects of several pages:"
                                                            " give [project] starts_on")
        for number, table in enumerate(self.indicators, start=1):
            self._numbers_named(("indicators", number, "numbers"), table.numbers, named)

    @staticmethod
    def _numbers_named(key: tuple[str | int, ...], name: str, named: tuple[str, ...]) -> None:
        if name not in named:
            known = ", ".join(named) or "none yet"
            raise SpecError(key, f"no [numbers.{name}] in this file (defined: {known})")


def required_keys(cls: type) -> tuple[str, ...]:
    """The keys a table of this kind must have (its fields without a default)."""
    return tuple(
        f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING
    )
