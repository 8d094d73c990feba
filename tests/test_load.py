"""The transaction helper and the one document-status rule."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from warehouse import store
from warehouse.status import DOCUMENT_STATUSES, LIVE_STATUSES, decide_status

SHEET = "s" * 64


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
