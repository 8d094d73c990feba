"""Every field of the hand-checked 京都 ground truth, read back from the warehouse.

The four real sheets (all the 京都 files we have, samples/real/kyoto/, README.md there for the
reading decisions) are ingested once by the ingest's own engine (`run_ingest`, no Prefect)
into a module's warehouse; each test walks one part of `ground_truth.json` against its
table: text NFKC-equal without white space and line breaks (the truth's conventions),
figures exact, and the arithmetic (一般財源 ≤ 経費) recomputed from the rows.
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
from hyoka.flows.engine import run_ingest
from hyoka.flows.runs import IngestSettings

KYOTO = REAL / "kyoto"
PDFS = sorted(KYOTO.glob("kyoto-r6-*.pdf"))
TRUTH: dict[str, dict[str, Any]] = json.loads((KYOTO / "ground_truth.json").read_text(encoding="utf-8"))
NAMES = sorted(TRUTH)
TEMPLATE = "kyoto_shinki_jujitsu_sheet"


def squeeze(text: str | None) -> str:
    """Text compared as the truth's README says: NFKC, without white space or line breaks."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("kyoto") / "kyoto.duckdb"
    summary = run_ingest([str(p) for p in PDFS], IngestSettings(db=str(db), runner="thread", report=False))
    assert summary.failed == 0
    return db


def document(db: Path, name: str) -> str:
    return sha256_hex((KYOTO / name).read_bytes())


def rows(db: Path, table: str, name: str, order: str) -> list[dict[str, Any]]:
    return fetch_dicts(db, f"SELECT * FROM {table} WHERE document_id = ? ORDER BY {order}", [document(db, name)])


def test_the_truth_covers_every_file_of_the_folder() -> None:
    assert NAMES == [p.name for p in PDFS] and len(NAMES) >= 4


def test_every_file_loads_with_the_template_and_no_issue(warehouse: Path) -> None:
    documents = fetch_dicts(warehouse, "SELECT file_name, status, template, municipality, results_fiscal_year,"
                                       " page_count, error_count, warning_count FROM documents ORDER BY 1")
    assert [d["file_name"] for d in documents] == NAMES
    for row in documents:
        assert row["status"] == "loaded" and row["template"] == TEMPLATE, row
        assert row["municipality"] == "京都市" and row["results_fiscal_year"] == 2023, row
        assert row["page_count"] == TRUTH[row["file_name"]]["pages"]
        assert row["error_count"] == 0 and row["warning_count"] == 0, row
    assert fetch(warehouse, "SELECT count(*) FROM validation_issues") == [(0,)]
    pages = fetch(warehouse, "SELECT page_role, count(*) FROM pages GROUP BY ALL ORDER BY 1")
    assert pages == [("sheet_page1", len(NAMES)), ("sheet_page2", len(NAMES))]  # page 2 joins its page 1 (Ｎｏ.)


@pytest.mark.parametrize("name", NAMES)
def test_header_and_texts(warehouse: Path, name: str) -> None:
    truth = TRUTH[name]
    (project,) = rows(warehouse, "projects", name, "project_code")
    assert project["project_code"] == truth["No"]["raw"] and project["sheet_no"] == truth["No"]["value"]
    assert (project["first_page"], project["last_page"]) == (1, truth["pages"])
    assert project["department"] == truth["所管局"]
    assert squeeze(project["project_name"]) == squeeze(truth["事業名"])
    period = truth["事業実施期間"]
    assert squeeze(project["period_text"]) == squeeze(period["raw"])
    assert (project["period_start_fiscal_year"], project["period_end_fiscal_year"]) == (
        period["start_fiscal_year"], period["end_fiscal_year"])
    assert squeeze(project["summary"]) == squeeze(truth["事業概要"])
    assert squeeze(project["initiatives_result"]) == squeeze(truth["取組実績"])
    # the paragraphs the truth breaks are broken in the reading too (hyoka may break more: README)
    for paragraph in truth["取組実績"].split("\n"):
        assert squeeze(paragraph) in squeeze(project["initiatives_result"])


@pytest.mark.parametrize("name", NAMES)
def test_extra_fields_keep_what_no_shared_table_has(warehouse: Path, name: str) -> None:
    truth = TRUTH[name]
    extras = {r["label"]: r for r in rows(warehouse, "project_extra_fields", name, "label")}
    expected = {"事業名の年度": truth["事業名の年度"], "事業目標": truth["事業目標"]["text"]}
    for criterion, choice in truth["役割分担評価"].items():
        expected[criterion] = "\n".join(choice["marked"])
    assert set(extras) == set(expected)
    for label, text in expected.items():
        assert squeeze(extras[label]["value_text"]) == squeeze(text), label
        assert extras[label]["project_code"] == truth["No"]["raw"]
    # the ■ choices come from page 2, with the box they were read from
    assert {extras[c]["page"] for c in truth["役割分担評価"]} == {2}
    assert all(extras[c]["bbox"] for c in truth["役割分担評価"])


@pytest.mark.parametrize("name", NAMES)
def test_indicators_written_inside_the_prose(warehouse: Path, name: str) -> None:
    truth = TRUTH[name]["事業目標"]["indicators"]
    read = rows(warehouse, "project_indicators", name, "indicator_no")
    assert len(read) == len(truth)
    for number, (row, want) in enumerate(zip(read, truth), start=1):
        assert row["indicator_no"] == number and row["level"] == "事業"
        assert squeeze(row["indicator_name"]) == squeeze(want["指標"])
        assert row["value_text"] == want["数値目標"]["raw"]
        assert row["value"] == want["数値目標"]["value"] and row["unit"] == want["数値目標"]["unit"]
        assert squeeze(row["target_basis"]) == squeeze(want["数値目標の考え方"])
        assert row["indicator_group"] == want["group"]
        assert row["fiscal_year"] == want["fiscal_year"]
        assert row["kind"] == "目標" and row["column_label"] == "数値目標"


@pytest.mark.parametrize("name", NAMES)
def test_costs_with_their_general_revenue_by_year_and_stage(warehouse: Path, name: str) -> None:
    truth = TRUTH[name]
    read = {(r["fiscal_year"], r["stage"]): r for r in rows(warehouse, "project_budgets", name, "fiscal_year, stage")}
    proposal = truth["令和７年度の方向性"]["予算案"]
    expected = {(c["fiscal_year"], c["stage"]): c for c in truth["経費"]["columns"]}
    expected[(proposal["fiscal_year"], "予算案")] = proposal
    assert set(read) == set(expected)
    for key, want in expected.items():
        row = read[key]
        assert row["total_cost"] == want["cost"] and row["general_revenue"] == want["general_revenue"], key
        assert squeeze(want["raw"]) in squeeze(row["raw_text"])  # the cell as printed
        assert row["general_revenue"] <= row["total_cost"]  # the check's arithmetic, recomputed
        assert row["national"] is None and row["other"] is None  # nothing else of the 財源 is printed
    for column in truth["経費"]["columns"]:
        assert read[(column["fiscal_year"], column["stage"])]["label"] == column["printed"]
    # a part with the others unprinted: no long source rows whose sum would take it for the whole
    assert rows(warehouse, "project_budget_sources", name, "label") == []


@pytest.mark.parametrize("name", NAMES)
def test_evaluation_and_direction(warehouse: Path, name: str) -> None:
    truth = TRUTH[name]
    (evaluation,) = rows(warehouse, "project_evaluations", name, "evaluator")
    assert evaluation["evaluator"] == "1次"
    assert evaluation["title"] == truth["評価"]["title"]
    assert squeeze(evaluation["comment"]) == squeeze(truth["評価"]["text"])
    assert evaluation["page"] == truth["評価"]["page"]
    assert evaluation["direction_rating"] == truth["令和７年度の方向性"]["方向性"]
