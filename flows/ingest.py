"""The `ingest` Prefect flow: files and folders in, one task per document, rows in DuckDB.

Tasks extract and validate (pure work, safe to run in parallel, in threads, processes or
on a Dask cluster: see `make_task_runner`); the flow itself writes the warehouse. It
opens the DuckDB file only briefly: once at the start (schema, which files are already
known), then once per finished document (load in one transaction, cross-document check,
close). DuckDB lets one process open a file being written, so `hyoka sql` from another
process gets in between two documents instead of waiting for the whole run.

A file-content cache (`file_cache`: path, size, mtime → sha256) makes a run over an
unchanged inbox stat the files and stop: no file is hashed or parsed again.

Runs with no Prefect server configured: Prefect then starts a temporary local one.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import hyoka
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed

from flows.stages import DocumentResult, collect_paths, read_and_process
from extractors.pdf_input import sha256_hex
from warehouse import crosscheck, store
from warehouse import editions


@dataclass
class DocumentOutcome:
    """One line of the run's summary."""

    path: str
    status: str  # loaded / loaded_with_issues / failed / unchanged
    error: str | None = None
    records: int = 0
    errors: int = 0
    warnings: int = 0
    pages: int = 0


@dataclass
class IngestSummary:
    """What an ingest run did, for the CLI's closing summary."""

    db_path: str
    outcomes: list[DocumentOutcome] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    report_dir: str | None = None  # the validation report's folder (report.html, issues.csv, …)
    report_error: str | None = None  # why no report was written, when one was asked for
    parsed: int = 0  # documents read from their PDF in this run (0 over an unchanged inbox)
    moved: int = 0  # files moved to --processed-dir (and its failed/)
    runner: str | None = None  # the task runner the documents were parsed with

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> int:
        return self.count("failed") + len(self.missing)

    @property
    def records(self) -> int:
        return sum(o.records for o in self.outcomes)

    @property
    def errors(self) -> int:
        return sum(o.errors for o in self.outcomes)

    @property
    def warnings(self) -> int:
        return sum(o.warnings for o in self.outcomes)

    @property
    def pages(self) -> int:
        return sum(o.pages for o in self.outcomes)


# Progress callbacks: (event, path, detail) with event in {'start', 'page', 'done', 'report'}.
ProgressHook = Callable[[str, str, Any], None]


# hyoka's own cache is the document's sha256 in the warehouse: Prefect's result cache
# would only hash (unpicklable) callbacks and store results we already load.
@task(name="extract-document", task_run_name="extract {path}", retries=0, cache_policy=NO_CACHE, persist_result=False)
def extract_document(path: str, municipality: str | None = None, progress: ProgressHook | None = None) -> DocumentResult:
    """Read, extract and validate one document (every page of it)."""
    on_page = (lambda page, total: progress("page", path, (page, total))) if progress else None
    return read_and_process(path, municipality=municipality, on_page=on_page)


def _content_id(path: Path) -> str | None:
    """The document id this file would get (sha256 of its bytes), None if unreadable."""
    try:
        return sha256_hex(path.read_bytes())
    except OSError:
        return None


# --------------------------------------------------------------------------------------
# Task runners
# --------------------------------------------------------------------------------------

RUNNERS = ("thread", "process", "dask")
# Parsing is pure-Python CPU work (pdfplumber): threads share one core (the GIL), processes
# use them all. A pool of 2 processes costs ~2 s to start, so a run with a single document
# to parse parses it in the flow's own thread instead.
DEFAULT_RUNNER = "process"
DEFAULT_WORKERS = 2


def make_task_runner(runner: str = DEFAULT_RUNNER, workers: int = DEFAULT_WORKERS, dask_address: str | None = None) -> Any:
    """A Prefect task runner: `thread` (ThreadPoolTaskRunner), `process` (ProcessPoolTaskRunner)
    or `dask` (prefect-dask's DaskTaskRunner: the cluster at `dask_address`, or a local
    cluster of `workers` single-threaded worker processes)."""
    from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

    workers = max(1, int(workers))
    if runner == "thread":
        return ThreadPoolTaskRunner(max_workers=workers)
    if runner == "process":
        return ProcessPoolTaskRunner(max_workers=workers)
    if runner == "dask":
        try:
            from prefect_dask import DaskTaskRunner
        except ImportError as exc:
            raise RuntimeError("--runner dask needs prefect-dask: pip install 'hyoka[dask]'") from exc
        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(
            cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True, "dashboard_address": None}
        )
    raise ValueError(f"unknown task runner {runner!r}: use one of {', '.join(RUNNERS)}")


class LocalCallback:
    """A callback that only lives in the process that made it: pickled for a worker process,
    it becomes a no-op. (Progress hooks hold consoles and locks that cannot be pickled.)"""

    def __init__(self, fn: Callable[..., Any] | None):
        self.fn = fn

    def __call__(self, *args: Any) -> Any:
        return self.fn(*args) if self.fn is not None else None

    def __reduce__(self) -> tuple[Any, ...]:
        return (LocalCallback, (None,))


def _keep_callbacks_local() -> None:
    """Process and Dask runners send the flow run's context, parameters included, with every
    task: wrap the callables among them (progress, on_wait) so that they pickle as no-ops."""
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    parameters = getattr(context, "parameters", None)
    if isinstance(parameters, dict):
        for key, value in list(parameters.items()):
            if callable(value) and not isinstance(value, LocalCallback):
                parameters[key] = LocalCallback(value)


@contextmanager
def _api_for_workers() -> Iterator[None]:
    """Point worker processes at this flow's Prefect API.

    Without PREFECT_API_URL, Prefect runs a temporary server inside this process only; a
    worker process would start one of its own (seconds each, on the same database).
    """
    from prefect.context import FlowRunContext
    from prefect.settings import PREFECT_API_URL, temporary_settings

    context = FlowRunContext.get()
    api = getattr(getattr(context, "client", None), "api_url", None)
    if PREFECT_API_URL.value() or not api:
        yield
        return
    with temporary_settings({PREFECT_API_URL: str(api)}):
        yield


# --------------------------------------------------------------------------------------
# Short warehouse connections
# --------------------------------------------------------------------------------------


class _Warehouse:
    """Opens the warehouse for one step at a time (an in-memory one stays open: it would vanish)."""

    def __init__(self, db: str, wait_seconds: float, on_wait: Callable[[str], None] | None):
        self.db, self.wait_seconds, self.on_wait = str(db), wait_seconds, on_wait
        self._memory: Any = None

    @contextmanager
    def open(self, *, first: bool = False) -> Iterator[Any]:
        if self.db == ":memory:":
            if self._memory is None:
                self._memory = store.connect(self.db)
            yield self._memory
            return
        # the first connection of a run creates or upgrades the schema; the per-document ones
        # only say they wait when it lasts (an analyst's query holds the file for a moment)
        con = store.connect(
            self.db, wait_seconds=self.wait_seconds, on_wait=self.on_wait,
            check_schema=first, quiet_seconds=0.0 if first else 2.0,
        )
        try:
            yield con
        finally:
            con.close()

    def close(self) -> None:
        if self._memory is not None:
            self._memory.close()
            self._memory = None


def _file_key(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _is_within(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


def _move_processed(path: Path, inputs: list[str], processed_dir: Path, failed: bool) -> Path | None:
    """Move a processed file into `processed_dir` (failed ones into its failed/), keeping its
    path below the input folder it came from; never overwrites (adds -1, -2, … to the name)."""
    relative = Path(path.name)
    for item in inputs:
        folder = Path(item).resolve()
        if folder.is_dir() and _is_within(path, folder):
            relative = path.relative_to(folder)
            break
    target = (processed_dir / "failed" if failed else processed_dir) / relative
    n = 0
    while target.exists():
        n += 1
        target = target.with_name(f"{relative.stem}-{n}{relative.suffix}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), str(target))
    except OSError:
        return None  # a file that cannot be moved stays where it is; the cache still knows it
    return target


def load_result(con: Any, result: DocumentResult) -> DocumentOutcome:
    """Load one result in one transaction; a failed document gets its `failed` row."""
    document = {k: v for k, v in result.document.items() if k != "traceback"}
    if result.failed:
        previous = con.execute(
            "SELECT status, error FROM documents WHERE document_id = ?", [document["document_id"]]
        ).fetchone()
        # the same failure again changes nothing (idempotence)
        if previous != ("failed", document["error"]):
            store.record_failure(con, document)
        return DocumentOutcome(result.path, "failed", error=document["error"])
    store.load_document(con, document, result.tables, result.issues)
    # checks against the other documents of the same municipality, now that this one is in
    cross_issues = crosscheck.record_cross_document_issues(con, document["document_id"])
    editions.after_load(con, document["document_id"])  # a corrected re-issue supersedes the earlier file
    if cross_issues:
        document = {**document, "warning_count": document["warning_count"] + cross_issues, "status": "loaded_with_issues"}
    return DocumentOutcome(
        result.path,
        document["status"],
        records=result.record_count,
        errors=document["error_count"],
        warnings=document["warning_count"],
        pages=document["page_count"] or 0,
    )


@flow(name="ingest", validate_parameters=False, log_prints=False)
def ingest(
    paths: list[str],
    db: str = "hyoka.duckdb",
    municipality: str | None = None,
    progress: ProgressHook | None = None,
    wait_seconds: float = 60.0,
    on_wait: Callable[[str], None] | None = None,
    report: bool = True,
    runner: str = DEFAULT_RUNNER,
    workers: int = DEFAULT_WORKERS,
    dask_address: str | None = None,
    processed_dir: str | None = None,
) -> IngestSummary:
    """Ingest PDF files and folders into the DuckDB warehouse at `db`; then write its validation report.

    `runner`/`workers`/`dask_address` choose where documents are parsed (`make_task_runner`).
    With `processed_dir`, each file is moved there once dealt with: loaded or unchanged ones to
    it, failed ones to its failed/ (files below it are never ingested).
    """
    if runner not in RUNNERS:
        raise ValueError(f"unknown task runner {runner!r}: use one of {', '.join(RUNNERS)}")
    files, missing = collect_paths(paths)
    done_dir = Path(processed_dir).resolve() if processed_dir else None
    if done_dir is not None:  # an inbox may hold its own processed/ folder
        files = [f for f in files if not _is_within(f, done_dir)]
    summary = IngestSummary(db_path=str(db), missing=missing)
    warehouse = _Warehouse(str(db), wait_seconds, on_wait)
    version = hyoka.__version__  # what documents rows record (flows.stages.document_row)

    def finish(path: Path, outcome: DocumentOutcome) -> None:
        summary.outcomes.append(outcome)
        if done_dir is not None and path.exists():
            if _move_processed(path, [str(p) for p in paths], done_dir, failed=outcome.status == "failed"):
                summary.moved += 1
        if progress:
            progress("done", str(path), outcome if outcome.status != "unchanged" else "unchanged")

    try:
        # 1. what the warehouse knows (one short connection, which also creates or upgrades the schema)
        with warehouse.open(first=True) as con:
            states = store.document_states(con)
            cache = store.cached_files(con, [str(p) for p in files])

        # 2. which files need reading: a file whose (path, size, mtime) is cached is not even hashed
        todo: list[Path] = []
        remember: list[dict[str, Any]] = []
        seen: set[str] = set()
        for path in files:
            key = _file_key(path)
            cached = cache.get(str(path))
            if key is not None and cached is not None and cached[:2] == key:
                document_id: str | None = cached[2]
            else:
                document_id = _content_id(path)
                if key is not None and document_id is not None:
                    remember.append({"path": str(path), "size": key[0], "mtime_ns": key[1], "document_id": document_id})
            state = states.get(document_id) if document_id is not None else None
            if document_id is not None and (document_id in seen or (state is not None and state[0] != "failed")):
                # already in the warehouse (loaded, or superseded by a re-issue), or the same bytes
                # under another name in this run
                finish(path, DocumentOutcome(str(path), "unchanged"))
                continue
            if state is not None and state[2] == version and document_id is not None:
                # failed before with this very hyoka: it would fail the same way (a new version retries)
                seen.add(document_id)
                finish(path, DocumentOutcome(str(path), "failed", error=state[1]))
                continue
            if document_id is not None:
                seen.add(document_id)
            todo.append(path)
        if remember:
            with warehouse.open() as con:
                store.remember_files(con, remember)

        # 3. parse in parallel; load each document as it finishes, in its own short connection
        summary.parsed = len(todo)
        if todo:
            kind = runner if (runner == "dask" or len(todo) > 1) else "thread"
            summary.runner = kind
            in_process = kind == "thread"
            if not in_process:
                _keep_callbacks_local()
            with _api_for_workers(), make_task_runner(kind, workers, dask_address) as task_runner:
                futures = {}
                for path in todo:
                    parameters = {"path": str(path), "municipality": municipality, "progress": progress if in_process else None}
                    futures[task_runner.submit(extract_document, parameters)] = path
                for future in as_completed(list(futures)):
                    path = futures[future]
                    try:
                        result: DocumentResult = future.result()
                    except Exception as exc:  # noqa: BLE001 - a crashed worker fails its document, not the run
                        finish(path, DocumentOutcome(str(path), "failed",
                                                     error=f"internal error while parsing ({type(exc).__name__}: {exc})"))
                        continue
                    with warehouse.open() as con:
                        outcome = load_result(con, result)
                    finish(path, outcome)
    finally:
        warehouse.close()
    order = {str(p): i for i, p in enumerate(files)}
    summary.outcomes.sort(key=lambda o: order.get(o.path, len(order)))
    if report and str(db) != ":memory:":
        from hyoka.report import default_out_dir

        existing = default_out_dir(db)
        if summary.parsed == 0 and (existing / "report.html").exists():
            summary.report_dir = str(existing)  # nothing changed: the report there is current
        else:
            if progress:
                progress("report", str(db), None)
            summary.report_dir, summary.report_error = write_validation_report(str(db), wait_seconds)
    from prefect import get_run_logger

    get_run_logger().info(
        "ingest into %s: %d files, %d loaded, %d unchanged, %d failed, %d parsed (%s), %d moved",
        db, len(summary.outcomes) + len(summary.missing),
        summary.count("loaded") + summary.count("loaded_with_issues"), summary.count("unchanged"),
        summary.failed, summary.parsed, summary.runner or "-", summary.moved,
    )
    return summary


def write_validation_report(db: str, wait_seconds: float = 60.0) -> tuple[str | None, str | None]:
    """Write the report and its Prefect artifacts; a failure is logged, never raised: (folder, error)."""
    import logging

    from prefect import get_run_logger
    from prefect.context import FlowRunContext

    from hyoka.report import write_report
    from hyoka.report.artifacts import publish_artifacts

    in_run = FlowRunContext.get() is not None  # artifacts belong to a flow run
    logger: Any = get_run_logger() if in_run else logging.getLogger("hyoka.report")
    try:
        paths = write_report(db, wait_seconds=wait_seconds)
    except Exception as exc:  # noqa: BLE001 - the data is loaded; a report failure must not fail the run
        logger.warning("validation report not written: %s: %s", type(exc).__name__, exc)
        return None, f"{type(exc).__name__}: {exc}"
    try:
        if in_run:
            publish_artifacts(paths)
    except Exception as exc:  # noqa: BLE001
        logger.warning("validation report artifacts not created: %s: %s", type(exc).__name__, exc)
    return str(paths.out_dir), None
