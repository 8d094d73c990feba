"""`hyoka export --parquet`: read back as a pandas user and a DuckDB user would, years as integers."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import KPI_LIST, SHEET_LIBREOFFICE, SHEET_REPORTLAB, fetch
from hyoka.warehouse.export import relations
from warehouse_builder import build_warehouse

BACKENDS = [{}, {"dtype_backend": "pyarrow"}]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The KPI list (NULL years: 現状値 columns, empty cells) and both sheet renderings (a superseded
    copy), exported by the CLI over what an older hyoka left in the folder."""
    from hyoka.cli import app

    folder = tmp_path_factory.mktemp("export")
    db = build_warehouse([KPI_LIST, SHEET_LIBREOFFICE, SHEET_REPORTLAB], folder / "w.duckdb")
    out = folder / "export"
    (out / "project_budgets" / "fiscal_year=2021").mkdir(parents=True)  # the old Hive layout
    (out / "project_budgets" / "fiscal_year=2021" / "data_0.parquet").write_bytes(b"old")
    (out / "projects.parquet").write_bytes(b"old")
    result = CliRunner().invoke(app, ["export", "--parquet", str(out), "--db", str(db)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return db, out, result.output


def test_one_folder_per_relation_and_the_manifest(exported: tuple[Path, Path, str]) -> None:
    db, out, output = exported
    manifest = json.loads((out / "_manifest.json").read_text(encoding="utf-8"))
    entries = {e["name"]: e for e in manifest["relations"]}
    assert list(entries) == [name for name, _kind in relations()]
    for name, entry in entries.items():
        assert entry["path"] == name and [p.name for p in (out / name).iterdir()] == ["data_0.parquet"], name
        assert entry["rows"] == fetch(db, f'SELECT count(*) FROM "{name}"')[0][0], name
    assert entries["project_budgets"]["sorted_by"] == "fiscal_year"
    assert entries["strategy_kpi_values"]["sorted_by"] == "column_fiscal_year"
    assert entries["projects"]["sorted_by"] is None
    assert not (out / "projects.parquet").exists()  # the older layout is gone, not left beside
    assert "current_project_budgets" in output


@pytest.mark.parametrize("backend", BACKENDS, ids=["numpy", "pyarrow"])
def test_pandas_reads_years_as_integers_with_nulls(exported: tuple[Path, Path, str], backend: dict) -> None:
    db, out, _ = exported
    values = pd.read_parquet(out / "strategy_kpi_values", **backend)
    year = values["column_fiscal_year"]
    assert pd.api.types.is_integer_dtype(year), year.dtype
    (total, nulls, from_2021), = fetch(db, "SELECT count(*), count(*) FILTER (column_fiscal_year IS NULL), "
                                           "count(*) FILTER (column_fiscal_year >= 2021) FROM strategy_kpi_values")
    assert len(values) == total and nulls > 0
    assert int(year.isna().sum()) == nulls  # NULL stays NULL
    assert len(values[values.column_fiscal_year >= 2021]) == from_2021
    assert len(values[values.column_fiscal_year == 2022]) == fetch(
        db, "SELECT count(*) FROM strategy_kpi_values WHERE column_fiscal_year = 2022")[0][0]
    counts = {int(k): int(v) for k, v in year.value_counts().items()}
    assert counts == dict(fetch(db, "SELECT column_fiscal_year, count(*) FROM strategy_kpi_values "
                                    "WHERE column_fiscal_year IS NOT NULL GROUP BY 1"))
    ordered = year.sort_values(na_position="last").tolist()
    assert ordered[:3] == [r[0] for r in fetch(db, "SELECT column_fiscal_year FROM strategy_kpi_values "
                                                   "ORDER BY 1 NULLS LAST LIMIT 3")]
    # a NULL value (a pending or empty cell) is NULL, not 0
    assert int(values["value"].isna().sum()) == fetch(db, "SELECT count(*) FROM strategy_kpi_values WHERE value IS NULL")[0][0]

    budgets = pd.read_parquet(out / "current_project_budgets", **backend)
    assert pd.api.types.is_integer_dtype(budgets["fiscal_year"])
    assert budgets.groupby("fiscal_year")["total_cost"].sum().to_dict() == dict(
        fetch(db, "SELECT fiscal_year, sum(total_cost) FROM current_project_budgets GROUP BY 1"))


def test_every_relation_reads_back_in_pandas_and_duckdb(exported: tuple[Path, Path, str]) -> None:
    db, out, _ = exported
    con = duckdb.connect(str(db), read_only=True)
    try:
        for name, _kind in relations():
            for backend in BACKENDS:
                assert len(pd.read_parquet(out / name, **backend)) == con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0], name
            for hive in ("true", "false"):
                back = con.execute(f"SELECT * FROM read_parquet('{out / name}/**/*.parquet', hive_partitioning = {hive})")
                assert [d[0] for d in back.description] == [d[0] for d in con.execute(f'SELECT * FROM "{name}" LIMIT 0').description]
        kinds = con.execute(f"SELECT DISTINCT typeof(fiscal_year) FROM "
                            f"read_parquet('{out}/project_budgets/**/*.parquet', hive_partitioning = true)").fetchall()
        assert kinds == [("INTEGER",)]
        nulls = con.execute(f"SELECT count(*) FROM read_parquet('{out}/strategy_kpi_values/*.parquet') "
                            "WHERE column_fiscal_year IS NULL").fetchone()[0]
        assert nulls == con.execute("SELECT count(*) FROM strategy_kpi_values WHERE column_fiscal_year IS NULL").fetchone()[0] > 0
    finally:
        con.close()
