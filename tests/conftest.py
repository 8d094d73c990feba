"""Shared fixtures: the bundled samples loaded once (no Prefect), and helpers for the CLI tests.

Most tests need rows, not the flow: `warehouse_builder.build_warehouse` loads documents
with the ingest's own stages in this process. The few end-to-end tests that run the
`ingest` flow or the `hyoka` CLI get a Prefect temporary server that tolerates a busy
machine, and leave no server process behind (`run_hyoka`, `pytest_sessionfinish`).

`make test` runs the tests on every core (pytest-xdist, `--dist loadgroup`): the tests that
ask for the Prefect server (`prefect_api`, `ingest_flow`) run on one worker, which starts
the run's one server; every other test file runs whole on one worker.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from collections.abc import Callable

# Prefect must be configured before it is imported: a private home per test session,
# quiet logs, no telemetry. No Prefect server is needed (Prefect starts a temporary one).
# Its start-up wait is 600 s (the CLI's own default), not Prefect's 20: on a busy machine
# (2 cores, other work) the server takes long to answer, and a flow that gives up on it
# fails the test for nothing. (Set before Prefect is imported; inherited by every `hyoka`
# subprocess.)
#
# Under pytest-xdist each worker is a session of its own: a Prefect home of its own too (two
# servers migrating one SQLite database lock each other out). Only the worker that runs the
# Prefect tests (`pytest_collection_modifyitems`) starts a server in it. A home made here is
# removed when the session ends (`pytest_unconfigure`).
PREFECT_HOME_MADE_HERE: str | None = None
if os.environ.get("PYTEST_XDIST_WORKER") or not os.environ.get("PREFECT_HOME"):
    PREFECT_HOME_MADE_HERE = tempfile.mkdtemp(prefix=f"hyoka-prefect-{os.environ.get('PYTEST_XDIST_WORKER', 'session')}-")
    os.environ["PREFECT_HOME"] = PREFECT_HOME_MADE_HERE
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "600")
# hyoka uses no Prefect blocks: registering Prefect's own in each new database costs seconds
os.environ.setdefault("PREFECT_API_BLOCKS_REGISTER_ON_START", "false")

import duckdb  # noqa: E402
import pytest  # noqa: E402

from warehouse_builder import build_warehouse  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SHEET_LIBREOFFICE = SAMPLES / "asahikawa_jimujigyo_R4_121101.pdf"
SHEET_REPORTLAB = SAMPLES / "asahikawa_jimujigyo_R4_121101_reportlab.pdf"
KPI_LIST = SAMPLES / "asahikawa_sogo_senryaku_kpi_R4.pdf"
GROUND_TRUTH = SAMPLES / "ground_truth.json"
# real PDFs published by cities (copied from ../shared/real, see samples/real/SOURCES.md)
REAL = SAMPLES / "real"
IKEDA = REAL / "ikeda"
IKEDA_PDFS = sorted(IKEDA.glob("ikeda-r7-*.pdf"))
IKEDA_GROUND_TRUTH = IKEDA / "ground_truth.json"


def squash(text: str | None) -> str:
    """Text without whitespace: a space at a soft line wrap is not visible in a PDF."""
    return re.sub(r"\s", "", text or "")


@pytest.fixture(scope="session")
def sheet_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both sample renderings of the evaluation sheet loaded (no Prefect), with the validation report."""
    db = tmp_path_factory.mktemp("warehouse") / "sheets.duckdb"
    return build_warehouse([SHEET_LIBREOFFICE, SHEET_REPORTLAB], db, report=True)


@pytest.fixture(scope="session")
def ikeda_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 16 real 池田市 目標設定シート, loaded once (no Prefect)."""
    assert len(IKEDA_PDFS) == 16, IKEDA_PDFS
    db = tmp_path_factory.mktemp("warehouse") / "ikeda.duckdb"
    return build_warehouse(IKEDA_PDFS, db)


def fetch(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of a query on a warehouse file (read-only)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def fetch_dicts(db: Path, sql: str, params: list | None = None) -> list[dict]:
    """Rows as dicts."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        cursor = con.execute(sql, params or [])
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]
    finally:
        con.close()


# --------------------------------------------------------------------------------------
# The CLI as a user runs it, and no Prefect server left behind
# --------------------------------------------------------------------------------------

# a generous bound on a hung command or a wait, never a speed requirement
HANG = 900.0


def spawn(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    """`python ARGS` in its own process group, text pipes: end it with `finish` (or `stop`)."""
    return subprocess.Popen(
        [sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **(env or {})}, start_new_session=True,
    )


def _descendants(pid: int) -> list[int]:
    """The process ids below `pid`, from /proc (none where there is no /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def stop(process: subprocess.Popen) -> None:
    """Kill what is left of a `spawn`ed process: its group (pool workers) and, when it is cut short,
    every process below it (hyoka's Prefect server runs in a session of its own)."""
    below = _descendants(process.pid) if process.poll() is None else []
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for pid in below:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    if process.poll() is None:
        process.wait()


def finish(process: subprocess.Popen, timeout: float = HANG) -> subprocess.CompletedProcess:
    """Wait for a `spawn`ed process; whatever happens (a hang, Ctrl-C), nothing of it stays running."""
    try:
        out, err = process.communicate(timeout=timeout)
    finally:
        stop(process)  # after a normal exit too: a worker that outlived it goes with it
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def run_hyoka(*args: str, env: dict[str, str] | None = None, timeout: float = HANG) -> subprocess.CompletedProcess:
    """`hyoka ARGS` in a subprocess, as a user runs it: its exit code, stdout and stderr."""
    return finish(spawn(["-m", "hyoka", *args], env=env), timeout)


def wait_until(condition: Callable[[], Any], what: str, process: subprocess.Popen | None = None,
               timeout: float = HANG) -> Any:
    """Poll `condition` until it is true (its value is returned); fail if `process` ends first, or on a hang."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if process is not None and process.poll() is not None:
            pytest.fail(f"the process ended (exit code {process.returncode}) before {what}: {process.stderr.read()}")
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting, after {timeout:g}s, for {what}")
        time.sleep(0.05)


@pytest.fixture(scope="session")
def prefect_api() -> str:
    """The API URL of this session's one Prefect temporary server, for `hyoka` subprocesses to share.

    Flows run in this process use the same server (Prefect's temporary server is one per
    process). A subprocess given it (PREFECT_API_URL) starts no server of its own, which
    costs seconds of CPU and is what times out on a busy machine. Every test that runs a
    Prefect flow or starts a Prefect server asks for this fixture (or `ingest_flow`), even
    when it does not use the URL: under xdist those tests share one worker, and so one
    server (`PREFECT_GROUP`).
    """
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()  # the instance Prefect's client uses in this process
    server.start()  # a no-op when a flow here has started it; waits up to the start-up limit
    return server.api_url


@pytest.fixture(scope="session")
def ingest_flow(prefect_api: str) -> Callable[..., Any]:
    """The `ingest` Prefect flow, run in this process against the session's server. Imported here,
    not by the test modules: a worker that runs no flow never imports Prefect (seconds of CPU)."""
    from hyoka.flows.ingest import ingest

    return ingest


@pytest.fixture(scope="session")
def migrated_prefect_db(prefect_api: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the session server's database, its schema migrated: a server started in another
    Prefect home from a copy of it skips Prefect's migrations (half the CPU of its start-up)."""
    import sqlite3

    source = Path(os.environ["PREFECT_HOME"]) / "prefect.db"
    assert source.is_file(), f"the session's Prefect server keeps no database at {source}"
    copy = tmp_path_factory.mktemp("prefect-db") / "prefect.db"
    # SQLite's backup: a consistent copy of a database that the running server writes to
    live, target = sqlite3.connect(source), sqlite3.connect(copy)
    try:
        live.backup(target)
    finally:
        live.close()
        target.close()
    return copy


# Under pytest-xdist (`make test`), the tests that need a Prefect server form one group, run by
# one worker: one server per run, as without xdist. Every other test file is a group of its
# own, so that its module fixtures (warehouses, generated books) are built once.
PREFECT_GROUP = "prefect"


def xdist_group_of(item: pytest.Item) -> str:
    """The xdist group of a test: `PREFECT_GROUP` if it asks for the Prefect server, else its file."""
    return PREFECT_GROUP if "prefect_api" in item.fixturenames else item.path.stem


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give each test its xdist group (see `xdist_group_of`); the Prefect group first, as it is
    the longest to run (`--dist loadgroup` hands the groups out in that order)."""
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(xdist_group_of(item)))
    if hasattr(config, "workerinput"):  # an xdist worker: the order it collects is the order handed out
        items.sort(key=lambda item: xdist_group_of(item) != PREFECT_GROUP)  # stable: the rest keep their order


def pytest_collection_finish(session: pytest.Session) -> None:
    """Under `--dist loadgroup`, refuse to run when xdist did not apply the groups: the run would
    pass, starting a Prefect server on every worker (pytest-xdist 3.8 with pytest 9.2 is such a pair)."""
    config = session.config
    if hasattr(config, "workerinput") and config.getvalue("loadgroup") and session.items:
        if not all(item.nodeid.endswith(f"@{xdist_group_of(item)}") for item in session.items):
            raise pytest.UsageError(
                "pytest-xdist did not group the tests (--dist loadgroup): install the versions pyproject.toml "
                "asks for (pip install -e '.[dev]'), or run without -n")


def _temporary_server_running() -> bool:
    """Whether Prefect's temporary server runs in this process (it starts with the first flow run)."""
    server = sys.modules.get("prefect.server.api.server")
    instances = getattr(getattr(server, "SubprocessASGIServer", None), "_instances", {})
    return any(getattr(instance, "server_process", None) is not None for instance in instances.values())


@pytest.fixture(autouse=True)
def _prefect_only_where_asked(request: pytest.FixtureRequest) -> Any:
    """Fail a test that started Prefect's temporary server without asking for `prefect_api`: under
    xdist it would run outside the Prefect group and start a second server on another worker."""
    before = _temporary_server_running()
    yield
    if not before and _temporary_server_running() and "prefect_api" not in request.fixturenames:
        pytest.fail("this test started Prefect's temporary server (it ran a flow): ask for the `ingest_flow` or "
                    "`prefect_api` fixture, which keep the tests that need a Prefect server on one xdist worker",
                    pytrace=False)


def pytest_configure(config: pytest.Config) -> None:
    """SIGTERM (a CI job's time limit) and SIGHUP (a closed terminal) end the session like Ctrl-C:
    fixtures, `finish` and `pytest_sessionfinish` clean up (their default would end pytest at once,
    leaving its Prefect servers running)."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    for signum in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if signum is not None and signal.getsignal(signum) == signal.SIG_DFL:
            signal.signal(signum, interrupt)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop every Prefect server this process started, passed or failed or interrupted: Prefect's
    temporary server (the `prefect_api` fixture, flows run here) and hyoka's own
    (`hyoka.service.PrefectServer`, e.g. `hyoka ingest` run in-process). Both also stop at exit
    (atexit); hyoka's own even when pytest is killed outright (a parent-death signal)."""
    service = sys.modules.get("hyoka.service")
    if service is not None:
        service.stop_all_servers()
    server = sys.modules.get("prefect.server.api.server")
    if server is None:
        return
    for instance in list(getattr(server.SubprocessASGIServer, "_instances", {}).values()):
        instance.stop()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the Prefect home this session made (its servers were stopped at session finish)."""
    if PREFECT_HOME_MADE_HERE:
        shutil.rmtree(PREFECT_HOME_MADE_HERE, ignore_errors=True)
