"""`hyoka template check`: one template file against real pages — what each item read, and why not.

The loop a contributor iterates in (docs/adding-a-template.md): the PDFs are read with
the one file only, as the ingest would read them (`FileTemplate.read_traced`, told to
keep a `ReadTrace`), and the trace becomes a check per page: the role that matched and its
score, which `[[page]]` anchors were found and which were not, and per item of the
file (a field, a title part, a table) what it read — value, raw text, the cells' boxes,
the label it was found by — or that it was expected but not found, and why: the step
that failed on the page where it got furthest (label not found, no cell right of it,
the pattern did not match …). The reasons are worked out only for what is missing.

`check_pages` works on pages already read (`read_page_grids`); `picture_marks` and
`picture_anchors` say what a page's picture draws, `write_pictures` draws it
(`hyoka.extractors.inspect.plan_drawing`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from hyoka.extractors.file_template import (
    FileTemplate,
    Found,
    ReadTrace,
    TraceItem,
    anchor_cells,
    caption_lines,
    from_caption,
    from_label,
    read_marks,
    refine,
    value_cells,
    via_below,
)
from hyoka.extractors.grid import BBox, PageGrid, labels_starting
from hyoka.extractors.records import Record
from hyoka.extractors.registry import MIN_SCORE, PageRead
from hyoka.extractors.tables import header_columns
from hyoka.extractors.template import best_role
from hyoka.extractors.template_schema import (
    BudgetSpec,
    FieldSpec,
    IndicatorTable,
    KpiListSpec,
    MarkList,
    StaffingSpec,
    StaffRowsSpec,
    Tolerances,
)
from hyoka.extractors.text_layer import DEFAULT_TEXT_LAYER
from hyoka.normalize import find_fiscal_year, normalize_label

Status = Literal["read", "missing"]


def rounded(box: BBox) -> BBox:
    """A box to a hundredth of a point (finer says nothing to a reader; the JSON stays short)."""
    return (round(box[0], 2), round(box[1], 2), round(box[2], 2), round(box[3], 2))


@dataclass
class CellRead:
    """A box an item read from (or, for a table, one column of a row), on its page, with the label drawn on it."""

    page: int
    box: BBox
    label: str  # the item's key, and for a table the column: budget.total_cost

    def __post_init__(self) -> None:
        self.box = rounded(self.box)


@dataclass
class ItemCheck:
    """One item of the file for one project (or the document): what it read, or why it read nothing."""

    key: str  # as the file writes it: project.fields.department, document.title[1], budget, marks[2]
    status: Status
    page: int | None  # the page it was read from (missing: the project's first page)
    value: str | None = None  # the value (a table: how many rows of which table)
    raw: str | None = None  # the text before remove / pattern / choice (a table: its rows as printed)
    box: BBox | None = None  # the cell the value came from
    anchor: BBox | None = None  # the label cell or caption line it was found by
    rows: int | None = None  # a table's rows
    reason: str = ""  # why it is missing; a note when it read something unusual (nothing marked, a fallback)
    cells: list[CellRead] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.box = rounded(self.box) if self.box else None
        self.anchor = rounded(self.anchor) if self.anchor else None


@dataclass
class PageCheck:
    """One page: the role it matched and its score, its anchors, and the items of the project it starts."""

    page: int
    role: str | None  # the best role, even when it scored too little to be read
    score: float
    recognized: bool  # scored at least MIN_SCORE: the template reads the page
    anchors_found: list[str] = field(default_factory=list)
    anchors_missing: list[str] = field(default_factory=list)
    note: str = ""  # why the page was not read (no text layer, unreadable, below MIN_SCORE)
    items: list[ItemCheck] = field(default_factory=list)


@dataclass
class DocumentCheck:
    """One PDF read with the template file."""

    pdf: str
    template: str
    pages: list[PageCheck] = field(default_factory=list)
    document: list[ItemCheck] = field(default_factory=list)  # the document's own fields (title, results year)
    note: str = ""  # no page recognized: nothing was read

    @property
    def items(self) -> list[ItemCheck]:
        """Every item checked, the document's first."""
        return [*self.document, *(item for page in self.pages for item in page.items)]

    @property
    def missing(self) -> int:
        """How many expected items were not found (a document no page of which was recognized counts one)."""
        return sum(item.status == "missing" for item in self.items) + (1 if self.note else 0)


# ---------------------------------------------------------------------------------------
# pages: role, score, anchors


def anchor_found(grid: PageGrid, anchor: str) -> bool:
    """Whether an anchor starts some cell's or loose line's label (as `anchor_score` counts it)."""
    return grid.has_label_starting(normalize_label(anchor))


def anchor_boxes(grid: PageGrid, anchors: list[str]) -> list[BBox]:
    """For each anchor found, the first cell (else loose line) in reading order whose label starts with it."""
    boxes: list[BBox] = []
    for anchor in anchors:
        wanted = normalize_label(anchor)
        cells = [c for key in labels_starting(grid.cell_labels, wanted) for c in grid.cells_by_label[key]]
        if cells:
            boxes.append(min(cells, key=lambda c: (round(c.top), c.x0)).bbox)
            continue
        line = next((ln for ln in grid.loose_lines if normalize_label(ln.text).startswith(wanted)), None)
        if line is not None:
            boxes.append((line.x0, line.top, line.x1, line.bottom))
    return boxes


def check_page(template: FileTemplate, read: PageRead) -> PageCheck:
    """The page's best role, its score and anchors, and whether the template reads it."""
    if read.grid is None:
        return PageCheck(read.page, None, 0.0, False, note=f"unreadable page ({read.unreadable or 'no grid'})")
    if not read.has_text:
        return PageCheck(read.page, None, 0.0, False, note="no text layer (scanned image?)")
    roles = {page.role: page.anchors for page in template.spec.page}
    match = best_role(read.grid, roles)
    anchors = roles.get(match.role or "", template.spec.page[0].anchors)
    found = [a for a in anchors if anchor_found(read.grid, a)]
    check = PageCheck(read.page, match.role, round(match.score, 4), match.score >= MIN_SCORE and bool(match.role),
                      found, [a for a in anchors if a not in found])
    if not check.recognized:
        garbled = " (its text layer is garbled)" if read.text.garbled(DEFAULT_TEXT_LAYER) else ""
        check.note = f"not recognized: score {match.score:.2f} is below {MIN_SCORE:.2f}{garbled}"
    return check


# ---------------------------------------------------------------------------------------
# why a field read nothing


def _shown(text: str | None, limit: int = 40) -> str:
    """A text quoted on one line, cut at `limit` characters."""
    flat = " ".join((text or "").split())
    return repr(flat if len(flat) <= limit else flat[:limit - 1] + "…")


def _labels(spec: FieldSpec) -> str:
    """How the file names a field's anchor, for a reason."""
    if spec.label_pattern:
        return f"no label matches {spec.label_pattern!r}"
    names = " or ".join(repr(name) for name in (spec.caption or spec.label))
    how = "" if spec.match == "exact" else f" ({spec.match})"
    return f"{'caption' if spec.caption else 'label'} {names}{how} not found"


def field_miss(grid: PageGrid, spec: FieldSpec, settings: Tolerances) -> tuple[int, str]:
    """Why one way of reading a field reads nothing on a page: how far it got (0-2) and the step that failed."""
    if spec.caption:
        lines = caption_lines(grid, spec.caption, spec.match)
        if not lines:
            return 0, _labels(spec)
        found = from_caption(grid, lines[0], spec, settings)
        if found.bbox is None:
            where = (f"right of it within {settings.caption_gap:g}pt" if spec.value == "right"
                     else f"under it within {settings.box_gap:g}pt")
            return 1, f"no framed box {where} (caption {_shown(lines[0].text)})"
    else:
        anchors = anchor_cells(grid, spec.label, spec.match, spec.label_pattern)
        if not anchors:
            return 0, _labels(spec)
        start = via_below(grid, anchors[0], spec, settings)
        if start is None:
            return 1, f"no cell labelled {spec.via_below!r} under {_shown(anchors[0].text)}"
        if not value_cells(grid, start, spec, settings):
            return 1, f"no cell {'right of' if spec.value == 'right' else 'below'} {_shown(start.text)}"
        found = from_label(grid, anchors[0], spec, settings)
    if spec.pattern and not refine(found.text, replace(spec, digits=False))[0]:
        return 2, f"pattern {spec.pattern!r} did not match {_shown(found.text)}"
    if spec.digits:
        return 2, f"no digit in {_shown(found.text)}"
    return 2, f"nothing printed in it ({_shown(found.text)})"


def why_field(grids: list[PageGrid], alternatives: tuple[FieldSpec, ...], settings: Tolerances) -> str:
    """Why no alternative read on any page: the reason of the one that got furthest (the first of those)."""
    misses = [(field_miss(grid, spec, settings), n) for n, spec in enumerate(alternatives) for grid in grids]
    if not misses:
        return "no page to read it from"
    (_, reason), number = max(misses, key=lambda miss: (miss[0][0], -miss[1]))
    return reason if len(alternatives) == 1 else f"{reason} (alternative {number + 1} of {len(alternatives)})"


# ---------------------------------------------------------------------------------------
# items


def field_check(item: TraceItem, settings: Tolerances) -> ItemCheck:
    """A field's (or title part's) check: its first value, or why no alternative read."""
    first_page = item.grids[0].page_number if item.grids else None
    # a label with no cell where its value should be reads as a blank: here it is missing, and why
    if not any(found.bbox for found in item.found):
        if item.fallback:
            return ItemCheck(item.key, "read", first_page, item.fallback, reason="not printed where the file says: "
                             + why_field(item.grids, item.spec, settings))
        return ItemCheck(item.key, "missing", first_page, reason=why_field(item.grids, item.spec, settings))
    value: Found = item.found[0]
    text = " ".join(f.text for f in item.found if f.text) or None  # a title part may read several lines
    cells = [CellRead(f.page, box, item.key) for f in item.found for box in (f.boxes or ((f.bbox,) if f.bbox else ()))]
    reason = f"it names no fiscal year; used {item.fallback}" if item.fallback else ""
    return ItemCheck(item.key, "read", value.page, text, value.raw, value.bbox, value.anchor_box, reason=reason,
                     cells=cells)


def _row_cells(key: str, rows: list[Record]) -> list[CellRead]:
    """The cells a table's rows read, each labelled with its column (a row without cell boxes: its box)."""
    cells: list[CellRead] = []
    for row in rows:
        for column, box in row.cell_bboxes.items():
            cells.append(CellRead(row.page_of(column), box, f"{key}.{column}"))
        if not row.cell_bboxes and row.bbox is not None:
            cells.append(CellRead(row.page, row.bbox, key))
    return cells


def _counts(rows: list[Record]) -> str:
    """How many rows of which table: 'project_budgets 3, project_budget_sources 15'."""
    return ", ".join(f"{table} {n}" for table, n in Counter(row.TABLE for row in rows).items())


def table_miss(item: TraceItem, settings: Tolerances) -> tuple[Status, str]:
    """Why a table read no row: missing when the file's labels or headers are not there; read when it is empty."""
    spec, grids = item.spec, item.grids
    if isinstance(spec, MarkList):
        if not any(anchor_cells(grid, spec.label, spec.match, spec.label_pattern) for grid in grids):
            what = f"no label matches {spec.label_pattern!r}" if spec.label_pattern else \
                f"label {' or '.join(map(repr, spec.label))} not found"
            return "missing", what
        items = [row for grid in grids for row in read_marks(grid, replace(spec, keep="all"), "", settings)]
        if items and spec.keep == "marked":
            return "read", f"nothing marked among {len(items)} items"
        return "missing", "no [mark][item] cells right of the label"
    if isinstance(spec, (BudgetSpec, StaffRowsSpec)) and spec.corner_under:
        return "missing", f"no table under the caption {' or '.join(map(repr, spec.corner_under))} names years and stages"
    if isinstance(spec, BudgetSpec):
        corners = [c for grid in grids for c in anchor_cells(grid, spec.corner, spec.match)[:1]]
        if not corners:
            return "missing", f"corner {' or '.join(map(repr, spec.corner))} not found"
        return "missing", f"no column header right of {_shown(corners[0].text)} names a fiscal year and a stage"
    if isinstance(spec, IndicatorTable):
        for grid in grids:
            headers = anchor_cells(grid, spec.header, spec.match, spec.header_pattern)
            if headers:
                columns = header_columns(grid, headers[0], settings.edge)
                if any(find_fiscal_year(c.label) for c in columns):
                    return "read", "no indicator line has content"
                return "missing", f"no column header right of {_shown(headers[0].text)} names a fiscal year"
        wanted = f"no header matches {spec.header_pattern!r}" if spec.header_pattern else \
            f"header {' or '.join(map(repr, spec.header))} not found"
        return "missing", wanted
    if isinstance(spec, StaffingSpec):
        return "missing", "no staffing block where the file says"
    if isinstance(spec, KpiListSpec):
        if not any(anchor_cells(grid, spec.header, spec.match) for grid in grids):
            return "missing", f"header {' or '.join(map(repr, spec.header))} not found"
        return "missing", "no KPI row under the header: no cell under a header the [[kpi_list.columns]] call kpi"
    return "missing", "read nothing"


def table_check(item: TraceItem, settings: Tolerances) -> ItemCheck:
    """A table's check: how many rows of which table it read and from where, or why none."""
    first_page = item.grids[0].page_number if item.grids else None
    if not item.rows:
        status, reason = table_miss(item, settings)
        return ItemCheck(item.key, status, first_page, rows=0, reason=reason)
    main = [row for row in item.rows if row.TABLE == item.rows[0].TABLE]  # budget: the columns, not their sources
    printed = "\n".join(dict.fromkeys(row.raw_text for row in main if row.raw_text))  # each row as printed
    page = min(row.page for row in item.rows)
    box = _union([row.bbox for row in main if row.bbox is not None])
    return ItemCheck(item.key, "read", page, _counts(item.rows), printed or None, box,
                     rows=len(item.rows), cells=_row_cells(item.key, item.rows))


def _union(boxes: list[BBox]) -> BBox | None:
    """The box around boxes (None for none)."""
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def item_check(item: TraceItem, settings: Tolerances) -> ItemCheck:
    """The check of one traced item: a table's when it fills rows, else a field's."""
    if isinstance(item.spec, (MarkList, BudgetSpec, IndicatorTable, StaffingSpec, StaffRowsSpec, KpiListSpec)):
        return table_check(item, settings)
    return field_check(item, settings)


# ---------------------------------------------------------------------------------------
# a PDF


def check_pages(template: FileTemplate, reads: list[PageRead], pdf: str) -> DocumentCheck:
    """The check of a read PDF: each page's recognition, then what each item of the file read, project by project."""
    check = DocumentCheck(pdf, template.name, [check_page(template, read) for read in reads])
    by_page = {page.page: page for page in check.pages}
    pages = [(read.grid, page.role or "") for read, page in zip(reads, check.pages)
             if page.recognized and read.grid is not None]
    if not pages:
        check.note = "no page recognized: nothing was read (see each page's anchors)"
        return check
    trace = ReadTrace()
    template.read_traced(pages, trace)
    settings = template.spec.settings
    for item in trace.items:
        checked = item_check(item, settings)
        if item.project is None:
            check.document.append(checked)
        else:
            by_page[item.grids[0].page_number].items.append(checked)
    return check


def picture_marks(check: DocumentCheck, page: PageCheck) -> list[tuple[str, BBox]]:
    """(label, box) of every cell the items read on this page, the document's fields included."""
    items = [*check.document, *(item for other in check.pages for item in other.items)]
    return [(cell.label, cell.box) for item in items for cell in item.cells if cell.page == page.page]


def picture_anchors(check: DocumentCheck, page: PageCheck, grid: PageGrid) -> list[BBox]:
    """The anchors found on this page: its [[page]] labels, and the labels and captions fields were found by."""
    items = [*check.document, *(item for other in check.pages for item in other.items)]
    found_by = [item.anchor for item in items if item.anchor is not None and item.page == page.page]
    return [*anchor_boxes(grid, page.anchors_found), *found_by]


def picture_summary(check: DocumentCheck, page: PageCheck) -> str:
    """The line under a page's picture: the verdict, and what the page's items read or missed."""
    if not page.recognized:
        return f"page {page.page}: {check.template}: {page.note}"
    missing = [item.key for item in page.items if item.status == "missing"]
    read = sum(item.status == "read" for item in page.items)
    line = f"page {page.page}: {check.template} ({page.role}, score {page.score:.2f}); {read} items read"
    if not missing:
        return line
    named = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
    return f"{line}, {len(missing)} expected but not found: {named}"


def write_pictures(data: bytes, check: DocumentCheck, reads: list[PageRead], folder: Path, stem: str,
                   resolution: int = 110) -> list[Path]:
    """The `inspect` picture of each readable page, with what the file read and its anchors drawn: STEM-pN.png."""
    from hyoka.extractors.inspect import draw_page, plan_drawing

    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for read, page in zip(reads, check.pages):
        if read.grid is None:
            continue
        summary = picture_summary(check, page)
        plan = plan_drawing(read.grid, picture_marks(check, page), summary, summary,
                            anchors=picture_anchors(check, page, read.grid), resolution=resolution)
        out = folder / f"{stem}-p{page.page}.png"
        draw_page(data, page.page, plan, out)
        written.append(out)
    return written
