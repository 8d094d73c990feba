"""The `ingest` Prefect flow: files and folders in, one task per document, rows in DuckDB.

Tasks extract and validate (pure work, safe to run in parallel); the flow itself owns
the single DuckDB connection and loads each finished document in its own transaction,
so a crash never leaves half a document behind and analysts' readers wait only briefly.

Runs with no Prefect server configured: Prefect then starts a temporary local one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed

from flows.stages import DocumentResult, collect_paths, read_and_process
from extractors.pdf_input import sha256_hex
from warehouse import crosscheck, store


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
) -> IngestSummary:
    """Ingest PDF files and folders into the DuckDB warehouse at `db`; then write its validation report."""
    files, missing = collect_paths(paths)
    summary = IngestSummary(db_path=str(db), missing=missing)
    con = store.connect(db, wait_seconds=wait_seconds, on_wait=on_wait)
    try:
        todo: list[Path] = []
        seen: set[str] = set()
        for path in files:
            document_id = _content_id(path)
            loaded = document_id is not None and store.document_status(con, document_id) in ("loaded", "loaded_with_issues")
            if loaded or (document_id is not None and document_id in seen):
                # already in the warehouse, or the same bytes under another name in this run
                summary.outcomes.append(DocumentOutcome(str(path), "unchanged"))
                if progress:
                    progress("done", str(path), "unchanged")
                continue
            if document_id is not None:
                seen.add(document_id)
            todo.append(path)
        futures = [extract_document.submit(str(path), municipality, progress) for path in todo]
        for future in as_completed(futures):
            result: DocumentResult = future.result()
            outcome = load_result(con, result)
            summary.outcomes.append(outcome)
            if progress:
                progress("done", result.path, outcome)
    finally:
        con.close()
    order = {str(p): i for i, p in enumerate(files)}
    summary.outcomes.sort(key=lambda o: order.get(o.path, len(order)))
    if report and str(db) != ":memory:":
        if progress:
            progress("report", str(db), None)
        summary.report_dir, summary.report_error = write_validation_report(str(db), wait_seconds)
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
