"""A document-level list of KPIs read as a template file's `[kpi_list]` says (旭川's 総合戦略 KPI一覧).

Each page holds a goal heading (`基本目標Ｎ　…`, usually a line outside the table), then a
ruled table whose header row names the columns: the item area's header (具体的な施策項目),
the KPI, 単位, value columns (現状値, one 実績値 per fiscal year, a 目標値) and 担当部. The
document title is on the first page only. What each header means, how a goal heading,
an item label and a year annotation are written, which words say a figure is pending:
all from the file (`hyoka.extractors.template_schema.KpiListSpec`); the only number here is the
file's edge tolerance.

Rows are KPIs. The item area holds the item label (ア, イ, …) and its text as cells merged
over the item's KPI rows; an item with sub-items has a placeholder row (every cell －)
followed by the sub-items, each with its label in a narrow column and its text beside
it, merged over the sub-item's rows.

Every column is found by its header and its fiscal year read from that header, so an
edition with more or fewer 実績値 columns, or another order, reads the same. A value cell
may carry a second line: a year annotation (`（令和元年度）`, `（令和2-6年度累計数）`) that
tells which years the value really refers to, or a note (`未集計（9月頃に…予定）`) when
there is no value yet.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from hyoka.extractors.grid import Cell, PageGrid, TextLine
from hyoka.extractors.records import (
    BBox,
    Extraction,
    IssueRecord,
    PageRecord,
    Record,
    StrategyKpiRecord,
    StrategyKpiValueRecord,
)
from hyoka.extractors.tables import Column, header_columns, label_matches, union_bbox
from hyoka.extractors.template import Template, new_extraction
from hyoka.extractors.template_schema import KPI_COLUMNS, DocumentSpec, KpiColumn, KpiListSpec, Tolerances
from hyoka.normalize import (
    FiscalYearSpan,
    clean_text,
    find_fiscal_year,
    fold_width,
    is_placeholder,
    normalize_label,
    parse_number,
)

_KANJI_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九", start=0)}
_OPEN_BRACKETS = "(（"
_CLOSE_BRACKETS = ")）"
_ASCII_WORD_END = re.compile(r"[A-Za-z0-9]$")
_ASCII_WORD_START = re.compile(r"^[A-Za-z0-9]")


@dataclass(frozen=True)
class KpiList:
    """A `[kpi_list]` compiled once: its patterns, its labels normalized, its tolerance."""

    spec: KpiListSpec
    tolerance: float  # points: cell edges closer than this are the same ruling
    goal: re.Pattern[str] = field(init=False)
    label: re.Pattern[str] = field(init=False)
    label_with_text: re.Pattern[str] = field(init=False)
    annotation_rest: re.Pattern[str] | None = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "goal", re.compile(self.spec.goal))
        object.__setattr__(self, "label", re.compile(self.spec.item_label))
        object.__setattr__(self, "label_with_text", re.compile(self.spec.label_with_text))
        rest = self.spec.annotation_rest
        object.__setattr__(self, "annotation_rest", re.compile(rest) if rest else None)

    def is_label(self, text: str) -> bool:
        """Whether a cell's text is an item (or sub-item) label alone."""
        return bool(self.label.match(text.strip()))

    def column_rule(self, label: str) -> KpiColumn | None:
        """The first `[[kpi_list.columns]]` rule whose words fit a header label."""
        norm = normalize_label(label)
        for rule in self.spec.columns:
            if any(label_matches(norm, normalize_label(word), rule.match) for word in rule.words):
                return rule
        return None

    def slot_rule(self, slot: str) -> KpiColumn:
        """The (first) rule of a value slot."""
        return next(rule for rule in self.spec.columns if rule.slot == slot)


def read_kpi_list(template: Template, spec: KpiListSpec, document: DocumentSpec, settings: Tolerances,
                  pages: list[tuple[PageGrid, str]]) -> Extraction:
    """Every KPI row of the pages the template won, in page order; then the title, city and results year."""
    extraction = new_extraction(template, pages)
    state = ReadState(KpiList(spec, settings.edge), template.name)
    for grid, role in sorted(pages, key=lambda pair: pair[0].page_number):
        read_page(grid, role, state, extraction)
    if state.title:
        extraction.title = state.title
        extraction.municipality = municipality_from_title(state.title, document) or template.municipality
    if document.municipality:  # the city is read from the title: a title without one is a finding
        first_page = min((grid.page_number for grid, _ in pages), default=None)
        extraction.issues += title_issues(state.title, extraction.municipality, first_page)
    extraction.results_fiscal_year = results_fiscal_year(extraction, spec)
    extraction.issues += state.issues + empty_cell_issues(state)
    return extraction


def title_issues(title: str | None, municipality: str | None, page: int | None) -> list[IssueRecord]:
    """`missing_title`, or `missing_municipality` for a title that names no city."""
    if not title:
        return [IssueRecord(page, Extraction.TABLE, "", "title", "missing_title")]
    if municipality is None:
        return [IssueRecord(page, Extraction.TABLE, "", "municipality", "missing_municipality",
                            raw_value=title, detail=title)]
    return []


def empty_cell_issues(state: ReadState) -> list[IssueRecord]:
    """One `empty_column` for a value column that is empty in every KPI row.

    A single empty cell is not an issue: its value record says `status = 'empty'`. A
    whole empty column is worth a look (a year not reported yet, or a misread header).
    """
    issues: list[IssueRecord] = []
    reported: set[str] = set()
    for empty in state.empty_cells:
        label = empty.column_label
        if label not in state.filled_columns and label not in reported:
            reported.add(label)
            issues.append(
                IssueRecord(empty.page, empty.TABLE, label, "value", "empty_column", detail=label)
            )
    return issues


def results_fiscal_year(extraction: Extraction, spec: KpiListSpec) -> int | None:
    """The newest column year of a results slot (実績値) that has at least one value."""
    results = {column.slot for column in spec.columns if column.results}
    years = [
        r.column_fiscal_year
        for r in extraction.rows(StrategyKpiValueRecord)
        if r.slot in results and r.status == "value" and r.column_fiscal_year
    ]
    return max(years) if years else None


def municipality_from_title(title: str, document: DocumentSpec) -> str | None:
    """The city the title names (`[document] municipality`), after what `municipality_remove` drops."""
    if not document.municipality:
        return None
    text = fold_width(title)
    for pattern in document.municipality_remove:
        text = re.sub(pattern, " ", text)
    match = re.search(document.municipality, text)
    return match.group(1) if match else None


# ---------------------------------------------------------------------------------------
# reading state carried from page to page


@dataclass
class Goal:
    no: int | None
    title: str | None
    heading: str


@dataclass
class ItemContext:
    """Where a KPI row sits in the 具体的な施策項目 tree."""

    label: str | None = None
    title: str | None = None
    sub_no: str | None = None
    sub_title: str | None = None
    cells: dict[str, Cell] = field(default_factory=dict)


@dataclass
class ReadState:
    kpi_list: KpiList
    template: str  # the template's name, stored on each page record
    title: str | None = None
    goal: Goal | None = None
    item: ItemContext = field(default_factory=ItemContext)
    kpi_ids: set[str] = field(default_factory=set)
    issues: list[IssueRecord] = field(default_factory=list)
    # value columns (by label) with at least one non-empty cell in a KPI row, and the empty cells
    filled_columns: set[str] = field(default_factory=set)
    empty_cells: list[StrategyKpiValueRecord] = field(default_factory=list)

    def issue(self, page: int, record_type: type[Record], key: str, column: str | None, check: str, detail: str = "",
              raw: str | None = None, bbox: BBox | None = None) -> None:
        """Report a finding: the validate stage gives it the registry's severity and message."""
        self.issues.append(IssueRecord(page, record_type.TABLE, key, column, check, raw_value=raw, bbox=bbox, detail=detail))


# ---------------------------------------------------------------------------------------
# text helpers


def join_lines(parts: list[str]) -> str:
    """Printed lines as one line: no space at a wrap, except between two ASCII words."""
    out = ""
    for part in (p.strip() for p in parts):
        if not part:
            continue
        joiner = " " if out and _ASCII_WORD_END.search(out) and _ASCII_WORD_START.match(part) else ""
        out += joiner + part
    return out


def one_line(cell: Cell | None) -> str | None:
    """A cell's text as one line (item texts, units, departments never hold a hard break)."""
    if cell is None:
        return None
    return join_lines([line.text for line in cell.lines] or cell.text.split("\n")) or None


def value_cell_text(lines: list[TextLine]) -> str:
    """A value cell's printed text: the value, then its annotation or note on a new line.

    Value cells are centred, so where a line ends says nothing about a wrap. A line
    break is kept after a line that is a number, and before a line that opens a
    bracket; every other break is a wrap inside the annotation or note.
    """
    out = ""
    for line in lines:
        text = line.text.strip()
        if not text:
            continue
        if not out:
            out = text
            continue
        last = out.rsplit("\n", 1)[-1]
        if parse_number(last).status == "value" or text[0] in _OPEN_BRACKETS:
            out += "\n" + text
        else:
            out = out[: len(out) - len(last)] + join_lines([last, text])
    return out


def split_kpi_name(cell: Cell, remark: str) -> tuple[str, str | None]:
    """KPI name and its remark (※ …: the remark starts on its own line)."""
    lines = [line.text for line in cell.lines] or cell.text.split("\n")
    for i, line in enumerate(lines):
        if i > 0 and line.strip().startswith(remark):
            return join_lines(lines[:i]), join_lines(lines[i:]) or None
    return join_lines(lines), None


def goal_from_heading(text: str, heading: re.Pattern[str]) -> Goal | None:
    """`基本目標１　若い世代の…` → Goal(1, '若い世代の…'): the heading pattern's groups `no` and `title`."""
    match = heading.match(text)
    if not match:
        return None
    digits = match.group("no")
    if digits[0] in _KANJI_DIGITS or digits[0] == "十":
        no = _kanji_number(digits)
    else:
        no = int(fold_width(digits))
    title = clean_text((match.group("title") or "").replace("\n", ""))
    return Goal(no=no, title=title.strip() if title else None, heading=text.strip())


def _kanji_number(text: str) -> int:
    """一 .. 九十九 as an int."""
    if "十" not in text:
        return _KANJI_DIGITS.get(text, 0)
    tens, _, ones = text.partition("十")
    return (_KANJI_DIGITS.get(tens, 1) if tens else 1) * 10 + (_KANJI_DIGITS.get(ones, 0) if ones else 0)


def kpi_id_for(goal_no: int | None, kpi_name: str) -> str:
    """`g{goal}-` + sha1 of the goal number and the normalized KPI name (12 hex)."""
    goal = goal_no if goal_no is not None else 0
    digest = hashlib.sha1(f"{goal}|{normalize_label(kpi_name)}".encode()).hexdigest()[:12]
    return f"g{goal}-{digest}"


def placeholder_kpi_id(goal_no: int | None, item: ItemContext) -> str:
    """`g2-エ-placeholder`: a placeholder row is named by its item (and sub-item)."""
    goal = goal_no if goal_no is not None else 0
    label = normalize_label((item.label or "") + (item.sub_no or "")) or "-"
    return f"g{goal}-{label}-placeholder"


# ---------------------------------------------------------------------------------------
# the table header


@dataclass
class ValueColumn:
    slot: str  # 現状値 / 実績値 / 目標値
    label: str  # as printed
    fiscal_year: int | None
    x0: float
    x1: float
    cell: Cell
    dated: bool = True  # its header names its year (else each cell's annotation does: 現状値)


@dataclass
class KpiTable:
    item_header: Cell
    top: float  # the header row's top
    body_top: float  # under the header row
    body_bottom: float  # the next table's header, or the page's end
    kpi: Column | None = None
    unit: Column | None = None
    department: Column | None = None
    values: list[ValueColumn] = field(default_factory=list)


def find_tables(grid: PageGrid, state: ReadState) -> list[KpiTable]:
    """Every KPI table on the page, from its header cell (具体的な施策項目)."""
    spec = state.kpi_list.spec
    wanted = [normalize_label(label) for label in spec.header]
    headers = grid.find_all(lambda c: any(label_matches(c.label, label, spec.match) for label in wanted))
    tables: list[KpiTable] = []
    for i, header in enumerate(headers):
        columns = header_columns(grid, header)
        body_top = max([header.bottom] + [c.cell.bottom for c in columns])
        body_bottom = headers[i + 1].top if i + 1 < len(headers) else grid.height
        table = KpiTable(item_header=header, top=header.top, body_top=body_top, body_bottom=body_bottom)
        for column in columns:
            read_header(grid, table, column, state)
        for rule in sorted((r for r in spec.columns if r.fills), key=lambda r: KPI_COLUMNS.index(r.fills)):
            if getattr(table, rule.fills) is None:
                state.issue(grid.page_number, StrategyKpiRecord, "", rule.fills, "missing_column",
                            rule.name, None, header.bbox)
        if not table.values:
            state.issue(grid.page_number, StrategyKpiValueRecord, "", None, "missing_column",
                        "・".join(spec.slots), None, header.bbox)
        tables.append(table)
    return tables


def read_header(grid: PageGrid, table: KpiTable, column: Column, state: ReadState) -> None:
    """One header of the table: a text column of the row, a value column with its year, or unknown."""
    label = clean_text(column.full_label) or ""
    rule = state.kpi_list.column_rule(label)
    if rule is None:
        state.issue(grid.page_number, StrategyKpiRecord, label, None, "unknown_column",
                    label, label, column.cell.bbox)
    elif rule.fills:
        if getattr(table, rule.fills) is None:
            setattr(table, rule.fills, column)
    else:
        dated = rule.year == "header"
        span = find_fiscal_year(label)
        table.values.append(ValueColumn(rule.slot, label, span.start if span else None, column.x0, column.x1,
                                        column.cell, dated))
        if span is None and dated:
            state.issue(grid.page_number, StrategyKpiValueRecord, label, "column_fiscal_year", "column_without_year",
                        label, label, column.cell.bbox)


# ---------------------------------------------------------------------------------------
# one page


def read_page(grid: PageGrid, role: str, state: ReadState, extraction: Extraction) -> None:
    """Title, 基本目標 heading(s) and every KPI row of one page."""
    tables = find_tables(grid, state)
    first_top = tables[0].top if tables else grid.height
    if state.title is None:
        state.title = find_title(grid, first_top, state.kpi_list)
    page = PageRecord(page=grid.page_number, template=state.template, page_role=role, status="read")
    if not tables:
        state.issue(grid.page_number, PageRecord, page.key(), None, "missing_table")
        page.note = "no KPI table"
    row_no = 0
    previous_top = 0.0
    for table in tables:
        goal = find_goal(grid, previous_top, table.top, state.kpi_list)
        if goal is not None:
            if state.goal is None or goal.no != state.goal.no:
                state.item = ItemContext()
            state.goal = goal
        elif state.goal is None:
            state.issue(grid.page_number, StrategyKpiRecord, "", "goal_no", "missing_goal_heading",
                        bbox=table.item_header.bbox)
        row_no = read_table(grid, table, state, extraction, row_no)
        previous_top = table.top
    page.raw_text = state.goal.heading if state.goal else ""
    extraction.add(page)


def _page_texts(grid: PageGrid, top: float, bottom: float,
                tolerance: float) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Text lines outside cells and texts of cells between two heights, top to bottom."""
    texts = [
        (line.text, (line.x0, line.top, line.x1, line.bottom))
        for line in grid.loose_lines
        if top - tolerance <= line.top and line.bottom <= bottom + tolerance
    ]
    texts += [(c.text, c.bbox) for c in grid.cells if c.text and top - tolerance <= c.top and c.bottom <= bottom + tolerance]
    return sorted(texts, key=lambda t: (t[1][1], t[1][0]))


def find_title(grid: PageGrid, bottom: float, kpi_list: KpiList) -> str | None:
    """The document title above the first table: the first line with a word of `title_contains` or `title_ends`."""
    spec = kpi_list.spec
    contains = [normalize_label(word) for word in spec.title_contains]
    ends = [normalize_label(word) for word in spec.title_ends]
    for text, _ in _page_texts(grid, 0.0, bottom, kpi_list.tolerance):
        norm = normalize_label(text)
        if norm.startswith(normalize_label(spec.goal_label)):
            continue
        if any(word in norm for word in contains) or any(norm.endswith(word) for word in ends):
            return clean_text(text)
    return None


def find_goal(grid: PageGrid, top: float, bottom: float, kpi_list: KpiList) -> Goal | None:
    """The goal heading closest above a table."""
    texts = _page_texts(grid, top, bottom, kpi_list.tolerance)
    goals = [goal for text, _ in texts if (goal := goal_from_heading(text, kpi_list.goal))]
    return goals[-1] if goals else None


# ---------------------------------------------------------------------------------------
# rows


def _cell_at(grid: PageGrid, x0: float, x1: float, y: float, top: float, tolerance: float) -> Cell | None:
    """The smallest cell under a column (its centre) at height y, below `top`."""
    x = (x0 + x1) / 2
    found = [c for c in grid.cells if c.x0 <= x <= c.x1 and c.top <= y <= c.bottom and c.top >= top - tolerance]
    return min(found, key=lambda c: c.width * c.height) if found else None


def read_table(grid: PageGrid, table: KpiTable, state: ReadState, extraction: Extraction, row_no: int) -> int:
    """Every KPI row of one table; returns the last row number used on the page."""
    if table.kpi is None:
        return row_no
    kpi_col, tolerance = table.kpi, state.kpi_list.tolerance
    kpi_cells = sorted(
        (
            c
            for c in grid.cells
            if c.top >= table.body_top - tolerance
            and c.bottom <= table.body_bottom + tolerance
            and abs(c.x0 - kpi_col.x0) <= tolerance
            and abs(c.x1 - kpi_col.x1) <= tolerance
        ),
        key=lambda c: c.top,
    )
    item_titles: dict[int, tuple[str, Cell]] = {}
    for kpi_cell in kpi_cells:
        y = (kpi_cell.top + kpi_cell.bottom) / 2
        unit_cell = _cell_at(grid, table.unit.x0, table.unit.x1, y, table.body_top, tolerance) if table.unit else None
        dept_cell = (_cell_at(grid, table.department.x0, table.department.x1, y, table.body_top, tolerance)
                     if table.department else None)
        value_cells = [_cell_at(grid, col.x0, col.x1, y, table.body_top, tolerance) for col in table.values]
        texts = [kpi_cell.text, *(c.text if c else "" for c in [unit_cell, dept_cell, *value_cells])]
        if not any(t.strip() for t in texts):
            continue  # an empty row drawn for filling in
        row_no += 1
        item = read_item_context(grid, table, y, state, item_titles)
        read_row(grid, table, state, extraction, row_no, item, kpi_cell, unit_cell, dept_cell, value_cells)
    return row_no


def read_item_context(
    grid: PageGrid, table: KpiTable, y: float, state: ReadState, item_titles: dict[int, tuple[str, Cell]]
) -> ItemContext:
    """Item label/text and sub-item number/text of the row at height y.

    The cells of the 具体的な施策項目 area that span this row, left to right: a label at
    the area's left edge is the item's (ア), a label further right is a sub-item's (①,
    in its narrow column); a text belongs to the label just left of it. An item whose
    text cell covers only its placeholder row gets its text from that row.
    """
    header, tolerance, kpi_list = table.item_header, state.kpi_list.tolerance, state.kpi_list
    chain = sorted(
        (
            c
            for c in grid.cells
            if c.x0 >= header.x0 - tolerance
            and c.x1 <= header.x1 + tolerance
            and c.top <= y <= c.bottom
            and c.top >= table.body_top - tolerance
        ),
        key=lambda c: c.x0,
    )
    item = ItemContext()
    level = None  # which label the next text belongs to
    for cell in chain:
        text = one_line(cell) or ""
        if not text:
            continue
        at_left = cell.x0 <= header.x0 + tolerance
        label, rest = (text, None) if kpi_list.is_label(text) else _split_label(text, kpi_list.label_with_text)
        if label is not None:
            if at_left:
                item.label, item.cells["item_label"], level = label, cell, "item"
            else:
                item.sub_no, item.cells["sub_item_no"], level = label, cell, "sub"
            if rest:
                _set_title(item, level, rest, cell)
            continue
        _set_title(item, level or "item", text, cell)
    if item.label is None and item.title is None and item.sub_no is None:
        # nothing of the item area spans this row (a table continued from the last page)
        previous = state.item
        if previous.label is None and previous.title is None:
            state.issue(grid.page_number, StrategyKpiRecord, "", "item_label", "missing_item_label",
                        bbox=(header.x0, y, header.x1, y))
        return previous
    label_cell = item.cells.get("item_label")
    if label_cell is not None:
        if item.title is not None:
            item_titles[label_cell.index] = (item.title, item.cells["item_title"])
        elif label_cell.index in item_titles:
            item.title, item.cells["item_title"] = item_titles[label_cell.index]
        else:
            right = [c for c in grid.right_of(label_cell) if abs(c.top - label_cell.top) <= tolerance and c.text]
            right = [c for c in right if not kpi_list.is_label(c.text)]
            if right:
                item.title, item.cells["item_title"] = one_line(right[0]), right[0]
            elif state.item.label == item.label:
                item.title = state.item.title
    elif state.item.label is not None and item.title is None:
        # a sub-item continued on a new page: its item is the last one read
        item.label, item.title = state.item.label, state.item.title
    state.item = item
    return item


def _split_label(text: str, pattern: re.Pattern[str]) -> tuple[str | None, str | None]:
    """`ア　移住…` → ('ア', '移住…'): the pattern's last group is the text, its first other group that matched the label."""
    match = pattern.match(text)
    if not match:
        return None, None
    *labels, rest = match.groups()
    label = next((group for group in labels if group), None)
    return (label, rest.strip()) if label is not None and rest is not None else (None, None)


def _set_title(item: ItemContext, level: str, text: str, cell: Cell) -> None:
    if level == "sub":
        item.sub_title = join_lines([item.sub_title or "", text])
        item.cells.setdefault("sub_item_title", cell)
    else:
        item.title = join_lines([item.title or "", text])
        item.cells.setdefault("item_title", cell)


def read_row(
    grid: PageGrid,
    table: KpiTable,
    state: ReadState,
    extraction: Extraction,
    row_no: int,
    item: ItemContext,
    kpi_cell: Cell,
    unit_cell: Cell | None,
    dept_cell: Cell | None,
    value_cells: list[Cell | None],
) -> None:
    """One KPI row: a StrategyKpiRecord and one StrategyKpiValueRecord per value column."""
    page = grid.page_number
    goal = state.goal
    name, remark = split_kpi_name(kpi_cell, state.kpi_list.spec.remark)
    unit = one_line(unit_cell)
    department = one_line(dept_cell)
    value_raws = [value_cell_text(c.lines) if c else "" for c in value_cells]
    others = [unit or "", department or "", *value_raws]
    placeholder = is_placeholder(name) and all(is_placeholder(t) or not t.strip() for t in others)
    if is_placeholder(name) or not name:
        kpi_id = placeholder_kpi_id(goal.no if goal else None, item)
    else:
        kpi_id = kpi_id_for(goal.no if goal else None, name)
    duplicate = kpi_id in state.kpi_ids
    if duplicate:
        base, n = kpi_id, 2
        while f"{base}-{n}" in state.kpi_ids:
            n += 1
        kpi_id = f"{base}-{n}"
    state.kpi_ids.add(kpi_id)

    row_cells = [c for c in [kpi_cell, unit_cell, *value_cells, dept_cell] if c is not None]
    record = StrategyKpiRecord(
        page=page,
        bbox=union_bbox(row_cells),
        raw_text=" | ".join([kpi_cell.text, unit_cell.text if unit_cell else "", *value_raws, dept_cell.text if dept_cell else ""]),
        kpi_id=kpi_id,
        row_no=row_no,
        goal_no=goal.no if goal else None,
        goal_title=goal.title if goal else None,
        item_label=item.label,
        item_title=item.title,
        sub_item_no=item.sub_no,
        sub_item_title=item.sub_title,
        kpi_name=name,
        kpi_remark=remark,
        unit=unit,
        department=department,
        is_placeholder=placeholder,
    )
    record.raw = {"kpi_name": kpi_cell.text, "unit": unit_cell.text if unit_cell else "",
                  "department": dept_cell.text if dept_cell else ""}
    record.cell_bboxes = {"kpi_name": kpi_cell.bbox}
    for key, cell in (("unit", unit_cell), ("department", dept_cell), *item.cells.items()):
        if cell is not None:
            record.cell_bboxes[key] = cell.bbox
    check_row(state, record, duplicate, kpi_cell, dept_cell)
    extraction.add(record)

    for column, cell, raw in zip(table.values, value_cells, value_raws):
        value = read_value(column, raw, state.kpi_list)
        value.page = page
        value.kpi_id = kpi_id
        value.raw_text = raw
        value.raw = {"value": raw}
        if cell is not None:
            value.bbox = cell.bbox
            value.cell_bboxes = {"value": cell.bbox}
        else:
            state.issue(page, StrategyKpiValueRecord, value.key(), "value", "missing_cell",
                        f"{column.label} / {name}", None, kpi_cell.bbox)
        check_value(state, column, value, placeholder)
        extraction.add(value)


def check_row(state: ReadState, record: StrategyKpiRecord, duplicate: bool, kpi_cell: Cell, dept_cell: Cell | None) -> None:
    """Warnings for a KPI row: a renamed duplicate id, a missing name or department."""
    page, key, name, department = record.page, record.key(), record.kpi_name, record.department
    if duplicate:
        state.issue(page, StrategyKpiRecord, key, "kpi_id", "duplicate_kpi_id",
                    name, name, kpi_cell.bbox)
    if record.is_placeholder:
        return
    if not name:
        state.issue(page, StrategyKpiRecord, key, "kpi_name", "missing_kpi_name", bbox=kpi_cell.bbox)
    elif is_placeholder(name):
        state.issue(page, StrategyKpiRecord, key, "kpi_name", "placeholder_kpi_name",
                    f"KPI名「{name}」", name, kpi_cell.bbox)
    if not department or is_placeholder(department):
        state.issue(page, StrategyKpiRecord, key, "department", "missing_department",
                    name, department,
                    dept_cell.bbox if dept_cell else kpi_cell.bbox)


# ---------------------------------------------------------------------------------------
# values


def read_value(column: ValueColumn, raw: str, kpi_list: KpiList) -> StrategyKpiValueRecord:
    """What one value cell says, and the fiscal years it refers to.

    - a number, maybe with a year annotation on the next line: status value; the
      annotation's years, else the column's year (its header's), else unknown (現状値);
    - a number with other text after it: status value, the text as note;
    - words saying the figure is not known yet (未集計, …予定): status pending, note;
    - other words (法定雇用率以上): status text, note;
    - －: placeholder; nothing: empty.
    """
    record = StrategyKpiValueRecord(
        slot=column.slot,
        column_label=column.label,
        column_fiscal_year=column.fiscal_year if column.dated else None,
        value_text=raw or None,
    )
    text = raw.strip()
    if not text:
        record.status = "empty"
        return record
    if is_placeholder(text):
        record.status = "placeholder"
        return record
    head, rest = _split_value(text)
    parsed = parse_number(head) if head else None
    if parsed is not None and parsed.status == "value":
        record.status = "value"
        record.value = parsed.value
        span = None
        if rest:
            span = annotation_span(rest, kpi_list.annotation_rest)
            if span is not None:
                record.annotation = rest
                record.aggregation = aggregation_of(rest, kpi_list.spec.aggregation)
            else:
                record.note = rest
        _set_ref_years(record, column, span)
        return record
    record.note = join_lines(text.split("\n"))
    record.status = "pending" if any(word in record.note for word in kpi_list.spec.pending) else "text"
    _set_ref_years(record, column, None)
    return record


def _split_value(text: str) -> tuple[str | None, str | None]:
    """The leading figure and what follows it (the next lines, or a bracket on the same line)."""
    first, _, rest = text.partition("\n")
    if parse_number(first).status == "value":
        return first.strip(), join_lines(rest.split("\n")) or None
    match = re.match(r"^([^\s(（]+)\s*([(（].*)$", join_lines(text.split("\n")), re.S)
    if match and parse_number(match.group(1)).status == "value":
        return match.group(1), match.group(2)
    return None, None


def annotation_span(text: str, rest_allowed: re.Pattern[str] | None) -> FiscalYearSpan | None:
    """The years of a year annotation such as （令和元年度）, (令和2-6年度累計数）; None for other notes.

    After its year an annotation holds only what `rest_allowed` matches (累計数, の平均値 …).
    """
    stripped = text.strip()
    if len(stripped) < 3 or stripped[0] not in _OPEN_BRACKETS or stripped[-1] not in _CLOSE_BRACKETS:
        return None
    inner = stripped[1:-1]
    span = find_fiscal_year(inner)
    if span is None:
        return None
    rest = re.sub(r"\s", "", inner.replace(span.text, "", 1))
    if rest_allowed is None:
        return span if not rest else None
    return span if rest_allowed.match(rest) else None


def aggregation_of(annotation: str, words: dict[str, tuple[str, ...]]) -> str | None:
    """The aggregation the annotation states (単年度 / 累計 / 平均): the first whose word is in it."""
    for name, said_by in words.items():
        if any(word in annotation for word in said_by):
            return name
    return None


def _set_ref_years(record: StrategyKpiValueRecord, column: ValueColumn, span: FiscalYearSpan | None) -> None:
    if span is not None:
        record.ref_fiscal_year_start, record.ref_fiscal_year_end = span.start, span.end
        if not column.dated:
            record.column_fiscal_year = span.end
    elif column.dated and column.fiscal_year is not None:
        record.ref_fiscal_year_start = record.ref_fiscal_year_end = column.fiscal_year


def check_value(
    state: ReadState, column: ValueColumn, value: StrategyKpiValueRecord, placeholder_row: bool,
) -> None:
    """Warnings for value cells that need a look."""
    if placeholder_row:
        return
    # value checks (numbers parse, units, reference years) are the schema's: schemas/strategy.py
    if value.status == "value" and value.note:
        state.issue(value.page, StrategyKpiValueRecord, value.key(), "annotation", "unknown_annotation",
                    repr(value.note), value.value_text, value.bbox)
    if value.status == "empty":
        state.empty_cells.append(value)  # an issue only if the whole column is empty: `empty_cell_issues`
    else:
        state.filled_columns.add(column.label)

