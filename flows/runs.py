"""An ingest run's bookkeeping against the warehouse, without Prefect.

What the flow and the CLI share: the run's summary, short warehouse connections, the
plan of a run (which files need reading, asked of the warehouse before any Prefect
start-up: a run with nothing to read never starts one) and loading one document.
"""

from __future__ import annotations

import os
import shutil
import tomllib
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from collections.abc import Callable, Iterator

from hyoka.extractors.failures import MISSING, count_failures
from hyoka.extractors.limits import DEFAULT_LIMITS, Limits
from hyoka.extractors.pages import Reader
from hyoka.flows.plan import Plan, collect_paths, is_within, plan_files
from hyoka.warehouse import store
from hyoka.warehouse.load import load_document_with_checks
from hyoka.warehouse.status import FAILED, is_live_status

E = TypeVar("E", bound=Enum)

if TYPE_CHECKING:  # the stages import the PDF readers and pandas: a run with nothing to read needs neither
    from hyoka.flows.stages import DocumentResult


@dataclass
class DocumentOutcome:
    """One line of the run's summary."""

    path: str
    status: str  # loaded / loaded_with_issues / failed / unchanged
    error: str | None = None
    records: int = 0
    errors: int = 0
    warnings: int = 0
    pages: int = 0


@dataclass
class IngestSummary:
    """What an ingest run did, for the CLI's closing summary."""

    db_path: str
    outcomes: list[DocumentOutcome] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    report_dir: str | None = None  # the validation report's folder (report.html, issues.csv, …)
    report_error: str | None = None  # why no report was written, when one was asked for
    parsed: int = 0  # documents read from their PDF in this run (0 over an unchanged inbox)
    moved: int = 0  # files moved to --processed-dir (and its failed/)
    runner: str | None = None  # the task runner the documents were parsed with

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def loaded(self) -> int:
        """Documents this run loaded (with or without issues)."""
        return sum(1 for o in self.outcomes if is_live_status(o.status))

    @property
    def failed(self) -> int:
        return self.count("failed") + len(self.missing)

    @property
    def failures(self) -> dict[str, int]:
        """Failed documents (and paths not found) by kind of reason (`hyoka.extractors.failures`), most first."""
        lines = [o.error for o in self.outcomes if o.status == FAILED] + [MISSING.reason] * len(self.missing)
        return count_failures(lines)

    @property
    def records(self) -> int:
        return sum(o.records for o in self.outcomes)

    @property
    def errors(self) -> int:
        return sum(o.errors for o in self.outcomes)

    @property
    def warnings(self) -> int:
        return sum(o.warnings for o in self.outcomes)

    @property
    def pages(self) -> int:
        return sum(o.pages for o in self.outcomes)


class Runner(str, Enum):
    """Where pages are read (the choices `--runner` lists). Pages are CPU work: threads share
    one core (the GIL), processes use them all."""

    PROCESS = "process"  # a pool of local processes
    THREAD = "thread"  # this process (one core)
    DASK = "dask"  # a Dask cluster, through prefect-dask (always a Prefect flow)


@dataclass(frozen=True)
class IngestSettings:
    """How an ingest runs, checked once here, whoever starts it: the CLI, `hyoka serve`'s
    deployment (as JSON parameters), the Prefect flow or a test."""

    db: str = "hyoka.duckdb"
    municipality: str | None = None  # for documents that do not say
    wait_seconds: float = 60.0  # how long to wait for another process's lock on the warehouse
    report: bool = True  # write the validation report at the end
    runner: Runner = Runner.PROCESS
    workers: int = 2
    dask_address: str | None = None  # a Dask scheduler: implies the dask runner
    processed_dir: str | None = None  # move each dealt-with file there (failed ones to its failed/)
    reader: Reader = Reader.PDFIUM
    limits: Limits = DEFAULT_LIMITS  # what one document may cost to read (time, memory, pages, objects)

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalize once, here
        if isinstance(self.limits, dict):  # as a deployment's JSON parameters hold them
            set_(self, "limits", Limits.of(self.limits))
        if not isinstance(self.limits, Limits):
            raise ValueError(f"limits must be a Limits, not {self.limits!r}")
        set_(self, "db", str(self.db))
        set_(self, "runner", _choice(Runner, self.runner, "runner"))
        set_(self, "reader", _choice(Reader, self.reader, "reader"))
        if self.dask_address:
            set_(self, "runner", Runner.DASK)  # an address means a Dask cluster
        if self.processed_dir is not None:
            set_(self, "processed_dir", str(self.processed_dir))
        if not isinstance(self.workers, int) or self.workers < 1:
            raise ValueError(f"workers must be a whole number of at least 1, not {self.workers!r}")
        if not self.wait_seconds >= 0:
            raise ValueError(f"wait_seconds must be 0 or more, not {self.wait_seconds!r}")

    @classmethod
    def of(cls, value: IngestSettings | dict[str, Any] | None) -> IngestSettings:
        """Settings from themselves, from JSON parameters (a deployment's), or the defaults."""
        if value is None:
            return cls()
        if isinstance(value, IngestSettings):
            return value
        unknown = set(value) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown ingest settings: {', '.join(sorted(unknown))}")
        return cls(**value)

    def as_parameters(self) -> dict[str, Any]:
        """JSON-ready values (what a Prefect deployment stores and shows)."""
        return {f.name: _json_ready(getattr(self, f.name)) for f in fields(self)}


def _json_ready(value: Any) -> Any:
    """A setting's value as JSON holds it (an enum by its value, the limits as a dict)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Limits):
        return asdict(value)
    return value


def _choice(enum: type[E], value: Any, name: str) -> E:
    """`value` as a member of `enum`, or a ValueError listing the choices."""
    try:
        return enum(value)
    except ValueError:
        raise ValueError(f"unknown {name} {value!r}: use one of {', '.join(m.value for m in enum)}") from None


class Orchestrator(str, Enum):
    """Who runs an ingest: Prefect (a flow run, visible in its UI) or hyoka alone (`hyoka.flows.engine`)."""

    AUTO = "auto"  # Prefect when a server is configured (PREFECT_API_URL) or Dask reads the pages
    PREFECT = "prefect"  # always a Prefect flow (a temporary server when none is configured)
    LOCAL = "local"  # never Prefect: no server to start, seconds sooner


def uses_prefect(orchestrator: Orchestrator | str, runner: Runner | str) -> bool:
    """Whether an ingest runs as a Prefect flow (the one place that decides it)."""
    choice = Orchestrator(orchestrator)
    if choice is Orchestrator.AUTO:
        return runner == "dask" or prefect_server_configured()
    return choice is Orchestrator.PREFECT


def prefect_server_configured() -> bool:
    """Whether PREFECT_API_URL is set, in the environment or the active Prefect profile.

    Read from Prefect's profiles file directly: importing Prefect's settings to ask costs
    a second and a half, which a run without Prefect should not pay.
    """
    if os.environ.get("PREFECT_API_URL"):
        return True
    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    path = Path(os.environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml").expanduser()
    try:
        profiles = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    active = os.environ.get("PREFECT_PROFILE") or profiles.get("active") or "ephemeral"
    profile = profiles.get("profiles", {}).get(active, {})
    return isinstance(profile, dict) and bool(profile.get("PREFECT_API_URL"))


# Progress callbacks: (event, path, detail) with event in {'start', 'page', 'done', 'report'}.
ProgressHook = Callable[[str, str, Any], None]


class Warehouse:
    """Opens the warehouse for one step at a time (an in-memory one stays open: it would vanish).

    DuckDB lets one process open a file being written, so `hyoka sql` from another process
    gets in between two documents instead of waiting for the whole run.
    """

    def __init__(self, db: str, wait_seconds: float = 60.0, on_wait: Callable[[str], None] | None = None):
        self.db, self.wait_seconds, self.on_wait = str(db), wait_seconds, on_wait
        self._memory: Any = None

    @contextmanager
    def open(self, *, first: bool = False) -> Iterator[Any]:
        """A connection for one step; `first` creates or upgrades the schema."""
        if self.db == ":memory:":
            if self._memory is None:
                self._memory = store.connect(self.db)
            yield self._memory
            return
        # the per-document connections only say they wait when it lasts (an analyst's query
        # holds the file for a moment)
        con = store.connect(
            self.db, wait_seconds=self.wait_seconds, on_wait=self.on_wait,
            check_schema=first, quiet_seconds=0.0 if first else 2.0,
        )
        try:
            yield con
        finally:
            con.close()

    def close(self) -> None:
        if self._memory is not None:
            self._memory.close()
            self._memory = None


@dataclass
class RunPlan:
    """The files of a run and what to do with each."""

    files: list[Path]
    missing: list[str]
    plan: Plan


def plan_run(paths: list[str], warehouse: Warehouse, processed_dir: str | None = None) -> RunPlan:
    """Which files of `paths` need reading, as the warehouse knows them (one short connection)."""
    files, missing = collect_paths(paths)
    done_dir = Path(processed_dir).resolve() if processed_dir else None
    if done_dir is not None:  # an inbox may hold its own processed/ folder
        files = [f for f in files if not is_within(f, done_dir)]
    with warehouse.open(first=True) as con:
        states = store.document_states(con)
        cache = store.cached_files(con, [str(p) for p in files])
    plan = plan_files(files, states, cache)
    if plan.remember:
        with warehouse.open() as con:
            store.remember_files(con, plan.remember)
        plan.remember = []
    return RunPlan(files, missing, plan)


def move_processed(path: Path, inputs: list[str], processed_dir: Path, failed: bool) -> Path | None:
    """Move a processed file into `processed_dir` (failed ones into its failed/), keeping its
    path below the input folder it came from; never overwrites (adds -1, -2, … to the name)."""
    relative = Path(path.name)
    for item in inputs:
        folder = Path(item).resolve()
        if folder.is_dir() and is_within(path, folder):
            relative = path.relative_to(folder)
            break
    target = (processed_dir / "failed" if failed else processed_dir) / relative
    n = 0
    while target.exists():
        n += 1
        target = target.with_name(f"{relative.stem}-{n}{relative.suffix}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), str(target))
    except OSError:
        return None  # a file that cannot be moved stays where it is; the cache still knows it
    return target


class Tally:
    """Collects a run's outcomes into its summary: moves processed files, tells the progress hook."""

    def __init__(self, summary: IngestSummary, inputs: list[str], processed_dir: str | None, progress: ProgressHook | None):
        self.summary, self.inputs, self.progress = summary, inputs, progress
        self.done_dir = Path(processed_dir).resolve() if processed_dir else None

    def finish(self, path: Path, outcome: DocumentOutcome) -> None:
        """Record one file's outcome."""
        self.summary.outcomes.append(outcome)
        if self.done_dir is not None and path.exists():
            if move_processed(path, self.inputs, self.done_dir, failed=outcome.status == "failed"):
                self.summary.moved += 1
        if self.progress:
            self.progress("done", str(path), outcome if outcome.status != "unchanged" else "unchanged")

    def settle_plan(self, plan: Plan) -> None:
        """The outcomes known without reading: unchanged files and failures this hyoka already saw."""
        for path in plan.unchanged:
            self.finish(path, DocumentOutcome(str(path), "unchanged"))
        for path, error in plan.known_failures:
            self.finish(path, DocumentOutcome(str(path), "failed", error=error))

    def close(self, files: list[Path]) -> IngestSummary:
        """The summary, its outcomes in the order the files were given."""
        order = {str(p): i for i, p in enumerate(files)}
        self.summary.outcomes.sort(key=lambda o: order.get(o.path, len(order)))
        return self.summary


def load_result(con: Any, result: DocumentResult) -> DocumentOutcome:
    """Load one result in one transaction; a failed document gets its `failed` row."""
    document = {k: v for k, v in result.document.items() if k != "traceback"}
    if result.failed:
        previous = con.execute(
            "SELECT status, error FROM documents WHERE document_id = ?", [document["document_id"]]
        ).fetchone()
        # the same failure again changes nothing (idempotence)
        if previous != (FAILED, document["error"]):
            store.record_failure(con, document)
        return DocumentOutcome(result.path, FAILED, error=document["error"])
    # its rows, the checks against the other documents of its municipality and superseding
    # an earlier file of its edition: one transaction
    loaded = load_document_with_checks(con, document, result.tables, result.issues)
    return DocumentOutcome(
        result.path,
        loaded.status,
        records=result.record_count,
        errors=loaded.errors,
        warnings=loaded.warnings,
        pages=document["page_count"] or 0,
    )


def report_is_current(db: str) -> str | None:
    """The report folder, when a report of this warehouse exists (a run that read nothing keeps it)."""
    from hyoka.report.location import default_out_dir

    existing = default_out_dir(db)
    return str(existing) if (existing / "report.html").exists() else None


def write_report_safely(db: str, wait_seconds: float = 60.0) -> tuple[Any, str | None]:
    """Write the validation report; a failure comes back as its one line, never raised: (paths, error)."""
    from hyoka.report import write_report

    try:
        return write_report(db, wait_seconds=wait_seconds), None
    except Exception as exc:  # noqa: BLE001 - the data is loaded; a report failure must not fail the run
        return None, f"{type(exc).__name__}: {exc}"
