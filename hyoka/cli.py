"""The `hyoka` command line: ingest PDFs, query the warehouse, inspect what was read.

    hyoka ingest samples/                 # every PDF below samples/ into ./hyoka.duckdb
    hyoka sql "SELECT * FROM projects"    # query it
    hyoka serve --inbox inbox/ --cron "0 6 * * *"   # ingest new files every morning
    hyoka inspect sheet.pdf --page 1 --out page1.png
"""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from extractors.pages import Reader

# Prefect is chatty and phones home by default; a CLI user wants neither. Users who want
# Prefect's logs set these themselves.
_LOG_LEVEL_CHOSEN = "PREFECT_LOGGING_LEVEL" in os.environ  # `hyoka serve` logs its runs at INFO unless told
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
# a local Dask cluster (--runner dask) logs every worker's start and stop at INFO
os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")

app = typer.Typer(
    name="hyoka",
    help="Japanese municipal evaluation sheets (事務事業評価シート, 総合戦略 KPI一覧) from PDF into DuckDB.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
console = Console()
# errors are single lines that scripts grep and users copy: never wrap them
err = Console(stderr=True, soft_wrap=True, highlight=False)

DB_OPTION = typer.Option("hyoka.duckdb", "--db", help="The DuckDB warehouse file.", envvar="HYOKA_DB")


def _say_wait(message: str) -> None:
    err.print(f"[yellow]{message}[/yellow]")


RUNNER_OPTION = typer.Option(
    "process", "--runner", envvar="HYOKA_RUNNER",
    help="Where documents are parsed: process (a pool of local processes), thread, or dask (prefect-dask).",
)
WORKERS_OPTION = typer.Option(2, "--workers", min=1, envvar="HYOKA_WORKERS", help="Processes, threads or local Dask workers.")
DASK_ADDRESS_OPTION = typer.Option(
    None, "--dask-address", envvar="HYOKA_DASK_ADDRESS",
    help="A Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --runner dask; without it, --runner dask starts a local cluster).",
)
READER_OPTION = typer.Option(
    Reader.PDFIUM.value, "--reader", envvar="HYOKA_READER",
    help="The PDF library that reads the pages: pdfium (fast, default) or pdfplumber (the reference, slower).",
)
WAIT_OPTION = typer.Option(60.0, "--wait", help="Seconds to wait while another hyoka run (or other process) holds the warehouse.")


@app.command(
    epilog=(
        "Examples:\n\n"
        "  hyoka ingest samples/\n\n"
        "  hyoka ingest sheets/*.pdf --db city.duckdb --municipality 旭川市\n\n"
        "  hyoka ingest books/ --runner dask --dask-address tcp://10.0.0.5:8786\n\n"
        "Documents are parsed in parallel: --runner process (default: --workers local processes; a run "
        "with one document to parse parses it in place), thread, or dask (pip install 'hyoka\\[dask]').\n\n"
        "Every run ends by writing the validation report next to the warehouse "
        "(hyoka.duckdb → hyoka-report/report.html); --no-report skips it.\n\n"
        "Exit code 0 when every file loaded (with or without validation issues), 1 when any failed."
    )
)
def ingest(
    paths: list[Path] = typer.Argument(..., help="PDF files or folders (every *.pdf below a folder)."),
    db: Path = DB_OPTION,
    municipality: Optional[str] = typer.Option(
        None, help="Municipality for documents that do not say (the document and its template come first)."
    ),
    wait: float = WAIT_OPTION,
    report: bool = typer.Option(True, "--report/--no-report", help="Write the validation report at the end."),
    runner: str = RUNNER_OPTION,
    workers: int = WORKERS_OPTION,
    dask_address: Optional[str] = DASK_ADDRESS_OPTION,
    reader: Reader = READER_OPTION,
) -> None:
    """Read PDFs, validate them and load them into the warehouse."""
    code = _run_ingest([str(p) for p in paths], db=db, municipality=municipality, wait=wait, report=report,
                       runner=runner, workers=workers, dask_address=dask_address, reader=reader)
    raise typer.Exit(code)


def _check_runner(runner: str, dask_address: Optional[str]) -> str:
    from flows.runs import RUNNERS

    if dask_address and runner != "dask":
        runner = "dask"  # an address means a Dask cluster
    if runner not in RUNNERS:
        err.print(f"[red]error:[/red] unknown runner {runner!r}: use one of {', '.join(RUNNERS)}")
        raise typer.Exit(2)
    if runner == "dask":
        try:
            import prefect_dask  # noqa: F401
        except ImportError:
            err.print("[red]error:[/red] --runner dask needs prefect-dask: pip install 'hyoka\\[dask]'")
            raise typer.Exit(2)
    return runner


def _run_ingest(
    paths: list[str],
    *,
    db: Path,
    municipality: Optional[str],
    wait: float,
    report: bool,
    runner: str,
    workers: int,
    dask_address: Optional[str],
    processed_dir: Optional[Path] = None,
    reader: Reader = Reader.PDFIUM,
) -> int:
    """One ingest run with a progress bar and the closing summary; its exit code.

    The warehouse is asked first which files need reading: a run with nothing to read
    answers from it alone, without starting Prefect (its start-up costs seconds).
    """
    from flows.runs import DocumentOutcome, Warehouse, plan_run

    runner = _check_runner(runner, dask_address)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[current]}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        bar = progress.add_task("ingest", total=None, current="")

        def hook(event: str, path: str, detail: Any) -> None:
            name = Path(path).name
            if event == "page":
                page, total = detail
                progress.update(bar, current=f"{name} p.{page}/{total}")
            elif event == "report":
                progress.update(bar, current="writing the validation report…")
            elif event == "done":
                progress.update(bar, advance=1, current=name)
                if isinstance(detail, DocumentOutcome) and detail.status == "failed":
                    # one line per failed file, never wrapped: scripts grep it
                    progress.console.print(f"[red]failed[/red] {path}: {detail.error}", soft_wrap=True, highlight=False)

        try:
            warehouse = Warehouse(str(db), wait, _say_wait)
            run = plan_run(paths, warehouse, str(processed_dir) if processed_dir else None)
            progress.update(bar, total=len(run.files))
            if run.plan.has_work:
                progress.update(bar, current="starting Prefect…")
                summary = _ingest_flow(paths, db=str(db), municipality=municipality, progress=hook,
                                       wait_seconds=wait, on_wait=_say_wait, report=report,
                                       runner=runner, workers=workers, dask_address=dask_address,
                                       processed_dir=str(processed_dir) if processed_dir else None, reader=reader.value)
            else:
                summary = _answer_from_warehouse(paths, run, db, report, wait, processed_dir, hook)
        except Exception as exc:  # noqa: BLE001 - the user gets one line, not a traceback
            _fail(exc)
    for missing in summary.missing:
        err.print(f"[red]failed[/red] {missing}: no such file or folder", soft_wrap=True, highlight=False)
    _print_summary(summary)
    return 1 if summary.failed else 0


def _ingest_flow(paths: list[str], **parameters: Any) -> Any:
    """Run the `ingest` flow, reporting to the configured Prefect API or a temporary server.

    The server starts while Prefect and the flow are imported; one that does not start
    raises `PrefectUnavailable` (one line, nothing loaded).
    """
    from hyoka.service import api_for_a_run

    def import_flow() -> None:
        import flows.ingest  # noqa: F401 - seconds of imports, while the server starts

    with api_for_a_run(prepare=import_flow):
        from flows.ingest import ingest as ingest_flow

        return ingest_flow(paths, **parameters)


def _answer_from_warehouse(paths: list[str], run: Any, db: Path, report: bool, wait: float,
                           processed_dir: Optional[Path], hook: Any) -> Any:
    """The summary of a run with nothing to read: every file is unchanged or a known failure."""
    from flows.runs import IngestSummary, Tally, report_is_current, write_report_safely

    summary = IngestSummary(db_path=str(db), missing=run.missing)
    tally = Tally(summary, paths, str(processed_dir) if processed_dir else None, hook)
    tally.settle_plan(run.plan)
    tally.close(run.files)
    if report:
        summary.report_dir = report_is_current(str(db))
        if summary.report_dir is None and run.files:
            paths, summary.report_error = write_report_safely(str(db), wait)
            summary.report_dir = str(paths.out_dir) if paths is not None else None
    return summary


@app.command(
    epilog=(
        "Examples:\n\n"
        "  hyoka serve --inbox /srv/hyoka/inbox --cron \"0 6 * * *\" --db /srv/hyoka/hyoka.duckdb\n\n"
        "  hyoka serve --inbox inbox/ --interval 3600 --processed-dir done/\n\n"
        "  hyoka serve --inbox inbox/ --once        # one pass, then exit (for cron jobs)\n\n"
        "Each run ingests the files of the inbox that the warehouse does not hold yet: a file whose "
        "path, size and modification time are known is not even read again, and one whose content "
        "(sha256) is loaded is unchanged. Processed files stay in the inbox unless --processed-dir "
        "is given: then each loaded file moves there, each failed one to <processed-dir>/failed/.\n\n"
        "Scheduling needs a Prefect server: with PREFECT_API_URL set, hyoka uses it; otherwise it "
        "starts one on 127.0.0.1 for as long as it serves (stopped on Ctrl-C or SIGTERM). "
        "--once needs none. Exit code of --once: 0 when every file loaded, 1 when any failed."
    )
)
def serve(
    inbox: Path = typer.Option(..., "--inbox", help="The folder new PDFs are dropped into (every *.pdf below it)."),
    cron: Optional[str] = typer.Option(None, "--cron", help='A cron schedule, e.g. "0 6 * * *" (every day at 06:00).'),
    interval: Optional[float] = typer.Option(None, "--interval", min=1, help="Seconds between runs, e.g. 3600."),
    timezone: str = typer.Option("Asia/Tokyo", "--timezone", help="The time zone of --cron (an IANA name)."),
    db: Path = DB_OPTION,
    once: bool = typer.Option(False, "--once", help="Ingest the inbox once and exit with ingest's exit code."),
    processed_dir: Optional[Path] = typer.Option(
        None, "--processed-dir", help="Move each loaded file here (failed ones to its failed/ folder)."
    ),
    municipality: Optional[str] = typer.Option(None, help="Municipality for documents that do not say."),
    wait: float = WAIT_OPTION,
    report: bool = typer.Option(True, "--report/--no-report", help="Write the validation report after each run that loaded something."),
    runner: str = RUNNER_OPTION,
    workers: int = WORKERS_OPTION,
    dask_address: Optional[str] = DASK_ADDRESS_OPTION,
    name: str = typer.Option("inbox", "--name", help="The Prefect deployment's name (ingest/<name>)."),
    reader: Reader = READER_OPTION,
) -> None:
    """Ingest an inbox folder on a schedule (through Prefect), or once with --once."""
    if not inbox.is_dir():
        err.print(f"[red]error:[/red] no inbox folder at {inbox}")
        raise typer.Exit(2)
    if cron and interval:
        err.print("[red]error:[/red] give --cron or --interval, not both")
        raise typer.Exit(2)
    if once:
        code = _run_ingest([str(inbox)], db=db, municipality=municipality, wait=wait, report=report,
                           runner=runner, workers=workers, dask_address=dask_address, processed_dir=processed_dir,
                           reader=reader)
        raise typer.Exit(code)
    if not cron and not interval:
        err.print('[red]error:[/red] give a schedule (--cron "0 6 * * *" or --interval 3600), or --once')
        raise typer.Exit(2)
    runner = _check_runner(runner, dask_address)
    if not _LOG_LEVEL_CHOSEN:
        os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"  # each run's summary line, in the terminal or the journal
    from hyoka.service import serve_ingest

    parameters = {
        "paths": [str(inbox.resolve())],
        "db": str(db.resolve()),
        "municipality": municipality,
        "wait_seconds": wait,
        "report": report,
        "runner": runner,
        "workers": workers,
        "dask_address": dask_address,
        "processed_dir": str(processed_dir.resolve()) if processed_dir else None,
        "reader": reader.value,
    }
    try:
        serve_ingest(name, parameters, cron=cron, interval=interval, timezone=timezone, say=lambda m: err.print(m))
    except Exception as exc:  # noqa: BLE001
        _fail(exc)


def _require_warehouse(db: Path) -> None:
    """Stop with a hint when the warehouse file does not exist yet."""
    if not db.exists():
        err.print(f"[red]error:[/red] no warehouse at {db}: run `hyoka ingest PATH --db {db}` first")
        raise typer.Exit(2)


def _open_read_only(db: Path, wait: float) -> Any:
    """A read-only connection to an existing warehouse, waiting for a writer; one line on failure."""
    from warehouse import store

    _require_warehouse(db)
    try:
        return store.connect(db, read_only=True, wait_seconds=wait, on_wait=_say_wait)
    except Exception as exc:  # noqa: BLE001 - the user gets one line, not a traceback
        _fail(exc)


def _fail(exc: Exception) -> None:
    from warehouse.store import WarehouseLocked

    from hyoka.service import PrefectUnavailable

    if isinstance(exc, (WarehouseLocked, PrefectUnavailable)):
        err.print(f"[red]error:[/red] {exc}")
    else:
        err.print(f"[red]error:[/red] {type(exc).__name__}: {exc}")
    raise typer.Exit(2)


def _print_summary(summary: Any) -> None:
    table = Table(title="hyoka ingest", show_header=False, box=None, padding=(0, 2))
    table.add_column("what", style="bold")
    table.add_column("count", justify="right")
    rows = [
        ("documents", len(summary.outcomes) + len(summary.missing)),
        ("loaded", summary.count("loaded")),
        ("loaded with issues", summary.count("loaded_with_issues")),
        ("unchanged (already loaded)", summary.count("unchanged")),
        ("parsed (read from PDF)", getattr(summary, "parsed", 0)),
        ("failed", summary.failed),
        ("pages read", summary.pages),
        ("rows", summary.records),
        ("validation errors", summary.errors),
        ("validation warnings", summary.warnings),
    ]
    for what, count in rows:
        style = "red" if what == "failed" and count else ""
        table.add_row(what, f"[{style}]{count}[/{style}]" if style else str(count))
    if getattr(summary, "moved", 0):
        table.add_row("moved to --processed-dir", str(summary.moved))
    console.print(table)
    console.print(f"warehouse: [bold]{Path(summary.db_path).resolve()}[/bold]")
    if summary.errors or summary.warnings:
        console.print(f'issues:    hyoka sql "SELECT * FROM validation_issues" --db {summary.db_path}')
    if getattr(summary, "report_dir", None):
        console.print(f"report:    [bold]{Path(summary.report_dir).resolve() / 'report.html'}[/bold]", soft_wrap=True)
    elif getattr(summary, "report_error", None):
        err.print(f"[yellow]report not written:[/yellow] {summary.report_error}", soft_wrap=True, highlight=False)


@app.command(
    epilog=(
        "Examples:\n\n"
        '  hyoka sql "SELECT project_code, project_name FROM projects"\n\n'
        '  hyoka sql "SELECT * FROM project_budgets WHERE fiscal_year = 2021" --format csv > budgets.csv\n\n'
        "Tables: documents, pages, projects, project_budgets, project_staffing, project_reform_viewpoints, "
        "project_evaluations, project_indicators, project_budget_sources, project_budget_items, project_sdgs, "
        "strategy_kpis, strategy_kpi_values, validation_issues. Views: document_summary, kpi_history, "
        "project_budget_history, project_indicator_history, project_identity (examples: docs/queries.md)."
    )
)
def sql(
    query: str = typer.Argument(..., help="The SQL to run (DuckDB dialect)."),
    db: Path = DB_OPTION,
    format: str = typer.Option("table", "--format", "-f", help="table, csv or json."),
    wait: float = typer.Option(60.0, help="Seconds to wait while another process is writing the warehouse."),
) -> None:
    """Run SQL against the warehouse and print the result."""
    from warehouse import store

    if format not in ("table", "csv", "json"):
        err.print(f"[red]error:[/red] unknown format {format!r}: use table, csv or json")
        raise typer.Exit(2)
    con = _open_read_only(db, wait)
    try:
        columns, rows = store.query(con, query)
    except Exception as exc:  # noqa: BLE001 - a SQL error is the user's to fix: say it plainly
        err.print(f"[red]SQL error:[/red] {str(exc).splitlines()[0]}")
        raise typer.Exit(2)
    finally:
        con.close()
    if format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    elif format == "json":
        records = [dict(zip(columns, row)) for row in rows]
        sys.stdout.write(json.dumps(records, ensure_ascii=False, default=str, indent=1) + "\n")
    else:
        table = Table(show_header=True, header_style="bold")
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        console.print(table)
        console.print(f"{len(rows)} row{'s' if len(rows) != 1 else ''}")


@app.command(
    epilog=(
        "Examples:\n\n"
        "  hyoka report --db out/demo.duckdb        # → out/demo-report/report.html\n\n"
        "  hyoka report --db city.duckdb --out reports/2024\n\n"
        "Writes report.html (one self-contained page: a summary per document, every flagged row "
        "with a crop of its source cell, plots of budgets and indicators), issues.csv (UTF-8 with BOM, "
        "for Excel) and issues.parquet. `hyoka ingest` writes the same report at the end of every run."
    )
)
def report(
    db: Path = DB_OPTION,
    out: Optional[Path] = typer.Option(
        None, "--out", "-o", help="Folder to write into (default: next to the warehouse, <db stem>-report/)."
    ),
    wait: float = typer.Option(60.0, help="Seconds to wait while another process is writing the warehouse."),
) -> None:
    """Write the validation report of the warehouse: report.html, issues.csv, issues.parquet."""
    from hyoka.report import write_report

    _require_warehouse(db)
    try:
        paths = write_report(db, out, wait_seconds=wait)
    except Exception as exc:  # noqa: BLE001 - one line, not a traceback
        _fail(exc)
    console.print(f"{len(paths.documents)} documents, {paths.errors} errors, {paths.warnings} warnings")
    console.print(f"report: [bold]{paths.html.resolve()}[/bold]", soft_wrap=True)
    console.print(f"issues: {paths.csv.resolve()}, {paths.parquet.resolve()}", soft_wrap=True, highlight=False)


@app.command(
    epilog="Example:\n\n  hyoka inspect samples/asahikawa_jimujigyo_R4_121101.pdf --page 2 --out page2.png"
)
def inspect(
    pdf: Path = typer.Argument(..., help="The PDF to look at."),
    page: int = typer.Option(1, "--page", "-p", help="Page number, from 1."),
    out: Path = typer.Option(Path("inspect.png"), "--out", "-o", help="The PNG to write."),
    resolution: int = typer.Option(110, help="Pixels per inch of the rendering."),
) -> None:
    """Draw the cells and fields hyoka found on a page, to see what it read."""
    from extractors.inspect import render_page
    from extractors.pdf_input import DocumentError

    try:
        summary = render_page(pdf.read_bytes(), page, out, resolution=resolution)
    except (DocumentError, OSError, ValueError) as exc:
        err.print(f"[red]error:[/red] {pdf}: {exc}")
        raise typer.Exit(1)
    console.print(f"wrote {out}: {summary}")


@app.command(
    epilog=(
        "Examples:\n\n"
        "  hyoka changes --from 2022 --to 2023\n\n"
        "  hyoka changes --from 2022 --to 2023 --format json > changes.json\n\n"
        "An edition is every loaded document of one results fiscal year (R4 → 2022). Shows new and vanished "
        "projects, budget changes by project, revised values (KPIs and the sheets' indicators), values that "
        "were pending and are numbers now, and new KPIs. Exit code 0; 1 when a year has no edition."
    )
)
def changes(
    from_year: int = typer.Option(..., "--from", help="Results fiscal year of the older edition (e.g. 2022 for R4)."),
    to_year: int = typer.Option(..., "--to", help="Results fiscal year of the newer edition (e.g. 2023 for R5)."),
    db: Path = DB_OPTION,
    format: str = typer.Option("table", "--format", "-f", help="table, json or csv."),
    municipality: Optional[str] = typer.Option(None, help="Only this municipality."),
    wait: float = typer.Option(60.0, help="Seconds to wait while another process is writing the warehouse."),
) -> None:
    """What changed between two editions (results fiscal years) of the documents."""
    from hyoka import changes_output
    from warehouse import changes as edition_changes

    if format not in ("table", "csv", "json"):
        err.print(f"[red]error:[/red] unknown format {format!r}: use table, json or csv")
        raise typer.Exit(2)
    if from_year == to_year:
        err.print("[red]error:[/red] --from and --to are the same year: give two editions")
        raise typer.Exit(2)
    con = _open_read_only(db, wait)
    try:
        result = edition_changes.compare(con, from_year, to_year, [municipality] if municipality else None)
        years = edition_changes.edition_years(con)
    except Exception as exc:  # noqa: BLE001 - e.g. a warehouse written by an older hyoka, without the views
        err.print(f"[red]error:[/red] {type(exc).__name__}: {str(exc).splitlines()[0]}")
        raise typer.Exit(2)
    finally:
        con.close()
    if result.missing_years:
        err.print(changes_output.missing_message(result, years, str(db)), soft_wrap=True, highlight=False)
        raise typer.Exit(1)
    if format == "json":
        changes_output.write_json(result)
    elif format == "csv":
        changes_output.write_csv(result)
    else:
        changes_output.print_tables(result, console)


@app.command(
    epilog=(
        "Example:\n\n"
        "  hyoka export --parquet export/ --db out/demo.duckdb\n\n"
        "Every table and view becomes a folder, export/<name>/data_0.parquet (fiscal years stay integer "
        "columns, not partition folders); export/_manifest.json lists them. Read back with pandas: "
        "pd.read_parquet('export/current_project_budgets'), or duckdb: "
        "read_parquet('export/current_project_budgets/*.parquet')."
    )
)
def export(
    parquet: Path = typer.Option(..., "--parquet", help="Folder to write the Parquet files into."),
    db: Path = DB_OPTION,
    wait: float = typer.Option(60.0, help="Seconds to wait while another process is writing the warehouse."),
) -> None:
    """Write every table and view as Parquet, one folder each, for BI tools and notebooks."""
    from warehouse.export import export_parquet

    con = _open_read_only(db, wait)
    try:
        written, missing = export_parquet(con, parquet)
    except Exception as exc:  # noqa: BLE001 - one line, not a traceback
        err.print(f"[red]error:[/red] {type(exc).__name__}: {str(exc).splitlines()[0]}")
        raise typer.Exit(2)
    finally:
        con.close()
    table = Table(show_header=True, header_style="bold")
    for column, justify in (("name", "left"), ("kind", "left"), ("rows", "right"), ("path", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for e in written:
        table.add_row(e.name, e.kind, f"{e.rows:,}", e.path)
    console.print(table)
    if missing:
        err.print(f"[yellow]not in this warehouse (written by an older hyoka? run an ingest to add them):[/yellow] "
                  f"{', '.join(missing)}", soft_wrap=True, highlight=False)
    console.print(f"wrote {len(written)} tables and views to [bold]{parquet.resolve()}[/bold]", soft_wrap=True)


@app.command(
    epilog=(
        "Example:\n\n"
        "  hyoka templates\n\n"
        "Every page of a PDF goes to the template that recognizes it best, so one run (even one PDF) "
        "can mix cities; a PDF that no template fits fails as 'unknown template (closest: …)'. "
        "Adding a city: docs/adding-a-template.md."
    )
)
def templates() -> None:
    """List the sheet layouts (templates) hyoka can read."""
    from extractors.registry import TEMPLATES

    table = Table(show_header=True, header_style="bold")
    for column in ("template", "municipality", "document type", "description"):
        table.add_column(column)
    for template in TEMPLATES:
        # a template without a fixed city reads it from the document (e.g. the KPI list's title)
        municipality = template.municipality or "(from the document)"
        table.add_row(template.name, municipality, template.doc_type, template.description)
    console.print(table)


@app.command()
def version() -> None:
    """Print hyoka's version."""
    import hyoka

    console.print(hyoka.__version__)


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="hyoka")
