"""An ingest run from files to loaded documents, whoever reads the pages.

`run_ingest` is the whole run: plan (`hyoka.flows.runs.plan_run`), read the files' pages in
batches, assemble and validate each document once its pages are in, load it in its own
short warehouse connection, then write the validation report. Where the batches are
read is a `BatchReading`:

- one after another (`thread`: one worker, or a small run), the next batch read while the
  last one is loaded;
- side by side, `workers` at a time (`process`);
- the Prefect flow's task runners (`hyoka.flows.ingest`), so that a run is visible in the
  Prefect UI when a server is configured.

Whoever runs a batch, its pages are parsed in a worker process that the run can stop
(`hyoka.flows.worker`, within the `Limits` of each document), not in the run's own process:
a hostile file fails alone, and the run goes on.

No Prefect here: a run without a Prefect server pays for none of it.
"""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, Protocol
from collections.abc import Callable, Iterator

from hyoka.extractors.limits import DEFAULT_LIMITS, Limits
from hyoka.extractors.pages import Reader
from hyoka.flows.plan import is_spreadsheet
from hyoka.flows import worker as reading_workers
from hyoka.flows.runs import (
    DocumentOutcome,
    IngestSettings,
    IngestSummary,
    ProgressHook,
    Runner,
    Tally,
    Warehouse,
    load_result,
    plan_run,
    report_is_current,
    write_report_safely,
)
from hyoka.flows.stages import (
    Part,
    PartResult,
    arrow_on_the_system_allocator,
    assemble_documents,
    cannot_read,
    document_row,
    failed_result,
    open_file,
    read_spreadsheet,
    read_batch,
    release_free_memory,
    split_into_batches,
)

# A worker process costs about half a second to start (it imports the readers) and a
# page 20-50 ms to read: a second worker pays off only from about this many pages per
# worker; a smaller run, or --workers 1, reads with one worker (`runner_for`).
MIN_PAGES_PER_PROCESS = 60

# (the batch, what reading it gave), as batches finish
BatchResults = Iterator[tuple[list[Part], list[PartResult]]]


class BatchReading(Protocol):
    """Where a run's batches of pages are read: results come back as batches finish, in any order."""

    def __call__(self, batches: list[list[Part]], runner: str, workers: int, reader: Reader,
                 progress: ProgressHook | None, limits: Limits) -> BatchResults: ...


def runner_for(runner: Runner | str, workers: int, pages: int) -> str:
    """The runner a run really needs: no process pool for one worker or a run too small to repay it."""
    chosen = Runner(runner)
    if chosen is Runner.PROCESS and (workers <= 1 or pages < 2 * MIN_PAGES_PER_PROCESS):
        return Runner.THREAD.value
    return chosen.value


def page_progress(progress: ProgressHook | None) -> Callable[[str, int, int], None] | None:
    """A `read_batch` page callback that tells the run's progress hook."""
    if progress is None:
        return None
    return lambda path, page, total: progress("page", path, (page, total))


def batch_error(batch: list[Part], exc: BaseException) -> list[PartResult]:
    """A batch whose worker crashed: each of its documents fails with the reason, the run goes on."""
    error = f"internal error while reading ({type(exc).__name__}: {exc})"
    return [PartResult(part, error=error) for part in batch]


def read_locally(batches: list[list[Part]], runner: str, workers: int, reader: Reader,
                 progress: ProgressHook | None, limits: Limits = DEFAULT_LIMITS) -> BatchResults:
    """Read batches without Prefect: one after another (one ahead), or with `runner` 'process' `workers` at a time."""
    if runner == "process" and workers > 1:
        yield from _read_side_by_side(batches, workers, reader, limits)
        return
    on_page = page_progress(progress)
    if limits.bounds_worker and len(batches) > 1:
        yield from _read_ahead(batches, reader, on_page, limits)
        return
    for batch in batches:
        yield batch, read_batch(batch, reader=reader, on_page=on_page, limits=limits)


def _read_ahead(batches: list[list[Part]], reader: Reader, on_page: Callable[[str, int, int], None] | None,
                limits: Limits) -> BatchResults:
    """One worker process, one batch ahead: it reads the next batch while this process assembles,
    validates and loads the last one (the two cores of a laptop both work with `--workers 1`)."""
    # a thread that only waits: the worker process it talks to does the reading
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hyoka-read")
    finished = False
    try:
        ahead = pool.submit(read_batch, batches[0], reader=reader, on_page=on_page, limits=limits)
        for index, batch in enumerate(batches):
            results = ahead.result()
            if index + 1 < len(batches):
                ahead = pool.submit(read_batch, batches[index + 1], reader=reader, on_page=on_page, limits=limits)
            yield batch, results
        finished = True
    finally:
        if not finished:  # the run stopped (Ctrl-C, an error): the worker goes, and the batch it read with it
            reading_workers.close_all()
        pool.shutdown(wait=True, cancel_futures=True)


def _read_side_by_side(batches: list[list[Part]], workers: int, reader: Reader, limits: Limits) -> BatchResults:
    # threads that only wait: each hands its batch to a worker process of its own (`read_batch`)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hyoka-read")
    try:
        pending: dict[Future[list[PartResult]], list[Part]] = {
            pool.submit(read_batch, batch, reader=reader, limits=limits): batch for batch in batches
        }
        while pending:
            done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for future in done:
                batch = pending.pop(future)
                try:
                    yield batch, future.result()
                except Exception as exc:  # noqa: BLE001 - a crashed worker fails its documents, not the run
                    yield batch, batch_error(batch, exc)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


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


def write_report(db: str, wait_seconds: float) -> tuple[str | None, str | None]:
    """Write the validation report: (its folder, or why it was not written)."""
    paths, error = write_report_safely(db, wait_seconds)
    return (str(paths.out_dir) if paths is not None else None), error


def run_ingest(
    paths: list[str],
    settings: IngestSettings = IngestSettings(),
    *,
    progress: ProgressHook | None = None,
    on_wait: Callable[[str], None] | None = None,
    read_batches: BatchReading = read_locally,
    report_writer: Callable[[str, float], tuple[str | None, str | None]] = write_report,
) -> IngestSummary:
    """Ingest PDF files and folders into the warehouse `settings.db`; then write its validation report.

    With `settings.processed_dir`, each file is moved there once dealt with: loaded or
    unchanged ones to it, failed ones to its failed/ (files below it are never ingested).
    Each document is read within `settings.limits` (time, memory, pages, objects, inflated size).
    """
    db, processed_dir = settings.db, settings.processed_dir
    warehouse = Warehouse(db, settings.wait_seconds, on_wait)
    try:
        run = plan_run(paths, warehouse, processed_dir)
        summary = IngestSummary(db_path=str(db), missing=run.missing)
        tally = Tally(summary, [str(p) for p in paths], processed_dir, progress)
        tally.settle_plan(run.plan)
        summary.parsed = len(run.plan.todo)
        read_and_load(run.plan.todo, tally, warehouse, settings, progress=progress, read_batches=read_batches)
    finally:
        warehouse.close()
    tally.close(run.files)
    if settings.report and db != ":memory:":
        current = report_is_current(db) if summary.parsed == 0 else None
        if current:
            summary.report_dir = current  # nothing changed: the report there is current
        else:
            if progress:
                progress("report", str(db), None)
            release_free_memory()
            summary.report_dir, summary.report_error = report_writer(db, settings.wait_seconds)
    return summary


def read_and_load(todo: list[tuple[Path, str]], tally: Tally, warehouse: Warehouse, settings: IngestSettings, *,
                  progress: ProgressHook | None, read_batches: BatchReading) -> None:
    """Read the planned files (PDFs by page ranges, spreadsheets whole); load each document as soon as it is whole."""
    if todo:
        arrow_on_the_system_allocator()
        if settings.limits.bounds_worker:
            reading_workers.warm_up(1)  # it imports the readers while the files are looked at
    documents: dict[str, dict[str, Any]] = {}
    page_counts: dict[str, int] = {}
    for path, document_id in todo:
        try:
            size = path.stat().st_size
        except OSError as exc:
            tally.finish(path, DocumentOutcome(str(path), "failed", error=cannot_read(exc.strerror or exc)))
            continue
        document = document_row(str(path), size, document_id)
        if is_spreadsheet(path):  # an export is read whole: it has no pages to spread over workers
            result = read_spreadsheet(str(path), document, settings.municipality, settings.limits)
            with warehouse.open() as con:
                tally.finish(path, load_result(con, result))
            continue
        count = open_file(str(path), settings.reader, settings.limits)
        if isinstance(count, str):  # not a PDF, damaged, encrypted, over a limit…: fails before any page is read
            with warehouse.open() as con:
                tally.finish(path, load_result(con, failed_result(str(path), document, count)))
            continue
        documents[str(path)] = document
        page_counts[str(path)] = count
    workers = settings.workers
    kind = runner_for(settings.runner, workers, sum(page_counts.values()))
    batches = split_into_batches(page_counts, workers if kind != "thread" else 1)
    if not batches:
        return
    tally.summary.runner = kind
    assembly = Assembly(page_counts)
    for _batch, results in read_batches(batches, kind, workers, settings.reader, progress, settings.limits):
        whole = [result.part.path for result in results if assembly.add(result)]
        if not whole:
            continue
        # the documents a batch completed share one connection (opening the warehouse costs
        # tens of ms), each in its own transaction; it is closed again while pages are read,
        # so that an analyst's query gets in between
        assembled = assemble_documents([(path, documents[path], page_counts[path], assembly.parts.pop(path)) for path in whole],
                                       settings.municipality)
        with warehouse.open() as con:
            for result in assembled:
                tally.finish(Path(result.path), load_result(con, result))
