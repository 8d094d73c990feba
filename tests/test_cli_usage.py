"""The command line's usage errors and hints, in-process (no flow runs): one line each, the
right exit code, nothing created, and every command or path printed to copy pastes back whole."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hyoka.flows.plan import InputCheck, check_inputs
from hyoka.flows.runs import DocumentOutcome, IngestSummary
from hyoka.cli import OutputFormat, _fiscal_year, _print_summary, app
from hyoka.warehouse import store

# A folder name a Japanese user may well have: a space and kanji, to be pasted back into a shell.
AWKWARD = "出力 フォルダ"
# rich's error boxes wrap at the terminal's width: wide enough to keep Click's message on one line
WIDE = {"COLUMNS": "300"}


def invoke(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args), env=env)


def stderr_lines(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [line for line in result.stderr.splitlines() if line.strip()]


def empty_warehouse(path: Path) -> Path:
    store.connect(path).close()
    return path


# ---- item 5: nothing to read -------------------------------------------------------------


def test_check_inputs_sorts_the_named_paths(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    texts = tmp_path / "texts"
    (texts / "sub").mkdir(parents=True)
    (texts / "a.txt").write_text("notes")
    (texts / "sub" / "b.PDF.txt").write_text("notes")
    nested = tmp_path / "nested"
    (nested / "deep").mkdir(parents=True)
    (nested / "deep" / "sheet.PDF").write_bytes(b"%PDF-")
    named = tmp_path / "named.txt"  # a file named on the command line is read whatever its suffix
    named.write_text("notes")
    missing = tmp_path / "nowhere.pdf"

    assert check_inputs([empty, texts]) == InputCheck(missing=[], without_pdf=[str(empty), str(texts)], readable=False)
    assert check_inputs([str(missing)]) == InputCheck(missing=[str(missing)], without_pdf=[], readable=False)
    assert check_inputs([nested, missing]) == InputCheck(missing=[str(missing)], without_pdf=[], readable=True)
    assert check_inputs([named]).readable
    assert check_inputs([]) == InputCheck([], [], False)


@pytest.mark.parametrize("content", ["nothing", "only .txt"])
def test_ingest_of_a_folder_without_pdf_fails_fast_and_creates_nothing(tmp_path: Path, content: str) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    if content == "only .txt":
        (folder / "notes.txt").write_text("meeting notes")
    db = tmp_path / "out" / "city.duckdb"
    result = invoke("ingest", str(folder), "--db", str(db))
    assert result.exit_code == 2, result.output
    assert stderr_lines(result) == [
        f"error: no PDF found in {folder} — put the PDFs there, or name the files: hyoka ingest FILE.pdf …"
    ]
    assert result.stdout == ""
    assert not db.exists() and not (tmp_path / "out").exists()  # no warehouse, no report folder


def test_a_mistyped_path_alone_fails_at_once_and_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "city.duckdb"
    missing = tmp_path / "sheets" / "asahikawa.pdf"
    result = invoke("ingest", str(missing), str(tmp_path / "typo"), "--db", str(db))
    assert result.exit_code == 2, result.output
    assert stderr_lines(result) == [
        f"error: {missing}: no such file or folder — check the path",
        f"error: {tmp_path / 'typo'}: no such file or folder — check the path",
    ]
    assert not db.exists() and not (tmp_path / "city-report").exists()


def test_a_mistyped_path_beside_readable_ones_is_said_before_the_run(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import hyoka.cli

    sheet = tmp_path / "sheet.pdf"
    sheet.write_bytes(b"%PDF-1.7")
    empty = tmp_path / "empty"
    empty.mkdir()
    said_before: list[list[str]] = []

    def run(paths: list[str], *settings: object) -> int:  # the run itself is the flow's tests' business
        said_before.append(paths)
        return 1
    monkeypatch.setattr(hyoka.cli, "_run_ingest", run)
    result = invoke("ingest", str(sheet), str(tmp_path / "typo.pdf"), str(empty), "--db", str(tmp_path / "w.duckdb"))
    assert result.exit_code == 1
    assert stderr_lines(result) == [
        f"warning: {tmp_path / 'typo.pdf'}: no such file or folder — skipped, the other paths are read (check the path)",
        f"warning: no PDF found in {empty} — skipped",
    ]
    # the run still gets every path: its summary counts the missing one as failed (exit code 1)
    assert said_before == [[str(sheet), str(tmp_path / "typo.pdf"), str(empty)]]


# ---- item 6: hints to copy are shell-quoted ------------------------------------------------


def test_ingest_summary_hints_paste_back_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / AWKWARD / "出力 フォルダ.duckdb"
    report_dir = tmp_path / AWKWARD / "出力 フォルダ-report"
    summary = IngestSummary(db_path=str(db), report_dir=str(report_dir),
                            outcomes=[DocumentOutcome("a.pdf", "loaded_with_issues", warnings=1)])
    _print_summary(summary)
    lines = {line.split(":", 1)[0]: line.split(":", 1)[1] for line in capsys.readouterr().out.splitlines()
             if line.startswith(("warehouse:", "issues:", "report:"))}
    assert shlex.split(lines["issues"]) == ["hyoka", "sql", "SELECT * FROM validation_issues", "--db", str(db)]
    assert shlex.split(lines["warehouse"]) == [str(db.resolve())]
    assert shlex.split(lines["report"]) == [str(report_dir.resolve() / "report.html")]


def test_the_no_warehouse_hint_pastes_back_whole(tmp_path: Path) -> None:
    db = tmp_path / AWKWARD / "city.duckdb"
    result = invoke("sql", "SELECT 1", "--db", str(db))
    assert result.exit_code == 2
    (line,) = stderr_lines(result)
    assert line.startswith(f"error: no warehouse at {db}: load PDFs into it first: ")
    assert shlex.split(line.split("first: ", 1)[1]) == ["hyoka", "ingest", "PATH", "--db", str(db)]


def test_the_export_folder_pastes_back_whole(tmp_path: Path) -> None:
    db = empty_warehouse(tmp_path / "w.duckdb")
    out = tmp_path / AWKWARD / "[draft] parquet"  # [draft] would be eaten as rich markup
    result = invoke("export", "--parquet", str(out), "--db", str(db), env=WIDE)
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("wrote ")]
    assert shlex.split(line.split(" to ", 1)[1]) == [str(out.resolve())]


# ---- item 7: no leaked Python errors -------------------------------------------------------


@pytest.mark.parametrize("query", ["", "   ", "/* only a comment */", ";"])
def test_sql_without_a_statement_is_one_line(tmp_path: Path, query: str) -> None:
    db = tmp_path / "w.duckdb"
    result = invoke("sql", query, "--db", str(db))
    assert result.exit_code == 2
    (line,) = stderr_lines(result)
    assert line.startswith("error: no SQL statement given: e.g. ")
    assert shlex.split(line.split("e.g. ", 1)[1]) == ["hyoka", "sql", "SELECT * FROM documents", "--db", str(db)]
    assert "NoneType" not in result.output


def test_sql_refuses_several_statements_and_runs_one(tmp_path: Path) -> None:
    db = empty_warehouse(tmp_path / "w.duckdb")
    several = invoke("sql", "SELECT 1 AS a; SELECT 2 AS b", "--db", str(db))
    assert several.exit_code == 2
    assert stderr_lines(several) == [
        "error: 2 SQL statements given: hyoka sql runs one statement at a time — run each with its own hyoka sql"
    ]
    assert several.stdout == ""
    one = invoke("sql", "SELECT 2 AS b;", "--db", str(db), "--format", "csv")
    assert one.exit_code == 0, one.output
    assert one.stdout.splitlines() == ["b", "2"]
    broken = invoke("sql", "SELEC 1", "--db", str(db))
    assert broken.exit_code == 2
    (line,) = stderr_lines(broken)
    assert line.startswith("SQL error: Parser Error: syntax error at or near")


def test_piped_tables_are_not_cut_at_80_columns(tmp_path: Path) -> None:
    db = empty_warehouse(tmp_path / "w.duckdb")
    long_value = "旭川市" + "x" * 300 + "END"
    result = invoke("sql", f"SELECT '{long_value}' AS v, 42 AS n", "--db", str(db), env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert any(long_value in line and "42" in line for line in result.stdout.splitlines()), result.stdout


def test_export_into_an_existing_file_is_one_line(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me")
    db = tmp_path / "w.duckdb"
    result = invoke("export", "--parquet", str(notes), "--db", str(db))
    assert result.exit_code == 2
    assert stderr_lines(result) == [
        f"error: {notes} is a file: --parquet takes a folder (a new one, or one to write into) — give another path"
    ]
    assert notes.read_text() == "keep me" and not db.exists()


def test_fixed_choices_are_enums_refused_at_once(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    runner = invoke("ingest", str(tmp_path), "--db", str(db), "--runner", "foo", env=WIDE)
    assert runner.exit_code == 2
    assert "'foo' is not one of 'process', 'thread', 'dask'" in runner.stderr
    assert not db.exists()
    fmt = invoke("sql", "SELECT 1", "--db", str(db), "--format", "xml", env=WIDE)
    assert fmt.exit_code == 2 and "'xml' is not one of 'table', 'csv', 'json'" in fmt.stderr
    assert [f.value for f in OutputFormat] == ["table", "csv", "json"]
    for command in ("ingest", "serve"):  # --help lists the choices
        assert "process|thread|dask" in invoke(command, "--help", env=WIDE).stdout


def test_inspect_usage_errors_exit_2_and_an_unreadable_file_1(tmp_path: Path) -> None:
    missing = invoke("inspect", str(tmp_path / "nowhere.pdf"), "--out", str(tmp_path / "x.png"))
    assert missing.exit_code == 2
    assert stderr_lines(missing) == [f"error: {tmp_path / 'nowhere.pdf'}: no such file — give the path of a PDF"]
    folder = invoke("inspect", str(tmp_path))
    assert folder.exit_code == 2
    assert stderr_lines(folder) == [f"error: {tmp_path}: a folder, not a file — give the path of a PDF"]
    notes = tmp_path / "[draft] notes.pdf"
    notes.write_bytes(b"hello\nworld, these are notes")
    unreadable = invoke("inspect", str(notes), "--out", str(tmp_path / "x.png"))
    assert unreadable.exit_code == 1
    # one backslash, as Python writes the newline, and the [draft] of the path kept
    assert stderr_lines(unreadable) == [
        f"error: {notes}: not a PDF (the file starts with 'hello\\nworld, the') — hyoka reads PDF files only"
    ]
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize(("text", "year"), [
    ("2022", 2022), ("R4", 2022), ("r4", 2022), ("令和4", 2022), ("令和4年度", 2022), ("Ｒ４", 2022),
    ("R元", 2019), ("H30", 2018), ("平成30年度", 2018), ("FY2021", 2021),
])
def test_changes_years_in_wareki(text: str, year: int) -> None:
    assert _fiscal_year(text) == year


@pytest.mark.parametrize("text", ["R4-R6", "令和2-6年度", "2022x", "xR4", "22", "four"])
def test_changes_refuses_what_is_not_one_year(tmp_path: Path, text: str) -> None:
    result = invoke("changes", "--from", text, "--to", "2023", "--db", str(tmp_path / "w.duckdb"), env=WIDE)
    assert result.exit_code == 2
    assert f"'{text}' is not a fiscal year: give e.g. 2022, R4, 令和4 or H30" in result.stderr


def test_changes_from_after_to_is_refused_and_r_years_are_taken(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    backwards = invoke("changes", "--from", "2024", "--to", "2021", "--db", str(db))
    assert backwards.exit_code == 2
    assert stderr_lines(backwards) == [
        "error: --from 2024 (R6) is after --to 2021 (R3): the older edition goes in --from — swap them: --from 2021 --to 2024"
    ]
    wareki = invoke("changes", "--from", "令和4", "--to", "R3", "--db", str(db))
    assert wareki.exit_code == 2 and "--from 2022 (R4) is after --to 2021 (R3)" in wareki.stderr
    # R4 → R5 passes the checks: it gets as far as the (missing) warehouse
    forwards = invoke("changes", "--from", "R4", "--to", "R5", "--db", str(db))
    assert forwards.exit_code == 2 and "no warehouse at" in forwards.stderr


def test_ingest_settings_are_checked_once_and_travel_as_json() -> None:
    """One dataclass holds how a run goes (CLI, flow, deployment): checked when made, JSON both ways."""
    import json

    from hyoka.extractors.pages import Reader
    from hyoka.flows.runs import IngestSettings, Runner

    settings = IngestSettings(db=Path("x.duckdb"), runner="thread", workers=3, reader="pdfplumber")  # strings, as JSON gives them
    assert (settings.db, settings.runner, settings.reader) == ("x.duckdb", Runner.THREAD, Reader.PDFPLUMBER)
    assert IngestSettings.of(json.loads(json.dumps(settings.as_parameters()))) == settings
    assert IngestSettings(dask_address="tcp://10.0.0.5:8786").runner is Runner.DASK  # an address means Dask
    with pytest.raises(ValueError, match=r"^unknown runner 'foo': use one of process, thread, dask$"):
        IngestSettings(runner="foo")  # a wrong string, as a user could write it
    with pytest.raises(ValueError, match=r"^workers must be a whole number of at least 1, not 0$"):
        IngestSettings(workers=0)
    with pytest.raises(ValueError, match=r"^unknown ingest settings: dbb$"):
        IngestSettings.of({"dbb": "x.duckdb"})
    # the per-document limits travel as a plain dict; a missing one takes its default
    from hyoka.extractors.limits import DEFAULT_LIMITS, Limits

    bounded = IngestSettings(limits=Limits(timeout=30, max_pages=None))
    parameters = json.loads(json.dumps(bounded.as_parameters()))
    assert parameters["limits"]["timeout"] == 30 and parameters["limits"]["max_pages"] is None
    assert IngestSettings.of(parameters) == bounded
    assert IngestSettings.of({"limits": {"memory_mib": 512}}).limits == Limits(memory_mib=512)
    assert IngestSettings().limits == DEFAULT_LIMITS
    with pytest.raises(ValueError, match=r"^unknown limits: time \(known: timeout, "):
        IngestSettings.of({"limits": {"time": 3}})


def test_the_interrupted_line_counts_only_loaded_documents_as_loaded(capsys: pytest.CaptureFixture[str]) -> None:
    import typer

    import hyoka.cli

    finished = [DocumentOutcome("a.pdf", "loaded"), DocumentOutcome("b.pdf", "failed", error="not a PDF"), "c.pdf"]
    with pytest.raises(typer.Exit) as stopped:
        hyoka.cli._interrupted(finished, 4)
    assert stopped.value.exit_code == 130
    said = " ".join(capsys.readouterr().err.split())
    assert "interrupted: 1 documents loaded in this run, 3 settled, 1 not yet" in said
