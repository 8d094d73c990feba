"""Every document is bounded: hostile files fail with their reason, within the limits, and the rest loads.

The hostile files are written at test time (tests/pdf_factory.py: a few KiB each): a
decompression bomb, a 5,000-page book, a page of 200,000 objects. The cheap guards stop
them before parsing; with the guards off, the worker's time and memory limits stop them.
Blocking and crashing a worker deterministically uses a FIFO: reading one blocks until a
writer comes, forever if none does.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import ROOT, SHEET_REPORTLAB, fetch, wait_until
from pdf_factory import busy_page, decompression_bomb, many_pages
from hyoka.extractors.limits import DEFAULT_LIMITS, NO_LIMITS, LimitExceeded, Limits, check_inflated_sizes
from hyoka.extractors.pages import Reader
from hyoka.extractors.registry import count_pages, read_page_grids
from hyoka.flows import worker as workers
from hyoka.flows.engine import run_ingest
from hyoka.flows.runs import IngestSettings
from hyoka.flows.stages import open_file


def statuses(db: Path) -> dict[str, tuple[str, str | None]]:
    """file name → (status, error) of every document in the warehouse."""
    return {name: (status, error) for name, status, error in fetch(db, "SELECT file_name, status, error FROM documents")}


def test_limits_are_checked_when_made() -> None:
    for bad in ({"timeout": 0}, {"memory_mib": -1}, {"max_pages": 1.5}, {"max_page_objects": True}, {"max_stream_mib": "9"}):
        with pytest.raises(ValueError, match=f"Limits.{next(iter(bad))} must be"):
            Limits(**bad)  # type: ignore[arg-type]  # the point: what a caller might pass
    assert not NO_LIMITS.bounds_worker and DEFAULT_LIMITS.bounds_worker
    assert Limits(timeout=None).bounds_worker and not Limits(timeout=None, memory_mib=None).bounds_worker


def test_the_inflate_guard_counts_what_a_stream_inflates_to() -> None:
    """A stream of Flate over Flate (a few KiB) inflating to 64 MiB passes a 128 MiB limit and not a 32 MiB one."""
    bomb = decompression_bomb(64 << 20)
    assert len(bomb) < 64 << 10
    check_inflated_sizes(bomb, Limits(max_stream_mib=128))
    with pytest.raises(LimitExceeded, match=r"inflates to more than 32 MiB \(limit 32 MiB per stream"):
        check_inflated_sizes(bomb, Limits(max_stream_mib=32))
    check_inflated_sizes(bomb, Limits(max_stream_mib=None))
    check_inflated_sizes(SHEET_REPORTLAB.read_bytes(), Limits(max_stream_mib=1))  # its streams are small


@pytest.mark.parametrize("reader", list(Reader))
def test_cheap_guards_stop_hostile_files_before_they_are_parsed(reader: Reader) -> None:
    with pytest.raises(LimitExceeded, match="inflates to more than 256 MiB"):
        count_pages(decompression_bomb(), reader)
    with pytest.raises(LimitExceeded, match=r"has 50 pages \(limit 49 per document\) — .*--max-pages"):
        count_pages(many_pages(50), reader, Limits(max_pages=49))
    assert count_pages(many_pages(50), reader, Limits(max_pages=50)) == 50
    with pytest.raises(LimitExceeded, match=r"page 1 holds more than 1,000 objects .*--max-page-objects"):
        read_page_grids(busy_page(1500), reader=reader, limits=Limits(max_page_objects=1000))
    assert len(read_page_grids(busy_page(1500), reader=reader, limits=Limits(max_page_objects=20_000))) == 1


def test_hostile_files_fail_within_the_limits_and_the_other_files_load(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "bomb.pdf").write_bytes(decompression_bomb(4 << 30))  # 4 GiB from a few KiB
    (inbox / "book.pdf").write_bytes(many_pages(5000))
    (inbox / "busy.pdf").write_bytes(busy_page(200_000))
    (inbox / "sheet.pdf").write_bytes(SHEET_REPORTLAB.read_bytes())
    db = tmp_path / "w.duckdb"
    summary = run_ingest([str(inbox)], IngestSettings(db=str(db), report=False))
    assert (summary.failed, summary.loaded) == (3, 1)
    assert summary.failures == {"over a per-document limit": 3}  # the summary counts them as one kind
    found = statuses(db)
    assert found["bomb.pdf"] == ("failed", "over a per-document limit: a compressed stream inflates to more than 256 MiB (limit 256 MiB per stream; "
                                 "a decompression bomb?) — if the file is genuine, raise it with --max-stream-mib")
    assert found["book.pdf"] == ("failed", "over a per-document limit: has 5,000 pages (limit 2,000 per document) — if the file is genuine, "
                                 "raise it with --max-pages, or split the PDF")
    assert found["busy.pdf"] == ("failed", "over a per-document limit: page 1 holds more than 100,000 objects (limit 100,000 per page) — "
                                 "if the file is genuine, raise it with --max-page-objects")
    assert found["sheet.pdf"][0].startswith("loaded")
    assert fetch(db, "SELECT project_code FROM projects") == [("121101",)]


# the cheap guards off: only the worker's own limits stand between these files and the machine
NO_GUARDS = {"max_pages": None, "max_page_objects": None, "max_stream_mib": None}


@pytest.mark.parametrize(("hostile", "limits", "line"), [
    (lambda: decompression_bomb(4 << 30), Limits(timeout=None, memory_mib=128, **NO_GUARDS),
     "over a per-document limit: needed more than 128 MiB to read (limit 128 MiB per document) — if the file is genuine, raise it with --doc-memory"),
    # seconds of reading, far past 2 s (and far past the sheet's few hundredths of a second)
    (lambda: busy_page(200_000), Limits(timeout=2, memory_mib=None, **NO_GUARDS),
     "over a per-document limit: took longer than 2 s to read (limit 2 s per document) — if the file is genuine, raise it with --doc-timeout"),
], ids=["memory", "time"])
def test_the_worker_is_stopped_past_its_limit_and_the_next_file_loads(
        tmp_path: Path, hostile: Callable[[], bytes], limits: Limits, line: str) -> None:
    """With the cheap guards off, the worker's own limit stops the file; a new worker reads the next one."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a-hostile.pdf").write_bytes(hostile())
    (inbox / "b-sheet.pdf").write_bytes(SHEET_REPORTLAB.read_bytes())
    db = tmp_path / "w.duckdb"
    summary = run_ingest([str(inbox)], IngestSettings(db=str(db), report=False, limits=limits, workers=1))
    assert (summary.failed, summary.loaded) == (1, 1)
    found = statuses(db)
    assert found["a-hostile.pdf"] == ("failed", line)
    assert found["b-sheet.pdf"][0].startswith("loaded")


@pytest.mark.parametrize("reader", list(Reader))
def test_the_memory_limit_holds_for_either_reader(tmp_path: Path, reader: Reader) -> None:
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(decompression_bomb(1 << 30))
    limits = Limits(memory_mib=64, max_stream_mib=None)
    reply = workers.ask(workers.Request(str(bomb), reader, limits, 1, 1))
    assert (reply.kind, reply.retire) == ("memory", True)


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    """A named pipe: a worker reading it blocks until a writer opens it (never, unless the test does)."""
    path = tmp_path / "blocks.pdf"
    os.mkfifo(path)
    return path


def test_a_worker_that_does_not_answer_in_time_is_killed(fifo: Path) -> None:
    sheet = workers.Request(str(SHEET_REPORTLAB), Reader.PDFIUM, DEFAULT_LIMITS)
    with workers.borrow() as worker:
        assert worker.ask(sheet).value == 2
        first = worker.pid
        assert worker.ask(workers.Request(str(fifo), Reader.PDFIUM, Limits(timeout=0.5))).kind == "timeout"
        assert worker.pid is None  # killed; the next request starts another
        assert worker.ask(sheet).value == 2
        assert worker.pid not in (None, first)
    assert open_file(str(fifo), limits=Limits(timeout=0.5)) == (
        "over a per-document limit: took longer than 0.5 s to read (limit 0.5 s per document) — if the file is genuine, raise it with --doc-timeout")


def test_a_crashed_worker_fails_only_its_document(fifo: Path) -> None:
    """A worker that dies mid-request (here: SIGSEGV, as a bug in C code would) fails that document with one line."""
    replies: list[workers.Reply] = []
    with workers.borrow() as worker:
        asking = threading.Thread(target=lambda: replies.append(worker.ask(workers.Request(str(fifo), Reader.PDFIUM, Limits(timeout=None)))))
        asking.start()

        def reading() -> int | None:
            try:  # succeeds once the worker has the FIFO open for reading: it is inside the request
                return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                return None

        writer = wait_until(reading, "the worker reads the FIFO")
        crashed = worker.pid
        assert crashed is not None
        os.kill(crashed, signal.SIGSEGV)
        asking.join()
        os.close(writer)
        assert replies[0].kind == "crashed" and replies[0].detail == "SIGSEGV"
        assert workers.crash_line(replies[0]).startswith("the PDF reader crashed while reading it (SIGSEGV) — ")
        assert worker.ask(workers.Request(str(SHEET_REPORTLAB), Reader.PDFIUM, DEFAULT_LIMITS)).value == 2
        assert worker.pid != crashed


def test_the_cli_takes_the_limits(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from hyoka.cli import app

    db = tmp_path / "w.duckdb"
    result = CliRunner().invoke(app, ["ingest", str(SHEET_REPORTLAB), "--db", str(db), "--no-report", "--max-pages", "1"],
                                env={"COLUMNS": "300"})
    assert result.exit_code == 1, result.output
    assert "has 2 pages (limit 1 per document) — if the file is genuine, raise it with --max-pages" in result.output
    again = CliRunner().invoke(app, ["ingest", str(SHEET_REPORTLAB), "--db", str(db), "--doc-timeout", "-1"],
                               env={"COLUMNS": "300"})
    assert again.exit_code == 2 and "--doc-timeout" in again.output


def test_a_spreadsheet_is_read_within_the_limits_too(tmp_path: Path) -> None:
    """An .xlsx is a zip of XML: a small one can ask for gigabytes. It is read in a worker, like a PDF."""
    from pdf_factory import xlsx_bomb

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a-bomb.xlsx").write_bytes(xlsx_bomb())
    (inbox / "b-export.xlsx").write_bytes((ROOT / "samples" / "real" / "ofunato" / "report_excerpt.xlsx").read_bytes())
    db = tmp_path / "w.duckdb"
    limits = Limits(timeout=None, memory_mib=128)
    summary = run_ingest([str(inbox)], IngestSettings(db=str(db), report=False, limits=limits, workers=1))
    found = statuses(db)
    assert found["a-bomb.xlsx"] == ("failed", "over a per-document limit: needed more than 128 MiB to read (limit 128 MiB "
                                    "per document) — if the file is genuine, raise it with --doc-memory")
    assert found["b-export.xlsx"][0].startswith("loaded") and summary.loaded == 1


def test_the_time_limit_runs_per_page_once_pages_come() -> None:
    """A long document that finishes page after page is slow, not stuck (a book of scans takes minutes):
    each page it finishes gives it the time limit again; one that stops finishing pages still times out.

    The worker's side is played by a thread on the other end of the connection, sending its
    pages at a set pace: the run's side (`Worker.ask`) is what is tested, and a busy machine
    cannot make a real page slower than the limit here.
    """
    import threading
    import time
    from multiprocessing import Pipe

    class Process:  # stands for the worker process
        pid = 0
        ended = False

        def poll(self) -> int | None:
            return -signal.SIGKILL if self.ended else None

        def kill(self) -> None:
            self.ended = True

        def wait(self, timeout: float | None = None) -> int:
            return -signal.SIGKILL

    open_ends = []  # the worker's ends stay open: a stuck worker is silent, not gone

    def reading(pages: int, pace: float, stuck_at: int | None = None) -> workers.Worker:
        ours, theirs = Pipe()
        open_ends.append(theirs)
        worker = workers.Worker()
        worker._process, worker._connection, worker._ready = Process(), ours, workers.Ready(0)  # type: ignore[assignment]

        def answer() -> None:
            theirs.recv()  # the request
            for number in range(1, pages + 1):
                time.sleep(pace)
                if number == stuck_at:
                    return  # a page that never ends
                theirs.send(workers.Page(number, pages))
            theirs.send(workers.Reply("ok", value=pages))

        threading.Thread(target=answer, daemon=True).start()
        return worker

    limits = Limits(timeout=2.0, memory_mib=None)
    request = workers.Request("book.pdf", Reader.PDFIUM, limits, 1, 40)
    seen: list[int] = []
    slow = reading(40, 0.1)
    started = time.monotonic()
    reply = slow.ask(request, lambda number, total: seen.append(number))
    took = time.monotonic() - started
    slow.stop()
    assert (reply.kind, reply.value, seen) == ("ok", 40, list(range(1, 41)))
    assert took > limits.timeout  # the whole took longer than the limit, and was not stopped
    stuck = reading(40, 0.1, stuck_at=5)
    assert stuck.ask(request).kind == "timeout"
