"""Reading labelled tables out of a `PageGrid`: headers, leaf columns and data rows.

These helpers know nothing of any one template. A template names the labels; these
functions find where the labelled columns are and which cells sit under them.
"""

from __future__ import annotations

from dataclasses import dataclass

from extractors.grid import BBox, Cell, PageGrid


@dataclass
class Column:
    """A leaf column of a table header: its label path and horizontal extent."""

    label: str  # the leaf header's text, e.g. 'R2'
    parent: str | None  # the spanning header above it, e.g. '実績'
    x0: float
    x1: float
    cell: Cell

    @property
    def full_label(self) -> str:
        return f"{self.parent} {self.label}" if self.parent else self.label


def union_bbox(cells: list[Cell]) -> BBox | None:
    """The smallest box around some cells."""
    if not cells:
        return None
    return (min(c.x0 for c in cells), min(c.top for c in cells), max(c.x1 for c in cells), max(c.bottom for c in cells))


def header_columns(grid: PageGrid, first_header: Cell) -> list[Column]:
    """Leaf columns of the header row that starts at `first_header`, left to right.

    The header row is `first_header` and the cells chained to its right with the same
    top; a header cell with cells under it inside the header's height is split into
    those sub-headers (e.g. 実績 over R2 | R3).
    """
    columns: list[Column] = []
    header_bottom = first_header.bottom
    current = first_header
    while True:
        nexts = [c for c in grid.right_of(current) if abs(c.top - first_header.top) <= 2.5]
        if not nexts:
            break
        current = nexts[0]
        subs = [c for c in grid.below(current) if c.bottom <= header_bottom + 2.5]
        # sub-headers may sit below a header that spans them: look inside the header's width
        subs = [
            c
            for c in grid.in_band(current.bottom, header_bottom, current.x0 - 1, current.x1 + 1)
            if c.bottom <= header_bottom + 2.5 and c.top >= current.bottom - 2.5
        ] or subs
        if subs:
            for sub in subs:
                columns.append(Column(sub.text, current.text, sub.x0, sub.x1, sub))
        else:
            columns.append(Column(current.text, None, current.x0, current.x1, current))
    return columns


def cell_in_column(cells: list[Cell], column_x0: float, column_x1: float) -> Cell | None:
    """The cell among `cells` whose horizontal centre lies inside a column's extent."""
    for cell in cells:
        centre = (cell.x0 + cell.x1) / 2
        if column_x0 - 1 <= centre <= column_x1 + 1:
            return cell
    return None


def row_cells(grid: PageGrid, anchor: Cell, x0: float | None = None, x1: float | None = None) -> list[Cell]:
    """Cells in the same row band as `anchor` (their vertical centre within it)."""
    return grid.in_band(
        anchor.top + 0.5,
        anchor.bottom - 0.5,
        x0 if x0 is not None else float("-inf"),
        x1 if x1 is not None else float("inf"),
    )


def stacked_below(grid: PageGrid, cell: Cell, tolerance: float = 2.5) -> list[Cell]:
    """Cells stacked directly under `cell` with the same left and right edges, in order."""
    stack: list[Cell] = []
    current = cell
    while True:
        nexts = [
            c
            for c in grid.below(current, tolerance)
            if abs(c.x0 - cell.x0) <= tolerance and abs(c.x1 - cell.x1) <= tolerance
        ]
        if not nexts:
            return stack
        current = nexts[0]
        stack.append(current)


def text_below(grid: PageGrid, label: Cell) -> tuple[str, list[Cell]]:
    """The text of the cells directly under a label cell (the label's value)."""
    cells = grid.below(label)
    return "\n".join(c.text for c in cells if c.text), cells


def text_right(grid: PageGrid, label: Cell) -> tuple[str, list[Cell]]:
    """The text of the cells directly right of a label cell (the label's value)."""
    cells = grid.right_of(label)
    return "\n".join(c.text for c in cells if c.text), cells
