"""The stages of an ingest, as plain functions: read → extract → validate → rows.

They know nothing of Prefect or DuckDB, so each can be tested alone; `flows.ingest`
wires them into a flow and hands the rows to `warehouse`.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import hyoka
from extractors.pdf_input import DocumentError, sha256_hex
from extractors.records import Extraction, IssueRecord
from extractors.registry import extract_pdf
from schemas.validate import validate_extraction

PDF_SUFFIXES = {".pdf"}


@dataclass
class DocumentResult:
    """What one document became: its `documents` row, table rows and issues."""

    path: str
    document: dict[str, Any]
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    issues: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.document["status"] == "failed"

    @property
    def record_count(self) -> int:
        return sum(len(rows) for name, rows in self.tables.items() if name != "pages")


def collect_paths(inputs: list[str | Path]) -> tuple[list[Path], list[str]]:
    """Files to ingest from files and folders (folders: every *.pdf below, sorted); plus missing inputs."""
    files: list[Path] = []
    missing: list[str] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in PDF_SUFFIXES)
        elif path.is_file():
            files.append(path)
        else:
            missing.append(str(item))
    # the same file named twice is ingested once
    unique: dict[Path, None] = {}
    for path in files:
        unique.setdefault(path.resolve(), None)
    return list(unique), missing


def document_row(path: str, data: bytes, document_id: str, ingested_at: datetime) -> dict[str, Any]:
    """The `documents` row before anything is read from the file."""
    return {
        "document_id": document_id,
        "source_path": path,
        "file_name": Path(path).name,
        "file_size": len(data),
        "doc_type": None,
        "template": None,
        "municipality": None,
        "title": None,
        "results_fiscal_year": None,
        "page_count": None,
        "status": "failed",
        "error": None,
        "record_count": 0,
        "error_count": 0,
        "warning_count": 0,
        "ingested_at": ingested_at,
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


def process_document(
    path: str,
    data: bytes,
    *,
    municipality: str | None = None,
    on_page: Callable[[int, int], None] | None = None,
    ingested_at: datetime | None = None,
) -> DocumentResult:
    """Extract and validate one document; every failure becomes a failed result, never a raise."""
    document_id = sha256_hex(data)
    document = document_row(path, data, document_id, ingested_at or datetime.now(timezone.utc).replace(tzinfo=None))
    try:
        extraction = extract_pdf(data, on_page=on_page)
    except DocumentError as exc:
        document["error"] = str(exc)
        return DocumentResult(path, document)
    except Exception as exc:  # a bug must not stop the other files, nor show a traceback
        document["error"] = f"internal error while reading ({type(exc).__name__}: {exc}); please report it with the file"
        document["traceback"] = traceback.format_exc()
        return DocumentResult(path, document)
    issues = validate_extraction(extraction)
    rows = table_rows(extraction, document_id)
    errors = sum(1 for i in issues if i.severity == "error")
    warnings = len(issues) - errors
    document.update(
        doc_type=extraction.doc_type,
        template=extraction.template,
        municipality=extraction.municipality or municipality,
        title=extraction.title,
        results_fiscal_year=extraction.results_fiscal_year,
        page_count=extraction.page_count,
        status="loaded_with_issues" if issues else "loaded",
        record_count=sum(len(r) for t, r in rows.items() if t != "pages"),
        error_count=errors,
        warning_count=warnings,
    )
    return DocumentResult(path, document, rows, [issue_row(i, document_id) for i in issues])


def read_and_process(path: str, *, municipality: str | None = None, on_page: Callable[[int, int], None] | None = None) -> DocumentResult:
    """Read a file from disk and process it (an unreadable file is a failed result)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        document = document_row(path, b"", sha256_hex(f"unreadable:{path}".encode()), datetime.now(timezone.utc).replace(tzinfo=None))
        document["error"] = f"cannot read the file ({exc.strerror or exc})"
        return DocumentResult(path, document)
    return process_document(path, data, municipality=municipality, on_page=on_page)
