"""Every field of the 池田市 ground truth (6 real sheets), checked through the warehouse.

The sheets are loaded by the ingest's own stages (`ikeda_warehouse`, all 16 dev sheets, no Prefect);
each test walks one part of `samples/real/ikeda/ground_truth.json` for every sheet that
has ground truth. Text is compared after NFKC (the README's convention: width is kept as
encoded, so a reader that normalises must compare normalised), with the line breaks
exactly as the ground truth has them; numbers are compared exactly. A `-` is 0 in the
money table and "no figure" in the indicator table.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from conftest import IKEDA, IKEDA_GROUND_TRUTH, fetch, fetch_dicts
from hyoka.extractors.pdf_input import sha256_hex
from hyoka.normalize import parse_stage_label

TRUTH: dict[str, dict] = json.loads(IKEDA_GROUND_TRUTH.read_text(encoding="utf-8"))
SHEETS = sorted(TRUTH)

# ground-truth 財源 row label -> project_budget_sources.source (and the wide column)
SOURCES = {
    "国・府支出金": ("国・都道府県", "national_prefecture"),
    "地方債": ("市債", "municipal_bonds"),
    "その他": ("その他", "other"),
    "うち受益者負担B": ("受益者負担", "beneficiary_burden"),
    "一般財源": ("一般財源", "general_revenue"),
}
# ground-truth 成果指標 column -> (fiscal year, kind)
INDICATOR_COLUMNS = {
    "R5年度実績": (2023, "実績"),
    "R6年度見込": (2024, "見込"),
    "R6年度実績": (2024, "実績"),
    "R9年度見込": (2027, "見込"),
}


def nfkc(text: str | None) -> str | None:
    return None if text is None else unicodedata.normalize("NFKC", text)


def same_text(ours: str | None, truth: str | None) -> bool:
    return nfkc(ours) == nfkc(truth)


def doc_id(name: str) -> str:
    return sha256_hex((IKEDA / name).read_bytes())


def rows(db: Path, table: str, name: str, order: str = "") -> list[dict]:
    sql = f"SELECT * FROM {table} WHERE document_id = ?" + (f" ORDER BY {order}" if order else "")
    return fetch_dicts(db, sql, [doc_id(name)])


def one(db: Path, table: str, name: str) -> dict:
    found = rows(db, table, name)
    assert len(found) == 1, (table, name, len(found))
    return found[0]


def column_key(key: str) -> tuple[int, str]:
    """`R6年度予算` -> (2024, '予算')."""
    span, stage = parse_stage_label(key)
    assert span is not None and stage is not None, key
    return span.start, stage


@pytest.mark.parametrize("name", SHEETS)
def test_document_row(ikeda_warehouse: Path, name: str) -> None:
    truth = TRUTH[name]
    row = one(ikeda_warehouse, "documents", name)
    assert row["status"] == "loaded", row
    assert (row["error_count"], row["warning_count"]) == (0, 0)
    assert row["template"] == "ikeda_mokuhyo_sheet"
    assert row["doc_type"] == "jimujigyo_sheet"
    assert row["municipality"] == "池田市"
    assert row["page_count"] == 1
    assert row["results_fiscal_year"] == 2024  # 事務事業評価（令和６年度実施事業）
    title = re.sub(r"\s", "", nfkc(row["title"]))
    for part in ("series", "title", "sheet"):  # fixed template text, in print order
        assert re.sub(r"\s", "", nfkc(truth[part])) in title, (part, row["title"])
    assert truth["file"] == name == row["file_name"]
    (page,) = rows(ikeda_warehouse, "pages", name)
    assert (page["template"], page["page_role"], page["status"]) == ("ikeda_mokuhyo_sheet", "goal_sheet", "read")
    assert page["project_code"] == str(truth["header"]["NO"]["value"])


@pytest.mark.parametrize("name", SHEETS)
def test_header_outline_and_summary(ikeda_warehouse: Path, name: str) -> None:
    truth = TRUTH[name]
    project = one(ikeda_warehouse, "projects", name)
    no = truth["header"]["NO"]
    # the sheet has no project identifier of its own: the NO. is the project code
    assert (project["project_code"], project["project_code_raw"], project["sheet_no"]) == (str(no["value"]), no["raw"], no["value"])
    assert same_text(project["department"], truth["header"]["担当部署名"])
    assert same_text(project["project_name"], truth["header"]["事務事業名"])
    assert same_text(project["vision_title"], truth["総合計画の体系"]["施策の柱"])
    assert same_text(project["policy_name"], truth["総合計画の体系"]["施策名称"])
    resilience = truth["国土強靭化地域計画の体系"]
    assert same_text(project["resilience_goal"], resilience["事前に備えるべき目標"])
    assert same_text(project["resilience_field"], resilience["施策分野"])
    outline = truth["事業の概要"]
    period = outline["実施期間"]
    assert same_text(project["period_text"], period["raw"])
    assert project["period_start_fiscal_year"] == period["start"]["fiscal_year"]
    assert project["period_end_fiscal_year"] == period["end"]["fiscal_year"]
    assert project["start_fiscal_year"] is None  # 実施期間 is the plan's period, not the project's start
    assert same_text(project["target"], outline["事業の対象"])
    assert same_text(project["summary"], outline["事業内容"])
    assert same_text(project["method"], outline["事業の手段・方法"])
    assert same_text(project["delivery_mode"], outline["実施形態"])
    assert same_text(project["related_plans"], outline["関連計画・例規"])
    town = truth["まちづくりの進め方"]
    assert same_text(project["initiatives_plan"], town["R6年度取組予定"])
    assert same_text(project["initiatives_result"], town["R6年度取組実績"])
    assert same_text(project["other_funding_text"], truth["事業費等"]["R6年度における「その他」財源の主な内容"])
    assert same_text(project["remarks"], truth["備考"])
    assert (project["page"], project["first_page"], project["last_page"]) == (1, 1, 1)


@pytest.mark.parametrize("name", SHEETS)
def test_sdgs_and_viewpoints(ikeda_warehouse: Path, name: str) -> None:
    town = TRUTH[name]["まちづくりの進め方"]
    sdgs = rows(ikeda_warehouse, "project_sdgs", name, "goal_no")
    assert [r["goal_no"] for r in sdgs] == town["SDGs_goals"]
    assert all(r["mark"] == "○" and r["project_code"] == str(TRUTH[name]["header"]["NO"]["value"]) for r in sdgs)
    viewpoints = rows(ikeda_warehouse, "project_reform_viewpoints", name, "viewpoint_no")
    # every element of the template is listed, marked or not, in template order
    assert [(v["viewpoint_group"], v["viewpoint"]) for v in viewpoints] == [
        ("みんなで取り組むまちづくり", "まちづくりの活動への支援とつながりづくり"),
        ("みんなで取り組むまちづくり", "情報の収集・発信と多様な主体のまちづくりへの参画の促進"),
        ("持続可能な都市経営", "効果的かつ効率的な行財政運営の推進"),
        ("持続可能な都市経営", "公共施設等のマネジメントの推進"),
        ("持続可能な都市経営", "人材育成と働きやすい環境づくりの推進"),
        ("持続可能な都市経営", "広域行政の推進"),
    ]
    for group in ("みんなで取り組むまちづくり", "持続可能な都市経営"):
        marked = [v["viewpoint"] for v in viewpoints if v["viewpoint_group"] == group and v["selected"]]
        assert marked == town[group], group
    assert all((v["mark"] == "○") == v["selected"] for v in viewpoints)


def _raw_cells(raw_text: str) -> dict[str, str]:
    """`label | total_cost=5,690 | other=…` (a budget row's raw_text) -> printed text per column."""
    return dict(part.split("=", 1) for part in raw_text.split(" | ")[1:])


@pytest.mark.parametrize("name", SHEETS)
def test_budget_table_every_cell(ikeda_warehouse: Path, name: str) -> None:
    fees = TRUTH[name]["事業費等"]
    assert fees["unit"] == "千円"
    budgets = {(b["fiscal_year"], b["stage"]): b for b in rows(ikeda_warehouse, "project_budgets", name)}
    assert sorted(budgets) == sorted(column_key(c) for c in fees["columns"])
    sources = rows(ikeda_warehouse, "project_budget_sources", name)
    items = rows(ikeda_warehouse, "project_budget_items", name)
    truth_items = [r for r in fees["rows"] if r["group"] == "主な内訳"]
    assert len(items) == len(truth_items) * len(fees["columns"])  # only lines with a label or a value
    assert len(sources) == 5 * len(fees["columns"])  # the five 財源 rows, listed even when blank
    for column, printed in zip(fees["columns"], fees["columns_printed"]):
        key = column_key(column)
        budget = budgets[key]
        assert same_text(budget["label"], printed)
        assert budget["national"] is None and budget["prefecture"] is None  # printed as one row here
        raw = _raw_cells(budget["raw_text"])
        for row in fees["rows"]:
            cell = row["cells"][column]
            if row["label"] == "事業費A":
                assert budget["total_cost"] == cell["value"], (column, row["label"])
                assert (raw["total_cost"] or None) == cell["raw"]
            elif row["group"] == "財源":
                source, wide = SOURCES[row["label"]]
                assert budget[wide] == cell["value"], (column, row["label"])
                (found,) = [s for s in sources if (s["fiscal_year"], s["stage"]) == key and s["source"] == source]
                assert same_text(found["source_label"], row["label_printed"])
                assert (found["amount"], found["amount_text"]) == (cell["value"], cell["raw"]), (column, row["label"])
                assert found["part_of"] == ("その他" if source == "受益者負担" else None)
                assert found["total_cost"] == budget["total_cost"]
                assert same_text(found["label"], printed)
            elif row["group"] == "主な内訳":
                (found,) = [i for i in items if (i["fiscal_year"], i["stage"]) == key and i["item_no"] == row["row"]]
                assert same_text(found["item_name"], row["label"])
                assert same_text(row["label_printed"], row["label"])
                assert (found["amount"], found["amount_text"]) == (cell["value"], cell["raw"]), (column, row["label"])
                assert same_text(found["label"], printed)
            else:
                assert row["label"] == "受益者負担率B÷A" and row["unit"] == "%"
                assert budget["beneficiary_burden_pct"] == cell["value"]
                assert (raw["beneficiary_burden_pct"] or None) == cell["raw"]


@pytest.mark.parametrize("name", SHEETS)
def test_indicators_every_cell(ikeda_warehouse: Path, name: str) -> None:
    truth = TRUTH[name]["成果指標"]
    found = rows(ikeda_warehouse, "project_indicators", name, "indicator_no, fiscal_year, kind")
    assert len(found) == 4 * len(truth)  # only lines that have content
    for line in truth:
        mine = [r for r in found if r["indicator_no"] == line["row"]]
        assert len(mine) == 4
        for column, (year, kind) in INDICATOR_COLUMNS.items():
            (row,) = [r for r in mine if (r["fiscal_year"], r["kind"]) == (year, kind)]
            assert same_text(row["indicator_name"], line["内容"])
            assert same_text(row["unit"], line["単位"])
            assert (row["value"], row["value_text"]) == (line[column]["value"], line[column]["raw"]), column
            assert re.sub(r"\s", "", nfkc(row["column_label"])) == column
            assert row["level"] == "事業"
            assert same_text(row["resilience_mark"], line["国土強靭化地域計画の指標に該当"])


@pytest.mark.parametrize("name", SHEETS)
def test_evaluation_ratings(ikeda_warehouse: Path, name: str) -> None:
    truth = TRUTH[name]
    evaluation = one(ikeda_warehouse, "project_evaluations", name)
    assert evaluation["evaluator"] == "1次"
    expected = {
        "achievement_rating": "成果指標の達成状況",
        "achievement_reason": "成果指標の達成状況_判断理由",
        "effectiveness_rating": "事業の有効性",
        "efficiency_rating": "事業の効率性",
        "effectiveness_efficiency_reason": "有効性・効率性_判断理由",
        "direction_rating": "R7年度以降の事業の方向性",
        "direction_reason": "R7年度以降の事業の方向性_判断理由",
    }
    for column, key in expected.items():
        assert same_text(evaluation[column], truth[key]), (column, evaluation[column], truth[key])


def _ours_by_path(db: Path, name: str) -> dict[str, Any]:
    """Our text for every `printed_lines` path of the ground truth."""
    project = one(db, "projects", name)
    evaluation = one(db, "project_evaluations", name)
    ours: dict[str, Any] = {
        "事業の概要.事業の対象": project["target"],
        "事業の概要.事業内容": project["summary"],
        "事業の概要.事業の手段・方法": project["method"],
        "事業の概要.関連計画・例規": project["related_plans"],
        "まちづくりの進め方.R6年度取組予定": project["initiatives_plan"],
        "まちづくりの進め方.R6年度取組実績": project["initiatives_result"],
        "国土強靭化地域計画の体系.事前に備えるべき目標": project["resilience_goal"],
        "国土強靭化地域計画の体系.施策分野": project["resilience_field"],
        "事業費等.R6年度における「その他」財源の主な内容": project["other_funding_text"],
        "header.事務事業名": project["project_name"],
        "成果指標の達成状況_判断理由": evaluation["achievement_reason"],
        "有効性・効率性_判断理由": evaluation["effectiveness_efficiency_reason"],
        "R7年度以降の事業の方向性_判断理由": evaluation["direction_reason"],
        "備考": project["remarks"],
    }
    for row in rows(db, "project_indicators", name):
        ours[f"成果指標[row={row['indicator_no']}].内容"] = row["indicator_name"]
    for row in rows(db, "project_budget_items", name):
        ours[f"事業費等.主な内訳[row={row['item_no']}].label"] = row["item_name"]
    return ours


@pytest.mark.parametrize("name", SHEETS)
def test_printed_lines_are_all_there(ikeda_warehouse: Path, name: str) -> None:
    """Each multi-line field holds its printed lines, joined at soft wraps, split at paragraphs."""
    ours = _ours_by_path(ikeda_warehouse, name)
    for path, lines in TRUTH[name]["printed_lines"].items():
        assert path in ours, path
        assert nfkc(ours[path]).replace("\n", "") == nfkc("".join(lines)), path


def _amount(text: str) -> int:
    return int(text.replace(",", ""))


@pytest.mark.parametrize("name", SHEETS)
def test_arithmetic_checks_recomputed_from_the_warehouse(ikeda_warehouse: Path, name: str) -> None:
    """Every line of `arithmetic_checks`, recomputed from the loaded rows; no issue is raised."""
    truth = TRUTH[name]
    assert truth["inconsistent_in_source"] == []
    issues = fetch(ikeda_warehouse, "SELECT check_name FROM validation_issues WHERE document_id = ?", [doc_id(name)])
    assert issues == []
    sources = rows(ikeda_warehouse, "project_budget_sources", name)
    items = rows(ikeda_warehouse, "project_budget_items", name)
    budgets = {(b["fiscal_year"], b["stage"]): b for b in rows(ikeda_warehouse, "project_budgets", name)}
    for line in truth["arithmetic_checks"]:
        column, _, check = line.partition(": ")
        key = column_key(column)
        whole = sum(s["amount"] or 0 for s in sources if (s["fiscal_year"], s["stage"]) == key and s["part_of"] is None)
        breakdown = sum(i["amount"] or 0 for i in items if (i["fiscal_year"], i["stage"]) == key)
        total = budgets[key]["total_cost"]
        if match := re.fullmatch(r"事業費A = 財源合計 = ([\d,]+) OK", check):
            assert whole == total == _amount(match.group(1)), line
        elif match := re.fullmatch(r"主な内訳合計 = 事業費A = ([\d,]+) OK", check):
            assert breakdown == total == _amount(match.group(1)), line
        elif match := re.match(r"主な内訳合計 ([\d,]+) < 事業費A ([\d,]+)", check):
            assert (breakdown, total) == (_amount(match.group(1)), _amount(match.group(2))), line
            assert breakdown < total
        elif match := re.fullmatch(r"受益者負担率 ([\d.]+)% = B/A \(([\d,]+)/([\d,]+)\) OK", check):
            burden = budgets[key]["beneficiary_burden"]
            assert (burden, total) == (_amount(match.group(2)), _amount(match.group(3))), line
            assert budgets[key]["beneficiary_burden_pct"] == float(match.group(1)) == round(burden / total * 100, 1)
        else:
            pytest.fail(f"unknown arithmetic check line: {line}")
