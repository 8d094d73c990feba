"""`current_*` views: what analysts query by default counts every project-year once.

The sample sheet is loaded in two renderings of the same edition: the second supersedes
the first, whose rows stay in the base tables (history) and in no `current_*` view.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from conftest import SHEET_LIBREOFFICE, SHEET_REPORTLAB, fetch
from hyoka.extractors.pdf_input import sha256_hex
from hyoka.warehouse import schema
from hyoka.warehouse.status import LIVE_STATUSES
from hyoka.warehouse.views import CURRENT_VIEWS

SUPERSEDED_DOC = sha256_hex(SHEET_LIBREOFFICE.read_bytes())
LIVE_DOC = sha256_hex(SHEET_REPORTLAB.read_bytes())


def test_the_fixture_holds_a_superseded_copy(sheet_warehouse: Path) -> None:
    status = dict(fetch(sheet_warehouse, "SELECT document_id, status FROM documents"))
    assert status[SUPERSEDED_DOC] == "superseded" and status[LIVE_DOC] in LIVE_STATUSES


def test_budgets_count_each_project_year_once(sheet_warehouse: Path) -> None:
    base = fetch(sheet_warehouse, "SELECT count(*), sum(total_cost), count(DISTINCT document_id) FROM project_budgets")[0]
    current = fetch(sheet_warehouse, "SELECT count(*), sum(total_cost), count(DISTINCT document_id) FROM current_project_budgets")[0]
    assert base[2] == 2 and current[2] == 1  # the base table keeps both copies
    assert base[0] == 2 * current[0] and base[1] == 2 * current[1]
    assert current[0] > 0 and current[1] > 0
    twice = fetch(sheet_warehouse, "SELECT project_code, fiscal_year, stage FROM current_project_budgets "
                                   "GROUP BY ALL HAVING count(*) > 1")
    assert twice == []
    assert fetch(sheet_warehouse, "SELECT DISTINCT document_id FROM current_project_budgets") == [(LIVE_DOC,)]


def test_every_document_table_has_a_current_view_of_its_live_rows(sheet_warehouse: Path) -> None:
    tables = [t for t in schema.TABLES if t.name != schema.FILE_CACHE.name]
    assert [v.name for v in CURRENT_VIEWS] == [f"current_{t.name}" for t in tables]
    con = duckdb.connect(str(sheet_warehouse), read_only=True)
    try:
        for table in tables:
            view = f"current_{table.name}"
            columns = [d[0] for d in con.execute(f"SELECT * FROM {view} LIMIT 0").description]
            assert columns == table.column_names, view
            expected = con.execute(
                f"SELECT count(*) FROM {table.name} AS t JOIN documents AS d USING (document_id) "
                "WHERE d.status IN (SELECT unnest($s))", {"s": list(LIVE_STATUSES)}).fetchone()[0]
            got = con.execute(f"SELECT count(*), count(*) FILTER (WHERE document_id = ?) FROM {view}",
                              [SUPERSEDED_DOC]).fetchone()
            assert got == (expected, 0), view
        assert con.execute("SELECT document_id FROM current_documents").fetchall() == [(LIVE_DOC,)]
        assert con.execute("SELECT count(*) FROM current_projects").fetchone() == (1,)
        assert con.execute("SELECT count(*) FROM projects").fetchone() == (2,)
    finally:
        con.close()


@pytest.mark.parametrize("status, live", [("loaded", True), ("loaded_with_issues", True), ("superseded", False), ("failed", False)])
def test_one_definition_of_live(status: str, live: bool) -> None:
    """The history views, `hyoka changes` and the current views agree on what counts."""
    from hyoka.warehouse import store

    con = store.connect(":memory:")
    try:
        store.load_document(con, {"document_id": "a" * 64, "municipality": "旭川市", "results_fiscal_year": 2022,
                                  "template": "asahikawa_jimujigyo_sheet"},
                            {"projects": [{"project_code": "121101", "project_name": "x"}],
                             "project_budgets": [{"project_code": "121101", "fiscal_year": 2022, "stage": "決算",
                                                  "total_cost": 100.0, "page": 1}]})
        con.execute("UPDATE documents SET status = ?", [status])
        counts = [con.execute(f"SELECT count(*) FROM {v}").fetchone()[0]
                  for v in ("current_documents", "current_project_budgets", "project_identity", "project_budget_history")]
        assert counts == [1, 1, 1, 1] if live else counts == [0, 0, 0, 0]
    finally:
        con.close()
