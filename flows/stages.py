"""The stages of an ingest, as plain functions: plan → read pages → assemble → validate → rows.

They know nothing of Prefect or DuckDB, so each can be tested alone; `hyoka.flows.ingest`
wires them into a flow and `hyoka.flows.runs` hands the rows to `warehouse`.

A document is read in *parts* (page ranges) so that a large book spreads over several
worker processes; the pages of a document are assembled in one place, in page order,
so the records are the same however the book was split.
"""

from __future__ import annotations

import math
import os
import sys
import traceback
from dataclasses import dataclass, field
from datetime import datetime, UTC
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterable, Mapping

import hyoka
from hyoka.identity import sha256_hex
from hyoka.extractors.failures import CANNOT_READ, INTERNAL
from hyoka.extractors.limits import DEFAULT_LIMITS, Limits
from hyoka.extractors.pages import Reader
from hyoka.extractors.pdf_input import DocumentError
from hyoka.extractors.records import Extraction, IssueRecord, PageRecord
from hyoka.extractors.registry import PageRead, assemble_extraction, count_pages, read_page_grids
from hyoka.flows import worker as workers
from hyoka.flows.plan import is_spreadsheet
from hyoka.schemas.validate import validate_extraction, validate_extractions
from hyoka.warehouse.status import FAILED, decide_status

@dataclass
class DocumentResult:
    """What one document became: its `documents` row, table rows and issues."""

    path: str
    document: dict[str, Any]
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    issues: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.document["status"] == FAILED

    @property
    def record_count(self) -> int:
        return sum(len(rows) for name, rows in self.tables.items() if name != PageRecord.TABLE)


def document_row(path: str, file_size: int, document_id: str, ingested_at: datetime | None = None) -> dict[str, Any]:
    """The `documents` row before anything is read from the file."""
    return {
        "document_id": document_id,
        "source_path": path,
        "file_name": Path(path).name,
        "file_size": file_size,
        "doc_type": None,
        "template": None,
        "municipality": None,
        "title": None,
        "results_fiscal_year": None,
        "page_count": None,
        "status": decide_status(failed=True),  # until it is read
        "error": None,
        "record_count": 0,
        "error_count": 0,
        "warning_count": 0,
        "ingested_at": ingested_at or datetime.now(UTC).replace(tzinfo=None),
        "hyoka_version": hyoka.__version__,
    }


def issue_row(issue: IssueRecord, document_id: str) -> dict[str, Any]:
    """A `validation_issues` row."""
    return {
        "document_id": document_id,
        "page": issue.page,
        "table_name": issue.table_name,
        "record_key": issue.record_key,
        "column_name": issue.column_name,
        "check_name": issue.check_name,
        "severity": issue.severity,
        "message": issue.message,
        "raw_value": issue.raw_value,
        "bbox": list(issue.bbox) if issue.bbox else None,
        "related_document_id": None,
    }


def table_rows(extraction: Extraction, document_id: str) -> dict[str, list[dict[str, Any]]]:
    """Records as warehouse rows, each with its document id."""
    return {
        table: [{"document_id": document_id, **record.as_row()} for record in records]
        for table, records in extraction.tables.items()
    }


def failed_result(path: str, document: dict[str, Any], error: str, trace: str | None = None) -> DocumentResult:
    """A document that could not be read: its `documents` row says why."""
    document = {**document, "error": error}
    if trace:
        document["traceback"] = trace
    return DocumentResult(path, document)


def internal_error(stage: str, exc: BaseException | str) -> str:
    """The one line a user sees for a hyoka bug (the file is named beside it); `exc` may be its 'Type: message'."""
    detail = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
    return f"{INTERNAL.reason} while {stage} ({detail}); please report it with the file"


def validated_result(path: str, document: dict[str, Any], extraction: Extraction, municipality: str | None = None,
                     issues: list[IssueRecord] | None = None) -> DocumentResult:
    """Validate an extraction (unless its `issues` are given) and turn it into warehouse rows, issues and a `documents` row."""
    document_id = document["document_id"]
    if issues is None:
        issues = validate_extraction(extraction)
    rows = table_rows(extraction, document_id)
    errors = sum(1 for i in issues if i.severity == "error")
    warnings = len(issues) - errors
    document = {
        **document,
        "doc_type": extraction.doc_type,
        "template": extraction.template,
        "municipality": extraction.municipality or municipality,
        "title": extraction.title,
        "results_fiscal_year": extraction.results_fiscal_year,
        "page_count": extraction.page_count,
        "status": decide_status(errors, warnings),
        "record_count": sum(len(r) for t, r in rows.items() if t != PageRecord.TABLE),
        "error_count": errors,
        "warning_count": warnings,
    }
    return DocumentResult(path, document, rows, [issue_row(i, document_id) for i in issues])


# --------------------------------------------------------------------------------------
# Reading by parts: a document's pages in ranges, assembled in one place
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """Pages `first`..`last` (from 1) of one file."""

    path: str
    first: int
    last: int

    @property
    def pages(self) -> int:
        return self.last - self.first + 1


@dataclass
class PartResult:
    """What reading one part gave: its pages, or the reason the file cannot be read."""

    part: Part
    pages: list[PageRead] = field(default_factory=list)
    error: str | None = None  # a DocumentError's line (the whole document fails)
    traceback: str | None = None  # set for a hyoka bug, for the logs


# A worker's batch holds at most this many pages: small enough that a book spreads over
# every worker and progress moves, large enough that a task's overhead is noise.
MAX_BATCH_PAGES = 64
# Batches per worker: a few, so that a worker that finishes early takes another.
BATCHES_PER_WORKER = 3


def split_into_batches(page_counts: Mapping[str, int], workers: int) -> list[list[Part]]:
    """Files' pages in batches of about equal size, in file and page order.

    A file larger than a batch is split into page ranges; small files share a batch.
    """
    total = sum(page_counts.values())
    if total == 0:
        return []
    size = min(MAX_BATCH_PAGES, max(1, math.ceil(total / (max(1, workers) * BATCHES_PER_WORKER))))
    batches: list[list[Part]] = []
    current: list[Part] = []
    room = size
    for path, count in page_counts.items():
        first = 1
        while first <= count:
            last = min(count, first + room - 1)
            current.append(Part(path, first, last))
            room -= last - first + 1
            first = last + 1
            if room == 0:
                batches.append(current)
                current, room = [], size
    if current:
        batches.append(current)
    return batches


def cannot_read(reason: object) -> str:
    """The line of a file that cannot be read from disk."""
    return f"{CANNOT_READ.reason} ({reason})"


def read_part(part: Part, data: bytes, *, reader: Reader = Reader.PDFIUM, on_page: Callable[[int, int], None] | None = None,
              limits: Limits = DEFAULT_LIMITS) -> PartResult:
    """Read one part's pages into grids in this process; a bad file or a bug becomes the part's error, never a raise."""
    try:
        pages = read_page_grids(data, reader=reader, first=part.first, last=part.last, on_page=on_page, limits=limits)
    except DocumentError as exc:
        return PartResult(part, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - a bug must not stop the other files, nor show a traceback
        return PartResult(part, error=internal_error("reading", exc), traceback=traceback.format_exc())
    return PartResult(part, pages)


def reply_error(reply: workers.Reply, limits: Limits, stage: str) -> tuple[str, str | None]:
    """A worker's reply that is not `ok`, as the document's line (and the traceback of a bug)."""
    over = workers.limit_error(reply, limits)
    if over is not None:
        return str(over), None
    if reply.kind == "refused":
        return reply.detail, None
    if reply.kind == "unreadable":
        return cannot_read(reply.detail), None
    if reply.kind == "crashed":
        return workers.crash_line(reply), None
    return internal_error(stage, reply.detail), reply.trace


def read_batch(batch: list[Part], *, reader: Reader = Reader.PDFIUM, on_page: Callable[[str, int, int], None] | None = None,
               limits: Limits = DEFAULT_LIMITS) -> list[PartResult]:
    """Read every part of a batch (the body of a worker's task): in a worker process that the
    limits can stop (`hyoka.flows.worker`), or in this process when no time or memory limit is set."""
    results: list[PartResult] = []
    if not limits.bounds_worker:
        for part in batch:
            try:
                data = Path(part.path).read_bytes()
            except OSError as exc:
                results.append(PartResult(part, error=cannot_read(exc.strerror or exc)))
                continue
            hook = (lambda page, total, path=part.path: on_page(path, page, total)) if on_page else None
            results.append(read_part(part, data, reader=reader, on_page=hook, limits=limits))
        return results
    with workers.borrow() as worker:
        for part in batch:
            hook = (lambda page, total, path=part.path: on_page(path, page, total)) if on_page else None
            request = workers.Request(part.path, Reader(reader), limits, part.first, part.last)
            reply = worker.ask(request, hook)
            if reply.kind == "ok":
                results.append(PartResult(part, reply.value))
            else:
                error, trace = reply_error(reply, limits, "reading")
                results.append(PartResult(part, error=error, traceback=trace))
    return results


def page_count_of(data: bytes, reader: Reader = Reader.PDFIUM, limits: Limits = DEFAULT_LIMITS) -> int | str:
    """The number of pages of a PDF (once the cheap guards passed), or the one-line reason it cannot be opened."""
    try:
        return count_pages(data, reader, limits)
    except DocumentError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - a bug in opening fails the file, not the run
        return internal_error("opening", exc)


def open_file(path: str, reader: Reader = Reader.PDFIUM, limits: Limits = DEFAULT_LIMITS) -> int | str:
    """A file's page count, or the one-line reason it cannot be read: opened in a worker process when
    a time or memory limit is set (a hostile file never runs in the run's own process)."""
    if not limits.bounds_worker:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            return cannot_read(exc.strerror or exc)
        return page_count_of(data, reader, limits)
    reply = workers.ask(workers.Request(path, Reader(reader), limits))
    if reply.kind == "ok":
        return int(reply.value)
    return reply_error(reply, limits, "opening")[0]


def arrow_on_the_system_allocator() -> None:
    """Let Arrow allocate with malloc rather than its own mimalloc, unless ARROW_DEFAULT_MEMORY_POOL
    says otherwise. A run's Arrow tables (the rows handed to DuckDB, the report's frames) are small
    and short-lived: what malloc frees, `release_free_memory` hands back, where mimalloc keeps its
    segments (about 8 MiB more at the peak of a 400-page book's run)."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


def release_free_memory() -> None:
    """Hand memory that Python and the libraries have freed back to the system (glibc only; elsewhere a no-op).

    A book's page grids are tens of MiB, freed once its extraction is made; glibc keeps
    freed heap pages, so the validation, the load and the report would each start from
    the run's high-water mark instead of reusing them. Arrow's own allocator (mimalloc, for
    the rows handed to DuckDB) keeps what it freed too: some 14 MiB after a book's load.
    """
    arrow = sys.modules.get("pyarrow")
    if arrow is not None:  # not imported for it: a run that loaded nothing has nothing there
        arrow.default_memory_pool().release_unused()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def extraction_of(path: str, document: dict[str, Any], page_count: int, parts: Iterable[PartResult]) -> Extraction | DocumentResult:
    """A document's parts (any split, any order) → its extraction, or its failed result (a failed part fails it).

    The parts are consumed: their pages are let go once the extraction is made (a book's
    grids are tens of MiB, not needed to validate and load it).
    """
    ordered = sorted(parts, key=lambda r: r.part.first)
    for result in ordered:
        if result.error is not None:
            return failed_result(path, document, result.error, result.traceback)
    pages = [page for result in ordered for page in result.pages]
    try:
        return assemble_extraction(pages, page_count)
    except DocumentError as exc:
        return failed_result(path, document, str(exc))
    except Exception as exc:  # noqa: BLE001 - a bug must not stop the other files, nor show a traceback
        return failed_result(path, document, internal_error("reading", exc), traceback.format_exc())
    finally:
        for result in ordered:
            result.pages = []
        del pages
        release_free_memory()


# (path, its `documents` row, its page count, its parts) of a document whose pages are all read
WholeDocument = tuple[str, dict[str, Any], int, Iterable[PartResult]]


def assemble_documents(whole: list[WholeDocument], municipality: str | None = None) -> list[DocumentResult]:
    """Documents whose pages are all read → each one's result, validated together (`validate_extractions`)."""
    read = [(path, document, extraction_of(path, document, page_count, parts)) for path, document, page_count, parts in whole]
    extractions = [extraction for _, _, extraction in read if isinstance(extraction, Extraction)]
    try:
        found: list[list[IssueRecord]] | None = validate_extractions(extractions)
    except Exception:  # noqa: BLE001 - a bug in one document's validation must not fail the others: each alone below
        found = None
    issues = iter(found or [])
    results: list[DocumentResult] = []
    for path, document, extraction in read:
        if not isinstance(extraction, Extraction):
            results.append(extraction)
            continue
        try:
            results.append(validated_result(path, document, extraction, municipality, next(issues) if found else None))
        except Exception as exc:  # noqa: BLE001
            results.append(failed_result(path, document, internal_error("validating", exc), traceback.format_exc()))
    return results


def assemble_document(path: str, document: dict[str, Any], page_count: int, parts: Iterable[PartResult],
                      municipality: str | None = None) -> DocumentResult:
    """One document's parts (any split, any order) → its extraction, validated; a failed part fails it."""
    return assemble_documents([(path, document, page_count, parts)], municipality)[0]


def read_spreadsheet(path: str, document: dict[str, Any], municipality: str | None = None,
                     limits: Limits = DEFAULT_LIMITS) -> DocumentResult:
    """A spreadsheet export from disk, read whole (no pages to split) and validated; never raises.

    Read in a worker process when a time or memory limit is set, as a PDF's pages are.
    """
    if not limits.bounds_worker:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            return failed_result(path, document, cannot_read(exc.strerror or exc))
        return process_spreadsheet(path, data, document, municipality)
    reply = workers.ask(workers.Request(path, Reader.PDFIUM, limits, spreadsheet=True))
    if reply.kind != "ok":
        error, trace = reply_error(reply, limits, "reading")
        return failed_result(path, document, error, trace)
    return validated_spreadsheet(path, document, reply.value, municipality)


def process_spreadsheet(path: str, data: bytes, document: dict[str, Any], municipality: str | None = None) -> DocumentResult:
    """A spreadsheet export, read whole in this process (no pages to split) and validated; never raises."""
    from hyoka.extractors.sheet_extract import extract_spreadsheet  # only runs with a spreadsheet pay for it

    try:
        extraction = extract_spreadsheet(data)
    except DocumentError as exc:
        return failed_result(path, document, str(exc))
    except Exception as exc:  # noqa: BLE001 - a bug must not stop the other files, nor show a traceback
        return failed_result(path, document, internal_error("reading", exc), traceback.format_exc())
    return validated_spreadsheet(path, document, extraction, municipality)


def validated_spreadsheet(path: str, document: dict[str, Any], extraction: Extraction,
                          municipality: str | None = None) -> DocumentResult:
    """A spreadsheet's extraction validated; never raises."""
    try:
        return validated_result(path, document, extraction, municipality)
    except Exception as exc:  # noqa: BLE001
        return failed_result(path, document, internal_error("validating", exc), traceback.format_exc())


def process_document(
    path: str,
    data: bytes,
    *,
    municipality: str | None = None,
    on_page: Callable[[int, int], None] | None = None,
    ingested_at: datetime | None = None,
    reader: Reader = Reader.PDFIUM,
) -> DocumentResult:
    """Extract and validate one document in one piece; every failure becomes a failed result, never a raise."""
    document = document_row(path, len(data), sha256_hex(data), ingested_at)
    if is_spreadsheet(path):
        return process_spreadsheet(path, data, document, municipality)
    page_count = page_count_of(data, reader)
    if isinstance(page_count, str):
        return failed_result(path, document, page_count)
    part = read_part(Part(path, 1, page_count), data, reader=reader, on_page=on_page)
    return assemble_document(path, document, page_count, [part], municipality)


def read_and_process(path: str, *, municipality: str | None = None, on_page: Callable[[int, int], None] | None = None,
                     reader: Reader = Reader.PDFIUM) -> DocumentResult:
    """Read a file from disk and process it (an unreadable file is a failed result)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        document = document_row(path, 0, sha256_hex(f"unreadable:{path}".encode()))
        return failed_result(path, document, cannot_read(exc.strerror or exc))
    return process_document(path, data, municipality=municipality, on_page=on_page, reader=reader)
