"""Cells from ruling lines, and the text inside each cell.

A sheet printed from a spreadsheet is a set of ruled cells. We read it as a pipeline of
small steps, each a pure function:

    page objects (`hyoka.extractors.pages`: chars, lines, rects, curves, from pdfium or
    pdfplumber) → ruled cells (pdfplumber's table functions: edges → snapped → joined →
    intersections → cells) → chars assigned to their innermost cell → text lines →
    cell text (soft wraps joined, hard breaks kept) → `PageGrid`

Text that sits in no cell (titles, captions, footers) is kept as `loose_lines`.
Whole-page text extraction interleaves the lines of neighbouring merged cells, so we
never read a page as a whole: we read cells.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from functools import cached_property
from operator import attrgetter, itemgetter
from typing import Any
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence

from hyoka.extractors.pages import PageLike
from hyoka.normalize import normalize_label

BBox = tuple[float, float, float, float]

@dataclass(frozen=True)
class GridSettings:
    """How rulings become cells: pdfplumber's table-finder tolerances, in points (the same across and along)."""

    snap_tolerance: float = 3.0  # parallel edges this close are one ruling
    join_tolerance: float = 3.0  # collinear edges with a gap this small are one ruling
    intersection_tolerance: float = 3.0  # a vertical and a horizontal this close cross
    edge_min_length: float = 3.0  # shorter edges are not rulings

    def __post_init__(self) -> None:
        for name in ("snap_tolerance", "join_tolerance", "intersection_tolerance", "edge_min_length"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"GridSettings.{name} must be a number ≥ 0, not {value!r}")

    def as_table_settings(self) -> dict[str, Any]:
        """The same, as pdfplumber's table-finder settings (only ruling lines and rect edges make cells)."""
        return {
            "vertical_strategy": "lines",
            "horizontal_strategy": "lines",
            "snap_tolerance": self.snap_tolerance,
            "join_tolerance": self.join_tolerance,
            "intersection_tolerance": self.intersection_tolerance,
            "edge_min_length": self.edge_min_length,
        }


DEFAULT_SETTINGS = GridSettings()

# Points within which two printed edges count as the same (a cell right of / below
# another, one header row): ruling snaps and anti-aliasing leave edges a point or two
# apart. Templates set their own (`[settings] edge` in a template file).
EDGE_TOLERANCE = 2.5
TABLE_SETTINGS: dict[str, Any] = DEFAULT_SETTINGS.as_table_settings()

# A soft-wrapped line reaches the cell's right edge up to this many characters: the next
# character did not fit, kinsoku pushed it and its closing punctuation down (measured
# up to 2.8 on the samples), and right padding is often wider than left.
SOFT_WRAP_SLACK_CHARS = 3.0

# A filled rect thinner than this is a ruling drawn as a rect, not a background.
THIN_RECT = 2.0

# A filled rect whose longer side is shorter than this is a dash of a dotted ruling
# (京都: 2.2 × 0.7pt dashes 0.7pt apart), not a ruling of its own: pdfplumber's shortest edge.
DASH_LENGTH = 3.0

# Lines that start like this begin a new paragraph (a list entry) even when the previous
# line is full: a mark, a circled or parenthesized number, or a numbered / lettered item
# (1. ２、 ア． a) — a full line before an entry is the list's hard break, not a wrap.
_PARAGRAPH_START = re.compile(
    r"^[・●○◯■□◆◇▪•※＜<〈《【\-－\-]|^[①-⑳⑴-⒇]|^[(（][^)）]{0,12}[)）]"
    r"|^[0-9０-９]{1,2}[.．、)）](?![0-9０-９])|^[ア-ンａ-ｚa-z][.．、)）]"
)
_ASCII_WORD_END = re.compile(r"[A-Za-z0-9]$")
_ASCII_WORD_START = re.compile(r"^[A-Za-z0-9]")


@dataclass(slots=True)  # a book holds hundreds of thousands of these: no per-instance dict
class TextLine:
    """One printed line: its characters joined, with its box and font size."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float

    def __reduce__(self) -> tuple[Any, ...]:
        # grids cross from the worker process to the run pickled: a plain call pickles in
        # half the time of a slots dataclass's default state (a book's worth is seconds)
        return (TextLine, (self.text, self.x0, self.top, self.x1, self.bottom, self.size))


@dataclass(slots=True)  # (as TextLine)
class Cell:
    """A ruled cell and the text printed inside it."""

    index: int
    x0: float
    top: float
    x1: float
    bottom: float
    lines: list[TextLine] = field(default_factory=list)
    text: str = ""
    label: str = field(init=False, compare=False)  # the text normalized for label matching (no spaces, folded width)

    def __post_init__(self) -> None:
        self.label = normalize_label(self.text)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Cell, (self.index, self.x0, self.top, self.x1, self.bottom, self.lines, self.text))  # (as TextLine)

    @property
    def bbox(self) -> BBox:
        return (self.x0, self.top, self.x1, self.bottom)

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


def _ruling_objects(page: PageLike) -> Iterator[tuple[dict, bool]]:
    """The lines, rects and curves that draw visible rulings, each with whether it is a dash (`dash_edges`).

    Unstroked filled rects are cell backgrounds; spreadsheet exports draw one per grid
    row, and their edges would split merged cells that have no ruling between them.
    """
    for line in page.lines:
        if line.get("stroke", True) and not _is_white(line.get("stroking_color")):
            yield line, False
    for rect in page.rects:
        thin = min(rect["width"], rect["height"]) < THIN_RECT
        if rect.get("fill") and not rect.get("stroke") and max(rect["width"], rect["height"]) < DASH_LENGTH:
            yield rect, True
        elif (rect.get("stroke") and not _is_white(rect.get("stroking_color"))) or (thin and rect.get("fill")):
            yield rect, False
    for curve in page.curves:
        if curve.get("stroke") and not _is_white(curve.get("stroking_color")):
            yield curve, False


def ruling_edges(page: PageLike) -> list[dict]:
    """Visible rulings: stroked lines and rects, and rects thin enough to be lines (`_ruling_objects`)."""
    edges: list[dict] = []
    for obj, dash in _ruling_objects(page):
        edges += dash_edges(obj) if dash else pdfplumber_edges(obj)
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


def rect_edge_tuples(rect: dict) -> tuple[Edge, Edge, Edge, Edge]:
    """A rect's four edges as `Edge` tuples (top, bottom, left, right), with the values pdfplumber's
    `rect_to_edges` gives them."""
    x0, x1, top, bottom, width, height = _EDGE_VALUES(rect)
    return (
        (x0, x1, top, top, width, 0),
        (x0, x1, top + height, bottom, width, 0),
        (x0, x0, top, bottom, 0, height),
        (x1, x1, top, bottom, 0, height),
    )


def rect_edges(rect: dict) -> list[dict]:
    """A rect's four edges as pdfplumber's `rect_to_edges` gives them (`rect_edge_tuples`, as dicts)."""
    return [
        {"object_type": "rect_edge", "orientation": orientation, **dict(zip(_EDGE_NAMES, edge))}
        for orientation, edge in zip("hhvv", rect_edge_tuples(rect))
    ]


def dash_edges(rect: dict) -> list[dict]:
    """A dash of a dotted ruling drawn as tiny filled rects (京都's 経費 table): its long sides only.

    Its short sides, one dash apart along the whole ruling, would chain the snapping of
    the rulings across it into one (pdfplumber snaps edges within 3pt of each other) and
    pull the table's real borders to their mean; the long sides join into the ruling.
    """
    edges = rect_edges(rect)
    return edges[:2] if _dash_is_across(rect) else edges[2:]


def _dash_is_across(rect: dict) -> bool:
    """Whether a dash is wider than high (its long sides are horizontals)."""
    return bool(rect["width"] >= rect["height"])


def line_edge(line: dict) -> dict:
    """A line's edge as pdfplumber's `line_to_edge` gives it (a slanted line counts as vertical)."""
    edge = {k: line[k] for k in EDGE_KEYS if k != "orientation"}
    edge["orientation"] = "h" if line["top"] == line["bottom"] else "v"
    return edge


def ruling_edge_tuples(page: PageLike) -> tuple[list[Edge], list[Edge]]:
    """`ruling_edges` as `Edge` tuples, (verticals, horizontals) in the same order.

    A page's rulings are hundreds of rect edges: their tuples are made directly, not
    from the dicts `ruling_edges` makes for pdfplumber's functions.
    """
    verticals: list[Edge] = []
    horizontals: list[Edge] = []
    for obj, dash in _ruling_objects(page):
        if obj["object_type"] == "rect":
            top, bottom, left, right = rect_edge_tuples(obj)
            if not dash or _dash_is_across(obj):
                horizontals += (top, bottom)
            if not dash or not _dash_is_across(obj):
                verticals += (left, right)
            continue
        for edge in pdfplumber_edges(obj):
            (verticals if edge["orientation"] == VERTICAL else horizontals).append(_edge(edge))
    return verticals, horizontals


def find_cell_boxes(page: PageLike, settings: GridSettings | None = None) -> list[BBox]:
    """Ruled cells of a page, from its visible rulings."""
    verticals, horizontals = ruling_edge_tuples(page)
    if len(verticals) < 2 or len(horizontals) < 2:
        return []  # no rulings, no cells (pdfplumber refuses to look)
    boxes: set[BBox] = set()
    # Every cell the rulings close, not only those of `find_tables`' tables: pdfplumber
    # drops a table of one cell, but a lone ruled box is a field too (池田's NO. box and
    # ※備考 box are single framed cells).
    for x0, top, x1, bottom in _ruled_cells(verticals, horizontals, settings or DEFAULT_SETTINGS):
        boxes.add((round(x0, 2), round(top, 2), round(x1, 2), round(bottom, 2)))
    return sorted(boxes, key=_TOP_LEFT)


_TOP_LEFT = itemgetter(1, 0)  # a box's top, then its x0


def ruled_cells(edges: list[dict], settings: GridSettings | None = None) -> list[BBox]:
    """pdfplumber's table finder on these edges: snapped, joined, crossed, closed into cells.

    The same arithmetic as pdfplumber's `merge_edges`, `filter_edges`,
    `edges_to_intersections` and `intersections_to_cells` (`tests/test_readers.py` checks
    the cells are theirs, in their order), on plain tuples: a page's rulings are hundreds
    of edges, and pdfplumber copies a dict at every snap and join.
    """
    verticals = [_edge(e) for e in edges if e["orientation"] == "v"]
    horizontals = [_edge(e) for e in edges if e["orientation"] == "h"]
    return _ruled_cells(verticals, horizontals, settings or DEFAULT_SETTINGS)


def _ruled_cells(verticals: list[Edge], horizontals: list[Edge], settings: GridSettings) -> list[BBox]:
    """`ruled_cells` of edges already split into verticals and horizontals."""
    verticals = snap_edges(verticals, VERTICAL, settings.snap_tolerance)
    horizontals = snap_edges(horizontals, HORIZONTAL, settings.snap_tolerance)
    # pdfplumber's merge puts horizontals before verticals; the crossings do not depend on it
    horizontals = [e for e in join_edges(horizontals, HORIZONTAL, settings.join_tolerance) if e[WIDTH] >= settings.edge_min_length]
    verticals = [e for e in join_edges(verticals, VERTICAL, settings.join_tolerance) if e[HEIGHT] >= settings.edge_min_length]
    return crossings_to_cells(edge_crossings(verticals, horizontals, settings.intersection_tolerance))


# An edge as a tuple (x0, x1, top, bottom, width, height): pdfplumber's values, not its dict.
Edge = tuple[float, float, float, float, float, float]
X0, X1, TOP, BOTTOM, WIDTH, HEIGHT = range(6)
VERTICAL, HORIZONTAL = "v", "h"
_EDGE_NAMES = ("x0", "x1", "top", "bottom", "width", "height")
_EDGE_VALUES = itemgetter(*_EDGE_NAMES)


def _edge(obj: dict) -> Edge:
    edge: Edge = _EDGE_VALUES(obj)
    return edge


def snap_edges(edges: list[Edge], orientation: str, tolerance: float) -> list[Edge]:
    """pdfplumber's `snap_objects`: edges whose position (x0 of a vertical, top of a horizontal) is
    within `tolerance` of the next one's form a cluster, moved to its mean position."""
    if not edges:
        return []
    key = X0 if orientation == VERTICAL else TOP
    values = sorted({e[key] for e in edges})
    cluster_of: dict[float, int] = {}
    cluster = 0
    for i, value in enumerate(values):  # pdfplumber's `cluster_list`: a chain of close values is one cluster
        if i and (tolerance == 0 or value > values[i - 1] + tolerance):
            cluster += 1
        cluster_of[value] = cluster
    clusters: dict[int, list[Edge]] = {}
    for edge in edges:  # in the edges' order within a cluster (a stable sort, as pdfplumber's)
        number = cluster_of[edge[key]]
        if number in clusters:
            clusters[number].append(edge)
        else:
            clusters[number] = [edge]
    snapped: list[Edge] = []
    at = itemgetter(key)
    for number in sorted(clusters):
        members = clusters[number]
        mean = sum(map(at, members)) / len(members)
        if orientation == VERTICAL:
            snapped += [(x0 + (mean - x0), x1 + (mean - x0), top, bottom, width, height)
                        for x0, x1, top, bottom, width, height in members]
        else:
            snapped += [(x0, x1, top + (mean - top), bottom + (mean - top), width, height)
                        for x0, x1, top, bottom, width, height in members]
    return snapped


def join_edges(edges: list[Edge], orientation: str, tolerance: float) -> list[Edge]:
    """pdfplumber's `join_edge_group` on each line: edges on one line that overlap or nearly touch become one."""
    position, start, end = (X0, TOP, BOTTOM) if orientation == VERTICAL else (TOP, X0, X1)
    lines: dict[float, list[Edge]] = {}
    for edge in edges:
        lines.setdefault(edge[position], []).append(edge)
    joined: list[Edge] = []
    for at in sorted(lines):
        ordered = sorted(lines[at], key=itemgetter(start))
        current = list(ordered[0])
        for edge in ordered[1:]:
            if edge[start] <= current[end] + tolerance:
                if edge[end] > current[end]:  # pdfplumber's `resize_object`
                    if orientation == VERTICAL:
                        current[HEIGHT] = current[HEIGHT] + (edge[end] - current[end])
                    else:
                        current[WIDTH] = edge[end] - current[X0]
                    current[end] = edge[end]
            else:
                joined.append(_as_edge(current))
                current = list(edge)
        joined.append(_as_edge(current))
    return joined


def _as_edge(values: list[float]) -> Edge:
    """An edge being joined (a list, to resize it in place) as the tuple it is again."""
    x0, x1, top, bottom, width, height = values
    return (x0, x1, top, bottom, width, height)


# Each crossing with the edges that meet there, vertical ones and horizontal ones: the same key
# (a number, or the edge's box) for edges of the same box, as pdfplumber takes them for one.
Crossings = dict[tuple[float, float], tuple[set[Hashable], set[Hashable]]]


def edge_crossings(verticals: list[Edge], horizontals: list[Edge], tolerance: float) -> Crossings:
    """pdfplumber's `edges_to_intersections`: where a vertical meets a horizontal (within
    `tolerance`), with the edges that meet there (vertical ones, horizontal ones), numbered
    by their boxes (`crossings_to_cells` compares sets of them: numbers hash quicker than boxes).

    The horizontals a vertical may meet are found by their top (sorted), then tested with
    pdfplumber's own comparisons.
    """
    ordered = sorted(horizontals, key=itemgetter(TOP, X0))
    tops = [h[TOP] for h in ordered]
    h_keys = _box_numbers(ordered)
    margin = 1e-6 + tolerance  # a little wider than the test: the test decides
    crossings: Crossings = {}
    by_x0 = sorted(verticals, key=itemgetter(X0, TOP))
    for v, v_key in zip(by_x0, _box_numbers(by_x0)):
        vx, vtop, vbottom = v[X0], v[TOP], v[BOTTOM]
        first, last = bisect_left(tops, vtop - margin), bisect_right(tops, vbottom + margin)
        for h, h_key in zip(ordered[first:last], h_keys[first:last]):
            htop = h[TOP]
            if vtop <= htop + tolerance and vbottom >= htop - tolerance and vx >= h[X0] - tolerance and vx <= h[X1] + tolerance:
                found = crossings.get((vx, htop))
                if found is None:
                    found = crossings[(vx, htop)] = (set(), set())
                found[0].add(v_key)
                found[1].add(h_key)
    return crossings


def _box_numbers(edges: list[Edge]) -> list[int]:
    """A number for each edge's box (x0, top, x1, bottom): the same for edges of the same box."""
    numbers: dict[BBox, int] = {}
    return [numbers.setdefault((e[X0], e[TOP], e[X1], e[BOTTOM]), len(numbers)) for e in edges]


def intersections_to_cells(intersections: dict[tuple[float, float], dict[str, list[dict]]]) -> list[BBox]:
    """`crossings_to_cells` of pdfplumber's `edges_to_intersections` output (its edges as dicts)."""
    from pdfplumber.utils import obj_to_bbox

    return crossings_to_cells({
        pt: ({obj_to_bbox(e) for e in found["v"]}, {obj_to_bbox(e) for e in found["h"]})
        for pt, found in intersections.items()
    })


def crossings_to_cells(crossings: Crossings) -> list[BBox]:
    """pdfplumber's `intersections_to_cells`, indexed: the same cells in the same order.

    For each crossing (in sorted order), the smallest cell it is the top-left corner of:
    the first crossing below it and the first to its right that an edge joins to it, and
    whose bottom-right corner is a crossing joined to both. pdfplumber rebuilds the edge
    sets and scans every later crossing for each pair it tries; here the edges at each
    crossing are sets once, and the crossings below and to the right are looked up by
    column and row (`tests/test_readers.py` checks both agree).
    """
    v_at = {pt: found[0] for pt, found in crossings.items()}
    h_at = {pt: found[1] for pt, found in crossings.items()}
    points = sorted(crossings)
    columns: dict[float, list[tuple[float, float]]] = {}
    rows: dict[float, list[tuple[float, float]]] = {}
    places: list[tuple[int, int]] = []  # each point's place in its column and in its row
    for pt in points:  # in sorted order: a column top to bottom, a row left to right
        column, row = columns.setdefault(pt[0], []), rows.setdefault(pt[1], [])
        places.append((len(column), len(row)))
        column.append(pt)
        row.append(pt)
    cells: list[BBox] = []
    for pt, (down, across) in zip(points, places):
        below = columns[pt[0]][down + 1 :]
        right = rows[pt[1]][across + 1 :]
        cell = _smallest_cell(pt, below, right, v_at, h_at) if below and right else None
        if cell is not None:
            cells.append(cell)
    return cells


Joints = dict[tuple[float, float], set[Hashable]]


def _smallest_cell(pt: tuple[float, float], below: list[tuple[float, float]], right: list[tuple[float, float]],
                   v_at: Joints, h_at: Joints) -> BBox | None:
    """The first cell (pdfplumber's order) whose top-left corner is `pt`, if any.

    pdfplumber's `edge_connects` of two crossings: on one vertical line sharing a vertical
    edge, or on one horizontal line sharing a horizontal one. The crossings `below` share
    `pt`'s x, those to its `right` its y (and a corner below-right shares x with one, y with
    the other), so only one of the two tests can hold for each pair, and it is made alone;
    the crossings to the right joined to `pt` are found once, not once per crossing below.

    The crossings joined to `pt` are a run from it: an edge through `pt` and a farther
    crossing of its line passes through every crossing between (the crossing tests are
    comparisons with the same tolerance, monotonic in the position), so the search down and
    the search right stop at the first crossing not joined.
    """
    down, across = v_at[pt], h_at[pt]
    joined_right: list[tuple[float, float]] | None = None
    for below_pt in below:
        if down.isdisjoint(v_at[below_pt]):
            break
        if joined_right is None:
            joined_right = []
            for right_pt in right:
                if across.isdisjoint(h_at[right_pt]):
                    break
                joined_right.append(right_pt)
        below_across = h_at[below_pt]
        for right_pt in joined_right:
            bottom_right = (right_pt[0], below_pt[1])
            corner_down = v_at.get(bottom_right)
            if corner_down is not None and not corner_down.isdisjoint(v_at[right_pt]) \
                    and not h_at[bottom_right].isdisjoint(below_across):
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


@dataclass(slots=True)
class CharColumns:
    """Chars as columns, one list per key the grid reads, with what their steps derive from them.

    The steps that run per char (`_assign`, `_lines`) index these lists: a page's
    thousand chars are read out of their dicts once, not once per step and key.
    """

    chars: list[dict]
    text: list[str]
    x0: list[float]
    x1: list[float]
    top: list[float]
    bottom: list[float]
    size: list[float]
    middle: list[float]  # (top + bottom) / 2
    order: list[tuple[float, float]]  # reading order: by line (tops within a tenth of a point), then left to right
    skipped: frozenset[int]  # blank chars that are not upright: in no cell, in no line
    reading: list[int]  # the char indices sorted by `order` (a stable sort: chars of one place keep their order)

    @classmethod
    def deduped(cls, chars: list[dict]) -> CharColumns:
        """The columns of the chars printed first at their place (`_first_prints`: a char printed again
        there, as overprinted bold is, is dropped); each key read out of the dicts once for both steps."""
        text, x0, x1, top, bottom, size = (list(map(getter, chars)) for getter in _COLUMN_GETTERS)
        kept = _first_prints(text, x0, top, size)
        if kept is not None:
            chars = [chars[k] for k in kept]
            text, x0, x1, top, bottom, size = ([column[k] for k in kept] for column in (text, x0, x1, top, bottom, size))
        return cls._made(chars, text, x0, x1, top, bottom, size)

    @classmethod
    def _made(cls, chars: list[dict], text: list[str], x0: list[float], x1: list[float], top: list[float],
              bottom: list[float], size: list[float]) -> CharColumns:
        """The columns, with what the steps derive from them."""
        middle = [(t + b) / 2 for t, b in zip(top, bottom)]
        # round(top, 1) once per distinct top (a line's chars share theirs; it costs a microsecond)
        line_top = {t: round(t, 1) for t in set(top)}
        order = list(zip(map(line_top.__getitem__, top), x0))
        skipped = frozenset(k for k, char in enumerate(chars) if not char.get("upright", True) and char["text"].strip() == "")
        # sorted once for the page (a page's chars come mostly in this order already)
        reading = sorted(range(len(chars)), key=order.__getitem__)
        return cls(chars, text, x0, x1, top, bottom, size, middle, order, skipped, reading)


@dataclass(slots=True)
class Slots:
    """A page cut into slots by every x and every top and bottom of its boxes, with the smallest box
    holding each slot (`_assign` looks a char's centre up with two bisections).

    A point strictly inside a slot is held by exactly the boxes that hold the whole slot, so
    the slot's box is the point's; a point on a cut (rare) is tried box by box (`holding`).
    """

    boxes: list[BBox]
    xs: list[float]  # the boxes' distinct x0s and x1s, sorted
    ys: list[float]  # their distinct tops and bottoms, sorted
    rows: list[list[int]]  # rows[j][i]: the box of the slot left of xs[i] and above ys[j] (-1: none)
    ranked: list[int]  # the boxes smallest first (by area; of equal ones, the first): the first that holds a point wins

    @classmethod
    def of(cls, boxes: list[BBox]) -> Slots:
        """The slots of these boxes."""
        ranked = sorted(range(len(boxes)), key=lambda i: (boxes[i][2] - boxes[i][0]) * (boxes[i][3] - boxes[i][1]))
        xs = sorted({x for box in boxes for x in (box[0], box[2])})
        ys = sorted({y for box in boxes for y in (box[1], box[3])})
        x_place = {x: i for i, x in enumerate(xs)}
        y_place = {y: j for j, y in enumerate(ys)}
        rows = [[-1] * (len(xs) + 1) for _ in range(len(ys) + 1)]
        for i in reversed(ranked):  # largest first: a smaller box drawn over it wins its slots
            x0, top, x1, bottom = boxes[i]
            first, last = x_place[x0] + 1, x_place[x1] + 1
            held = [i] * (last - first)
            for j in range(y_place[top] + 1, y_place[bottom] + 1):
                rows[j][first:last] = held
        return cls(boxes, xs, ys, rows, ranked)

    def box_at(self, x: float, y: float) -> int:
        """The smallest box holding the point (x, y), -1 when none does."""
        i, j = bisect_right(self.xs, x), bisect_right(self.ys, y)
        if (i and self.xs[i - 1] == x) or (j and self.ys[j - 1] == y):
            box = self.holding(x, y)
        else:
            box = self.rows[j][i]
        if box < 0 and not (x - x == 0 == y - y):
            # not a finite point (no box holds it): the tile index this replaced failed the page so, with this message
            raise ValueError("cannot convert float NaN to integer")
        return box

    def holding(self, x: float, y: float) -> int:
        """`box_at`, box by box (for a point on a cut)."""
        boxes = self.boxes
        for i in self.ranked:
            x0, top, x1, bottom = boxes[i]
            if x0 <= x <= x1 and top <= y <= bottom:
                return i
        return -1


def _assign(columns: CharColumns, boxes: list[BBox], order: Iterable[int]) -> tuple[dict[int, list[int]], list[int]]:
    """Each char (by index) to the smallest box holding its centre, the rest loose, in the given order of them."""
    by_cell: dict[int, list[int]] = {}
    loose: list[int] = []
    box_at = Slots.of(boxes).box_at
    skipped = columns.skipped
    x0s, x1s, middle = columns.x0, columns.x1, columns.middle
    for k in order:
        if skipped and k in skipped:
            continue
        i = box_at((x0s[k] + x1s[k]) / 2, middle[k])
        if i < 0:
            loose.append(k)
        elif i in by_cell:
            by_cell[i].append(k)
        else:
            by_cell[i] = [k]
    return by_cell, loose


_COLUMN_GETTERS = tuple(itemgetter(k) for k in ("text", "x0", "x1", "top", "bottom", "size"))


def _first_prints(text: list[str], x0: list[float], top: list[float], size: list[float]) -> list[int] | None:
    """The indices of the chars printed first at their place (text, x0, top and size rounded to
    points), None when no char repeats one before it."""
    # the keys made column by column with round() mapped in C, and first put in a set in C
    # too: a page seldom prints a char twice, and this runs on every char of a page
    keys = list(zip(text, map(round, x0), map(round, top), map(round, size)))
    if len(set(keys)) == len(keys):
        return None
    seen: set[tuple] = set()
    add = seen.add
    return [k for k, key in enumerate(keys) if not (key in seen or add(key))]


_LINE_ORDER = attrgetter("top", "x0")


def _lines(columns: CharColumns, members: Sequence[int]) -> list[TextLine]:
    """The chars at these indices of `columns` (given in reading order, `CharColumns.reading`) grouped into
    printed lines (by vertical overlap), left to right, with spaces."""
    if not members:
        return []
    if len(members) == 1:
        line = _row_to_line(columns, members)
        return [line] if line.text else []
    middle, size, top, bottom = columns.middle, columns.size, columns.top, columns.bottom
    rows: list[list[int]] = []
    spans: list[tuple[float, float, float]] = []  # each row's first char: its top - 0.5, bottom + 0.5, size
    for k in members:
        mid, c_size = middle[k], size[k]
        for row, (low, high, ref_size) in zip(rows, spans):
            if low <= mid <= high and abs(ref_size - c_size) < ref_size:
                row.append(k)
                break
        else:
            rows.append([k])
            spans.append((top[k] - 0.5, bottom[k] + 0.5, c_size))
    by_x0 = columns.x0.__getitem__
    lines = [_row_to_line(columns, sorted(row, key=by_x0)) for row in rows]
    lines = [line for line in lines if line.text]
    return sorted(lines, key=_LINE_ORDER)


def _row_to_line(columns: CharColumns, row: Sequence[int]) -> TextLine:
    """Join a row of chars (indices of `columns`), inserting a space where the printed gap is wide."""
    texts, x0s, x1s, tops, bottoms, sizes = columns.text, columns.x0, columns.x1, columns.top, columns.bottom, columns.size
    parts: list[str] = []
    last = " "  # the last part joined (a line starts as if after a space: no space before its first char)
    prev_x1: float | None = None
    # the line's box: of its visible chars (of all of them when none is visible); kept with
    # comparisons, not min()/max() calls (the same values: this runs per char)
    x0 = top = float("inf")
    x1 = bottom = size = float("-inf")
    for k in row:
        text, c_x0, c_size = texts[k], x0s[k], sizes[k]
        if last != " " and text != " " and prev_x1 is not None and c_x0 - prev_x1 > 0.3 * (1.0 if 1.0 > c_size else c_size):
            parts.append(" ")
            last = " "
        prev_x1 = c_x1 = x1s[k]
        if text.strip():
            c_top, c_bottom = tops[k], bottoms[k]
            if c_x0 < x0:
                x0 = c_x0
            if c_top < top:
                top = c_top
            if c_x1 > x1:
                x1 = c_x1
            if c_bottom > bottom:
                bottom = c_bottom
            if c_size > size:
                size = c_size
        if text == " " == last:
            continue
        parts.append(text)
        last = text
    if x0 == float("inf"):  # nothing visible
        x0, top = min(map(x0s.__getitem__, row)), min(map(tops.__getitem__, row))
        x1, bottom, size = max(map(x1s.__getitem__, row)), max(map(bottoms.__getitem__, row)), max(map(sizes.__getitem__, row))
    return TextLine("".join(parts).strip(), x0, top, x1, bottom, size)


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

    @cached_property
    def cell_labels(self) -> list[str]:
        """The cells' labels, sorted."""
        return sorted(self.cells_by_label)

    @cached_property
    def labels(self) -> list[str]:
        """Every label of the page (its cells' and loose lines'), sorted: those with a prefix are a run."""
        return sorted({*self.cells_by_label, *(normalize_label(line.text) for line in self.loose_lines)})

    def has_label_starting(self, prefix: str) -> bool:
        """Whether some cell or loose line's label starts with `prefix` (a normalized label)."""
        return bool(labels_starting(self.labels, prefix))

    def find_label(self, *labels: str, startswith: bool = False, within: BBox | None = None) -> Cell | None:
        """The first cell whose normalized text equals (or starts with) one of `labels`."""
        wanted = [normalize_label(label) for label in labels]
        index = self.cells_by_label
        if startswith:
            keys = [key for w in wanted for key in labels_starting(self.cell_labels, w)]
        else:
            keys = [w for w in wanted if w in index]
        found = [c for key in keys for c in index[key] if within is None or _inside(c.bbox, within)]
        return min(found, key=lambda c: (round(c.top), c.x0, c.index)) if found else None

    # ---- moving between cells -------------------------------------------------------
    @cached_property
    def _edges(self) -> dict[str, tuple[list[float], list[Cell]]]:
        """The cells sorted by each edge (top, bottom, x0, x1), with the edge values: neighbours are a range."""
        index: dict[str, tuple[list[float], list[Cell]]] = {}
        for edge in ("top", "bottom", "x0", "x1"):
            ordered = sorted(self.cells, key=attrgetter(edge))
            index[edge] = ([getattr(c, edge) for c in ordered], ordered)
        return index

    def _near(self, edge: str, value: float, tolerance: float) -> list[Cell]:
        """The cells whose `edge` lies within `tolerance` of `value`, in page order."""
        values, cells = self._edges[edge]
        found = cells[bisect_left(values, value - tolerance):bisect_right(values, value + tolerance)]
        return sorted(found, key=attrgetter("index"))

    def below(self, cell: Cell, tolerance: float = EDGE_TOLERANCE) -> list[Cell]:
        """Cells whose top touches this cell's bottom and that overlap it horizontally."""
        return sorted(
            (c for c in self._near("top", cell.bottom, tolerance) if _h_overlap(c, cell) > 1.0),
            key=lambda c: c.x0,
        )

    def right_of(self, cell: Cell, tolerance: float = EDGE_TOLERANCE) -> list[Cell]:
        """Cells whose left edge touches this cell's right edge and that overlap it vertically."""
        return sorted(
            (c for c in self._near("x0", cell.x1, tolerance) if _v_overlap(c, cell) > 1.0),
            key=lambda c: c.top,
        )

    def left_of(self, cell: Cell, tolerance: float = EDGE_TOLERANCE) -> list[Cell]:
        """Cells whose right edge touches this cell's left edge and that overlap it vertically."""
        return sorted(
            (c for c in self._near("x1", cell.x0, tolerance) if _v_overlap(c, cell) > 1.0),
            key=lambda c: c.top,
        )

    def starting_at(self, top: float, tolerance: float = EDGE_TOLERANCE) -> list[Cell]:
        """Cells whose top edge lies within `tolerance` of `top`, in page order (a row of a table)."""
        return self._near("top", top, tolerance)

    def above(self, cell: Cell, tolerance: float = EDGE_TOLERANCE) -> list[Cell]:
        """Cells whose bottom touches this cell's top and that overlap it horizontally."""
        return sorted(
            (c for c in self._near("bottom", cell.top, tolerance) if _h_overlap(c, cell) > 1.0),
            key=lambda c: c.x0,
        )

    @cached_property
    def _by_middle(self) -> tuple[list[float], list[Cell]]:
        """The cells sorted by their vertical centre, with the centres."""
        ordered = sorted(self.cells, key=lambda c: (c.top + c.bottom) / 2)
        return [(c.top + c.bottom) / 2 for c in ordered], ordered

    def in_band(self, top: float, bottom: float, x0: float = float("-inf"), x1: float = float("inf")) -> list[Cell]:
        """Cells whose vertical centre lies in [top, bottom] and horizontal centre in [x0, x1]."""
        middles, ordered = self._by_middle
        found = ordered[bisect_left(middles, top):bisect_right(middles, bottom)]
        return sorted(
            (c for c in sorted(found, key=attrgetter("index")) if x0 <= (c.x0 + c.x1) / 2 <= x1),
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


def labels_starting(sorted_labels: list[str], prefix: str) -> list[str]:
    """The labels of a sorted list that start with `prefix` (they sit together from its place on)."""
    found: list[str] = []
    for label in sorted_labels[bisect_left(sorted_labels, prefix):]:
        if not label.startswith(prefix):
            break
        found.append(label)
    return found


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


def build_grid(page: PageLike, settings: GridSettings | None = None) -> PageGrid:
    """Read one page's objects (`PageObjects`, or a pdfplumber page) into a `PageGrid`.

    Cells come from the visible rulings; a page with no ruling at all but a grid of
    filled rects takes the fills as its cells (`fill_rect_boxes`).
    """
    boxes = find_cell_boxes(page, settings) or fill_rect_boxes(page)
    columns = CharColumns.deduped(page.chars)
    # the chars assigned in reading order: each cell's come out in the order its lines are read in
    by_cell, loose = _assign(columns, boxes, columns.reading)
    cells: list[Cell] = []
    for i, (x0, top, x1, bottom) in enumerate(boxes):
        members = by_cell.get(i)
        lines = _lines(columns, members) if members else []
        text = lines_to_text(lines, text_right_edge((x0, top, x1, bottom), lines)) if lines else ""
        cells.append(Cell(i, x0, top, x1, bottom, lines, text))
    return PageGrid(
        page_number=page.page_number,
        width=float(page.width),
        height=float(page.height),
        cells=cells,
        loose_lines=_lines(columns, loose),
    )
