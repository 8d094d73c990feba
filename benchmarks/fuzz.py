"""The fuzz corpus run: a few hundred broken copies of the samples, each ingested beside a good file.

    python benchmarks/fuzz.py                      # 300 mutants, seed 14
    python benchmarks/fuzz.py --count 40 --seed 3 --keep out/fuzz   # keep the mutants that went wrong

The mutants (tests/synth/mutants.py: bit flips, truncations, a deleted xref, zeroed streams,
dropped objects, lying /Length, pages swapped or rotated) are made from the bundled
samples, deterministically. Each is ingested in a run of its own beside a good file (a
real 池田 sheet that is not a source), into a fresh warehouse, as `hyoka ingest` runs it
(`hyoka.flows.engine.run_ingest`, one worker). The runs happen in a runner process that is
killed and started again when a run hangs (no answer within --timeout) or dies.

Prints how many mutants ended as: a clean error (one line, of which over a limit), loaded
(as many records as the source; with issues; with issues and fewer records), a
traceback (an internal error), a silent acceptance (`loaded`, no issue, fewer records
than the source gives), a hang, a crash of the run; and in how many runs the good file
loaded. Exit code 1 when any of traceback, silent acceptance, hang or crash happened, or
a good file did not load.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
IKEDA = SAMPLES / "real" / "ikeda"


def sources() -> list[Path]:
    """The PDFs the mutants are made from: the three bundled samples and three real 池田 sheets."""
    return sorted(SAMPLES.glob("*.pdf")) + sorted(IKEDA.glob("*.pdf"))[:3]


def good_file() -> Path:
    """The file every run loads beside its mutant: a real sheet that no mutant comes from."""
    return sorted(IKEDA.glob("*.pdf"))[-1]


# --------------------------------------------------------------------------------------
# The runner: ingests one mutant beside the good file per line of its input
# --------------------------------------------------------------------------------------


def ingest_pair(mutant: str, good: str, db: str, doc_timeout: float) -> dict[str, Any]:
    """One run over the mutant and the good file: each file's status, error and record count."""
    from hyoka.extractors.limits import Limits
    from hyoka.flows.engine import run_ingest
    from hyoka.flows.runs import IngestSettings

    try:
        summary = run_ingest([mutant, good], IngestSettings(db=db, report=False, workers=1, limits=Limits(timeout=doc_timeout)))
    except Exception as exc:  # noqa: BLE001 - what the fuzz counts as a crash of the run
        return {"raised": f"{type(exc).__name__}: {exc}"}
    return {"files": {o.path: {"status": o.status, "error": o.error, "records": o.records} for o in summary.outcomes}}


def serve_runs() -> None:
    """The runner's loop: a JSON task per input line, a JSON answer per output line."""
    for line in sys.stdin:
        task = json.loads(line)
        print(json.dumps(ingest_pair(**task)), flush=True)


# --------------------------------------------------------------------------------------
# The driver
# --------------------------------------------------------------------------------------


class Runner:
    """The runner process, in a session of its own (its workers go with it when it is killed)."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None

    def ask(self, task: dict[str, Any], timeout: float) -> dict[str, Any]:
        """The answer to a task; {"hang": True} past `timeout`, {"died": code} when the runner died."""
        if self.process is None:
            self.process = subprocess.Popen(
                [sys.executable, __file__, "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, text=True, start_new_session=True, cwd=ROOT,
            )
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(json.dumps(task) + "\n")
            self.process.stdin.flush()
        except OSError:
            return {"died": self.stop()}
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            self.stop()
            return {"hang": True}
        line = self.process.stdout.readline()
        if not line:
            return {"died": self.stop()}
        answer: dict[str, Any] = json.loads(line)
        return answer

    def stop(self) -> int | None:
        """Kill the runner and its workers; its exit code."""
        process, self.process = self.process, None
        if process is None:
            return None
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        return process.wait()


def expected_records() -> dict[Path, int]:
    """How many records each source gives when read whole."""
    from hyoka.flows.stages import read_and_process

    return {path: read_and_process(str(path)).record_count for path in sources()}


def reason(error: str) -> str:
    """An error line's reason, without its details: `damaged PDF (…)` → `damaged PDF`."""
    return error.split(" — ")[0].split(" (")[0].split(":")[0].strip()


def run_corpus(count: int, seed: int, timeout: float, doc_timeout: float,
               keep: Path | None) -> tuple[Counter[str], int, list[str], Counter[str]]:
    """Ingest every mutant beside the good file: (outcome counts, runs whose good file loaded, lines about
    bad outcomes, clean errors by reason)."""
    from synth import mutants as corpus

    expected = expected_records()
    good = good_file()
    made = corpus.make_corpus(sources(), count, seed)
    counts: Counter[str] = Counter()
    good_loaded = 0
    notes: list[str] = []
    reasons: Counter[str] = Counter()
    runner = Runner()
    work = Path(tempfile.mkdtemp(prefix="hyoka-fuzz-"))
    try:
        for number, mutant in enumerate(made, 1):
            path = work / f"{mutant.name}.pdf"
            path.write_bytes(mutant.data)
            db = work / f"{mutant.name}.duckdb"
            answer = runner.ask({"mutant": str(path), "good": str(good), "db": str(db), "doc_timeout": doc_timeout}, timeout)
            if "hang" in answer:
                outcome, detail = corpus.HANG, f"no answer in {timeout:g} s"
            elif "died" in answer or "raised" in answer:
                outcome, detail = corpus.CRASH, str(answer.get("raised") or f"runner exit code {answer.get('died')}")
            else:
                files = answer["files"]
                mine = files.get(str(path), {"status": "missing", "error": "no outcome", "records": 0})
                outcome = corpus.classify(mine["status"], mine["error"], mine["records"], expected[mutant.source])
                detail = f"{mine['status']}: {mine['error'] or ''} ({mine['records']} records of {expected[mutant.source]})"
                if outcome in (corpus.CLEAN_ERROR, corpus.LIMIT):
                    reasons[reason(mine["error"] or "")] += 1
                if files.get(str(good), {}).get("status", "").startswith("loaded"):
                    good_loaded += 1
                else:
                    notes.append(f"{mutant.name}: the good file did not load ({files.get(str(good))})")
            counts[outcome] += 1
            if outcome in corpus.BAD:
                notes.append(f"{mutant.name}: {outcome}: {detail}")
                if keep is not None:
                    keep.mkdir(parents=True, exist_ok=True)
                    (keep / path.name).write_bytes(mutant.data)
            for leftover in (path, db, db.with_suffix(".duckdb.wal")):
                leftover.unlink(missing_ok=True)
            if number % 25 == 0:
                print(f"  {number}/{len(made)} mutants", file=sys.stderr, flush=True)
    finally:
        runner.stop()
        shutil.rmtree(work, ignore_errors=True)
    return counts, good_loaded, notes, reasons


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=300, help="mutants to make and ingest")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds a run may take before it counts as a hang")
    parser.add_argument("--doc-timeout", type=float, default=60.0, help="each document's time limit in the runs")
    parser.add_argument("--keep", type=Path, default=None, help="folder to keep the mutants that went wrong in")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))  # the mutants are made by the test generators (tests/synth)
    if args.serve:
        serve_runs()
        return
    from synth import mutants as corpus

    start = time.perf_counter()
    counts, good_loaded, notes, reasons = run_corpus(args.count, args.seed, args.timeout, args.doc_timeout, args.keep)
    total = sum(counts.values())
    print(f"fuzz: {total} mutants of {len(sources())} samples (seed {args.seed}), each beside a good file; "
          f"{time.perf_counter() - start:.0f} s")
    for outcome in corpus.OUTCOMES:
        print(f"  {outcome:<52} {counts[outcome]:>5}")
    print(f"  {'good file loaded':<52} {good_loaded:>5} of {total}")
    print("clean errors by reason:")
    for text, n in reasons.most_common():
        print(f"  {text:<52} {n:>5}")
    for note in notes:
        print(f"  - {note}")
    bad = sum(counts[o] for o in corpus.BAD)
    sys.exit(1 if bad or good_loaded < total else 0)


if __name__ == "__main__":
    main()
