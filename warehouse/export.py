"""Every table and view of the warehouse as Parquet, for BI tools and notebooks.

    export_parquet(con, "export/")

writes one entry per table and view:

* a table or view with a fiscal year column is a folder partitioned by it, Hive style
  (`export/project_budgets/fiscal_year=2022/data_0.parquet`; rows without a year go to
  `fiscal_year=__HIVE_DEFAULT_PARTITION__`, which readers turn back into NULL). The year
  column is the first of `PARTITION_COLUMNS` the table has;
* any other table is one file (`export/projects.parquet`);
* `export/_manifest.json` lists them: name, kind, rows, path, partition column.

Each entry is written next to its final place and then moved there, so a reader sees
either the previous export of a table or the new one. Reading it back:

    duckdb:  SELECT * FROM read_parquet('export/project_budgets/*/*.parquet', hive_partitioning = true)
    pandas:  pd.read_parquet("export/project_budgets", dtype_backend="pyarrow")
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from warehouse import schema
from warehouse.schema import quote_ident, quote_literal
from warehouse.views import ALL_VIEWS

# The column a table is partitioned by: the first of these it has.
PARTITION_COLUMNS = ("fiscal_year", "ref_fiscal_year", "column_fiscal_year", "results_fiscal_year")
MANIFEST = "_manifest.json"


@dataclass
class Exported:
    """One table or view as written."""

    name: str
    kind: str  # table | view
    rows: int
    path: str  # relative to the export folder
    partition_by: str | None


def relations() -> list[tuple[str, str]]:
    """(name, kind) of every table and view of the schema, in schema order."""
    return [(t.name, "table") for t in schema.TABLES] + [(v.name, "view") for v in ALL_VIEWS]


def _columns(con: Any, name: str) -> list[str] | None:
    """The columns of a table or view in this warehouse; None when it does not exist."""
    try:
        cursor = con.execute(f"SELECT * FROM {quote_ident(name)} LIMIT 0")
    except Exception:  # noqa: BLE001 - an older warehouse file may lack a view
        return None
    columns = [d[0] for d in cursor.description]
    cursor.fetchall()
    return columns


def partition_column(columns: list[str]) -> str | None:
    return next((c for c in PARTITION_COLUMNS if c in columns), None)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def export_parquet(con: Any, out_dir: str | Path) -> tuple[list[Exported], list[str]]:
    """Write every table and view as Parquet into `out_dir`; (what was written, names missing
    from this warehouse). Works on a read-only connection."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Exported] = []
    missing: list[str] = []
    for name, kind in relations():
        columns = _columns(con, name)
        if columns is None:
            missing.append(name)
            continue
        part = partition_column(columns)
        final = out / name if part else out / f"{name}.parquet"
        tmp = out / f".{final.name}.tmp-{os.getpid()}"
        _remove(tmp)
        select = f"SELECT * FROM {quote_ident(name)}"
        if part:
            select += f" ORDER BY {quote_ident(part)} NULLS LAST"
            options = f"FORMAT parquet, PARTITION_BY ({quote_ident(part)})"
        else:
            options = "FORMAT parquet"
        con.execute(f"COPY ({select}) TO {quote_literal(str(tmp))} ({options})")
        if part and not tmp.exists():
            tmp.mkdir()  # an empty table: an empty folder
        rows = con.execute(f"SELECT count(*) FROM {quote_ident(name)}").fetchone()[0]
        _remove(final)
        os.replace(tmp, final)
        written.append(Exported(name, kind, int(rows), final.name, part))
    manifest = {
        "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "format": "parquet, Hive partitioning (partition column not repeated inside the files)",
        "relations": [asdict(e) for e in written],
    }
    tmp_manifest = out / f".{MANIFEST}.tmp-{os.getpid()}"
    tmp_manifest.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp_manifest, out / MANIFEST)
    return written, missing
