"""The README's promises: two set-up commands, and SQL examples that run."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import ROOT
from hyoka.warehouse import schema

README = (ROOT / "README.md").read_text(encoding="utf-8")
QUERIES = (ROOT / "docs" / "queries.md").read_text(encoding="utf-8")


def code_blocks(language: str | None = None, text: str = README) -> list[str]:
    blocks = re.findall(r"```(\w*)\n(.*?)```", text, flags=re.S)
    return [body for lang, body in blocks if language is None or lang == language]


def sql_statements(text: str) -> list[str]:
    return [s.strip() for block in code_blocks("sql", text) for s in block.split(";") if s.strip()]


def test_first_code_block_is_exactly_the_two_commands() -> None:
    first = code_blocks()[0].strip().splitlines()
    assert first == ["make demo", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_every_sql_example_runs(sheet_warehouse: Path) -> None:
    """On two copies of one sheet (the second supersedes the first): every row once."""
    con = duckdb.connect(str(sheet_warehouse), read_only=True)
    try:
        statements = sql_statements(README)
        assert len(statements) >= 3
        results = [con.execute(statement).fetchall() for statement in statements]
        base = con.execute("SELECT count(*) FROM project_budgets WHERE project_code = '121101'").fetchone()[0]
    finally:
        con.close()
    assert results[0], "the budget example returns the sample's budget rows"
    for statement, rows in zip(statements, results):
        assert len(rows) == len(set(rows)), f"rows repeated by: {statement}"
    assert 2 * len(results[0]) == base  # the base table holds both copies


def test_examples_read_views_not_tables_that_keep_superseded_rows() -> None:
    """A record table keeps a superseded copy's rows: examples read `current_*` and history views."""
    record_tables = {t.name for t in schema.TABLES if t.name not in (schema.DOCUMENTS.name, schema.FILE_CACHE.name)}
    for name, text in (("README.md", README), ("docs/queries.md", QUERIES)):
        read = {m.lower() for s in sql_statements(text) for m in re.findall(r"\b(?:FROM|JOIN)\s+(\w+)", s, flags=re.I)}
        assert read and not read & record_tables, (name, read & record_tables)
    assert "DISTINCT" not in " ".join(sql_statements(README)).replace("IS NOT DISTINCT", "")


def test_current_views_come_first() -> None:
    """The warehouse section says to query `current_*` before it lists the tables."""
    section = README[README.index("## The warehouse"):]
    assert section.index("current_project_budgets") < section.index("| table | one row per |")


def test_python_example_reads_the_parquet_export(sheet_warehouse: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The pandas snippet, verbatim, on a warehouse and its export where it expects them."""
    from hyoka.cli import app
    from typer.testing import CliRunner

    (tmp_path / "out").mkdir()
    shutil.copy(sheet_warehouse, tmp_path / "out" / "demo.duckdb")
    monkeypatch.chdir(tmp_path)
    (command,) = [line for block in code_blocks("sh") for line in block.splitlines()
                  if line.startswith("hyoka export --parquet export/")]
    result = CliRunner().invoke(app, command.split()[1:])
    assert result.exit_code == 0, result.output
    (snippet,) = [block for block in code_blocks("python") if "read_parquet" in block]
    scope: dict = {}
    exec(compile(snippet, "README.md", "exec"), scope)
    recent = scope["recent"]
    assert len(recent) and (recent.fiscal_year >= 2021).all()
    assert str(recent.fiscal_year.dtype) == "Int32"
