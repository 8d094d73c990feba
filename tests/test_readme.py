"""The README's promises: two set-up commands, and SQL examples that run."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def code_blocks(language: str | None = None) -> list[str]:
    blocks = re.findall(r"```(\w*)\n(.*?)```", README, flags=re.S)
    return [body for lang, body in blocks if language is None or lang == language]


def test_first_code_block_is_exactly_the_two_commands() -> None:
    first = code_blocks()[0].strip().splitlines()
    assert first == ["make demo", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_every_sql_example_runs(sheet_warehouse: Path) -> None:
    con = duckdb.connect(str(sheet_warehouse), read_only=True)
    try:
        statements = [s.strip() for block in code_blocks("sql") for s in block.split(";") if s.strip()]
        assert len(statements) >= 3
        results = [con.execute(statement).fetchall() for statement in statements]
    finally:
        con.close()
    assert results[0], "the budget example returns the sample's budget rows"
