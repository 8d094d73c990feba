"""Reading a spreadsheet export: its sheets as rows of cells, and its header by label.

python-calamine (Rust's calamine) reads the workbook: on 大船渡市's export (2 MB, one
sheet of 409 rows × 209 columns) it takes ~0.6 s where openpyxl's read-only mode takes
~5.6 s and walks 1,826 rows (every formatted empty row). Cells come as Python values;
`cell_text` gives each the text a person sees, which is what a record keeps as raw.

Columns are found by their header label, normalized (`hyoka.normalize.normalize_label`:
line breaks, full-width spaces, widths), never by letter: `HeaderIndex` lists, for each
label, its columns left to right, so that a repeated label (one per fiscal-year block)
gives one column per block.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from hyoka.extractors.failures import EMPTY, UNREADABLE_SHEET
from hyoka.extractors.pdf_input import DocumentError
from hyoka.extractors.sheet_template import Column
from hyoka.normalize import normalize_label

Cell = object  # str, float, int, bool, date/datetime/time/timedelta, or "" for an empty cell



@dataclass(frozen=True)
class Sheet:
    """One sheet: its name and its rows from row 1 (A1 is rows[0][0])."""

    name: str
    rows: Sequence[Sequence[Cell]]


def read_workbook(data: bytes) -> list[Sheet]:
    """Every sheet of a workbook; a file calamine cannot open is a one-line `DocumentError`."""
    if not data:
        raise DocumentError(f"{EMPTY.reason} (0 bytes)", "re-download or re-export the spreadsheet")
    from python_calamine import CalamineWorkbook  # imported here: PDF runs do not pay for it

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        # skip_empty_area=False: rows[0] stays row 1, so row numbers are the sheet's own
        return [Sheet(name, workbook.get_sheet_by_name(name).to_python(skip_empty_area=False))
                for name in workbook.sheet_names]
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types, and zip/XML ones
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DocumentError(f"{UNREADABLE_SHEET.reason} ({detail})",
                            "save it again as .xlsx from Excel or LibreOffice and ingest that") from None


def cell_text(value: Cell) -> str:
    """The text a person sees in a cell: 3089.0 → '3089', 0.5 → '0.5', a date as ISO, blank → ''."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return str(value)


def column_letter(index: int) -> str:
    """0 → 'A', 25 → 'Z', 26 → 'AA': the column's name in the spreadsheet."""
    letters = ""
    number = index + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def find_header_row(rows: Sequence[Sequence[Cell]], anchors: Sequence[str], search_rows: int) -> int | None:
    """The index of the first of the top rows holding every anchor label, if any."""
    wanted = {normalize_label(anchor) for anchor in anchors}
    for index, row in enumerate(rows[:search_rows]):
        present = {normalize_label(cell_text(cell)) for cell in row}
        if wanted <= present:
            return index
    return None


@dataclass
class HeaderIndex:
    """The header row's labels, normalized, each with its columns left to right."""

    labels: list[str]  # as printed, one per column
    by_label: dict[str, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for index, label in enumerate(self.labels):
            if label.strip():
                self.by_label.setdefault(normalize_label(label), []).append(index)

    def columns(self, column: Column) -> list[int]:
        """The columns a template's `Column` names: its first label found, exact or by prefix."""
        for label in column.label:
            key = normalize_label(label)
            if column.match == "exact":
                found = self.by_label.get(key, [])
            else:
                found = sorted(i for name, cols in self.by_label.items() if name.startswith(key) for i in cols)
            if found:
                return found
        return []

    def column(self, column: Column) -> int | None:
        """The one column of a label printed once (the first, if an export repeats it)."""
        found = self.columns(column)
        return found[0] if found else None
