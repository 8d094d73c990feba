"""SIGKILL at any point of an ingest: the warehouse opens, no document is partial, a re-run converges.

The run is held at a gate (the test's wrapper around `hyoka ingest` patches one function
to write `reached` and wait), then killed with SIGKILL: no handler runs, nothing is
flushed, as when the machine's OOM killer or a power cut ends it. Kill points:

- parsing: a worker is reading the pages of a book (the run holds at its first page);
- loading: inside a document's load transaction (its documents row is written, its
  records not yet);
- between: a document is loaded and the next one not started.

The worker process that was reading goes away by itself once the run is gone.
"""

from __future__ import annotations

import os
import signal
import textwrap
from pathlib import Path

import pytest

from conftest import HANG, IKEDA_PDFS, fetch, finish, spawn, stop, wait_until
from pdf_factory import book
from hyoka.warehouse import schema

BOOK = "b-book.pdf"  # the file the run is held in while parsing

GATED_HYOKA = textwrap.dedent(
    f"""
    import sys, time
    from pathlib import Path
    point, reached = sys.argv[1], Path(sys.argv[2])

    def hold(note=""):
        if reached.exists():
            return
        written = reached.with_suffix(".tmp")  # then renamed: the test never reads a half-written note
        written.write_text(note)
        written.replace(reached)
        deadline = time.monotonic() + {HANG}  # only bounds a test that forgot to kill
        while time.monotonic() < deadline:
            time.sleep(0.05)

    if point == "parsing":
        from hyoka.flows import worker
        real_ask = worker.Worker.ask
        def ask(self, request, on_page=None):
            if request.opens or Path(request.path).name != {BOOK!r}:
                return real_ask(self, request, on_page)
            return real_ask(self, request, lambda n, t: hold(str(self.pid)))  # the run holds at the first page: the worker reads on
        worker.Worker.ask = ask
    elif point == "loading":
        from hyoka.warehouse import store
        real_insert = store._insert
        seen = []
        def insert(con, table, data):
            real_insert(con, table, data)
            seen.append(table)
            if table != "documents" and seen.count("documents") == 2:
                hold()  # the second document's row and some of its records, uncommitted
        store._insert = insert
    elif point == "between":
        from hyoka.flows.runs import Tally
        real_finish = Tally.finish
        def finish(self, path, outcome):
            real_finish(self, path, outcome)
            if outcome.status.startswith("loaded"):
                hold()
        Tally.finish = finish
    from hyoka.cli import main
    sys.argv = ["hyoka", *sys.argv[3:]]
    main()
    """
)


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four documents, one of them a book of three real sheets."""
    folder = tmp_path_factory.mktemp("sigkill") / "inbox"
    folder.mkdir()
    (folder / "a.pdf").write_bytes(IKEDA_PDFS[0].read_bytes())
    (folder / BOOK).write_bytes(book([(pdf, 1) for pdf in IKEDA_PDFS[1:4]]))
    (folder / "c.pdf").write_bytes(IKEDA_PDFS[4].read_bytes())
    (folder / "d.pdf").write_bytes(IKEDA_PDFS[5].read_bytes())
    return folder


def ingest(inbox: Path, db: Path) -> None:
    """The run that is not killed (in this process: the same engine as `hyoka ingest`, without its start-up)."""
    from hyoka.flows.engine import run_ingest
    from hyoka.flows.runs import IngestSettings

    summary = run_ingest([str(inbox)], IngestSettings(db=str(db), workers=1, report=False))
    assert summary.failed == 0, summary.outcomes


@pytest.fixture(scope="module")
def clean(inbox: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The warehouse of a run that nobody killed."""
    db = tmp_path_factory.mktemp("clean") / "clean.duckdb"
    ingest(inbox, db)
    return db


def tables(db: Path) -> dict[str, list[tuple]]:
    """Every table's rows, sorted, without the columns that say when (they differ from run to run)."""
    out: dict[str, list[tuple]] = {}
    for table in [*schema.DOCUMENT_TABLES, "file_cache"]:
        columns = [name for name, kind in fetch(db, "SELECT column_name, data_type FROM information_schema.columns "
                                                   "WHERE table_name = ? ORDER BY ordinal_position", [table])
                   if not kind.startswith("TIMESTAMP")]
        listed = ", ".join(f'"{c}"' for c in columns)
        out[table] = sorted(fetch(db, f'SELECT {listed} FROM "{table}"'), key=repr)
    return out


def partial_documents(db: Path) -> list[str]:
    """What is inconsistent between `documents` and the record tables (empty: every document is whole)."""
    problems: list[str] = []
    known = {doc_id for (doc_id,) in fetch(db, "SELECT document_id FROM documents")}
    counted = " + ".join(f'(SELECT count(*) FROM "{t}" r WHERE r.document_id = d.document_id)'
                         for t in schema.RECORD_TABLES if t != "pages")
    for doc_id, status, records, pages, issues, counted_records, counted_pages, counted_issues in fetch(db, f"""
            SELECT document_id, status, record_count, page_count, error_count + warning_count, {counted},
                   (SELECT count(*) FROM pages p WHERE p.document_id = d.document_id),
                   (SELECT count(*) FROM validation_issues v WHERE v.document_id = d.document_id)
            FROM documents d"""):
        if status == "failed":
            whole = counted_records == counted_pages == counted_issues == 0
        else:
            whole = (records, pages, issues) == (counted_records, counted_pages, counted_issues)
        if not whole:
            problems.append(f"{doc_id[:8]} {status}: documents says {(records, pages, issues)}, "
                            f"tables hold {(counted_records, counted_pages, counted_issues)}")
    for table in [*schema.RECORD_TABLES, "validation_issues"]:
        for (doc_id,) in fetch(db, f'SELECT DISTINCT document_id FROM "{table}"'):
            if doc_id not in known:
                problems.append(f"{table} holds rows of {doc_id[:8]}, which documents does not")
    return problems


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie waiting for its reaper does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.parametrize("point", ["parsing", "loading", "between"])
def test_sigkill_leaves_whole_documents_and_a_rerun_converges(point: str, inbox: Path, clean: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    reached = tmp_path / "reached"
    run = spawn(["-c", GATED_HYOKA, point, str(reached), "ingest", str(inbox), "--db", str(db), "--workers", "1",
                 "--no-report"])
    try:
        wait_until(reached.exists, f"the ingest reached the kill point ({point})", process=run)
        os.kill(run.pid, signal.SIGKILL)  # the run only: its worker must go by itself
        run.wait()
        if point == "parsing":
            worker = int(reached.read_text())
            wait_until(lambda: not alive(worker), "the worker to end after its run was killed")
        done = finish(run)
    finally:
        stop(run)
    assert done.returncode == -signal.SIGKILL
    assert partial_documents(db) == []
    loaded = [name for (name,) in fetch(db, "SELECT file_name FROM documents WHERE status LIKE 'loaded%'")]
    if point == "parsing":
        assert BOOK not in loaded
    else:  # killed while the second document was loaded, or after it: the first one is whole
        assert loaded == ["a.pdf"]
    ingest(inbox, db)
    assert partial_documents(db) == []
    assert tables(db) == tables(clean)
