"""Books of many sheets: pages grouped by content; and re-ingesting changes nothing.

The re-ingest tests run the whole run (`run_ingest`, in this process, as `hyoka ingest` runs it
without a Prefect server; the Prefect flow is this run with its batches read as tasks):
skipping what the warehouse holds is the run's own work, not one of its stages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from conftest import SHEET_LIBREOFFICE, SHEET_REPORTLAB, fetch, fetch_dicts
from hyoka.flows.engine import run_ingest
from hyoka.flows.runs import IngestSettings
from hyoka.extractors.pdf_input import sha256_hex
from hyoka.extractors.registry import extract_pdf
from hyoka.flows.runs import IngestSummary
from pdf_factory import book, text_pdf
from hyoka.schemas.validate import complete_findings


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
    skipped = [i for i in complete_findings(extraction.issues) if i.check_name == "page_skipped"]
    assert [(i.page, i.severity) for i in skipped] == [(3, "warning")]
    assert "unknown template" in (skipped[0].message or "")
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


@dataclass
class Runs:
    """Three runs of the real `ingest` flow on one warehouse, and what it held after each."""

    db: Path
    copy_of_reportlab: Path  # the reportlab sheet's bytes under another name, in the first two runs
    copy_of_libreoffice: Path  # the LibreOffice sheet's bytes under another name, in the third run only
    first: IngestSummary
    second: IngestSummary
    third: IngestSummary
    after_first: dict[str, list[tuple]]
    after_second: dict[str, list[tuple]]
    after_third: dict[str, list[tuple]]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """The same files ingested twice (a broken one and a same-content copy among them), then a renamed copy."""
    folder = tmp_path_factory.mktemp("idempotence")
    db = folder / "idem.duckdb"
    broken = folder / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 not really")
    copy_rl, copy_lo = folder / "copy-rl.pdf", folder / "copy-lo.pdf"
    copy_rl.write_bytes(SHEET_REPORTLAB.read_bytes())
    copy_lo.write_bytes(SHEET_LIBREOFFICE.read_bytes())
    files = [str(SHEET_LIBREOFFICE), str(SHEET_REPORTLAB), str(broken), str(copy_rl)]
    # threads: which runner parses is tested in test_concurrency; here it is the run's bookkeeping
    first = run_ingest(files, IngestSettings(db=str(db), runner="thread", report=False))
    after_first = _snapshot(db)
    second = run_ingest(files, IngestSettings(db=str(db), runner="thread", report=False))
    after_second = _snapshot(db)
    third = run_ingest([str(copy_lo)], IngestSettings(db=str(db), runner="thread", report=False))
    return Runs(db, copy_rl, copy_lo, first, second, third, after_first, after_second, _snapshot(db))


def test_ingesting_the_same_files_again_changes_no_table(runs: Runs) -> None:
    assert runs.after_first["projects"] and runs.after_first["documents"]
    assert runs.after_second == runs.after_first
    assert [o.status for o in runs.second.outcomes] == ["unchanged", "unchanged", "failed", "unchanged"]
    assert runs.second.parsed == 0
    assert runs.first.failed == runs.second.failed == 1


def test_same_content_twice_in_one_run_is_read_once(runs: Runs) -> None:
    assert [o.status for o in runs.first.outcomes] == ["loaded_with_issues", "loaded_with_issues", "failed", "unchanged"]
    assert runs.first.parsed == 3  # not the copy
    reportlab = sha256_hex(SHEET_REPORTLAB.read_bytes())
    assert fetch(runs.db, "SELECT count(*) FROM projects WHERE document_id = ?", [reportlab]) == [(1,)]
    assert fetch(runs.db, "SELECT source_path FROM documents WHERE document_id = ?", [reportlab]) == [
        (str(SHEET_REPORTLAB),)]
    assert fetch(runs.db, "SELECT count(*) FROM documents") == [(3,)]


def test_same_content_under_two_names_is_one_document(runs: Runs) -> None:
    assert [o.status for o in runs.third.outcomes] == ["unchanged"]
    assert runs.third.parsed == 0
    libreoffice = sha256_hex(SHEET_LIBREOFFICE.read_bytes())
    assert fetch_dicts(runs.db, "SELECT source_path FROM documents WHERE document_id = ?", [libreoffice]) == [
        {"source_path": str(SHEET_LIBREOFFICE)}]
    # the new name is remembered in the file cache; no table of documents changed
    assert {t: rows for t, rows in runs.after_third.items() if t != "file_cache"} == {
        t: rows for t, rows in runs.after_second.items() if t != "file_cache"}
    cached = fetch(runs.db, "SELECT document_id FROM file_cache WHERE path = ?", [str(runs.copy_of_libreoffice.resolve())])
    assert cached == [(libreoffice,)]
