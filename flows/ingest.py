"""The `ingest` Prefect flow: files and folders in, documents read in parallel, rows in DuckDB.

The flow is wiring: plan (`flows.runs.plan_run`), read page ranges as tasks
(`flows.stages.read_batch`, in threads, processes or on a Dask cluster:
`make_task_runner`), assemble and validate each document once its pages are in
(`flows.stages.assemble_document`), load it in its own short warehouse connection
(`flows.runs.load_result`), then write the validation report.

Runs with no Prefect server configured: Prefect then starts a temporary local one.
`hyoka ingest` plans first and starts Prefect only when there is something to read.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed

from extractors.pages import Reader
from flows.runs import (
    DEFAULT_RUNNER,
    DEFAULT_WORKERS,
    RUNNERS,
    DocumentOutcome,
    IngestSummary,
    ProgressHook,
    Tally,
    Warehouse,
    load_result,
    plan_run,
    report_is_current,
    write_report_safely,
)
from flows.stages import (
    Part,
    PartResult,
    assemble_document,
    document_row,
    failed_result,
    page_count_of,
    read_batch,
    split_into_batches,
)

__all__ = ["DocumentOutcome", "IngestSummary", "ingest", "load_result", "RUNNERS"]


# hyoka's own cache is the document's sha256 in the warehouse: Prefect's result cache
# would only hash (unpicklable) callbacks and store results we already load.
@task(name="read-pages", task_run_name="read {label}", retries=0, cache_policy=NO_CACHE, persist_result=False)
def read_pages(batch: list[Part], label: str, reader: Reader = Reader.PDFIUM,
               progress: ProgressHook | None = None) -> list[PartResult]:
    """Read a batch of page ranges into grids (the parallel part of an ingest)."""
    on_page = (lambda path, page, total: progress("page", path, (page, total))) if progress else None
    return read_batch(batch, reader=reader, on_page=on_page)


# --------------------------------------------------------------------------------------
# Task runners
# --------------------------------------------------------------------------------------

# A worker process costs seconds to start (it imports Prefect, pandas, the readers) and a
# page about 20-50 ms to read: a process pool pays off only from about this many pages per
# worker; a smaller run, or --workers 1, reads in the flow's own process (runner_for).
MIN_PAGES_PER_PROCESS = 60


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


def runner_for(runner: str, workers: int, pages: int) -> str:
    """The runner a run really needs: no process pool for one worker or a run too small to repay it."""
    if runner == "process" and (workers <= 1 or pages < 2 * MIN_PAGES_PER_PROCESS):
        return "thread"
    return runner


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


def _batch_label(batch: list[Part]) -> str:
    """A task run's name: the file (and pages) it reads."""
    first, last = batch[0], batch[-1]
    if len(batch) == 1:
        return f"{Path(first.path).name} p.{first.first}-{first.last}"
    return f"{Path(first.path).name} … {Path(last.path).name} ({len(batch)} files)"


class Assembly:
    """Collects the parts of each document as batches finish; hands back a document once whole."""

    def __init__(self, page_counts: dict[str, int]):
        self.page_counts = page_counts
        self.parts: dict[str, list[PartResult]] = {path: [] for path in page_counts}

    def add(self, result: PartResult) -> bool:
        """Add a part; True when its document has all its pages."""
        parts = self.parts[result.part.path]
        parts.append(result)
        return sum(r.part.pages for r in parts) == self.page_counts[result.part.path]


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
    reader: str = Reader.PDFIUM.value,
) -> IngestSummary:
    """Ingest PDF files and folders into the DuckDB warehouse at `db`; then write its validation report.

    `runner`/`workers`/`dask_address` choose where pages are read (`make_task_runner`);
    `reader` which PDF library reads them (pdfium, pdfplumber). With `processed_dir`, each
    file is moved there once dealt with: loaded or unchanged ones to it, failed ones to its
    failed/ (files below it are never ingested).
    """
    if runner not in RUNNERS:
        raise ValueError(f"unknown task runner {runner!r}: use one of {', '.join(RUNNERS)}")
    page_reader = Reader(reader)
    warehouse = Warehouse(str(db), wait_seconds, on_wait)
    try:
        run = plan_run(paths, warehouse, processed_dir)
        summary = IngestSummary(db_path=str(db), missing=run.missing)
        tally = Tally(summary, [str(p) for p in paths], processed_dir, progress)
        tally.settle_plan(run.plan)
        summary.parsed = len(run.plan.todo)
        _read_and_load(run.plan.todo, tally, warehouse, municipality, page_reader, runner, workers, dask_address, progress)
    finally:
        warehouse.close()
    tally.close(run.files)
    if report and str(db) != ":memory:":
        current = report_is_current(str(db)) if summary.parsed == 0 else None
        if current:
            summary.report_dir = current  # nothing changed: the report there is current
        else:
            if progress:
                progress("report", str(db), None)
            summary.report_dir, summary.report_error = write_validation_report(str(db), wait_seconds)
    _log_summary(summary)
    return summary


def _read_and_load(todo: list[tuple[Path, str]], tally: Tally, warehouse: Warehouse, municipality: str | None,
                   reader: Reader, runner: str, workers: int, dask_address: str | None,
                   progress: ProgressHook | None) -> None:
    """Read the planned files by page ranges in parallel; load each document as soon as it is whole."""
    documents: dict[str, dict[str, Any]] = {}
    page_counts: dict[str, int] = {}
    for path, document_id in todo:
        try:
            data = path.read_bytes()
        except OSError as exc:
            tally.finish(path, DocumentOutcome(str(path), "failed", error=f"cannot read the file ({exc.strerror or exc})"))
            continue
        document = document_row(str(path), len(data), document_id)
        count = page_count_of(data, reader)
        if isinstance(count, str):  # not a PDF, damaged, encrypted…: fails before any page is read
            with warehouse.open() as con:
                tally.finish(path, load_result(con, failed_result(str(path), document, count)))
            continue
        documents[str(path)] = document
        page_counts[str(path)] = count
    kind = runner_for(runner, workers, sum(page_counts.values()))
    batches = split_into_batches(page_counts, workers if kind != "thread" else 1)
    if not batches:
        return
    tally.summary.runner = kind
    in_process = kind == "thread"
    if not in_process:
        _keep_callbacks_local()
    assembly = Assembly(page_counts)
    with _api_for_workers(), make_task_runner(kind, workers, dask_address) as task_runner:
        futures = {
            task_runner.submit(read_pages, {"batch": batch, "label": _batch_label(batch), "reader": reader,
                                            "progress": progress if in_process else None}): batch
            for batch in batches
        }
        for future in as_completed(list(futures)):
            try:
                results: list[PartResult] = future.result()
            except Exception as exc:  # noqa: BLE001 - a crashed worker fails its documents, not the run
                error = f"internal error while reading ({type(exc).__name__}: {exc})"
                results = [PartResult(part, error=error) for part in futures[future]]
            for result in results:
                if assembly.add(result):
                    path = result.part.path
                    document = assemble_document(path, documents[path], page_counts[path],
                                                 assembly.parts.pop(path), municipality)
                    with warehouse.open() as con:
                        tally.finish(Path(path), load_result(con, document))


def _log_summary(summary: IngestSummary) -> None:
    """One INFO line per run in Prefect's log (what `hyoka serve` shows)."""
    from prefect import get_run_logger

    get_run_logger().info(
        "ingest into %s: %d files, %d loaded, %d unchanged, %d failed, %d parsed (%s), %d moved",
        summary.db_path, len(summary.outcomes) + len(summary.missing),
        summary.count("loaded") + summary.count("loaded_with_issues"), summary.count("unchanged"),
        summary.failed, summary.parsed, summary.runner or "-", summary.moved,
    )


def write_validation_report(db: str, wait_seconds: float = 60.0) -> tuple[str | None, str | None]:
    """Write the report and its Prefect artifacts; a failure is logged, never raised: (folder, error)."""
    import logging

    from prefect import get_run_logger
    from prefect.context import FlowRunContext

    from hyoka.report.artifacts import publish_artifacts

    in_run = FlowRunContext.get() is not None  # artifacts belong to a flow run
    logger: Any = get_run_logger() if in_run else logging.getLogger("hyoka.report")
    paths, error = write_report_safely(db, wait_seconds)
    if error is not None:
        logger.warning("validation report not written: %s", error)
        return None, error
    try:
        if in_run:
            publish_artifacts(paths)
    except Exception as exc:  # noqa: BLE001
        logger.warning("validation report artifacts not created: %s: %s", type(exc).__name__, exc)
    return str(paths.out_dir), None
