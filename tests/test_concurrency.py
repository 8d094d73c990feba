"""Analysts while an ingest runs, and where documents are parsed (threads, processes, Dask).

DuckDB lets one process open a file being written. The ingest flow opens the warehouse
only briefly (per document), so `hyoka sql` from another process gets in between; when it
does find the file held it says so and waits, and so does `hyoka ingest`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import KPI_LIST, SHEET_LIBREOFFICE, SHEET_REPORTLAB, fetch
from flows.ingest import ingest
from warehouse import store

ENV = {**os.environ, "COLUMNS": "100"}

# another process that holds the warehouse like a hyoka run does: open for writing, and
# let go once the file `release` exists (or after `seconds`)
HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from warehouse import store
    con = store.connect(sys.argv[1])
    print("holding", flush=True)
    release, deadline = Path(sys.argv[2]), time.monotonic() + float(sys.argv[3])
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    con.close()
    """
)


def hold(db: Path, release: Path, seconds: float = 60.0) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), str(release), str(seconds)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding", holder.stderr.read()
    return holder


def sql(db: Path, query: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "hyoka", "sql", query, "--db", str(db), "--format", "csv", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)


def test_sql_answers_while_an_ingest_runs(tmp_path: Path) -> None:
    """Two processes: a long ingest, and analysts' queries that keep coming while it runs.

    The ingest records the file in `file_cache` before it parses it, and loads the document
    at the end: an answer that sees the file but not yet the document came mid-run.
    """
    from synth.sheets import make_book

    db = tmp_path / "busy.duckdb"
    store.connect(db).close()  # the warehouse exists (empty) before the run
    book = tmp_path / "book.pdf"
    make_book(book, 10, seed=7)  # one document of 20 pages: seconds of parsing
    run = subprocess.Popen(
        [sys.executable, "-m", "hyoka", "ingest", str(book), "--db", str(db), "--no-report"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
    )
    query = "SELECT (SELECT count(*) FROM file_cache) AS seen, (SELECT count(*) FROM documents) AS loaded"
    answers: list[tuple[bool, str]] = []  # (the ingest still running when it answered, the answer)
    try:
        deadline = time.monotonic() + 240
        while run.poll() is None and time.monotonic() < deadline:
            asked = sql(db, query, "--wait", "120")
            out, err = asked.communicate(timeout=180)
            assert asked.returncode == 0, err
            assert "error" not in err.lower(), err
            answers.append((run.poll() is None, out.splitlines()[1]))
            time.sleep(0.3)  # analysts, not a busy loop: leave the cores to the ingest
        out, err = run.communicate(timeout=240)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode == 0, err
    # answers came while the document was being parsed, not only once the run was over
    assert (True, "1,0") in answers, answers
    assert {answer for _, answer in answers} <= {"0,0", "1,0", "1,1"}
    # and afterwards they see the document
    final = sql(db, "SELECT count(*) AS n FROM documents WHERE status LIKE 'loaded%'")
    assert final.communicate(timeout=120)[0].splitlines() == ["n", "1"]


def test_sql_waits_for_a_writer_then_answers(tmp_path: Path) -> None:
    db = tmp_path / "held.duckdb"
    store.connect(db).close()
    release = tmp_path / "release"
    holder = hold(db, release)
    try:
        query = sql(db, "SELECT count(*) AS n FROM documents", "--wait", "30")
        said = query.stderr.readline()  # it says it waits (and keeps waiting) …
        time.sleep(0.5)
        assert query.poll() is None
        release.touch()  # … until the other run lets go; then it answers
        out, err = query.communicate(timeout=120)
    finally:
        release.touch()
        holder.wait(timeout=30)
    assert query.returncode == 0, said + err
    assert out.splitlines() == ["n", "0"]
    assert "in use by another process" in said and "another hyoka run" in said and "up to 30s" in said, said


def test_sql_gives_up_after_its_wait(tmp_path: Path) -> None:
    db = tmp_path / "held.duckdb"
    store.connect(db).close()
    holder = hold(db, tmp_path / "release", 10.0)
    try:
        query = sql(db, "SELECT 1", "--wait", "0.5")
        _, err = query.communicate(timeout=120)
    finally:
        holder.kill()
        holder.wait()
    assert query.returncode == 2
    assert "still locked" in err and "Traceback" not in err


def test_ingest_waits_for_a_writer_too(tmp_path: Path) -> None:
    db = tmp_path / "held.duckdb"
    store.connect(db).close()
    release = tmp_path / "release"
    holder = hold(db, release)
    messages: list[str] = []

    def on_wait(message: str) -> None:
        messages.append(message)
        release.touch()  # told it waits: now the other run lets go

    try:
        summary = ingest([str(SHEET_REPORTLAB)], db=str(db), on_wait=on_wait, wait_seconds=60, report=False)
    finally:
        release.touch()
        holder.wait(timeout=30)
    assert summary.failed == 0 and summary.parsed == 1
    assert len(messages) == 1 and "another hyoka run" in messages[0] and "up to 60s" in messages[0]


# --------------------------------------------------------------------------------------
# Task runners: the same rows whichever runs the tasks
# --------------------------------------------------------------------------------------

TABLES = ("projects", "project_budgets", "project_indicators", "strategy_kpi_values", "validation_issues")


def rows(db: Path) -> dict[str, list[tuple]]:
    out = {"documents": fetch(db, "SELECT document_id, status, record_count FROM documents ORDER BY 1")}
    for table in TABLES:
        out[table] = sorted(fetch(db, f"SELECT * FROM {table}"), key=repr)
    return out


@pytest.fixture(scope="module")
def by_thread(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("threads") / "thread.duckdb"
    summary = ingest([str(SHEET_LIBREOFFICE), str(KPI_LIST)], db=str(db), runner="thread", report=False)
    assert summary.runner == "thread" and summary.parsed == 2
    return db


def test_process_runner(by_thread: Path, tmp_path: Path) -> None:
    db = tmp_path / "process.duckdb"
    summary = ingest([str(SHEET_LIBREOFFICE), str(KPI_LIST)], db=str(db), runner="process", workers=2, report=False)
    assert (summary.runner, summary.parsed, summary.failed) == ("process", 2, 0)
    assert rows(db) == rows(by_thread)


def test_process_runner_with_one_document_parses_in_the_flow(tmp_path: Path) -> None:
    summary = ingest([str(SHEET_REPORTLAB)], db=str(tmp_path / "one.duckdb"), runner="process", report=False)
    assert summary.runner == "thread" and summary.parsed == 1  # no pool to start for a single document


def test_dask_runner_on_a_local_cluster(by_thread: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("prefect_dask")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        db = tmp_path / "dask.duckdb"
        summary = ingest([str(SHEET_LIBREOFFICE), str(KPI_LIST)], db=str(db), runner="dask",
                         dask_address=cluster.scheduler_address, report=False)
    assert (summary.runner, summary.parsed, summary.failed) == ("dask", 2, 0)
    assert rows(db) == rows(by_thread)


def test_unknown_runner_is_refused(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from hyoka.cli import app

    result = CliRunner().invoke(app, ["ingest", str(SHEET_REPORTLAB), "--db", str(tmp_path / "x.duckdb"), "--runner", "spark"])
    assert result.exit_code == 2 and "unknown runner 'spark'" in result.output
