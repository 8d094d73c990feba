"""Analysts while an ingest runs, and where documents are parsed (threads, processes, Dask).

DuckDB lets one process open a file being written. The ingest flow opens the warehouse
only briefly (per document), so `hyoka sql` from another process gets in between; when it
does find the file held it says so and waits, and so does `hyoka ingest`.

Nothing here depends on how fast anything runs: a process that holds the warehouse lets
go when the test creates a `release` file, and the ingest that analysts query is held at
a gate (after planning its run, before parsing) until the test has its answer.
"""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import HANG, KPI_LIST, SHEET_LIBREOFFICE, SHEET_REPORTLAB, fetch, finish, spawn, stop, wait_until
from hyoka.flows.engine import run_ingest
from hyoka.flows.runs import IngestSettings
from hyoka.cli import app
from hyoka.warehouse import store

ENV = {"COLUMNS": "100"}

# another process that holds the warehouse like a hyoka run does: open for writing, and
# let go once the file `release` exists (the deadline only bounds a test that forgot it)
HOLDER = textwrap.dedent(
    f"""
    import sys, time
    from pathlib import Path
    from hyoka.warehouse import store
    con = store.connect(sys.argv[1])
    print("holding", flush=True)
    release, deadline = Path(sys.argv[2]), time.monotonic() + {HANG}
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    con.close()
    """
)

# `hyoka ARGS` whose ingest stops at a gate once it has planned its run (the files it will
# parse are in `file_cache`, no document is loaded yet): it touches `reached`, then waits for
# `release`. The gate is the run's call of `read_and_load`, made with the warehouse closed,
# just before parsing starts (with or without Prefect: the flow runs the same run).
GATED_HYOKA = textwrap.dedent(
    f"""
    import sys, time
    from pathlib import Path
    import hyoka.flows.engine
    from hyoka.cli import main
    reached, release = Path(sys.argv[1]), Path(sys.argv[2])
    real = hyoka.flows.engine.read_and_load
    def gated(*args, **kwargs):
        reached.touch()
        deadline = time.monotonic() + {HANG}
        while not release.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return real(*args, **kwargs)
    hyoka.flows.engine.read_and_load = gated
    sys.argv = ["hyoka", *sys.argv[3:]]
    main()
    """
)


def hold(db: Path, release: Path) -> subprocess.Popen:
    """A process holding `db` open for writing until `release` exists (end it with `finish`)."""
    holder = spawn(["-c", HOLDER, str(db), str(release)])
    assert holder.stdout.readline().strip() == "holding", holder.stderr.read()
    return holder


def sql(db: Path, query: str, *extra: str) -> subprocess.Popen:
    """`hyoka sql QUERY --format csv` in another process."""
    return spawn(["-m", "hyoka", "sql", query, "--db", str(db), "--format", "csv", *extra], env=ENV)


def test_sql_answers_while_an_ingest_runs(tmp_path: Path) -> None:
    """Two processes: an ingest, held at its gate, and an analyst's query (`hyoka sql`, run in
    this process), which must answer.

    The ingest records the file in `file_cache` before it parses it, and loads the document
    at the end: an answer that sees the file but not yet the document came mid-run.
    """
    db = tmp_path / "busy.duckdb"
    store.connect(db).close()  # the warehouse exists (empty) before the run
    reached, release = tmp_path / "reached", tmp_path / "release"
    run = spawn(["-c", GATED_HYOKA, str(reached), str(release),  # (threads: the runners are tested below)
                 "ingest", str(SHEET_REPORTLAB), "--db", str(db), "--no-report", "--runner", "thread"],
                env=ENV)
    query = "SELECT (SELECT count(*) FROM file_cache) AS seen, (SELECT count(*) FROM documents) AS loaded"
    try:
        wait_until(reached.exists, "the ingest reached its gate", process=run)
        during = CliRunner().invoke(app, ["sql", query, "--db", str(db), "--format", "csv", "--wait", "120"])
        assert run.poll() is None  # the ingest is still running (at its gate) …
        release.touch()
        done = finish(run)
    finally:
        release.touch()
        stop(run)
    # … and the analyst got an answer mid-run, without waiting for the warehouse
    assert during.exit_code == 0, during.output
    assert during.stdout.splitlines() == ["seen,loaded", "1,0"], during.stdout
    assert "in use by another process" not in during.stderr and "error" not in during.stderr.lower(), during.stderr
    assert done.returncode == 0, done.stderr
    # and afterwards they see the document
    final = CliRunner().invoke(app, ["sql", "SELECT count(*) AS n FROM documents WHERE status LIKE 'loaded%'",
                                     "--db", str(db), "--format", "csv"])
    assert final.stdout.splitlines() == ["n", "1"], final.output


def test_sql_waits_for_a_writer_then_answers(tmp_path: Path) -> None:
    db = tmp_path / "held.duckdb"
    store.connect(db).close()
    release = tmp_path / "release"
    holder = hold(db, release)
    query = sql(db, "SELECT count(*) AS n FROM documents", "--wait", "600")
    try:
        said = query.stderr.readline()  # it says it waits (and keeps waiting) …
        assert query.poll() is None, said
        release.touch()  # … until the other run lets go; then it answers
        answered = finish(query)
    finally:
        release.touch()
        finish(holder)
        stop(query)
    assert answered.returncode == 0, said + answered.stderr
    assert answered.stdout.splitlines() == ["n", "0"]
    assert "in use by another process" in said and "another hyoka run" in said and "up to 600s" in said, said


def test_sql_gives_up_after_its_wait(tmp_path: Path) -> None:
    db = tmp_path / "held.duckdb"
    store.connect(db).close()
    release = tmp_path / "release"
    holder = hold(db, release)
    try:
        result = CliRunner().invoke(app, ["sql", "SELECT 1", "--db", str(db), "--format", "csv", "--wait", "0.5"])
    finally:
        release.touch()
        finish(holder)
    assert result.exit_code == 2, result.output
    assert "still locked" in result.stderr
    assert isinstance(result.exception, SystemExit), result.exception  # a message, not a traceback


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
        summary = run_ingest([str(SHEET_REPORTLAB)], IngestSettings(db=str(db), wait_seconds=600, runner="thread", report=False), on_wait=on_wait)
    finally:
        release.touch()
        finish(holder)
    assert summary.failed == 0 and summary.parsed == 1
    assert len(messages) == 1 and "another hyoka run" in messages[0] and "up to 600s" in messages[0]


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
    """The rows of a run without Prefect, one worker: what every runner must give."""
    db = tmp_path_factory.mktemp("threads") / "thread.duckdb"
    summary = run_ingest([str(SHEET_LIBREOFFICE), str(KPI_LIST)], IngestSettings(db=str(db), runner="thread", report=False))
    assert summary.runner == "thread" and summary.parsed == 2
    return db


def test_process_runner(by_thread: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                        ingest_flow: Callable[..., Any]) -> None:
    import hyoka.flows.engine

    # the samples are too few pages to repay a pool's start-up: lower the bar, not the work
    monkeypatch.setattr(hyoka.flows.engine, "MIN_PAGES_PER_PROCESS", 1)
    db = tmp_path / "process.duckdb"
    summary = ingest_flow([str(SHEET_LIBREOFFICE), str(KPI_LIST)], IngestSettings(db=str(db), runner="process", workers=2, report=False))
    assert (summary.runner, summary.parsed, summary.failed) == ("process", 2, 0)
    assert rows(db) == rows(by_thread)


def test_without_prefect_in_a_process_pool(by_thread: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The run without Prefect (no server configured): its own worker processes side by side, the flow's rows."""
    import hyoka.flows.engine

    monkeypatch.setattr(hyoka.flows.engine, "MIN_PAGES_PER_PROCESS", 1)
    db = tmp_path / "local.duckdb"
    summary = hyoka.flows.engine.run_ingest([str(SHEET_LIBREOFFICE), str(KPI_LIST)], IngestSettings(db=str(db), runner="process", workers=2, report=False))
    assert (summary.runner, summary.parsed, summary.failed) == ("process", 2, 0)
    assert rows(db) == rows(by_thread)
    again = hyoka.flows.engine.run_ingest([str(SHEET_LIBREOFFICE), str(KPI_LIST)], IngestSettings(db=str(db), report=False))
    assert (again.count("unchanged"), again.parsed) == (2, 0)


def test_who_runs_an_ingest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Prefect runs it when a server is configured (environment or profile) or Dask reads; else hyoka alone."""
    from hyoka.flows.runs import Orchestrator, uses_prefect

    home = tmp_path / "prefect-home"
    home.mkdir()
    monkeypatch.setenv("PREFECT_HOME", str(home))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.delenv("PREFECT_PROFILE", raising=False)
    monkeypatch.delenv("PREFECT_PROFILES_PATH", raising=False)
    assert [uses_prefect(o, "process") for o in Orchestrator] == [False, True, False]
    assert uses_prefect(Orchestrator.AUTO, "dask") and not uses_prefect(Orchestrator.LOCAL, "dask")
    (home / "profiles.toml").write_text(
        'active = "work"\n[profiles.work]\nPREFECT_API_URL = "http://127.0.0.1:4200/api"\n[profiles.ephemeral]\n'
    )
    assert uses_prefect(Orchestrator.AUTO, "process")
    monkeypatch.setenv("PREFECT_PROFILE", "ephemeral")
    assert not uses_prefect(Orchestrator.AUTO, "process")
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    assert uses_prefect(Orchestrator.AUTO, "thread")


def test_a_small_run_reads_in_the_flow(tmp_path: Path, ingest_flow: Callable[..., Any]) -> None:
    """One worker for a run of a few pages, and for --workers 1: a second one would not repay its start."""
    from hyoka.flows.engine import MIN_PAGES_PER_PROCESS, runner_for

    summary = ingest_flow([str(SHEET_REPORTLAB)], IngestSettings(db=str(tmp_path / "one.duckdb"), runner="process", workers=2, report=False))
    assert (summary.runner, summary.parsed, summary.failed) == ("thread", 1, 0)
    assert fetch(tmp_path / "one.duckdb", "SELECT project_code FROM projects") == [("121101",)]
    large = 100 * MIN_PAGES_PER_PROCESS
    assert [runner_for("process", 2, 2), runner_for("process", 1, large), runner_for("process", 2, large)] == [
        "thread", "thread", "process"]
    assert [runner_for("dask", 2, 2), runner_for("thread", 2, large)] == ["dask", "thread"]


def test_dask_runner_on_a_local_cluster(by_thread: Path, tmp_path: Path, ingest_flow: Callable[..., Any]) -> None:
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("prefect_dask")
    # one worker process (each costs seconds of imports): the batches still go to another
    # process through the scheduler, and the rows must not depend on who read them
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        db = tmp_path / "dask.duckdb"
        summary = ingest_flow([str(SHEET_LIBREOFFICE), str(KPI_LIST)], IngestSettings(db=str(db), runner="dask", dask_address=cluster.scheduler_address, report=False))
    assert (summary.runner, summary.parsed, summary.failed) == ("dask", 2, 0)
    assert rows(db) == rows(by_thread)


def test_unknown_runner_is_refused(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from hyoka.cli import app

    result = CliRunner().invoke(app, ["ingest", str(SHEET_REPORTLAB), "--db", str(tmp_path / "x.duckdb"), "--runner", "spark"],
                                env={"COLUMNS": "300"})  # Click's message on one line of its box
    assert result.exit_code == 2 and "'spark' is not one of 'process', 'thread', 'dask'" in result.output
