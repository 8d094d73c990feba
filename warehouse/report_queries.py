"""The SQL behind the validation report (`hyoka report`): every query returns a DataFrame.

The report covers the whole warehouse. Plots of a project or KPI combine every edition
loaded: a value printed in several editions (R3's 当初予算 appears in the R2 and R3 sheets)
is taken from the newest edition (by results fiscal year, then ingest time); a superseded
file (a corrected re-issue was loaded later) is left out.

Every query is deterministic (a total order, no `any_value`): an unchanged warehouse gives
the same frames, and the report's cache of plots and crops is keyed by them.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from hyoka.warehouse.status import is_live

__all__ = [
    "document_summary",
    "issues",
    "budget_series",
    "indicator_series",
    "kpi_series",
    "project_titles",
    "flagged_project_codes",
]

# Newest edition first: used to keep one value per (series, year) across editions.
_EDITION_ORDER = "d.results_fiscal_year DESC NULLS LAST, d.ingested_at DESC, d.document_id"


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> pd.DataFrame:
    """Run a query and return its rows as a DataFrame."""
    return con.execute(sql, params or []).df()


def document_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per document: status, pages, records, errors and warnings (counted from the issues)."""
    return _frame(
        con,
        """
        SELECT d.document_id, d.file_name, d.source_path, d.doc_type, d.template, d.municipality,
               d.title, d.results_fiscal_year, d.status, d.error,
               coalesce(d.page_count, 0) AS page_count,
               coalesce(d.record_count, 0) AS record_count,
               coalesce(v.errors, 0) AS errors,
               coalesce(v.warnings, 0) AS warnings,
               d.ingested_at
        FROM documents AS d
        LEFT JOIN (
            SELECT document_id,
                   count(*) FILTER (WHERE severity = 'error') AS errors,
                   count(*) FILTER (WHERE severity = 'warning') AS warnings
            FROM validation_issues GROUP BY document_id
        ) AS v USING (document_id)
        ORDER BY d.file_name, d.document_id
        """,
    )


def issues(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every validation issue with its document's file and path, and the box of its whole row.

    `row_bbox` is the box of the record the issue is about (a budget row, an indicator
    cell pair), when the record can be found by its key on the issue's page; the report
    crops around both it and the cell.
    """
    return _frame(
        con,
        """
        WITH budget_rows AS (
            SELECT document_id, page, project_code || ' ' || label AS record_key, min(bbox) AS bbox
            FROM project_budgets GROUP BY ALL
        ),
        indicator_rows AS (
            SELECT document_id, page,
                   project_code || ' ' || level || '#' || indicator_no || ' ' || column_label AS record_key,
                   min(bbox) AS bbox
            FROM project_indicators GROUP BY ALL
        ),
        record_rows AS (
            SELECT 'project_budgets' AS table_name, * FROM budget_rows
            UNION ALL
            SELECT 'project_indicators' AS table_name, * FROM indicator_rows
        )
        SELECT d.file_name, d.source_path, v.document_id, v.page, v.table_name, v.record_key,
               v.column_name, v.check_name, v.severity, v.message, v.raw_value, v.bbox,
               r.bbox AS row_bbox, v.related_document_id
        FROM validation_issues AS v
        JOIN documents AS d USING (document_id)
        LEFT JOIN record_rows AS r
               ON r.document_id = v.document_id AND r.page = v.page
              AND r.table_name = v.table_name AND r.record_key = v.record_key
        ORDER BY d.file_name, v.document_id, v.page NULLS FIRST,
                 CASE v.severity WHEN 'error' THEN 0 ELSE 1 END, v.table_name, v.record_key, v.column_name,
                 v.check_name, v.message
        """,
    )


def project_titles(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per (municipality, project code): the project's name in its newest edition."""
    return _frame(
        con,
        f"""
        SELECT coalesce(d.municipality, '') AS municipality, p.project_code, p.project_name
        FROM projects AS p JOIN documents AS d USING (document_id)
        WHERE p.project_code <> '' AND {is_live('d')}
        QUALIFY row_number() OVER (
            PARTITION BY coalesce(d.municipality, ''), p.project_code ORDER BY {_EDITION_ORDER}
        ) = 1
        ORDER BY municipality, p.project_code
        """,
    )


def budget_series(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """事業費 per project, fiscal year and stage (newest edition wins)."""
    return _frame(
        con,
        f"""
        SELECT coalesce(d.municipality, '') AS municipality, b.project_code, b.fiscal_year, b.stage,
               b.total_cost
        FROM project_budgets AS b JOIN documents AS d USING (document_id)
        WHERE b.fiscal_year IS NOT NULL AND b.stage IS NOT NULL AND b.project_code <> '' AND {is_live('d')}
        QUALIFY row_number() OVER (
            PARTITION BY coalesce(d.municipality, ''), b.project_code, b.fiscal_year, b.stage
            ORDER BY {_EDITION_ORDER}, b.page
        ) = 1
        ORDER BY municipality, b.project_code, b.fiscal_year, b.stage
        """,
    )


def indicator_series(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Indicator values (実績 and 目標) per project, indicator and fiscal year (newest edition wins)."""
    return _frame(
        con,
        f"""
        SELECT coalesce(d.municipality, '') AS municipality, i.project_code, i.level,
               i.indicator_name, min(i.unit) OVER w AS unit, i.fiscal_year, i.kind, i.value,
               min(i.indicator_no) OVER w AS indicator_no
        FROM project_indicators AS i JOIN documents AS d USING (document_id)
        WHERE i.fiscal_year IS NOT NULL AND i.kind IS NOT NULL AND i.value IS NOT NULL
          AND i.indicator_name <> '' AND i.project_code <> '' AND {is_live('d')}
        WINDOW w AS (PARTITION BY coalesce(d.municipality, ''), i.project_code, i.level, i.indicator_name)
        QUALIFY row_number() OVER (
            PARTITION BY coalesce(d.municipality, ''), i.project_code, i.level, i.indicator_name,
                         i.fiscal_year, i.kind
            ORDER BY {_EDITION_ORDER}, i.page
        ) = 1
        ORDER BY municipality, i.project_code, i.level, indicator_no, i.indicator_name, i.fiscal_year, i.kind
        """,
    )


def kpi_series(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """総合戦略 KPI values by the year they refer to: 現状値, 実績値, 目標値 (newest edition wins)."""
    return _frame(
        con,
        f"""
        SELECT coalesce(d.municipality, '') AS municipality, k.goal_no, k.goal_title, v.kpi_id,
               k.kpi_name, k.unit, v.slot,
               coalesce(v.ref_fiscal_year_end, v.column_fiscal_year) AS fiscal_year, v.value
        FROM strategy_kpi_values AS v
        JOIN strategy_kpis AS k USING (document_id, kpi_id)
        JOIN documents AS d USING (document_id)
        WHERE v.value IS NOT NULL AND NOT coalesce(k.is_placeholder, false) AND {is_live('d')}
          AND coalesce(v.ref_fiscal_year_end, v.column_fiscal_year) IS NOT NULL
        QUALIFY row_number() OVER (
            PARTITION BY coalesce(d.municipality, ''), v.kpi_id, v.slot,
                         coalesce(v.ref_fiscal_year_end, v.column_fiscal_year)
            ORDER BY {_EDITION_ORDER}, v.page
        ) = 1
        ORDER BY municipality, k.goal_no, min(k.page) OVER (PARTITION BY v.kpi_id), min(k.row_no) OVER (PARTITION BY v.kpi_id), v.kpi_id, fiscal_year, v.slot
        """,
    )


def flagged_project_codes(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Project codes of the pages that have a validation issue (a sheet page belongs to one project).

    Read from `pages.project_code`, not parsed out of `record_key`: a key is for people.
    """
    rows = con.execute(
        """
        SELECT DISTINCT p.project_code
        FROM validation_issues AS v
        JOIN documents AS d USING (document_id)
        JOIN pages AS p ON p.document_id = v.document_id AND p.page = v.page
        WHERE p.project_code <> ''
        """
    ).fetchall()
    return {code for (code,) in rows}
