"""Every cell of the sample sheet's ground truth, checked against the warehouse.

Both renderings (LibreOffice export and reportlab drawing) are loaded by the ingest's
own stages (`sheet_warehouse`: no Prefect); each must hold exactly what
`samples/ground_truth.json` says. Free text is
compared without whitespace (a space at a soft wrap is invisible in a PDF); numbers,
codes, years and marks are compared exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import GROUND_TRUTH, SHEET_LIBREOFFICE, SHEET_REPORTLAB, fetch, fetch_dicts, squash
from hyoka.extractors.pdf_input import sha256_hex
from hyoka.normalize import find_fiscal_year

TRUTH = json.loads(GROUND_TRUTH.read_text(encoding="utf-8"))["asahikawa_jimujigyo_R4_121101"]
PAGE1, PAGE2 = TRUTH["pages"]

# ground-truth budget column label -> warehouse column
BUDGET_COLUMNS = {
    "事業費(千円)": "total_cost",
    "国": "national",
    "北海道": "prefecture",
    "市債": "municipal_bonds",
    "交付税措置(%)": "tax_allocation_pct",
    "その他": "other",
    "一般財源": "general_revenue",
}
RENDERINGS = [SHEET_LIBREOFFICE, SHEET_REPORTLAB]


def doc_id(pdf: Path) -> str:
    return sha256_hex(pdf.read_bytes())


def project(db: Path, pdf: Path) -> dict:
    rows = fetch_dicts(db, "SELECT * FROM projects WHERE document_id = ?", [doc_id(pdf)])
    assert len(rows) == 1
    return rows[0]


@pytest.mark.parametrize("pdf", RENDERINGS, ids=["libreoffice", "reportlab"])
def test_document_row(sheet_warehouse: Path, pdf: Path) -> None:
    (row,) = fetch_dicts(sheet_warehouse, "SELECT * FROM documents WHERE document_id = ?", [doc_id(pdf)])
    # the real page-2 difference; the two renderings are the same edition of the same sheet, so the
    # one loaded last supersedes the other (hyoka.warehouse.editions), which keeps its rows
    assert row["status"] in ("loaded_with_issues", "superseded")
    assert row["warning_count"] > 0
    assert row["template"] == "asahikawa_jimujigyo_sheet"
    assert row["doc_type"] == "jimujigyo_sheet"
    assert row["municipality"] == "旭川市"
    assert row["results_fiscal_year"] == 2021  # R3決算見込 and 人工(R3年度)
    assert row["page_count"] == 2
    assert row["error_count"] == 0


def test_one_rendering_supersedes_the_other(sheet_warehouse: Path) -> None:
    statuses = sorted(fetch(sheet_warehouse, "SELECT status FROM documents"))
    assert statuses == [("loaded_with_issues",), ("superseded",)]


@pytest.mark.parametrize("pdf", RENDERINGS, ids=["libreoffice", "reportlab"])
def test_header_table_fields(sheet_warehouse: Path, pdf: Path) -> None:
    header = PAGE1["header_table"]
    row = project(sheet_warehouse, pdf)
    assert row["project_code"] == "".join(header["事業コード_parts"])
    assert row["project_code_raw"] == header["事業コード"]
    assert row["project_name"] == header["事業名"]
    assert squash(row["summary"]) == squash(header["事業の概要"])
    assert row["summary"].count("\n") == header["事業の概要"].count("\n")  # paragraphs kept, soft wraps joined
    assert squash(row["outputs_header"]) == squash(header["アウトプット_header"])
    assert row["outputs_text"] == header["アウトプット"]
    assert squash(row["outcome_header"]) == squash(header["アウトカム_header"])
    assert (row["page"], row["first_page"], row["last_page"]) == (1, 1, 2)


@pytest.mark.parametrize("pdf", RENDERINGS, ids=["libreoffice", "reportlab"])
def test_budget_matrix_every_cell(sheet_warehouse: Path, pdf: Path) -> None:
    rows = fetch_dicts(sheet_warehouse, "SELECT * FROM project_budgets WHERE document_id = ?", [doc_id(pdf)])
    by_label = {r["label"]: r for r in rows}
    truth_rows = PAGE1["header_table"]["インプット"]["rows"]
    assert sorted(by_label) == sorted(t["label"] for t in truth_rows)
    for truth in truth_rows:
        row = by_label[truth["label"]]
        span = find_fiscal_year(truth["label"])
        assert row["fiscal_year"] == span.start
        assert row["page"] == 1
        assert row["stage"] in truth["label"]
        for label, column in BUDGET_COLUMNS.items():
            assert row[column] == truth["cells"][label]["value"], (truth["label"], label)
    assert {(r["fiscal_year"], r["stage"]) for r in rows} == {
        (2020, "決算"), (2021, "当初予算"), (2021, "決算見込"), (2022, "当初予算")
    }


@pytest.mark.parametrize("pdf", RENDERINGS, ids=["libreoffice", "reportlab"])
def test_page2_header_differences_are_issues(sheet_warehouse: Path, pdf: Path) -> None:
    """Every cell where page 2's copy differs from page 1 is one warning on page 2."""
    first = {r["label"]: r for r in PAGE1["header_table"]["インプット"]["rows"]}
    expected = set()
    for truth in PAGE2["header_table"]["インプット"]["rows"]:
        for label, column in BUDGET_COLUMNS.items():
            if truth["cells"][label]["raw"] != first[truth["label"]]["cells"][label]["raw"]:
                expected.add((f"121101 {truth['label']}", column, truth["cells"][label]["raw"]))
    assert len(expected) == 3  # the sample's blank 交付税措置 cells
    issues = fetch(
        sheet_warehouse,
        "SELECT record_key, column_name, raw_value, page, severity FROM validation_issues "
        "WHERE document_id = ? AND check_name = 'page_header_mismatch'",
        [doc_id(pdf)],
    )
    assert {(k, c, r or "") for k, c, r, _, _ in issues} == expected
    assert all(page == 2 and severity == "warning" for *_, page, severity in issues)
    # and nothing else is flagged on the sample
    (total,) = fetch(sheet_warehouse, "SELECT count(*) FROM validation_issues WHERE document_id = ?", [doc_id(pdf)])[0]
    assert total == 3


@pytest.mark.parametrize("pdf", RENDERINGS, ids=["libreoffice", "reportlab"])
def test_staffing(sheet_warehouse: Path, pdf: Path) -> None:
    (key,) = [k for k in PAGE1["header_table"] if k.startswith("人工")]
    truth = PAGE1["header_table"][key]
    rows = fetch_dicts(sheet_warehouse, "SELECT * FROM project_staffing WHERE document_id = ?", [doc_id(pdf)])
    assert len(rows) == 1
    assert rows[0]["fiscal_year"] == find_fiscal_year(key).start == 2021
    assert rows[0]["regular_staff"] == truth["正職員"]["value"]
    assert rows[0]["fiscal_year_staff"] == truth["会計年度"]["value"]


@pytest.mark.parametrize("pdf", RENDERINGS, ids=["libreoffice", "reportlab"])
def test_project_outcome(sheet_warehouse: Path, pdf: Path) -> None:
    truth = PAGE1["header_table"]["アウトカム"]
    rows = fetch_dicts(
        sheet_warehouse, "SELECT * FROM project_indicators WHERE document_id = ? AND level = '事業'", [doc_id(pdf)]
    )
    labels = [k for k in truth if k != "指標"]
    assert len(rows) == len(labels)
    for label in labels:
        (row,) = [r for r in rows if r["column_label"] == label]
        assert row["indicator_name"] == truth["指標"]
        assert row["fiscal_year"] == find_fiscal_year(label).start
        assert row["kind"] == ("目標" if "目標" in label else "実績")
        assert row["value"] == truth[label]["value"]
        assert row["value_text"] == truth[label]["raw"]


@pytest.mark.parametrize("pdf", RENDERINGS, ids=["libreoffice", "reportlab"])
def test_basic_info(sheet_warehouse: Path, pdf: Path) -> None:
    truth = PAGE1["基本情報"]
    row = project(sheet_warehouse, pdf)
    assert row["start_text"] == truth["開始時期"]
    assert row["start_fiscal_year"] == 1972  # 昭和47年度
    assert row["legal_basis"] == truth["実施根拠"]
    assert row["related_plans"] == truth["関連する計画等"]
    assert row["similar_services"] == truth["行政・民間の類似事業・サービス"]
    assert row["reference_cases"] == truth["改善・課題解決の参考になる事例"]
    assert row["footer_text"] == PAGE1["footer"]


@pytest.mark.parametrize("pdf", RENDERINGS, ids=["libreoffice", "reportlab"])
def test_first_evaluation_and_viewpoints(sheet_warehouse: Path, pdf: Path) -> None:
    truth = PAGE1["1次評価"]
    viewpoints = fetch_dicts(
        sheet_warehouse,
        "SELECT * FROM project_reform_viewpoints WHERE document_id = ? ORDER BY viewpoint_no",
        [doc_id(pdf)],
    )
    assert [(v["viewpoint"], v["selected"], v["mark"]) for v in viewpoints] == [
        (t["item"], t["marked"], t["mark"]) for t in truth["行財政改革の視点"]
    ]
    assert [v["viewpoint_no"] for v in viewpoints] == list(range(1, 9))
    (first,) = fetch_dicts(
        sheet_warehouse, "SELECT * FROM project_evaluations WHERE document_id = ? AND evaluator = '1次'", [doc_id(pdf)]
    )
    assert squash(first["title"]) == squash(truth["title"])
    assert squash(first["issues"]) == squash(truth["課題"])
    assert squash(first["direction"]) == squash(truth["改善・対策の方向性"])
    assert squash(first["expected_effect"]) == squash(truth["見込まれる効果"])
    # bullets start lines: as many lines as the truth has paragraphs
    assert first["direction"].count("\n") == truth["改善・対策の方向性"].count("\n")


@pytest.mark.parametrize("pdf", RENDERINGS, ids=["libreoffice", "reportlab"])
def test_external_and_second_evaluation_empty(sheet_warehouse: Path, pdf: Path) -> None:
    rows = fetch_dicts(
        sheet_warehouse,
        "SELECT evaluator, title, comment FROM project_evaluations WHERE document_id = ? AND evaluator <> '1次'",
        [doc_id(pdf)],
    )
    by_evaluator = {r["evaluator"]: r for r in rows}
    for evaluator, key_start in (("外部", "外部評価"), ("2次", "2次評価")):
        (key,) = [k for k in PAGE1 if k.startswith(key_start)]
        assert squash(by_evaluator[evaluator]["title"]) == squash(key)
        assert by_evaluator[evaluator]["comment"] is None  # empty box: NULL, not ''
        assert PAGE1[key] == ""


@pytest.mark.parametrize("pdf", RENDERINGS, ids=["libreoffice", "reportlab"])
def test_policy_vision_pledge(sheet_warehouse: Path, pdf: Path) -> None:
    block = PAGE2["目指す都市像の実現に向けて"]
    row = project(sheet_warehouse, pdf)
    assert row["policy_code"] == block["展開施策"]["policy_code"]
    assert row["policy_name"] == block["展開施策"]["policy_name"]
    assert row["policy_note"] == block["展開施策"]["note"]
    assert squash(row["policy_purpose"]) == squash(block["展開施策"]["事業の目的"])
    vision = block["将来ビジョン (基本政策)"]
    assert row["vision_title"] == vision["title"]
    assert squash(row["vision_text"]) == squash("".join(vision["bullets"]) + vision["sdgs_note"])
    pledge = PAGE2["公約実現に向けて"]["市長公約"]
    assert (row["pledge_no"], row["pledge_title"]) == (pledge["no"], pledge["text"])
    population = PAGE2["人口減少の抑制に向けて"]
    assert population["施策"]["value"] == "" and row["strategy_policy_text"] is None
    assert population["将来ビジョン (総合戦略の基本目標)"] == "" and row["strategy_vision_text"] is None


def _indicator_truth(table: dict, level: str) -> list[tuple]:
    """(level, name, unit, baseline, year, kind, value, value_text, rate, progress) per value cell."""
    expected = []
    for truth in table["rows"]:
        rate = truth.get("達成率", {}).get("value")
        progress = truth.get("進捗", {}).get("text")
        cells = [(f"実績 {year}", cell) for year, cell in truth["実績"].items()]
        cells += [(key, truth[key]) for key in truth if key.startswith("目標値")]
        for label, cell in cells:
            expected.append(
                (
                    level,
                    truth["indicator"],
                    truth["単位"],
                    truth["基準値"]["value"],
                    find_fiscal_year(label).start,
                    "目標" if label.startswith("目標") else "実績",
                    cell["value"],
                    cell["raw"],
                    rate,
                    progress,
                )
            )
    return expected


@pytest.mark.parametrize("pdf", RENDERINGS, ids=["libreoffice", "reportlab"])
def test_outcome_tables_every_cell(sheet_warehouse: Path, pdf: Path) -> None:
    block = PAGE2["目指す都市像の実現に向けて"]
    population = PAGE2["人口減少の抑制に向けて"]
    expected = _indicator_truth(block["施策のアウトカム"], "施策") + _indicator_truth(block["基本政策のアウトカム"], "基本政策")
    expected += _indicator_truth(population["施策のアウトカム"], "総合戦略施策")  # empty rows: nothing
    expected += _indicator_truth(population["総合戦略のアウトカム"], "総合戦略")
    rows = fetch(
        sheet_warehouse,
        "SELECT level, indicator_name, unit, baseline, fiscal_year, kind, value, value_text, achievement_rate, progress_text "
        "FROM project_indicators WHERE document_id = ? AND level <> '事業'",
        [doc_id(pdf)],
    )
    assert sorted(rows, key=str) == sorted(expected, key=str)
    assert all(r[4] in (2020, 2021, 2023) for r in rows)  # R2, R3 actuals; R5 target


def test_both_renderings_give_identical_records(sheet_warehouse: Path) -> None:
    """Every table holds the same values for both renderings (free text up to whitespace)."""
    ignore = {"document_id", "bbox", "raw_text"}
    for table in ("projects", "project_budgets", "project_staffing", "project_reform_viewpoints",
                  "project_evaluations", "project_indicators", "validation_issues", "pages"):
        sides = []
        for pdf in RENDERINGS:
            rows = fetch_dicts(sheet_warehouse, f"SELECT * FROM {table} WHERE document_id = ?", [doc_id(pdf)])
            sides.append(sorted(
                (tuple((k, squash(v) if isinstance(v, str) else v) for k, v in row.items() if k not in ignore and k != "message")
                 for row in rows),
                key=str,
            ))
        assert sides[0] == sides[1], table
