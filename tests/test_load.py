"""One transaction per document load, the transaction helper, and the one document-status rule.

The story of the tests below: an evaluation sheet says 企業立地件数 was 6 in FY2021; a KPI
list says 7 (a cross-document warning on the list); a corrected list says 6 and
supersedes it. A crash anywhere in the corrected list's load must leave the warehouse as
it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from collections.abc import Iterator

import duckdb
import pytest

from hyoka.flows.runs import DocumentOutcome, load_result
from hyoka.flows.stages import DocumentResult
from hyoka.warehouse import crosscheck, editions, schema, store
from hyoka.warehouse.status import DOCUMENT_STATUSES, LIVE_STATUSES, decide_status

SHEET, WRONG, RIGHT = "s" * 64, "w" * 64, "r" * 64
TITLE = "第2期旭川市まち・ひと・しごと創生総合戦略 KPI一覧"


def result(doc_id: str, tables: dict[str, list[dict[str, Any]]], **fields: Any) -> DocumentResult:
    """A document as the stages hand it to `load_result` (no issues of its own)."""
    document = {"document_id": doc_id, "municipality": "旭川市", "page_count": 1, "error": None,
                "status": decide_status(0, 0), "record_count": 1, "error_count": 0, "warning_count": 0, **fields}
    return DocumentResult(f"{doc_id[0]}.pdf", document, tables, [])


def sheet() -> DocumentResult:
    return result(SHEET, {
        "projects": [{"project_code": "121101"}],
        "project_indicators": [{"project_code": "121101", "level": "施策", "indicator_name": "企業立地件数",
                                "fiscal_year": 2021, "kind": "実績", "value": 6.0, "value_text": "6", "page": 1}],
    }, template="asahikawa_jimujigyo_sheet", results_fiscal_year=2021)


def kpi_list(doc_id: str, value: float) -> DocumentResult:
    return result(doc_id, {
        "strategy_kpis": [{"kpi_id": "g1-x", "kpi_name": "企業立地件数", "page": 1}],
        "strategy_kpi_values": [{"kpi_id": "g1-x", "slot": "実績値", "status": "value", "value": value,
                                 "value_text": f"{value:g}", "ref_fiscal_year_start": 2021,
                                 "ref_fiscal_year_end": 2021, "page": 1}],
    }, template="asahikawa_strategy_kpi_list", title=TITLE, results_fiscal_year=2022)


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table that holds documents' rows."""
    return {name: con.execute(f"SELECT * FROM {schema.quote_ident(name)} ORDER BY ALL").fetchall()
            for name in schema.DOCUMENT_TABLES}


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A warehouse with the sheet and the wrong KPI list loaded (the list warned against the sheet)."""
    con = store.connect(tmp_path / "w.duckdb")
    load_result(con, sheet())
    load_result(con, kpi_list(WRONG, 7.0))
    yield con
    con.close()


def test_a_cross_document_warning_is_in_the_outcome(con: duckdb.DuckDBPyConnection) -> None:
    """The wrong list came with no issue of its own; the check against the sheet gave it one."""
    again = load_result(con, kpi_list(WRONG, 7.0))  # idempotent: the same load, the same outcome
    assert again == DocumentOutcome("w.pdf", "loaded_with_issues", records=2, errors=0, warnings=1, pages=1)
    assert con.execute("SELECT status, error_count, warning_count FROM documents WHERE document_id = ?",
                       [WRONG]).fetchone() == ("loaded_with_issues", 0, 1)


def test_a_corrected_list_supersedes_and_clears_the_warning(con: duckdb.DuckDBPyConnection) -> None:
    outcome = load_result(con, kpi_list(RIGHT, 6.0))
    assert outcome == DocumentOutcome("r.pdf", "loaded", records=2, errors=0, warnings=0, pages=1)
    status = dict(con.execute("SELECT document_id, status FROM documents").fetchall())
    assert status == {SHEET: "loaded", WRONG: "superseded", RIGHT: "loaded"}
    # the superseded list keeps its rows and its warning (history); it is simply not live
    assert con.execute("SELECT count(*) FROM validation_issues WHERE document_id = ?", [WRONG]).fetchone() == (1,)


def boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("crash in the middle of a load")


@pytest.mark.parametrize("where", ["cross-check", "superseding", "re-check of others"])
def test_a_crash_in_the_middle_of_a_load_leaves_nothing(con: duckdb.DuckDBPyConnection,
                                                        monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    before = snapshot(con)
    inserted: list[int] = []

    def crash_after_insert(con: duckdb.DuckDBPyConnection, document_id: str, **_: object) -> int:
        # the corrected list's rows are in (in the open transaction) when the check crashes
        inserted.append(con.execute("SELECT count(*) FROM strategy_kpi_values WHERE document_id = ?",
                                    [document_id]).fetchone()[0])
        raise RuntimeError("crash in the middle of a load")

    if where == "cross-check":
        monkeypatch.setattr(crosscheck, "record_cross_document_issues", crash_after_insert)
    elif where == "superseding":  # the crash while deciding which earlier file it supersedes
        real = editions.superseded_by
        monkeypatch.setattr(editions, "superseded_by", lambda con, doc: real(con, doc) + [boom()])
    else:  # the earlier list is superseded, the sheet's warning is being re-checked
        monkeypatch.setattr(editions, "recheck_related", boom)
    with pytest.raises(RuntimeError, match="crash in the middle"):
        load_result(con, kpi_list(RIGHT, 6.0))
    assert inserted == ([1] if where == "cross-check" else [])
    after = snapshot(con)
    assert after == before  # the documents table, the rows, the warnings: all as they were
    for name in schema.DOCUMENT_TABLES:
        assert con.execute(f"SELECT count(*) FROM {schema.quote_ident(name)} WHERE document_id = ?",
                           [RIGHT]).fetchone() == (0,), name
    # the connection is usable (no transaction left open) and the same load then goes through
    monkeypatch.undo()
    assert load_result(con, kpi_list(RIGHT, 6.0)).status == "loaded"
    assert store.document_status(con, WRONG) == "superseded"


# ---- the transaction helper -------------------------------------------------------------


def test_transaction_commits_or_rolls_back(tmp_path: Path) -> None:
    con = store.connect(tmp_path / "t.duckdb")
    other = con.cursor()  # a second connection to the same database: sees only what is committed

    def paths(c: duckdb.DuckDBPyConnection) -> list[str]:
        return [r[0] for r in c.execute("SELECT path FROM file_cache ORDER BY 1").fetchall()]

    def remember(path: str) -> None:
        store.remember_files(con, [{"path": path, "size": 1, "mtime_ns": 1, "document_id": "x" * 64}])

    with store.transaction(con):
        remember("a")
        remember("b")  # joins the open transaction
        assert paths(other) == []  # nothing is committed before the outermost block ends
    assert paths(other) == ["a", "b"]

    for error in (RuntimeError("x"), KeyboardInterrupt()):
        with pytest.raises(type(error)):
            with store.transaction(con):
                remember("c")
                with store.transaction(con):
                    remember("d")
                raise error
        assert paths(con) == ["a", "b"]  # the inner block's rows went with the outer one

    with store.transaction(con):  # no transaction was left open
        remember("e")
    assert paths(other) == ["a", "b", "e"]
    other.close()
    con.close()


# ---- the document-status rule -----------------------------------------------------------


@pytest.mark.parametrize(
    ("errors", "warnings", "failed", "superseded", "expected"),
    [
        (0, 0, False, False, "loaded"),
        (1, 0, False, False, "loaded_with_issues"),
        (0, 1, False, False, "loaded_with_issues"),  # a warning asks a person to look too
        (2, 3, False, False, "loaded_with_issues"),
        (0, 0, False, True, "superseded"),
        (4, 1, False, True, "superseded"),
        (0, 0, True, False, "failed"),
        (1, 1, True, True, "failed"),
    ],
)
def test_decide_status(errors: int, warnings: int, failed: bool, superseded: bool, expected: str) -> None:
    assert decide_status(errors, warnings, failed=failed, superseded=superseded) == expected
    assert expected in DOCUMENT_STATUSES
    assert (expected in LIVE_STATUSES) == (not failed and not superseded)


def test_load_document_default_status_follows_the_rule() -> None:
    """A document loaded with warnings only is `loaded_with_issues`, as the stages decide it."""
    con = store.connect(":memory:")
    warning = {"page": 1, "table_name": "projects", "record_key": "k", "check_name": "c",
               "severity": "warning", "message": "m"}
    store.load_document(con, {"document_id": SHEET}, {"projects": [{"project_code": "1"}]}, [warning])
    assert store.document_status(con, SHEET) == "loaded_with_issues"
    con.close()


def test_a_failed_insert_in_a_transaction_raises_its_own_error(tmp_path: Path) -> None:
    """DuckDB aborts the transaction on a failed insert and then refuses any statement: the error
    the caller sees is the insert's (a value out of range), not that refusal."""
    import pyarrow as pa

    con = store.connect(tmp_path / "t.duckdb")
    con.execute("CREATE TABLE small (n INTEGER)")
    with pytest.raises(duckdb.ConversionException, match="3000000000"):
        with store.transaction(con):
            store._insert(con, "small", pa.table({"n": pa.array([3_000_000_000], type=pa.int64())}))
    assert con.execute("SELECT count(*) FROM small").fetchone() == (0,)
    con.close()
