"""What assembly reads, as one digest per PDF, and how long it takes: a speed-up must not change a byte.

    python benchmarks/assembly_digest.py [--book PDF] [--repeat N] [--cache DIR] [--only SUBSTRING]

For every PDF under samples/ (recursively) and the `--book` (e.g. a generated 400-page book:
`PYTHONPATH=tests python -c "from synth.sheets import make_book; make_book('book.pdf', 200, seed=1)"`),
the pages are read into grids once (pdfium; `--cache` keeps them pickled), then
`assemble_extraction` runs `--repeat` times on fresh copies of the grids (a grid caches its
indices: each run starts from none, as a worker's grids arrive). One line per PDF: the sha256 of
a canonical dump of the extraction (`extract_pdf`'s result: document fields, every record of
every table in order, every issue; dataclasses as dicts, sorted keys; or the error's text) and
the fastest run's seconds. Save the output before a change and diff it after.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import hashlib
import json
import pickle
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def canonical(value: Any) -> Any:
    """A JSON-able form of an extraction: dataclasses as dicts (with their type), tuples as lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"__type__": type(value).__name__, **fields}
    if isinstance(value, dict):
        # a dict's order is part of the output (tables in filing order, raw in reading order)
        return {"__order__": [str(k) for k in value], **{str(k): canonical(v) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    return value


def digest(result: Any) -> str:
    """The sha256 of the result's canonical JSON (sorted keys)."""
    dumped = json.dumps(canonical(result), sort_keys=True, ensure_ascii=False, default=repr)
    return hashlib.sha256(dumped.encode()).hexdigest()


def page_reads(path: Path, cache: Path | None) -> bytes:
    """The PDF's pages read into grids, pickled (from the cache when it has them)."""
    from hyoka.extractors.pages import Reader
    from hyoka.extractors.registry import read_page_grids

    data = path.read_bytes()
    cached = cache / f"{hashlib.sha256(data).hexdigest()[:16]}.pickle" if cache else None
    if cached is not None and cached.exists():
        return cached.read_bytes()
    pickled = pickle.dumps(read_page_grids(data, reader=Reader.PDFIUM))
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(pickled)
    return pickled


def assemble(pickled: bytes, repeat: int) -> tuple[str, float]:
    """The digest of the assembled extraction (or of its error), and the fastest of `repeat` runs in seconds."""
    from hyoka.extractors.pdf_input import DocumentError
    from hyoka.extractors.registry import assemble_extraction

    best = float("inf")
    outcome: Any = None
    for _ in range(repeat):
        reads = pickle.loads(pickled)  # fresh grids: no index cached by an earlier run
        gc.collect()  # (not the unpickling's garbage in the time)
        start = time.perf_counter()
        try:
            outcome = assemble_extraction(reads, len(reads), None)
        except DocumentError as exc:
            outcome = {"error": str(exc), "hint": getattr(exc, "hint", None)}
        best = min(best, time.perf_counter() - start)
    return digest(outcome), best


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path, action="append", default=[], help="a further PDF (repeatable)")
    parser.add_argument("--repeat", type=int, default=3, help="assembly runs per PDF (the fastest is shown)")
    parser.add_argument("--cache", type=Path, default=None, help="a folder to keep the pickled grids in")
    parser.add_argument("--only", default="", help="only the PDFs whose path contains this")
    args = parser.parse_args(argv)
    pdfs = [*sorted((ROOT / "samples").rglob("*.pdf")), *args.book]
    total = 0.0
    for path in pdfs:
        if args.only not in str(path):
            continue
        sha, seconds = assemble(page_reads(path, args.cache), args.repeat)
        total += seconds
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        print(f"{sha}  {seconds:8.4f} s  {shown}", flush=True)
    print(f"total assembly {total:.3f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
