"""A template written as a file: pages recognized and read as its `TemplateSpec` says.

`FileTemplate` is a `Template` like any other: the registry asks it to score pages and
hands it the pages it won. Reading is a pipeline of small steps over the shared grid
machinery (`hyoka.extractors.grid`, `hyoka.extractors.tables`): pages grouped into projects, then
per project its code, its fields, its marked items, its budget table, its staffing, its
indicator tables and its evaluations, each read from the first page of the project that
has it (so a section may move from one page to the next), the pages it lacks, the
template's hooks (`hyoka.extractors.template_hooks`), then the document's own fields.
Every value is found from a label; the only numbers are the template's tolerances.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from itertools import chain, islice
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from hyoka.extractors.grid import BBox, Cell, PageGrid, TextLine, labels_starting
from hyoka.extractors.records import (
    BUDGET_SOURCE_PART_OF,
    BudgetItemRecord,
    BudgetRecord,
    BudgetSourceRecord,
    EvaluationRecord,
    ExtraFieldRecord,
    Extraction,
    IndicatorRecord,
    IssueRecord,
    PageRecord,
    ProjectRecord,
    Record,
    ReformViewpointRecord,
    SdgRecord,
    StaffingRecord,
    StrategyKpiRecord,
    StrategyKpiValueRecord,
)
from hyoka.extractors.kpi_list import municipality_from_title, read_kpi_list, title_issues
from hyoka.extractors.tables import (
    BUDGET_COLUMN_SOURCES,
    Column,
    DASH_IS_NO_FIGURE,
    DASH_IS_ZERO,
    DashRule,
    StageColumn,
    TableRow,
    answered_once,
    box_below_line,
    budget_source_records,
    cell_in_column,
    cell_in_row,
    cell_right_of_line,
    cells_across,
    columns_right_of,
    data_row,
    forget_pages,
    funding_source,
    header_columns,
    header_stack,
    label_matches,
    labelled_rows,
    labels_matching,
    marked_items,
    page_answers,
    read_number,
    row_cells,
    stacked_below,
    stage_columns,
    stage_rows,
    union_bbox,
)
from hyoka.extractors.template import PageMatch, best_role, new_extraction
from hyoka.extractors.template_hooks import HOOKS
from hyoka.extractors.template_schema import (
    INDICATOR_NUMBER_OF,
    BudgetCell,
    BudgetRow,
    BudgetSpec,
    ChoiceSpec,
    EvaluationSpec,
    FieldSpec,
    IndicatorTable,
    KpiListSpec,
    MarkList,
    NumberRule,
    ProjectSpec,
    SplitField,
    StaffRowsSpec,
    StaffingSpec,
    TemplateSpec,
    TextPart,
    Tolerances,
)
from hyoka.identity import derived_code
from hyoka.normalize import (
    clean_text,
    digits_only,
    find_fiscal_year,
    fold_width,
    is_placeholder,
    normalize_label,
    split_bracketed,
    with_era,
)

Pages = list[tuple[PageGrid, str]]
T = TypeVar("T")
BudgetTable = tuple[list[BudgetRecord], list[BudgetSourceRecord], list[BudgetItemRecord]]

# funding source -> the project_budgets column it fills (国・府支出金 → 国・都道府県 → national_prefecture)
SOURCE_COLUMNS: dict[str, str] = {source: column for column, source in BUDGET_COLUMN_SOURCES.items()}


class FileTemplate:
    """A template read from a template file (see docs/adding-a-template.md)."""

    def __init__(self, spec: TemplateSpec, source: Path) -> None:
        self.spec = spec
        self.source = source  # the file it was read from
        self.name = spec.template.name
        self.doc_type = spec.template.doc_type
        self.municipality: str | None = spec.template.municipality or None
        self.description = spec.template.description
        # a file template reads projects (or a list's KPIs): a page it recognizes that gives none is flagged no_records
        self.main_record: type[Record] = StrategyKpiRecord if spec.kpi_list is not None else ProjectRecord
        self._roles = {page.role: page.anchors for page in spec.page}
        self._missing = {page.role: page.missing for page in spec.page if page.missing}

    def __repr__(self) -> str:
        return f"FileTemplate({self.name!r} from {self.source})"

    # ---- the conventions a caller may ask about (hyoka.extractors.template.Template) ----
    @property
    def money_dash(self) -> DashRule | None:
        """What a lone dash means in the budget table."""
        return dash_rule(self.numbers(self.spec.budget.numbers)) if self.spec.budget else None

    @property
    def indicator_dash(self) -> DashRule | None:
        """What a lone dash means in the (first) indicator table."""
        return dash_rule(self.numbers(self.spec.indicators[0].numbers)) if self.spec.indicators else None

    @property
    def money_blank_is_zero(self) -> bool:
        """Whether a blank funding source counts as 0 in the funding sum."""
        return bool(self.spec.budget and self.numbers(self.spec.budget.numbers).blank_is_zero)

    @property
    def project_spec(self) -> ProjectSpec:
        """`[project]`: how pages make projects (only a template of project sheets reads projects)."""
        if self.spec.project is None:
            raise TypeError(f"{self.name} reads a list, not projects")
        return self.spec.project

    def numbers(self, name: str) -> NumberRule:
        """The number convention `[numbers.NAME]` of this file."""
        return self.spec.numbers[name]

    # ---- Template ----
    def recognize(self, grid: PageGrid) -> PageMatch:
        """Score the page against the anchors of each `[[page]]` role."""
        return best_role(grid, self._roles)

    def read(self, pages: Pages) -> Extraction:
        """The pages this template won, grouped into projects and read; then the document's fields."""
        return self.read_traced(pages, None)

    def read_traced(self, pages: Pages, trace: ReadTrace | None) -> Extraction:
        """As `read`, telling `trace` (when given) what each item of the file found (`hyoka template check`)."""
        with page_answers():  # each page answers a question once while it is read (the same label for many items)
            return self._read_pages(pages, trace)

    def _read_pages(self, pages: Pages, trace: ReadTrace | None) -> Extraction:
        """`read_traced`, within its pages' answers."""
        if self.spec.kpi_list is not None:
            first_role = self.spec.page[0].role  # a page handed over without its role is the first kind
            pages = [(grid, role or first_role) for grid, role in pages]
            extraction = read_kpi_list(self, self.spec.kpi_list, self.spec.document, self.spec.settings, pages)
            if trace is not None:
                trace_kpi_list(trace, self.spec.kpi_list, pages, extraction)
            return extraction
        extraction = new_extraction(self, pages)
        same_code = self.page_code if self.project_spec.continues == "same_code" else None
        for project_pages in group_projects(pages, self.project_spec.starts_on, same_code):
            self.read_project(project_pages, extraction, trace)
            forget_pages(grid for grid, _ in project_pages)  # (a book's answers would add up: work for the GC)
        grids = [grid for grid, _ in pages]
        parts = title_parts(grids, self.spec.document.title, self.spec.settings)
        extraction.title = " ".join(found.text for part in parts for found in part if found.text) or None
        if self.spec.document.municipality:  # the city named in the title (a list of any city of one layout)
            extraction.municipality = municipality_from_title(extraction.title or "", self.spec.document) or self.municipality
            first_page = min((grid.page_number for grid in grids), default=None)
            extraction.issues += title_issues(extraction.title, extraction.municipality, first_page)
        if trace is not None:
            for number, (spec, found) in enumerate(zip(self.spec.document.title, parts), start=1):
                trace.note(f"document.title[{number}]", (spec,), grids, None, found=found)
        extraction.results_fiscal_year = self.results_fiscal_year(grids, extraction, trace)
        return extraction

    # ---- one project ----
    def page_code(self, grid: PageGrid) -> str:
        """The project code one page prints (digits; "" when it prints none)."""
        found = read_first([grid], self.project_spec.code, self.spec.settings)
        return digits_only(found[0].text or "") if found else ""

    def read_alone(self, grid: PageGrid, role: str, levels: tuple[str, ...] | None = None) -> Extraction | None:
        """The records one page gives as a project of its own (for a hook); None when it prints no code label.

        `levels`: only the indicator tables of these levels, and none of the project's marks, evaluations or
        extras (a hook comparing one table need not read the rest).
        """
        if not read_first([grid], self.project_spec.code, self.spec.settings):
            return None
        scratch = new_extraction(self, [(grid, role)])
        self.read_project([(grid, role)], scratch, hooks=False, levels=levels)
        return scratch

    def read_project(self, pages: Pages, extraction: Extraction, trace: ReadTrace | None = None, *,
                     hooks: bool = True, levels: tuple[str, ...] | None = None) -> None:
        """Read one project's pages into records, in the order the record tables are filed.

        `levels` (a hook's reading of one page): only the indicator tables of these levels, no marks, evaluations
        or extras.
        """
        spec, settings = self.spec, self.spec.settings
        whole = levels is None  # a hook compares the header table: the rest is not read for it
        grids = [grid for grid, _ in pages]
        first = grids[0]
        code_found = read_first(grids, self.project_spec.code, settings)
        raw = (code_found[0].text or "") if code_found else ""
        code = digits_only(raw) or derive_code(grids, self.project_spec.code_from, self.project_spec.fields, settings)
        if not code:
            extraction.issues.append(IssueRecord(first.page_number, ProjectRecord.TABLE, "", "project_code",
                                                 "missing_project_code", detail=self.project_spec.code_name))
        project = ProjectRecord(page=first.page_number, first_page=first.page_number, last_page=grids[-1].page_number,
                                project_code=code, project_code_raw=raw, raw_text=raw,
                                bbox=code_found[0].bbox if code_found else None)
        if code_found and code_found[0].bbox is not None:
            project.cell_bboxes["project_code"] = code_found[0].bbox
        if self.project_spec.code_number and code:
            setattr(project, self.project_spec.code_number, int(code))
        if trace is not None and self.project_spec.code:  # (a derived code is its fields', traced with them)
            trace.note("project.code", self.project_spec.code, grids, code, found=code_found)
        read_project_fields(grids, self.project_spec.fields, project, settings, trace)
        read_project_parts(grids, self.project_spec.parts, project, settings)
        missing: list[str] = []  # items the file expects for every project that no page of this one has
        for name, alternatives in self.project_spec.fields.items():
            if getattr(project, name) is None and not any(has_anchor(grids, field_) for field_ in alternatives):
                missing.append(f"project.fields.{name}")
        for number, marks in enumerate(spec.marks if whole else (), start=1):
            rows = first_found(grids, read_marks, marks, code, settings) or []
            extraction.extend(rows)
            if not rows and not any(anchor_cells(grid, marks.label, marks.match, marks.label_pattern) for grid in grids):
                missing.append(f"marks[{number}]")
            if trace is not None:
                trace.note(f"marks[{number}]", marks, grids, code, rows=rows)
        if spec.budget is not None:
            budgets, sources, items = first_found(grids, self._budget_table_if_any, code) or ([], [], [])
            budgets = budgets + read_budget_cells(grids, spec.budget, spec.numbers, code, settings)
            extraction.extend(budgets)
            extraction.extend(sources)
            extraction.extend(items)
            if not budgets:
                extraction.issues.append(IssueRecord(first.page_number, BudgetRecord.TABLE, code, None,
                                                     "missing_budget_table"))
            else:
                rules = (*spec.budget.rows, *spec.budget.columns)
                if any(rule.funding_source for rule in rules) and not sources:
                    missing.append("budget: its funding sources")
                if any(rule.items for rule in rules) and not items:
                    missing.append("budget: its cost items")
            if trace is not None:
                trace.note("budget", spec.budget, grids, code, rows=[*budgets, *sources, *items])
        if spec.staffing is not None:
            staffing = first_found(grids, read_staffing, spec.staffing, self.numbers(spec.staffing.numbers), code,
                                   settings)
            if staffing is not None:
                extraction.add(staffing)
            else:
                missing.append("staffing")
            if trace is not None:
                trace.note("staffing", spec.staffing, grids, code, rows=[staffing] if staffing is not None else [])
        if spec.staff_rows is not None:
            staff = first_found(grids, read_staff_rows, spec.staff_rows, self.numbers(spec.staff_rows.numbers), code,
                                settings, spec.document.era) or []
            extraction.extend(staff)
            if trace is not None:
                trace.note("staff_rows", spec.staff_rows, grids, code, rows=staff)
        tables = []
        for number, table in enumerate(spec.indicators, start=1):
            if levels is not None and table.level not in levels:
                continue
            if table.layout == "prose":  # the prose may go on over a page break: read on the project's pages
                found = read_prose_indicators(grids, table, self.numbers(table.numbers), code, settings)
            else:
                found = first_found(grids, read_indicator_tables, table, self.numbers(table.numbers), code,
                                    settings, spec.document.era) or []
            tables.append(found)
            if not found and not table_printed(grids, table):
                missing.append(f"indicators[{number}] ({table.level})")  # a header over no rows is an empty table
            if trace is not None:
                trace.note(f"indicators[{number}]", table, grids, code, rows=[r for t in found for r in t.records])
        # in reading order, whatever the order of the file's [[indicators]]: the page, then the header's place
        for read in sorted((t for found in tables for t in found), key=lambda t: (grids.index(t.grid), t.place)):
            extraction.extend(read.records)
        for number, evaluation in enumerate(spec.evaluations if whole else (), start=1):
            if evaluation.across_pages:
                record = read_evaluation_across(grids, evaluation, code, settings)
            else:
                record = first_found(grids, read_evaluation, evaluation, code, settings)
            if record is not None:
                extraction.add(record)
            else:
                missing.append(f"evaluations[{number}] ({evaluation.evaluator})")
            if trace is not None:
                trace_evaluation(trace, f"evaluations[{number}]", evaluation, grids, record, code, settings)
        if whole:
            extraction.extend(read_project_extras(grids, self.project_spec.extras, code, settings, trace))
        extraction.add(project)
        for grid, role in pages:
            extraction.add(PageRecord(page=grid.page_number, template=self.name, page_role=role, project_code=code))
        roles = {role for _, role in pages}
        lost_pages = [check for role, check in self._missing.items() if role not in roles]
        for check in lost_pages:
            extraction.issues.append(IssueRecord(first.page_number, ProjectRecord.TABLE, project.key(), None, check))
        # a hook reading one table alone expects nothing else; a missing page already says why its items are
        if missing and levels is None and not lost_pages:
            extraction.issues.append(IssueRecord(first.page_number, ProjectRecord.TABLE, project.key(), None,
                                                 "template_item_not_found", detail=", ".join(missing)))
        for name in self.project_spec.hooks if hooks else ():
            extraction.issues += HOOKS[name](self, pages, code)

    def _budget_table_if_any(self, grid: PageGrid, code: str) -> BudgetTable | None:
        """The page's budget table, None when the page has none (it may be on the project's next page)."""
        table = self.read_budget_table(grid, code)
        return table if table[0] else None

    def read_budget_table(self, grid: PageGrid, code: str) -> BudgetTable:
        """The budget table of one page: a BudgetRecord per column, its sources as long rows, its cost items."""
        assert self.spec.budget is not None
        return read_budget_table(grid, self.spec.budget, self.spec.numbers, code, self.spec.settings,
                                 self.spec.document.era)

    def read_indicators(self, grid: PageGrid, code: str, table: IndicatorTable | None = None) -> list[IndicatorRecord]:
        """The rows of an indicator table (the template's first by default) on one page."""
        table = table or self.spec.indicators[0]
        found = read_indicator_tables(grid, table, self.numbers(table.numbers), code, self.spec.settings)
        return [record for read in found or [] for record in read.records]

    def results_fiscal_year(self, grids: list[PageGrid], extraction: Extraction,
                            trace: ReadTrace | None = None) -> int | None:
        """The year named where the template says (the first page's, or the newest page's), else the newest budget year."""
        wanted = self.spec.document.results_fiscal_year
        reads = (found for grid in grids if (found := read_first([grid], wanted.read, self.spec.settings)))
        chosen = list(reads if wanted.newest else islice(reads, 1))
        era = self.spec.document.era
        named = [span.start for found in chosen
                 if found[0].text and (span := find_fiscal_year(with_era(found[0].text, era)))]
        years = [r.fiscal_year for r in extraction.rows(BudgetRecord)
                 if r.fiscal_year and r.stage in wanted.else_newest_budget]
        year = max(named) if named else max(years) if years else None
        if trace is not None and wanted.read:
            fallback = "" if named or year is None else f"{year}: the newest {'/'.join(wanted.else_newest_budget)} column"
            trace.note("document.results_fiscal_year.read", wanted.read, grids, None,
                       found=chosen[0] if chosen else (), fallback=fallback)
        return year


def derive_code(grids: list[PageGrid], names: tuple[str, ...], fields: dict[str, tuple[FieldSpec, ...]],
                settings: Tolerances) -> str:
    """A project's code from the fields that name it ([project] code_from), "" when one of them is not printed."""
    if not names:
        return ""
    texts = [found[0].text if (found := read_first(grids, fields[name], settings)) else None for name in names]
    return derived_code(*[t for t in texts if t]) if all(texts) else ""


def group_projects(pages: Pages, starts_on: tuple[str, ...],
                   same_code: Callable[[PageGrid], str] | None = None) -> list[Pages]:
    """Pages in order, cut where a page of a starting role begins a project (no roles: every page does).

    With `same_code` (the code a page prints), a following page joins the project only
    when the project has no page of its role yet and, if it has a starting page, that
    page prints the same code; otherwise it is a project of its own (旭川's page 2 without
    its page 1).
    """
    groups: list[Pages] = []
    for grid, role in pages:
        if not groups or not starts_on or role in starts_on:
            groups.append([(grid, role)])
        elif same_code is None or _joins(groups[-1], grid, role, starts_on, same_code):
            groups[-1].append((grid, role))
        else:
            groups.append([(grid, role)])
    return groups


def _joins(group: Pages, grid: PageGrid, role: str, starts_on: tuple[str, ...],
           same_code: Callable[[PageGrid], str]) -> bool:
    """Whether a page of a following role belongs to the project so far (same_code grouping)."""
    if any(role == other for _, other in group):
        return False
    start = next((page for page, other in group if other in starts_on), None)
    return start is None or same_code(grid) == same_code(start)


def first_found(grids: list[PageGrid], read: Callable[..., T | None], *args: Any) -> T | None:
    """What `read(grid, *args)` finds on the first page of the project that has it (a section may move)."""
    for grid in grids:
        found = read(grid, *args)
        if found:
            return found
    return None


# ---------------------------------------------------------------------------------------
# anchors: cells by their label, text lines outside every cell by their caption


def anchor_cells(grid: PageGrid, labels: tuple[str, ...], match: str, pattern: str = "") -> list[Cell]:
    """The cells whose label fits (or whose width-folded label matches `pattern`), in reading order."""
    # a label is looked for again for each item, hook and check that names it
    return list(answered_once(grid, ("anchor_cells", labels, match, pattern), (),
                              lambda: find_anchor_cells(grid, labels, match, pattern)))


def find_anchor_cells(grid: PageGrid, labels: tuple[str, ...], match: str, pattern: str = "") -> list[Cell]:
    """`anchor_cells`, looked for."""
    if pattern:  # each label the page prints is tried once, not once a cell
        # (a label is width-folded already: `normalize_label` folds, and nothing it makes folds further)
        search = re.compile(pattern).search
        return cells_labelled(grid, {label for label in page_labels(grid) if search(label)})
    wanted = [normalize_label(label) for label in labels]
    if match in ("exact", "prefix"):  # the grid's label index answers these without a scan of every cell
        keys = wanted if match == "exact" else [key for w in wanted for key in labels_starting(grid.cell_labels, w)]
        found = {c.index: c for key in keys for c in grid.cells_by_label.get(key, [])}
        return sorted(found.values(), key=lambda c: (round(c.top), c.x0, c.index)) if found else []
    return cells_labelled(grid, {label for w in wanted for label in labels_matching(grid.cells_by_label, w, match)})


def cells_labelled(grid: PageGrid, labels: set[str]) -> list[Cell]:
    """The cells with one of these labels, in reading order."""
    return grid.find_all(lambda c: c.label in labels) if labels else []


def page_labels(grid: PageGrid) -> set[str]:
    """The labels of the page's cells ('' of those without text too)."""
    return answered_once(grid, "page_labels", (), lambda: {cell.label for cell in grid.cells})


def caption_lines(grid: PageGrid, captions: tuple[str, ...], match: str) -> list[TextLine]:
    """The text lines outside every cell whose label fits a caption, in reading order."""
    def find() -> list[TextLine]:
        wanted = [normalize_label(caption) for caption in captions]
        return [line for line in grid.loose_lines if any(label_matches(normalize_label(line.text), w, match) for w in wanted)]

    return list(answered_once(grid, ("caption_lines", captions, match), (), find))


def _line_box(line: TextLine) -> BBox:
    """A text line's box."""
    return (line.x0, line.top, line.x1, line.bottom)


# ---------------------------------------------------------------------------------------
# fields: a value found by its label


@dataclass
class Found:
    """A field's value on a page: its text, the box it came from, and the label cell it was found by."""

    text: str | None
    bbox: BBox | None
    anchor: Cell | None
    page: int
    # for `hyoka template check`: the text before remove/pattern/choice, every cell's box it was
    # read from, and the box of the label cell or caption line it was found by
    raw: str | None = None
    boxes: tuple[BBox, ...] = ()
    anchor_box: BBox | None = None
    cells: list[Cell] = field(default_factory=list)  # the cells the text was read from


def _cells_text(cells: list[Cell], join: str = "lines") -> str | None:
    """The cells' texts, one per line, or (a code printed a group per cell) by a space; None when all are blank."""
    if join == "spaces":
        return " ".join(c.text.strip() for c in cells if c.text) or None
    return clean_text("\n".join(c.text for c in cells if c.text))


def _cells_box(cells: list[Cell], join: str = "lines") -> BBox | None:
    """Where a value was read: its first cell, or around the printed ones of a value spread over cells."""
    if join == "spaces":
        return union_bbox([c for c in cells if c.text])
    return cells[0].bbox if cells else None


def value_cells(grid: PageGrid, start: Cell, spec: FieldSpec, settings: Tolerances) -> list[Cell]:
    """The cells holding the value of a label cell: right of it, below it, under it in its table, or itself."""
    if spec.value in ("under", "header"):
        stack, under = header_stack(grid, start, settings.edge)
        return stack if spec.value == "header" else under
    if spec.value == "self":
        return [start]
    if spec.value == "row":  # every cell right of the label, left to right (神戸's 実施方法 by year)
        row: list[Cell] = []
        while (right := grid.right_of(row[-1] if row else start, settings.edge)):
            row.append(right[0])
        return row
    step = grid.right_of if spec.value == "right" else grid.below
    cells = step(start, settings.edge)
    for _ in range(spec.skip):  # past the cells before the value (a number before its title)
        cells = step(cells[0], settings.edge) if cells else []
    return cells


def from_caption(grid: PageGrid, line: TextLine, spec: FieldSpec, settings: Tolerances) -> Found:
    """A caption's value: its own text, the box right of it on its row, or the framed box under it."""
    if spec.value == "self":
        text = clean_text(line.text)
        return Found(text, _line_box(line), None, grid.page_number, text, (_line_box(line),), _line_box(line))
    if spec.value == "right":
        box = cell_right_of_line(grid, line, settings.caption_gap, settings.edge)
    else:
        box = box_below_line(grid, line, settings.box_gap, settings.edge)
    text = clean_text(box.text) if box else None
    return Found(text, box.bbox if box else None, None, grid.page_number, text, (box.bbox,) if box else (),
                 _line_box(line))


def via_below(grid: PageGrid, anchor: Cell, spec: FieldSpec, settings: Tolerances) -> Cell | None:
    """The cell a label's value is read from: the label itself, or the `via_below` cell under it (None if none)."""
    if not spec.via_below:
        return anchor
    wanted = normalize_label(spec.via_below)
    return next((c for c in grid.below(anchor, settings.edge) if c.label == wanted), None)


def from_label(grid: PageGrid, anchor: Cell, spec: FieldSpec, settings: Tolerances) -> Found:
    """A label cell's value, through the `via_below` cell when the template names one."""
    start = via_below(grid, anchor, spec, settings)
    cells = value_cells(grid, start, spec, settings) if start is not None else []
    text = _cells_text(cells, spec.join)
    return Found(text, _cells_box(cells, spec.join), anchor, grid.page_number, text,
                 tuple(c.bbox for c in cells), anchor.bbox, cells)


def refine(text: str | None, spec: FieldSpec) -> tuple[bool, str | None]:
    """The value after `remove`, `pattern`, `choice` and `digits`: (whether it reads, the text)."""
    if text is not None and spec.remove:
        text = re.sub(spec.remove, "", text).strip() or None
    if spec.pattern:
        found = re.search(spec.pattern, text or "")
        if found is None:
            return False, None
        text = clean_text(found.group(1) if found.re.groups else found.group())
    if spec.choice is not None and text is not None:
        text = chosen_option(text, spec.choice)
    if spec.digits and not digits_only(text or ""):
        return False, None
    return True, text


def read_field(grid: PageGrid, spec: FieldSpec, settings: Tolerances, *, every: bool = False) -> list[Found]:
    """One way of reading a field on one page: the values it finds (the first, or every one)."""
    # a field is read again on a page by a hook, a missing-item check, the next field's alternatives
    found = answered_once(grid, ("read_field", id(spec), id(settings), every), (spec, settings),
                          lambda: find_field(grid, spec, settings, every=every))
    return list(found)  # the values are shared: `continued` goes on with a copy


def find_field(grid: PageGrid, spec: FieldSpec, settings: Tolerances, *, every: bool = False) -> list[Found]:
    """`read_field`, read."""
    if spec.caption:
        lines = caption_lines(grid, spec.caption, spec.match)
        found = [from_caption(grid, line, spec, settings) for line in (lines if every else lines[:1])]
    else:
        anchors = anchor_cells(grid, spec.label, spec.match, spec.label_pattern)
        found = [from_label(grid, anchor, spec, settings) for anchor in (anchors if every else anchors[:1])]
    kept: list[Found] = []
    for item in found:
        reads, item.text = refine(item.text, spec)
        if reads:
            kept.append(item)
    return kept


def table_printed(grids: list[PageGrid], table: IndicatorTable) -> bool:
    """Whether an indicator table is on the pages: its header, or (prose) the label of the text it is in."""
    if table.layout == "prose":
        return any(has_anchor(grids, spec) for spec in table.text)
    return any(anchor_cells(grid, table.header, table.match, table.header_pattern) for grid in grids)


def has_anchor(grids: list[PageGrid], spec: FieldSpec) -> bool:
    """Whether a field's label or caption is printed on any of the pages (its value may still be blank)."""
    if spec.caption:
        return any(caption_lines(grid, spec.caption, spec.match) for grid in grids)
    return any(anchor_cells(grid, spec.label, spec.match, spec.label_pattern) for grid in grids)


def read_first(grids: list[PageGrid], alternatives: tuple[FieldSpec, ...], settings: Tolerances) -> list[Found]:
    """A field's value: the first page of the project, and the first alternative on it, that reads ([] if none)."""
    for grid in grids:
        for spec in alternatives:
            found = read_field(grid, spec, settings)
            if found:
                if spec.continues_unless:  # (on a copy: `read_field` shares its values)
                    found[0] = continued(grids, grid, copy.copy(found[0]), spec, settings)
                return found
    return []


def _page_index(grids: list[PageGrid], grid: PageGrid) -> int:
    """Where a page is among the project's pages (by identity: pages are not compared by value)."""
    return next(number for number, page in enumerate(grids) if page is grid)


def continuation(grids: list[PageGrid], grid: PageGrid, last: Cell, heading: str,
                 settings: Tolerances) -> tuple[PageGrid, Cell] | None:
    """The next page and the cell on it that goes on with `last`; None when the value ends on its page.

    The value goes on when its cell ends its page (no cell under it) and the next page's
    first cell after its repeated header (cells whose labels this page has too) is not
    the next section's heading (`heading`, a pattern on its printed text).
    """
    after = _page_index(grids, grid) + 1
    if after >= len(grids) or grid.below(last, settings.edge):
        return None
    repeated = {cell.label for cell in grid.cells if cell.label}
    following = sorted(grids[after].cells, key=lambda c: (round(c.top), c.x0))
    first = next((cell for cell in following if cell.label not in repeated), None)
    if first is None or not first.text.strip() or re.search(heading, first.text):
        return None
    return grids[after], first


def continued(grids: list[PageGrid], grid: PageGrid, found: Found, spec: FieldSpec, settings: Tolerances) -> Found:
    """A value with the cells it goes on with on the following pages (`continues_unless`), a line break between."""
    while found.cells and (more := continuation(grids, grid, found.cells[-1], spec.continues_unless, settings)):
        grid, cell = more
        text = re.sub(spec.remove, "", cell.text) if spec.remove else cell.text
        found.text = clean_text("\n".join(t for t in (found.text, text) if t))
        found.raw = clean_text("\n".join(t for t in (found.raw, cell.text) if t))
        found.cells = [*found.cells, cell]
        found.boxes = (*found.boxes, cell.bbox)
    return found


def read_project_fields(grids: list[PageGrid], wanted: dict[str, tuple[FieldSpec, ...]], project: ProjectRecord,
                        settings: Tolerances, trace: ReadTrace | None = None) -> None:
    """[project.fields]: each text field of `projects`, its box, its page, and the years it names."""
    for name, alternatives in wanted.items():
        found = read_first(grids, alternatives, settings)
        if trace is not None:
            trace.note(f"project.fields.{name}", alternatives, grids, project.project_code, found=found)
        if not found:
            setattr(project, name, None)
            continue
        value = found[0]
        setattr(project, name, value.text)
        if value.bbox is not None:
            project.cell_bboxes[name] = value.bbox
            if value.page != project.page:
                project.cell_pages[name] = value.page
        years = next((spec.years for spec in alternatives if spec.years), ())
        span = find_fiscal_year(value.text) if value.text and years else None
        if span:
            setattr(project, years[0], span.start)
            if len(years) > 1:
                setattr(project, years[1], span.end)


def read_project_extras(grids: list[PageGrid], wanted: dict[str, tuple[FieldSpec, ...]], code: str,
                        settings: Tolerances, trace: ReadTrace | None = None) -> list[ExtraFieldRecord]:
    """[project.extras]: a row of project_extra_fields per label whose value reads (none for one not found)."""
    records = []
    for label, alternatives in wanted.items():
        found = read_first(grids, alternatives, settings)
        if trace is not None:
            trace.note(f"project.extras.{label}", alternatives, grids, code, found=found)
        if not found or found[0].text is None:
            continue
        value = found[0]
        records.append(ExtraFieldRecord(page=value.page, bbox=value.bbox, raw_text=value.raw or value.text or "",
                                        project_code=code, label=label, value_text=value.text))
    return records


def read_project_parts(grids: list[PageGrid], wanted: dict[str, SplitField], project: ProjectRecord,
                       settings: Tolerances) -> None:
    """[project.parts]: each value split by its pattern's named groups into `projects` fields."""
    for spec in wanted.values():
        found = read_first(grids, (spec.whole,), settings)
        value = found[0] if found else None
        for name, text in split_value(value.text if value else None, spec).items():
            setattr(project, name, text)
            if value is not None and value.bbox is not None:
                project.cell_bboxes[name] = value.bbox
                if value.page != project.page:
                    project.cell_pages[name] = value.page


def split_value(text: str | None, spec: SplitField) -> dict[str, str | None]:
    """The fields a value's named groups give (None for a group that matched nothing or only spaces)."""
    found = re.search(spec.pattern, text or "")
    parts: dict[str, str | None] = dict.fromkeys(spec.groups)
    for name in spec.groups:
        part = found.group(name) if found else None
        if part and name in spec.compact:
            part = re.sub(r"\s", "", fold_width(part))
        parts[name] = part if part and part.strip() else None
    return parts


def title_parts(grids: list[PageGrid], parts: tuple[TextPart, ...], settings: Tolerances) -> list[list[Found]]:
    """What each part of the title reads, on the first page where any part reads (the title joins them)."""
    for grid in grids:
        found = [[f for f in read_field(grid, part, settings, every=part.every) if f.text] for part in parts]
        if any(found):
            return found
    return [[] for _ in parts]


_SPACES = re.compile(r"\s+")


def chosen_option(text: str, choice: ChoiceSpec) -> str | None:
    """The option printed after a marked box (● / ■), in full when the template lists the options.

    The cell is read as marks each followed by an option's text (its lines joined); the
    options after a marked mark are the value (several joined by a newline).
    """
    marks = "".join(re.escape(mark) for mark in (*choice.marked, *choice.unmarked))
    if choice.by_position:  # the k-th mark is the k-th option's, wherever the words wrapped
        printed = re.findall(f"[{marks}]", text)
        if len(printed) != len(choice.options):
            return None  # not the options the template lists: nothing is guessed
        return "\n".join(o for o, mark in zip(choice.options, printed) if mark in choice.marked) or None
    pieces = re.split(f"([{marks}])", _SPACES.sub(" ", text))
    chosen = [pieces[i + 1].strip() for i in range(1, len(pieces) - 1, 2) if pieces[i] in choice.marked]
    return "\n".join(_full_option(option, choice.options) for option in chosen if option) or None


def _full_option(printed: str, options: tuple[str, ...]) -> str:
    """The listed option a printed one is (the same, or the only one it begins), else as printed."""
    printed_label = normalize_label(printed)
    labels = {normalize_label(option): option for option in options}
    if printed_label in labels:
        return labels[printed_label]
    starting = [option for label, option in labels.items() if label.startswith(printed_label)]
    return starting[0] if len(starting) == 1 else printed


# ---------------------------------------------------------------------------------------
# number conventions


def dash_rule(rule: NumberRule) -> DashRule:
    """The shared `DashRule` a number convention's `dash` names."""
    return DASH_IS_ZERO if rule.dash == "zero" else DASH_IS_NO_FIGURE


def figure_text(raw: str, rule: NumberRule) -> str:
    """A cell's text as its figure is read: less what the convention ignores and the unit printed after it."""
    text = re.sub(rule.ignore, "", raw) if rule.ignore else raw
    if rule.unit_printed:
        text = re.sub(rf"\s*{re.escape(rule.unit)}\s*$", "", text)
    return text


def read_figure(raw: str, rule: NumberRule) -> float | None:
    """A printed figure by a table's convention (what its dash means), as printed."""
    return read_number(figure_text(raw, rule), dash_rule(rule)).value


def read_amount(raw: str, rule: NumberRule) -> float | None:
    """A printed amount of money by its table's convention, in the stored unit (千円)."""
    value = read_figure(raw, rule)
    if value is None or rule.factor == 1:
        return value
    return value * rule.factor


# ---------------------------------------------------------------------------------------
# marked items (○ lists)


@dataclass
class Marked:
    """An item of a ○ list as printed: its cell, its mark cells, the mark, and the pair's text left to right."""

    item: Cell
    marks: list[Cell]
    mark: str  # as printed, '' when unmarked
    raw_text: str


def items_right_of(grid: PageGrid, anchor: Cell, settings: Tolerances) -> list[Marked]:
    """池田's layout: [mark][item] pairs right of the label, each mark a narrow cell on its item's left."""
    band = grid.in_band(anchor.top, anchor.bottom, x0=anchor.x1)
    return [Marked(m.item, [m.mark_cell], m.mark, f"{m.mark} | {m.item.text}")
            for m in marked_items(grid, band, settings.mark_width, settings.edge)]


def items_below(grid: PageGrid, anchor: Cell, number: re.Pattern[str] | None, settings: Tolerances) -> list[Marked]:
    """旭川's layout: the items listed in the label's column under it, each mark in the cell on its item's right."""
    edge = settings.edge
    column = grid.in_band(anchor.bottom, grid.height, anchor.x0 - edge, anchor.x1 + edge)
    found: list[Marked] = []
    for item in column:
        if number is not None and not number.match(fold_width(item.text).strip()):
            continue  # a mark cell, or a cell of another block
        marks = [c for c in grid.right_of(item, edge) if c.x1 <= anchor.x1 + edge]
        mark = marks[0].text.strip() if marks else ""
        found.append(Marked(item, marks, mark, f"{item.text} | {mark}"))
    return found


def item_number(printed: str) -> int | None:
    """An item's number as printed: digits (full- or half-width) or a circled number ①…⑳."""
    folded = fold_width(printed).strip()
    if folded.isdecimal():
        return int(folded)
    if len(folded) == 1 and unicodedata.numeric(folded, -1) >= 0:
        return int(unicodedata.numeric(folded))
    return None


def read_marks(grid: PageGrid, spec: MarkList, code: str, settings: Tolerances) -> list[Record]:
    """[[marks]]: the marked items of each matching label, as rows of the table named."""
    anchors = anchor_cells(grid, spec.label, spec.match, spec.label_pattern)
    group_pattern = re.compile(spec.label_pattern) if spec.label_pattern else None
    number_pattern = re.compile(spec.number) if spec.number else None
    goals: list[SdgRecord] = []
    viewpoints: list[ReformViewpointRecord] = []
    for anchor in anchors if spec.every else anchors[:1]:
        named = group_pattern.search(fold_width(anchor.label)) if group_pattern else None
        group = named.groupdict().get("group") if named else None
        items = (items_below(grid, anchor, number_pattern, settings) if spec.items == "below"
                 else items_right_of(grid, anchor, settings))
        for item in items:
            if spec.keep == "marked" and not item.mark:
                continue
            bbox = union_bbox([item.item, *item.marks])
            if spec.into == SdgRecord.TABLE:
                number = number_pattern.match(fold_width(item.item.text)) if number_pattern else None
                goal_no = item_number(number.group(1)) if number is not None else None
                if goal_no is not None:
                    goals.append(SdgRecord(page=grid.page_number, bbox=bbox, raw_text=f"{item.mark} {item.item.text}",
                                           project_code=code, goal_no=goal_no, goal_label=item.item.text.strip(),
                                           mark=item.mark))
                continue
            viewpoints.append(viewpoint_record(grid, item, number_pattern, code, group, len(viewpoints) + 1, bbox))
    return [*sorted(goals, key=lambda r: r.goal_no), *viewpoints]


def viewpoint_record(grid: PageGrid, item: Marked, number: re.Pattern[str] | None, code: str, group: str | None,
                     running: int, bbox: BBox | None) -> ReformViewpointRecord:
    """A viewpoint: numbered as printed (① …) and read after its number, else counted and read whole."""
    printed = item.item.text.strip()
    numbered = number.match(printed) if number is not None else None
    no = item_number(numbered.group(1)) if numbered else None
    text = re.sub(r"\s+", " ", printed[numbered.end():]).strip() if numbered else clean_text(item.item.text) or ""
    return ReformViewpointRecord(
        page=grid.page_number, bbox=bbox, raw_text=item.raw_text, project_code=code,
        viewpoint_no=no if no is not None else running, viewpoint=text, selected=bool(item.mark), mark=item.mark,
        viewpoint_group=group,
    )


# ---------------------------------------------------------------------------------------
# the budget table


def budget_row_rule(rules: tuple[BudgetRow, ...], row: TableRow) -> BudgetRow | None:
    """The first rule that fits a row (its group, its own label, a funding source it names)."""
    return line_rule(rules, row.label, row.group.label if row.group else "")


def line_rule(rules: tuple[BudgetRow, ...], label: Cell, group: str = "") -> BudgetRow | None:
    """The first rule that fits a row's or column's label (and the group it is in)."""
    for rule in rules:
        if rule.group and group != normalize_label(rule.group):
            continue
        if rule.label and not any(label_matches(label.label, normalize_label(w), rule.match) for w in rule.label):
            continue
        if rule.funding_source and funding_source(label.text) not in SOURCE_COLUMNS:
            continue
        return rule
    return None


def line_field(rule: BudgetRow, label: Cell) -> str:
    """The project_budgets column a row or column fills: the rule's, or the funding source its label names."""
    return SOURCE_COLUMNS[funding_source(label.text) or ""] if rule.funding_source else rule.column


def corner_under(grid: PageGrid, captions: tuple[str, ...], settings: Tolerances) -> Cell | None:
    """A table's blank corner: the first cell under its section caption (≪事業別コスト等≫), None without one."""
    lines = caption_lines(grid, captions, "prefix")
    return box_below_line(grid, lines[0], settings.box_gap, settings.edge) if lines else None


def read_budget_table(
    grid: PageGrid, spec: BudgetSpec, numbers: dict[str, NumberRule], code: str, settings: Tolerances,
    era: str = "",
) -> BudgetTable:
    """[budget]: one BudgetRecord per year and stage, its funding sources as long rows, and its cost items."""
    if spec.columns:
        return read_stage_rows_table(grid, spec, numbers, code, settings)
    if spec.corner_under:
        found = corner_under(grid, spec.corner_under, settings)
        corners = [found] if found is not None else []
    else:
        corners = anchor_cells(grid, spec.corner, spec.match)
    if not corners:
        return [], [], []
    corner = corners[0]
    columns = stage_columns(grid, corner, settings.edge, era)
    if not columns:
        return [], [], []
    extents = {c.label: (c.column.x0, c.column.x1) for c in columns}
    rows = labelled_rows(grid, columns[0].column.cell, extents, label_x0=corner.x0, tolerance=settings.edge)
    budgets = {
        c.label: BudgetRecord(page=grid.page_number, project_code=code, fiscal_year=c.fiscal_year, stage=c.stage,
                              label=c.label)
        for c in columns
    }
    used: dict[str, list[Cell]] = {c.label: [c.column.cell] for c in columns}
    source_labels: dict[str, str] = {}
    items: list[BudgetItemRecord] = []
    named_sources: list[SourceRow] = []
    item_no = 0
    for row in rows:
        rule = budget_row_rule(spec.rows, row)
        if rule is None:
            continue  # a row this template does not name: nothing is guessed
        convention = numbers[rule.numbers or spec.numbers]
        if rule.items:
            item_no += 1
            items += budget_item_records(grid, code, columns, row, item_no, convention, rule)
            continue
        if rule.source:
            named_sources.append(SourceRow(rule.source, row, convention))
            continue
        column = line_field(rule, row.label)
        if rule.funding_source:
            source_labels[column] = clean_text(row.label.text) or ""
        for stage_column in columns:
            cell = row.values.get(stage_column.label)
            raw = cell.text.strip() if cell else ""
            record = budgets[stage_column.label]
            setattr(record, column, read_amount(raw, convention))
            record.raw[column] = raw
            if cell is not None:
                record.cell_bboxes[column] = cell.bbox
                used[stage_column.label].append(cell)
    blank_is_zero = numbers[spec.numbers].blank_is_zero
    sources: list[BudgetSourceRecord] = []
    for record in budgets.values():
        named = named_source_records(record, columns, named_sources, blank_is_zero)
        record.bbox = union_bbox(used[record.label])
        record.raw_text = " | ".join([record.label] + [f"{k}={v}" for k, v in record.raw.items()])
        named_kinds = {source.source for source in named}
        sources += [wide for wide in budget_source_records(record, source_labels, blank_is_zero=blank_is_zero)
                    if wide.source not in named_kinds]
        sources += named
        bracketed_amounts(record, numbers[spec.numbers])  # after the sources: see its docstring
    for item in items:
        if item.adds_up:
            item.total_cost = budgets[item.label].total_cost
    return list(budgets.values()), sources, items


def bracketed_amounts(record: BudgetRecord, rule: NumberRule) -> None:
    """A figure printed with a second in brackets (326,800（0）): the first stays, the second fills `rule.bracketed`.

    The bracketed figure (京都's 一般財源) is a part of the cost whose other sources are not
    printed: it gives no project_budget_sources row, whose funding sum would take it for
    the whole. `raw` keeps each figure as printed; the record's raw_text, the whole cell.
    """
    if not rule.bracketed:
        return
    for name, raw in list(record.raw.items()):
        main, inner = split_bracketed(raw) if name != rule.bracketed else (raw, None)
        if inner is None:
            continue
        setattr(record, name, read_amount(main, rule))
        setattr(record, rule.bracketed, read_amount(inner, rule))
        record.raw[name], record.raw[rule.bracketed] = main, inner
        if name in record.cell_bboxes:
            record.cell_bboxes[rule.bracketed] = record.cell_bboxes[name]


def read_budget_cells(grids: list[PageGrid], spec: BudgetSpec, numbers: dict[str, NumberRule], code: str,
                      settings: Tolerances) -> list[BudgetRecord]:
    """[[budget.cells]]: a BudgetRecord per single figure found by its label, its year named by another text."""
    records = []
    for cell in spec.cells:
        found = read_first(grids, cell.value, settings)
        if not found:
            continue
        record = budget_cell_record(grids, found[0], cell, numbers[cell.numbers or spec.numbers], code, settings)
        records.append(record)
    return records


def budget_cell_record(grids: list[PageGrid], value: Found, cell: BudgetCell, rule: NumberRule, code: str,
                       settings: Tolerances) -> BudgetRecord:
    """One [[budget.cells]] figure: its year from the `year` text on its page (else the project's first naming one)."""
    page = [grid for grid in grids if grid.page_number == value.page]
    named = read_first(page, cell.year, settings) or read_first(grids, cell.year, settings)
    span = find_fiscal_year(named[0].text) if named and named[0].text else None
    raw = (value.text or "").strip()
    record = BudgetRecord(page=value.page, bbox=value.bbox, project_code=code,
                          fiscal_year=span.start if span else None, stage=cell.stage,
                          label=f"{span.text}{cell.stage}" if span else cell.stage)
    setattr(record, cell.column, read_amount(raw, rule))
    record.raw[cell.column] = raw
    if value.bbox is not None:
        record.cell_bboxes[cell.column] = value.bbox
    record.raw_text = " | ".join([record.label] + [f"{k}={v}" for k, v in record.raw.items()])
    bracketed_amounts(record, rule)
    return record


@dataclass
class SourceRow:
    """A budget row of a named source kind ([[budget.rows]] source = …): its kind, its row, its convention."""

    source: str
    row: TableRow
    convention: NumberRule


def named_source_records(record: BudgetRecord, columns: list[StageColumn], rows: list[SourceRow],
                         blank_is_zero: bool) -> list[BudgetSourceRecord]:
    """One project_budget_sources row per printed source row of one column; the wide column gets their sum.

    Several rows may be of one kind (使用料手数料, 財産収入 → その他): the project_budgets column
    of that kind holds their sum (blanks as the table's convention says), its printed text
    the rows' texts joined by ` + `. The wide rows are then not turned into source rows again.
    """
    if not rows:
        return []
    column = next(c for c in columns if c.label == record.label)
    found: list[BudgetSourceRecord] = []
    by_kind: dict[str, list[tuple[str, float | None]]] = {}
    for named in rows:
        cell = named.row.values.get(column.label)
        raw = cell.text.strip() if cell else ""
        amount = read_amount(raw, named.convention)
        by_kind.setdefault(SOURCE_COLUMNS[named.source], []).append((raw, amount))
        found.append(BudgetSourceRecord(
            page=record.page, bbox=cell.bbox if cell else None, raw_text=raw, raw={"amount": raw},
            cell_bboxes={"amount": cell.bbox} if cell else {}, project_code=record.project_code,
            fiscal_year=record.fiscal_year, stage=record.stage, source=named.source,
            source_label=clean_text(named.row.label.text) or named.source, amount=amount, amount_text=raw or None,
            part_of=BUDGET_SOURCE_PART_OF.get(named.source), total_cost=None, label=record.label,
            blank_is_zero=blank_is_zero,
        ))
    for name, printed in by_kind.items():
        setattr(record, name, sum_printed(printed, blank_is_zero))
        record.raw[name] = " + ".join(raw for raw, _ in printed if raw)
    for source in found:  # the column's 事業費, read by now (sources are rows after it, or before: set last)
        source.total_cost = record.total_cost
    return found


def sum_printed(printed: list[tuple[str, float | None]], blank_is_zero: bool) -> float | None:
    """The sum of printed amounts; None when one is printed but unreadable, or (blanks not 0) when all are blank."""
    if any(raw and amount is None and not is_placeholder(raw) for raw, amount in printed):
        return None
    values = [amount for _, amount in printed if amount is not None]
    if not values and not blank_is_zero:
        return None
    return float(sum(values))


def figure_columns(grid: PageGrid, first: Cell, rules: tuple[BudgetRow, ...],
                   tolerance: float) -> list[tuple[Column, BudgetRow]]:
    """The figure columns from `first` rightwards, each with its rule, up to the first one no rule names."""
    named: list[tuple[Column, BudgetRow]] = []
    # the header row is followed only as far as the rules name its columns (not past the table's end)
    for column in chain([Column(first.text, None, first.x0, first.x1, first)], columns_right_of(grid, first, tolerance)):
        rule = line_rule(rules, column.cell)
        if rule is None:
            break  # a neighbouring table shares the header row (旭川: 人工)
        named.append((column, rule))
    return named


@dataclass
class StageRowsLayout:
    """Where a [[budget.columns]] table is on a page: its figure columns (and the field each fills), its rows."""

    columns: list[tuple[Column, BudgetRow, str]]  # a figure column, its rule, the project_budgets field it fills
    rows: list[tuple[Cell, int, str, list[Cell | None]]]  # a row's label, year, stage, and its cell in each column


def stage_rows_layout(grid: PageGrid, spec: BudgetSpec, settings: Tolerances) -> StageRowsLayout | None:
    """The page's [[budget.columns]] table as laid out (None when it has none), found once a page."""
    return answered_once(grid, ("stage_rows_layout", id(spec), settings.edge), (spec,),
                         lambda: find_stage_rows_layout(grid, spec, settings))


def find_stage_rows_layout(grid: PageGrid, spec: BudgetSpec, settings: Tolerances) -> StageRowsLayout | None:
    """`stage_rows_layout`, found: the columns its rules name right of the header, the rows whose label gives year and stage."""
    headers = anchor_cells(grid, spec.header, spec.match)
    columns = figure_columns(grid, headers[0], spec.columns, settings.edge) if headers else []
    if not columns:
        return None
    left, right = min(c.x0 for c, _ in columns), max(c.x1 for c, _ in columns)
    rows = []
    for label, year, stage in stage_rows(grid, headers[0], settings.edge):
        band = row_cells(grid, label, left - 1, right + 1)
        rows.append((label, year, stage, [cell_in_column(band, column.x0, column.x1) for column, _ in columns]))
    return StageRowsLayout([(column, rule, line_field(rule, column.cell)) for column, rule in columns], rows)


def read_stage_rows_table(grid: PageGrid, spec: BudgetSpec, numbers: dict[str, NumberRule], code: str,
                          settings: Tolerances) -> BudgetTable:
    """[budget] with [[budget.columns]]: one BudgetRecord per row whose label gives year and stage (R3決算見込)."""
    layout = stage_rows_layout(grid, spec, settings)
    if layout is None:
        return [], [], []
    labels = {name: clean_text(c.cell.text) or "" for c, rule, name in layout.columns if rule.funding_source}
    budgets: list[BudgetRecord] = []
    sources: list[BudgetSourceRecord] = []
    for label, year, stage, cells in layout.rows:
        record = BudgetRecord(page=grid.page_number, project_code=code, fiscal_year=year, stage=stage,
                              label=clean_text(label.text) or "")
        used = [label]
        for (_, rule, name), cell in zip(layout.columns, cells):
            raw = cell.text.strip() if cell else ""
            setattr(record, name, read_amount(raw, numbers[rule.numbers or spec.numbers]))
            record.raw[name] = raw
            if cell is not None:
                record.cell_bboxes[name] = cell.bbox
                used.append(cell)
        record.bbox = union_bbox(used)
        record.raw_text = " | ".join([record.label, *record.raw.values()])  # the row as printed
        budgets.append(record)
        sources += budget_source_records(record, labels, blank_is_zero=numbers[spec.numbers].blank_is_zero)
    return budgets, sources, []


def read_staffing(grid: PageGrid, spec: StaffingSpec, convention: NumberRule, code: str,
                  settings: Tolerances) -> StaffingRecord | None:
    """[staffing]: the year its header names, each figure under its sub-header (None when the header is not here)."""
    layout = staffing_layout(grid, spec, settings)
    if layout is None:
        return None
    header, columns = layout
    span = find_fiscal_year(header.text)
    record = StaffingRecord(page=grid.page_number, project_code=code, label=clean_text(header.text) or "",
                            fiscal_year=span.start if span else None)
    used = [header]
    for name, sub, value in columns:
        raw = value.text.strip() if value else ""
        setattr(record, name, read_figure(raw, convention))
        record.raw[name] = raw
        if value:
            record.cell_bboxes[name] = value.bbox
            used.append(value)
        used.append(sub)
    record.bbox = union_bbox(used)
    record.raw_text = " | ".join(f"{k}={v}" for k, v in record.raw.items())
    return record


StaffingLayout = tuple[Cell, list[tuple[str, Cell, Cell | None]]]


def staffing_layout(grid: PageGrid, spec: StaffingSpec, settings: Tolerances) -> StaffingLayout | None:
    """Where [staffing] is on a page: its header, and each named sub-header with the cell under it; found once a page."""
    return answered_once(grid, ("staffing_layout", id(spec), settings.edge), (spec,),
                         lambda: find_staffing_layout(grid, spec, settings))


def find_staffing_layout(grid: PageGrid, spec: StaffingSpec, settings: Tolerances) -> StaffingLayout | None:
    """`staffing_layout`, found."""
    headers = anchor_cells(grid, spec.header, spec.match)
    if not headers:
        return None
    columns: list[tuple[str, Cell, Cell | None]] = []
    for sub in grid.below(headers[0], settings.edge):
        name = next((n for n, printed in spec.columns.items() if sub.label.startswith(normalize_label(printed))), None)
        if name is not None:
            values = grid.below(sub, settings.edge)
            columns.append((name, sub, values[0] if values else None))
    return headers[0], columns


def item_name(cell: Cell, rule: BudgetRow | None) -> str:
    """A cost item's name as printed, less what the rule removes (物件費（内訳） → 物件費)."""
    text = clean_text(cell.text) or ""
    if rule is not None and rule.remove:
        text = clean_text(re.sub(rule.remove, "", text)) or ""
    return text


def read_staff_rows(grid: PageGrid, spec: StaffRowsSpec, convention: NumberRule, code: str, settings: Tolerances,
                    era: str = "") -> list[StaffingRecord]:
    """[staff_rows]: a StaffingRecord per year column and job type row, each with its year's total ([] if none here)."""
    corner = corner_under(grid, spec.corner_under, settings)
    columns = stage_columns(grid, corner, settings.edge, era) if corner is not None else []
    if corner is None or not columns:
        return []
    extents = {c.label: (c.column.x0, c.column.x1) for c in columns}
    rows = labelled_rows(grid, columns[0].column.cell, extents, label_x0=corner.x0, tolerance=settings.edge)
    groups = [normalize_label(g) for g in spec.group]
    jobs = [r for r in rows if r.group is not None and any(label_matches(r.group.label, g, spec.match) for g in groups)]
    totals = [r for r in rows if any(label_matches(r.label.label, normalize_label(t), spec.match) for t in spec.total)]
    total_row = totals[0] if totals else None
    records: list[StaffingRecord] = []
    for row in jobs:
        name = clean_text(row.label.text)
        if not name:
            continue  # a blank line drawn for filling in
        counted = not any(label_matches(row.label.label, normalize_label(r), spec.match) for r in spec.reference)
        for column in columns:
            cell = row.values.get(column.label)
            total_cell = total_row.values.get(column.label) if total_row is not None and counted else None
            raw = cell.text.strip() if cell else ""
            total_raw = total_cell.text.strip() if total_cell else ""
            records.append(StaffingRecord(
                page=grid.page_number, bbox=union_bbox([row.label] + ([cell] if cell else [])),
                raw_text=f"{name} | {raw}", raw={"staff": raw, "total_staff": total_raw},
                cell_bboxes={k: c.bbox for k, c in (("staff", cell), ("total_staff", total_cell)) if c is not None},
                project_code=code, fiscal_year=column.fiscal_year, label=column.label, job_type=name,
                staff=read_figure(raw, convention), total_staff=read_figure(total_raw, convention),
            ))
    return records


def budget_item_records(grid: PageGrid, code: str, columns: list[StageColumn], row: TableRow, item_no: int,
                        convention: NumberRule, rule: BudgetRow | None = None) -> list[BudgetItemRecord]:
    """One cost item line: a record per column, when the line carries a name or a value."""
    name = item_name(row.label, rule)
    adds_up = bool(rule and rule.add_up)
    # in a full breakdown, an item labelled inside another item's label is its part (委託料 in 物件費)
    part_of = item_name(row.labels[-2], rule) if adds_up and len(row.labels) > 2 else None
    texts = {c.label: (found.text.strip() if (found := row.values.get(c.label)) else "") for c in columns}
    if not name and not any(texts.values()):
        return []
    records = []
    for column in columns:
        raw = texts[column.label]
        cell = row.values.get(column.label)
        records.append(
            BudgetItemRecord(
                page=grid.page_number,
                bbox=union_bbox([row.label] + ([cell] if cell else [])),
                raw_text=f"{name} | {raw}",
                raw={"amount": raw},
                cell_bboxes={"amount": cell.bbox} if cell else {},
                project_code=code,
                fiscal_year=column.fiscal_year,
                stage=column.stage,
                item_no=item_no,
                item_name=name,
                amount=read_amount(raw, convention),
                amount_text=raw or None,
                label=column.label,
                part_of=part_of,
                adds_up=adds_up,
            )
        )
    return records


# ---------------------------------------------------------------------------------------
# indicator tables


@dataclass
class TableRead:
    """The records of one indicator table on a page, and where its header is (for reading order)."""

    grid: PageGrid
    place: tuple[int, float]  # the header's top (rounded) and left
    records: list[IndicatorRecord]


def column_label(column: Column, style: str) -> str:
    """A column's label as stored: its printed lines joined by a space, or its text with its spanning header first."""
    if style == "text":
        return re.sub(r"\s+", " ", column.full_label).strip()
    return " ".join(line.text for line in column.cell.lines) or column.cell.text


def kind_of(label: str, kinds: tuple[str, ...]) -> str | None:
    """The first of the table's kinds (実績, 目標 …) a column's label names."""
    norm = normalize_label(label)
    return next((kind for kind in kinds if normalize_label(kind) in norm), None)


def read_indicator_tables(grid: PageGrid, spec: IndicatorTable, convention: NumberRule, code: str,
                          settings: Tolerances, era: str = "") -> list[TableRead] | None:
    """[[indicators]]: the table under the (first or every) matching header on a page; None when there is none."""
    headers = anchor_cells(grid, spec.header, spec.match, spec.header_pattern)
    if spec.layout == "rows_under":
        found = [TableRead(grid, (round(h.top), h.x0), indicator_rows_under(grid, h, spec, convention, code, settings,
                                                                             era))
                 for h in (headers if spec.every else headers[:1])]
        return [t for t in found if t.records] or None
    read = indicator_pairs if spec.layout == "pairs" else indicator_rows
    tables = [TableRead(grid, (round(h.top), h.x0), read(grid, h, spec, convention, code, settings))
              for h in (headers if spec.every else headers[:1])]
    return [t for t in tables if t.records] or None


def unit_in(texts: list[str], pattern: str) -> str | None:
    """The unit the first of `texts` names by the table's unit pattern (（単位：円） → 円), else None."""
    for text in texts:
        found = re.search(pattern, fold_width(text)) if pattern else None
        if found:
            return found.group(1).strip()
    return None


def indicator_rows_under(grid: PageGrid, header: Cell, spec: IndicatorTable, convention: NumberRule, code: str,
                         settings: Tolerances, era: str = "") -> list[IndicatorRecord]:
    """The `rows_under` layout: year headers under the header, then [name across the table] over [figures] rows.

    A row of figures belongs to the name row just above it; with none (a row of figures
    right under another, or under the year headers), it is named by its group label.
    Rows end where the table does: the first line with no cell under the header's width.
    """
    edge = settings.edge
    years = [c for c in grid.below(header, edge) if c.x1 <= header.x1 + edge]
    if not years:
        return []
    records: list[IndicatorRecord] = []
    name: Cell | None = None
    number = 0
    top = max(c.bottom for c in years)
    while True:
        line = sorted((c for c in grid.in_band(top - edge, grid.height, header.x0 - edge, header.x1 + edge)
                       if abs(c.top - top) <= edge), key=lambda c: c.x0)
        if not line:
            return records
        top = max(c.bottom for c in line)
        group = next(iter(grid.left_of(line[0], edge)), None)
        if len(line) == 1 and line[0].x1 >= header.x1 - edge:  # a name across the table
            name = line[0]
            continue
        figures = {id(y): cell_in_column(line, y.x0, y.x1) for y in years}
        group_text = "".join(group.text.split()) if group is not None else None  # a label wrapped in its cell
        own_name = clean_text(name.text) if name is not None else None
        name = None
        if not own_name and not any(c is not None and c.text.strip() for c in figures.values()):
            continue  # an empty slot drawn for filling in
        title = own_name or group_text
        number += 1
        # the unit: in the indicator's name, its group's label, or (for the header's own group) the header
        own = group is not None and group in grid.left_of(header, edge) or group in grid.left_of(years[0], edge)
        unit = unit_in([t for t in (title, group_text, header.text if own else None) if t], spec.unit_pattern)
        for year in years:
            cell = figures[id(year)]
            raw = cell.text.strip() if cell else ""
            span = find_fiscal_year(with_era(year.text, era))
            records.append(IndicatorRecord(
                page=grid.page_number, bbox=union_bbox([c for c in (group, cell) if c is not None]),
                raw_text=f"{title or ''} | {raw}", raw={"value": raw},
                cell_bboxes={"value": cell.bbox} if cell else {}, project_code=code, level=spec.level,
                indicator_no=number, indicator_name=title or "", unit=unit,
                fiscal_year=span.start if span else None, kind=kind_of(year.text, spec.kinds),
                column_label=clean_text(year.text) or "", value=read_figure(raw, convention), value_text=raw or None,
                indicator_group=group_text,
            ))


def indicator_rows(grid: PageGrid, header: Cell, spec: IndicatorTable, convention: NumberRule, code: str,
                   settings: Tolerances) -> list[IndicatorRecord]:
    """The `rows` layout: a record per year column of each indicator row that has content."""
    columns = header_columns(grid, header, settings.edge)
    named: dict[str, Column] = {}
    for field_name, printed in spec.columns.items():
        wanted = normalize_label(printed)
        column = next((c for c in columns if normalize_label(c.full_label).startswith(wanted)), None)
        if column is not None:
            named[field_name] = column
    figures = [c for c in columns if find_fiscal_year(c.full_label) and all(c is not n for n in named.values())]
    shown = [c for c in columns if any(c is kept for kept in (*figures, *named.values()))]  # in header order
    records: list[IndicatorRecord] = []
    for row_no, name_cell in enumerate(stacked_below(grid, header, settings.edge), start=1):
        middle = (name_cell.top + name_cell.bottom) / 2
        across = cells_across(grid, middle)
        cells = {id(c): cell_in_row(across, (c.x0 + c.x1) / 2) for c in shown}
        texts = {key: (cell.text.strip() if cell else "") for key, cell in cells.items()}
        name = clean_text(name_cell.text)
        if not name and not any(texts.values()):
            continue  # an empty line drawn for filling in
        raw_text = " | ".join([name or ""] + [texts[id(c)] for c in shown])
        # the named columns' texts, and the figures of those that have one (基準値, 達成率)
        given = {field_name: texts[id(column)] or None for field_name, column in named.items()}
        figures_of = {INDICATOR_NUMBER_OF[n]: given.get(n) for n in spec.columns if n in INDICATOR_NUMBER_OF}
        for column in figures:
            raw, cell = texts[id(column)], cells[id(column)]
            span = find_fiscal_year(column.full_label)
            record = IndicatorRecord(
                page=grid.page_number,
                bbox=union_bbox([name_cell] + ([cell] if cell else [])),
                raw_text=raw_text,
                raw={"value": raw, **{number: text or "" for number, text in figures_of.items()}},
                project_code=code,
                level=spec.level,
                indicator_no=row_no,
                indicator_name=name or "",
                fiscal_year=span.start if span else None,
                kind=kind_of(column.full_label, spec.kinds),
                column_label=column_label(column, spec.column_label),
                value=read_figure(raw, convention),  # an indicator keeps its own unit (単位)
                value_text=raw or None,
            )
            for field_name, text in given.items():
                setattr(record, field_name, text)
            for number, text in figures_of.items():
                setattr(record, number, read_figure(text or "", convention))
            if cell is not None:
                record.cell_bboxes["value"] = cell.bbox
            records.append(record)
    return records


def indicator_pairs(grid: PageGrid, header: Cell, spec: IndicatorTable, convention: NumberRule, code: str,
                    settings: Tolerances) -> list[IndicatorRecord]:
    """The `pairs` layout: the indicator's name across the header's width, and [year label | figure] pairs."""
    names, pairs = pairs_layout(grid, header, spec, settings)
    name = clean_text("\n".join(c.text for c in names if c.text))
    if (not name or is_placeholder(name)) and not any(v.text.strip() for _, v in pairs):
        return []  # 「-」: the project has no indicator
    records = []
    for label, value in pairs:
        span = find_fiscal_year(label.text)
        records.append(IndicatorRecord(
            page=grid.page_number, bbox=union_bbox([label, value]), raw_text=f"{label.text} | {value.text}",
            raw={"value": value.text.strip()}, cell_bboxes={"value": value.bbox}, project_code=code, level=spec.level,
            indicator_no=1, indicator_name=name or "", fiscal_year=span.start if span else None,
            kind=kind_of(label.text, spec.kinds), column_label=clean_text(label.text) or "",
            value=read_figure(value.text, convention), value_text=clean_text(value.text),
        ))
    return records


def pairs_layout(grid: PageGrid, header: Cell, spec: IndicatorTable,
                 settings: Tolerances) -> tuple[list[Cell], list[tuple[Cell, Cell]]]:
    """The `pairs` layout's cells under a header: the name's cells, the [year label | figure] pairs; found once a page."""
    names, pairs = answered_once(grid, ("pairs_layout", id(header), id(spec), settings.edge), (spec,),
                                 lambda: find_pairs_layout(grid, header, spec, settings))
    return list(names), list(pairs)


def find_pairs_layout(grid: PageGrid, header: Cell, spec: IndicatorTable,
                      settings: Tolerances) -> tuple[list[Cell], list[tuple[Cell, Cell]]]:
    """`pairs_layout`, found: the data row's cells across the header, a year label with its figure right of it."""
    edge = settings.edge
    top, bottom = data_row(grid, header, edge)
    names: list[Cell] = []
    pairs: list[tuple[Cell, Cell]] = []
    for cell in grid.in_band(top, bottom + edge, header.x0 - edge, header.x1 + edge):
        if find_fiscal_year(cell.text) and kind_of(cell.text, spec.kinds) and cell.x1 < header.x1 - edge:
            figure = [c for c in grid.right_of(cell, edge) if c.x1 <= header.x1 + edge]
            if figure:
                pairs.append((cell, figure[0]))
                continue
        if cell.x1 >= header.x1 - edge and cell.x0 <= header.x0 + edge:
            names.append(cell)
    return names, pairs


def read_prose_indicators(grids: list[PageGrid], spec: IndicatorTable, convention: NumberRule, code: str,
                          settings: Tolerances) -> list[TableRead]:
    """The `prose` layout: an indicator where the pattern matches the text, under the last group heading before it."""
    found = read_first(grids, spec.text, settings)
    value = found[0] if found else None
    if value is None or not value.text:
        return []
    grid = next(grid for grid in grids if grid.page_number == value.page)
    records: list[IndicatorRecord] = []
    for heading, lines in prose_groups(value.text, spec.group):
        span = find_fiscal_year(heading) if heading else None
        for match in re.finditer(spec.pattern, "\n".join(lines)):
            records.append(prose_indicator(match, spec, convention, code, value, len(records) + 1, heading,
                                           span.start if span else None))
    top, x0 = (value.bbox[1], value.bbox[0]) if value.bbox else (0.0, 0.0)
    return [TableRead(grid, (round(top), x0), records)] if records else []


def prose_groups(text: str, group: str) -> list[tuple[str | None, list[str]]]:
    """The prose's lines under each group heading (a line matching `group`; None before the first)."""
    groups: list[tuple[str | None, list[str]]] = [(None, [])]
    for line in text.splitlines():
        heading = re.fullmatch(group, line.strip()) if group else None
        if heading is not None:
            groups.append((heading.group("group"), []))
        else:
            groups[-1][1].append(line)
    return [(heading, lines) for heading, lines in groups if lines]


_FIGURE = re.compile(r"^\s*([-+△▲−]?\s*[0-9０-９][0-9０-９,，.．]*)\s*(.*?)\s*$", re.DOTALL)


def prose_indicator(match: re.Match[str], spec: IndicatorTable, convention: NumberRule, code: str, value: Found,
                    number: int, heading: str | None, year: int | None) -> IndicatorRecord:
    """One indicator read from prose: the pattern's named groups, the figure and its unit from value_text."""
    # a wrapped line is joined with nothing (the prose's line breaks are the print's)
    texts = {name: re.sub(r"\s*\n\s*", "", text).strip() or None
             for name, text in match.groupdict().items() if text is not None}
    printed = texts.get("value_text") or ""
    figure = _FIGURE.match(printed)
    kind = kind_of(match.group(), spec.kinds)
    record = IndicatorRecord(
        page=value.page, bbox=value.bbox, raw_text=re.sub(r"\s*\n\s*", "", match.group()),
        raw={"value": printed}, project_code=code, level=spec.level, indicator_no=number,
        fiscal_year=year, kind=kind, column_label=kind or "",
        value=read_figure(figure.group(1), convention) if figure else None,
        unit=(figure.group(2) or None) if figure else None, indicator_group=heading,
    )
    for name, text in texts.items():
        setattr(record, name, text)
    return record


# ---------------------------------------------------------------------------------------
# evaluations


def evaluation_fields(grid: PageGrid, spec: EvaluationSpec, settings: Tolerances) -> dict[str, Found | None]:
    """Each text of one evaluation on a page: the first of its alternatives that reads (None when none does)."""
    return {name: next((f for spec_ in alternatives for f in read_field(grid, spec_, settings)), None)
            for name, alternatives in spec.fields.items()}


def read_evaluation(grid: PageGrid, spec: EvaluationSpec, code: str, settings: Tolerances) -> EvaluationRecord | None:
    """[[evaluations]]: the texts of one evaluation on a page (None when none of its labels is there)."""
    return evaluation_record(grid, spec, evaluation_fields(grid, spec, settings), code, settings)


def evaluation_fields_across(grids: list[PageGrid], spec: EvaluationSpec,
                             settings: Tolerances) -> dict[str, Found | None]:
    """Each text of one evaluation on the first of the project's pages that has it (`across_pages`)."""
    found: dict[str, Found | None] = dict.fromkeys(spec.fields)
    for name, alternatives in spec.fields.items():
        read = read_first(grids, alternatives, settings)
        found[name] = read[0] if read else None
    return found


def read_evaluation_across(grids: list[PageGrid], spec: EvaluationSpec, code: str,
                           settings: Tolerances) -> EvaluationRecord | None:
    """[[evaluations]] with `across_pages`: its texts from any page of the project, the record on the first's page."""
    found = evaluation_fields_across(grids, spec, settings)
    pages = sorted(f.page for f in found.values() if f is not None)
    grid = next((grid for grid in grids if pages and grid.page_number == pages[0]), None)
    return evaluation_record(grid, spec, found, code, settings) if grid is not None else None


def evaluation_record(grid: PageGrid, spec: EvaluationSpec, fields_found: dict[str, Found | None], code: str,
                      settings: Tolerances) -> EvaluationRecord | None:
    """An evaluation's record from the texts found (None when none of its labels was found)."""
    texts: dict[str, str | None] = {}
    boxes: dict[str, BBox] = {}
    anchors: list[Cell] = []
    read: list[Cell] = []  # every cell a text was read from
    for name, found in fields_found.items():
        texts[name] = found.text if found else None
        if found is None:
            continue
        read += found.cells
        if found.bbox is not None:
            boxes[name] = found.bbox
        if found.anchor is not None and all(found.anchor is not a for a in anchors):
            anchors.append(found.anchor)
    if not anchors:
        return None
    title = next((f.text for spec_ in spec.title for f in read_field(grid, spec_, settings)), None)
    texts_box = spec.box == "texts"
    record = EvaluationRecord(
        page=grid.page_number,
        bbox=union_bbox(read if texts_box else anchors),
        raw_text="\n".join(v for v in texts.values() if v),
        project_code=code,
        evaluator=spec.evaluator,
        title=title,
        cell_bboxes={} if texts_box else boxes,
    )
    for name, text in texts.items():
        setattr(record, name, text)
    return record


# ---------------------------------------------------------------------------------------
# what each item of the file read (`hyoka template check`)


@dataclass
class TraceItem:
    """One item of the file as read for one project (or for the document): the pages searched, what it found."""

    key: str  # as the file writes it: project.fields.department, budget, marks[1], evaluations[1].fields.…
    spec: Any  # the file's entry: a field's alternatives, a MarkList, the BudgetSpec, an IndicatorTable
    grids: list[PageGrid]  # the pages it was looked for on (the project's; the document's for its own fields)
    project: str | None  # the project's code; None for a field of the document
    found: list[Found] = field(default_factory=list)  # a field's value (every value, for a title part)
    rows: list[Record] = field(default_factory=list)  # a table's rows
    fallback: str = ""  # what stood in for a field the file says may be missing (the newest 決算 year)


@dataclass
class ReadTrace:
    """What each item of a template file found, project by project: `FileTemplate.read_traced` fills it.

    Reading without a trace does none of this (every note is behind an `if trace is not None`).
    """

    items: list[TraceItem] = field(default_factory=list)

    def note(self, key: str, spec: Any, grids: list[PageGrid], project: str | None, *,
             found: Sequence[Found] = (), rows: Sequence[Record] = (), fallback: str = "") -> None:
        """Add what one item found."""
        self.items.append(TraceItem(key, spec, grids, project, list(found), list(rows), fallback))


def trace_evaluation(trace: ReadTrace, key: str, spec: EvaluationSpec, grids: list[PageGrid],
                     record: EvaluationRecord | None, code: str, settings: Tolerances) -> None:
    """Note each text of an evaluation, as read on the page its record came from (nothing when none was read)."""
    grid = next((grid for grid in grids if record is not None and grid.page_number == record.page), None)
    found = evaluation_fields(grid, spec, settings) if grid is not None else {}
    if spec.across_pages and record is not None:
        found = evaluation_fields_across(grids, spec, settings)
    for name, alternatives in spec.fields.items():
        value = found.get(name)
        trace.note(f"{key}.fields.{name}", alternatives, grids, code, found=[value] if value else [])


def trace_kpi_list(trace: ReadTrace, spec: KpiListSpec, pages: Pages, extraction: Extraction) -> None:
    """Note the KPI rows (and their values) each page gave, and the title the list was read under."""
    rows = [*extraction.rows(StrategyKpiRecord), *extraction.rows(StrategyKpiValueRecord)]
    for grid, _ in sorted(pages, key=lambda pair: pair[0].page_number):
        on_page = [row for row in rows if row.page == grid.page_number]
        trace.note("kpi_list", spec, [grid], f"page {grid.page_number}", rows=on_page)
