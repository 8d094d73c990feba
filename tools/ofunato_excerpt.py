"""Cut a small excerpt of 大船渡市's export for the tests: its rows above the data, and a few projects.

    .venv/bin/python tools/ofunato_excerpt.py ../shared/real/ofunato/report.xlsx samples/real/ofunato/report_excerpt.xlsx

The projects are picked by what they hold, not by name: the first two rows, the first row
with a 国庫支出金 figure, and the first row with a placeholder (－) where a source belongs.
Cells are copied as values (no styles, no text boxes), in their own columns; the rows
follow one another below the header.
"""

from __future__ import annotations

import sys
from pathlib import Path

from openpyxl import Workbook

from hyoka.extractors.records import BudgetRecord
from hyoka.extractors.sheet_extract import extract_spreadsheet, find_layout, sheet_templates
from hyoka.extractors.spreadsheet import read_workbook
from hyoka.normalize import is_placeholder


def picked_rows(data: bytes) -> list[int]:
    """Sheet rows (from 1) of the projects the excerpt keeps."""
    budgets = extract_spreadsheet(data).rows(BudgetRecord)
    project_rows = sorted({record.page for record in budgets})
    with_national = next(r.page for r in budgets if r.national)
    with_placeholder = next(r.page for r in budgets if any(is_placeholder(text) for text in r.raw.values()))
    return list(dict.fromkeys([*project_rows[:2], with_national, with_placeholder]))


def main(source: Path, target: Path) -> None:
    data = source.read_bytes()
    layout = find_layout(read_workbook(data), sheet_templates())
    if layout is None:
        raise SystemExit(f"{source}: no known export header")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = layout.sheet.name
    keep = list(range(layout.header_row + 1)) + [number - 1 for number in picked_rows(data)]
    for out, index in enumerate(keep, start=1):
        for column, value in enumerate(layout.sheet.rows[index], start=1):
            if value != "":
                sheet.cell(row=out, column=column, value=value)  # type: ignore[arg-type]
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(target)
    print(f"{target}: {len(keep) - layout.header_row - 1} projects, {target.stat().st_size} bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
