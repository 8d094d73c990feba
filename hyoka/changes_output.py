"""How `hyoka changes` prints what changed between two editions: rich tables, JSON or CSV.

The data comes from `hyoka.warehouse.changes`; this module only renders it.
"""

from __future__ import annotations

import csv
import json
import sys
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

from hyoka.normalize import era_label
from hyoka.warehouse.changes import SECTIONS, EditionChanges


# Columns shown per section in the table output: (key, header, numeric)
TABLE_COLUMNS: dict[str, list[tuple[str, str, bool]]] = {
    "new_projects": [("project_code", "事業コード", False), ("project_name", "事業名", False),
                     ("policy_code", "施策", False), ("department", "部署", False)],
    "vanished_projects": [("project_code", "事業コード", False), ("project_name", "事業名", False),
                          ("policy_code", "施策", False), ("department", "部署", False)],
    "budget_changes": [("project_code", "事業コード", False), ("project_name", "事業名", False),
                       ("label", "列", False), ("change", "change", False),
                       ("from_total_cost", "事業費 from", True), ("to_total_cost", "事業費 to", True),
                       ("difference", "差 diff", True), ("changed_columns", "changed", False)],
    "revised_values": [("source", "source", False), ("project_code", "事業コード", False), ("level", "階層", False),
                       ("name", "指標・KPI", False), ("kind", "区分", False), ("fiscal_year", "年度 FY", True),
                       ("from_text", "from", True), ("to_text", "to", True)],
    "pending_to_number": [("source", "source", False), ("project_code", "事業コード", False), ("level", "階層", False),
                          ("name", "指標・KPI", False), ("kind", "区分", False), ("fiscal_year", "年度 FY", True),
                          ("from_text", "from", False), ("to_text", "to", True)],
    "new_kpis": [("goal_no", "基本目標", True), ("kpi_name", "KPI名", False), ("unit", "単位", False),
                 ("department", "担当", False)],
}


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,}"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value).replace("\n", " ")


def missing_message(changes: EditionChanges, years: list[tuple[int, int]], db: str) -> str:
    """The message for a year without any loaded document."""
    have = ", ".join(f"{y} ({era_label(y)}, {n} document{'s' if n != 1 else ''})" for y, n in years) or "none"
    missing = " and ".join(f"{y} ({era_label(y)})" for y in changes.missing_years)
    return (f"no edition with results fiscal year {missing} in {db}: nothing to compare. "
            f"Editions in the warehouse: {have}.")


def print_tables(changes: EditionChanges, console: Console) -> None:
    """One rich table per section, with the editions compared on top."""
    console.print(f"[bold]{era_label(changes.from_year)} ({changes.from_year}) → {era_label(changes.to_year)} ({changes.to_year})[/bold]"
                  " 版の間の変化 / changes between editions")
    for e in changes.editions:
        files = ", ".join(e["files"][:3]) + (f" … (+{len(e['files']) - 3})" if len(e["files"]) > 3 else "")
        console.print(f"  {e['results_fiscal_year']} {e['municipality'] or '(municipality unknown)'} {e['doc_type']}: "
                      f"{e['documents']} document{'s' if e['documents'] != 1 else ''} ({files})", highlight=False)
    several = len({e["municipality"] for e in changes.editions}) > 1
    for key, ja, en in SECTIONS:
        rows = changes.sections.get(key, [])
        title = f"{ja} / {en}: {len(rows)}"
        if not rows:
            console.print(f"\n[bold]{title}[/bold] — なし / none")
            continue
        table = Table(title=title, title_justify="left", title_style="bold", show_header=True, header_style="bold")
        columns = ([("municipality", "自治体", False)] if several else []) + TABLE_COLUMNS[key]
        for _key, header, numeric in columns:
            table.add_column(header, justify="right" if numeric else "left")
        for row in rows:
            table.add_row(*(cell(row.get(k)) for k, _h, _n in columns))
        console.print()
        console.print(table)


def write_json(changes: EditionChanges, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    out.write(json.dumps(changes.as_dict(), ensure_ascii=False, default=str, indent=1) + "\n")


def write_csv(changes: EditionChanges, out: TextIO | None = None) -> None:
    """One CSV for all sections (long format): a `section` column, then every field any section has."""
    out = out or sys.stdout
    fields: dict[str, None] = {"section": None, "from_year": None, "to_year": None}
    for key, _ja, _en in SECTIONS:
        for row in changes.sections.get(key, []):
            fields.update(dict.fromkeys(row))
    writer = csv.DictWriter(out, fieldnames=list(fields))
    writer.writeheader()
    for key, _ja, _en in SECTIONS:
        for row in changes.sections.get(key, []):
            flat = {k: (";".join(map(str, v)) if isinstance(v, (list, tuple)) else v) for k, v in row.items()}
            writer.writerow({"section": key, "from_year": changes.from_year, "to_year": changes.to_year, **flat})
