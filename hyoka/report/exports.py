"""The flagged rows as files for spreadsheets and notebooks: issues.csv and issues.parquet.

The CSV is UTF-8 with a byte-order mark, so Excel opens the Japanese text correctly.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hyoka.schemas.checks import CHECKS

COLUMNS = [
    "file_name", "page", "severity", "check_name", "check_ja", "check_en", "table_name", "record_key",
    "column_name", "raw_value", "message", "bbox", "document_id", "source_path", "related_document_id",
]

# The Parquet file's types do not depend on what a run found (an empty bbox column stays list<double>).
PARQUET_SCHEMA = pa.schema(
    [(name, pa.int32() if name == "page" else pa.list_(pa.float64()) if name == "bbox" else pa.string()) for name in COLUMNS]
)


def with_check_text(issues: pd.DataFrame) -> pd.DataFrame:
    """Issues with the check's plain Japanese and English (`check_ja`, `check_en`)."""
    out = issues.copy()
    out["check_ja"] = out["check_name"].map(lambda c: CHECKS[c].ja if c in CHECKS else None)
    out["check_en"] = out["check_name"].map(lambda c: CHECKS[c].en if c in CHECKS else None)
    return out


def _bbox_text(value: object) -> str | None:
    """A box as 'x0, top, x1, bottom' (points, 2 decimals) for the CSV."""
    if value is None or isinstance(value, (float, str)) or not isinstance(value, Iterable):
        return None
    try:
        return ", ".join(f"{float(v):.2f}" for v in value)
    except (TypeError, ValueError):
        return None


def _bbox_list(value: object) -> list[float] | None:
    """A box as a list of floats for Parquet; None for a missing one (None, NaN or pandas' NA)."""
    if value is None or isinstance(value, (float, str)) or not isinstance(value, Iterable):
        return None
    try:
        return [float(v) for v in value]
    except (TypeError, ValueError):
        return None


def export_frame(issues: pd.DataFrame) -> pd.DataFrame:
    """The issues in the exported column order, page as a nullable integer."""
    out = with_check_text(issues).reindex(columns=COLUMNS)
    out["page"] = out["page"].astype("Int64")
    out["bbox"] = out["bbox"].map(_bbox_list)
    return out


def write_issue_files(issues: pd.DataFrame, out_dir: Path) -> tuple[Path, Path]:
    """Write issues.csv (UTF-8 with BOM) and issues.parquet; return their paths."""
    frame = export_frame(issues)
    csv_path, parquet_path = out_dir / "issues.csv", out_dir / "issues.parquet"
    frame.assign(bbox=frame["bbox"].map(_bbox_text)).to_csv(csv_path, index=False, encoding="utf-8-sig")
    pq.write_table(pa.Table.from_pandas(frame, schema=PARQUET_SCHEMA, preserve_index=False), parquet_path)
    return csv_path, parquet_path
