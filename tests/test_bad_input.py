"""Bad input: each file gets one clear line, a `failed` row, and the others still load."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import SHEET_LIBREOFFICE, fetch_dicts, finish, spawn
from hyoka.extractors.pdf_input import DocumentError, sha256_hex
from hyoka.extractors.registry import extract_pdf
from pdf_factory import encrypted_copy, scanned_pdf, text_pdf

GOOD = SHEET_LIBREOFFICE.read_bytes()

# file name -> (bytes, the reason the user must read)
BAD_FILES: dict[str, tuple[bytes, str]] = {
    "empty.pdf": (b"", "empty file (0 bytes)"),
    "notes.pdf": (b"These are my meeting notes, not a PDF.\n", "not a PDF (the file starts with"),
    "truncated.pdf": (GOOD[: len(GOOD) // 2], "truncated PDF (no %%EOF at the end of the file)"),
    "encrypted.pdf": (encrypted_copy(SHEET_LIBREOFFICE), "encrypted PDF (a password is needed to open it)"),
    "scanned.pdf": (scanned_pdf(), "no text layer (scanned image?)"),
    "minutes.pdf": (text_pdf(["Minutes of the council meeting", "Item 1: budget"]), "unknown template (closest: "),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_extract_refuses_with_reason(name: str) -> None:
    data, reason = BAD_FILES[name]
    with pytest.raises(DocumentError) as caught:
        extract_pdf(data)
    assert str(caught.value).startswith(reason)
    assert "\n" not in str(caught.value)


def missing_path(folder: Path) -> Path:
    """The path named on the command line that does not exist."""
    return folder.parent / "nowhere.pdf"


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory: pytest.TempPathFactory,
              request: pytest.FixtureRequest) -> tuple[subprocess.CompletedProcess, Path, Path]:
    """`hyoka ingest` on a folder of every bad file plus one good sheet, and a path that does
    not exist, exactly as a user runs it: one run in a subprocess, in a Prefect home of its
    own (a new user's: no PREFECT_API_URL, so no Prefect server is started), which writes
    the report."""
    folder = tmp_path_factory.mktemp("inbox")
    for name, (data, _) in BAD_FILES.items():
        (folder / name).write_bytes(data)
    (folder / "good.pdf").write_bytes(GOOD)
    db = folder.parent / "mixed.duckdb"
    home = tmp_path_factory.mktemp("prefect-home")
    run = spawn(["-m", "hyoka", "ingest", str(folder), str(missing_path(folder)), "--db", str(db)],
                env={"COLUMNS": "80", "PREFECT_HOME": str(home)})
    try:
        # meanwhile, this session's own Prefect server starts (for the tests that run flows):
        # its start-up overlaps this run
        request.getfixturevalue("prefect_api")
    finally:
        done = finish(run)
    return done, folder, db


def test_exit_code_is_one_when_any_file_failed(mixed_run) -> None:  # type: ignore[no-untyped-def]
    run, _, _ = mixed_run
    assert run.returncode == 1, run.stderr


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_one_line_names_the_file_and_reason(mixed_run, name: str) -> None:  # type: ignore[no-untyped-def]
    run, folder, _ = mixed_run
    lines = [line for line in run.stderr.splitlines() if line.startswith(f"failed {folder / name}: ")]
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(f"failed {folder / name}: {BAD_FILES[name][1]}")


def test_no_traceback_reaches_the_user(mixed_run) -> None:  # type: ignore[no-untyped-def]
    run, _, _ = mixed_run
    assert "Traceback" not in run.stderr + run.stdout


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_failed_row_in_documents(mixed_run, name: str) -> None:  # type: ignore[no-untyped-def]
    _, folder, db = mixed_run
    data, reason = BAD_FILES[name]
    (row,) = fetch_dicts(db, "SELECT * FROM documents WHERE source_path = ?", [str(folder / name)])
    assert row["status"] == "failed"
    assert row["error"].startswith(reason)
    assert row["document_id"] == sha256_hex(data)
    assert row["file_size"] == len(data)


def test_good_file_in_the_same_run_loads(mixed_run) -> None:  # type: ignore[no-untyped-def]
    run, folder, db = mixed_run
    (row,) = fetch_dicts(db, "SELECT * FROM documents WHERE source_path = ?", [str(folder / "good.pdf")])
    assert row["status"] == "loaded_with_issues"
    projects = fetch_dicts(db, "SELECT project_code FROM projects WHERE document_id = ?", [row["document_id"]])
    assert [p["project_code"] for p in projects] == ["121101"]
    assert "failed" in run.stdout and "loaded with issues" in run.stdout


def test_missing_path_is_reported(mixed_run) -> None:  # type: ignore[no-untyped-def]
    run, folder, db = mixed_run
    missing = missing_path(folder)
    assert f"failed {missing}: no such file or folder" in run.stderr.splitlines()
    # nothing was read from it: no row names it
    assert fetch_dicts(db, "SELECT * FROM documents WHERE source_path = ?", [str(missing)]) == []
