"""A template written as a file: pages recognized and read as its `TemplateSpec` says.

`FileTemplate` is a `Template` like any other: the registry asks it to score pages and
hands it the pages it won. Reading is a pipeline of small steps over the shared grid
machinery (`hyoka.extractors.grid`, `hyoka.extractors.tables`): pages grouped into projects, then
per project its code, its fields, its marked items, its budget table, its indicator
tables and its evaluations, each read from the first page of the project that has it
(so a section may move from one page to the next), then the document's own fields.
Every value is found from a label; the only numbers are the template's tolerances.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from hyoka.extractors.grid import BBox, Cell, PageGrid, TextLine, labels_starting
from hyoka.extractors.records import (
    BudgetItemRecord,
    BudgetRecord,
    BudgetSourceRecord,
    EvaluationRecord,
    Extraction,
    IndicatorRecord,
    IssueRecord,
    PageRecord,
    ProjectRecord,
    Record,
    ReformViewpointRecord,
    SdgRecord,
)
from hyoka.extractors.tables import (
    BUDGET_COLUMN_SOURCES,
    DASH_IS_NO_FIGURE,
    DASH_IS_ZERO,
    Column,
    DashRule,
    StageColumn,
    TableRow,
    box_below_line,
    budget_source_records,
    cell_at,
    cell_right_of_line,
    funding_source,
    header_columns,
    labelled_rows,
    marked_items,
    read_number,
    stacked_below,
    stage_columns,
    union_bbox,
)
from hyoka.extractors.template import PageMatch, best_role, new_extraction
from hyoka.extractors.template_schema import (
    BudgetRow,
    BudgetSpec,
    ChoiceSpec,
    EvaluationSpec,
    FieldSpec,
    IndicatorTable,
    MarkList,
    NumberRule,
    TemplateSpec,
    TextPart,
    Tolerances,
)
from hyoka.normalize import clean_text, digits_only, find_fiscal_year, fold_width, normalize_label

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
        # a file template reads projects: a page it recognizes that gives none is flagged no_records
        self.main_record: type[Record] = ProjectRecord
        self._roles = {page.role: page.anchors for page in spec.page}

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
        extraction = new_extraction(self, pages)
        for project_pages in group_projects(pages, self.spec.project.starts_on):
            self.read_project(project_pages, extraction, trace)
        grids = [grid for grid, _ in pages]
        parts = title_parts(grids, self.spec.document.title, self.spec.settings)
        extraction.title = " ".join(found.text for part in parts for found in part if found.text) or None
        if trace is not None:
            for number, (spec, found) in enumerate(zip(self.spec.document.title, parts), start=1):
                trace.note(f"document.title[{number}]", (spec,), grids, None, found=found)
        extraction.results_fiscal_year = self.results_fiscal_year(grids, extraction, trace)
        return extraction

    # ---- one project ----
    def read_project(self, pages: Pages, extraction: Extraction, trace: ReadTrace | None = None) -> None:
        """Read one project's pages into records, in the order the record tables are filed."""
        spec, settings = self.spec, self.spec.settings
        grids = [grid for grid, _ in pages]
        first = grids[0]
        code_found = read_first(grids, spec.project.code, settings)
        raw = (code_found[0].text or "") if code_found else ""
        code = digits_only(raw)
        if not code:
            extraction.issues.append(IssueRecord(first.page_number, ProjectRecord.TABLE, "", "project_code",
                                                 "missing_project_code", detail=spec.project.code_name))
        project = ProjectRecord(page=first.page_number, first_page=first.page_number, last_page=grids[-1].page_number,
                                project_code=code, project_code_raw=raw, raw_text=raw,
                                bbox=code_found[0].bbox if code_found else None)
        if spec.project.code_number and code:
            setattr(project, spec.project.code_number, int(code))
        if trace is not None:
            trace.note("project.code", spec.project.code, grids, code, found=code_found)
        read_project_fields(grids, spec.project.fields, project, settings, trace)
        for number, marks in enumerate(spec.marks, start=1):
            rows = first_found(grids, read_marks, marks, code, settings) or []
            extraction.extend(rows)
            if trace is not None:
                trace.note(f"marks[{number}]", marks, grids, code, rows=rows)
        if spec.budget is not None:
            budgets, sources, items = first_found(grids, self._budget_table_if_any, code) or ([], [], [])
            extraction.extend(budgets)
            extraction.extend(sources)
            extraction.extend(items)
            if not budgets:
                extraction.issues.append(IssueRecord(first.page_number, BudgetRecord.TABLE, code, None,
                                                     "missing_budget_table"))
            if trace is not None:
                trace.note("budget", spec.budget, grids, code, rows=[*budgets, *sources, *items])
        for number, table in enumerate(spec.indicators, start=1):
            indicators = first_found(grids, self.read_indicators, code, table) or []
            extraction.extend(indicators)
            if trace is not None:
                trace.note(f"indicators[{number}]", table, grids, code, rows=indicators)
        for number, evaluation in enumerate(spec.evaluations, start=1):
            record = first_found(grids, read_evaluation, evaluation, code, settings)
            if record is not None:
                extraction.add(record)
            if trace is not None:
                trace_evaluation(trace, f"evaluations[{number}]", evaluation, grids, record, code, settings)
        extraction.add(project)
        for grid, role in pages:
            extraction.add(PageRecord(page=grid.page_number, template=self.name, page_role=role, project_code=code))

    def _budget_table_if_any(self, grid: PageGrid, code: str) -> BudgetTable | None:
        """The page's budget table, None when the page has none (it may be on the project's next page)."""
        table = self.read_budget_table(grid, code)
        return table if table[0] else None

    def read_budget_table(self, grid: PageGrid, code: str) -> BudgetTable:
        """The budget table of one page: a BudgetRecord per column, its sources as long rows, its cost items."""
        assert self.spec.budget is not None
        return read_budget_table(grid, self.spec.budget, self.spec.numbers, code, self.spec.settings)

    def read_indicators(self, grid: PageGrid, code: str, table: IndicatorTable | None = None) -> list[IndicatorRecord]:
        """The rows of an indicator table (the template's first by default) on one page."""
        table = table or self.spec.indicators[0]
        return read_indicator_table(grid, table, self.numbers(table.numbers), code, self.spec.settings)

    def results_fiscal_year(self, grids: list[PageGrid], extraction: Extraction,
                            trace: ReadTrace | None = None) -> int | None:
        """The year named where the template says, else the newest budget year of the stages it names."""
        wanted = self.spec.document.results_fiscal_year
        found = read_first(grids, wanted.read, self.spec.settings)
        span = find_fiscal_year(found[0].text) if found and found[0].text else None
        years = [r.fiscal_year for r in extraction.rows(BudgetRecord)
                 if r.fiscal_year and r.stage in wanted.else_newest_budget]
        year = span.start if span else max(years) if years else None
        if trace is not None and wanted.read:
            fallback = "" if span or year is None else f"{year}: the newest {'/'.join(wanted.else_newest_budget)} column"
            trace.note("document.results_fiscal_year.read", wanted.read, grids, None, found=found, fallback=fallback)
        return year


def group_projects(pages: Pages, starts_on: tuple[str, ...]) -> list[Pages]:
    """Pages in order, cut where a page of a starting role begins a project (no roles: every page does)."""
    groups: list[Pages] = []
    for grid, role in pages:
        if not groups or not starts_on or role in starts_on:
            groups.append([])
        groups[-1].append((grid, role))
    return groups


def first_found(grids: list[PageGrid], read: Callable[..., T | None], *args: Any) -> T | None:
    """What `read(grid, *args)` finds on the first page of the project that has it (a section may move)."""
    for grid in grids:
        found = read(grid, *args)
        if found:
            return found
    return None


# ---------------------------------------------------------------------------------------
# anchors: cells by their label, text lines outside every cell by their caption


def label_matches(label: str, wanted: str, match: str) -> bool:
    """Whether a normalized label fits a normalized wanted label, the way `match` says."""
    if match == "exact":
        return label == wanted
    if match == "prefix":
        return label.startswith(wanted)
    if match == "suffix":
        return label.endswith(wanted)
    return wanted in label


def anchor_cells(grid: PageGrid, labels: tuple[str, ...], match: str, pattern: str = "") -> list[Cell]:
    """The cells whose label fits (or whose width-folded label matches `pattern`), in reading order."""
    if pattern:
        compiled = re.compile(pattern)
        return grid.find_all(lambda c: bool(compiled.search(fold_width(c.label))))
    wanted = [normalize_label(label) for label in labels]
    if match in ("exact", "prefix"):  # the grid's label index answers these without a scan of every cell
        keys = wanted if match == "exact" else [key for w in wanted for key in labels_starting(grid.cell_labels, w)]
        found = {c.index: c for key in keys for c in grid.cells_by_label.get(key, [])}
        return sorted(found.values(), key=lambda c: (round(c.top), c.x0, c.index))
    return grid.find_all(lambda c: bool(c.label) and any(label_matches(c.label, w, match) for w in wanted))


def caption_lines(grid: PageGrid, captions: tuple[str, ...], match: str) -> list[TextLine]:
    """The text lines outside every cell whose label fits a caption, in reading order."""
    wanted = [normalize_label(caption) for caption in captions]
    return [line for line in grid.loose_lines if any(label_matches(normalize_label(line.text), w, match) for w in wanted)]


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
    # for `hyoka template check`: the text before remove/pattern/choice, every cell it was
    # read from, and the box of the label cell or caption line it was found by
    raw: str | None = None
    boxes: tuple[BBox, ...] = ()
    anchor_box: BBox | None = None


def _cells_text(cells: list[Cell]) -> str | None:
    """The cells' texts, one per line (None when all are blank)."""
    return clean_text("\n".join(c.text for c in cells if c.text))


def value_cells(grid: PageGrid, start: Cell, spec: FieldSpec, settings: Tolerances) -> list[Cell]:
    """The cells holding the value of a label cell: right of it, below it, or itself."""
    if spec.value == "right":
        return grid.right_of(start, settings.edge)
    if spec.value == "below":
        return grid.below(start, settings.edge)
    return [start]


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
    text = _cells_text(cells)
    return Found(text, cells[0].bbox if cells else None, anchor, grid.page_number, text,
                 tuple(c.bbox for c in cells), anchor.bbox)


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


def read_first(grids: list[PageGrid], alternatives: tuple[FieldSpec, ...], settings: Tolerances) -> list[Found]:
    """A field's value: the first page of the project, and the first alternative on it, that reads ([] if none)."""
    for grid in grids:
        for spec in alternatives:
            found = read_field(grid, spec, settings)
            if found:
                return found
    return []


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


def read_figure(raw: str, rule: NumberRule) -> float | None:
    """A printed figure by a table's convention (what its dash means), as printed."""
    return read_number(raw, dash_rule(rule)).value


def read_amount(raw: str, rule: NumberRule) -> float | None:
    """A printed amount of money by its table's convention, in the stored unit (千円)."""
    value = read_figure(raw, rule)
    if value is None or rule.factor == 1:
        return value
    return value * rule.factor


# ---------------------------------------------------------------------------------------
# marked items (○ lists)


def read_marks(grid: PageGrid, spec: MarkList, code: str, settings: Tolerances) -> list[Record]:
    """[[marks]]: the [mark][item] cells right of each matching label, as rows of the table named."""
    anchors = anchor_cells(grid, spec.label, spec.match, spec.label_pattern)
    group_pattern = re.compile(spec.label_pattern) if spec.label_pattern else None
    number_pattern = re.compile(spec.number) if spec.number else None
    goals: list[SdgRecord] = []
    viewpoints: list[ReformViewpointRecord] = []
    for anchor in anchors if spec.every else anchors[:1]:
        named = group_pattern.search(fold_width(anchor.label)) if group_pattern else None
        group = named.groupdict().get("group") if named else None
        band = grid.in_band(anchor.top, anchor.bottom, x0=anchor.x1)
        for item in marked_items(grid, band, settings.mark_width, settings.edge):
            if spec.keep == "marked" and not item.marked:
                continue
            bbox = union_bbox([item.mark_cell, item.item])
            if spec.into == SdgRecord.TABLE:
                number = number_pattern.match(fold_width(item.item.text)) if number_pattern else None
                if number is not None:
                    goals.append(SdgRecord(page=grid.page_number, bbox=bbox, raw_text=f"{item.mark} {item.item.text}",
                                           project_code=code, goal_no=int(number.group(1)),
                                           goal_label=item.item.text.strip(), mark=item.mark))
                continue
            viewpoints.append(ReformViewpointRecord(
                page=grid.page_number, bbox=bbox, raw_text=f"{item.mark} | {item.item.text}", project_code=code,
                viewpoint_no=len(viewpoints) + 1, viewpoint=clean_text(item.item.text) or "", selected=item.marked,
                mark=item.mark, viewpoint_group=group,
            ))
    return [*sorted(goals, key=lambda r: r.goal_no), *viewpoints]


# ---------------------------------------------------------------------------------------
# the budget table


def budget_row_rule(rules: tuple[BudgetRow, ...], row: TableRow) -> BudgetRow | None:
    """The first rule that fits a row (its group, its own label, a funding source it names)."""
    group = row.group.label if row.group else ""
    for rule in rules:
        if rule.group and group != normalize_label(rule.group):
            continue
        if rule.label and not any(label_matches(row.label.label, normalize_label(w), rule.match) for w in rule.label):
            continue
        if rule.funding_source and funding_source(row.label.text) not in SOURCE_COLUMNS:
            continue
        return rule
    return None


def read_budget_table(
    grid: PageGrid, spec: BudgetSpec, numbers: dict[str, NumberRule], code: str, settings: Tolerances
) -> BudgetTable:
    """[budget]: one BudgetRecord per year/stage column, its funding sources as long rows, and its cost items."""
    corners = anchor_cells(grid, spec.corner, spec.match)
    if not corners:
        return [], [], []
    corner = corners[0]
    columns = stage_columns(grid, corner, settings.edge)
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
    item_no = 0
    for row in rows:
        rule = budget_row_rule(spec.rows, row)
        if rule is None:
            continue  # a row this template does not name: nothing is guessed
        convention = numbers[rule.numbers or spec.numbers]
        if rule.items:
            item_no += 1
            items += budget_item_records(grid, code, columns, row, item_no, convention)
            continue
        if rule.funding_source:
            column = SOURCE_COLUMNS[funding_source(row.label.text) or ""]
            source_labels[column] = clean_text(row.label.text) or ""
        else:
            column = rule.column
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
        record.bbox = union_bbox(used[record.label])
        record.raw_text = " | ".join([record.label] + [f"{k}={v}" for k, v in record.raw.items()])
        sources += budget_source_records(record, source_labels, blank_is_zero=blank_is_zero)
    return list(budgets.values()), sources, items


def budget_item_records(grid: PageGrid, code: str, columns: list[StageColumn], row: TableRow, item_no: int,
                        convention: NumberRule) -> list[BudgetItemRecord]:
    """One cost item line: a record per column, when the line carries a name or a value."""
    name = clean_text(row.label.text) or ""
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
            )
        )
    return records


# ---------------------------------------------------------------------------------------
# indicator tables


def _leaf_label(cell: Cell) -> str:
    """A header as printed, its lines joined by one space: `R５年度 実　績`."""
    return " ".join(line.text for line in cell.lines) or cell.text


def read_indicator_table(grid: PageGrid, spec: IndicatorTable, convention: NumberRule, code: str,
                         settings: Tolerances) -> list[IndicatorRecord]:
    """[[indicators]]: a record per year column of each indicator row that has content."""
    headers = anchor_cells(grid, spec.header, spec.match)
    if not headers:
        return []
    header = headers[0]
    columns = header_columns(grid, header, settings.edge)
    named: dict[str, Column] = {}
    for field_name, printed in spec.columns.items():
        wanted = normalize_label(printed)
        column = next((c for c in columns if normalize_label(c.label).startswith(wanted)), None)
        if column is not None:
            named[field_name] = column
    figures = [c for c in columns if find_fiscal_year(c.label) and all(c is not n for n in named.values())]
    shown = [c for c in columns if any(c is kept for kept in (*figures, *named.values()))]  # in header order
    records: list[IndicatorRecord] = []
    for row_no, name_cell in enumerate(stacked_below(grid, header, settings.edge), start=1):
        middle = (name_cell.top + name_cell.bottom) / 2
        cells = {id(c): cell_at(grid, (c.x0 + c.x1) / 2, middle) for c in shown}
        texts = {key: (cell.text.strip() if cell else "") for key, cell in cells.items()}
        name = clean_text(name_cell.text)
        if not name and not any(texts.values()):
            continue  # an empty line drawn for filling in
        raw_text = " | ".join([name or ""] + [texts[id(c)] for c in shown])
        for column in figures:
            raw, cell = texts[id(column)], cells[id(column)]
            leaf = normalize_label(column.label)
            span = find_fiscal_year(column.label)
            record = IndicatorRecord(
                page=grid.page_number,
                bbox=union_bbox([name_cell] + ([cell] if cell else [])),
                raw_text=raw_text,
                raw={"value": raw},
                project_code=code,
                level=spec.level,
                indicator_no=row_no,
                indicator_name=name or "",
                fiscal_year=span.start if span else None,
                kind=next((kind for kind in spec.kinds if normalize_label(kind) in leaf), None),
                column_label=_leaf_label(column.cell),
                value=read_figure(raw, convention),  # an indicator keeps its own unit (単位)
                value_text=raw or None,
            )
            for field_name, named_column in named.items():
                setattr(record, field_name, texts[id(named_column)] or None)
            if cell is not None:
                record.cell_bboxes["value"] = cell.bbox
            records.append(record)
    return records


# ---------------------------------------------------------------------------------------
# evaluations


def evaluation_fields(grid: PageGrid, spec: EvaluationSpec, settings: Tolerances) -> dict[str, Found | None]:
    """Each text of one evaluation on a page: the first of its alternatives that reads (None when none does)."""
    return {name: next((f for spec_ in alternatives for f in read_field(grid, spec_, settings)), None)
            for name, alternatives in spec.fields.items()}


def read_evaluation(grid: PageGrid, spec: EvaluationSpec, code: str, settings: Tolerances) -> EvaluationRecord | None:
    """[[evaluations]]: the texts of one evaluation on a page (None when none of its labels is there)."""
    texts: dict[str, str | None] = {}
    boxes: dict[str, BBox] = {}
    anchors: list[Cell] = []
    for name, found in evaluation_fields(grid, spec, settings).items():
        texts[name] = found.text if found else None
        if found is None:
            continue
        if found.bbox is not None:
            boxes[name] = found.bbox
        if found.anchor is not None and all(found.anchor is not a for a in anchors):
            anchors.append(found.anchor)
    if not anchors:
        return None
    title = next((f.text for spec_ in spec.title for f in read_field(grid, spec_, settings)), None)
    record = EvaluationRecord(
        page=grid.page_number,
        bbox=union_bbox(anchors),
        raw_text="\n".join(v for v in texts.values() if v),
        project_code=code,
        evaluator=spec.evaluator,
        title=title,
        cell_bboxes=boxes,
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
    for name, alternatives in spec.fields.items():
        value = found.get(name)
        trace.note(f"{key}.fields.{name}", alternatives, grids, code, found=[value] if value else [])
