"""Digests of what the page readers and the grid make of every sample, to prove a speed-up changed nothing.

    python benchmarks/reader_digest.py [--readers pdfium,pdfplumber] [--no-objects] [--repeat N] [FILE...]

For every PDF under samples/ (recursively: the real 池田, 神戸, 京都 sheets too) and each
FILE given (a generated book, say), and for each reader, prints one line to stdout:

    READER  grids=SHA  objects=SHA  extract=SHA  FILE

- grids: a canonical dump of `read_page_grids` (every page's `PageRead`: its grid's cells,
  with box, text, label and text lines, its loose lines, has_text, the text count);
- objects: of every page's `PageObjects` as the reader gives them (chars, lines, rects,
  curves; for pdfplumber only the keys hyoka reads: its dicts also hold pdfminer objects);
- extract: of the records and issues `extract_pdf` makes (its two steps, `count_pages` then
  `assemble_extraction` of the same page reads, so the book is not read twice), or of the
  `DocumentError` it raises.

The dump: dataclasses as dicts of their fields, keys sorted, sets sorted, floats as their
repr (so -0.0 differs from 0.0). Save the output before a change and `diff` it after.
The seconds `read_page_grids` took per file (best of `--repeat`) go to stderr, with a total
per reader, so that `2>times.txt` keeps the digests clean.

To time the code of another commit with the same script, lay its sources out with
`tools/check_tree.py DIR` (run from that commit's checkout) and run this from a folder
outside any checkout with PYTHONPATH=DIR: the tree's modules come before the editable install's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import fields, is_dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from hyoka.extractors.pages import Reader, open_pages
from hyoka.extractors.pdf_input import DocumentError
from hyoka.extractors.registry import assemble_extraction, count_pages, read_page_grids

ROOT = Path(__file__).resolve().parent.parent
# what hyoka reads of a pdfplumber object (`hyoka.extractors.pages.PageObjects`)
CHAR_KEYS = ("text", "x0", "x1", "top", "bottom", "size", "upright", "fontname")
SHAPE_KEYS = ("object_type", "x0", "x1", "top", "bottom", "y0", "y1", "doctop", "width", "height", "pts",
              "stroke", "fill", "evenodd", "stroking_color", "non_stroking_color")


def canon(value: Any) -> Any:
    """A JSON-able form of a value that is equal exactly when the values are (floats by repr)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {"@": type(value).__name__, **{f.name: canon(getattr(value, f.name)) for f in fields(value)}}
    if isinstance(value, Enum):
        return canon(value.value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {repr(key) if not isinstance(key, str) else key: canon(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [canon(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((canon(item) for item in value), key=dump)
    if isinstance(value, BaseException):
        return {"@": type(value).__name__, "args": canon(value.args)}
    raise TypeError(f"no canonical form for {type(value).__name__}")


def dump(value: Any) -> str:
    """The canonical JSON text of a canonical value."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def digest(value: Any) -> str:
    """sha256 of a value's canonical dump."""
    return hashlib.sha256(dump(canon(value)).encode("utf-8")).hexdigest()


def kept(obj: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """Only these keys of a pdfplumber object (the rest hold pdfminer objects with addresses in their repr)."""
    return {key: obj.get(key) for key in keys}


def page_objects(data: bytes, reader: Reader) -> list[Any]:
    """Every page's objects as the reader gives them."""
    source = open_pages(data, reader)
    try:
        pages = [source.read(number) for number in range(1, source.page_count + 1)]
    finally:
        source.close()
    if reader is Reader.PDFPLUMBER:
        return [{"page": p.page_number, "width": p.width, "height": p.height, "turn": p.turn,
                 "chars": [kept(c, CHAR_KEYS) for c in p.chars],
                 **{kind: [kept(o, SHAPE_KEYS) for o in getattr(p, kind)] for kind in ("lines", "rects", "curves")}}
                for p in pages]
    return pages


def extraction(data: bytes, reader: Reader, reads: list[Any]) -> Any:
    """What `extract_pdf` gives for these page reads: the extraction, or the error it raises."""
    try:
        result = assemble_extraction(reads, count_pages(data, reader))
    except DocumentError as exc:
        return exc
    return {"tables": result.tables, "issues": result.issues,
            **{f.name: getattr(result, f.name) for f in fields(result) if f.name not in ("tables", "issues")}}


def timed_reads(data: bytes, reader: Reader, repeat: int) -> tuple[list[Any], float]:
    """`read_page_grids` of the file, and its best time in seconds over `repeat` runs."""
    best = float("inf")
    reads: list[Any] = []
    for _ in range(repeat):
        start = time.perf_counter()
        reads = read_page_grids(data, reader=reader)
        best = min(best, time.perf_counter() - start)
    return reads, best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="more PDFs (a generated book)")
    parser.add_argument("--readers", default="pdfium,pdfplumber")
    parser.add_argument("--no-objects", action="store_true", help="skip the objects digest (a second reading)")
    parser.add_argument("--no-samples", action="store_true", help="only the FILEs given")
    parser.add_argument("--only", default="", help="only sample paths containing this text")
    parser.add_argument("--repeat", type=int, default=1, help="time read_page_grids this many times, keep the best")
    args = parser.parse_args(argv)
    files = [] if args.no_samples else sorted(p for p in (ROOT / "samples").rglob("*.pdf") if args.only in str(p))
    files += args.files
    for reader in (Reader(name) for name in args.readers.split(",")):
        if files:
            read_page_grids(files[0].read_bytes(), reader=reader)  # warm up: imports, the templates, OCR's set-up
        total = 0.0
        pages = 0
        for path in files:
            data = path.read_bytes()
            reads, seconds = timed_reads(data, reader, args.repeat)
            total += seconds
            pages += len(reads)
            objects = "-" if args.no_objects else digest(page_objects(data, reader))
            name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            print(f"{reader.value}\tgrids={digest(reads)}\tobjects={objects}\t"
                  f"extract={digest(extraction(data, reader, reads))}\t{name}", flush=True)
            print(f"{reader.value}\t{seconds:.3f}s\t{len(reads)} pages\t{1000 * seconds / max(1, len(reads)):.1f} ms/page\t{name}",
                  file=sys.stderr, flush=True)
        print(f"{reader.value}\t{total:.3f}s\t{pages} pages\t{1000 * total / max(1, pages):.1f} ms/page\tTOTAL",
              file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
