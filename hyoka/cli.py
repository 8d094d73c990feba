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
import shlex
import sys
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console, ConsoleDimensions
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hyoka.extractors.failures import MISSING
from hyoka.extractors.limits import DEFAULT_LIMITS, Limits
from hyoka.extractors.pages import Reader
from hyoka.flows.runs import IngestSettings, Orchestrator, Runner

# Prefect is chatty and phones home by default; a CLI user wants neither. Users who want
# Prefect's logs set these themselves. (Set when a command runs, before Prefect is imported,
# not when this module is imported: a library importing it keeps its environment.)
QUIET_DEFAULTS = {
    "PREFECT_LOGGING_LEVEL": "WARNING",  # `hyoka serve` logs its runs at INFO unless told
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_TO_API_ENABLED": "false",
    "DASK_LOGGING__DISTRIBUTED": "warning",  # a local Dask cluster logs every worker's start and stop at INFO
}

app = typer.Typer(
    name="hyoka",
    help="Japanese municipal evaluation sheets (事務事業評価シート, 総合戦略 KPI一覧) from PDF or Excel exports into DuckDB.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
# Width of the results when stdout is not a terminal: a pipe or a file gets every value whole.
PIPED_WIDTH = 10_000


class _Results(Console):
    """The console of results: the terminal's width, or PIPED_WIDTH when piped (rich would cut at 80)."""

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        isatty = getattr(self.file, "isatty", None)
        # asked of the file itself: rich's is_terminal also follows FORCE_COLOR, which says nothing of width
        return size if isatty is not None and isatty() else ConsoleDimensions(PIPED_WIDTH, size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self.width, self.height = new_size  # as rich's own setter does


# whether the user set Prefect's log level (else `hyoka serve` logs its runs at INFO)
_USER_CHOSE = {"log_level": False}


@app.callback()
def _quiet_prefect() -> None:
    """Before any command: Prefect and Dask quiet unless the user chose otherwise."""
    _USER_CHOSE["log_level"] = "PREFECT_LOGGING_LEVEL" in os.environ
    for name, value in QUIET_DEFAULTS.items():
        os.environ.setdefault(name, value)


console = _Results()
# errors are single lines that scripts grep and users copy: never wrap them
err = Console(stderr=True, soft_wrap=True, highlight=False)


def shell_command(*argv: str | os.PathLike[str]) -> str:
    """A command or path to copy and paste, shell-quoted (`--db '出力 フォルダ.duckdb'` pastes whole).

    Every "run this next" hint and every path to open goes through here.
    """
    return " ".join(shlex.quote(str(arg)) for arg in argv)


def _say_error(message: str, label: str = "error") -> None:
    """The one place an error line is printed. The message is plain text: a path or an error
    message holding `[` or a backslash is printed as it is, never read as rich markup."""
    err.print(f"[red]{label}:[/red] {escape(message)}")


def _error(message: str, code: int = 2, label: str = "error") -> NoReturn:
    """Stop with one error line and an exit code (2: a usage error)."""
    _say_error(message, label)
    raise typer.Exit(code)


def _warn(message: str) -> None:
    """One line on stderr about something skipped; the command goes on."""
    err.print(f"[yellow]warning:[/yellow] {escape(message)}")


class OutputFormat(str, Enum):
    """How `sql` and `changes` print their results."""

    table = "table"
    csv = "csv"
    json = "json"


DB_OPTION = typer.Option("hyoka.duckdb", "--db", help="The DuckDB warehouse file.", envvar="HYOKA_DB")


def _say_wait(message: str) -> None:
    err.print(f"[yellow]{escape(message)}[/yellow]")


RUNNER_OPTION = typer.Option(
    Runner.PROCESS.value, "--runner", envvar="HYOKA_RUNNER",
    help="Where documents are parsed: process (--workers worker processes side by side), thread (one worker, "
         "batch after batch), or dask (prefect-dask).",
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
ORCHESTRATOR_OPTION = typer.Option(
    Orchestrator.AUTO.value, "--orchestrator", envvar="HYOKA_ORCHESTRATOR",
    help="Who runs the ingest: prefect (a Prefect flow run, visible in its UI), local (hyoka alone, no "
         "server to start), or auto: prefect when a Prefect server is configured (PREFECT_API_URL) "
         "or --runner dask, else local.",
)
WAIT_OPTION = typer.Option(60.0, "--wait", help="Seconds to wait while another hyoka run (or other process) holds the warehouse.")
TEMPLATES_OPTION = typer.Option(
    None, "--templates", envvar="HYOKA_TEMPLATES", metavar="DIR",
    help="A folder of your own template files (*.toml), read beside hyoka's (docs/adding-a-template.md).",
)


def _use_templates(folder: Path | None) -> None:
    """Read the user's template files once, before anything else (a mistake: its one line, exit 2).

    The folder is named in the environment (HYOKA_TEMPLATES), so the processes that read
    the run's pages load the same files.
    """
    if folder is None:
        return
    if not folder.is_dir():
        _error(f"{folder}: no such folder — --templates takes a folder of template files (*.toml)")
    from hyoka.extractors.template_loader import USER_TEMPLATES_ENV, template_files

    os.environ[USER_TEMPLATES_ENV] = str(folder.resolve())
    _check_templates()
    if not template_files(folder) and not (folder / "sheets").is_dir():
        _warn(f"no template file (*.toml) in {folder} — only hyoka's own templates are used")


def _check_templates() -> None:
    """Read the templates pages will be read with (hyoka's own and the user's): a mistake in a file is its
    one line, exit 2 — before any page is read, not once per document. (It imports the readers: a run
    with nothing to read does not ask.)"""
    from hyoka.extractors.registry import active_templates
    from hyoka.extractors.sheet_extract import sheet_templates
    from hyoka.extractors.template_loader import TemplateFileError

    try:
        active_templates()
        sheet_templates()
    except TemplateFileError as error:
        _error(f"{error} — fix the template file (docs/adding-a-template.md)")


# each document's limits (hyoka.extractors.limits.Limits: the defaults are its own); 0 is no limit
LIMITS_PANEL = "Limits per document (0: none)"


def _limit_option(default: float | None, flag: str, help: str) -> Any:
    """An option of one per-document limit, in the help's panel of limits."""
    return typer.Option(default, flag, min=0, rich_help_panel=LIMITS_PANEL, help=help)


DOC_TIMEOUT_OPTION = _limit_option(
    DEFAULT_LIMITS.timeout, "--doc-timeout",
    "Seconds a document may take to read, and each further page of a long one (a book of scans); "
    "past them its worker is stopped and the document fails.",
)
DOC_MEMORY_OPTION = _limit_option(
    DEFAULT_LIMITS.memory_mib, "--doc-memory", "MiB of memory a document may take to read (in the worker that reads it).")
MAX_PAGES_OPTION = _limit_option(DEFAULT_LIMITS.max_pages, "--max-pages", "Pages a PDF may have.")
MAX_PAGE_OBJECTS_OPTION = _limit_option(
    DEFAULT_LIMITS.max_page_objects, "--max-page-objects", "Characters, drawn objects and path segments a page may hold.")
MAX_STREAM_OPTION = _limit_option(
    DEFAULT_LIMITS.max_stream_mib, "--max-stream-mib", "MiB a compressed stream of the PDF may inflate to (checked before it is read).")


def _limits(timeout: float | None, memory: int | None, pages: int | None, objects: int | None, stream: int | None) -> Limits:
    """The per-document limits of the command's options (0: no limit)."""
    return Limits(timeout=timeout or None, memory_mib=memory or None, max_pages=pages or None,
                  max_page_objects=objects or None, max_stream_mib=stream or None)


@app.command(
    epilog=(
        "Examples:\n\n"
        "  hyoka ingest samples/\n\n"
        "  hyoka ingest sheets/*.pdf --db city.duckdb --municipality 旭川市\n\n"
        "  hyoka ingest books/ --runner dask --dask-address tcp://10.0.0.5:8786\n\n"
        "Documents are parsed in parallel: --runner process (default: --workers local worker processes; a "
        "small run uses one), thread (one worker, batch after batch), or dask (pip install 'hyoka\\[dask]').\n\n"
        "Each document is parsed in a worker process, within its limits (--doc-timeout, --doc-memory, "
        "--max-pages, --max-page-objects, --max-stream-mib): a file over one fails with one line saying "
        "which, and the other files load.\n\n"
        "With a Prefect server configured (PREFECT_API_URL, e.g. after `prefect server start`), the run is "
        "a Prefect flow run that its UI shows; without one, hyoka runs it alone, with no server to start "
        "(--orchestrator prefect|local decides instead).\n\n"
        "Ctrl-C stops the run between two documents (exit code 130): each loaded document is complete, "
        "and the same command goes on from there.\n\n"
        "Every run ends by writing the validation report next to the warehouse "
        "(hyoka.duckdb → hyoka-report/report.html); --no-report skips it.\n\n"
        "Exit code 0 when every file loaded (with or without validation issues), 1 when any failed "
        "(a path that does not exist counts as failed), 2 when there is nothing to read (no PDF in the "
        "folders, no such file): then no warehouse or report is created."
    )
)
def ingest(
    paths: list[Path] = typer.Argument(..., help="PDF files or folders (every *.pdf below a folder)."),
    db: Path = DB_OPTION,
    municipality: str | None = typer.Option(
        None, help="Municipality for documents that do not say (the document and its template come first)."
    ),
    wait: float = WAIT_OPTION,
    report: bool = typer.Option(True, "--report/--no-report", help="Write the validation report at the end."),
    runner: Runner = RUNNER_OPTION,
    workers: int = WORKERS_OPTION,
    dask_address: str | None = DASK_ADDRESS_OPTION,
    reader: Reader = READER_OPTION,
    orchestrator: Orchestrator = ORCHESTRATOR_OPTION,
    templates: Path | None = TEMPLATES_OPTION,
    doc_timeout: float = DOC_TIMEOUT_OPTION,
    doc_memory: int = DOC_MEMORY_OPTION,
    max_pages: int = MAX_PAGES_OPTION,
    max_page_objects: int = MAX_PAGE_OBJECTS_OPTION,
    max_stream_mib: int = MAX_STREAM_OPTION,
) -> None:
    """Read PDFs, validate them and load them into the warehouse."""
    _use_templates(templates)
    _check_inputs(paths)
    settings = _settings(db=db, municipality=municipality, wait_seconds=wait, report=report, runner=runner,
                         workers=workers, dask_address=dask_address, reader=reader,
                         limits=_limits(doc_timeout, doc_memory, max_pages, max_page_objects, max_stream_mib))
    code = _run_ingest([str(p) for p in paths], settings, orchestrator)
    raise typer.Exit(code)


def _check_inputs(paths: list[Path]) -> None:
    """Say at once what cannot be read, before the warehouse is opened (or created); stop when
    nothing is left to read. (`serve --once` does not come here: an empty inbox is its normal day.)"""
    from hyoka.flows.plan import check_inputs

    found = check_inputs(list(paths))
    if not found.readable:
        for path in found.missing:
            _say_error(f"{path}: no such file or folder — check the path")
        for folder in found.without_pdf:
            _say_error(f"no PDF found in {folder} — put the PDFs there, or name the files: hyoka ingest FILE.pdf …")
        raise typer.Exit(2)
    # the run goes on; the closing summary lists the missing paths again as failed (exit code 1)
    for path in found.missing:
        _warn(f"{path}: no such file or folder — skipped, the other paths are read (check the path)")
    for folder in found.without_pdf:
        _warn(f"no PDF found in {folder} — skipped")


def _settings(**options: Any) -> IngestSettings:
    """The run's settings, checked once (IngestSettings); a bad one is one line, exit code 2."""
    try:
        settings = IngestSettings(**options)
    except ValueError as exc:
        _error(str(exc))
    if settings.runner is Runner.DASK:
        try:
            import prefect_dask  # noqa: F401
        except ImportError:
            _error("--runner dask needs prefect-dask: pip install 'hyoka[dask]'")
    return settings


def _run_ingest(paths: list[str], settings: IngestSettings, orchestrator: Orchestrator = Orchestrator.AUTO) -> int:
    """One ingest run with a progress bar and the closing summary; its exit code.

    The warehouse is asked first which files need reading: a run with nothing to read
    answers from it alone, without Prefect. Ctrl-C stops the run between two documents
    (each is loaded in its own transaction): exit code 130, and a re-run goes on from there.
    """
    from hyoka.flows.runs import DocumentOutcome, Warehouse, plan_run, uses_prefect

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
        finished: list[DocumentOutcome | str] = []  # what this run settled, for an interrupted run's line

        def hook(event: str, path: str, detail: Any) -> None:
            name = Path(path).name
            if event == "done":
                finished.append(detail)
            if event == "page":
                page, total = detail
                progress.update(bar, current=f"{name} p.{page}/{total}")
            elif event == "report":
                progress.update(bar, current="writing the validation report…")
            elif event == "done":
                progress.update(bar, advance=1, current=name)
                if isinstance(detail, DocumentOutcome) and detail.status == "failed":
                    # one line per failed file, never wrapped: scripts grep it
                    progress.console.print(f"[red]failed[/red] {escape(path)}: {escape(str(detail.error))}",
                                           soft_wrap=True, highlight=False)

        try:
            warehouse = Warehouse(settings.db, settings.wait_seconds, _say_wait)
            run = plan_run(paths, warehouse, settings.processed_dir)
            progress.update(bar, total=len(run.files))
            if run.plan.has_work:
                _check_templates()
            if not run.plan.has_work:
                summary = _answer_from_warehouse(paths, run, settings, hook)
            elif uses_prefect(orchestrator, settings.runner):
                progress.update(bar, current="starting Prefect…")
                summary = _ingest_flow(paths, settings, progress=hook, on_wait=_say_wait)
            else:
                from hyoka.flows import worker

                if settings.limits.bounds_worker:
                    worker.warm_up(1)  # it imports the readers while this process imports the rest
                from hyoka.flows.engine import run_ingest

                summary = run_ingest(paths, settings, progress=hook, on_wait=_say_wait)
        except KeyboardInterrupt:
            progress.stop()
            _interrupted(finished, len(run.files) if "run" in locals() else None)
        except typer.Exit:
            raise  # already said in one line (a template file with a mistake)
        except Exception as exc:  # noqa: BLE001 - the user gets one line, not a traceback
            _fail(exc)
    for missing in summary.missing:
        err.print(f"[red]failed[/red] {escape(missing)}: {MISSING.reason}", soft_wrap=True, highlight=False)
    _print_summary(summary)
    return 1 if summary.failed else 0


def _interrupted(finished: list[Any], files: int | None) -> None:
    """Ctrl-C: one line on what was loaded and what was not, exit code 130 (128 + SIGINT)."""
    from hyoka.warehouse.status import is_live_status

    loaded = sum(1 for o in finished if is_live_status(getattr(o, "status", "")))
    settled = len(finished)
    rest = f", {files - settled} not yet" if files is not None else ""
    err.print(
        f"[yellow]interrupted:[/yellow] {loaded} documents loaded in this run, {settled} settled{rest}; "
        "each loaded document is complete — run the same command again to go on",
        soft_wrap=True,
    )
    raise typer.Exit(130)


def _ingest_flow(paths: list[str], settings: IngestSettings, **callbacks: Any) -> Any:
    """Run the `ingest` flow, reporting to the configured Prefect API or a temporary server.

    The server starts while Prefect and the flow are imported; one that does not start
    raises `PrefectUnavailable` (one line, nothing loaded).
    """
    from hyoka.service import api_for_a_run

    def import_flow() -> None:
        import hyoka.flows.ingest  # noqa: F401 - seconds of imports, while the server starts

    with api_for_a_run(prepare=import_flow):
        from hyoka.flows.ingest import ingest as ingest_flow

        return ingest_flow(paths, settings, **callbacks)


def _answer_from_warehouse(paths: list[str], run: Any, settings: IngestSettings, hook: Any) -> Any:
    """The summary of a run with nothing to read: every file is unchanged or a known failure."""
    from hyoka.flows.runs import IngestSummary, Tally, report_is_current, write_report_safely

    summary = IngestSummary(db_path=settings.db, missing=run.missing)
    tally = Tally(summary, paths, settings.processed_dir, hook)
    tally.settle_plan(run.plan)
    tally.close(run.files)
    if settings.report:
        summary.report_dir = report_is_current(settings.db)
        if summary.report_dir is None and run.files:
            written, summary.report_error = write_report_safely(settings.db, settings.wait_seconds)
            summary.report_dir = str(written.out_dir) if written is not None else None
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
    cron: str | None = typer.Option(None, "--cron", help='A cron schedule, e.g. "0 6 * * *" (every day at 06:00).'),
    interval: float | None = typer.Option(None, "--interval", min=1, help="Seconds between runs, e.g. 3600."),
    timezone: str = typer.Option("Asia/Tokyo", "--timezone", help="The time zone of --cron (an IANA name)."),
    db: Path = DB_OPTION,
    once: bool = typer.Option(False, "--once", help="Ingest the inbox once and exit with ingest's exit code."),
    processed_dir: Path | None = typer.Option(
        None, "--processed-dir", help="Move each loaded file here (failed ones to its failed/ folder)."
    ),
    municipality: str | None = typer.Option(None, help="Municipality for documents that do not say."),
    wait: float = WAIT_OPTION,
    report: bool = typer.Option(True, "--report/--no-report", help="Write the validation report after each run that loaded something."),
    runner: Runner = RUNNER_OPTION,
    workers: int = WORKERS_OPTION,
    dask_address: str | None = DASK_ADDRESS_OPTION,
    name: str = typer.Option("inbox", "--name", help="The Prefect deployment's name (ingest/<name>)."),
    reader: Reader = READER_OPTION,
    orchestrator: Orchestrator = typer.Option(
        Orchestrator.AUTO.value, "--orchestrator", envvar="HYOKA_ORCHESTRATOR",
        help="With --once, who runs the pass (see `hyoka ingest --help`); a schedule always runs on Prefect.",
    ),
    templates: Path | None = TEMPLATES_OPTION,
    doc_timeout: float = DOC_TIMEOUT_OPTION,
    doc_memory: int = DOC_MEMORY_OPTION,
    max_pages: int = MAX_PAGES_OPTION,
    max_page_objects: int = MAX_PAGE_OBJECTS_OPTION,
    max_stream_mib: int = MAX_STREAM_OPTION,
) -> None:
    """Ingest an inbox folder on a schedule (through Prefect), or once with --once."""
    _use_templates(templates)
    if not inbox.is_dir():
        _error(f"no inbox folder at {inbox}")
    if cron and interval:
        _error("give --cron or --interval, not both")
    settings = _settings(db=db, municipality=municipality, wait_seconds=wait, report=report, runner=runner,
                         workers=workers, dask_address=dask_address, reader=reader, processed_dir=processed_dir,
                         limits=_limits(doc_timeout, doc_memory, max_pages, max_page_objects, max_stream_mib))
    if once:
        raise typer.Exit(_run_ingest([str(inbox)], settings, orchestrator))
    if not cron and not interval:
        _error('give a schedule (--cron "0 6 * * *" or --interval 3600), or --once')
    if not _USER_CHOSE["log_level"]:
        os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"  # each run's summary line, in the terminal or the journal
    from hyoka.service import serve_ingest

    # a deployment stores JSON parameters; the runs it starts may run from another folder
    located = replace(settings, db=str(db.resolve()), processed_dir=str(processed_dir.resolve()) if processed_dir else None)
    parameters = {"paths": [str(inbox.resolve())], "settings": located.as_parameters()}
    try:
        serve_ingest(name, parameters, cron=cron, interval=interval, timezone=timezone, say=lambda m: err.print(m))
    except Exception as exc:  # noqa: BLE001
        _fail(exc)


def _require_warehouse(db: Path) -> None:
    """Stop with a hint when the warehouse file does not exist yet."""
    if not db.exists():
        _error(f"no warehouse at {db}: load PDFs into it first: {shell_command('hyoka', 'ingest', 'PATH', '--db', db)}")


def _open_read_only(db: Path, wait: float) -> Any:
    """A read-only connection to an existing warehouse, waiting for a writer; one line on failure."""
    from hyoka.warehouse import store

    _require_warehouse(db)
    try:
        return store.connect(db, read_only=True, wait_seconds=wait, on_wait=_say_wait)
    except Exception as exc:  # noqa: BLE001 - the user gets one line, not a traceback
        _fail(exc)


def _fail(exc: Exception) -> NoReturn:
    from hyoka.warehouse.store import WarehouseLocked

    from hyoka.service import PrefectUnavailable

    if isinstance(exc, (WarehouseLocked, PrefectUnavailable)):
        _error(str(exc))
    _error(f"{type(exc).__name__}: {exc}")


def _hint(label: str, text: str, *, bold: bool = False) -> None:
    """A line that ends in something to copy (a command, a path): one line, whatever its length,
    and the text as it is (no markup read from it)."""
    shown = f"[bold]{escape(text)}[/bold]" if bold else escape(text)
    console.print(f"{label}{shown}", soft_wrap=True, highlight=False)


def _print_summary(summary: Any) -> None:
    table = Table(title="hyoka ingest", show_header=False, box=None, padding=(0, 2))
    table.add_column("what", style="bold")
    table.add_column("count", justify="right")
    rows = [
        ("documents", len(summary.outcomes) + len(summary.missing)),
        ("loaded", summary.count("loaded")),
        ("loaded with issues", summary.count("loaded_with_issues")),
        ("unchanged (already loaded)", summary.count("unchanged")),
        ("parsed (read from the file)", getattr(summary, "parsed", 0)),
        ("failed", summary.failed),
        ("pages read", summary.pages),
        ("rows", summary.records),
        ("validation errors", summary.errors),
        ("validation warnings", summary.warnings),
    ]
    for what, count in rows:
        style = "red" if what == "failed" and count else ""
        table.add_row(what, f"[{style}]{count}[/{style}]" if style else str(count))
        if what == "failed":  # each kind of reason apart (garbled text, scanned, unknown template…)
            for kind, n in getattr(summary, "failures", {}).items():
                table.add_row(f"  failed: {escape(kind)}", str(n))
    if getattr(summary, "moved", 0):
        table.add_row("moved to --processed-dir", str(summary.moved))
    console.print(table)
    _hint("warehouse: ", shell_command(Path(summary.db_path).resolve()), bold=True)
    if summary.errors or summary.warnings:
        _hint("issues:    ", shell_command("hyoka", "sql", "SELECT * FROM validation_issues", "--db", summary.db_path))
    if getattr(summary, "report_dir", None):
        _hint("report:    ", shell_command(Path(summary.report_dir).resolve() / "report.html"), bold=True)
    elif getattr(summary, "report_error", None):
        err.print(f"[yellow]report not written:[/yellow] {summary.report_error}", soft_wrap=True, highlight=False)


@app.command(
    epilog=(
        "Examples:\n\n"
        '  hyoka sql "SELECT project_code, project_name FROM projects"\n\n'
        '  hyoka sql "SELECT * FROM current_project_budgets WHERE fiscal_year = 2021" --format csv > budgets.csv\n\n'
        "One statement per call: several (SELECT 1; SELECT 2) are refused, so that a script reading "
        "--format csv or json always gets exactly one result. When stdout is not a terminal, tables are "
        "printed full width (no value cut at 80 columns).\n\n"
        "Query the current_<table> views (current_projects, current_project_budgets, …): they hold only "
        "the live edition of each document, so nothing is counted twice; the tables keep every edition.\n\n"
        "Tables: documents, pages, projects, project_budgets, project_staffing, project_reform_viewpoints, "
        "project_evaluations, project_indicators, project_budget_sources, project_budget_items, project_sdgs, "
        "project_extra_fields, "
        "strategy_kpis, strategy_kpi_values, validation_issues. Views: document_summary, kpi_history, "
        "project_budget_history, project_indicator_history, project_identity (examples: docs/queries.md)."
    )
)
def sql(
    query: str = typer.Argument(..., help="One SQL statement (DuckDB dialect)."),
    db: Path = DB_OPTION,
    format: OutputFormat = typer.Option(OutputFormat.table.value, "--format", "-f", help="How to print the result."),
    wait: float = typer.Option(60.0, help="Seconds to wait while another process is writing the warehouse."),
) -> None:
    """Run one SQL statement against the warehouse and print its result."""
    from hyoka.warehouse import store

    _one_statement(query, db)
    con = _open_read_only(db, wait)
    try:
        columns, rows = store.query(con, query)
    except Exception as exc:  # noqa: BLE001 - a SQL error is the user's to fix: say it plainly
        _error(str(exc).splitlines()[0], label="SQL error")
    finally:
        con.close()
    if format == OutputFormat.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    elif format == OutputFormat.json:
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


def _fiscal_year(text: str) -> int:
    """A year of --from/--to: 2022, or 和暦 as the documents print it (R4, 令和4, 令和4年度, H30),
    read by the parser the extractors use (hyoka.normalize), so both agree on every era."""
    from hyoka.normalize import find_fiscal_year

    value = text.strip()
    if value.isdigit() and len(value) == 4:  # normalize takes a bare 2022 for an amount unless 年度 or FY marks it
        return int(value)
    span = find_fiscal_year(value.upper())  # r4 as well as R4; upper() leaves 令和 as it is
    if span is None or span.text != value.upper() or span.start != span.end:
        raise typer.BadParameter(f"{text!r} is not a fiscal year: give e.g. 2022, R4, 令和4 or H30")
    return span.start


def _one_statement(query: str, db: Path) -> None:
    """Refuse an empty query and several statements, before the warehouse is opened.

    DuckDB would run every statement and return only the last result, silently."""
    import duckdb

    try:
        count = len(duckdb.extract_statements(query))
    except duckdb.Error as exc:
        _error(str(exc).splitlines()[0], label="SQL error")
    if count == 0:
        _error(f"no SQL statement given: e.g. {shell_command('hyoka', 'sql', 'SELECT * FROM documents', '--db', db)}")
    if count > 1:
        _error(f"{count} SQL statements given: hyoka sql runs one statement at a time — run each with its own hyoka sql")


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
    out: Path | None = typer.Option(
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
    _hint("report: ", shell_command(paths.html.resolve()), bold=True)
    _hint("issues: ", shell_command(paths.csv.resolve(), paths.parquet.resolve()))


@app.command(
    epilog=(
        "Example:\n\n  hyoka inspect samples/asahikawa_jimujigyo_R4_121101.pdf --page 2 --out page2.png\n\n"
        "Exit code 0 when the picture is written, 1 when the file cannot be read as a PDF, "
        "2 for a usage error (no such file, a page the PDF does not have)."
    )
)
def inspect(
    pdf: Path = typer.Argument(..., help="The PDF to look at."),
    page: int = typer.Option(1, "--page", "-p", help="Page number, from 1."),
    out: Path = typer.Option(Path("inspect.png"), "--out", "-o", help="The PNG to write."),
    resolution: int = typer.Option(110, help="Pixels per inch of the rendering."),
    templates: Path | None = TEMPLATES_OPTION,
) -> None:
    """Draw the cells and fields hyoka found on a page, to see what it read."""
    _use_templates(templates)
    _check_templates()
    from hyoka.extractors.inspect import render_page
    from hyoka.extractors.pdf_input import DocumentError

    if not pdf.is_file():
        _error(f"{pdf}: {'a folder, not a file' if pdf.is_dir() else 'no such file'} — give the path of a PDF")
    try:
        summary = render_page(pdf.read_bytes(), page, out, resolution=resolution)
    except ValueError as exc:  # a page the PDF does not have: the command line's mistake
        _error(f"{pdf}: {exc}")
    except (DocumentError, OSError) as exc:  # the file's (or the disk's): like a file that fails to ingest
        _error(f"{pdf}: {exc}", code=1)
    console.print(escape(f"wrote {shell_command(out)}: {summary}"), soft_wrap=True, highlight=False)


@app.command(
    epilog=(
        "Examples:\n\n"
        "  hyoka changes --from 2022 --to 2023\n\n"
        "  hyoka changes --from 2022 --to 2023 --format json > changes.json\n\n"
        "An edition is every loaded document of one results fiscal year (R4 → 2022). Shows new and vanished "
        "projects, budget changes by project, revised values (KPIs and the sheets' indicators), values that "
        "were pending and are numbers now, and new KPIs. Years are Gregorian (2022) or 和暦 as the "
        "documents print them (R4, 令和4, 令和4年度; H30 → 2018). Exit code 0; 1 when a year has no edition; "
        "2 for a usage error (e.g. --from after --to)."
    )
)
def changes(
    from_year: int = typer.Option(
        ..., "--from", parser=_fiscal_year, metavar="YEAR",
        help="Results fiscal year of the older edition: 2022, R4 or 令和4.",
    ),
    to_year: int = typer.Option(
        ..., "--to", parser=_fiscal_year, metavar="YEAR",
        help="Results fiscal year of the newer edition: 2023, R5 or 令和5.",
    ),
    db: Path = DB_OPTION,
    format: OutputFormat = typer.Option(OutputFormat.table.value, "--format", "-f", help="How to print the changes."),
    municipality: str | None = typer.Option(None, help="Only this municipality."),
    wait: float = typer.Option(60.0, help="Seconds to wait while another process is writing the warehouse."),
) -> None:
    """What changed between two editions (results fiscal years) of the documents."""
    from hyoka import changes_output
    from hyoka.normalize import era_label
    from hyoka.warehouse import changes as edition_changes

    if from_year == to_year:
        _error("--from and --to are the same year: give two editions")
    if from_year > to_year:
        era = era_label
        _error(f"--from {from_year} ({era(from_year)}) is after --to {to_year} ({era(to_year)}): the older edition "
               f"goes in --from — swap them: --from {to_year} --to {from_year}")
    con = _open_read_only(db, wait)
    try:
        result = edition_changes.compare(con, from_year, to_year, [municipality] if municipality else None)
        years = edition_changes.edition_years(con)
    except Exception as exc:  # noqa: BLE001 - e.g. a warehouse written by an older hyoka, without the views
        _error(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
    finally:
        con.close()
    if result.missing_years:
        err.print(escape(changes_output.missing_message(result, years, str(db))), soft_wrap=True, highlight=False)
        raise typer.Exit(1)
    if format == OutputFormat.json:
        changes_output.write_json(result)
    elif format == OutputFormat.csv:
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
    from hyoka.warehouse.export import export_parquet

    if parquet.exists() and not parquet.is_dir():
        _error(f"{parquet} is a file: --parquet takes a folder (a new one, or one to write into) — give another path")
    con = _open_read_only(db, wait)
    try:
        written, missing = export_parquet(con, parquet)
    except Exception as exc:  # noqa: BLE001 - one line, not a traceback
        _error(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
    finally:
        con.close()
    table = Table(show_header=True, header_style="bold")
    for column in ("name", "kind", "rows", "path"):
        table.add_column(column, justify="right" if column == "rows" else "left")
    for e in written:
        table.add_row(e.name, e.kind, f"{e.rows:,}", e.path)
    console.print(table)
    if missing:
        err.print(f"[yellow]not in this warehouse (written by an older hyoka? run an ingest to add them):[/yellow] "
                  f"{', '.join(missing)}", soft_wrap=True, highlight=False)
    _hint(f"wrote {len(written)} tables and views to ", shell_command(parquet.resolve()), bold=True)


@app.command(
    epilog=(
        "Example:\n\n"
        "  hyoka templates\n\n"
        "  hyoka templates --templates my-templates/\n\n"
        "Every page of a PDF goes to the template that recognizes it best, so one run (even one PDF) "
        "can mix cities; a PDF that no template fits fails as 'unknown template (closest: …)'. "
        "Adding a city is a template file: docs/adding-a-template.md. Your own files load with "
        "--templates DIR (or HYOKA_TEMPLATES) on ingest, serve, inspect and here; a file with a mistake "
        "stops the command with its file, line and key (exit code 2)."
    )
)
def templates(templates: Path | None = TEMPLATES_OPTION) -> None:
    """List the sheet layouts (templates) hyoka can read, and where each comes from."""
    _use_templates(templates)
    _check_templates()
    from hyoka.extractors.registry import active_templates, template_origin

    table = Table(show_header=True, header_style="bold")
    for column in ("template", "municipality", "document type", "description", "from"):
        table.add_column(column)
    for template in active_templates():
        # a template without a fixed city reads it from the document (e.g. the KPI list's title)
        municipality = template.municipality or "(from the document)"
        table.add_row(template.name, municipality, template.doc_type, template.description, template_origin(template))
    from hyoka.extractors.sheet_extract import sheet_template_origin, sheet_templates

    for sheet in sheet_templates():  # spreadsheet exports (.xlsx): read by header labels, not pages
        info = sheet.spec.template
        table.add_row(info.name, info.municipality or "(from the document)", info.doc_type, info.description,
                      sheet_template_origin(sheet))
    console.print(table)


class CheckFormat(str, Enum):
    """How `template check` prints what the file read."""

    table = "table"
    json = "json"


template_app = typer.Typer(
    name="template",
    help="Work on one template file: check it against real PDFs.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
app.add_typer(template_app, name="template")


@template_app.command(
    "check",
    epilog=(
        "Examples:\n\n"
        "  hyoka template check my-templates/mycity.toml samples/real/mycity/\n\n"
        "  hyoka template check mycity.toml sheet.pdf --picture check/ --format json\n\n"
        "Reads the PDFs with this one file only (not hyoka's other templates) and shows, per page, the "
        "role that matched and its score and which \\[\\[page]] anchors were found; then, per item of the file "
        "(each field, title part and table), what it read (value, raw text, the cell's box) or 'expected "
        "but not found' and why (label not found, no cell right of it, the pattern did not match …). "
        "--picture DIR writes each page's `hyoka inspect` picture with the cells each item read, "
        "labelled, and the anchors in another colour (DIR/<pdf>-p<page>.png).\n\n"
        "Exit code 0 when every expected item of every page was read, 1 when something expected was "
        "not found (or no page was recognized), 2 for a template file with a mistake (its file, line and "
        "key), a PDF that cannot be read, or a usage error."
    ),
)
def template_check(
    file: Path = typer.Argument(..., metavar="FILE", help="The template file (*.toml) to check."),
    pdfs: list[Path] = typer.Argument(..., metavar="PDF...", help="PDFs to read with it (folders: every *.pdf below)."),
    format: CheckFormat = typer.Option(CheckFormat.table.value, "--format", "-f", help="How to print what was read."),
    picture: Path | None = typer.Option(
        None, "--picture", metavar="DIR", help="Write each page's picture, with what the file read, into this folder."
    ),
    resolution: int = typer.Option(110, help="Pixels per inch of the pictures."),
) -> None:
    """Read PDFs with one template file and show what each of its fields read, and what it did not."""
    from hyoka import check_output
    from hyoka.extractors.file_template import FileTemplate
    from hyoka.extractors.pdf_input import DocumentError
    from hyoka.extractors.registry import read_page_grids
    from hyoka.extractors.template_check import check_pages, write_pictures
    from hyoka.extractors.template_loader import TemplateFileError, load_template_file
    from hyoka.flows.plan import collect_paths

    try:
        template = FileTemplate(load_template_file(file), file)
    except TemplateFileError as error:
        _error(f"{error} — fix the template file (docs/adding-a-template.md)")
    if picture is not None and picture.exists() and not picture.is_dir():
        _error(f"{picture} is a file: --picture takes a folder (a new one, or one to write into) — give another path")
    files, missing = collect_paths(pdfs)
    errors: dict[str, str] = {}  # the PDFs that could not be read, and why
    for name in missing:
        errors[name] = "no such file or folder — check the path"
    checks = []
    for path in files:
        shown = _relative(path)
        try:
            data = path.read_bytes()
            reads = read_page_grids(data)
        except (DocumentError, OSError) as exc:
            errors[shown] = str(exc)
            continue
        try:
            check = check_pages(template, reads, shown)
        except Exception as exc:  # noqa: BLE001 - one line per PDF, never a traceback
            errors[shown] = f"internal error while checking ({type(exc).__name__}: {exc}); please report it with the file"
            continue
        checks.append(check)
        if format == CheckFormat.table:
            check_output.print_check(check, console)
        if picture is not None:
            written = write_pictures(data, check, reads, picture, path.stem, resolution)
            if format == CheckFormat.table and written:
                _hint(f"pictures: {len(written)} in ", shell_command(picture), bold=True)
    for pdf, reason in errors.items():
        _say_error(f"{pdf}: {reason}")
    if format == CheckFormat.json:
        check_output.write_json(check_output.as_json(template.name, str(file), checks, errors), sys.stdout)
    elif checks:
        console.print(check_output.summary_line(checks), highlight=False)
    raise typer.Exit(2 if errors else 1 if any(check.missing for check in checks) else 0)


def _relative(path: Path) -> str:
    """A path as short as it can be shown: relative to the current folder when it is below it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@app.command()
def version() -> None:
    """Print hyoka's version."""
    import hyoka

    console.print(hyoka.__version__)


def main() -> None:  # pragma: no cover - console entry point
    from hyoka.flows.worker import collect_garbage_less_often

    collect_garbage_less_often()
    app(prog_name="hyoka")
