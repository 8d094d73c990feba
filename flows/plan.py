"""Planning a run: which files need reading, decided before any PDF is opened.

Light on purpose (no PDF library, no pandas, no Prefect): a run over an unchanged inbox
is only this and one query of the warehouse.
"""

from __future__ import annotations

from collections.abc import Sequence

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Mapping

import hyoka
from hyoka.identity import sha256_hex

PDF_SUFFIXES = {".pdf"}
# a city's export, read with a spreadsheet template (`hyoka.extractors.sheet_extract`), not by pages
SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm"}
# what a folder is searched for
DOCUMENT_SUFFIXES = PDF_SUFFIXES | SPREADSHEET_SUFFIXES


def is_spreadsheet(path: str | Path) -> bool:
    """Whether a file is read as a spreadsheet export (by its suffix) rather than as a PDF."""
    return Path(path).suffix.lower() in SPREADSHEET_SUFFIXES


def is_within(path: Path, folder: Path) -> bool:
    """Whether `path` lies below `folder`."""
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


def collect_paths(inputs: Sequence[str | Path]) -> tuple[list[Path], list[str]]:
    """Files to ingest from files and folders (folders: every *.pdf and *.xlsx below, sorted); plus missing inputs."""
    files: list[Path] = []
    missing: list[str] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES)
        elif path.is_file():
            files.append(path)
        else:
            missing.append(str(item))
    # the same file named twice is ingested once
    unique: dict[Path, None] = {}
    for path in files:
        unique.setdefault(path.resolve(), None)
    return list(unique), missing


@dataclass(frozen=True)
class InputCheck:
    """What the named inputs hold, looked at before the warehouse is opened."""

    missing: list[str]  # named paths that do not exist
    without_pdf: list[str]  # folders with no *.pdf (nor *.xlsx) below them
    readable: bool  # whether any file is left to read


def check_inputs(inputs: list[str | Path]) -> InputCheck:
    """Sort the named paths into missing ones, folders without a PDF, and whether anything is left.

    A named file is read whatever its suffix (it fails as "not a PDF" if it is not one);
    a folder only counts for the *.pdf and *.xlsx below it, as in `collect_paths`.
    """
    missing: list[str] = []
    without_pdf: list[str] = []
    readable = False
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            # the first PDF is enough: a big inbox is not walked twice
            if any(p.suffix.lower() in DOCUMENT_SUFFIXES and p.is_file() for p in path.rglob("*")):
                readable = True
            else:
                without_pdf.append(str(item))
        elif path.is_file():
            readable = True
        else:
            missing.append(str(item))
    return InputCheck(missing, without_pdf, readable)


@dataclass
class Plan:
    """What a run has to do with each file, decided before any PDF is opened."""

    todo: list[tuple[Path, str]] = field(default_factory=list)  # (file, document id) to read
    unchanged: list[Path] = field(default_factory=list)  # already in the warehouse
    known_failures: list[tuple[Path, str | None]] = field(default_factory=list)  # failed before, same hyoka
    remember: list[dict[str, Any]] = field(default_factory=list)  # file-cache rows to add

    @property
    def has_work(self) -> bool:
        return bool(self.todo)


FileKey = tuple[int, int]  # (size, mtime_ns)


def file_key(path: Path) -> FileKey | None:
    """What says a file is unchanged without reading it: its size and modification time."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def content_id(path: Path) -> str | None:
    """The document id this file would get (sha256 of its bytes), None if unreadable."""
    try:
        return sha256_hex(path.read_bytes())
    except OSError:
        return None


def plan_files(
    files: list[Path],
    states: Mapping[str, tuple[str, str | None, str | None]],
    cache: Mapping[str, tuple[int, int, str]],
    version: str = hyoka.__version__,
) -> Plan:
    """Sort files into to-read, unchanged and known failures.

    `states` is the warehouse's document_id → (status, error, hyoka_version); `cache` its
    file cache, path → (size, mtime_ns, document_id). A cached file is not even hashed.
    """
    plan = Plan()
    seen: set[str] = set()
    for path in files:
        key = file_key(path)
        cached = cache.get(str(path))
        if key is not None and cached is not None and tuple(cached[:2]) == key:
            document_id: str | None = cached[2]
        else:
            document_id = content_id(path)
            if key is not None and document_id is not None:
                plan.remember.append({"path": str(path), "size": key[0], "mtime_ns": key[1], "document_id": document_id})
        state = states.get(document_id) if document_id is not None else None
        if document_id is not None and (document_id in seen or (state is not None and state[0] != "failed")):
            # loaded (or superseded by a re-issue), or the same bytes under another name in this run
            plan.unchanged.append(path)
            continue
        if document_id is not None and state is not None and state[2] == version:
            # failed before with this very hyoka: it would fail the same way (a new version retries)
            seen.add(document_id)
            plan.known_failures.append((path, state[1]))
            continue
        if document_id is None:
            document_id = sha256_hex(f"unreadable:{path}".encode())
        seen.add(document_id)
        plan.todo.append((path, document_id))
    return plan
