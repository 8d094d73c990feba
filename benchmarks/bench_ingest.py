"""Ingest speed and memory on generated books, beside a naive pdfplumber baseline.

    python benchmarks/bench_ingest.py --sheets 200            # one book of 200 sheets (400 pages)
    python benchmarks/bench_ingest.py --sizes 50,100,200      # memory must stay flat as N grows

For each book size N it generates a bound book of N synthetic sheets (synth/sheets.py,
drawn differently from the samples, varied content), then runs, each in a fresh
process so that peak memory is that run's own:

- baseline: pdfplumber `extract_text()` on every page, nothing else;
- hyoka: the whole `hyoka ingest` (Prefect flow, extraction, validation, DuckDB load),
  timed end to end and also without the Prefect start-up (`ingest only`); the
  validation report it writes afterwards is timed apart (`report s`).

It prints pages per second and peak resident memory (MiB) for each.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEASURE = Path(__file__).resolve().parent / "measure.py"


def make_book_file(n_sheets: int, folder: Path, seed: int) -> Path:
    """A generated book of n sheets (cached by size and seed)."""
    sys.path.insert(0, str(ROOT))
    from synth.sheets import make_book

    path = folder / f"book-{n_sheets}-seed{seed}.pdf"
    if not path.exists():
        make_book(path, n_sheets, seed=seed)
    return path


def measure(mode: str, book: Path, db: Path) -> dict:
    """Run one measurement in a fresh process and return its figures."""
    out = subprocess.run(
        [sys.executable, str(MEASURE), mode, str(book), str(db)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sheets", type=int, default=200, help="sheets per book (2 pages each)")
    parser.add_argument("--sizes", type=str, default=None, help="comma-separated book sizes, e.g. 50,100,200")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=None, help="folder to keep the generated books in")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else [args.sheets]
    folder = args.keep or Path(tempfile.mkdtemp(prefix="hyoka-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    header = f"{'sheets':>6} {'pages':>6} | {'baseline p/s':>12} {'MiB':>6} | {'hyoka p/s':>9} {'(ingest only)':>13} {'MiB':>6} | {'rows':>7} {'issues':>6} | {'report s':>8}"
    print(header)
    print("-" * len(header))
    for n in sizes:
        book = make_book_file(n, folder, args.seed)
        baseline = measure("baseline", book, folder / "unused.duckdb")
        db = folder / f"bench-{n}.duckdb"
        db.unlink(missing_ok=True)
        hyoka = measure("ingest", book, db)
        pages = hyoka["pages"]
        print(
            f"{n:>6} {pages:>6} | {pages / baseline['seconds']:>12.1f} {baseline['peak_mib']:>6.0f} | "
            f"{pages / hyoka['seconds']:>9.1f} {pages / hyoka['ingest_seconds']:>13.1f} {hyoka['peak_mib']:>6.0f} | "
            f"{hyoka['rows']:>7} {hyoka['issues']:>6} | {hyoka['report_seconds']:>8.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
