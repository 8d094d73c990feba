"""The warehouse schema, kept as data.

Every table is a `Table` of `Column`s. The DDL (`CREATE TABLE IF NOT EXISTS`), the
`COMMENT ON TABLE` / `COMMENT ON COLUMN` statements and the column lists the loader
checks rows against are all generated from `TABLES`, so they cannot drift apart.

Table and column names (and their order) are a contract analysts rely on: add columns
at the end of a table, never rename or reorder.

Comments are written Japanese first, then English: ``'事業費（千円） / Total project cost'``.
This module holds no connection logic; see `hyoka.warehouse.store`.
"""

from __future__ import annotations

from dataclasses import dataclass

from hyoka.extractors.records import RECORD_TYPES

# --------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type: VARCHAR, INTEGER, BIGINT, DOUBLE, BOOLEAN, TIMESTAMP, DOUBLE[]
    comment_ja: str
    comment_en: str
    constraint: str = ""  # e.g. "PRIMARY KEY", "NOT NULL"

    @property
    def comment(self) -> str:
        return f"{self.comment_ja} / {self.comment_en}"

    def ddl(self) -> str:
        return " ".join(p for p in (quote_ident(self.name), self.type, self.constraint) if p)


@dataclass(frozen=True)
class Table:
    name: str
    comment_ja: str
    comment_en: str
    columns: tuple[Column, ...]

    @property
    def comment(self) -> str:
        return f"{self.comment_ja} / {self.comment_en}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    def create_sql(self) -> str:
        cols = ",\n    ".join(c.ddl() for c in self.columns)
        return f"CREATE TABLE IF NOT EXISTS {quote_ident(self.name)} (\n    {cols}\n)"

    def comment_sql(self) -> list[str]:
        stmts = [f"COMMENT ON TABLE {quote_ident(self.name)} IS {quote_literal(self.comment)}"]
        for c in self.columns:
            stmts.append(
                f"COMMENT ON COLUMN {quote_ident(self.name)}.{quote_ident(c.name)} "
                f"IS {quote_literal(c.comment)}"
            )
        return stmts


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# Columns every table shares -----------------------------------------------------------


def _doc_id(ja: str = "文書ID（PDFファイルのSHA-256）", en: str = "Document id: sha256 hex of the PDF file") -> Column:
    return Column("document_id", "VARCHAR", ja, en, "NOT NULL")


def _project_code() -> Column:
    return Column(
        "project_code",
        "VARCHAR",
        "事業番号（市の事業コード、なければシート番号。数字のみ、例 121101）",
        "Project code, digits only (e.g. '121101'): the city's own project identifier, else the sheet number",
    )


def _page(ja: str = "読み取ったページ番号（1始まり）", en: str = "Page number the record was read from (1-based)") -> Column:
    return Column("page", "INTEGER", ja, en)


def _bbox(ja: str = "元セルの位置 [x0, top, x1, bottom]（PDFポイント、左上原点）",
          en: str = "Bounding box of the source cell(s) [x0, top, x1, bottom] in PDF points, top-left origin") -> Column:
    return Column("bbox", "DOUBLE[]", ja, en)


def _raw_text(ja: str = "印字されたままの元テキスト", en: str = "Source text as printed") -> Column:
    return Column("raw_text", "VARCHAR", ja, en)


def _provenance() -> tuple[Column, ...]:
    return (_page(), _bbox(), _raw_text())


def _fiscal_year(ja: str = "年度（西暦）", en: str = "Fiscal year (Western calendar, April start)") -> Column:
    return Column("fiscal_year", "INTEGER", ja, en)


# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------

DOCUMENTS = Table(
    "documents",
    "取り込んだPDF文書（1文書1行、取込状況を含む）",
    "Ingested PDF documents, one row per file, with the outcome of the ingest",
    (
        Column("document_id", "VARCHAR", "文書ID（PDFファイルのSHA-256）",
               "Document id: sha256 hex of the PDF file", "PRIMARY KEY"),
        Column("source_path", "VARCHAR", "取込時のファイルパス", "Path of the file when it was ingested"),
        Column("file_name", "VARCHAR", "ファイル名", "File name"),
        Column("file_size", "BIGINT", "ファイルサイズ（バイト）", "File size in bytes"),
        Column("doc_type", "VARCHAR", "文書種別（例 jimujigyo_sheet, strategy_kpi_list）",
               "Document type, e.g. jimujigyo_sheet, strategy_kpi_list"),
        Column("template", "VARCHAR", "判定した様式テンプレート", "Layout template the document was recognised as"),
        Column("municipality", "VARCHAR", "自治体名", "Municipality name"),
        Column("title", "VARCHAR", "文書の表題", "Document title"),
        Column("results_fiscal_year", "INTEGER", "実績年度（評価対象年度、西暦）",
               "Fiscal year whose results the document evaluates (Western calendar)"),
        Column("page_count", "INTEGER", "総ページ数", "Number of pages in the PDF"),
        Column("status", "VARCHAR", "取込状況（loaded | loaded_with_issues | failed | superseded：同じ版の訂正版が後から取り込まれた）",
               "Ingest status: loaded | loaded_with_issues | failed | superseded (a corrected re-issue of the same edition "
               "was loaded later; its rows are kept, views ignore it)"),
        Column("error", "VARCHAR", "取込失敗時のエラー内容", "Error message when the ingest failed, else NULL"),
        Column("record_count", "INTEGER", "取り込んだレコード数（pages と validation_issues を除く）",
               "Number of records loaded (all record tables except pages and validation_issues)"),
        Column("error_count", "INTEGER", "検証エラー件数", "Number of validation issues with severity error"),
        Column("warning_count", "INTEGER", "検証警告件数", "Number of validation issues with severity warning"),
        Column("ingested_at", "TIMESTAMP", "取込日時（UTC）", "When the document was ingested (UTC)"),
        Column("hyoka_version", "VARCHAR", "取込に使った hyoka のバージョン", "Version of hyoka that ingested it"),
    ),
)

PAGES = Table(
    "pages",
    "各ページの判定結果（様式・役割・事業番号）",
    "What each page of a document turned out to be: template, role, project",
    (
        _doc_id(),
        _page("ページ番号（1始まり）", "Page number (1-based)"),
        Column("template", "VARCHAR", "ページの様式テンプレート", "Layout template of the page"),
        Column("page_role", "VARCHAR", "ページの役割（例 sheet_page1, sheet_page2, kpi_goal, unknown）",
               "Role of the page, e.g. sheet_page1, sheet_page2, kpi_goal, unknown"),
        Column("project_code", "VARCHAR", "ページが属する事業番号（数字のみ）",
               "Project code the page belongs to (digits only), if any"),
        Column("status", "VARCHAR", "読取状況（read | skipped）", "Read status: read | skipped"),
        Column("note", "VARCHAR", "備考（読み飛ばした理由など）", "Note, e.g. why the page was skipped"),
        _bbox("ページ全体の範囲 [x0, top, x1, bottom]（PDFポイント）",
              "Bounding box of the page content [x0, top, x1, bottom] in PDF points"),
        _raw_text("ページの抽出テキスト（空の場合あり）", "Extracted text of the page (may be empty)"),
    ),
)

PROJECTS = Table(
    "projects",
    "事務事業評価シートの事業（1事業1行）",
    "Projects of the administrative project evaluation sheets (事務事業評価シート), one row per project",
    (
        _doc_id(),
        _project_code(),
        Column("project_name", "VARCHAR", "事務事業名", "Project name"),
        Column("summary", "VARCHAR", "事業概要", "Project summary"),
        Column("start_fiscal_year", "INTEGER", "事業開始年度（西暦）", "Fiscal year the project started (Western calendar)"),
        Column("legal_basis", "VARCHAR", "根拠法令等", "Legal basis (laws, ordinances)"),
        Column("related_plans", "VARCHAR", "関連計画", "Related plans"),
        Column("similar_services", "VARCHAR", "類似サービス", "Similar services"),
        Column("reference_cases", "VARCHAR", "参考事例（他自治体など）", "Reference cases, e.g. other municipalities"),
        Column("outputs_text", "VARCHAR", "活動内容（アウトプット）", "Activities / outputs, as printed"),
        Column("policy_code", "VARCHAR", "施策番号", "Policy (施策) code"),
        Column("policy_name", "VARCHAR", "施策名", "Policy (施策) name"),
        Column("pledge_no", "VARCHAR", "公約番号", "Mayoral pledge number"),
        Column("pledge_title", "VARCHAR", "公約名", "Mayoral pledge title"),
        Column("first_page", "INTEGER", "事業の最初のページ", "First page of the project's sheet"),
        Column("project_code_raw", "VARCHAR", "印字された事業番号", "Project code as printed"),
        Column("start_text", "VARCHAR", "事業開始年度の印字テキスト", "Start year as printed (e.g. 平成20年度)"),
        Column("outputs_header", "VARCHAR", "活動内容欄の見出し", "Heading of the outputs section, as printed"),
        Column("outcome_header", "VARCHAR", "成果欄の見出し", "Heading of the outcome section, as printed"),
        Column("policy_note", "VARCHAR", "施策に関する注記", "Note on the policy, as printed"),
        Column("policy_purpose", "VARCHAR", "施策の目的", "Purpose of the policy"),
        Column("vision_title", "VARCHAR", "基本政策（ビジョン）の名称", "Title of the basic policy / vision"),
        Column("vision_text", "VARCHAR", "基本政策（ビジョン）の本文", "Text of the basic policy / vision"),
        Column("strategy_policy_text", "VARCHAR", "総合戦略の施策", "Comprehensive strategy (総合戦略) policy, as printed"),
        Column("strategy_vision_text", "VARCHAR", "総合戦略の基本目標", "Comprehensive strategy (総合戦略) goal, as printed"),
        Column("footer_text", "VARCHAR", "フッターのテキスト（担当課など）", "Footer text, e.g. responsible department"),
        Column("last_page", "INTEGER", "事業の最後のページ", "Last page of the project's sheet"),
        *_provenance(),
        # added with the 池田市 template: fields other cities' sheets have
        Column("department", "VARCHAR", "担当部署名", "Responsible department, as printed"),
        Column("sheet_no", "INTEGER", "シート番号（例 池田市の NO.、年度をまたいで安定しない）",
               "Sheet number as printed on the sheet (e.g. Ikeda's NO.); not stable across years"),
        Column("period_start_fiscal_year", "INTEGER", "実施期間の開始年度（西暦）",
               "First fiscal year of the implementation period (実施期間), Western calendar"),
        Column("period_end_fiscal_year", "INTEGER", "実施期間の終了年度（西暦）",
               "Last fiscal year of the implementation period (実施期間), Western calendar"),
        Column("period_text", "VARCHAR", "実施期間の印字テキスト", "Implementation period as printed"),
        Column("target", "VARCHAR", "事業の対象（誰を、何を）", "Who or what the project is for (事業の対象)"),
        Column("method", "VARCHAR", "事業の手段・方法（どのように）", "How the project is carried out (事業の手段・方法)"),
        Column("delivery_mode", "VARCHAR", "実施形態（直営、一部委託、全部委託など、印字のまま）",
               "Delivery mode as printed: 直営 (in-house), 一部委託 (partly outsourced), 全部委託 (outsourced)"),
        Column("resilience_goal", "VARCHAR", "国土強靭化地域計画の体系：事前に備えるべき目標",
               "National resilience regional plan: goal to prepare for (事前に備えるべき目標); NULL when blank"),
        Column("resilience_field", "VARCHAR", "国土強靭化地域計画の体系：施策分野",
               "National resilience regional plan: policy field (施策分野); NULL when blank"),
        Column("initiatives_plan", "VARCHAR", "視点（まちづくりの進め方など）に係る取組予定",
               "Planned initiatives for the marked viewpoints (e.g. 上記要素に係るR6年度取組予定)"),
        Column("initiatives_result", "VARCHAR", "視点に係る取組実績",
               "Initiatives carried out for the marked viewpoints (e.g. 上記要素に係るR6年度取組実績)"),
        Column("other_funding_text", "VARCHAR", "「その他」財源の主な内容",
               "Main contents of the 'other' funding source (「その他」財源の主な内容), as printed"),
        Column("remarks", "VARCHAR", "備考", "Remarks (備考); NULL when blank"),
    ),
)

PROJECT_BUDGETS = Table(
    "project_budgets",
    "事業費と財源内訳（千円、年度・段階ごと）",
    "Project cost and funding sources in thousand yen, per fiscal year and budget stage",
    (
        _doc_id(),
        _project_code(),
        _fiscal_year(),
        Column("stage", "VARCHAR", "段階（決算、予算、当初予算、決算見込など）",
               "Budget stage: 決算 (settled), 予算 (budget), 当初予算 (initial budget), 決算見込 (expected settlement), …"),
        Column("total_cost", "DOUBLE", "事業費（千円）", "Total project cost in thousand yen, as printed; NULL when blank"),
        Column("national", "DOUBLE", "国庫支出金（千円）", "National government funds in thousand yen; NULL when blank"),
        Column("prefecture", "DOUBLE", "県支出金（千円）", "Prefectural funds in thousand yen; NULL when blank"),
        Column("municipal_bonds", "DOUBLE", "地方債（千円）", "Municipal bonds in thousand yen; NULL when blank"),
        Column("tax_allocation_pct", "DOUBLE", "交付税措置率（％）",
               "Share covered by local allocation tax (交付税措置) in percent, as printed; NULL when blank"),
        Column("other", "DOUBLE", "その他財源（千円）", "Other funding sources in thousand yen; NULL when blank"),
        Column("general_revenue", "DOUBLE", "一般財源（千円）", "General revenue in thousand yen; NULL when blank"),
        Column("label", "VARCHAR", "列見出しの印字テキスト（例 R5決算）", "Column heading as printed, e.g. R5決算"),
        *_provenance(),
        # added with the 池田市 template; stage also takes 予算 there
        Column("national_prefecture", "DOUBLE", "国・都道府県支出金（千円、国と都道府県を1行で印字する様式）",
               "National and prefectural funds printed as one row (e.g. 国・府支出金), in thousand yen; NULL when blank"),
        Column("beneficiary_burden", "DOUBLE", "うち受益者負担（千円、その他財源の内数）",
               "Of which borne by beneficiaries, in thousand yen: a part of other, not added to it; NULL when blank"),
        Column("beneficiary_burden_pct", "DOUBLE", "受益者負担率（％、B÷A、印字のまま）",
               "Beneficiary share (B÷A) in percent, as printed; NULL when blank"),
        # added with the 神戸市 template (issue 13)
        Column("revenue_total", "DOUBLE", "収入合計（千円、一般財源以外の財源の合計として印字されたもの）",
               "Revenue total as printed under the sources other than general revenue (神戸's 収入 合計), thousand yen"),
    ),
)

PROJECT_BUDGET_SOURCES = Table(
    "project_budget_sources",
    "財源内訳（縦持ち：年度・段階・財源ごとに1行、千円。全様式共通）",
    "Funding sources in long format, one row per fiscal year, stage and source, in thousand yen, for every template",
    (
        _doc_id(),
        _project_code(),
        _fiscal_year(),
        Column("stage", "VARCHAR", "段階（決算、予算、当初予算、決算見込など）",
               "Budget stage: 決算, 予算, 当初予算, 決算見込, …"),
        Column("source", "VARCHAR", "財源（国、都道府県、国・都道府県、市債、その他、受益者負担、一般財源）",
               "Funding source: 国, 都道府県, 国・都道府県 (printed as one row), 市債, その他, 受益者負担, 一般財源"),
        Column("source_label", "VARCHAR", "財源の印字テキスト（例 北海道、国・府支出金）",
               "Source label as printed, e.g. 北海道, 国・府支出金"),
        Column("amount", "DOUBLE", "金額（千円、空欄は NULL）", "Amount in thousand yen; NULL when blank"),
        Column("amount_text", "VARCHAR", "金額の印字テキスト", "Amount as printed"),
        Column("part_of", "VARCHAR", "内数の場合の親財源（受益者負担 → その他）、それ以外は NULL",
               "The source this one is a part of (受益者負担 is part of その他), else NULL: parts are never added to the sum"),
        Column("total_cost", "DOUBLE", "同じ列の事業費（千円、各行に繰り返し）",
               "Total project cost of the same column in thousand yen, repeated on every row"),
        Column("label", "VARCHAR", "列（行）見出しの印字テキスト", "Budget column (or row) heading as printed"),
        *_provenance(),
        Column("blank_is_zero", "BOOLEAN", "空欄の財源を0とみなす様式か（amount は空欄のまま NULL）",
               "Whether the template leaves a zero source blank, so a blank counts as 0 in the sum (amount stays NULL)"),
    ),
)

PROJECT_BUDGET_ITEMS = Table(
    "project_budget_items",
    "事業費の主な内訳（年度・段階・項目ごとに1行、千円）",
    "Main cost items (主な内訳), one row per fiscal year, stage and item, in thousand yen",
    (
        _doc_id(),
        _project_code(),
        _fiscal_year(),
        Column("stage", "VARCHAR", "段階（決算、予算など）", "Budget stage: 決算, 予算, …"),
        Column("item_name", "VARCHAR", "内訳の項目名（印字のまま）", "Item name as printed"),
        Column("amount", "DOUBLE", "金額（千円、空欄は NULL）", "Amount in thousand yen; NULL when blank"),
        Column("item_no", "INTEGER", "内訳欄での行の位置（1始まり）", "Line of the item in the breakdown block, from 1"),
        Column("amount_text", "VARCHAR", "金額の印字テキスト", "Amount as printed"),
        Column("label", "VARCHAR", "列見出しの印字テキスト", "Budget column heading as printed"),
        *_provenance(),
        # added with the 神戸市 template (issue 13): a full breakdown that adds up to 事業費
        Column("part_of", "VARCHAR", "内訳の親項目（物件費の内訳なら 物件費）、それ以外は NULL",
               "The item this one is a part of (物件費 for its 委託料), else NULL: parts are never added to the sum"),
        Column("total_cost", "DOUBLE", "同じ列の事業費（千円、全項目を印字する様式で各行に繰り返し）",
               "Total cost of the same column in thousand yen, repeated on each item of a full breakdown"),
        Column("adds_up", "BOOLEAN", "項目（内数を除く）の合計が事業費になる様式か（主な内訳のみの様式は false）",
               "Whether the items (parts left out) add up to total_cost: a full breakdown, not the main items only"),
    ),
)

PROJECT_SDGS = Table(
    "project_sdgs",
    "事業に関連するSDGsのゴール（印のあるゴールごとに1行）",
    "SDG goals marked for the project, one row per marked goal",
    (
        _doc_id(),
        _project_code(),
        Column("goal_no", "INTEGER", "SDGsのゴール番号（1〜17）", "SDG goal number (1–17)"),
        Column("goal_label", "VARCHAR", "ゴールの印字テキスト", "Goal as printed"),
        Column("mark", "VARCHAR", "印字された記号（○など）", "Mark as printed (○, …)"),
        *_provenance(),
    ),
)

PROJECT_STAFFING = Table(
    "project_staffing",
    "事業に従事する職員数（年度ごと）",
    "Staff working on the project, per fiscal year",
    (
        _doc_id(),
        _project_code(),
        _fiscal_year(),
        Column("regular_staff", "DOUBLE", "正規職員（人）", "Regular staff, in persons (may be fractional)"),
        Column("fiscal_year_staff", "DOUBLE", "会計年度任用職員（人）",
               "Fiscal-year appointed (part-time) staff, in persons (may be fractional)"),
        Column("label", "VARCHAR", "列見出しの印字テキスト", "Column heading as printed"),
        *_provenance(),
        # added with the 神戸市 template (issue 13): staff by job type, one row per year and job type
        Column("job_type", "VARCHAR", "職種（印字のまま、例 事務職）、職種別でない行は NULL",
               "Job type as printed (事務職, 技術職 …); NULL on a row of a year's figures in columns"),
        Column("staff", "DOUBLE", "その職種の人数（人）", "Persons of that job type"),
        Column("total_staff", "DOUBLE", "その年度の合計人数（合計(D)、職種ごとの行に繰り返し）",
               "The year's printed total (合計(D)), repeated on each job type's row"),
    ),
)

PROJECT_REFORM_VIEWPOINTS = Table(
    "project_reform_viewpoints",
    "改革・改善の視点（チェック欄）",
    "Reform / improvement viewpoints and whether each was checked",
    (
        _doc_id(),
        _project_code(),
        Column("viewpoint_no", "INTEGER", "視点の番号（1始まり）", "Viewpoint number, in printed order from 1"),
        Column("viewpoint", "VARCHAR", "視点の文言", "Viewpoint text"),
        Column("selected", "BOOLEAN", "選択されているか", "Whether the viewpoint is checked"),
        Column("mark", "VARCHAR", "印字された記号（○、✓など）", "Mark as printed (○, ✓, …), empty when none"),
        *_provenance(),
        Column("viewpoint_group", "VARCHAR", "視点の見出し（例 「持続可能な都市経営」の視点）、見出しがなければ NULL",
               "Heading the viewpoint is listed under (e.g. 持続可能な都市経営), NULL when the table has none"),
    ),
)

PROJECT_EVALUATIONS = Table(
    "project_evaluations",
    "評価（1次評価、外部評価、2次評価）",
    "Evaluations of the project: first-stage, external and second-stage",
    (
        _doc_id(),
        _project_code(),
        Column("evaluator", "VARCHAR", "評価者（1次、外部、2次）", "Evaluator: 1次 (first), 外部 (external), 2次 (second)"),
        Column("issues", "VARCHAR", "課題", "Issues identified"),
        Column("direction", "VARCHAR", "今後の方向性", "Future direction"),
        Column("expected_effect", "VARCHAR", "見込まれる効果", "Expected effect"),
        Column("comment", "VARCHAR", "評価コメント", "Evaluation comment"),
        Column("title", "VARCHAR", "評価欄の見出し", "Heading of the evaluation section, as printed"),
        *_provenance(),
        # ratings with their reasons (池田: 達成状況, 有効性, 効率性, 方向性)
        Column("achievement_rating", "VARCHAR", "成果指標の達成状況（例 A.順調に推移している）",
               "Rating of the indicators' progress as printed, e.g. A.順調に推移している"),
        Column("achievement_reason", "VARCHAR", "達成状況の判断理由", "Reason given for the progress rating"),
        Column("effectiveness_rating", "VARCHAR", "事業の有効性（印字のまま）", "Effectiveness rating as printed"),
        Column("efficiency_rating", "VARCHAR", "事業の効率性（印字のまま）", "Efficiency rating as printed"),
        Column("effectiveness_efficiency_reason", "VARCHAR", "有効性・効率性の判断理由",
               "Reason given for the effectiveness and efficiency ratings"),
        Column("direction_rating", "VARCHAR", "今後の事業の方向性（例 現状維持、廃止）",
               "Direction decided for the project's next years as printed, e.g. 現状維持 (continue), 廃止 (abolish)"),
        Column("direction_reason", "VARCHAR", "方向性の判断理由", "Reason given for the direction"),
    ),
)

PROJECT_INDICATORS = Table(
    "project_indicators",
    "成果指標の値（縦持ち：指標・年度・種別ごとに1行）",
    "Indicator values in long format: one row per indicator, fiscal year and kind",
    (
        _doc_id(),
        _project_code(),
        Column("level", "VARCHAR", "指標の階層（事業、施策、基本政策、総合戦略施策、総合戦略）",
               "Indicator level: 事業 (project), 施策 (policy), 基本政策 (basic policy), "
               "総合戦略施策 (strategy policy), 総合戦略 (strategy)"),
        Column("indicator_name", "VARCHAR", "指標名", "Indicator name"),
        Column("unit", "VARCHAR", "単位", "Unit"),
        Column("baseline", "DOUBLE", "基準値（指標ごとに各行へ繰り返し）",
               "Baseline value, repeated on every row of the indicator"),
        _fiscal_year("値の年度（西暦）", "Fiscal year of the value (Western calendar)"),
        Column("kind", "VARCHAR", "種別（実績、目標、見込）",
               "Kind of value: 実績 (actual), 目標 (target), 見込 (estimate, e.g. R6見込)"),
        Column("value", "DOUBLE", "値（数値化できない場合 NULL）", "Value; NULL when blank or not numeric"),
        Column("value_text", "VARCHAR", "値の印字テキスト", "Value as printed"),
        Column("achievement_rate", "DOUBLE", "達成率（％、指標ごとに繰り返し）",
               "Achievement rate in percent, repeated on every row of the indicator"),
        Column("progress_text", "VARCHAR", "進捗状況（指標ごとに繰り返し）",
               "Progress assessment as printed, repeated on every row of the indicator"),
        Column("indicator_no", "INTEGER", "表内での指標の順番（1始まり）", "Order of the indicator in its table, from 1"),
        Column("baseline_text", "VARCHAR", "基準値の印字テキスト", "Baseline as printed"),
        Column("column_label", "VARCHAR", "列見出しの印字テキスト", "Column heading as printed"),
        Column("achievement_text", "VARCHAR", "達成率の印字テキスト", "Achievement rate as printed"),
        *_provenance(),
        Column("resilience_mark", "VARCHAR", "国土強靭化地域計画の指標に該当する印（印字のまま、指標ごとに繰り返し）",
               "Mark that the indicator is one of the national resilience plan's, as printed, repeated on every row"),
        Column("target_basis", "VARCHAR", "数値目標の考え方（印字のまま）",
               "How the target was set (数値目標の考え方), as printed"),
        Column("indicator_group", "VARCHAR", "指標が並ぶ見出し（事業効果（アウトカム）、単位あたりコスト（A／C）など）、なければ NULL",
               "Heading the indicator is listed under (e.g. 事業効果（アウトカム）, 単位あたりコスト（A／C）), as printed; NULL when none"),
    ),
)

PROJECT_EXTRA_FIELDS = Table(
    "project_extra_fields",
    "共通の表に当てはまらない市独自の項目（見出しの印字のまま、事業・見出しごとに1行）",
    "A city's own fields that fit no shared table: one row per project and label, the label as printed",
    (
        _doc_id(),
        _project_code(),
        Column("label", "VARCHAR", "項目の見出し（印字のまま、空白を正規化）", "The field's label as printed, spaces normalized"),
        Column("value_text", "VARCHAR", "項目の値（印字のまま）", "The field's value as printed"),
        *_provenance(),
    ),
)

STRATEGY_KPIS = Table(
    "strategy_kpis",
    "総合戦略KPI一覧のKPI（1 KPI 1行、親項目の仮行を含む）",
    "KPIs of the comprehensive strategy (総合戦略) KPI list, one row per KPI, parent placeholder rows included",
    (
        _doc_id(),
        Column("kpi_id", "VARCHAR", "KPI ID（基本目標とKPI名から生成、版をまたいで安定）",
               "KPI id derived from the normalised goal and KPI name, stable across editions"),
        Column("goal_no", "INTEGER", "基本目標の番号", "Basic goal number"),
        Column("goal_title", "VARCHAR", "基本目標の名称", "Basic goal title"),
        Column("item_label", "VARCHAR", "項目記号（ア、イ…）", "Item label (ア, イ, …)"),
        Column("item_title", "VARCHAR", "項目名", "Item title"),
        Column("sub_item_no", "VARCHAR", "小項目番号（①、②…）", "Sub-item number (①, ②, …) or NULL"),
        Column("sub_item_title", "VARCHAR", "小項目名", "Sub-item title"),
        Column("kpi_name", "VARCHAR", "KPI名", "KPI name"),
        Column("kpi_remark", "VARCHAR", "KPI名の下の※注記", "Remark (※ line) under the KPI name"),
        Column("unit", "VARCHAR", "単位", "Unit"),
        Column("department", "VARCHAR", "担当課", "Responsible department"),
        _page(),
        Column("row_no", "INTEGER", "ページ内の行順（1始まり）", "Order of the row on its page, from 1"),
        Column("is_placeholder", "BOOLEAN", "全セルが－の親項目行か",
               "True for the placeholder parent row of an item with sub-items (every cell is －)"),
        _bbox(),
        _raw_text(),
    ),
)

STRATEGY_KPI_VALUES = Table(
    "strategy_kpi_values",
    "KPIの値セル（現状値・実績値・目標値と実際の対象年度）",
    "KPI value cells (baseline, actual, target) and the fiscal years they really refer to",
    (
        _doc_id(),
        Column("kpi_id", "VARCHAR", "KPI ID（strategy_kpis.kpi_id）", "KPI id (strategy_kpis.kpi_id)"),
        Column("slot", "VARCHAR", "欄（現状値、実績値、目標値）",
               "Slot: 現状値 (baseline), 実績値 (actual), 目標値 (target)"),
        Column("column_fiscal_year", "INTEGER", "列見出しの年度（西暦）", "Fiscal year of the column heading"),
        Column("value", "DOUBLE", "値（数値化できない場合 NULL）", "Value; NULL when not numeric"),
        Column("value_text", "VARCHAR", "セルの印字テキスト", "Cell text as printed"),
        Column("ref_fiscal_year_start", "INTEGER", "値が対象とする期間の開始年度",
               "First fiscal year the value actually refers to"),
        Column("ref_fiscal_year_end", "INTEGER", "値が対象とする期間の終了年度",
               "Last fiscal year the value actually refers to"),
        Column("aggregation", "VARCHAR", "集計方法（単年度、累計、平均、または NULL）",
               "Aggregation: 単年度 (single year), 累計 (cumulative), 平均 (average) or NULL"),
        Column("status", "VARCHAR", "セルの状態（value, pending, text, placeholder, empty）",
               "Cell status: value, pending, text, placeholder, empty"),
        Column("note", "VARCHAR", "備考", "Note"),
        Column("column_label", "VARCHAR", "列見出しの印字テキスト", "Column heading as printed"),
        Column("annotation", "VARCHAR", "セル内の注記（例 （令和元年度））", "Annotation in the cell, e.g. （令和元年度）"),
        *_provenance(),
    ),
)

VALIDATION_ISSUES = Table(
    "validation_issues",
    "検証で見つかった問題（エラー・警告）",
    "Issues found by validation: errors and warnings",
    (
        _doc_id(),
        _page("問題のあるページ番号（文書全体の場合 NULL）", "Page of the issue, NULL for document-wide issues"),
        Column("table_name", "VARCHAR", "対象テーブル名", "Table the issue is about"),
        Column("record_key", "VARCHAR", "対象レコードのキー", "Key of the record the issue is about"),
        Column("column_name", "VARCHAR", "対象列名", "Column the issue is about, if any"),
        Column("check_name", "VARCHAR", "検査名", "Name of the check that failed"),
        Column("severity", "VARCHAR", "重大度（error | warning）", "Severity: error | warning"),
        Column("message", "VARCHAR", "メッセージ", "Human-readable message"),
        Column("raw_value", "VARCHAR", "問題の値の印字テキスト", "Offending value as printed"),
        _bbox("問題箇所の位置 [x0, top, x1, bottom]（PDFポイント）",
              "Bounding box of the offending cell [x0, top, x1, bottom] in PDF points"),
        Column("related_document_id", "VARCHAR", "文書間検査の相手文書ID（それ以外は NULL）",
               "Other document of a cross-document check, else NULL"),
    ),
)

# Not a document table: a memo of the files an ingest run has seen, so that a file whose
# (path, size, mtime) is known is neither hashed nor parsed again. Whether its document is
# loaded is still decided by `documents` (deleting a document makes the file load again).
FILE_CACHE = Table(
    "file_cache",
    "取込で見たファイルの記録（パス・サイズ・更新時刻 → 文書ID）。変わらないファイルは読み直さない",
    "Files seen by ingest runs: (path, size, mtime) -> document id, so an unchanged file is "
    "neither hashed nor parsed again",
    (
        Column("path", "VARCHAR", "ファイルの絶対パス", "Absolute path of the file"),
        Column("size", "BIGINT", "ファイルサイズ（バイト）", "File size in bytes"),
        Column("mtime_ns", "BIGINT", "ファイルの更新時刻（エポックからのナノ秒）",
               "File modification time (nanoseconds since the epoch)"),
        _doc_id("ファイル内容の文書ID（SHA-256）", "Document id of the file's content: its sha256 hex"),
        Column("seen_at", "TIMESTAMP", "このサイズと更新時刻で初めて見た日時（UTC）",
               "When the file was first seen with this size and mtime (UTC)"),
    ),
)

TABLES: list[Table] = [
    DOCUMENTS,
    PAGES,
    PROJECTS,
    PROJECT_BUDGETS,
    PROJECT_STAFFING,
    PROJECT_REFORM_VIEWPOINTS,
    PROJECT_EVALUATIONS,
    PROJECT_INDICATORS,
    PROJECT_BUDGET_SOURCES,
    PROJECT_BUDGET_ITEMS,
    PROJECT_SDGS,
    PROJECT_EXTRA_FIELDS,
    STRATEGY_KPIS,
    STRATEGY_KPI_VALUES,
    VALIDATION_ISSUES,
    FILE_CACHE,
]

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

# Record type name -> table. Which table a record fills is said once, by the record type
# (`TABLE` in extractors/records.py); tests/test_warehouse.py holds each to its DDL here.
TABLE_FOR_RECORD: dict[str, str] = {record.__name__: table for table, record in RECORD_TYPES.items()}

# Tables that hold one document's extracted records (what `load_document(tables=...)` takes), in DDL order.
RECORD_TABLES: list[str] = [t.name for t in TABLES if t.name in RECORD_TYPES]

# Every table with a document_id, i.e. everything a (re)load of a document replaces.
# (file_cache is not one: it remembers files, not a document's rows.)
DOCUMENT_TABLES: list[str] = [t.name for t in TABLES if t.name != FILE_CACHE.name]


def get_table(name: str) -> Table:
    try:
        return TABLES_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown warehouse table {name!r}; known: {', '.join(TABLES_BY_NAME)}") from None


def table_columns(table: str) -> list[str]:
    return get_table(table).column_names


# --------------------------------------------------------------------------------------
# Views
# --------------------------------------------------------------------------------------

# Per-table row counts in document_summary: (view column, table, ja, en)
_SUMMARY_COUNTS = [
    ("page_rows", "pages", "pages の行数", "Rows in pages"),
    ("projects", "projects", "事業数", "Rows in projects"),
    ("budgets", "project_budgets", "事業費の行数", "Rows in project_budgets"),
    ("staffing", "project_staffing", "職員数の行数", "Rows in project_staffing"),
    ("reform_viewpoints", "project_reform_viewpoints", "改革改善の視点の行数", "Rows in project_reform_viewpoints"),
    ("evaluations", "project_evaluations", "評価の行数", "Rows in project_evaluations"),
    ("indicators", "project_indicators", "指標値の行数", "Rows in project_indicators"),
    ("kpis", "strategy_kpis", "KPI数", "Rows in strategy_kpis"),
    ("kpi_values", "strategy_kpi_values", "KPI値の行数", "Rows in strategy_kpi_values"),
    ("budget_sources", "project_budget_sources", "財源内訳の行数", "Rows in project_budget_sources"),
    ("budget_items", "project_budget_items", "事業費内訳の行数", "Rows in project_budget_items"),
    ("sdgs", "project_sdgs", "SDGsゴールの行数", "Rows in project_sdgs"),
    ("extra_fields", "project_extra_fields", "市独自の項目の行数", "Rows in project_extra_fields"),
]


@dataclass(frozen=True)
class View:
    name: str
    comment_ja: str
    comment_en: str
    select_sql: str
    columns: tuple[tuple[str, str, str], ...]  # (name, ja, en)

    @property
    def comment(self) -> str:
        return f"{self.comment_ja} / {self.comment_en}"

    def create_sql(self) -> str:
        return f"CREATE OR REPLACE VIEW {quote_ident(self.name)} AS\n{self.select_sql}"

    def comment_sql(self) -> list[str]:
        stmts = [f"COMMENT ON VIEW {quote_ident(self.name)} IS {quote_literal(self.comment)}"]
        for name, ja, en in self.columns:
            stmts.append(
                f"COMMENT ON COLUMN {quote_ident(self.name)}.{quote_ident(name)} "
                f"IS {quote_literal(f'{ja} / {en}')}"
            )
        return stmts


def _document_summary() -> View:
    count_ctes = []
    joins = []
    selects = []
    for alias, table, _ja, _en in _SUMMARY_COUNTS:
        count_ctes.append(
            f"c_{alias} AS (SELECT document_id, count(*) AS n FROM {quote_ident(table)} GROUP BY document_id)"
        )
        joins.append(f"LEFT JOIN c_{alias} USING (document_id)")
        selects.append(f"coalesce(c_{alias}.n, 0) AS {quote_ident(alias)}")
    count_ctes.append(
        "c_issues AS (SELECT document_id,"
        " count(*) FILTER (WHERE severity = 'error') AS errors,"
        " count(*) FILTER (WHERE severity = 'warning') AS warnings"
        " FROM validation_issues GROUP BY document_id)"
    )
    joins.append("LEFT JOIN c_issues USING (document_id)")
    sql = (
        "WITH " + ",\n     ".join(count_ctes) + "\n"
        "SELECT d.document_id, d.file_name, d.doc_type, d.template, d.municipality,\n"
        "       d.results_fiscal_year, d.status, d.page_count,\n       "
        + ",\n       ".join(selects)
        + ",\n       coalesce(c_issues.errors, 0) AS errors,"
        "\n       coalesce(c_issues.warnings, 0) AS warnings,"
        "\n       d.error, d.ingested_at\n"
        "FROM documents AS d\n" + "\n".join(joins)
    )
    columns = (
        ("document_id", "文書ID", "Document id"),
        ("file_name", "ファイル名", "File name"),
        ("doc_type", "文書種別", "Document type"),
        ("template", "様式テンプレート", "Layout template"),
        ("municipality", "自治体名", "Municipality"),
        ("results_fiscal_year", "実績年度", "Results fiscal year"),
        ("status", "取込状況", "Ingest status"),
        ("page_count", "総ページ数", "Number of pages in the PDF"),
        *[(alias, ja, en) for alias, _t, ja, en in _SUMMARY_COUNTS],
        ("errors", "検証エラー件数（validation_issues）", "Validation errors in validation_issues"),
        ("warnings", "検証警告件数（validation_issues）", "Validation warnings in validation_issues"),
        ("error", "取込失敗時のエラー内容", "Ingest error message, if failed"),
        ("ingested_at", "取込日時（UTC）", "When the document was ingested (UTC)"),
    )
    return View(
        "document_summary",
        "文書ごとの取込状況と各テーブルの行数",
        "Per-document ingest status, row counts per table, errors and warnings",
        sql,
        columns,
    )


DOCUMENT_SUMMARY = _document_summary()

VIEWS: list[View] = [DOCUMENT_SUMMARY]


def schema_statements() -> list[str]:
    """Every statement ensure_schema runs, in order: tables, views, comments."""
    stmts: list[str] = [t.create_sql() for t in TABLES]
    stmts += [v.create_sql() for v in VIEWS]
    for t in TABLES:
        stmts += t.comment_sql()
    for v in VIEWS:
        stmts += v.comment_sql()
    return stmts
