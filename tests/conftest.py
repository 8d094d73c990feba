"""Shared fixtures: the bundled samples ingested once through the real flow."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

# Prefect must be configured before it is imported: a private home per test session,
# quiet logs, no telemetry. No Prefect server is needed (Prefect starts a temporary one).
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="hyoka-prefect-"))
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")

import duckdb  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SHEET_LIBREOFFICE = SAMPLES / "asahikawa_jimujigyo_R4_121101.pdf"
SHEET_REPORTLAB = SAMPLES / "asahikawa_jimujigyo_R4_121101_reportlab.pdf"
KPI_LIST = SAMPLES / "asahikawa_sogo_senryaku_kpi_R4.pdf"
GROUND_TRUTH = SAMPLES / "ground_truth.json"
# real PDFs published by cities (copied from ../shared/real, see samples/real/SOURCES.md)
REAL = SAMPLES / "real"
IKEDA = REAL / "ikeda"
IKEDA_PDFS = sorted(IKEDA.glob("ikeda-r7-*.pdf"))
IKEDA_GROUND_TRUTH = IKEDA / "ground_truth.json"


def squash(text: str | None) -> str:
    """Text without whitespace: a space at a soft line wrap is not visible in a PDF."""
    return re.sub(r"\s", "", text or "")


@pytest.fixture(scope="session")
def sheet_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both sample renderings of the evaluation sheet, ingested by the `ingest` flow."""
    from flows.ingest import ingest

    db = tmp_path_factory.mktemp("warehouse") / "sheets.duckdb"
    summary = ingest([str(SHEET_LIBREOFFICE), str(SHEET_REPORTLAB)], db=str(db))
    assert summary.failed == 0, [o.error for o in summary.outcomes]
    return db


@pytest.fixture(scope="session")
def ikeda_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 16 real 池田市 目標設定シート, ingested once by the `ingest` flow."""
    from flows.ingest import ingest

    assert len(IKEDA_PDFS) == 16, IKEDA_PDFS
    db = tmp_path_factory.mktemp("warehouse") / "ikeda.duckdb"
    summary = ingest([str(p) for p in IKEDA_PDFS], db=str(db))
    assert summary.failed == 0, [o.error for o in summary.outcomes]
    return db


def fetch(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of a query on a warehouse file (read-only)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def fetch_dicts(db: Path, sql: str, params: list | None = None) -> list[dict]:
    """Rows as dicts."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        cursor = con.execute(sql, params or [])
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]
    finally:
        con.close()
