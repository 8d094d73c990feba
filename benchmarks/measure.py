"""One benchmark measurement, run in its own process: prints one JSON line.

    python benchmarks/measure.py pdfplumber-text FILE...     # naive: extract_text on every page
    python benchmarks/measure.py pdfium-text FILE...         # the floor: pypdfium2's text of every page
    python benchmarks/measure.py hyoka DB READER WORKERS FILE...   # the whole `hyoka ingest`

Each mode reports wall seconds, pages, and peak resident memory in MiB: of this process
(`peak_mib`), and of its largest child process (`children_peak_mib`: hyoka's worker
processes and Prefect's temporary server). The kernel counts a child from the moment it
is forked, while it is still a copy of this process: the child figure is at least this
process's size at that moment, not what the worker itself came to hold (sample it with `ps`).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path


def peak_mib(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(who).ru_maxrss / 1024


def pdfplumber_text(files: list[Path]) -> dict:
    """The naive reader: pdfplumber extract_text on every page, closing each page."""
    import pdfplumber

    pages = 0
    for path in files:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                page.extract_text()
                page.close()
                pages += 1
    return {"pages": pages}


def pdfium_text(files: list[Path]) -> dict:
    """The floor: pypdfium2's text of every page, nothing else."""
    import pypdfium2 as pdfium

    pages = 0
    for path in files:
        pdf = pdfium.PdfDocument(path)
        for index in range(len(pdf)):
            page = pdf[index]
            page.get_textpage().get_text_range()
            pages += 1
        pdf.close()
    return {"pages": pages}


def hyoka_ingest(db: Path, reader: str, workers: str, files: list[Path]) -> dict:
    """The whole `hyoka ingest` as a user runs it (CLI, Prefect flow, report), in this process."""
    from hyoka.cli import main

    sys.argv = ["hyoka", "ingest", *map(str, files), "--db", str(db), "--reader", reader, "--workers", workers]
    try:
        main()  # the console entry point, as `hyoka ingest` runs it
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    try:  # the worker processes that parsed the pages: ended here, so that their peak is counted
        from hyoka.flows.worker import close_all
    except ImportError:  # a hyoka from before the workers
        pass
    else:
        close_all()
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        pages, rows = con.execute(
            "SELECT coalesce(sum(page_count), 0), coalesce(sum(record_count), 0) FROM documents WHERE status <> 'failed'"
        ).fetchone()
    finally:
        con.close()
    return {"pages": int(pages), "rows": int(rows), "exit_code": code}


def main() -> None:
    mode, rest = sys.argv[1], sys.argv[2:]
    start = time.perf_counter()
    if mode == "pdfplumber-text":
        result = pdfplumber_text([Path(p) for p in rest])
    elif mode == "pdfium-text":
        result = pdfium_text([Path(p) for p in rest])
    elif mode == "hyoka":
        db, reader, workers, *files = rest
        # the CLI prints its summary; the benchmark wants only the JSON line on stdout
        sys.stdout = open(os.devnull, "w")
        result = hyoka_ingest(Path(db), reader, workers, [Path(p) for p in files])
        sys.stdout = sys.__stdout__
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    result.update(
        seconds=time.perf_counter() - start,
        peak_mib=peak_mib(),
        children_peak_mib=peak_mib(resource.RUSAGE_CHILDREN),
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
