"""Ingest speed and memory, side by side with the PDF libraries' own text extraction.

    python benchmarks/bench_ingest.py                    # a generated 400-page book + the real dev sheets
    python benchmarks/bench_ingest.py --sheets 50 --repeat 3

Workloads: a generated book (synth/sheets.py, `--sheets` sheets of 2 pages, drawn
differently from the samples), the real 池田市 sheets in samples/real/ikeda/, and `--copies`
files made from those real sheets (each sheet in turn, a comment after its end so that each
copy is a document of its own: a run over many real sheets, as a city's year is). For
each, in one run and interleaved (every repeat runs every contender once, so a machine
that gets busier slows all of them alike), each in a fresh process:

- `pdfplumber text`: the naive script, pdfplumber `extract_text()` on every page;
- `pdfium text`: pypdfium2's text of every page, the floor of any PDF reading;
- `hyoka (pdfium)` / `hyoka (pdfplumber)`: the whole `hyoka ingest --workers 1` as a user
  runs it (interpreter start, CLI, Prefect flow and its temporary server, extraction,
  validation, DuckDB load, validation report) into a fresh warehouse;
- `hyoka unchanged`: the same ingest again over the unchanged files (no Prefect start).

Prints, per workload, the median seconds, pages/s, the ratio to `pdfplumber text`
(how many times faster) and to `pdfium text` (how many times slower), and peak RSS of
the process (and of its largest child: workers, Prefect's server), with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEASURE = Path(__file__).resolve().parent / "measure.py"
IKEDA = ROOT / "samples" / "real" / "ikeda"


def make_book_file(n_sheets: int, folder: Path, seed: int) -> Path:
    """A generated book of n sheets (kept in `folder` by size and seed)."""
    sys.path.insert(0, str(ROOT / "tests"))  # the generator lives with the tests
    from synth.sheets import make_book

    path = folder / f"book-{n_sheets}-seed{seed}.pdf"
    if not path.exists():
        make_book(path, n_sheets, seed=seed)
    return path


def make_copies(sheets: list[Path], count: int, folder: Path) -> list[Path]:
    """`count` files of the real sheets in turn, each made distinct by a PDF comment after its %%EOF."""
    out = folder / f"real-copies-{count}"
    out.mkdir(parents=True, exist_ok=True)
    copies = []
    for index in range(count):
        sheet = sheets[index % len(sheets)]
        path = out / f"{index:04d}-{sheet.name}"
        if not path.exists():
            path.write_bytes(sheet.read_bytes() + f"\n% hyoka benchmark copy {index}\n".encode("ascii"))
        copies.append(path)
    return copies


def run(args: list[str], env: dict[str, str]) -> dict:
    """One measurement in a fresh process: its JSON line, plus the wall time seen from here."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, str(MEASURE), *args], capture_output=True, text=True, cwd=ROOT, env=env)
    wall = time.perf_counter() - start
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"measurement {args[0]} failed (exit {out.returncode}):\n{out.stderr[-3000:]}")
    result = json.loads(lines[-1])
    result["wall"] = wall
    return result


def contenders(files: list[Path], folder: Path, tag: str, repeat_index: int) -> list[tuple[str, list[str]]]:
    """(name, measure.py arguments) in the order they run."""
    names = [str(f) for f in files]
    db = {reader: folder / f"{tag}-{reader}-{repeat_index}.duckdb" for reader in ("pdfium", "pdfplumber")}
    for path in db.values():
        path.unlink(missing_ok=True)
        report = path.with_name(f"{path.stem}-report")
        if report.exists():
            shutil.rmtree(report)
    return [
        ("pdfplumber text", ["pdfplumber-text", *names]),
        ("pdfium text", ["pdfium-text", *names]),
        ("hyoka (pdfium)", ["hyoka", str(db["pdfium"]), "pdfium", "1", *names]),
        ("hyoka unchanged", ["hyoka", str(db["pdfium"]), "pdfium", "1", *names]),
        ("hyoka (pdfplumber)", ["hyoka", str(db["pdfplumber"]), "pdfplumber", "1", *names]),
    ]


def bench(tag: str, files: list[Path], folder: Path, repeat: int, env: dict[str, str]) -> None:
    """Run every contender `repeat` times, interleaved, and print the medians side by side."""
    results: dict[str, list[dict]] = {}
    loads: list[float] = []
    for i in range(repeat):
        for name, args in contenders(files, folder, tag, i):
            loads.append(os.getloadavg()[0])
            results.setdefault(name, []).append(run(args, env))
    seconds = {name: statistics.median(r["wall"] for r in rs) for name, rs in results.items()}
    pages = max(r["pages"] for r in results["pdfplumber text"])
    print(f"\n{tag}: {len(files)} file(s), {pages} pages; repeats: {repeat}; load average during the run: "
          f"{min(loads):.2f}–{max(loads):.2f} on {os.cpu_count()} cores")
    header = f"{'':<20} {'seconds':>8} {'pages/s':>8} {'× faster than pdfplumber text':>30} {'× pdfium text':>14} {'peak MiB':>9} {'child MiB':>10}"
    print(header)
    print("-" * len(header))
    for name, rs in results.items():
        s = seconds[name]
        peak = max(r["peak_mib"] for r in rs)
        child = max(r["children_peak_mib"] for r in rs)
        hyoka_pages = rs[0].get("pages", pages)
        note = "" if name in ("pdfplumber text", "pdfium text") or hyoka_pages == pages else f"  (loaded {hyoka_pages} pages)"
        print(f"{name:<20} {s:>8.2f} {pages / s:>8.1f} {seconds['pdfplumber text'] / s:>30.2f} "
              f"{s / seconds['pdfium text']:>14.2f} {peak:>9.0f} {child:>10.0f}{note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sheets", type=int, default=200, help="sheets in the generated book (2 pages each)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each contender (medians are printed)")
    parser.add_argument("--keep", type=Path, default=None, help="folder for the generated book and warehouses")
    parser.add_argument("--real", type=Path, nargs="*", default=None, help="real PDFs or folders (default: samples/real/ikeda)")
    parser.add_argument("--copies", type=int, default=100, help="files made from the real sheets (0: none)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="hyoka-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    # bytecode is kept as in any usual Python set-up (an installed hyoka has it): not every
    # process compiling hyoka again where the environment says not to write it
    env["PYTHONDONTWRITEBYTECODE"] = ""
    # one Prefect home for every run, as a user has (~/.prefect): its database is created once
    env.setdefault("PREFECT_HOME", str(folder / "prefect-home"))
    book = make_book_file(args.sheets, folder, args.seed)
    real: list[Path] = []
    for item in args.real or [IKEDA]:
        real += sorted(item.rglob("*.pdf")) if item.is_dir() else [item]
    # a first run creates Prefect's database: not what a user meets on every run
    run(["hyoka", str(folder / "warm-up.duckdb"), "pdfium", "1", str(real[0])], env)
    bench(f"generated book ({args.sheets} sheets)", [book], folder, args.repeat, env)
    bench("real dev sheets", real, folder, args.repeat, env)
    if args.copies:
        bench(f"{args.copies} files of the real sheets", make_copies(real, args.copies, folder), folder, args.repeat, env)


if __name__ == "__main__":
    main()
