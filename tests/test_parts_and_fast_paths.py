"""Reading by page ranges, and the paths that must not start Prefect.

A book is read in parts (page ranges) spread over workers and assembled in one place:
the records must not depend on the split. A run whose files are all known answers from
the warehouse alone, and the commands that run no flow never import Prefect.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import IKEDA_PDFS, KPI_LIST, ROOT, SHEET_REPORTLAB, fetch
from hyoka.flows.stages import (
    MAX_BATCH_PAGES,
    Part,
    assemble_document,
    document_row,
    read_part,
    split_into_batches,
)
from hyoka.identity import sha256_hex
from warehouse_builder import build_warehouse


def test_batches_cover_every_page_once_in_order() -> None:
    counts = {"a.pdf": 1, "b.pdf": 130, "c.pdf": 2, "d.pdf": 7}
    for workers in (1, 2, 3, 8):
        batches = split_into_batches(counts, workers)
        parts = [part for batch in batches for part in batch]
        pages = [(p.path, n) for p in parts for n in range(p.first, p.last + 1)]
        assert pages == [(path, n) for path, count in counts.items() for n in range(1, count + 1)]
        assert all(sum(p.pages for p in batch) <= MAX_BATCH_PAGES for batch in batches)
    # more workers, more (smaller) batches: a 130-page book is not one task
    assert len(split_into_batches(counts, 2)) > len(split_into_batches(counts, 1)) >= 2
    assert split_into_batches({}, 2) == []


def _rows_by_split(path: Path, splits: list[list[tuple[int, int]]]) -> list[dict]:
    """The document's result read with each split (lists of page ranges, in any order)."""
    data = path.read_bytes()
    document = document_row(str(path), len(data), sha256_hex(data))
    results = []
    for ranges in splits:
        parts = [read_part(Part(str(path), first, last), data) for first, last in ranges]
        result = assemble_document(str(path), document, max(last for _, last in ranges), reversed(parts))
        assert not result.failed, result.document["error"]
        results.append({"tables": result.tables, "issues": result.issues, "document": result.document})
    return results


def _book(tmp_path: Path, sheets: int) -> Path:
    from synth.sheets import make_book

    path = tmp_path / "book.pdf"
    make_book(path, sheets, seed=7)
    return path


def test_a_book_reads_the_same_in_any_split(tmp_path: Path) -> None:
    book = _book(tmp_path, 3)  # 6 pages: projects span two pages each
    whole, halves, odd, singles = _rows_by_split(
        book, [[(1, 6)], [(1, 3), (4, 6)], [(1, 1), (2, 4), (5, 6)], [(n, n) for n in range(1, 7)]]
    )
    assert len(whole["tables"]["projects"]) == 3
    assert len(whole["tables"]["project_budgets"]) > 0
    for other in (halves, odd, singles):
        assert other == whole


def test_the_kpi_list_reads_the_same_in_any_split() -> None:
    from pypdf import PdfReader

    pages = len(PdfReader(str(KPI_LIST)).pages)
    assert pages >= 2
    whole, singles = _rows_by_split(KPI_LIST, [[(1, pages)], [(n, n) for n in range(1, pages + 1)]])
    assert whole["tables"]["strategy_kpis"]
    assert singles == whole


def test_a_damaged_part_fails_its_document_with_one_line() -> None:
    data = b"%PDF-1.4\n" + b"garbage " * 100 + b"\n%%EOF\n"
    document = document_row("broken.pdf", len(data), sha256_hex(data))
    result = assemble_document("broken.pdf", document, 1, [read_part(Part("broken.pdf", 1, 1), data)])
    assert result.failed
    assert "\n" not in result.document["error"] and "PDF" in result.document["error"]


# ---- commands that must not start (or even import) Prefect ------------------------------

_PROBE = """
import contextlib, io, json, sys
from hyoka.cli import app
for args in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            app(args, prog_name="hyoka")
        except SystemExit as exc:
            code = exc.code
        else:
            code = 0
    print(json.dumps({"command": args[0], "code": code, "stdout": out.getvalue(), "stderr": err.getvalue(),
                      "prefect": any(m == "prefect" or m.startswith("prefect.") for m in sys.modules),
                      "matplotlib": "matplotlib" in sys.modules}))
"""


def _probe(*commands: list[str]) -> list[dict]:
    """Run CLI commands one after the other in one fresh interpreter; after each: its output, what was imported."""
    out = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(commands)], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


def test_one_worker_reads_the_next_batch_while_the_last_is_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With --workers 1 the worker is asked for the next batch before the run loads the documents
    of the last one (the load waits for that, event-based: without reading ahead it would wait in vain)."""
    import threading

    from conftest import HANG
    import hyoka.flows.engine as engine
    from hyoka.flows.runs import IngestSettings

    asked: list[list[Part]] = []
    second_asked = threading.Event()
    real_read, real_load = engine.read_batch, engine.load_result

    def read_batch(batch: list[Part], **kwargs: object) -> object:
        asked.append(batch)
        if len(asked) == 2:
            second_asked.set()
        return real_read(batch, **kwargs)

    waited: list[bool] = []

    def load_result(con: object, result: object) -> object:
        if not waited:  # the first document's load: by now the worker has the next batch
            waited.append(second_asked.wait(HANG))
        return real_load(con, result)

    monkeypatch.setattr(engine, "read_batch", read_batch)
    monkeypatch.setattr(engine, "load_result", load_result)
    files = [str(SHEET_REPORTLAB), str(KPI_LIST), str(IKEDA_PDFS[0])]
    summary = engine.run_ingest(files, IngestSettings(db=str(tmp_path / "ahead.duckdb"), workers=1, report=False))
    assert waited == [True] and len(asked) >= 2
    assert summary.failed == 0 and summary.parsed == 3
    assert [part.path for batch in asked for part in batch][0] == files[0]


@pytest.fixture(scope="module")
def known_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse that already holds a few Ikeda sheets and the KPI list (loaded without Prefect)."""
    db = tmp_path_factory.mktemp("known") / "known.duckdb"
    return build_warehouse([*IKEDA_PDFS[:3], KPI_LIST], db)


def test_known_files_and_the_commands_that_run_no_flow_never_import_prefect(known_warehouse: Path, tmp_path: Path) -> None:
    files = [str(p) for p in [*IKEDA_PDFS[:3], KPI_LIST]]
    db = ["--db", str(known_warehouse)]
    runs = _probe(
        ["ingest", *files, *db, "--no-report"],
        ["sql", "SELECT count(*) AS n FROM documents", *db],
        ["templates"],
        ["changes", "--from", "2022", "--to", "2023", *db],
        ["export", "--parquet", str(tmp_path / "export"), *db],
        ["template", "check", str(ROOT / "extractors" / "templates" / "ikeda_mokuhyo_sheet.toml"), files[0]],
    )
    assert [r["command"] for r in runs] == ["ingest", "sql", "templates", "changes", "export", "template"]
    for run in runs:  # cumulative: the first command that imports Prefect or matplotlib is named
        assert (run["command"], run["prefect"], run["matplotlib"]) == (run["command"], False, False)
    ingest, sql, templates, changes, export, template_check = runs
    assert ingest["code"] == 0
    unchanged = ingest["stdout"].split("unchanged (already loaded)")[1].splitlines()[0]
    assert unchanged.split() == ["4"]
    # the file cache now knows them: a second pass does not even hash them
    assert fetch(known_warehouse, "SELECT count(*) FROM file_cache")[0][0] == 4
    assert sql["code"] == 0 and "4" in sql["stdout"]
    assert templates["code"] == 0 and "ikeda" in templates["stdout"]
    assert changes["code"] == 1 and "edition" in changes["stderr"]  # no R5 edition here: it says which exist
    assert export["code"] == 0 and (tmp_path / "export" / "_manifest.json").exists()
    assert template_check["code"] == 0 and "0 expected but not found" in template_check["stdout"]


def test_a_prefect_that_cannot_start_is_one_line_and_nothing_is_loaded(tmp_path: Path) -> None:
    """A machine so busy that Prefect's temporary server cannot start in its time limit (a run asked
    to be a Prefect flow: without a configured server, a run needs none)."""
    db = tmp_path / "busy.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_")}
    env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "0"  # the limit is reached at once
    # … and the server cannot be ready by then, however slow the imports beside it: its database
    # (a Prefect home of its own) is locked until the run is over, so it cannot finish starting
    home = tmp_path / "prefect-home"
    home.mkdir()
    env["PREFECT_HOME"] = str(home)
    lock = sqlite3.connect(home / "prefect.db", isolation_level=None)
    try:
        lock.execute("BEGIN EXCLUSIVE")
        out = subprocess.run([sys.executable, "-m", "hyoka", "ingest", str(SHEET_REPORTLAB), "--db", str(db),
                              "--orchestrator", "prefect"],
                             capture_output=True, text=True, cwd=ROOT, env=env)
    finally:
        lock.close()
    assert out.returncode == 2, out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    assert "the Prefect server did not answer within 0s" in lines[0] and "nothing was loaded" in lines[0]
    assert "PREFECT_API_URL" in lines[0] and "Traceback" not in out.stderr
    assert fetch(db, "SELECT count(*) FROM documents")[0][0] == 0


_READ_WITH_PDFIUM = """
import json, sys
from hyoka.extractors.pdf_input import DocumentError
from hyoka.extractors.registry import extract_pdf
extraction = extract_pdf(open(sys.argv[1], "rb").read())
try:
    extract_pdf(b"%PDF-1.7\\n1 0 obj << /Type /Catalog >> garbage\\n%%EOF\\n")
    reason = None
except DocumentError as exc:
    reason = str(exc)
print(json.dumps({"projects": len(extraction.rows("projects")), "reason": reason,
                  "imported": sorted(m for m in ("pdfplumber", "pdfminer") if m in sys.modules)}))
"""


def test_reading_with_pdfium_never_imports_pdfplumber() -> None:
    """pdfplumber is the reference reader: a run that reads with pdfium (the default) does not import it,
    nor pdfminer (with what they pull in, some 45 MiB of every process), and still names a damaged file's reason."""
    out = subprocess.run([sys.executable, "-c", _READ_WITH_PDFIUM, str(IKEDA_PDFS[0])], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    assert found["projects"] == 1
    assert found["reason"] is not None and "damaged" in found["reason"]
    assert found["imported"] == []


_RUN_AND_SAY_THE_POOL = """
import os, sys
os.environ.pop("ARROW_DEFAULT_MEMORY_POOL", None)
from hyoka.flows.engine import run_ingest
from hyoka.flows.runs import IngestSettings
summary = run_ingest([sys.argv[1]], IngestSettings(db=sys.argv[2], workers=1, report=False))
import pyarrow as pa
print(summary.parsed, pa.default_memory_pool().backend_name)
"""


def test_a_run_lets_arrow_allocate_with_malloc(tmp_path: Path) -> None:
    """Arrow's own allocator keeps what it freed; a run's Arrow tables are small and short-lived,
    so they are allocated with malloc, which gives freed memory back (a lower peak on a book)."""
    out = subprocess.run([sys.executable, "-c", _RUN_AND_SAY_THE_POOL, str(IKEDA_PDFS[0]), str(tmp_path / "pool.duckdb")],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "system"]
