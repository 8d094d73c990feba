"""Loading one document as the ingest does: its rows, its checks against the other
documents and its edition, in one transaction.

    loaded = load_document_with_checks(con, document, tables, issues)
    loaded.status, loaded.errors, loaded.warnings, loaded.superseded

A crash (or Ctrl-C) anywhere in between leaves the warehouse as it was before: none of the
document's rows, no half-recorded cross-document warning, no file marked superseded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb

from hyoka.warehouse import crosscheck, editions, store

__all__ = ["LoadedDocument", "load_document_with_checks"]


@dataclass(frozen=True)
class LoadedDocument:
    """What the warehouse holds of a document once it is loaded and checked."""

    status: str  # as hyoka.warehouse.status.decide_status decided it, cross-document warnings included
    errors: int
    warnings: int
    superseded: list[str] = field(default_factory=list)  # the earlier files this one re-issues


def load_document_with_checks(
    con: duckdb.DuckDBPyConnection,
    document: Mapping[str, Any],
    tables: Mapping[str, Iterable[Mapping[str, Any]]],
    issues: Iterable[Mapping[str, Any]] = (),
) -> LoadedDocument:
    """Load a document (`store.load_document`), check it against the other documents of its
    municipality (`crosscheck`) and let it supersede an earlier file of the same edition
    (`editions.after_load`), all in one transaction."""
    issues = list(issues)
    # the rows just loaded replace all the document's issues: a cross-document warning is
    # there only when the caller passed one
    had_none = not any(issue.get("check_name") == crosscheck.CHECK_NAME for issue in issues)
    with store.transaction(con):  # the three steps below join it
        store.load_document(con, document, tables, issues)
        document_id = document["document_id"]  # load_document has checked it
        crosscheck.record_cross_document_issues(con, document_id, had_none=had_none)
        superseded = editions.after_load(con, document_id)
        row = con.execute(
            "SELECT status, error_count, warning_count FROM documents WHERE document_id = ?", [document_id]
        ).fetchone()
    assert row is not None  # loaded in this very transaction
    status, errors, warnings = row
    return LoadedDocument(status, errors, warnings, superseded)
