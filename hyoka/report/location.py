"""Where a warehouse's report lives (no pandas, no plotting: a run with nothing to do asks it)."""

from __future__ import annotations

from pathlib import Path


def default_out_dir(db_path: str | Path) -> Path:
    """The report folder next to the warehouse: out/demo.duckdb → out/demo-report/."""
    db = Path(db_path)
    return db.with_name(f"{db.stem}-report")
