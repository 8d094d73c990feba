"""The template registry: every template listed, each page to the template that fits it,
every template filling the shared tables, and other cities' real PDFs refused cleanly.

The mixed warehouse holds 旭川's sample sheets and KPI list, real 池田 sheets and the real
神戸 / 京都 PDFs no template reads yet, loaded together by the ingest's own stages (no
Prefect). How `hyoka ingest` tells the user about a failed file (one line, exit code 1, no
traceback) is checked on its own, through the CLI, in test_bad_input.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import IKEDA, KPI_LIST, REAL, SHEET_LIBREOFFICE, SHEET_REPORTLAB, fetch, fetch_dicts
from hyoka.extractors.pdf_input import sha256_hex
from hyoka.extractors.registry import MIN_SCORE, TEMPLATES, extract_pdf
from pdf_factory import book, text_pdf
from warehouse_builder import build_warehouse

KOBE = sorted((REAL / "kobe").glob("*.pdf"))
KYOTO = sorted((REAL / "kyoto").glob("*.pdf"))
IKEDA_IN_MIXED_RUN = [IKEDA / f"ikeda-r7-{n}.pdf" for n in ("001", "021", "045", "052")]
ASAHIKAWA = [SHEET_LIBREOFFICE, SHEET_REPORTLAB, KPI_LIST]
KOBE_IN_MIXED_RUN = KOBE[::4]  # 神戸 has its template file (issue 13): two of its files in the mixed run


def test_the_registry_holds_complete_templates() -> None:
    names = [t.name for t in TEMPLATES]
    assert len(names) == len(set(names))
    assert {"asahikawa_jimujigyo_sheet", "asahikawa_strategy_kpi_list", "ikeda_mokuhyo_sheet"} <= set(names)
    for template in TEMPLATES:
        assert template.description and template.doc_type
        assert callable(template.recognize) and callable(template.read)
    assert len(KOBE) == 8 and len(KYOTO) == 4


def test_hyoka_templates_lists_each_with_municipality_and_description() -> None:
    from hyoka.cli import app

    run = CliRunner().invoke(app, ["templates"], env={"COLUMNS": "400"})
    assert run.exit_code == 0, run.output
    lines = run.stdout.splitlines()
    for template in TEMPLATES:
        (line,) = [ln for ln in lines if f" {template.name} " in ln]
        assert template.description in line
        assert (template.municipality or "(from the document)") in line
        assert template.doc_type in line
    assert any("池田市" in ln and "ikeda_mokuhyo_sheet" in ln for ln in lines)


def test_every_template_fills_project_budget_sources() -> None:
    """旭川's matrix columns and 池田's 財源 rows become the same long table."""
    asahikawa = extract_pdf(SHEET_LIBREOFFICE.read_bytes())
    sources = asahikawa.rows("project_budget_sources")
    assert len(sources) == 4 * 5  # four budget rows × 国, 北海道, 市債, その他, 一般財源
    assert {(s.source, s.source_label) for s in sources} == {
        ("国", "国"), ("都道府県", "北海道"), ("市債", "市債"), ("その他", "その他"), ("一般財源", "一般財源")
    }
    budgets = {(b.fiscal_year, b.stage): b for b in asahikawa.rows("project_budgets")}
    for source in sources:
        budget = budgets[(source.fiscal_year, source.stage)]
        assert source.total_cost == budget.total_cost and source.label == budget.label
        assert source.part_of is None and source.project_code == "121101"
    # the 旭川 tables are as they were: no 受益者負担, no 国・都道府県 row
    assert all(b.national_prefecture is None and b.beneficiary_burden is None for b in budgets.values())

    ikeda = extract_pdf((IKEDA / "ikeda-r7-009.pdf").read_bytes())
    sources = ikeda.rows("project_budget_sources")
    assert {s.source for s in sources} == {"国・都道府県", "市債", "その他", "受益者負担", "一般財源"}
    assert {s.part_of for s in sources if s.source == "受益者負担"} == {"その他"}


def test_each_template_claims_its_own_pages_only() -> None:
    from hyoka.extractors.grid import build_grid
    from hyoka.extractors.pdf_input import open_pdf

    samples = {
        "asahikawa_jimujigyo_sheet": SHEET_LIBREOFFICE,
        "asahikawa_strategy_kpi_list": KPI_LIST,
        "ikeda_mokuhyo_sheet": IKEDA / "ikeda-r7-001.pdf",
        "kyoto_shinki_jujitsu_sheet": KYOTO[0],
    }
    for owner, pdf_path in samples.items():
        with open_pdf(pdf_path.read_bytes()) as pdf:
            grid = build_grid(pdf.pages[0])
        for template in TEMPLATES:
            score = template.recognize(grid).score
            if template.name == owner:
                assert score >= MIN_SCORE, (owner, score)
            else:
                assert score < MIN_SCORE, (template.name, pdf_path.name, score)


def test_one_book_of_two_cities_is_read_page_by_page() -> None:
    data = book([(SHEET_LIBREOFFICE, 1), (SHEET_LIBREOFFICE, 2), (IKEDA / "ikeda-r7-001.pdf", 1)])
    extraction = extract_pdf(data)
    assert [p.project_code for p in extraction.rows("projects")] == ["121101", "1"]
    assert [(p.page, p.template) for p in extraction.rows("pages")] == [
        (1, "asahikawa_jimujigyo_sheet"), (2, "asahikawa_jimujigyo_sheet"), (3, "ikeda_mokuhyo_sheet")]
    assert extraction.template == "asahikawa_jimujigyo_sheet"  # the template with most pages names the document


@pytest.fixture(scope="module")
def unsupported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PDF of a layout no template reads (every real city in samples/real has its template file now)."""
    path = tmp_path_factory.mktemp("unsupported") / "contents.pdf"
    path.write_bytes(text_pdf(["Annual report 2023", "Table of contents", "1. Overview of the city budget"]))
    return path


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory, unsupported: Path) -> Path:
    """Every city's PDFs in one warehouse, and one no template reads (a `failed` row)."""
    db = tmp_path_factory.mktemp("mixed") / "mixed.duckdb"
    return build_warehouse(ASAHIKAWA + IKEDA_IN_MIXED_RUN + KYOTO + KOBE_IN_MIXED_RUN + [unsupported], db,
                           allow_failed=True)


def test_only_the_unsupported_file_fails(mixed: Path, unsupported: Path) -> None:
    statuses = dict(fetch(mixed, "SELECT document_id, status FROM documents"))
    given = ASAHIKAWA + IKEDA_IN_MIXED_RUN + KYOTO + KOBE_IN_MIXED_RUN + [unsupported]
    assert set(statuses) == {sha256_hex(p.read_bytes()) for p in given}
    failed = {doc for doc, status in statuses.items() if status == "failed"}
    assert failed == {sha256_hex(unsupported.read_bytes())}


def test_supported_files_load(mixed: Path) -> None:
    db = mixed
    expected = {SHEET_LIBREOFFICE: "asahikawa_jimujigyo_sheet", SHEET_REPORTLAB: "asahikawa_jimujigyo_sheet",
                KPI_LIST: "asahikawa_strategy_kpi_list"}
    expected.update({p: "ikeda_mokuhyo_sheet" for p in IKEDA_IN_MIXED_RUN})
    expected.update({p: "kyoto_shinki_jujitsu_sheet" for p in KYOTO})
    expected.update({p: "kobe_jimujigyo_sheet" for p in KOBE_IN_MIXED_RUN})
    for path, template in expected.items():
        (row,) = fetch_dicts(db, "SELECT * FROM documents WHERE document_id = ?", [sha256_hex(path.read_bytes())])
        # the two sample renderings are one edition of one sheet: the one loaded last supersedes the other
        assert row["status"] in ("loaded", "loaded_with_issues", "superseded"), (path.name, row["error"])
        assert row["template"] == template
        assert row["error_count"] == 0, path.name
    codes = {r[0] for r in fetch(db, "SELECT project_code FROM projects")}
    assert {"121101", "1", "21", "45", "52"} <= codes


def test_an_unsupported_layout_fails_as_unknown_template(mixed: Path, unsupported: Path) -> None:
    db, path = mixed, unsupported
    document_id = sha256_hex(path.read_bytes())
    (row,) = fetch_dicts(db, "SELECT status, error, record_count, source_path FROM documents WHERE document_id = ?",
                         [document_id])
    assert row["status"] == "failed" and row["source_path"] == str(path.resolve())
    # the reason `hyoka ingest` prints after "failed PATH: ", on one line
    assert re.fullmatch(r"unknown template \(closest: [a-z_]+, score 0\.\d\d\)[^\n]*", row["error"]), row["error"]
    assert row["record_count"] == 0
    # never half-read: no row of any other table belongs to it (one query over every table;
    # file_cache holds no document's rows: it remembers which file had which content)
    tables = [t for (t,) in fetch(db, "SELECT table_name FROM duckdb_tables() "
                                      "WHERE table_name NOT IN ('documents', 'file_cache') ORDER BY 1")]
    assert len(tables) >= 10, tables
    counts = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t} WHERE document_id = $1" for t in tables)
    assert dict(fetch(db, counts, [document_id])) == dict.fromkeys(tables, 0)


@pytest.mark.parametrize("files", [KOBE, KYOTO], ids=["kobe", "kyoto"])
def test_a_citys_files_bound_into_one_book_give_the_same_projects(files: list[Path]) -> None:
    """Projects are found by their pages' structure, not by where a file starts: 神戸's and 京都's
    files bound into one book give the projects, and the records, the files give alone."""
    from pypdf import PdfReader

    def records(extraction: Any) -> list[tuple[str, str, str]]:
        return [(table, row.project_code, row.key()) for table in ("projects", "project_budgets", "project_indicators",
                                                                   "project_evaluations", "project_extra_fields")
                for row in extraction.rows(table)]

    alone = [row for path in files for row in records(extract_pdf(path.read_bytes()))]
    bound = extract_pdf(book([(path, n) for path in files for n in range(1, len(PdfReader(path).pages) + 1)]))
    assert sorted(records(bound)) == sorted(alone) and bound.issues == []
    assert len({code for table, code, _ in alone if table == "projects"}) >= len(files)
