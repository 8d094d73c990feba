"""Every field of the 神戸市 ground truth (5 hand-checked files, 6 projects), through the warehouse.

The 8 real files of `samples/real/kobe/` are loaded once by the ingest's own stages (no
Prefect): every file loads with the template file alone, none fails, none is skipped, and
nothing is flagged. Each test walks one part of `ground_truth.json` for every project
that has ground truth. Text is compared after NFKC and without whitespace (a soft wrap
is not visible in a PDF; README.md: 評価責任者 of two persons); figures are compared as
numbers read from the printed text, and the printed text itself where hyoka keeps it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from conftest import REAL, fetch, fetch_dicts
from hyoka.extractors.pdf_input import sha256_hex
from hyoka.identity import derived_code
from hyoka.normalize import parse_number
from warehouse_builder import build_warehouse

KOBE = REAL / "kobe"
PDFS = sorted(KOBE.glob("kobe-r25-*.pdf"))
TRUTH: dict[str, dict[str, Any]] = json.loads((KOBE / "ground_truth.json").read_text(encoding="utf-8"))
PROJECTS = [(name, number) for name in sorted(TRUTH) for number in range(len(TRUTH[name]["projects"]))]
IDS = [f"{name}#{number + 1}" for name, number in PROJECTS]


@pytest.fixture(scope="module")
def kobe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 8 real 神戸市 files, loaded once."""
    assert len(PDFS) == 8, PDFS
    return build_warehouse(PDFS, tmp_path_factory.mktemp("warehouse") / "kobe.duckdb")


def squashed(text: str | None) -> str | None:
    return None if text is None else re.sub(r"\s", "", unicodedata.normalize("NFKC", text))


def figure(printed: str | None) -> float | None:
    """The truth's printed figure as a number (a blank is no figure; `6.0人` is 6.0)."""
    return parse_number(re.sub(r"人$", "", printed)).value if printed else None


def truth_of(name: str, number: int) -> dict[str, Any]:
    return TRUTH[name]["projects"][number]


def code_of(name: str, number: int) -> str:
    project = truth_of(name, number)
    return derived_code(project["所属名"], project["事務事業名"])


def rows(db: Path, table: str, name: str, number: int, order: str) -> list[dict[str, Any]]:
    sql = f"SELECT * FROM {table} WHERE document_id = ? AND project_code = ? ORDER BY {order}"
    return fetch_dicts(db, sql, [sha256_hex((KOBE / name).read_bytes()), code_of(name, number)])


def test_every_file_loads_with_the_template_and_nothing_is_flagged(kobe: Path) -> None:
    documents = fetch(kobe, "SELECT template, municipality, status, results_fiscal_year, page_count FROM documents")
    assert len(documents) == len(PDFS)
    assert {d[:4] for d in documents} == {("kobe_jimujigyo_sheet", "神戸市", "loaded", 2012)}  # 24年度決算: the newest
    assert fetch(kobe, "SELECT count(*) FROM pages WHERE status <> 'read' OR template IS NULL") == [(0,)]
    assert fetch(kobe, "SELECT count(*) FROM validation_issues") == [(0,)]
    assert fetch(kobe, "SELECT count(*) FROM projects") == [(9,)]  # kobe-r25-007 binds two projects


@pytest.mark.parametrize(("name", "number"), PROJECTS, ids=IDS)
def test_basics(kobe: Path, name: str, number: int) -> None:
    truth = truth_of(name, number)
    (project,) = rows(kobe, "projects", name, number, "first_page")
    assert (project["first_page"], project["last_page"]) == tuple(truth["pages"])
    for key, column in (("事務事業名", "project_name"), ("所属名", "department"), ("根拠法令等", "legal_basis"),
                        ("対象者", "target"), ("事業内容", "summary")):
        assert squashed(project[column]) == squashed(truth[key]), key
    assert squashed(project["start_text"]) == squashed(truth["事業開始年度"]["raw"])
    assert project["start_fiscal_year"] == truth["事業開始年度"]["fiscal_year"]
    extras = {r["label"]: r["value_text"] for r in rows(kobe, "project_extra_fields", name, number, "label")}
    for key in ("評価責任者", "目的", "行財政改革2015の項目", "課題認識", "別紙"):
        assert squashed(extras.get(key)) == squashed(truth[key]), key
    assert squashed(extras.get("これまでの外部評価委員会における意見")) == squashed(
        truth["取組状況"]["これまでの外部評価委員会における意見"])


@pytest.mark.parametrize(("name", "number"), PROJECTS, ids=IDS)
def test_costs_by_year_and_stage(kobe: Path, name: str, number: int) -> None:
    truth = truth_of(name, number)["事業別コスト等"]
    budgets = rows(kobe, "project_budgets", name, number, "fiscal_year, stage")
    assert [(b["label"], b["fiscal_year"], b["stage"]) for b in budgets] == list(
        zip(truth["columns"], truth["fiscal_years"], truth["stages"]))
    assert [b["total_cost"] for b in budgets] == [figure(c) for c in truth["合計（A）"]]
    assert [b["revenue_total"] for b in budgets] == [figure(c) for c in truth["収入合計"]]
    assert [b["general_revenue"] for b in budgets] == [figure(c) for c in truth["（差引）一般財源（B）"]]
    items = rows(kobe, "project_budget_items", name, number, "item_no, fiscal_year")
    read = [(i["item_name"], i["part_of"], i["amount_text"], i["amount"]) for i in items]
    expected = [(item["label"], item["part_of"], cell, figure(cell) if cell else None)
                for item in truth["コスト"] for cell in item["cells"]]
    # a blank cost item is none: 0 in the sum (the table's dash and blank conventions)
    assert [(n, p, t, a if t else None) for n, p, t, a in read] == expected
    assert {(i["adds_up"], i["total_cost"]) for i in items} <= {(True, b["total_cost"]) for b in budgets}


@pytest.mark.parametrize(("name", "number"), PROJECTS, ids=IDS)
def test_revenue_sources(kobe: Path, name: str, number: int) -> None:
    truth = truth_of(name, number)["事業別コスト等"]
    sources = rows(kobe, "project_budget_sources", name, number, "fiscal_year, stage, source_label")
    columns = truth["columns"]
    expected = sorted(
        [(columns[i], row["label"], row["source"], figure(cell)) for row in truth["収入"]
         for i, cell in enumerate(row["cells"])]
        + [(columns[i], "（差引）一般財源（B", "一般財源", figure(cell))  # the label's `）` is printed over its border
           for i, cell in enumerate(truth["（差引）一般財源（B）"])])
    read = sorted((s["label"], s["source_label"], s["source"], s["amount"]) for s in sources)
    assert read == expected
    wide = {b["label"]: b for b in rows(kobe, "project_budgets", name, number, "fiscal_year")}
    for i, column in enumerate(columns):  # the wide row: その他 is the sum of its three rows
        others = [figure(r["cells"][i]) or 0 for r in truth["収入"] if r["source"] == "その他"]
        assert wide[column]["other"] == sum(others)


@pytest.mark.parametrize(("name", "number"), PROJECTS, ids=IDS)
def test_staff_by_job_type(kobe: Path, name: str, number: int) -> None:
    truth = truth_of(name, number)["執行体制"]
    staff = rows(kobe, "project_staffing", name, number, "fiscal_year, page")
    jobs = [row["label"] for row in truth["職種等内訳"]]
    read = {(s["job_type"], s["label"]): s for s in staff}
    columns = truth_of(name, number)["事業別コスト等"]["columns"]
    assert len(staff) == len(jobs) * len(columns)
    for row in truth["職種等内訳"]:
        for column, cell in zip(columns, row["cells"]):
            assert read[(row["label"], column)]["staff"] == figure(cell), (row["label"], column)
    reference = [job for job in jobs if job.startswith("（参考")]
    for column, total in zip(columns, truth["合計(D)"]):
        for job in jobs:
            expected = None if job in reference else figure(total)
            assert read[(job, column)]["total_staff"] == expected
    (project,) = rows(kobe, "projects", name, number, "first_page")
    assert project["delivery_mode"] == truth["実施方法"][-1]  # the newest column's


@pytest.mark.parametrize(("name", "number"), PROJECTS, ids=IDS)
def test_results_and_unit_costs(kobe: Path, name: str, number: int) -> None:
    truth = truth_of(name, number)["事業実績等"]
    indicators = rows(kobe, "project_indicators", name, number, "indicator_no, fiscal_year")
    read = [(r["indicator_group"], r["indicator_name"], r["unit"], r["value_text"], r["kind"]) for r in indicators]
    kinds = ["実績"] * 5 + ["見込"]  # 20年度実績 … 24年度実績, 25年度見込み
    expected = [(i["group"], i["name"], i["unit"], cell, kind) for i in truth for cell, kind in zip(i["cells"], kinds)]
    assert [(g, squashed(n), u, v, k) for g, n, u, v, k in read] == [
        (g, squashed(n), u, v, k) for g, n, u, v, k in expected]
    assert {r["fiscal_year"] for r in indicators} <= set(range(2008, 2014))


@pytest.mark.parametrize(("name", "number"), PROJECTS, ids=IDS)
def test_initiatives_and_evaluations(kobe: Path, name: str, number: int) -> None:
    truth = truth_of(name, number)
    (project,) = rows(kobe, "projects", name, number, "first_page")
    for key, column in (("取組の方向性（目標）", "initiatives_plan"),
                        ("これまでの再構築・民営化等の取組み及び成果", "initiatives_result"),
                        ("他都市の状況（政令市との比較）", "reference_cases")):
        assert squashed(project[column]) == squashed(truth["取組状況"][key]), key
    evaluations = {e["evaluator"]: e for e in rows(kobe, "project_evaluations", name, number, "evaluator")}
    inner, outer = truth["評価・分析"]["内部評価"], truth["評価・分析"]["外部評価"]
    assert evaluations["1次"]["achievement_rating"] == inner["27年度における達成見込み"]
    assert squashed(evaluations["1次"]["comment"]) == squashed(inner["総合評価"])
    assert evaluations["外部"]["achievement_rating"] == outer["取組への評価"]
    assert squashed(evaluations["外部"]["comment"]) == squashed(outer["評価理由"])


def test_the_code_is_the_names_digest_and_differs_between_projects(kobe: Path) -> None:
    codes = fetch(kobe, "SELECT project_code, department, project_name FROM projects")
    assert all(code == derived_code(department, name) and code.isdigit() for code, department, name in codes)
    assert len({code for code, _, _ in codes}) == len(codes)
