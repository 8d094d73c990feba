"""Every table and view of the warehouse as Parquet, for BI tools and notebooks.

    export_parquet(con, "export/")

writes one folder per table and view, each holding one Parquet file:

    export/current_project_budgets/data_0.parquet
    export/project_budgets/data_0.parquet
    export/_manifest.json          name, kind, rows, path and year column of each

The folders are not Hive-partitioned: a partition folder (`fiscal_year=2022/`) turns the
year into a dictionary (categorical) column in pyarrow and pandas, where comparisons,
sorting and NULLs break. The year stays an ordinary INTEGER column inside the file
instead, and rows are sorted by it, so the row groups' statistics still let readers
skip years. The files carry pandas metadata: integer and boolean columns read back as
nullable `Int32` / `boolean` (NULL is `<NA>`, never a float NaN).

Each entry is written next to its final place and then moved there, so a reader sees
either the previous export of a table or the new one. Reading it back:

    pandas:  pd.read_parquet("export/current_project_budgets")
    duckdb:  SELECT * FROM read_parquet('export/current_project_budgets/*.parquet')
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from datetime import datetime, UTC
from pathlib import Path
from typing import Any

from hyoka.warehouse import schema
from hyoka.warehouse.schema import quote_ident, quote_literal
from hyoka.warehouse.views import ALL_VIEWS

# The column a table's rows are sorted by: the first of these it has.
YEAR_COLUMNS = ("fiscal_year", "ref_fiscal_year", "column_fiscal_year", "results_fiscal_year")
MANIFEST = "_manifest.json"
DATA_FILE = "data_0.parquet"


@dataclass
class Exported:
    """One table or view as written."""

    name: str
    kind: str  # table | view
    rows: int
    path: str  # its folder, relative to the export folder
    sorted_by: str | None  # the year column, if it has one


def relations() -> list[tuple[str, str]]:
    """(name, kind) of every table and view of the schema, in schema order."""
    return [(t.name, "table") for t in schema.TABLES] + [(v.name, "view") for v in ALL_VIEWS]


def year_column(columns: list[str]) -> str | None:
    return next((c for c in YEAR_COLUMNS if c in columns), None)


def pandas_metadata(arrow_schema: Any) -> str:
    """The `pandas` key of a Parquet file with this Arrow schema: integer and boolean
    columns as pandas' nullable dtypes, everything else as pandas reads it anyway."""
    import pyarrow as pa

    frame = arrow_schema.empty_table().to_pandas()
    for field in arrow_schema:
        if pa.types.is_integer(field.type):
            signed = "" if pa.types.is_signed_integer(field.type) else "U"
            frame[field.name] = frame[field.name].astype(f"{signed}Int{field.type.bit_width}")
        elif pa.types.is_boolean(field.type):
            frame[field.name] = frame[field.name].astype("boolean")
    return pa.Schema.from_pandas(frame, preserve_index=False).metadata[b"pandas"].decode()


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def _exists(con: Any, name: str) -> bool:
    try:
        con.execute(f"SELECT * FROM {quote_ident(name)} LIMIT 0").fetchall()
    except Exception:  # noqa: BLE001 - an older warehouse file may lack a view
        return False
    return True


def export_parquet(con: Any, out_dir: str | Path) -> tuple[list[Exported], list[str]]:
    """Write every table and view as Parquet into `out_dir`; (what was written, names missing
    from this warehouse). Works on a read-only connection."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Exported] = []
    missing: list[str] = []
    for name, kind in relations():
        if not _exists(con, name):
            missing.append(name)
            continue
        relation = con.sql(f"SELECT * FROM {quote_ident(name)}")
        year = year_column(relation.columns)
        select = f"SELECT * FROM {quote_ident(name)}"
        if year:
            select += f" ORDER BY {quote_ident(year)} NULLS LAST"
        metadata = pandas_metadata(relation.limit(0).to_arrow_table().schema)
        final = out / name
        tmp = out / f".{name}.tmp-{os.getpid()}"
        _remove(tmp)
        tmp.mkdir()
        con.execute(
            f"COPY ({select}) TO {quote_literal(str(tmp / DATA_FILE))} "
            f"(FORMAT parquet, KV_METADATA {{pandas: {quote_literal(metadata)}}})"
        )
        rows = con.execute(f"SELECT count(*) FROM {quote_ident(name)}").fetchone()[0]
        _remove(final)
        os.replace(tmp, final)
        _remove(out / f"{name}.parquet")  # what hyoka wrote before the one-folder layout
        written.append(Exported(name, kind, int(rows), name, year))
    manifest = {
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "format": "parquet, one folder per table or view (not partitioned), rows sorted by the year column",
        "relations": [asdict(e) for e in written],
    }
    tmp_manifest = out / f".{MANIFEST}.tmp-{os.getpid()}"
    tmp_manifest.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp_manifest, out / MANIFEST)
    return written, missing
