"""The `hyoka` command line: ingest PDFs, query the warehouse, inspect what was read.

    hyoka ingest samples/                 # every PDF below samples/ into ./hyoka.duckdb
    hyoka sql "SELECT * FROM projects"    # query it
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

# Prefect is chatty and phones home by default; a CLI user wants neither. Users who want
# Prefect's logs set these themselves.
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")

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


@app.command(
    epilog=(
        "Examples:\n\n"
        "  hyoka ingest samples/\n\n"
        "  hyoka ingest sheets/*.pdf --db city.duckdb --municipality 旭川市\n\n"
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
    wait: float = typer.Option(60.0, help="Seconds to wait for a warehouse another process is writing."),
    report: bool = typer.Option(True, "--report/--no-report", help="Write the validation report at the end."),
) -> None:
    """Read PDFs, validate them and load them into the warehouse."""
    from flows.ingest import DocumentOutcome, ingest as ingest_flow

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
        seen_total = {"documents": 0}

        def hook(event: str, path: str, detail: Any) -> None:
            name = Path(path).name
            if event == "page":
                page, total = detail
                progress.update(bar, current=f"{name} p.{page}/{total}")
            elif event == "report":
                progress.update(bar, current="writing the validation report…")
            elif event == "done":
                seen_total["documents"] += 1
                progress.update(bar, advance=1, current=name)
                if isinstance(detail, DocumentOutcome) and detail.status == "failed":
                    # one line per failed file, never wrapped: scripts grep it
                    progress.console.print(f"[red]failed[/red] {path}: {detail.error}", soft_wrap=True, highlight=False)

        from flows.stages import collect_paths

        files, _ = collect_paths([str(p) for p in paths])
        progress.update(bar, total=len(files))
        try:
            summary = ingest_flow([str(p) for p in paths], db=str(db), municipality=municipality, progress=hook,
                                  wait_seconds=wait, on_wait=_say_wait, report=report)
        except Exception as exc:  # noqa: BLE001 - the user gets one line, not a traceback
            _fail(exc)
    for missing in summary.missing:
        err.print(f"[red]failed[/red] {missing}: no such file or folder", soft_wrap=True, highlight=False)
    _print_summary(summary)
    raise typer.Exit(1 if summary.failed else 0)


def _fail(exc: Exception) -> None:
    from warehouse.store import WarehouseLocked

    if isinstance(exc, WarehouseLocked):
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
        ("failed", summary.failed),
        ("pages read", summary.pages),
        ("rows", summary.records),
        ("validation errors", summary.errors),
        ("validation warnings", summary.warnings),
    ]
    for what, count in rows:
        style = "red" if what == "failed" and count else ""
        table.add_row(what, f"[{style}]{count}[/{style}]" if style else str(count))
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
        "strategy_kpis, strategy_kpi_values, validation_issues."
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
    if not db.exists():
        err.print(f"[red]error:[/red] no warehouse at {db}: run `hyoka ingest PATH --db {db}` first")
        raise typer.Exit(2)
    try:
        con = store.connect(db, read_only=True, wait_seconds=wait, on_wait=_say_wait)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
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

    if not db.exists():
        err.print(f"[red]error:[/red] no warehouse at {db}: run `hyoka ingest PATH --db {db}` first")
        raise typer.Exit(2)
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


@app.command()
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
