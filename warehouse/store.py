"""Opening the DuckDB warehouse and loading documents into it. All SQL lives here and
in `hyoka.warehouse.schema`.

The loader takes plain dicts (the `as_row()` of the extractor records, plus the
document row and the issues): it never imports the extractors.

    con = connect("data/hyoka.duckdb", on_wait=print)
    load_document(con, document, {"projects": [...], "project_budgets": [...]}, issues)
    con.close()

Every write is one transaction (`transaction`); writes inside another `transaction` of
the same connection join it, so a caller can make several of them one
(`hyoka.warehouse.load.load_document_with_checks`).

DuckDB lets only one process open a database file for writing (and while it does, no
other process can open it at all). `connect` waits for the lock with backoff and raises
`WarehouseLocked` with a message saying what to do when it does not get it in time.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, UTC
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from hyoka.warehouse import schema
from hyoka.warehouse.status import DOCUMENT_STATUSES, FAILED, SUPERSEDED, decide_status
from hyoka.warehouse.views import ALL_VIEWS
from hyoka.warehouse.schema import quote_ident

if TYPE_CHECKING:  # pyarrow costs half a second to import: only a load needs it
    import pyarrow as pa

__all__ = [
    "WarehouseLocked",
    "ContractError",
    "connect",
    "transaction",
    "ensure_schema",
    "document_status",
    "document_states",
    "cached_files",
    "remember_files",
    "load_document",
    "record_failure",
    "delete_document",
    "table_columns",
    "query",
    "DOCUMENT_STATUSES",
    "SEVERITIES",
]

SEVERITIES = ("error", "warning")


class WarehouseLocked(Exception):
    """Another process holds the DuckDB file and did not let go in time."""

    def __init__(self, message: str, *, path: Path, holder: str | None = None):
        super().__init__(message)
        self.path = path
        self.holder = holder


class ContractError(ValueError):
    """A row does not fit its table: unknown column, wrong type, wrong document id, …"""


# --------------------------------------------------------------------------------------
# Connecting
# --------------------------------------------------------------------------------------

_LOCK_PATTERNS = ("could not set lock", "conflicting lock", "resource temporarily unavailable")


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(p in text for p in _LOCK_PATTERNS)


def _lock_holder(exc: BaseException) -> str | None:
    """'python3.11 (PID 1234)' from DuckDB's lock message, when it says."""
    m = re.search(r"Conflicting lock is held in (.+?) \(PID (\d+)\)", str(exc))
    if not m:
        return None
    return f"{Path(m.group(1)).name}, PID {m.group(2)}"


def connect(
    path: str | Path,
    *,
    read_only: bool = False,
    wait_seconds: float = 60.0,
    on_wait: Callable[[str], None] | None = None,
    check_schema: bool = True,
    quiet_seconds: float = 0.0,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, waiting up to `wait_seconds` while another process holds it.

    `on_wait(message)` is called once, when the file has been found locked for
    `quiet_seconds` (0: at the first attempt). Parent folders are created and the schema
    ensured unless `read_only`; `check_schema=False` skips `ensure_schema` (for the many
    short connections of one ingest run, which ensures it once at its start).
    """
    memory = str(path) == ":memory:"
    path = Path(path) if not memory else Path(":memory:")
    if not memory:
        if read_only and not path.exists():
            raise FileNotFoundError(
                f"warehouse {path} does not exist: load some documents first "
                "(read-only connections cannot create it)"
            )
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)

    start = time.monotonic()
    deadline = start + max(0.0, wait_seconds)
    delay = 0.05
    told = False
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            if not _is_lock_error(exc):
                raise
            holder = _lock_holder(exc)
            who = f" ({holder})" if holder else ""
            now = time.monotonic()
            if now >= deadline:
                raise WarehouseLocked(
                    f"The warehouse {path} is locked by another process{who}; still locked "
                    f"after waiting {now - start:.1f}s. DuckDB lets only one process open "
                    "a database file while it is being written. Wait for the other hyoka "
                    "run to finish, or close whatever else has the file open (a DuckDB CLI, "
                    "a notebook, a BI tool), then retry; or allow a longer wait "
                    "(wait_seconds).",
                    path=path,
                    holder=holder,
                ) from exc
            if not told and now - start >= quiet_seconds:
                told = True
                if on_wait is not None:
                    on_wait(
                        f"The warehouse {path} is in use by another process{who}, probably "
                        "another hyoka run loading documents; waiting for it up to "
                        f"{wait_seconds:g}s (--wait)…"
                    )
            time.sleep(min(delay, max(0.0, deadline - now)))
            delay = min(delay * 2, 1.0)

    if not read_only and check_schema:
        try:
            ensure_schema(con)
        except BaseException:
            con.close()
            raise
    return con


# --------------------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------------------


# A warehouse remembers the fingerprint of the schema last ensured in it, as a macro (the
# catalog's one object that is neither a table nor a view, so no listing of relations
# shows it): a file whose fingerprint is this hyoka's, with every table and view there,
# needs none of the hundreds of statements below, which cost a few tenths of a second.
SCHEMA_FINGERPRINT_MACRO = "hyoka_schema_fingerprint"


def _views_and_comments() -> list[str]:
    """What `ensure_schema` runs once the tables are there: the views, then every comment."""
    statements = [view.create_sql() for view in ALL_VIEWS]
    statements += [stmt for table in schema.TABLES for stmt in table.comment_sql()]
    statements += [stmt for view in ALL_VIEWS for stmt in view.comment_sql()]
    return statements


@lru_cache(maxsize=1)
def schema_fingerprint() -> str:
    """A hash of every statement `ensure_schema` runs (tables, columns, views, comments)."""
    import hashlib

    statements = [table.create_sql() for table in schema.TABLES] + _views_and_comments()
    return hashlib.sha256("\x1f".join(statements).encode("utf-8")).hexdigest()[:32]


def schema_is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether this hyoka ensured the schema of this file, and every table and view is still there."""
    try:
        row = con.execute(f"SELECT {SCHEMA_FINGERPRINT_MACRO}()").fetchone()
    except duckdb.Error:  # no such macro: a new file, or one of an older hyoka
        return False
    if row is None or row[0] != schema_fingerprint():
        return False
    expected = {table.name for table in schema.TABLES} | {view.name for view in ALL_VIEWS}
    present = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' UNION ALL "
        "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'"
    ).fetchall()
    return expected <= {name for (name,) in present}


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create missing tables (and add columns missing from older files), recreate the
    views and (re)apply every comment. Idempotent; one transaction; nothing to do (one
    query) when the file's schema is this hyoka's (`schema_is_current`)."""
    if schema_is_current(con):
        return
    with transaction(con):
        existing = _existing_columns(con)
        for table in schema.TABLES:
            con.execute(table.create_sql())
            have = existing.get(table.name)
            if have is None:
                continue
            for col in table.columns:
                if col.name not in have:
                    con.execute(
                        f"ALTER TABLE {quote_ident(table.name)} "
                        f"ADD COLUMN {quote_ident(col.name)} {col.type}"
                    )
        for stmt in _views_and_comments():
            con.execute(stmt)
        con.execute(f"CREATE OR REPLACE MACRO {SCHEMA_FINGERPRINT_MACRO}() AS '{schema_fingerprint()}'")


def _existing_columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    rows = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = current_schema() "
        "AND NOT internal"
    ).fetchall()
    out: dict[str, set[str]] = {}
    for table, column in rows:
        out.setdefault(table, set()).add(column)
    return out


def table_columns(table: str) -> list[str]:
    """The columns of a warehouse table, in order (KeyError for an unknown table)."""
    return schema.table_columns(table)


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------


def document_status(con: duckdb.DuckDBPyConnection, document_id: str) -> str | None:
    """The status of a document in the warehouse, or None when it was never loaded."""
    row = con.execute(
        "SELECT status FROM documents WHERE document_id = ?", [document_id]
    ).fetchone()
    return row[0] if row else None


def document_states(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str | None, str | None]]:
    """Every document's (status, error, hyoka_version), by document id: what an ingest run
    needs to decide, without parsing, which files are already done."""
    rows = con.execute("SELECT document_id, status, error, hyoka_version FROM documents").fetchall()
    return {doc_id: (status, error, version) for doc_id, status, error, version in rows}


def cached_files(con: duckdb.DuckDBPyConnection, paths: Iterable[str]) -> dict[str, tuple[int, int, str]]:
    """`file_cache` entries of these paths: path -> (size, mtime_ns, document_id)."""
    wanted = list(paths)
    if not wanted:
        return {}
    rows = con.execute(
        "SELECT path, size, mtime_ns, document_id FROM file_cache WHERE path IN (SELECT unnest(?::VARCHAR[]))",
        [wanted],
    ).fetchall()
    return {path: (size, mtime_ns, doc_id) for path, size, mtime_ns, doc_id in rows}


def query(
    con: duckdb.DuckDBPyConnection, sql: str, params: Any = None
) -> tuple[list[str], list[tuple]]:
    """Run any SQL; return (column names, rows). For the CLI."""
    cur = con.execute(sql, params) if params is not None else con.execute(sql)
    if cur.description is None:
        return [], []
    columns = [d[0] for d in cur.description]
    return columns, cur.fetchall()


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


def load_document(
    con: duckdb.DuckDBPyConnection,
    document: Mapping[str, Any],
    tables: Mapping[str, Iterable[Mapping[str, Any]]],
    issues: Iterable[Mapping[str, Any]] = (),
) -> None:
    """Replace everything the warehouse holds about one document, in one transaction.

    `document` is the documents row (document_id required). `tables` maps a record
    table name (projects, project_budgets, …, pages) to its rows; `issues` are
    validation_issues rows. Rows need not carry document_id (it is filled in); a key
    that is not a column of its table raises ContractError; missing columns are NULL.

    Documents-row defaults when the caller leaves them out: error_count and
    warning_count from the issues, record_count = rows of all record tables except
    pages, status as `hyoka.warehouse.status.decide_status` decides it from those counts,
    ingested_at = now (UTC), hyoka_version = the installed hyoka version.
    """
    doc_id = _document_id(document)
    unknown = set(tables) - set(schema.RECORD_TABLES)
    if unknown:
        hint = ""
        if "validation_issues" in unknown:
            hint = " (pass validation issues through the `issues` argument)"
        elif "documents" in unknown:
            hint = " (the documents row is the `document` argument)"
        raise ContractError(
            f"load_document got rows for unknown table(s) {sorted(unknown)}{hint}; "
            f"record tables are: {', '.join(schema.RECORD_TABLES)}"
        )

    # Prepare (and check) everything before touching the database.
    prepared: dict[str, list[dict[str, Any]]] = {}
    for name in schema.RECORD_TABLES:
        if name in tables:
            prepared[name] = _prepare_rows(name, tables[name], doc_id)
    issue_rows = _prepare_rows("validation_issues", issues, doc_id)
    for row in issue_rows:
        if row.get("severity") not in SEVERITIES:
            raise ContractError(
                f"validation_issues: severity must be one of {SEVERITIES}, "
                f"got {row.get('severity')!r} (check {row.get('check_name')!r})"
            )
    prepared["validation_issues"] = issue_rows

    doc_row = dict(document)
    if doc_row.get("error_count") is None:
        doc_row["error_count"] = sum(r["severity"] == "error" for r in issue_rows)
    if doc_row.get("warning_count") is None:
        doc_row["warning_count"] = sum(r["severity"] == "warning" for r in issue_rows)
    if doc_row.get("record_count") is None:
        doc_row["record_count"] = sum(
            len(v) for k, v in prepared.items() if k not in ("pages", "validation_issues")
        )
    if doc_row.get("status") is None:
        doc_row["status"] = decide_status(doc_row["error_count"], doc_row["warning_count"])
    _check_status(doc_row["status"])
    doc_rows = _prepare_rows("documents", [_document_defaults(doc_row)], doc_id)

    arrow = {name: _to_arrow(name, rows) for name, rows in prepared.items() if rows}
    arrow["documents"] = _to_arrow("documents", doc_rows)

    with transaction(con):
        _delete_document_rows(con, doc_id)
        _insert(con, "documents", arrow["documents"])
        for name in schema.DOCUMENT_TABLES:
            if name != "documents" and name in arrow:
                _insert(con, name, arrow[name])


def replace_issues(
    con: duckdb.DuckDBPyConnection, document_id: str, check_name: str, issues: Iterable[Mapping[str, Any]]
) -> None:
    """Replace one document's issues of one check (e.g. a cross-document check run after
    loading) and bring its documents row's counts and status in step. One transaction."""
    rows = _prepare_rows("validation_issues", issues, document_id)
    table = _to_arrow("validation_issues", rows) if rows else None
    with transaction(con):
        con.execute(
            "DELETE FROM validation_issues WHERE document_id = ? AND check_name = ?", [document_id, check_name]
        )
        if table is not None:
            _insert(con, "validation_issues", table)
        found = con.execute(
            """
            SELECT count(*) FILTER (WHERE v.severity = 'error'), count(*) FILTER (WHERE v.severity = 'warning'),
                   any_value(d.status)
            FROM documents AS d LEFT JOIN validation_issues AS v USING (document_id)
            WHERE d.document_id = ?
            """,
            [document_id],
        ).fetchone()
        if found is None or found[2] is None:
            return  # no documents row to bring in step
        errors, warnings, status = found
        status = decide_status(errors, warnings, failed=status == FAILED, superseded=status == SUPERSEDED)
        con.execute(
            "UPDATE documents SET error_count = ?, warning_count = ?, status = ? WHERE document_id = ?",
            [errors, warnings, status, document_id],
        )


def record_failure(con: duckdb.DuckDBPyConnection, document: Mapping[str, Any]) -> None:
    """Mark a document as failed: its documents row gets status 'failed' (and the
    caller's `error`), every other row of that document is deleted. One transaction."""
    doc_id = _document_id(document)
    doc_row = dict(document)
    doc_row["status"] = decide_status(failed=True)
    for key in ("record_count", "error_count", "warning_count"):
        if doc_row.get(key) is None:
            doc_row[key] = 0
    rows = _prepare_rows("documents", [_document_defaults(doc_row)], doc_id)
    table = _to_arrow("documents", rows)
    with transaction(con):
        _delete_document_rows(con, doc_id)
        _insert(con, "documents", table)


def remember_files(con: duckdb.DuckDBPyConnection, entries: Iterable[Mapping[str, Any]]) -> None:
    """Record files in `file_cache` (keys path, size, mtime_ns, document_id; seen_at is
    now), replacing earlier entries of the same paths. One transaction."""
    seen_at = datetime.now(UTC).replace(tzinfo=None)
    rows = [{**entry, "seen_at": entry.get("seen_at") or seen_at} for entry in entries]
    if not rows:
        return
    for row in rows:
        extra = set(row) - set(schema.table_columns("file_cache"))
        if extra:
            raise ContractError(f"file_cache has no column(s) {sorted(extra)}")
    table = _to_arrow("file_cache", rows)
    with transaction(con):
        con.execute(
            "DELETE FROM file_cache WHERE path IN (SELECT unnest(?::VARCHAR[]))", [[r["path"] for r in rows]]
        )
        _insert(con, "file_cache", table)


def delete_document(con: duckdb.DuckDBPyConnection, document_id: str) -> None:
    """Remove a document and all its rows from every table. One transaction."""
    with transaction(con):
        _delete_document_rows(con, document_id)


# --------------------------------------------------------------------------------------
# Transactions
# --------------------------------------------------------------------------------------

# Connections (by id) inside a `transaction` now: DuckDB cannot nest transactions, so an
# inner `transaction` joins the outer one instead of beginning its own.
_OPEN: set[int] = set()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction around the block: committed when it ends, rolled back when anything
    is raised (a Ctrl-C too), then re-raised.

    Inside another `transaction` of the same connection the block joins that one: the
    outermost commits or rolls back everything. (An exception caught inside the outer block
    does not undo what the inner block wrote: DuckDB has no savepoints.)
    """
    key = id(con)
    if key in _OPEN:
        yield
        return
    con.execute("BEGIN TRANSACTION")
    _OPEN.add(key)
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        _rollback(con)
        raise
    finally:
        _OPEN.discard(key)


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass  # the transaction may already be gone (e.g. the connection was closed)


# --------------------------------------------------------------------------------------
# Internals
# --------------------------------------------------------------------------------------


def _delete_document_rows(con: duckdb.DuckDBPyConnection, doc_id: str) -> None:
    # Children first, documents last. Cross-document issues *of other documents* that
    # point here through related_document_id are left alone: they belong to those loads.
    # A document without its documents row has no rows anywhere (they are written in one
    # transaction): one query then spares a DELETE per table, most of a new document's load.
    if con.execute("SELECT 1 FROM documents WHERE document_id = ?", [doc_id]).fetchone() is None:
        return
    for name in reversed(schema.DOCUMENT_TABLES):
        con.execute(f"DELETE FROM {quote_ident(name)} WHERE document_id = ?", [doc_id])


def _insert(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table) -> None:
    """Bulk insert an Arrow table that has exactly the table's columns."""
    # DuckDB finds the rows by the name of this local (its replacement scan of Python
    # objects): no view to register and drop, a third of an insert's cost. The name is one
    # no table of the warehouse has (a table of that name would be read instead).
    hyoka_rows_to_insert = data  # noqa: F841 - read by name in the query
    con.execute(f"INSERT INTO {quote_ident(table)} BY NAME SELECT * FROM hyoka_rows_to_insert")


def _document_id(document: Mapping[str, Any]) -> str:
    doc_id = document.get("document_id")
    if not isinstance(doc_id, str) or not doc_id:
        raise ContractError(f"the document row needs a non-empty string document_id, got {doc_id!r}")
    return doc_id


def _check_status(status: Any) -> None:
    if status not in DOCUMENT_STATUSES:
        raise ContractError(f"documents.status must be one of {DOCUMENT_STATUSES}, got {status!r}")


def _document_defaults(row: dict[str, Any]) -> dict[str, Any]:
    if row.get("ingested_at") is None:
        row["ingested_at"] = datetime.now(UTC).replace(tzinfo=None)
    if row.get("hyoka_version") is None:
        row["hyoka_version"] = _hyoka_version()
    return row


@lru_cache(maxsize=1)
def _hyoka_version() -> str | None:
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("hyoka")
    except (ImportError, PackageNotFoundError):
        return None


def _prepare_rows(
    table: str, rows: Iterable[Mapping[str, Any]], doc_id: str
) -> list[dict[str, Any]]:
    """Copy rows, fill document_id and check their keys are columns of `table`."""
    columns = schema.get_table(table).column_names
    allowed = set(columns)
    out: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise ContractError(f"{table} row {i}: expected a dict, got {type(row).__name__}")
        extra = set(row) - allowed
        if extra:
            raise ContractError(
                f"{table} row {i} has key(s) {sorted(extra)} that are not columns of table "
                f"{table!r}. Add them to warehouse/schema.py (with comments) or drop them "
                f"from the record. Columns: {', '.join(columns)}"
            )
        new = dict(row)
        given = new.get("document_id")
        if given is None:
            new["document_id"] = doc_id
        elif given != doc_id:
            raise ContractError(
                f"{table} row {i} has document_id {given!r} but is loaded with document {doc_id!r}"
            )
        out.append(new)
    return out


def _arrow_type(duck_type: str) -> pa.DataType:
    import pyarrow as pa

    t = duck_type.upper()
    if t.endswith("[]"):
        return pa.list_(_arrow_type(t[:-2]))
    return {
        "VARCHAR": pa.string(),
        "INTEGER": pa.int64(),  # DuckDB casts (and range-checks) on insert
        "BIGINT": pa.int64(),
        "DOUBLE": pa.float64(),
        "BOOLEAN": pa.bool_(),
        "TIMESTAMP": pa.timestamp("us"),
    }[t]


def _normalize(value: Any, duck_type: str) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None  # NaN from pandas means "missing": store NULL
    t = duck_type.upper()
    if t.endswith("[]"):
        if isinstance(value, (str, bytes)):
            raise TypeError(f"expected a list, got {value!r}")
        return [_normalize(v, t[:-2]) for v in value]
    if t == "TIMESTAMP":
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        elif isinstance(value, date) and not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day)
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value
    if t in ("INTEGER", "BIGINT"):
        if isinstance(value, float):
            if not value.is_integer():
                raise TypeError(f"expected an integer, got {value!r}")
            return int(value)
        if isinstance(value, str):
            raise TypeError(f"expected an integer, got the string {value!r}")
    if t == "DOUBLE" and isinstance(value, (str, bool)):
        raise TypeError(f"expected a number, got {value!r}")
    if t == "VARCHAR" and not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__} {value!r}")
    return value


# Column types whose values Arrow converts (and refuses) exactly as `_normalize` would, but
# for booleans among doubles (Arrow takes them as 0 and 1) and floats among integers
# (Arrow truncates 1.5 to 1): those go value by value
_PLAIN_TYPES = frozenset({"VARCHAR", "DOUBLE", "INTEGER", "BIGINT", "BOOLEAN"})


def _plain_array(values: list[Any], duck_type: str, typ: pa.DataType) -> pa.Array | None:
    """The column as Arrow converts it at C speed, or None when it needs `_normalize` (or is wrong)."""
    import pyarrow as pa

    upper = duck_type.upper()
    if upper not in _PLAIN_TYPES:
        return None
    if upper == "DOUBLE" and any(type(v) is bool for v in values):
        return None
    if upper in ("INTEGER", "BIGINT") and any(type(v) is float for v in values):
        return None
    try:
        return pa.array(values, type=typ, from_pandas=True)
    except (TypeError, ValueError, pa.ArrowException):
        return None


def _to_arrow(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    """An Arrow table with exactly the columns of `table`, in order; absent keys are NULL."""
    import pyarrow as pa

    arrays = []
    fields = []
    for col in schema.get_table(table).columns:
        typ = _arrow_type(col.type)
        name = col.name
        values = [r.get(name) for r in rows]
        array = _plain_array(values, col.type, typ)
        if array is None:  # anything Arrow does not take as is: normalized value by value
            try:
                array = pa.array([_normalize(v, col.type) for v in values], type=typ, from_pandas=True)
            except (TypeError, ValueError, pa.ArrowException) as exc:
                raise ContractError(f"{table}.{col.name} ({col.type}): {exc}") from exc
        arrays.append(array)
        fields.append(pa.field(col.name, typ))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))
