"""Books of many sheets: pages grouped by content; and re-ingesting changes nothing."""

from __future__ import annotations

from pathlib import Path

import duckdb

from conftest import SHEET_LIBREOFFICE, SHEET_REPORTLAB, fetch, fetch_dicts
from extractors.registry import extract_pdf
from flows.ingest import ingest
from pdf_factory import book, text_pdf


def test_pages_grouped_by_content_not_parity() -> None:
    """A foreign page between two projects shifts parity; grouping still pairs page 1 with its page 2."""
    foreign = text_pdf(["Table of contents", "1. Overview"])
    data = book([
        (SHEET_LIBREOFFICE, 1), (SHEET_LIBREOFFICE, 2),
        (foreign, 1),
        (SHEET_REPORTLAB, 1), (SHEET_REPORTLAB, 2),
    ])
    extraction = extract_pdf(data)
    projects = extraction.rows("projects")
    assert [(p.first_page, p.last_page) for p in projects] == [(1, 2), (4, 5)]
    pages = {p.page: (p.status, p.page_role) for p in extraction.rows("pages")}
    assert pages == {
        1: ("read", "sheet_page1"), 2: ("read", "sheet_page2"), 3: ("skipped", None),
        4: ("read", "sheet_page1"), 5: ("read", "sheet_page2"),
    }
    skipped = [i for i in extraction.issues if i.check_name == "page_skipped"]
    assert [(i.page, i.severity) for i in skipped] == [(3, "warning")]
    assert "unknown template" in skipped[0].message
    # the page-2 comparison was made within each project, at the right pages
    mismatches = sorted({i.page for i in extraction.issues if i.check_name == "page_header_mismatch"})
    assert mismatches == [2, 5]


def test_page2_alone_is_read_and_flagged() -> None:
    """A page 2 without its page 1 still gives its project, with a warning."""
    extraction = extract_pdf(book([(SHEET_LIBREOFFICE, 2)]))
    (project,) = extraction.rows("projects")
    assert project.project_code == "121101"
    assert project.pledge_no is not None
    assert [i.check_name for i in extraction.issues] == ["missing_page1"]


def _snapshot(db: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    finally:
        con.close()


def test_ingesting_the_same_files_again_changes_no_table(tmp_path: Path) -> None:
    db = tmp_path / "idem.duckdb"
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 not really")
    files = [str(SHEET_LIBREOFFICE), str(SHEET_REPORTLAB), str(broken)]
    first = ingest(files, db=str(db))
    before = _snapshot(db)
    assert before["projects"] and before["documents"]
    second = ingest(files, db=str(db))
    assert _snapshot(db) == before
    assert [o.status for o in second.outcomes] == ["unchanged", "unchanged", "failed"]
    assert first.failed == second.failed == 1


def test_same_content_under_two_names_is_one_document(tmp_path: Path) -> None:
    copy = tmp_path / "copy.pdf"
    copy.write_bytes(SHEET_LIBREOFFICE.read_bytes())
    db = tmp_path / "dup.duckdb"
    ingest([str(SHEET_LIBREOFFICE)], db=str(db))
    summary = ingest([str(copy)], db=str(db))
    assert [o.status for o in summary.outcomes] == ["unchanged"]
    assert fetch(db, "SELECT count(*) FROM documents")[0][0] == 1
    assert fetch_dicts(db, "SELECT source_path FROM documents")[0]["source_path"] == str(SHEET_LIBREOFFICE)


def test_same_content_twice_in_one_run_is_read_once(tmp_path: Path) -> None:
    copy = tmp_path / "copy.pdf"
    copy.write_bytes(SHEET_REPORTLAB.read_bytes())
    db = tmp_path / "once.duckdb"
    summary = ingest([str(SHEET_REPORTLAB), str(copy)], db=str(db))
    assert sorted(o.status for o in summary.outcomes) == ["loaded_with_issues", "unchanged"]
    assert fetch(db, "SELECT count(*) FROM projects")[0][0] == 1
