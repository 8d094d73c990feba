"""Warehouses for tests, built without Prefect: the ingest's stages called one after the other.

`build_warehouse` does what the `ingest` flow does with each document (read, extract and
validate it: `hyoka.flows.stages.read_and_process`; then load it in one transaction, with the
cross-document checks and superseding: `load_result`), in file order, in this process. No
Prefect server, no task runner: a test that only needs rows gets them in the time it takes
to parse the PDFs. Tests of the flow itself (skipping unchanged files, the file cache,
runners, the CLI) run the real flow instead.

The flow's function names live here only: if they move, this file is the one to adapt.
"""

from __future__ import annotations

import copy
import hashlib
import warnings
from pathlib import Path
from typing import Any
from collections.abc import Iterable

# (path as given to read_and_process, sha256 of its bytes) -> its DocumentResult: a document
# read once per test session, however many warehouses hold it (its rows carry the same
# ingested_at in each, which no test compares across warehouses)
_RESULTS: dict[tuple[str, str], Any] = {}


def document_result(path: str | Path) -> Any:
    """`read_and_process(path)`, memoised on the file's path and content for the session."""
    from hyoka.flows.stages import read_and_process

    path = str(path)
    key = (path, hashlib.sha256(Path(path).read_bytes()).hexdigest())
    if key not in _RESULTS:
        _RESULTS[key] = read_and_process(path)
    return copy.deepcopy(_RESULTS[key])  # loading must not change the cached rows


def build_warehouse(
    paths: Iterable[str | Path], db: str | Path, *, allow_failed: bool = False, report: bool = False
) -> Path:
    """Load files and folders (every *.pdf below, sorted) into the warehouse `db`, as the ingest flow would."""
    from hyoka.flows.plan import collect_paths
    from hyoka.flows.runs import load_result
    from hyoka.warehouse import store

    files, missing = collect_paths(list(paths))
    assert not missing, f"no such file or folder: {missing}"
    failed: list[str] = []
    con = store.connect(db)
    try:
        for path in files:
            outcome = load_result(con, document_result(path))
            if outcome.status == "failed":
                failed.append(f"{path}: {outcome.error}")
    finally:
        con.close()
    assert allow_failed or not failed, failed
    if report:
        write_report(db)
    return Path(db)


def write_report(db: str | Path) -> None:
    """The validation report next to `db`, as the flow writes it at the end of a run (never raises)."""
    from hyoka.report import write_report as write

    try:
        write(db)
    except Exception as exc:  # noqa: BLE001 - as in the flow: rows are loaded; the report's own tests fail
        warnings.warn(f"validation report not written for {db}: {type(exc).__name__}: {exc}", stacklevel=2)
