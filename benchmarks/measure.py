"""One benchmark measurement, run in its own process: prints one JSON line.

    python benchmarks/measure.py baseline BOOK.pdf UNUSED.duckdb
    python benchmarks/measure.py ingest BOOK.pdf OUT.duckdb
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def peak_mib() -> float:
    """Peak resident memory of this process so far (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def baseline(book: Path) -> dict:
    """The naive reader: pdfplumber extract_text on every page, closing each page."""
    import pdfplumber

    start = time.perf_counter()
    pages = 0
    with pdfplumber.open(book) as pdf:
        for page in pdf.pages:
            page.extract_text()
            page.close()
            pages += 1
    return {"seconds": time.perf_counter() - start, "pages": pages, "peak_mib": peak_mib()}


def ingest(book: Path, db: Path) -> dict:
    """The whole hyoka ingest of the book; Prefect's start-up is timed apart."""
    start = time.perf_counter()
    from flows.ingest import ingest as ingest_flow

    # Prefect starts a temporary server on a process's first flow run: an empty run pays
    # for it, so the second run times hyoka's own work.
    ingest_flow([], db=str(db), report=False)
    warm = time.perf_counter()
    summary = ingest_flow([str(book)], db=str(db), report=False)
    end = time.perf_counter()
    # the report (crops, plots) is timed apart: it covers the whole warehouse, not this book
    from hyoka.report.build import write_report

    write_report(db)
    report_end = time.perf_counter()
    return {
        "seconds": end - start,
        "ingest_seconds": end - warm,
        "startup_seconds": warm - start,
        "report_seconds": report_end - end,
        "pages": summary.pages,
        "rows": summary.records,
        "issues": summary.errors + summary.warnings,
        "failed": summary.failed,
        "peak_mib": peak_mib(),
    }


def main() -> None:
    mode, book, db = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    result = baseline(book) if mode == "baseline" else ingest(book, db)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
