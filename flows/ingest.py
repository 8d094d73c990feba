"""The `ingest` Prefect flow: `hyoka.flows.engine.run_ingest`, its batches of pages read as Prefect tasks.

The run itself (plan, read, assemble, validate, load, report) is `run_ingest`; the flow
only reads the batches as tasks on a Prefect task runner (threads, processes or a Dask
cluster: `make_task_runner`), so that every run and batch shows in the Prefect UI, and
publishes the report as artifacts. `hyoka ingest` runs it when a Prefect server is
configured (PREFECT_API_URL) or asked for (`--orchestrator prefect`); otherwise it runs
`run_ingest` without Prefect (`hyoka.flows.runs.Orchestrator`).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterator

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed

from hyoka.extractors.limits import DEFAULT_LIMITS, Limits
from hyoka.extractors.pages import Reader
from hyoka.flows.engine import BatchResults, batch_error, page_progress, run_ingest, runner_for
from hyoka.flows.runs import (
    DocumentOutcome,
    IngestSettings,
    IngestSummary,
    ProgressHook,
    Runner,
    load_result,
    write_report_safely,
)
from hyoka.flows.stages import Part, PartResult, read_batch

__all__ = ["DocumentOutcome", "IngestSettings", "IngestSummary", "Runner", "ingest", "load_result", "runner_for"]


# hyoka's own cache is the document's sha256 in the warehouse: Prefect's result cache
# would only hash (unpicklable) callbacks and store results we already load.
@task(name="read-pages", task_run_name="read {label}", retries=0, cache_policy=NO_CACHE, persist_result=False)
def read_pages(batch: list[Part], label: str, reader: Reader = Reader.PDFIUM,
               progress: ProgressHook | None = None, limits: Limits = DEFAULT_LIMITS) -> list[PartResult]:
    """Read a batch of page ranges into grids (the parallel part of an ingest), each document within `limits`."""
    return read_batch(batch, reader=reader, on_page=page_progress(progress), limits=limits)


# --------------------------------------------------------------------------------------
# Task runners
# --------------------------------------------------------------------------------------


def make_task_runner(runner: Runner | str = Runner.PROCESS, workers: int = 2, dask_address: str | None = None) -> Any:
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
    raise ValueError(f"unknown task runner {runner!r}: use one of {', '.join(r.value for r in Runner)}")


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


def read_with_prefect(dask_address: str | None = None) -> Callable[..., BatchResults]:
    """A `hyoka.flows.engine.BatchReading` that reads each batch as a `read-pages` task of this flow run."""

    def read(batches: list[list[Part]], runner: str, workers: int, reader: Reader,
             progress: ProgressHook | None, limits: Limits) -> BatchResults:
        in_process = runner == "thread"
        if not in_process:
            _keep_callbacks_local()
        with _api_for_workers(), make_task_runner(runner, workers, dask_address) as task_runner:
            futures = {
                task_runner.submit(read_pages, {"batch": batch, "label": _batch_label(batch), "reader": reader,
                                                "progress": progress if in_process else None, "limits": limits}): batch
                for batch in batches
            }
            for future in as_completed(list(futures)):
                batch = futures[future]
                try:
                    results: list[PartResult] = future.result()
                except Exception as exc:  # noqa: BLE001 - a crashed worker fails its documents, not the run
                    results = batch_error(batch, exc)
                yield batch, results

    return read


@flow(name="ingest", validate_parameters=False, log_prints=False)
def ingest(
    paths: list[str],
    settings: IngestSettings | dict[str, Any] | None = None,
    progress: ProgressHook | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> IngestSummary:
    """`run_ingest` as a Prefect flow run: the batches of pages are read as Prefect tasks, on
    the task runner `settings.runner` names (`make_task_runner`). A deployment passes
    `settings` as JSON parameters (`IngestSettings.as_parameters`)."""
    settings = IngestSettings.of(settings)
    summary = run_ingest(
        paths, settings, progress=progress, on_wait=on_wait,
        read_batches=read_with_prefect(settings.dask_address), report_writer=write_validation_report,
    )
    _log_summary(summary)
    return summary


def _log_summary(summary: IngestSummary) -> None:
    """One INFO line per run in Prefect's log (what `hyoka serve` shows)."""
    from prefect import get_run_logger

    get_run_logger().info(
        "ingest into %s: %d files, %d loaded, %d unchanged, %d failed, %d parsed (%s), %d moved",
        summary.db_path, len(summary.outcomes) + len(summary.missing),
        summary.loaded, summary.count("unchanged"),
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
