"""Checks across documents: the same indicator must say the same thing everywhere.

An evaluation sheet's 施策 / 基本政策 outcome indicators are often KPIs of the city's
総合戦略 too. When both documents of one municipality report an actual for the same
fiscal year under the same (normalized) name, the values must agree; a disagreement is
a `cross_document_mismatch` warning on the document loaded later, naming the other.
Baselines are not compared: the two documents may count from different base years.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import duckdb

from hyoka.normalize import indicator_key
from hyoka.warehouse import store
from hyoka.warehouse.status import is_live

CHECK_NAME = "cross_document_mismatch"
_LIVE = is_live("d")

# The rows compared: what each side must be to count as an actual of one fiscal year.
_SHEET_ACTUAL = (
    "i.kind = '実績' AND i.level IN ('施策', '基本政策') AND i.value IS NOT NULL AND i.fiscal_year IS NOT NULL"
)
_KPI_ACTUAL = "v.slot = '実績値' AND v.status = 'value' AND v.ref_fiscal_year_start = v.ref_fiscal_year_end"

_SHEET_ACTUALS = f"""
SELECT i.document_id, d.file_name, i.page, i.bbox, i.project_code, i.level, i.indicator_name AS name,
       i.fiscal_year, i.value, i.value_text
FROM project_indicators AS i JOIN documents AS d USING (document_id)
WHERE d.municipality = ? AND {_LIVE} AND {_SHEET_ACTUAL}
"""

_KPI_ACTUALS = f"""
SELECT v.document_id, d.file_name, v.page, v.bbox, v.kpi_id, k.kpi_name AS name,
       v.ref_fiscal_year_end AS fiscal_year, v.value, v.value_text, v.column_label
FROM strategy_kpi_values AS v
JOIN strategy_kpis AS k USING (document_id, kpi_id)
JOIN documents AS d USING (document_id)
WHERE d.municipality = ? AND {_LIVE} AND {_KPI_ACTUAL}
"""

# The document's municipality, when it has an actual that another document could contradict:
# most documents have none, and then one query answers.
_MUNICIPALITY_TO_CHECK = f"""
SELECT d.municipality FROM documents AS d
WHERE d.document_id = $doc AND d.municipality IS NOT NULL AND d.municipality <> ''
  AND (EXISTS (SELECT 1 FROM project_indicators AS i WHERE i.document_id = $doc AND {_SHEET_ACTUAL})
       OR EXISTS (SELECT 1 FROM strategy_kpi_values AS v WHERE v.document_id = $doc AND {_KPI_ACTUAL}))
"""


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def _issue(mine: dict[str, Any], other: dict[str, Any], mine_is_sheet: bool) -> dict[str, Any]:
    """The warning on `mine`'s document, naming the other document."""
    sheet, kpi = (mine, other) if mine_is_sheet else (other, mine)
    key = f"{mine.get('project_code') or mine.get('kpi_id')} {mine['name']} {mine['fiscal_year']}"
    return {
        "document_id": mine["document_id"],
        "page": mine["page"],
        "table_name": "project_indicators" if mine_is_sheet else "strategy_kpi_values",
        "record_key": key,
        "column_name": "value",
        "check_name": CHECK_NAME,
        "severity": "warning",
        "message": (
            f"評価シートとKPI一覧で{sheet['fiscal_year']}年度の値が異なります / the evaluation sheet and the KPI list disagree "
            f"for FY{sheet['fiscal_year']}: {sheet['name']} = {sheet['value_text']} in {sheet['file_name']} (p.{sheet['page']}), "
            f"{kpi['name']} = {kpi['value_text']} in {kpi['file_name']} (p.{kpi['page']})"
        ),
        "raw_value": mine["value_text"],
        "bbox": mine["bbox"],
        "related_document_id": other["document_id"],
    }


def find_mismatches(con: duckdb.DuckDBPyConnection, document_id: str) -> list[dict[str, Any]]:
    """Cross-document disagreements that involve this document, as issue rows on it."""
    found = con.execute(_MUNICIPALITY_TO_CHECK, {"doc": document_id}).fetchone()
    if not found:
        return []
    municipality = found[0]
    by_key: dict[tuple[str, int], dict[str, list[dict[str, Any]]]] = defaultdict(lambda: {"sheet": [], "kpi": []})
    for row in _rows(con, _SHEET_ACTUALS, [municipality]):
        by_key[(indicator_key(row["name"]), row["fiscal_year"])]["sheet"].append(row)
    for row in _rows(con, _KPI_ACTUALS, [municipality]):
        by_key[(indicator_key(row["name"]), row["fiscal_year"])]["kpi"].append(row)
    issues: list[dict[str, Any]] = []
    for sides in by_key.values():
        for sheet in sides["sheet"]:
            for kpi in sides["kpi"]:
                if sheet["document_id"] == kpi["document_id"] or sheet["value"] == kpi["value"]:
                    continue
                if sheet["document_id"] == document_id:
                    issues.append(_issue(sheet, kpi, mine_is_sheet=True))
                elif kpi["document_id"] == document_id:
                    issues.append(_issue(kpi, sheet, mine_is_sheet=False))
    return issues


def record_cross_document_issues(con: duckdb.DuckDBPyConnection, document_id: str, *, had_none: bool = False) -> int:
    """Replace this document's cross-document warnings with the current ones; return how many.

    `had_none`: the document is known to hold none of these warnings (it was loaded in this
    transaction), so when none is found there is nothing to replace.
    """
    issues = find_mismatches(con, document_id)
    if issues or not had_none:
        store.replace_issues(con, document_id, CHECK_NAME, issues)
    return len(issues)
