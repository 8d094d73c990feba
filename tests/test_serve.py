"""`hyoka serve`: an inbox ingested once or on a schedule; the file-content cache; task runners.

The `--once` path runs as users run it (`hyoka serve --once` in a subprocess running the real
flow, against the session's Prefect server as with PREFECT_API_URL set; then a second pass);
the file cache is checked on the run's planning in this process (no Prefect). The
scheduled path is checked lightly: the command explains itself, and the Prefect server helper
makes the right command and environment (test_server_cleanup starts it, with its UI, and sees
it stopped).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import SHEET_LIBREOFFICE, SHEET_REPORTLAB, fetch, fetch_dicts, run_hyoka
from hyoka.flows.runs import IngestSettings
from hyoka.extractors.pdf_input import sha256_hex
from hyoka.flows import plan as plan_module
from hyoka.flows.engine import run_ingest
from hyoka.cli import app

BROKEN = b"%PDF-1.4\nthis is not really a PDF\n"


def summary_counts(stdout: str) -> dict[str, int]:
    """The CLI's closing summary table as {row: count}."""
    counts = {}
    for line in stdout.splitlines():
        m = re.match(r"^\s+(\S.*?)\s{2,}(\d+)\s*$", line)
        if m:
            counts[m.group(1)] = int(m.group(2))
    return counts


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, prefect_api: str) -> dict:
    """An inbox (two sheets and a broken file) served once, then once more with --processed-dir."""
    root = tmp_path_factory.mktemp("serve")
    inbox = root / "inbox"
    inbox.mkdir()
    shutil.copy(SHEET_LIBREOFFICE, inbox / "sheet.pdf")
    (inbox / "city").mkdir()
    shutil.copy(SHEET_REPORTLAB, inbox / "city" / "sheet-reportlab.pdf")
    (inbox / "broken.pdf").write_bytes(BROKEN)
    db = root / "serve.duckdb"
    env = {"COLUMNS": "100", "PREFECT_API_URL": prefect_api}  # the summary table 100 columns wide
    # (threads: the process runner through the CLI is test_bad_input's; here it is the inbox)
    first = run_hyoka("serve", "--inbox", str(inbox), "--db", str(db), "--once", "--no-report", "--runner", "thread",
                      env=env)
    cache_after_first = fetch_dicts(db, "SELECT * FROM file_cache ORDER BY path")
    # processed files go to a folder inside the inbox: later runs must not pick them up again
    # (this pass in this process: it is the first that ran as users run it)
    done = inbox / "processed"
    second = CliRunner().invoke(app, ["serve", "--inbox", str(inbox), "--db", str(db), "--once", "--no-report",
                                      "--processed-dir", str(done)], env=env)
    return {"root": root, "inbox": inbox, "db": db, "done": done, "first": first, "second": second,
            "cache_after_first": cache_after_first}


def test_first_pass_loads_the_inbox(served: dict) -> None:
    first = served["first"]
    assert first.returncode == 1, first.stderr  # the broken file failed
    counts = summary_counts(first.stdout)
    assert counts["documents"] == 3 and counts["parsed (read from the file)"] == 3
    assert counts["loaded with issues"] == 2 and counts["failed"] == 1
    assert f"failed {served['inbox'] / 'broken.pdf'}: " in first.stderr
    # (the two renderings are one edition of one sheet: the later one supersedes the other)
    statuses = sorted(status for (status,) in fetch(served["db"], "SELECT status FROM documents"))
    assert statuses == ["failed", "loaded_with_issues", "superseded"]
    assert "Traceback" not in first.stderr + first.stdout


def test_second_pass_over_an_unchanged_inbox_parses_no_pdf(served: dict) -> None:
    second = served["second"]
    assert second.exit_code == 1, second.output  # the broken file is still broken (not read again)
    counts = summary_counts(second.stdout)
    assert counts["parsed (read from the file)"] == 0, second.stdout
    assert counts["unchanged (already loaded)"] == 2 and counts["failed"] == 1
    assert counts["moved to --processed-dir"] == 3
    # nothing new in the warehouse: the same three documents
    assert fetch(served["db"], "SELECT count(*) FROM documents")[0][0] == 3


def test_processed_files_are_moved(served: dict) -> None:
    inbox, done = served["inbox"], served["done"]
    assert sorted(p.relative_to(inbox).as_posix() for p in inbox.rglob("*.pdf")) == [
        "processed/city/sheet-reportlab.pdf", "processed/failed/broken.pdf", "processed/sheet.pdf"]
    assert (done / "sheet.pdf").read_bytes() == SHEET_LIBREOFFICE.read_bytes()
    # a third pass finds nothing new: the processed folder inside the inbox is left alone
    summary = run_ingest([str(inbox)], IngestSettings(db=str(served["db"]), processed_dir=str(done), report=False))
    assert summary.outcomes == [] and summary.parsed == 0 and summary.failed == 0


def test_file_cache_remembers_every_file(served: dict) -> None:
    cache = served["cache_after_first"]
    inbox = served["inbox"]
    assert [row["path"] for row in cache] == sorted(
        str(inbox.resolve() / name) for name in ("broken.pdf", "city/sheet-reportlab.pdf", "sheet.pdf"))
    by_name = {Path(row["path"]).name: row for row in cache}
    assert by_name["sheet.pdf"]["document_id"] == sha256_hex(SHEET_LIBREOFFICE.read_bytes())
    assert by_name["broken.pdf"]["size"] == len(BROKEN)
    assert all(row["mtime_ns"] > 0 and row["seen_at"] is not None for row in cache)


def test_a_known_file_is_not_even_hashed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    sheet = inbox / "sheet.pdf"
    shutil.copy(SHEET_REPORTLAB, sheet)
    db = str(tmp_path / "cache.duckdb")
    # threads: the file cache is the flow's planning, whichever runner reads the pages
    assert run_ingest([str(inbox)], IngestSettings(db=db, runner="thread", report=False)).parsed == 1

    hashed: list[Path] = []
    real = plan_module.content_id  # the flow's planning hashes a file it does not know
    monkeypatch.setattr(plan_module, "content_id", lambda path: hashed.append(path) or real(path))
    again = run_ingest([str(inbox)], IngestSettings(db=db, runner="thread", report=False))
    assert (again.parsed, [o.status for o in again.outcomes], hashed) == (0, ["unchanged"], [])

    # touched (new mtime, same bytes): hashed once more, still unchanged, and the cache follows
    stat = sheet.stat()
    os.utime(sheet, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    touched = run_ingest([str(inbox)], IngestSettings(db=db, runner="thread", report=False))
    assert (touched.parsed, [o.status for o in touched.outcomes]) == (0, ["unchanged"])
    assert hashed == [sheet.resolve()]
    (row,) = fetch_dicts(Path(db), "SELECT * FROM file_cache")
    assert row["mtime_ns"] == stat.st_mtime_ns + 5_000_000_000

    # new bytes under the same name: a new document
    shutil.copy(SHEET_LIBREOFFICE, sheet)
    changed = run_ingest([str(inbox)], IngestSettings(db=db, runner="thread", report=False))
    assert changed.parsed == 1 and fetch(Path(db), "SELECT count(*) FROM documents")[0][0] == 2


# --------------------------------------------------------------------------------------
# The scheduled path, lightly
# --------------------------------------------------------------------------------------


def test_serve_help_shows_examples() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for text in ("--inbox", "--cron", "--interval", "--once", "--processed-dir", "--runner",
                 'hyoka serve --inbox /srv/hyoka/inbox --cron "0 6 * * *"', "PREFECT_API_URL"):
        assert text in result.output, text


def test_serve_needs_a_schedule_or_once(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["serve", "--inbox", str(tmp_path), "--db", str(tmp_path / "x.duckdb")])
    assert result.exit_code == 2 and "give a schedule" in result.output
    both = runner.invoke(app, ["serve", "--inbox", str(tmp_path), "--cron", "0 6 * * *", "--interval", "60"])
    assert both.exit_code == 2 and "not both" in both.output
    missing = runner.invoke(app, ["serve", "--inbox", str(tmp_path / "nowhere"), "--once"])
    assert missing.exit_code == 2 and "no inbox folder" in missing.output


def test_the_server_tells_its_ui_its_own_api(monkeypatch: pytest.MonkeyPatch) -> None:
    from hyoka.service import PrefectServer

    # a user's settings for another server (or Prefect's default, port 4200) must not reach the UI
    monkeypatch.setenv("PREFECT_UI_API_URL", "http://127.0.0.1:4200/api")
    monkeypatch.setenv("PREFECT_API_URL", "http://elsewhere:4200/api")
    server = PrefectServer(port=54321)
    env = server.environment()
    assert env["PREFECT_SERVER_UI_API_URL"] == server.api_url == "http://127.0.0.1:54321/api"
    assert "PREFECT_UI_API_URL" not in env and "PREFECT_API_URL" not in env
    assert server.command()[-4:] == ["--host", "127.0.0.1", "--port", "54321"]
