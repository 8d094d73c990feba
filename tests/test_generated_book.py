"""A generated book of sheets (other content, other drawing, other years) loads with every value right.

The generator (`synth.sheets`) draws the 旭川 template with its own geometry and varied
content, and returns what it drew; the warehouse must hold exactly that.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import fetch_dicts, squash
from hyoka.extractors.pdf_input import sha256_hex
from synth.sheets import SheetTruth, make_book
from warehouse_builder import build_warehouse

# (seed, results year): different drawings, eras (H→R across 2019) and content
BOOKS = [(11, 2018), (12, 2021), (13, 2024)]
SHEETS_PER_BOOK = 6
BUDGET_COLUMNS = ("total_cost", "national", "prefecture", "municipal_bonds", "tax_allocation_pct", "other", "general_revenue")
TEXT_FIELDS = (
    "project_name", "summary", "start_text", "legal_basis", "related_plans", "similar_services", "reference_cases",
    "outputs_text", "policy_name", "policy_note", "policy_purpose", "vision_title", "vision_text",
    "strategy_policy_text", "strategy_vision_text", "pledge_title",
)
EXACT_FIELDS = ("project_code", "project_code_raw", "start_fiscal_year", "policy_code", "pledge_no")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[str, list[SheetTruth]]]]:
    folder = tmp_path_factory.mktemp("books")
    books = []
    for seed, year in BOOKS:
        path = folder / f"book-{seed}-{year}.pdf"
        truths = make_book(path, SHEETS_PER_BOOK, seed=seed, results_fiscal_year=year)
        books.append((sha256_hex(path.read_bytes()), truths))
    return build_warehouse([folder], folder / "books.duckdb"), books


def test_documents_and_years(generated) -> None:  # type: ignore[no-untyped-def]
    db, books = generated
    for (doc, truths), (_, year) in zip(books, BOOKS):
        (row,) = fetch_dicts(db, "SELECT * FROM documents WHERE document_id = ?", [doc])
        assert row["error_count"] == 0
        # the only warnings are the generator's deliberate △ amounts, one per negative cell
        negatives = {
            (t.project["project_code"], b["label"], column)
            for t in truths for b in t.budgets for column in BUDGET_COLUMNS if (b[column] or 0) < 0
        }
        flagged = {
            (r["record_key"].split()[0], r["record_key"].split()[1], r["column_name"])
            for r in fetch_dicts(
                db, "SELECT * FROM validation_issues WHERE document_id = ? AND table_name = 'project_budgets'", [doc]
            )
        }
        assert flagged == negatives
        checks = {r["check_name"] for r in fetch_dicts(db, "SELECT check_name FROM validation_issues WHERE document_id = ?", [doc])}
        assert checks <= {"negative_amount"}
        assert row["results_fiscal_year"] == year
        assert row["page_count"] == 2 * len(truths)


def test_every_project_field(generated) -> None:  # type: ignore[no-untyped-def]
    db, books = generated
    for doc, truths in books:
        rows = {r["project_code"]: r for r in fetch_dicts(db, "SELECT * FROM projects WHERE document_id = ?", [doc])}
        assert sorted(rows) == sorted(t.project["project_code"] for t in truths)
        for index, truth in enumerate(truths):
            row = rows[truth.project["project_code"]]
            assert (row["first_page"], row["last_page"]) == (2 * index + 1, 2 * index + 2)
            for field in EXACT_FIELDS:
                assert row[field] == truth.project[field], (field, truth.project["project_code"])
            for field in TEXT_FIELDS:
                assert squash(row[field]) == squash(truth.project[field]), (field, truth.project["project_code"])
            # paragraphs are kept: the same line breaks as drawn
            assert (row["summary"] or "").count("\n") == (truth.project["summary"] or "").count("\n")


def test_every_budget_cell(generated) -> None:  # type: ignore[no-untyped-def]
    db, books = generated
    for doc, truths in books:
        rows = fetch_dicts(db, "SELECT * FROM project_budgets WHERE document_id = ?", [doc])
        by_key = {(r["project_code"], r["label"]): r for r in rows}
        expected = [(t.project["project_code"], b) for t in truths for b in t.budgets]
        assert len(rows) == len(expected)
        for code, budget in expected:
            row = by_key[(code, budget["label"])]
            assert (row["fiscal_year"], row["stage"]) == (budget["fiscal_year"], budget["stage"])
            for column in BUDGET_COLUMNS:
                assert row[column] == budget[column], (code, budget["label"], column, budget["raw"][column])


def test_staffing_viewpoints_evaluations(generated) -> None:  # type: ignore[no-untyped-def]
    db, books = generated
    for doc, truths in books:
        staffing = {r["project_code"]: r for r in fetch_dicts(db, "SELECT * FROM project_staffing WHERE document_id = ?", [doc])}
        viewpoints = fetch_dicts(db, "SELECT * FROM project_reform_viewpoints WHERE document_id = ?", [doc])
        evaluations = fetch_dicts(db, "SELECT * FROM project_evaluations WHERE document_id = ?", [doc])
        for truth in truths:
            code = truth.project["project_code"]
            row = staffing[code]
            for field in ("fiscal_year", "regular_staff", "fiscal_year_staff"):
                assert row[field] == truth.staffing[field], (code, field)
            mine = sorted((v["viewpoint_no"], v["viewpoint"], v["selected"]) for v in viewpoints if v["project_code"] == code)
            assert mine == sorted((v["viewpoint_no"], v["viewpoint"], v["selected"]) for v in truth.viewpoints)
            for expected in truth.evaluations:
                (row,) = [e for e in evaluations if e["project_code"] == code and e["evaluator"] == expected["evaluator"]]
                for field in ("issues", "direction", "expected_effect", "comment"):
                    assert squash(row[field]) == squash(expected.get(field)), (code, expected["evaluator"], field)


def test_every_indicator_value(generated) -> None:  # type: ignore[no-untyped-def]
    db, books = generated
    for doc, truths in books:
        rows = fetch_dicts(db, "SELECT * FROM project_indicators WHERE document_id = ?", [doc])
        got = sorted(
            (r["project_code"], r["level"], squash(r["indicator_name"]), r["fiscal_year"], r["kind"], r["value"],
             r["achievement_rate"], r["progress_text"], r["unit"], r["baseline"])
            for r in rows
        )
        expected = sorted(
            (t.project["project_code"], i["level"], squash(i["indicator_name"]), i["fiscal_year"], i["kind"], i["value"],
             i["achievement_rate"], i["progress_text"], i["unit"], i["baseline"])
            for t in truths for i in t.indicators
        )
        assert got == expected
