"""All 16 real 池田 dev sheets (10 of them without ground truth) through the warehouse.

Each must load without an `error` issue, read every block of the sheet, and have
事業費A = the sum of its 財源 (うち受益者負担 left out: it is a part of その他) in every
column — recomputed here from the rows, not only trusted to the validation check.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import IKEDA_PDFS, fetch, fetch_dicts
from hyoka.extractors.pdf_input import sha256_hex

NAMES = [p.name for p in IKEDA_PDFS]


def doc_id(path: Path) -> str:
    return sha256_hex(path.read_bytes())


def test_all_sixteen_load_without_an_error_issue(ikeda_warehouse: Path) -> None:
    rows = fetch_dicts(ikeda_warehouse, "SELECT file_name, status, template, error_count FROM documents ORDER BY 1")
    assert [r["file_name"] for r in rows] == NAMES
    assert all(r["status"] in ("loaded", "loaded_with_issues") and r["template"] == "ikeda_mokuhyo_sheet" for r in rows)
    errors = fetch(ikeda_warehouse, "SELECT check_name, record_key FROM validation_issues WHERE severity = 'error'")
    assert errors == []
    assert sum(r["error_count"] for r in rows) == 0


def test_budget_total_equals_the_sum_of_sources_in_every_column(ikeda_warehouse: Path) -> None:
    columns = fetch_dicts(
        ikeda_warehouse,
        "SELECT d.file_name, s.fiscal_year, s.stage, any_value(s.total_cost) AS total, count(*) AS n,"
        " sum(coalesce(s.amount, 0)) FILTER (WHERE s.part_of IS NULL) AS whole,"
        " count(s.amount) AS printed"
        " FROM project_budget_sources s JOIN documents d USING (document_id)"
        " GROUP BY ALL ORDER BY 1, 2, 3",
    )
    assert len(columns) == 16 * 4  # R4決算, R5決算, R6予算, R6決算 on every sheet
    for column in columns:
        assert column["n"] == 5, column  # 国・府支出金, 地方債, その他, うち受益者負担, 一般財源
        assert column["total"] is not None and column["printed"] > 0, column
        assert column["whole"] == column["total"], column
    budgets = fetch(ikeda_warehouse, "SELECT DISTINCT stage, fiscal_year FROM project_budgets ORDER BY 2, 1")
    assert budgets == [("決算", 2022), ("決算", 2023), ("予算", 2024), ("決算", 2024)]


@pytest.mark.parametrize("path", IKEDA_PDFS, ids=NAMES)
def test_every_block_of_the_sheet_is_read(ikeda_warehouse: Path, path: Path) -> None:
    document_id = doc_id(path)
    (project,) = fetch_dicts(ikeda_warehouse, "SELECT * FROM projects WHERE document_id = ?", [document_id])
    assert project["project_code"] == str(int(path.stem.rsplit("-", 1)[1]))  # NO. matches the file's number
    for column in ("department", "project_name", "vision_title", "policy_name", "period_text", "target",
                   "summary", "method", "delivery_mode", "related_plans", "initiatives_plan"):
        assert project[column], column
    # 実施期間 lies in the plan's 令和5～9年度 (018: 令和5～5, 036: 令和6～6)
    start, end = (2018 + int(n) for n in re.fullmatch(r"令和 (\d) 年度 ～ 令和 (\d) 年度", project["period_text"]).groups())
    assert (project["period_start_fiscal_year"], project["period_end_fiscal_year"]) == (start, end)
    assert 2023 <= start <= end <= 2027
    assert project["delivery_mode"] in ("直営", "一部委託", "全部委託")
    sdgs = fetch(ikeda_warehouse, "SELECT goal_no FROM project_sdgs WHERE document_id = ?", [document_id])
    assert sdgs and all(1 <= g <= 17 for (g,) in sdgs)  # ※１つ以上に○
    viewpoints = fetch(ikeda_warehouse, "SELECT count(*) FROM project_reform_viewpoints WHERE document_id = ?",
                       [document_id])
    assert viewpoints == [(6,)]
    (evaluation,) = fetch_dicts(ikeda_warehouse, "SELECT * FROM project_evaluations WHERE document_id = ?", [document_id])
    for column in ("achievement_rating", "achievement_reason", "effectiveness_rating", "efficiency_rating",
                   "effectiveness_efficiency_reason", "direction_rating", "direction_reason"):
        assert evaluation[column], column
    assert evaluation["achievement_rating"][:2] in ("A.", "B.", "C.")
    indicators = fetch_dicts(ikeda_warehouse, "SELECT * FROM project_indicators WHERE document_id = ?", [document_id])
    assert indicators and len(indicators) % 4 == 0
    assert {(r["fiscal_year"], r["kind"]) for r in indicators} == {
        (2023, "実績"), (2024, "見込"), (2024, "実績"), (2027, "見込")}
    assert all(r["indicator_name"] for r in indicators)


def _doc(name: str) -> str:
    return doc_id(next(p for p in IKEDA_PDFS if p.name == name))


def test_036_shows_both_dash_conventions(ikeda_warehouse: Path) -> None:
    """036 (abolished, 廃止) prints `-` in both tables: 0 in 事業費等, no figure in 成果指標."""
    document_id = _doc("ikeda-r7-036.pdf")
    targets = fetch(
        ikeda_warehouse,
        "SELECT indicator_name, value, value_text FROM project_indicators"
        " WHERE document_id = ? AND fiscal_year = 2027 ORDER BY indicator_no",
        [document_id],
    )
    assert targets == [("参加店舗数", None, "-"), ("キャッシュレス還元額", None, "-")]
    zero = fetch(ikeda_warehouse, "SELECT value, value_text FROM project_indicators"
                 " WHERE document_id = ? AND fiscal_year = 2023 ORDER BY indicator_no", [document_id])
    assert zero == [(0, "0"), (0, "0")]  # a real zero is printed 0
    budget = fetch(ikeda_warehouse, "SELECT total_cost, national_prefecture, general_revenue FROM project_budgets"
                   " WHERE document_id = ? AND fiscal_year = 2022", [document_id])
    assert budget == [(0, 0, 0)]
    sources = fetch(ikeda_warehouse, "SELECT amount, amount_text FROM project_budget_sources"
                    " WHERE document_id = ? AND fiscal_year = 2022 AND source = '国・都道府県'", [document_id])
    assert sources == [(0, "-")]
    items = fetch(ikeda_warehouse, "SELECT item_name, amount, amount_text FROM project_budget_items"
                  " WHERE document_id = ? AND fiscal_year = 2023", [document_id])
    assert items == [("委託料", 0, "-")]
    (remarks,) = fetch(ikeda_warehouse, "SELECT remarks FROM projects WHERE document_id = ?", [document_id])
    assert remarks == ("令和５年度からの繰越事業。国の交付金を活用。",)


def test_remarks_box_is_read_when_filled(ikeda_warehouse: Path) -> None:
    (remarks,) = fetch(ikeda_warehouse, "SELECT remarks FROM projects WHERE document_id = ?", [_doc("ikeda-r7-002.pdf")])
    assert remarks == ("R9年度見込は環境基本計画における最終目標値（目標年度：R12年度）12,000kWを入力。",)
    blank = fetch(ikeda_warehouse, "SELECT count(*) FROM projects WHERE remarks IS NULL")
    assert blank == [(14,)]
