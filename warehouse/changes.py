"""What changed between two editions: the SQL behind `hyoka changes` and the report's section.

An edition is the set of loaded documents with one `results_fiscal_year` (superseded and
failed files do not count). Comparing the edition of FROM with the edition of TO, per
municipality:

* projects (followed by `project_identity.project_key`, i.e. by 事業コード or, when the
  code changed, by name): new ones, vanished ones, and for the projects in both the
  budget rows that changed — a (fiscal year, stage) printed in both editions with other
  amounts (`revised`), and the rows only the new edition prints (`new`);
* values printed in both editions for the same reference year that differ: 総合戦略 KPI
  values (`kpi`) and the sheets' indicators (`indicator`);
* values FROM could not give yet (a KPI cell 未集計…, an indicator cell without a number)
  that TO prints as a number;
* KPIs of TO's list that FROM's list did not have.

A project side (or KPI side) is compared only for municipalities that have projects (or
KPI lists) in both editions. Where one edition has several documents (a city that
publishes one PDF per project), each project or KPI is taken from the newest document of
that edition that has it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from hyoka.warehouse.status import is_live
from hyoka.warehouse.views import _BUDGET_VALUES

# (key, 日本語, English): the sections, in the order they are shown
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("new_projects", "新しい事業", "New projects"),
    ("vanished_projects", "なくなった事業", "Vanished projects"),
    ("budget_changes", "事業費の変化", "Budget changes by project"),
    ("revised_values", "改訂された値", "Revised values"),
    ("pending_to_number", "未確定から数値になった値", "Pending values that became numbers"),
    ("new_kpis", "新しいKPI", "New KPIs"),
)

_LIVE = is_live("")
_AMOUNTS = [c for c, _ja, _en in _BUDGET_VALUES]

# Shared CTEs. Parameters: $from_year, $to_year. municipality is '' when unknown.
_BASE = f"""
WITH live AS (
    SELECT document_id, coalesce(municipality, '') AS municipality, results_fiscal_year, ingested_at,
           CASE WHEN results_fiscal_year = $from_year THEN 'from' ELSE 'to' END AS side
    FROM documents
    WHERE {_LIVE} AND results_fiscal_year IN ($from_year, $to_year)
),
proj AS (
    -- each project of each edition, from the newest document of that edition that has it
    SELECT l.side, l.municipality, i.project_key, i.document_id, i.project_code, i.project_name,
           i.department, i.policy_code, i.rule, i.first_page, i.last_page
    FROM project_identity AS i JOIN live AS l USING (document_id)
    QUALIFY row_number() OVER (PARTITION BY l.side, l.municipality, i.project_key
                               ORDER BY l.ingested_at DESC, i.document_id DESC) = 1
),
proj_munis AS (
    SELECT municipality FROM proj GROUP BY municipality HAVING count(DISTINCT side) = 2
),
pairs AS (
    SELECT t.municipality, t.project_key, t.project_code, t.project_name, f.project_code AS from_project_code
    FROM proj AS t JOIN proj AS f
      ON t.side = 'to' AND f.side = 'from' AND f.municipality = t.municipality AND f.project_key = t.project_key
),
kdoc AS (
    -- each KPI of each edition, from the newest KPI list of that edition that has it
    SELECT l.side, l.municipality, k.kpi_id, k.document_id, k.kpi_name, k.goal_no, k.unit, k.department
    FROM strategy_kpis AS k JOIN live AS l USING (document_id)
    WHERE NOT coalesce(k.is_placeholder, false) AND k.kpi_id IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY l.side, l.municipality, k.kpi_id
                               ORDER BY l.ingested_at DESC, k.document_id DESC, k.page, k.row_no) = 1
),
kpi_munis AS (
    SELECT municipality FROM kdoc GROUP BY municipality HAVING count(DISTINCT side) = 2
)
"""

# Joins a budget / indicator row r to its project p of `proj`.
_PROJECT_ROWS = """r.document_id = p.document_id
       AND (p.project_code = r.project_code
            OR (p.project_code IS NULL AND nullif(r.project_code, '') IS NULL AND r.page BETWEEN p.first_page AND p.last_page))"""

_NEW_PROJECTS = _BASE + """
SELECT t.municipality, t.project_key, t.project_code, t.project_name, t.department, t.policy_code
FROM proj AS t
WHERE t.side = 'to' AND t.municipality IN (SELECT municipality FROM proj_munis)
  AND NOT EXISTS (SELECT 1 FROM proj AS f WHERE f.side = 'from' AND f.municipality = t.municipality
                                             AND f.project_key = t.project_key)
ORDER BY t.municipality, t.project_key
"""

_VANISHED_PROJECTS = _BASE + """
SELECT f.municipality, f.project_key, f.project_code, f.project_name, f.department, f.policy_code
FROM proj AS f
WHERE f.side = 'from' AND f.municipality IN (SELECT municipality FROM proj_munis)
  AND NOT EXISTS (SELECT 1 FROM proj AS t WHERE t.side = 'to' AND t.municipality = f.municipality
                                             AND t.project_key = f.project_key)
ORDER BY f.municipality, f.project_key
"""

_BUDGET_CHANGES = _BASE + f"""
, bud AS (
    SELECT p.side, p.municipality, p.project_key, r.fiscal_year, r.stage, r.label,
           {", ".join(f"r.{c}" for c in _AMOUNTS)}
    FROM project_budgets AS r JOIN proj AS p ON {_PROJECT_ROWS}
    WHERE r.fiscal_year IS NOT NULL AND r.stage IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY p.side, p.municipality, p.project_key, r.fiscal_year, r.stage
                               ORDER BY r.page) = 1
)
SELECT pr.municipality, pr.project_key, pr.project_code, pr.project_name, t.fiscal_year, t.stage, t.label,
       CASE WHEN f.project_key IS NULL THEN 'new' ELSE 'revised' END AS change,
       f.total_cost AS from_total_cost, t.total_cost AS to_total_cost,
       t.total_cost - f.total_cost AS difference,
       f.general_revenue AS from_general_revenue, t.general_revenue AS to_general_revenue,
       CASE WHEN f.project_key IS NULL THEN [] ELSE list_filter([
           {", ".join(f"CASE WHEN f.{c} IS DISTINCT FROM t.{c} THEN '{c}' END" for c in _AMOUNTS)}
       ], lambda c: c IS NOT NULL) END AS changed_columns
FROM bud AS t
JOIN pairs AS pr ON pr.municipality = t.municipality AND pr.project_key = t.project_key
LEFT JOIN bud AS f
       ON f.side = 'from' AND f.municipality = t.municipality AND f.project_key = t.project_key
      AND f.fiscal_year = t.fiscal_year AND f.stage = t.stage
WHERE t.side = 'to'
  AND (f.project_key IS NULL OR {" OR ".join(f"f.{c} IS DISTINCT FROM t.{c}" for c in _AMOUNTS)})
ORDER BY pr.municipality, pr.project_key, t.fiscal_year, t.stage
"""

_VALUE_CTES = _BASE + """
, kval AS (
    -- a value repeated in one list (carried forward into a later column) is one value
    SELECT d.side, d.municipality, d.kpi_id, d.kpi_name, v.slot, v.ref_fiscal_year_start, v.ref_fiscal_year_end,
           min(v.value) AS value, max(v.value) AS value_max, min(v.value_text) AS value_text
    FROM strategy_kpi_values AS v JOIN kdoc AS d USING (document_id, kpi_id)
    WHERE v.status = 'value' AND v.ref_fiscal_year_end IS NOT NULL
    GROUP BY ALL
),
ind AS (
    SELECT p.side, p.municipality, p.project_key, r.level,
           lower(regexp_replace(coalesce(r.indicator_name, ''), '\\s', '', 'g')) AS indicator_key,
           r.fiscal_year, r.kind,
           any_value(r.indicator_name) AS indicator_name,
           min(r.value) AS value, max(r.value) AS value_max,
           coalesce(min(r.value_text) FILTER (WHERE r.value IS NOT NULL), min(r.value_text)) AS value_text
    FROM project_indicators AS r JOIN proj AS p ON """ + _PROJECT_ROWS + """
    WHERE r.fiscal_year IS NOT NULL AND r.kind IS NOT NULL AND coalesce(r.indicator_name, '') <> ''
    GROUP BY ALL
)
"""

_REVISED_VALUES = _VALUE_CTES + """
SELECT 'kpi' AS source, t.municipality, t.kpi_id AS item_key, NULL::VARCHAR AS project_code, NULL::VARCHAR AS level,
       t.kpi_name AS name, t.slot AS kind, t.ref_fiscal_year_start AS fiscal_year_start, t.ref_fiscal_year_end AS fiscal_year,
       f.value AS from_value, t.value AS to_value, f.value_text AS from_text, t.value_text AS to_text
FROM kval AS t JOIN kval AS f
  ON t.side = 'to' AND f.side = 'from' AND f.municipality = t.municipality AND f.kpi_id = t.kpi_id
 AND f.slot = t.slot AND f.ref_fiscal_year_start IS NOT DISTINCT FROM t.ref_fiscal_year_start
 AND f.ref_fiscal_year_end = t.ref_fiscal_year_end
WHERE f.value IS DISTINCT FROM t.value OR f.value_max IS DISTINCT FROM t.value_max
UNION ALL
SELECT 'indicator', t.municipality, t.project_key, pr.project_code, t.level,
       t.indicator_name, t.kind, t.fiscal_year, t.fiscal_year,
       f.value, t.value, f.value_text, t.value_text
FROM ind AS t
JOIN pairs AS pr ON pr.municipality = t.municipality AND pr.project_key = t.project_key
JOIN ind AS f
  ON t.side = 'to' AND f.side = 'from' AND f.municipality = t.municipality AND f.project_key = t.project_key
 AND f.level = t.level AND f.indicator_key = t.indicator_key AND f.fiscal_year = t.fiscal_year AND f.kind = t.kind
WHERE f.value IS NOT NULL AND t.value IS NOT NULL
  AND (f.value <> t.value OR f.value_max <> t.value_max)
ORDER BY source, municipality, item_key, level NULLS FIRST, name, kind, fiscal_year
"""

_PENDING_TO_NUMBER = _VALUE_CTES + """
, kpending AS (
    SELECT d.municipality, d.kpi_id, v.slot, coalesce(v.ref_fiscal_year_end, v.column_fiscal_year) AS fiscal_year,
           coalesce(v.ref_fiscal_year_start, v.column_fiscal_year) AS fiscal_year_start,
           min(v.value_text) AS value_text
    FROM strategy_kpi_values AS v JOIN kdoc AS d USING (document_id, kpi_id)
    WHERE d.side = 'from' AND v.status = 'pending' AND coalesce(v.ref_fiscal_year_end, v.column_fiscal_year) IS NOT NULL
    GROUP BY ALL
)
SELECT 'kpi' AS source, t.municipality, t.kpi_id AS item_key, NULL::VARCHAR AS project_code, NULL::VARCHAR AS level,
       t.kpi_name AS name, t.slot AS kind, t.ref_fiscal_year_end AS fiscal_year,
       f.value_text AS from_text, t.value AS to_value, t.value_text AS to_text
FROM kpending AS f JOIN kval AS t
  ON t.side = 'to' AND t.municipality = f.municipality AND t.kpi_id = f.kpi_id AND t.slot = f.slot
 AND t.ref_fiscal_year_end = f.fiscal_year AND coalesce(t.ref_fiscal_year_start, t.ref_fiscal_year_end) = f.fiscal_year_start
UNION ALL
SELECT 'indicator', t.municipality, t.project_key, pr.project_code, t.level,
       t.indicator_name, t.kind, t.fiscal_year, f.value_text, t.value, t.value_text
FROM ind AS t
JOIN pairs AS pr ON pr.municipality = t.municipality AND pr.project_key = t.project_key
JOIN ind AS f
  ON t.side = 'to' AND f.side = 'from' AND f.municipality = t.municipality AND f.project_key = t.project_key
 AND f.level = t.level AND f.indicator_key = t.indicator_key AND f.fiscal_year = t.fiscal_year AND f.kind = t.kind
WHERE f.value IS NULL AND t.value IS NOT NULL
ORDER BY source, municipality, item_key, level NULLS FIRST, name, kind, fiscal_year
"""

_NEW_KPIS = _BASE + """
SELECT t.municipality, t.kpi_id, t.goal_no, t.kpi_name, t.unit, t.department
FROM kdoc AS t
WHERE t.side = 'to' AND t.municipality IN (SELECT municipality FROM kpi_munis)
  AND NOT EXISTS (SELECT 1 FROM kdoc AS f WHERE f.side = 'from' AND f.municipality = t.municipality AND f.kpi_id = t.kpi_id)
ORDER BY t.municipality, t.goal_no, t.kpi_id
"""

_EDITIONS = f"""
SELECT coalesce(municipality, '') AS municipality, results_fiscal_year, doc_type,
       count(*) AS documents, list(file_name ORDER BY file_name) AS files
FROM documents
WHERE {_LIVE} AND results_fiscal_year IN ($from_year, $to_year)
GROUP BY ALL
ORDER BY municipality, results_fiscal_year, doc_type
"""

_QUERIES = {
    "new_projects": _NEW_PROJECTS,
    "vanished_projects": _VANISHED_PROJECTS,
    "budget_changes": _BUDGET_CHANGES,
    "revised_values": _REVISED_VALUES,
    "pending_to_number": _PENDING_TO_NUMBER,
    "new_kpis": _NEW_KPIS,
}


@dataclass
class EditionChanges:
    """The changes from the edition of `from_year` to the edition of `to_year`."""

    from_year: int
    to_year: int
    editions: list[dict[str, Any]] = field(default_factory=list)  # documents per municipality, year and type
    sections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def missing_years(self) -> list[int]:
        """The years (of from, to) that have no loaded document at all."""
        present = {e["results_fiscal_year"] for e in self.editions}
        return [y for y in dict.fromkeys((self.from_year, self.to_year)) if y not in present]

    @property
    def total(self) -> int:
        return sum(len(rows) for rows in self.sections.values())

    def as_dict(self) -> dict[str, Any]:
        return {"from": self.from_year, "to": self.to_year, "editions": self.editions, **self.sections}


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def edition_years(con: duckdb.DuckDBPyConnection) -> list[tuple[int, int]]:
    """(results fiscal year, loaded documents) of every edition in the warehouse, oldest first."""
    return [tuple(r) for r in con.execute(
        f"SELECT results_fiscal_year, count(*) FROM documents WHERE {_LIVE} AND results_fiscal_year IS NOT NULL "
        "GROUP BY 1 ORDER BY 1"
    ).fetchall()]


def compare(
    con: duckdb.DuckDBPyConnection, from_year: int, to_year: int, municipalities: list[str] | None = None
) -> EditionChanges:
    """Everything that changed from the FROM edition to the TO edition (see the module docstring)."""
    params = {"from_year": int(from_year), "to_year": int(to_year)}
    keep = None if municipalities is None else set(municipalities)

    def rows(sql: str, p: dict[str, Any]) -> list[dict[str, Any]]:
        out = _rows(con, sql, p)
        return out if keep is None else [r for r in out if r["municipality"] in keep]

    changes = EditionChanges(int(from_year), int(to_year), editions=rows(_EDITIONS, params))
    if changes.missing_years:
        changes.sections = {key: [] for key, _ja, _en in SECTIONS}
        return changes
    for key, _ja, _en in SECTIONS:
        changes.sections[key] = rows(_QUERIES[key], params)
    return changes


def latest_pairs(con: duckdb.DuckDBPyConnection) -> list[tuple[int, int, list[str]]]:
    """The comparisons worth showing: for each municipality and kind of document (sheets, KPI
    lists) with two editions or more, its two newest editions. (from, to, municipalities),
    newest first; empty when nothing has two editions."""
    rows = con.execute(
        f"""
        WITH kinds AS (
            SELECT DISTINCT coalesce(d.municipality, '') AS municipality, d.results_fiscal_year,
                   CASE WHEN EXISTS (SELECT 1 FROM projects p WHERE p.document_id = d.document_id) THEN 'projects'
                        WHEN EXISTS (SELECT 1 FROM strategy_kpis k WHERE k.document_id = d.document_id) THEN 'kpis'
                   END AS kind
            FROM documents AS d
            WHERE {is_live("d")} AND d.results_fiscal_year IS NOT NULL
        ),
        ranked AS (
            SELECT *, row_number() OVER (PARTITION BY municipality, kind ORDER BY results_fiscal_year DESC) AS n
            FROM kinds WHERE kind IS NOT NULL
        )
        SELECT b.results_fiscal_year AS from_year, a.results_fiscal_year AS to_year,
               list(DISTINCT a.municipality ORDER BY a.municipality) AS municipalities
        FROM ranked AS a JOIN ranked AS b
          ON a.municipality = b.municipality AND a.kind = b.kind AND a.n = 1 AND b.n = 2
        GROUP BY ALL
        ORDER BY to_year DESC, from_year DESC
        """
    ).fetchall()
    return [(int(f), int(t), list(m)) for f, t, m in rows]
