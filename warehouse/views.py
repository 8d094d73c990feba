"""The analysts' views: the live documents' rows (`current_*`), and values followed across
editions (the yearly re-publications of a document: `*_history`, `project_identity`).

The base tables keep every document ever loaded, a superseded re-issue included, so a
sum over `project_budgets` counts a re-issued sheet twice. `current_<table>` holds the
rows of live documents only (`hyoka.warehouse.status.is_live`): what to query by default.

An edition is a loaded document; its year is `documents.results_fiscal_year`, the
newest edition of a value is the one with the latest results year (then the latest
ingest). A value repeated within one edition (carried forward into the next year's
column) is one observation.
"""

from __future__ import annotations

from hyoka.warehouse.status import is_live
from hyoka.warehouse.schema import DOCUMENTS, FILE_CACHE, TABLES, Table, View, quote_ident
from hyoka.warehouse.schema import VIEWS as TABLE_VIEWS

# Documents whose values count: loaded ones (a superseded re-issue, a failed file do not).
_LIVE_DOCUMENTS = is_live("d")

CURRENT_PREFIX = "current_"


def _current_view(table: Table) -> View:
    """`current_<table>`: the table's rows of live documents, with its columns and comments."""
    if table.name == DOCUMENTS.name:
        sql = f"SELECT * FROM {quote_ident(table.name)} WHERE {is_live('')}"
        ja, en = "取込済みの有効な文書（置き換えられた版・失敗を除く）", "Live documents: loaded ones, not superseded or failed"
    else:
        sql = (f"SELECT * FROM {quote_ident(table.name)}\n"
               f"WHERE document_id IN (SELECT document_id FROM {quote_ident(CURRENT_PREFIX + DOCUMENTS.name)})")
        ja, en = f"{table.comment_ja}（有効な文書のみ）", f"{table.comment_en}; rows of live documents only"
    return View(
        CURRENT_PREFIX + table.name,
        ja + "。置き換えられた版の行は元テーブルに残る",
        en + ". A superseded re-issue's rows stay in the base table, for history",
        sql,
        tuple((c.name, c.comment_ja, c.comment_en) for c in table.columns),
    )


# One per document table, documents first (the others read it).
CURRENT_VIEWS: list[View] = [_current_view(t) for t in TABLES if t.name != FILE_CACHE.name]

# The columns every history view ends with: the newest value and how the editions reported it.
_EDITION_COLUMNS: tuple[tuple[str, str, str], ...] = (
        ("value", "最新版の値", "Value in the newest edition that reports it"),
        ("edition_count", "この値を掲載した版の数", "Number of editions that report this value"),
        ("revised", "版によって値が異なる（改訂あり）", "True when editions disagree (the value was revised)"),
        ("values_reported", "各版が掲載した値の一覧", "Distinct values the editions reported"),
        ("first_edition_fiscal_year", "初めて掲載した版の実績年度", "Results year of the first edition reporting it"),
        ("newest_edition_fiscal_year", "最新の掲載版の実績年度", "Results year of the newest edition reporting it"),
        ("newest_document_id", "最新の掲載版の文書ID", "Document id of the newest edition reporting it"),
)

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
        *_EDITION_COLUMNS,
    ),
)

# --------------------------------------------------------------------------------------
# Projects across editions
# --------------------------------------------------------------------------------------

# A SQL-friendly name key: whitespace removed, lower case (full-width letters stay as printed).
def _name_key(expr: str) -> str:
    return f"lower(regexp_replace(coalesce({expr}, ''), '\\s', '', 'g'))"


PROJECT_IDENTITY = View(
    "project_identity",
    "版をまたいだ事業の対応づけ：事業コードで結び、コードがない・変わった事業は同じ部署・施策内の事業名で結ぶ",
    "How a project is followed across editions: linked by 事業コード; a project whose code is missing or "
    "changed is linked by its normalized name within the same department and policy. Rule: rows sharing a "
    "code with another edition are linked by code (rule = code, project_key = the code). A row whose code no "
    "other edition has (or that has none) is linked by name to such rows of other editions with the same "
    "municipality, department, policy code and name (whitespace and case ignored), when that name is unique "
    "within each edition: project_key = the code of the earliest edition of the group, rule = name for the "
    "rows whose own code differs (the anchor keeps rule = code). Rows left alone keep their own code "
    "(or 名称:<name> without one). Only loaded documents count (not superseded or failed ones)",
    f"""
WITH named AS (
    -- one row per project of a loaded document (a code printed twice in one book is one project)
    SELECT d.municipality, p.document_id, d.results_fiscal_year, d.ingested_at,
           nullif(p.project_code, '') AS project_code, p.project_name, p.department, p.policy_code,
           p.first_page, p.last_page,
           {_name_key("p.project_name")} AS name_key,
           coalesce(p.department, '') AS department_key, coalesce(p.policy_code, '') AS policy_key
    FROM projects AS p
    JOIN documents AS d USING (document_id)
    WHERE {_LIVE_DOCUMENTS}
    QUALIFY nullif(p.project_code, '') IS NULL
         OR row_number() OVER (PARTITION BY p.document_id, p.project_code ORDER BY p.first_page) = 1
),
coded AS (
    -- in how many documents each code appears (one row per document and code above)
    SELECT *, CASE WHEN project_code IS NULL THEN 0
                   ELSE count(*) OVER (PARTITION BY municipality, project_code) END AS code_documents
    FROM named
),
name_groups AS (
    -- unlinked rows (no code, or a code only this document has) of one name in several editions
    SELECT municipality, department_key, policy_key, name_key,
           arg_min(project_code, (project_code IS NULL, coalesce(results_fiscal_year, -1), ingested_at, document_id))
               AS anchor_code
    FROM coded
    WHERE code_documents <= 1 AND name_key <> ''
    GROUP BY ALL
    HAVING count(DISTINCT document_id) >= 2 AND count(*) = count(DISTINCT document_id)
)
SELECT c.municipality,
       coalesce(g.anchor_code, c.project_code, '名称:' || c.name_key) AS project_key,
       c.document_id, c.project_code, c.project_name, c.results_fiscal_year,
       CASE WHEN g.name_key IS NOT NULL AND c.project_code IS DISTINCT FROM g.anchor_code THEN 'name'
            WHEN c.project_code IS NULL THEN 'name'
            ELSE 'code' END AS rule,
       c.department, c.policy_code, c.name_key, c.first_page, c.last_page, c.ingested_at
FROM coded AS c
LEFT JOIN name_groups AS g
       ON c.code_documents <= 1
      AND g.municipality IS NOT DISTINCT FROM c.municipality
      AND g.department_key = c.department_key AND g.policy_key = c.policy_key AND g.name_key = c.name_key
""",
    (
        ("municipality", "自治体名", "Municipality"),
        ("project_key", "版をまたいだ事業の識別子（事業コード、コードが変わった事業は最初の版のコード）",
         "Project key across editions: the 事業コード; for a project whose code changed, the code of its earliest edition"),
        ("document_id", "文書ID（この版）", "Document id of this edition"),
        ("project_code", "この版の事業コード", "Project code printed in this edition"),
        ("project_name", "この版の事業名", "Project name printed in this edition"),
        ("results_fiscal_year", "この版の実績年度", "Results fiscal year of this edition"),
        ("rule", "対応づけの方法（code：事業コード、name：部署・施策内の事業名）",
         "How this row is linked to project_key: code (事業コード) or name (normalized name within department and policy)"),
        ("department", "担当部署（様式にない場合 NULL）", "Responsible department (NULL where the template has none)"),
        ("policy_code", "施策番号", "Policy (施策) code"),
        ("name_key", "名寄せ用の事業名（空白を除き小文字化）", "Project name used for linking: whitespace removed, lower case"),
        ("first_page", "事業の最初のページ", "First page of the project's sheet in this document"),
        ("last_page", "事業の最後のページ", "Last page of the project's sheet in this document"),
        ("ingested_at", "この版の取込日時（UTC）", "When this edition was ingested (UTC)"),
    ),
)

# Budget columns followed across editions: (column, ja, en)
_BUDGET_VALUES = (
    ("total_cost", "事業費（千円）", "Total project cost in thousand yen"),
    ("national", "国庫支出金（千円）", "National government funds in thousand yen"),
    ("prefecture", "県支出金（千円）", "Prefectural funds in thousand yen"),
    ("national_prefecture", "国・都道府県支出金（千円、1行で印字する様式）", "National and prefectural funds printed as one row, in thousand yen"),
    ("municipal_bonds", "地方債（千円）", "Municipal bonds in thousand yen"),
    ("tax_allocation_pct", "交付税措置率（％）", "Share covered by local allocation tax in percent"),
    ("other", "その他財源（千円）", "Other funding sources in thousand yen"),
    ("beneficiary_burden", "うち受益者負担（千円）", "Of which borne by beneficiaries, in thousand yen"),
    ("beneficiary_burden_pct", "受益者負担率（％）", "Beneficiary share in percent"),
    ("general_revenue", "一般財源（千円）", "General revenue in thousand yen"),
)

# Joins a per-document project row of project_identity to the records of that project.
_IDENTITY_JOIN = """project_identity AS i
    ON i.document_id = r.document_id
   AND (i.project_code = r.project_code
        OR (i.project_code IS NULL AND nullif(r.project_code, '') IS NULL AND r.page BETWEEN i.first_page AND i.last_page))"""

_EDITION_KEY = "(coalesce(edition_fiscal_year, -1), ingested_at, document_id)"


def _budget_history() -> View:
    columns = [c for c, _ja, _en in _BUDGET_VALUES]
    amounts = ", ".join(f"r.{c}" for c in columns)
    newest = ", ".join(f"'{c}': {c}" for c in columns)
    revised = ",\n               ".join(
        f"CASE WHEN count(DISTINCT coalesce({c}::VARCHAR, '∅')) > 1 THEN '{c}' END" for c in columns
    )
    sql = f"""
WITH observations AS (
    -- one row per edition: a row printed twice in one document is one observation
    SELECT i.municipality, i.project_key, i.project_code, r.fiscal_year, r.stage,
           r.document_id, i.results_fiscal_year AS edition_fiscal_year, i.ingested_at, {amounts}
    FROM project_budgets AS r
    JOIN {_IDENTITY_JOIN}
    WHERE r.fiscal_year IS NOT NULL AND r.stage IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY r.document_id, i.project_key, r.fiscal_year, r.stage ORDER BY r.page) = 1
),
history AS (
    SELECT municipality, project_key, fiscal_year, stage,
           arg_max(project_code, {_EDITION_KEY}) AS project_code,
           arg_max({{{newest}}}, {_EDITION_KEY}) AS newest,
           count(DISTINCT document_id) AS edition_count,
           list_filter([
               {revised}
           ], lambda c: c IS NOT NULL) AS revised_columns,
           list(total_cost ORDER BY {_EDITION_KEY}) AS total_cost_reported,
           min(edition_fiscal_year) AS first_edition_fiscal_year,
           max(edition_fiscal_year) AS newest_edition_fiscal_year,
           arg_max(document_id, {_EDITION_KEY}) AS newest_document_id
    FROM observations
    GROUP BY ALL
)
SELECT municipality, project_key, project_code, fiscal_year, stage,
       {", ".join(f"newest.{c} AS {c}" for c in columns)},
       edition_count, len(revised_columns) > 0 AS revised, revised_columns, total_cost_reported,
       first_edition_fiscal_year, newest_edition_fiscal_year, newest_document_id
FROM history
"""
    return View(
        "project_budget_history",
        "事業費・財源の版ごとの推移：事業・年度・段階ごとに最新版の値、掲載版数、改訂の有無",
        "Project budgets across editions: per project, fiscal year and stage, the values of the newest edition "
        "that reports it, how many editions report it, and whether editions disagree (e.g. the 当初予算 of a "
        "year printed in two editions)",
        sql,
        (
            ("municipality", "自治体名", "Municipality"),
            ("project_key", "版をまたいだ事業の識別子（project_identity.project_key）", "Project key across editions (project_identity.project_key)"),
            ("project_code", "最新版の事業コード", "Project code printed in the newest edition"),
            ("fiscal_year", "年度（西暦）", "Fiscal year"),
            ("stage", "段階（決算、当初予算、決算見込など）", "Budget stage: 決算, 当初予算, 決算見込, …"),
            *[(c, f"{ja}、最新版の値", f"{en}, from the newest edition") for c, ja, en in _BUDGET_VALUES],
            ("edition_count", "この行を掲載した版の数", "Number of editions that report this row"),
            ("revised", "版によって値が異なる（いずれかの列で改訂あり）", "True when editions disagree in any value column (the row was revised)"),
            ("revised_columns", "版によって値が異なる列の一覧", "The value columns on which editions disagree"),
            ("total_cost_reported", "各版の事業費（古い版から順に）", "Total cost as each edition reported it, oldest edition first"),
            ("first_edition_fiscal_year", "初めて掲載した版の実績年度", "Results year of the first edition reporting it"),
            ("newest_edition_fiscal_year", "最新の掲載版の実績年度", "Results year of the newest edition reporting it"),
            ("newest_document_id", "最新の掲載版の文書ID", "Document id of the newest edition reporting it"),
        ),
    )


PROJECT_BUDGET_HISTORY = _budget_history()

PROJECT_INDICATOR_HISTORY = View(
    "project_indicator_history",
    "事業シートの成果指標の版ごとの推移：指標・年度・種別ごとに最新版の値、掲載版数、改訂の有無",
    "Indicator values of the evaluation sheets across editions: per project, level, indicator, fiscal year and "
    "kind, the newest edition's value, how many editions report it, and whether editions disagree. Only "
    "printed numbers count: a blank that later becomes a number is not a revision",
    f"""
WITH observations AS (
    SELECT i.municipality, i.project_key, i.project_code, r.level,
           {_name_key("r.indicator_name")} AS indicator_key,
           r.fiscal_year, r.kind, r.document_id,
           i.results_fiscal_year AS edition_fiscal_year, i.ingested_at,
           min(r.value) AS value, max(r.value) AS value_max,
           any_value(r.indicator_name) AS indicator_name, any_value(r.unit) AS unit
    FROM project_indicators AS r
    JOIN {_IDENTITY_JOIN}
    WHERE r.value IS NOT NULL AND r.fiscal_year IS NOT NULL AND r.kind IS NOT NULL
      AND coalesce(r.indicator_name, '') <> ''
    GROUP BY ALL
)
SELECT municipality, project_key,
       arg_max(project_code, {_EDITION_KEY}) AS project_code,
       level, indicator_key,
       arg_max(indicator_name, {_EDITION_KEY}) AS indicator_name,
       arg_max(unit, {_EDITION_KEY}) AS unit,
       fiscal_year, kind,
       arg_max(value, {_EDITION_KEY}) AS value,
       count(DISTINCT document_id) AS edition_count,
       (min(value) <> max(value_max)) AS revised,
       list(DISTINCT value ORDER BY value) AS values_reported,
       min(edition_fiscal_year) AS first_edition_fiscal_year,
       max(edition_fiscal_year) AS newest_edition_fiscal_year,
       arg_max(document_id, {_EDITION_KEY}) AS newest_document_id
FROM observations
GROUP BY municipality, project_key, level, indicator_key, fiscal_year, kind
""",
    (
        ("municipality", "自治体名", "Municipality"),
        ("project_key", "版をまたいだ事業の識別子（project_identity.project_key）", "Project key across editions (project_identity.project_key)"),
        ("project_code", "最新版の事業コード", "Project code printed in the newest edition"),
        ("level", "指標の階層（事業、施策、基本政策、総合戦略施策、総合戦略）", "Indicator level: 事業, 施策, 基本政策, 総合戦略施策, 総合戦略"),
        ("indicator_key", "名寄せ用の指標名（空白を除き小文字化）", "Indicator name used for matching: whitespace removed, lower case"),
        ("indicator_name", "指標名（最新版の表記）", "Indicator name as printed in the newest edition"),
        ("unit", "単位（最新版）", "Unit, from the newest edition"),
        ("fiscal_year", "値の年度（西暦）", "Fiscal year of the value"),
        ("kind", "種別（実績、目標、見込）", "Kind of value: 実績, 目標, 見込"),
        *_EDITION_COLUMNS,
    ),
)

HISTORY_VIEWS: list[View] = [KPI_HISTORY, PROJECT_IDENTITY, PROJECT_BUDGET_HISTORY, PROJECT_INDICATOR_HISTORY]
ALL_VIEWS: list[View] = [*TABLE_VIEWS, *CURRENT_VIEWS, *HISTORY_VIEWS]
