"""The DuckDB warehouse: schema, comments, transactional loads, locking."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from dataclasses import fields
from datetime import datetime

import pytest

from hyoka.warehouse import schema, store
from hyoka.warehouse.store import ContractError, WarehouseLocked

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]")
ASCII_LETTERS = re.compile(r"[A-Za-z]")

DOC_ID = "a" * 64
OTHER_ID = "b" * 64


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "nested" / "hyoka.duckdb"


@pytest.fixture
def con(db_path):
    c = store.connect(db_path)
    yield c
    c.close()


def make_document(doc_id: str = DOC_ID, **over) -> dict:
    doc = {
        "document_id": doc_id,
        "source_path": f"/data/{doc_id[:4]}.pdf",
        "file_name": f"{doc_id[:4]}.pdf",
        "file_size": 123_456,
        "doc_type": "jimujigyo_sheet",
        "template": "sheet_v1",
        "municipality": "サンプル市",
        "title": "令和5年度 事務事業評価シート",
        "results_fiscal_year": 2023,
        "page_count": 2,
        "ingested_at": datetime(2024, 5, 1, 12, 30, 0),
        "hyoka_version": "0.1.0",
    }
    doc.update(over)
    return doc


def make_tables(code: str = "121101", n_budget_years: int = 2) -> dict[str, list[dict]]:
    budgets = []
    for i in range(n_budget_years):
        budgets.append(
            {
                "project_code": code,
                "fiscal_year": 2022 + i,
                "stage": "決算",
                "label": f"R{4 + i}決算",
                "total_cost": 1200.0 + i,
                "national": None,  # blank cell: must stay NULL
                "prefecture": 0.0,  # printed 0: must stay 0
                "municipal_bonds": None,
                "tax_allocation_pct": None,
                "other": 200,
                "general_revenue": 1000.0,
                "page": 1,
                "bbox": [10.0, 20.5, 300.0, 40.25],
                "raw_text": "1,200 － 0",
            }
        )
    return {
        "pages": [
            {"page": 1, "template": "sheet_v1", "page_role": "sheet_page1", "project_code": code,
             "status": "read", "note": None, "bbox": (0.0, 0.0, 595.0, 842.0), "raw_text": ""},
            {"page": 2, "template": "sheet_v1", "page_role": "sheet_page2", "project_code": code,
             "status": "read", "note": None, "bbox": None, "raw_text": "２ページ"},
        ],
        "projects": [
            {"project_code": code, "project_code_raw": f"No.{code}", "project_name": "子育て支援事業",
             "summary": "概要", "start_fiscal_year": 2008, "first_page": 1, "last_page": 2,
             "page": 1, "bbox": (1.5, 2.5, 3.5, 4.5), "raw_text": "子育て支援事業"},
        ],
        "project_budgets": budgets,
        "project_staffing": [
            {"project_code": code, "fiscal_year": 2023, "label": "R5", "regular_staff": 1.5,
             "fiscal_year_staff": None, "page": 1, "bbox": None, "raw_text": "1.5"},
        ],
        "project_reform_viewpoints": [
            {"project_code": code, "viewpoint_no": 1, "viewpoint": "民間活用", "selected": True,
             "mark": "○", "page": 2},
            {"project_code": code, "viewpoint_no": 2, "viewpoint": "統廃合", "selected": False,
             "mark": "", "page": 2},
        ],
        "project_evaluations": [
            {"project_code": code, "evaluator": "1次", "issues": "課題", "direction": "継続",
             "page": 2},
        ],
        "project_indicators": [
            {"project_code": code, "level": "事業", "indicator_no": 1, "indicator_name": "利用者数",
             "unit": "人", "baseline": None, "fiscal_year": 2023, "kind": "実績", "value": 0.0,
             "value_text": "0", "achievement_rate": None, "page": 1},
        ],
    }


def make_issues() -> list[dict]:
    return [
        {"page": 1, "table_name": "project_budgets", "record_key": "121101/2023", "column_name": "total_cost",
         "check_name": "budget_sum", "severity": "error", "message": "内訳の合計が事業費と一致しない",
         "raw_value": "1,200", "bbox": (10.0, 20.0, 30.0, 40.0)},
        {"page": None, "table_name": "projects", "record_key": "121101", "column_name": None,
         "check_name": "missing_policy", "severity": "warning", "message": "施策名がない"},
    ]


def snapshot(con) -> dict[str, list[tuple]]:
    out = {}
    for t in schema.TABLES:
        cols = ", ".join(schema.quote_ident(c) for c in t.column_names)
        out[t.name] = sorted(
            con.execute(f"SELECT {cols} FROM {schema.quote_ident(t.name)}").fetchall(), key=repr
        )
    return out


def count(con, table: str, doc_id: str | None = None) -> int:
    if doc_id is None:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return con.execute(f"SELECT count(*) FROM {table} WHERE document_id = ?", [doc_id]).fetchone()[0]


# --------------------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------------------


def test_schema_creation_is_idempotent(db_path):
    con = store.connect(db_path)
    store.load_document(con, make_document(), make_tables(), make_issues())
    before = snapshot(con)
    store.ensure_schema(con)
    store.ensure_schema(con)
    con.close()
    con = store.connect(db_path)  # ensure_schema again on an existing file
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert tables == {t.name for t in schema.TABLES}
        views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        assert "document_summary" in views
        assert snapshot(con) == before
        for t in schema.TABLES:  # column order in the file is the schema's
            got = [r[0] for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
                [t.name]).fetchall()]
            assert got == t.column_names
    finally:
        con.close()


def test_every_table_and_column_has_a_bilingual_comment(con):
    rows = con.execute(
        "SELECT table_name, comment FROM duckdb_tables() UNION ALL "
        "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal"
    ).fetchall()
    assert {r[0] for r in rows} >= {t.name for t in schema.TABLES} | {"document_summary"}
    for name, comment in rows:
        assert comment and JAPANESE.search(comment) and ASCII_LETTERS.search(comment), (name, comment)
        assert " / " in comment, (name, comment)

    cols = con.execute(
        "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE NOT internal"
    ).fetchall()
    expected = {(t.name, c) for t in schema.TABLES for c in t.column_names}
    assert expected <= {(t, c) for t, c, _ in cols}
    for table, column, comment in cols:
        assert comment, (table, column)
        assert JAPANESE.search(comment) and ASCII_LETTERS.search(comment), (table, column, comment)
        ja, _, en = comment.partition(" / ")
        assert JAPANESE.search(ja) and ASCII_LETTERS.search(en), (table, column, comment)


CONTRACT_PREFIX = {
    "documents": ["document_id", "source_path", "file_name", "file_size", "doc_type", "template",
                  "municipality", "title", "results_fiscal_year", "page_count", "status", "error",
                  "record_count", "error_count", "warning_count", "ingested_at", "hyoka_version"],
    "pages": ["document_id", "page", "template", "page_role", "project_code", "status", "note", "bbox",
              "raw_text"],
    "projects": ["document_id", "project_code", "project_name", "summary", "start_fiscal_year",
                 "legal_basis", "related_plans", "similar_services", "reference_cases", "outputs_text",
                 "policy_code", "policy_name", "pledge_no", "pledge_title", "first_page"],
    "project_budgets": ["document_id", "project_code", "fiscal_year", "stage", "total_cost", "national",
                        "prefecture", "municipal_bonds", "tax_allocation_pct", "other", "general_revenue",
                        "label", "page", "bbox", "raw_text"],
    "project_staffing": ["document_id", "project_code", "fiscal_year", "regular_staff",
                         "fiscal_year_staff", "label", "page", "bbox", "raw_text"],
    "project_reform_viewpoints": ["document_id", "project_code", "viewpoint_no", "viewpoint", "selected",
                                  "mark", "page", "bbox", "raw_text"],
    "project_evaluations": ["document_id", "project_code", "evaluator", "issues", "direction",
                            "expected_effect", "comment", "title", "page", "bbox", "raw_text"],
    "project_indicators": ["document_id", "project_code", "level", "indicator_name", "unit", "baseline",
                           "fiscal_year", "kind", "value", "value_text", "achievement_rate",
                           "progress_text", "indicator_no", "baseline_text", "column_label",
                           "achievement_text", "page", "bbox", "raw_text"],
    # added with the 池田市 template (issue 6): long tables every template fills
    "project_budget_sources": ["document_id", "project_code", "fiscal_year", "stage", "source", "source_label",
                               "amount", "amount_text", "part_of", "total_cost", "label", "page", "bbox",
                               "raw_text", "blank_is_zero"],
    "project_budget_items": ["document_id", "project_code", "fiscal_year", "stage", "item_name", "amount",
                             "item_no", "amount_text", "label", "page", "bbox", "raw_text"],
    "project_sdgs": ["document_id", "project_code", "goal_no", "goal_label", "mark", "page", "bbox", "raw_text"],
    # issue 13: a city's own fields, by their label as printed
    "project_extra_fields": ["document_id", "project_code", "label", "value_text", "page", "bbox", "raw_text"],
    "strategy_kpis": ["document_id", "kpi_id", "goal_no", "goal_title", "item_label", "item_title",
                      "sub_item_no", "sub_item_title", "kpi_name", "kpi_remark", "unit", "department",
                      "page", "row_no", "is_placeholder", "bbox", "raw_text"],
    "strategy_kpi_values": ["document_id", "kpi_id", "slot", "column_fiscal_year", "value", "value_text",
                            "ref_fiscal_year_start", "ref_fiscal_year_end", "aggregation", "status",
                            "note", "column_label", "annotation", "page", "bbox", "raw_text"],
    "validation_issues": ["document_id", "page", "table_name", "record_key", "column_name", "check_name",
                          "severity", "message", "raw_value", "bbox", "related_document_id"],
    # issue 5: the ingest's file-content cache (not a document table)
    "file_cache": ["path", "size", "mtime_ns", "document_id", "seen_at"],
}


def test_table_columns_keep_the_published_contract():
    assert [t.name for t in schema.TABLES] == list(CONTRACT_PREFIX)
    for table, prefix in CONTRACT_PREFIX.items():
        cols = store.table_columns(table)
        assert cols[: len(prefix)] == prefix, table
        assert len(cols) == len(set(cols)), table
    assert store.table_columns("projects")[15:30] == [
        "project_code_raw", "start_text", "outputs_header", "outcome_header", "policy_note",
        "policy_purpose", "vision_title", "vision_text", "strategy_policy_text", "strategy_vision_text",
        "footer_text", "last_page", "page", "bbox", "raw_text"]
    # columns added later come after the published ones, never between them
    assert store.table_columns("projects")[30:34] == [
        "department", "sheet_no", "period_start_fiscal_year", "period_end_fiscal_year"]
    assert store.table_columns("project_budgets")[15:] == [
        "national_prefecture", "beneficiary_burden", "beneficiary_burden_pct", "revenue_total"]
    # issue 13: an indicator's basis and group (京都, 神戸); a full breakdown, staff by job type (神戸)
    assert store.table_columns("project_indicators")[-2:] == ["target_basis", "indicator_group"]
    assert store.table_columns("project_budget_items")[-3:] == ["part_of", "total_cost", "adds_up"]
    assert store.table_columns("project_staffing")[-3:] == ["job_type", "staff", "total_staff"]
    for table in ("pages", "project_budgets", "validation_issues"):
        assert schema.get_table(table).column("bbox").type == "DOUBLE[]"
    with pytest.raises(KeyError, match="unknown warehouse table"):
        store.table_columns("nope")


def test_extractor_records_match_their_tables(con):
    """Every as_row() key is a column and every column (but document_id) has a field."""
    records = pytest.importorskip("hyoka.extractors.records")
    assert set(schema.TABLE_FOR_RECORD) == {
        "ProjectRecord", "BudgetRecord", "StaffingRecord", "ReformViewpointRecord", "EvaluationRecord",
        "IndicatorRecord", "StrategyKpiRecord", "StrategyKpiValueRecord", "PageRecord",
        "BudgetSourceRecord", "BudgetItemRecord", "SdgRecord", "ExtraFieldRecord"}
    tables: dict[str, list[dict]] = {}
    for record_name, table in schema.TABLE_FOR_RECORD.items():
        cls = getattr(records, record_name)
        row = cls(page=1, bbox=(1.0, 2.0, 3.0, 4.0)).as_row()
        assert set(row) <= set(store.table_columns(table)), (record_name, set(row) - set(store.table_columns(table)))
        assert set(store.table_columns(table)) - set(row) == {"document_id"}, record_name
        tables[table] = [row]
    issue = records.IssueRecord(page=1, table_name="projects", record_key="k", column_name=None,
                                check_name="c", severity="warning", message="m", bbox=(1, 2, 3, 4))
    issue_row = {f.name: getattr(issue, f.name) for f in fields(issue) if f.name != "detail"}  # detail is in message
    store.load_document(con, make_document(), tables, [issue_row])
    for table in tables:
        assert count(con, table, DOC_ID) == 1, table
    budget = con.execute("SELECT total_cost, national, label FROM project_budgets").fetchone()
    assert budget == (None, None, "")


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------


def test_load_document_inserts_rows_and_keeps_nulls(con):
    store.load_document(con, make_document(), make_tables(), make_issues())

    assert store.document_status(con, DOC_ID) == "loaded_with_issues"
    assert store.document_status(con, OTHER_ID) is None
    doc = con.execute(
        "SELECT file_size, results_fiscal_year, record_count, error_count, warning_count, ingested_at, error "
        "FROM documents WHERE document_id = ?", [DOC_ID]).fetchone()
    # record_count: every record table but pages (1 project + 2 budgets + 1 + 2 + 1 + 1)
    assert doc == (123_456, 2023, 8, 1, 1, datetime(2024, 5, 1, 12, 30), None)

    assert count(con, "pages", DOC_ID) == 2
    assert count(con, "project_budgets", DOC_ID) == 2
    assert count(con, "validation_issues", DOC_ID) == 2
    rows = con.execute(
        "SELECT fiscal_year, total_cost, national, prefecture, municipal_bonds, other, label "
        "FROM project_budgets ORDER BY fiscal_year").fetchall()
    assert rows[0] == (2022, 1200.0, None, 0.0, None, 200.0, "R4決算")
    nulls = con.execute("SELECT count(*) FROM project_budgets WHERE national IS NULL").fetchone()[0]
    assert nulls == 2
    assert con.execute("SELECT count(*) FROM project_budgets WHERE national = 0").fetchone()[0] == 0
    # columns the rows did not mention are NULL
    assert con.execute("SELECT legal_basis, policy_code FROM projects").fetchone() == (None, None)
    assert con.execute(
        "SELECT baseline, value, achievement_rate FROM project_indicators").fetchone() == (None, 0.0, None)
    assert con.execute(
        "SELECT viewpoint_no, selected FROM project_reform_viewpoints ORDER BY 1").fetchall() == [
        (1, True), (2, False)]
    # every row got the document id
    assert con.execute("SELECT count(*) FROM pages WHERE document_id IS NULL").fetchone()[0] == 0

    types = dict(con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'project_budgets'").fetchall())
    assert types["total_cost"] == "DOUBLE" and types["bbox"] == "DOUBLE[]"

    summary_cols, summary = store.query(
        con, "SELECT * FROM document_summary WHERE document_id = ?", [DOC_ID])
    s = dict(zip(summary_cols, summary[0]))
    assert s["status"] == "loaded_with_issues"
    assert (s["page_count"], s["page_rows"], s["projects"], s["budgets"], s["errors"], s["warnings"]) == (
        2, 2, 1, 2, 1, 1)
    assert s["kpis"] == 0


def test_status_defaults_and_nan_becomes_null(con):
    tables = make_tables()
    tables["project_budgets"][0]["national"] = float("nan")
    store.load_document(con, make_document(), tables, [])
    assert store.document_status(con, DOC_ID) == "loaded"
    assert con.execute(
        "SELECT count(*) FROM project_budgets WHERE national IS NULL").fetchone()[0] == 2
    store.load_document(con, make_document(status="loaded_with_issues"), tables, [])
    assert store.document_status(con, DOC_ID) == "loaded_with_issues"


def test_bbox_lists_round_trip(con):
    tables = make_tables()
    store.load_document(con, make_document(), tables, make_issues())
    pages = con.execute("SELECT page, bbox FROM pages ORDER BY page").fetchall()
    assert pages == [(1, [0.0, 0.0, 595.0, 842.0]), (2, None)]
    assert con.execute("SELECT bbox FROM projects").fetchone()[0] == [1.5, 2.5, 3.5, 4.5]
    assert con.execute("SELECT bbox FROM project_budgets LIMIT 1").fetchone()[0] == [10.0, 20.5, 300.0, 40.25]
    assert con.execute("SELECT bbox[2] FROM project_budgets LIMIT 1").fetchone()[0] == 20.5  # 1-based
    issues = con.execute("SELECT check_name, bbox FROM validation_issues ORDER BY check_name").fetchall()
    assert issues == [("budget_sum", [10.0, 20.0, 30.0, 40.0]), ("missing_policy", None)]


def test_reloading_the_same_document_replaces_it(con):
    store.load_document(con, make_document(OTHER_ID), make_tables("999999"), [])
    store.load_document(con, make_document(), make_tables(), make_issues())
    first = snapshot(con)
    store.load_document(con, make_document(), make_tables(), make_issues())
    assert snapshot(con) == first  # identical, ingested_at included

    # a new version of the document with fewer rows replaces, not appends
    store.load_document(con, make_document(), make_tables(n_budget_years=1), [])
    assert count(con, "project_budgets", DOC_ID) == 1
    assert count(con, "validation_issues", DOC_ID) == 0
    assert count(con, "documents") == 2
    # the other document is untouched
    assert count(con, "project_budgets", OTHER_ID) == 2
    assert count(con, "pages", OTHER_ID) == 2


def test_unknown_key_raises_and_keeps_the_previous_state(con):
    store.load_document(con, make_document(), make_tables(), make_issues())
    before = snapshot(con)
    tables = make_tables(n_budget_years=3)
    tables["project_indicators"][0]["not_a_column"] = 1
    with pytest.raises(ContractError, match=r"project_indicators.*not_a_column.*not columns"):
        store.load_document(con, make_document(), tables, [])
    assert snapshot(con) == before

    with pytest.raises(ContractError, match="unknown table"):
        store.load_document(con, make_document(), {"budgets": []}, [])
    with pytest.raises(ContractError, match="documents.*bogus|bogus"):
        store.load_document(con, make_document(bogus=1), make_tables(), [])
    with pytest.raises(ContractError, match=r"project_budgets\.fiscal_year"):
        bad = make_tables()
        bad["project_budgets"][0]["fiscal_year"] = "令和5年度"
        store.load_document(con, make_document(), bad, [])
    with pytest.raises(ContractError, match="severity"):
        store.load_document(con, make_document(), make_tables(), [{"severity": "fatal", "message": "x"}])
    with pytest.raises(ContractError, match="document_id"):
        bad = make_tables()
        bad["projects"][0]["document_id"] = OTHER_ID
        store.load_document(con, make_document(), bad, [])
    assert snapshot(con) == before


def test_failure_mid_load_rolls_back(con, monkeypatch):
    store.load_document(con, make_document(), make_tables(), make_issues())
    before = snapshot(con)

    real_insert = store._insert
    inserted: list[str] = []

    def flaky_insert(c, table, data):
        if table == "project_indicators":
            raise RuntimeError("disk on fire")
        inserted.append(table)
        real_insert(c, table, data)

    monkeypatch.setattr(store, "_insert", flaky_insert)
    with pytest.raises(RuntimeError, match="disk on fire"):
        store.load_document(con, make_document(title="新しい版"), make_tables(n_budget_years=3), [])
    assert "documents" in inserted and "project_budgets" in inserted  # it really was mid-load
    assert snapshot(con) == before

    # a first load that fails leaves nothing at all
    with pytest.raises(RuntimeError):
        store.load_document(con, make_document(OTHER_ID), make_tables(), [])
    assert store.document_status(con, OTHER_ID) is None
    assert count(con, "pages", OTHER_ID) == 0

    # the connection is usable afterwards (no transaction left open)
    monkeypatch.setattr(store, "_insert", real_insert)
    store.load_document(con, make_document(title="新しい版"), make_tables(n_budget_years=3), [])
    assert count(con, "project_budgets", DOC_ID) == 3


def test_record_failure_writes_a_failed_row_and_clears_rows(con):
    store.load_document(con, make_document(OTHER_ID), make_tables(), [])
    store.load_document(con, make_document(), make_tables(), make_issues())
    store.record_failure(con, make_document(error="PDFSyntaxError: broken xref"))
    assert store.document_status(con, DOC_ID) == "failed"
    row = con.execute(
        "SELECT status, error, record_count, file_name FROM documents WHERE document_id = ?", [DOC_ID]).fetchone()
    assert row == ("failed", "PDFSyntaxError: broken xref", 0, "aaaa.pdf")
    for t in schema.TABLES:
        if t.name != "documents":
            assert count(con, t.name, DOC_ID) == 0, t.name
    assert count(con, "pages", OTHER_ID) == 2
    # recording twice is fine, and a new document can be recorded as failed directly
    store.record_failure(con, make_document(error="again"))
    store.record_failure(con, {"document_id": "c" * 64, "file_name": "c.pdf", "error": "not a PDF"})
    assert store.document_status(con, "c" * 64) == "failed"
    assert count(con, "documents") == 3
    summary = dict(store.query(con, "SELECT document_id, status FROM document_summary")[1])
    assert summary[DOC_ID] == "failed"


def test_query_returns_columns_and_rows(con):
    cols, rows = store.query(con, "SELECT 1 AS a, 'x' AS b")
    assert cols == ["a", "b"] and rows == [(1, "x")]
    assert store.query(con, "SELECT ? AS p", [5]) == (["p"], [(5,)])


def test_read_only_connect(db_path):
    with pytest.raises(FileNotFoundError):
        store.connect(db_path, read_only=True)
    store.connect(db_path).close()
    ro = store.connect(db_path, read_only=True)
    try:
        assert store.document_status(ro, DOC_ID) is None
    finally:
        ro.close()


# --------------------------------------------------------------------------------------
# Locking across processes
# --------------------------------------------------------------------------------------

# holds the warehouse open until the file `release` exists (the deadline only bounds a test that forgot it)
HOLDER = textwrap.dedent(
    """
    import sys, time, duckdb
    from pathlib import Path
    con = duckdb.connect(sys.argv[1])
    con.execute("SELECT count(*) FROM documents").fetchone()
    print("ready", flush=True)
    release, deadline = Path(sys.argv[2]), time.monotonic() + 900
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    con.close()
    """
)


def test_connect_waits_for_another_process_then_raises_or_succeeds(db_path):
    store.connect(db_path).close()  # create the file and schema
    release = db_path.parent / "release"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db_path), str(release)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready", holder.stderr.read()

        # a short wait gives up (the holder holds until released) with a message saying
        # which file and what to do
        with pytest.raises(WarehouseLocked) as exc:
            store.connect(db_path, wait_seconds=0.3)
        msg = str(exc.value)
        assert str(db_path) in msg and "another process" in msg and "retry" in msg
        assert f"PID {holder.pid}" in msg
        assert exc.value.path == db_path
        assert holder.poll() is None  # it gave up on its own: the holder still holds

        # a long enough wait succeeds once the holder closes; on_wait is told once, while
        # the file is still held (the holder lets go only once told)
        waits: list[str] = []

        def on_wait(message: str) -> None:
            waits.append(message)
            release.touch()

        con = store.connect(db_path, wait_seconds=600, on_wait=on_wait)
        try:
            assert len(waits) == 1 and str(db_path) in waits[0]
            store.load_document(con, make_document(), make_tables(), [])
            assert store.document_status(con, DOC_ID) == "loaded"
        finally:
            con.close()
        assert holder.wait(timeout=600) == 0
    finally:
        release.touch()
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        holder.stdout.close()
        holder.stderr.close()


def test_connect_without_contention_does_not_call_on_wait(db_path):
    waits: list[str] = []
    store.connect(db_path, on_wait=waits.append).close()
    assert waits == []
