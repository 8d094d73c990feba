"""Views that follow values across editions (the yearly re-publications of a document).

An edition is a loaded document; its year is `documents.results_fiscal_year`, the
newest edition of a value is the one with the latest results year (then the latest
ingest). A value repeated within one edition (carried forward into the next year's
column) is one observation.
"""

from __future__ import annotations

from warehouse.schema import VIEWS as TABLE_VIEWS
from warehouse.schema import View

# Documents whose values count: loaded ones. (A superseded re-issue would be excluded here.)
_LIVE_DOCUMENTS = "d.status IN ('loaded', 'loaded_with_issues')"

KPI_HISTORY = View(
    "kpi_history",
    "KPIの値の版ごとの推移：参照年度ごとに最新版の値、掲載版数、改訂の有無",
    "KPI values across editions: per reference year, the newest edition's value, how many editions report it, and whether editions disagree",
    f"""
WITH observations AS (
    -- one observation per edition: carried-forward copies of the same year collapse here
    SELECT d.municipality, v.kpi_id, v.slot,
           v.ref_fiscal_year_start, v.ref_fiscal_year_end AS ref_fiscal_year,
           v.document_id, d.results_fiscal_year AS edition_fiscal_year, d.ingested_at,
           min(v.value) AS value, max(v.value) AS value_max,
           any_value(v.aggregation) AS aggregation
    FROM strategy_kpi_values AS v
    JOIN documents AS d USING (document_id)
    WHERE v.status = 'value' AND v.ref_fiscal_year_end IS NOT NULL AND {_LIVE_DOCUMENTS}
    GROUP BY ALL
),
history AS (
    SELECT municipality, kpi_id, slot, ref_fiscal_year_start, ref_fiscal_year,
           arg_max(value, (edition_fiscal_year, ingested_at)) AS value,
           arg_max(document_id, (edition_fiscal_year, ingested_at)) AS newest_document_id,
           max(edition_fiscal_year) AS newest_edition_fiscal_year,
           min(edition_fiscal_year) AS first_edition_fiscal_year,
           count(DISTINCT document_id) AS edition_count,
           (min(value) <> max(value_max)) AS revised,
           list(DISTINCT value ORDER BY value) AS values_reported,
           any_value(aggregation) AS aggregation
    FROM observations
    GROUP BY ALL
)
SELECT h.municipality, h.kpi_id, k.kpi_name, k.goal_no, h.slot,
       h.ref_fiscal_year_start, h.ref_fiscal_year, h.aggregation,
       h.value, h.edition_count, h.revised, h.values_reported,
       h.first_edition_fiscal_year, h.newest_edition_fiscal_year, h.newest_document_id
FROM history AS h
LEFT JOIN strategy_kpis AS k ON k.document_id = h.newest_document_id AND k.kpi_id = h.kpi_id
""",
    (
        ("municipality", "自治体名", "Municipality"),
        ("kpi_id", "KPI識別子（版をまたいで同じKPIに同じ値）", "KPI id, the same for the same KPI in every edition"),
        ("kpi_name", "KPI名（最新版の表記）", "KPI name as printed in the newest edition"),
        ("goal_no", "基本目標番号", "基本目標 number"),
        ("slot", "区分（現状値・実績値・目標値）", "Slot: 現状値, 実績値 or 目標値"),
        ("ref_fiscal_year_start", "値が対象とする期間の初年度", "First fiscal year the value refers to"),
        ("ref_fiscal_year", "値が対象とする年度（期間の場合は最終年度）", "Fiscal year the value refers to (last year of a range)"),
        ("aggregation", "集計方法（単年度・累計・平均）", "Aggregation: 単年度, 累計 or 平均"),
        ("value", "最新版の値", "Value in the newest edition that reports it"),
        ("edition_count", "この値を掲載した版の数", "Number of editions that report this value"),
        ("revised", "版によって値が異なる（改訂あり）", "True when editions disagree (the value was revised)"),
        ("values_reported", "各版が掲載した値の一覧", "Distinct values the editions reported"),
        ("first_edition_fiscal_year", "初めて掲載した版の実績年度", "Results year of the first edition reporting it"),
        ("newest_edition_fiscal_year", "最新の掲載版の実績年度", "Results year of the newest edition reporting it"),
        ("newest_document_id", "最新の掲載版の文書ID", "Document id of the newest edition reporting it"),
    ),
)

HISTORY_VIEWS: list[View] = [KPI_HISTORY]
ALL_VIEWS: list[View] = [*TABLE_VIEWS, *HISTORY_VIEWS]
