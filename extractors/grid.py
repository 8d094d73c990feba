"""Cells from ruling lines, and the text inside each cell.

A sheet printed from a spreadsheet is a set of ruled cells. We read it as a pipeline of
small steps, each a pure function:

    page objects (`extractors.pages`: chars, lines, rects, curves, from pdfium or
    pdfplumber) → ruled cells (pdfplumber's table functions: edges → snapped → joined →
    intersections → cells) → chars assigned to their innermost cell → text lines →
    cell text (soft wraps joined, hard breaks kept) → `PageGrid`

Text that sits in no cell (titles, captions, footers) is kept as `loose_lines`.
Whole-page text extraction interleaves the lines of neighbouring merged cells, so we
never read a page as a whole: we read cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from operator import itemgetter
from typing import Any, Callable, Iterable

from extractors.pages import PageLike
from hyoka.normalize import normalize_label

BBox = tuple[float, float, float, float]

# pdfplumber table-finder settings: only ruling lines and rect edges make cells.
TABLE_SETTINGS: dict[str, Any] = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": 3,
    "join_tolerance": 3,
    "intersection_tolerance": 3,
    "edge_min_length": 3,
}

# A soft-wrapped line reaches the cell's right edge up to this many characters: the next
# character did not fit, kinsoku pushed it and its closing punctuation down (measured
# up to 2.8 on the samples), and right padding is often wider than left.
SOFT_WRAP_SLACK_CHARS = 3.0

# A filled rect thinner than this is a ruling drawn as a rect, not a background.
THIN_RECT = 2.0

# Lines that start like this begin a new paragraph even when the previous line is full.
_PARAGRAPH_START = re.compile(r"^[・●○◯■□◆◇▪•※＜<〈《【\-－\-]|^[①-⑳]|^[(（][^)）]{0,12}[)）]")
_ASCII_WORD_END = re.compile(r"[A-Za-z0-9]$")
_ASCII_WORD_START = re.compile(r"^[A-Za-z0-9]")


@dataclass
class TextLine:
    """One printed line: its characters joined, with its box and font size."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float


@dataclass
class Cell:
    """A ruled cell and the text printed inside it."""

    index: int
    x0: float
    top: float
    x1: float
    bottom: float
    lines: list[TextLine] = field(default_factory=list)
    text: str = ""

    @property
    def bbox(self) -> BBox:
        return (self.x0, self.top, self.x1, self.bottom)

    @cached_property
    def label(self) -> str:
        """The text normalized for label matching (no spaces, folded width); a cell's text is read once."""
        return normalize_label(self.text)

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def __repr__(self) -> str:
        return f"Cell#{self.index}({self.x0:.0f},{self.top:.0f},{self.x1:.0f},{self.bottom:.0f} {self.text[:20]!r})"


def _is_white(color: Any) -> bool:
    """Whether a stroke colour is white (an invisible ruling)."""
    if isinstance(color, (int, float)):
        return color >= 0.98
    if isinstance(color, (tuple, list)) and color:
        if len(color) == 4:  # CMYK
            return all(c <= 0.02 for c in color)
        return all(isinstance(c, (int, float)) and c >= 0.98 for c in color)
    return False


def ruling_edges(page: PageLike) -> list[dict]:
    """Visible rulings: stroked lines and rects, and rects thin enough to be lines.

    Unstroked filled rects are cell backgrounds; spreadsheet exports draw one per grid
    row, and their edges would split merged cells that have no ruling between them.
    """
    edges: list[dict] = []
    for line in page.lines:
        if line.get("stroke", True) and not _is_white(line.get("stroking_color")):
            edges += pdfplumber_edges(line)
    for rect in page.rects:
        thin = min(rect["width"], rect["height"]) < THIN_RECT
        if (rect.get("stroke") and not _is_white(rect.get("stroking_color"))) or (thin and rect.get("fill")):
            edges += pdfplumber_edges(rect)
    for curve in page.curves:
        if curve.get("stroke") and not _is_white(curve.get("stroking_color")):
            edges += pdfplumber_edges(curve)
    return edges


# What the table functions read of an edge (the rest of its object is copied along by
# every snap and join, for nothing).
EDGE_KEYS = ("object_type", "orientation", "x0", "x1", "top", "bottom", "width", "height")


def pdfplumber_edges(obj: dict) -> list[dict]:
    """The straight edges of a line, rect or curve, as pdfplumber's `obj_to_edges` describes them."""
    kind = obj["object_type"]
    if kind == "rect":
        return rect_edges(obj)
    if kind == "line":
        return [line_edge(obj)]
    from pdfplumber.utils import obj_to_edges

    return [{k: e[k] for k in EDGE_KEYS} for e in obj_to_edges(obj) if e["orientation"] in ("h", "v")]


def rect_edges(rect: dict) -> list[dict]:
    """A rect's four edges, with the values pdfplumber's `rect_to_edges` gives them."""
    x0, x1, top, bottom, width, height = rect["x0"], rect["x1"], rect["top"], rect["bottom"], rect["width"], rect["height"]
    kind = "rect_edge"
    return [
        {"object_type": kind, "orientation": "h", "x0": x0, "x1": x1, "top": top, "bottom": top, "width": width, "height": 0},
        {"object_type": kind, "orientation": "h", "x0": x0, "x1": x1, "top": top + height, "bottom": bottom, "width": width, "height": 0},
        {"object_type": kind, "orientation": "v", "x0": x0, "x1": x0, "top": top, "bottom": bottom, "width": 0, "height": height},
        {"object_type": kind, "orientation": "v", "x0": x1, "x1": x1, "top": top, "bottom": bottom, "width": 0, "height": height},
    ]


def line_edge(line: dict) -> dict:
    """A line's edge as pdfplumber's `line_to_edge` gives it (a slanted line counts as vertical)."""
    edge = {k: line[k] for k in EDGE_KEYS if k != "orientation"}
    edge["orientation"] = "h" if line["top"] == line["bottom"] else "v"
    return edge


def find_cell_boxes(page: PageLike, settings: dict[str, Any] | None = None) -> list[BBox]:
    """Ruled cells of a page, from its visible rulings."""
    edges = ruling_edges(page)
    verticals = [e for e in edges if e["orientation"] == "v"]
    horizontals = [e for e in edges if e["orientation"] == "h"]
    if len(verticals) < 2 or len(horizontals) < 2:
        return []  # no rulings, no cells (pdfplumber refuses to look)
    boxes: set[BBox] = set()
    # Every cell the rulings close, not only those of `find_tables`' tables: pdfplumber
    # drops a table of one cell, but a lone ruled box is a field too (池田's NO. box and
    # ※備考 box are single framed cells).
    for x0, top, x1, bottom in ruled_cells(verticals + horizontals, settings):
        boxes.add((round(x0, 2), round(top, 2), round(x1, 2), round(bottom, 2)))
    return sorted(boxes, key=lambda b: (b[1], b[0]))


def ruled_cells(edges: list[dict], settings: dict[str, Any] | None = None) -> list[BBox]:
    """pdfplumber's table finder on these edges: snapped, joined, crossed, closed into cells."""
    from pdfplumber.table import TableSettings, edges_to_intersections, merge_edges
    from pdfplumber.utils import filter_edges

    tset = TableSettings.resolve(dict(TABLE_SETTINGS, **(settings or {})))
    merged = merge_edges(
        edges,
        snap_x_tolerance=tset.snap_x_tolerance,
        snap_y_tolerance=tset.snap_y_tolerance,
        join_x_tolerance=tset.join_x_tolerance,
        join_y_tolerance=tset.join_y_tolerance,
    )
    kept = filter_edges(merged, min_length=tset.edge_min_length)
    intersections = edges_to_intersections(kept, tset.intersection_x_tolerance, tset.intersection_y_tolerance)
    return intersections_to_cells(intersections)


def intersections_to_cells(intersections: dict[tuple[float, float], dict[str, list[dict]]]) -> list[BBox]:
    """pdfplumber's `intersections_to_cells`, indexed: the same cells in the same order.

    For each crossing (in sorted order), the smallest cell it is the top-left corner of:
    the first crossing below it and the first to its right that an edge joins to it, and
    whose bottom-right corner is a crossing joined to both. pdfplumber rebuilds the edge
    sets and scans every later crossing for each pair it tries; here the edges at each
    crossing are sets once, and the crossings below and to the right are looked up by
    column and row (`tests/test_readers.py` checks both agree).
    """
    from pdfplumber.utils import obj_to_bbox

    v_at = {pt: {obj_to_bbox(e) for e in found["v"]} for pt, found in intersections.items()}
    h_at = {pt: {obj_to_bbox(e) for e in found["h"]} for pt, found in intersections.items()}

    def connects(p1: tuple[float, float], p2: tuple[float, float]) -> bool:
        if p1[0] == p2[0] and not v_at[p1].isdisjoint(v_at[p2]):
            return True
        return p1[1] == p2[1] and not h_at[p1].isdisjoint(h_at[p2])

    points = sorted(intersections)
    columns: dict[float, list[tuple[float, float]]] = {}
    rows: dict[float, list[tuple[float, float]]] = {}
    for pt in points:  # in sorted order: a column top to bottom, a row left to right
        columns.setdefault(pt[0], []).append(pt)
        rows.setdefault(pt[1], []).append(pt)
    cells: list[BBox] = []
    for pt in points:
        column, row = columns[pt[0]], rows[pt[1]]
        below = column[column.index(pt) + 1 :]
        right = row[row.index(pt) + 1 :]
        cell = _smallest_cell(pt, below, right, connects, v_at)
        if cell is not None:
            cells.append(cell)
    return cells


def _smallest_cell(pt: tuple[float, float], below: list[tuple[float, float]], right: list[tuple[float, float]],
                   connects: Callable[[tuple[float, float], tuple[float, float]], bool],
                   crossings: dict[tuple[float, float], Any]) -> BBox | None:
    """The first cell (pdfplumber's order) whose top-left corner is `pt`, if any."""
    for below_pt in below:
        if not connects(pt, below_pt):
            continue
        for right_pt in right:
            if not connects(pt, right_pt):
                continue
            bottom_right = (right_pt[0], below_pt[1])
            if bottom_right in crossings and connects(bottom_right, right_pt) and connects(bottom_right, below_pt):
                return (pt[0], pt[1], bottom_right[0], bottom_right[1])
    return None


def fill_rect_boxes(page: PageLike) -> list[BBox]:
    """Cells of a grid drawn only with filled rects (no ruling at all): each fill is a cell.

    Some generators draw every cell as a filled rect and let the gaps between the fills
    (or the page's white) be the borders. Thin fills are rulings, not cells, and are
    left to `ruling_edges`; a fill that covers others (a table-wide background) is dropped
    so that it does not swallow the text of the cells on top of it.
    """
    fills = [
        (round(r["x0"], 2), round(r["top"], 2), round(r["x1"], 2), round(r["bottom"], 2))
        for r in page.rects
        if r.get("fill") and min(r["width"], r["height"]) >= THIN_RECT
    ]
    unique = sorted(set(fills), key=lambda b: (b[1], b[0]))

    def covers_another(box: BBox) -> bool:
        return any(other != box and _inside(other, box, tolerance=0.5) for other in unique)

    return [box for box in unique if not covers_another(box)]


def _contains(box: BBox, x: float, y: float) -> bool:
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


# The tiles that index cells for `assign_chars`: bands this high, cut in columns this wide (points).
BAND = 8.0
COLUMN = 48.0


def _tile_index(boxes: list[BBox]) -> dict[tuple[int, int], list[int]]:
    """Box indices by the tiles they cross, smallest box first in each tile.

    A box that holds a point crosses the point's tile, so a tile's list holds every box
    that may hold a point in it, in the order they are tried.
    """
    order = sorted(range(len(boxes)), key=lambda i: (boxes[i][2] - boxes[i][0]) * (boxes[i][3] - boxes[i][1]))
    tiles: dict[tuple[int, int], list[int]] = {}
    for i in order:  # smallest first, so nested boxes (a cell inside a merged area) win
        x0, top, x1, bottom = boxes[i]
        columns = range(int(x0 // COLUMN), int(x1 // COLUMN) + 1)
        for band in range(int(top // BAND), int(bottom // BAND) + 1):
            for column in columns:
                tiles.setdefault((band, column), []).append(i)
    return tiles


def assign_chars(chars: Iterable[dict], boxes: list[BBox]) -> tuple[dict[int, list[dict]], list[dict]]:
    """Each char to the smallest cell holding its centre; the rest are loose."""
    by_cell: dict[int, list[dict]] = {}
    loose: list[dict] = []
    tiles = _tile_index(boxes)
    for char in chars:
        if not char.get("upright", True) and char["text"].strip() == "":
            continue
        cx = (char["x0"] + char["x1"]) / 2
        cy = (char["top"] + char["bottom"]) / 2
        for i in tiles.get((int(cy // BAND), int(cx // COLUMN)), ()):
            x0, top, x1, bottom = boxes[i]
            if x0 <= cx <= x1 and top <= cy <= bottom:  # `_contains`, inlined: this runs per char and box
                by_cell.setdefault(i, []).append(char)
                break
        else:
            loose.append(char)
    return by_cell, loose


def dedupe_chars(chars: list[dict]) -> list[dict]:
    """Drop chars printed twice at the same place (overprinted bold), keeping the first."""
    seen: set[tuple] = set()
    kept: list[dict] = []
    for char in chars:
        key = (char["text"], round(char["x0"]), round(char["top"]), round(char["size"]))
        if key not in seen:
            seen.add(key)
            kept.append(char)
    return kept


_X0, _X1, _TOP, _BOTTOM, _SIZE = (itemgetter(k) for k in ("x0", "x1", "top", "bottom", "size"))


def chars_to_lines(chars: list[dict]) -> list[TextLine]:
    """Group chars into printed lines (by vertical overlap), left to right, with spaces."""
    if not chars:
        return []
    rows: list[list[dict]] = []
    spans: list[tuple[float, float, float]] = []  # each row's first char: its top - 0.5, bottom + 0.5, size
    for char in sorted(chars, key=lambda c: (round(c["top"], 1), c["x0"])):
        mid = (char["top"] + char["bottom"]) / 2
        size = char["size"]
        for row, (low, high, ref_size) in zip(rows, spans):
            if low <= mid <= high and abs(ref_size - size) < ref_size:
                row.append(char)
                break
        else:
            rows.append([char])
            spans.append((char["top"] - 0.5, char["bottom"] + 0.5, size))
    lines = [_row_to_line(sorted(row, key=_X0)) for row in rows]
    lines = [line for line in lines if line.text]
    return sorted(lines, key=lambda line: (line.top, line.x0))


def _row_to_line(row: list[dict]) -> TextLine:
    """Join a row of chars, inserting a space where the printed gap is wide."""
    parts: list[str] = []
    prev: dict | None = None
    for char in row:
        if prev is not None:
            gap = char["x0"] - prev["x1"]
            if gap > 0.3 * max(char["size"], 1.0) and parts and parts[-1] != " " and char["text"] != " ":
                parts.append(" ")
        if char["text"] == " " and (not parts or parts[-1] == " "):
            prev = char
            continue
        parts.append(char["text"])
        prev = char
    text = "".join(parts).strip()
    visible = [c for c in row if c["text"].strip()] or row
    return TextLine(
        text=text,
        x0=min(map(_X0, visible)),
        top=min(map(_TOP, visible)),
        x1=max(map(_X1, visible)),
        bottom=max(map(_BOTTOM, visible)),
        size=max(map(_SIZE, visible)),
    )


def _is_soft_wrap(line: TextLine, next_line: TextLine, right_edge: float) -> bool:
    """Whether `line` was broken only because the cell was full."""
    if _PARAGRAPH_START.match(next_line.text):
        return False
    return right_edge - line.x1 <= SOFT_WRAP_SLACK_CHARS * line.size


def lines_to_text(lines: list[TextLine], right_edge: float) -> str:
    """Cell text: soft-wrapped lines joined, hard breaks kept as newlines."""
    if not lines:
        return ""
    out = lines[0].text
    for line, next_line in zip(lines, lines[1:]):
        if _is_soft_wrap(line, next_line, right_edge):
            # a space at a soft wrap is not visible in a PDF: add one only between ASCII words
            joiner = " " if _ASCII_WORD_END.search(out) and _ASCII_WORD_START.match(next_line.text) else ""
            out += joiner + next_line.text
        else:
            out += "\n" + next_line.text
    return out


def text_right_edge(cell_box: BBox, lines: list[TextLine]) -> float:
    """Where text in this cell may reach: the cell edge less the padding the page uses."""
    # padding is the left indent of the most left-aligned line, mirrored (cells are padded evenly)
    left_pad = min((line.x0 - cell_box[0] for line in lines), default=0.0)
    left_pad = max(0.0, min(left_pad, 6.0))
    return cell_box[2] - left_pad


@dataclass
class PageGrid:
    """The cells of one page with their text, and ways to move between them."""

    page_number: int
    width: float
    height: float
    cells: list[Cell]
    loose_lines: list[TextLine]

    # ---- finding cells by their labels ------------------------------------------------
    def find_all(self, predicate: Callable[[Cell], bool], *, within: BBox | None = None) -> list[Cell]:
        """Cells for which `predicate` holds, top to bottom, left to right."""
        found = [c for c in self.cells if predicate(c) and (within is None or _inside(c.bbox, within))]
        return sorted(found, key=lambda c: (round(c.top), c.x0))

    @cached_property
    def cells_by_label(self) -> dict[str, list[Cell]]:
        """The cells with text, by their label (templates look labels up many times a page)."""
        index: dict[str, list[Cell]] = {}
        for cell in self.cells:
            if cell.label:
                index.setdefault(cell.label, []).append(cell)
        return index

    def find_label(self, *labels: str, startswith: bool = False, within: BBox | None = None) -> Cell | None:
        """The first cell whose normalized text equals (or starts with) one of `labels`."""
        wanted = [normalize_label(label) for label in labels]
        index = self.cells_by_label
        if startswith:
            keys = [key for key in index if any(key.startswith(w) for w in wanted)]
        else:
            keys = [w for w in wanted if w in index]
        found = [c for key in keys for c in index[key] if within is None or _inside(c.bbox, within)]
        return min(found, key=lambda c: (round(c.top), c.x0, c.index)) if found else None

    # ---- moving between cells -------------------------------------------------------
    def below(self, cell: Cell, tolerance: float = 2.5) -> list[Cell]:
        """Cells whose top touches this cell's bottom and that overlap it horizontally."""
        return sorted(
            (c for c in self.cells if abs(c.top - cell.bottom) <= tolerance and _h_overlap(c, cell) > 1.0),
            key=lambda c: c.x0,
        )

    def right_of(self, cell: Cell, tolerance: float = 2.5) -> list[Cell]:
        """Cells whose left edge touches this cell's right edge and that overlap it vertically."""
        return sorted(
            (c for c in self.cells if abs(c.x0 - cell.x1) <= tolerance and _v_overlap(c, cell) > 1.0),
            key=lambda c: c.top,
        )

    def above(self, cell: Cell, tolerance: float = 2.5) -> list[Cell]:
        """Cells whose bottom touches this cell's top and that overlap it horizontally."""
        return sorted(
            (c for c in self.cells if abs(c.bottom - cell.top) <= tolerance and _h_overlap(c, cell) > 1.0),
            key=lambda c: c.x0,
        )

    def in_band(self, top: float, bottom: float, x0: float = float("-inf"), x1: float = float("inf")) -> list[Cell]:
        """Cells whose vertical centre lies in [top, bottom] and horizontal centre in [x0, x1]."""
        return sorted(
            (
                c
                for c in self.cells
                if top <= (c.top + c.bottom) / 2 <= bottom and x0 <= (c.x0 + c.x1) / 2 <= x1
            ),
            key=lambda c: (round(c.top), c.x0),
        )

    def loose_text(self, within: BBox | None = None) -> list[TextLine]:
        """Text lines outside every cell, optionally inside a region."""
        if within is None:
            return list(self.loose_lines)
        return [
            line
            for line in self.loose_lines
            if _contains(within, (line.x0 + line.x1) / 2, (line.top + line.bottom) / 2)
        ]


def _h_overlap(a: Cell, b: Cell) -> float:
    return min(a.x1, b.x1) - max(a.x0, b.x0)


def _v_overlap(a: Cell, b: Cell) -> float:
    return min(a.bottom, b.bottom) - max(a.top, b.top)


def _inside(inner: BBox, outer: BBox, tolerance: float = 1.0) -> bool:
    return (
        inner[0] >= outer[0] - tolerance
        and inner[1] >= outer[1] - tolerance
        and inner[2] <= outer[2] + tolerance
        and inner[3] <= outer[3] + tolerance
    )


def build_grid(page: PageLike, settings: dict[str, Any] | None = None) -> PageGrid:
    """Read one page's objects (`PageObjects`, or a pdfplumber page) into a `PageGrid`.

    Cells come from the visible rulings; a page with no ruling at all but a grid of
    filled rects takes the fills as its cells (`fill_rect_boxes`).
    """
    boxes = find_cell_boxes(page, settings) or fill_rect_boxes(page)
    chars = dedupe_chars(page.chars)
    by_cell, loose = assign_chars(chars, boxes)
    cells: list[Cell] = []
    for i, box in enumerate(boxes):
        lines = chars_to_lines(by_cell.get(i, []))
        text = lines_to_text(lines, text_right_edge(box, lines))
        cells.append(Cell(index=i, x0=box[0], top=box[1], x1=box[2], bottom=box[3], lines=lines, text=text))
    return PageGrid(
        page_number=page.page_number,
        width=float(page.width),
        height=float(page.height),
        cells=cells,
        loose_lines=chars_to_lines(loose),
    )
