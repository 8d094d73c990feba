"""Every validation check hyoka runs, with its stable name, severity and plain message.

The names are a contract: analysts filter `validation_issues.check_name` on them and the
README documents them. Severity policy: `error` means a value is wrong or unreadable
(arithmetic that does not hold, a number that cannot be parsed, a key that is missing);
`warning` means something a person should look at but that may be right (a copy of the
table that differs, a page that was skipped, a suspicious jump). Either way the row is
loaded with its raw text: nothing is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckInfo:
    severity: str  # error / warning
    ja: str
    en: str


CHECKS: dict[str, CheckInfo] = {
    # type and range checks
    "unparseable_number": CheckInfo("error", "数値として読めません", "a number cell could not be parsed"),
    # Pandera's own not_nullable: a column every record must fill came out empty
    "required_value_missing": CheckInfo("error", "必須の値がありません", "a value every record must have is empty"),
    "fiscal_year_range": CheckInfo("error", "年度が妥当な範囲にありません", "fiscal year outside 1868–2100"),
    "fiscal_year_missing": CheckInfo("error", "年度が読み取れません", "no fiscal year could be read from the label"),
    "project_code_format": CheckInfo("error", "事業コードの形式が不正です", "事業コード is not a code of digits"),
    "negative_amount": CheckInfo("warning", "金額が負です（△）", "a negative amount (△): check it is meant"),
    "percent_range": CheckInfo("error", "割合が0〜100%の範囲外です", "a percentage outside 0–100"),
    "staff_range": CheckInfo("error", "人工が負、または大きすぎます", "staff count negative or implausibly large"),
    # arithmetic
    "funding_sum": CheckInfo(
        "error", "事業費が財源の合計と一致しません", "事業費 ≠ 国 + 都道府県 + 市債 + その他 + 一般財源"
    ),
    "achievement_rate": CheckInfo(
        "warning", "達成率が実績÷目標と一致しません", "達成率 ≠ latest actual ÷ target (within rounding)"
    ),
    # consistency within a document
    "page_header_mismatch": CheckInfo(
        "warning", "2ページ目の見出し表が1ページ目と異なります",
        "page 2 repeats the header table with a different value (page 1 / page 2)",
    ),
    "missing_project_code": CheckInfo("error", "事業コード（NO.）が読めません", "no 事業コード (or sheet NO.) found on the sheet"),
    "missing_page1": CheckInfo(
        "warning", "1ページ目がありません（2ページ目だけを読みました）", "page 1 of a project is missing: only page 2 was read"
    ),
    "missing_page2": CheckInfo("warning", "2ページ目がありません", "page 2 of a project is missing"),
    # what the template file says every project has (a table, a mark list, a field's label) is on none of its pages
    "template_item_not_found": CheckInfo(
        "warning", "様式のどの事業にもある項目（表・欄の見出し）が見つかりません",
        "an item the template expects on every project (a table, a list of marks, a field's label) was not found",
    ),
    "no_records": CheckInfo(
        "error", "様式は一致しましたが、事業・KPIを1件も読めませんでした",
        "the pages matched a template, yet no project (or KPI) was read from them",
    ),
    "check_failed": CheckInfo(
        "error", "検証処理そのものが失敗しました（hyokaの不具合）", "a validation check itself failed to run (a hyoka bug): please report it"
    ),
    "page_skipped": CheckInfo(
        "warning", "ページを読み飛ばしました", "a page was skipped (unreadable, no text layer, or no template matched)"
    ),
    # a scanned page read by OCR (hyoka.extractors.ocr_text): a figure it was unsure of
    "ocr_low_confidence": CheckInfo(
        "warning", "OCRの確信度が低い数値です（画像と照合してください）",
        "a number read by OCR with low confidence: compare it with the scan",
    ),
    # cross-row checks over a whole table of one document
    "budget_year_out_of_range": CheckInfo(
        "error",
        "予算行の年度がシートの年度と合いません（2年を超えて離れています）",
        "a budget row's fiscal year is more than 2 years from the sheet's own year",
    ),
    "target_before_actual": CheckInfo(
        "warning", "目標の年度が最新の実績の年度より前です", "a 目標 (target) year is before the indicator's newest 実績 year"
    ),
    "duplicate_project": CheckInfo(
        "error", "同じ事業コードの事業が内容を変えて再び出てきます", "the same 事業コード appears again with different content"
    ),
    "value_jump": CheckInfo(
        "warning",
        "前年度から10倍を超えて変化しています（千円／円の取り違えの可能性）",
        "changed more than 10× from the previous fiscal year (often a 千円/円 slip)",
    ),
}


def severity_of(check_name: str) -> str:
    """The severity of a check (error for a name not in the registry)."""
    info = CHECKS.get(check_name)
    return info.severity if info else "error"


def message_of(check_name: str, detail: str = "") -> str:
    """The check's message in Japanese and English, with an optional detail."""
    info = CHECKS.get(check_name)
    text = f"{info.ja} / {info.en}" if info else check_name
    return f"{text}: {detail}" if detail else text


# 総合戦略 KPI一覧: what its extractor reports, and what schemas/strategy.py checks.
CHECKS.update(
    {
        "kpi_unit_unknown": CheckInfo("warning", "KPIの単位が無いか、未知の単位です", "a KPI has no unit or a unit not in the known list"),
        "ref_year_after_column": CheckInfo("error", "実績値の注記年度が列の年度より後です", "an 実績値 refers to a year after its column's year"),
        "aggregate_without_range": CheckInfo("error", "累計・平均なのに年度の範囲がありません", "a 累計 / 平均 figure without a range of years"),
        "placeholder_status": CheckInfo("error", "「－」の扱いが不整合です", "placeholder status does not match the printed mark"),
        "kpi_id_missing": CheckInfo("error", "KPIの識別子がありません", "a KPI row without an id"),
        "cross_document_mismatch": CheckInfo(
            "warning", "評価シートとKPI一覧で同じ指標・年度の値が異なります",
            "an indicator has different values for the same year in an evaluation sheet and a KPI list",
        ),
        "missing_title": CheckInfo("warning", "表題が見つかりません", "no document title (…総合戦略…一覧) found"),
        "missing_municipality": CheckInfo("warning", "表題から自治体名が読めません", "no municipality (…市/町/村) in the title"),
        "missing_table": CheckInfo(
            "warning", "KPI表の見出し行（具体的な施策項目）が見つかりません", "no KPI table header (具体的な施策項目) on the page"
        ),
        "missing_goal_heading": CheckInfo("warning", "基本目標の見出しが見つかりません", "no 基本目標 heading above the table"),
        "missing_column": CheckInfo("warning", "必要な列が見つかりません", "a required column is missing from the table header"),
        "unknown_column": CheckInfo("warning", "不明な列見出しです（読み飛ばし）", "a header column hyoka does not know (not read)"),
        "column_without_year": CheckInfo(
            "warning", "列見出しに年度がありません", "a 実績値 / 目標値 column header names no fiscal year"
        ),
        "missing_item_label": CheckInfo(
            "warning", "具体的な施策項目が読めません", "a KPI row without its 具体的な施策項目 (item label)"
        ),
        "missing_kpi_name": CheckInfo("warning", "KPI名が空欄です", "the KPI name cell is empty"),
        "placeholder_kpi_name": CheckInfo(
            "warning", "KPI名が「－」などの記号なのに値があります", "the KPI name is a placeholder but the row has values"
        ),
        "missing_department": CheckInfo("warning", "担当部がありません", "no department for a KPI"),
        "duplicate_kpi_id": CheckInfo("warning", "同じ基本目標に同名のKPIがあります", "the same KPI name twice in one 基本目標"),
        "missing_cell": CheckInfo("warning", "値のセルがありません", "no cell under a value column for a KPI (column / KPI)"),
        "unknown_annotation": CheckInfo(
            "warning", "値の後の注記が年度注記ではありません（noteとして保存）",
            "text after a value is not a year annotation (kept as note)",
        ),
        "empty_column": CheckInfo(
            "warning", "この列は全KPIで空欄です（未集計の年度？）", "a value column is empty in every KPI row (a year not reported yet?)"
        ),
    }
)


# Funding sources, cost items and SDGs (issue 6: templates other than 旭川's). funding_sum
# above also runs on project_budget_sources, for every template.
CHECKS.update(
    {
        "part_exceeds_whole": CheckInfo(
            "error", "内数（うち受益者負担）が親の財源（その他）を超えています",
            "a part (うち受益者負担) is larger than the source it is part of (その他)",
        ),
        "burden_rate": CheckInfo(
            "warning", "受益者負担率が 受益者負担÷事業費 と一致しません",
            "受益者負担率 ≠ うち受益者負担 ÷ 事業費 × 100 (to the printed decimal)",
        ),
        "unknown_funding_source": CheckInfo(
            "error", "財源の区分が不明です", "a funding source outside 国, 都道府県, 国・都道府県, 市債, その他, 受益者負担, 一般財源",
        ),
        "sdg_goal_range": CheckInfo("error", "SDGsのゴール番号が1〜17の範囲外です", "an SDG goal number outside 1–17"),
        "missing_budget_table": CheckInfo("warning", "事業費等の表が見つかりません", "no budget table (事業費等) found on the sheet"),
    }
)


# 京都's 経費（一財）: the 一般財源 printed in brackets after the cost (issue 13), checked for every template.
CHECKS.update(
    {
        "general_revenue_exceeds_cost": CheckInfo(
            "error", "一般財源が事業費（経費）を超えています", "一般財源 is larger than the cost (事業費 / 経費) it is part of, no other source being negative (△)",
        ),
    }
)


# A full cost breakdown, revenue under its own total, staff by job type (issue 13: 神戸's
# 事業別コスト等 and 執行体制). Blank figures count as 0: these sheets leave a zero blank.
CHECKS.update(
    {
        "cost_items_sum": CheckInfo(
            "error", "コストの合計（A）が各項目の合計と一致しません", "合計(A) ≠ the sum of its cost items (parts left out)",
        ),
        "item_parts_sum": CheckInfo(
            "error", "内訳の合計が親の項目（物件費など）と一致しません", "an item ≠ the sum of its parts (物件費 ≠ its 内訳)",
        ),
        "revenue_sum": CheckInfo(
            "error", "収入合計が各収入の合計と一致しません", "収入合計 ≠ the sum of the revenue rows",
        ),
        "general_revenue_balance": CheckInfo(
            "error", "一般財源（B）が 合計（A）− 収入合計 と一致しません", "一般財源(B) ≠ 合計(A) − 収入合計",
        ),
        "staff_sum": CheckInfo(
            "error", "職員数の合計（D）が職種ごとの人数の合計と一致しません", "staff 合計(D) ≠ the sum of its job types",
        ),
    }
)
