"""A fuzz corpus: broken copies of good PDFs, made the ways files really break, seeded and deterministic.

Each mutant is a copy of a source PDF changed by one *kind* of damage:

- `flip`: a few bits flipped anywhere (a bad disk, a bad transfer);
- `truncate`: cut short (a download that stopped); `truncate_eof`: cut short, with a
  `%%EOF` put back after the cut (so the cheap check passes and the parser meets it);
- `delete_xref`: the cross-reference table blanked out, or `startxref` pointing nowhere;
- `zero_stream`: one stream's data zeroed;
- `drop_object`: one object blanked out (offsets kept: the xref still points at it);
- `lying_length`: a stream's `/Length` replaced by another number of the same width;
- `swap_pages`: the pages in another order, one maybe twice; `rotate_pages`: some pages
  turned (`/Rotate`).

`make_corpus(sources, count, seed)` gives the same mutants for the same arguments; no
mutant equals its source or another mutant. `classify` sorts what an ingest made of a
mutant (the fuzz script, benchmarks/fuzz.py, and tests/test_fuzz.py share it).
"""

from __future__ import annotations

import hashlib
import io
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hyoka.extractors.limits import is_over_a_limit

KINDS = ("flip", "truncate", "truncate_eof", "delete_xref", "zero_stream", "drop_object", "lying_length",
         "swap_pages", "rotate_pages")

_STREAM = re.compile(rb"stream\r?\n")
_OBJECT = re.compile(rb"\d+ \d+ obj\b")
_LENGTH = re.compile(rb"/Length (\d+)(?!\s+\d+\s+R)")
_XREF_TABLE = re.compile(rb"(?<![a-z])xref\r?\n.*?(?=trailer)", re.S)
_STARTXREF = re.compile(rb"startxref\s+(\d+)")


@dataclass(frozen=True)
class Mutant:
    """One broken copy: `name` says its source, kind and number."""

    name: str
    source: Path
    kind: str
    data: bytes


def _flip(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 32)):
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data) // 10, len(data) - 16)]


def _truncate_eof(data: bytes, rng: random.Random) -> bytes:
    return _truncate(data, rng) + b"\n%%EOF\n"


def _blank(data: bytes, start: int, end: int, fill: bytes = b" ") -> bytes:
    """`data` with bytes `start`..`end` overwritten (its length, and every offset, kept)."""
    return data[:start] + fill * (end - start) + data[end:]


def _delete_xref(data: bytes, rng: random.Random) -> bytes:
    table = _XREF_TABLE.search(data)
    if table is not None and rng.random() < 0.5:
        return _blank(data, table.start(), table.end())
    pointer = _STARTXREF.search(data, max(0, len(data) - 4096))
    if pointer is None:
        return _flip(data, rng)
    number = pointer.group(1)
    wrong = str(rng.randrange(10 ** len(number))).zfill(len(number)).encode()
    return data[: pointer.start(1)] + wrong + data[pointer.end(1):]


def _streams(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of every stream's data."""
    spans = []
    for match in _STREAM.finditer(data):
        if data[max(0, match.start() - 3): match.start()] == b"end":
            continue
        end = data.find(b"endstream", match.end())
        if end > match.end():
            spans.append((match.end(), end))
    return spans


def _zero_stream(data: bytes, rng: random.Random) -> bytes:
    spans = _streams(data)
    if not spans:
        return _flip(data, rng)
    start, end = rng.choice(spans)
    return _blank(data, start, end, b"\x00")


def _drop_object(data: bytes, rng: random.Random) -> bytes:
    starts = [m.start() for m in _OBJECT.finditer(data)]
    if not starts:
        return _flip(data, rng)
    start = rng.choice(starts)
    end = data.find(b"endobj", start)
    return _blank(data, start, end + len(b"endobj")) if end > 0 else _flip(data, rng)


def _lying_length(data: bytes, rng: random.Random) -> bytes:
    lengths = list(_LENGTH.finditer(data))
    if not lengths:
        return _flip(data, rng)
    out = data
    for match in rng.sample(lengths, rng.randint(1, len(lengths))):
        number = match.group(1)
        wrong = str(rng.randrange(10 ** len(number))).zfill(len(number)).encode()
        out = out[: match.start(1)] + wrong + out[match.end(1):]
    return out


def _rewrite(data: bytes, change: Callable[[list, random.Random], None], rng: random.Random) -> bytes:
    """The PDF written again by pypdf after `change` rearranged its list of pages."""
    from pypdf import PdfReader, PdfWriter

    pages = list(PdfReader(io.BytesIO(data)).pages)
    change(pages, rng)
    writer = PdfWriter()
    for page in pages:
        writer.add_page(page)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _swap(pages: list, rng: random.Random) -> None:
    """Every page in another order, one maybe printed twice (as a bad merge of files does).

    No page is left out: a PDF without a page is a whole, shorter document, and nothing in
    it says that it lost one (the fuzz would count its fewer records as silent acceptance).
    """
    count = len(pages)
    while True:
        order = rng.sample(range(count), count)
        if count == 1 or rng.random() < 0.5:
            order.insert(rng.randrange(count + 1), rng.randrange(count))
        if order != list(range(count)):
            break
    pages[:] = [pages[i] for i in order]


def _rotate(pages: list, rng: random.Random) -> None:
    for page in rng.sample(pages, rng.randint(1, len(pages))):
        page.rotate(rng.choice((90, 180, 270)))


MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "flip": _flip,
    "truncate": _truncate,
    "truncate_eof": _truncate_eof,
    "delete_xref": _delete_xref,
    "zero_stream": _zero_stream,
    "drop_object": _drop_object,
    "lying_length": _lying_length,
    "swap_pages": lambda data, rng: _rewrite(data, _swap, rng),
    "rotate_pages": lambda data, rng: _rewrite(data, _rotate, rng),
}


def make_corpus(sources: list[Path], count: int, seed: int = 14) -> list[Mutant]:
    """`count` mutants of the sources, the kinds taken in turn, each source in turn within a kind."""
    seen = {hashlib.sha256(path.read_bytes()).digest() for path in sources}
    originals = {path: path.read_bytes() for path in sources}
    mutants: list[Mutant] = []
    attempt = 0
    while len(mutants) < count and attempt < 20 * count + 100:
        kind = KINDS[len(mutants) % len(KINDS)]
        source = sources[(len(mutants) // len(KINDS) + attempt) % len(sources)]
        rng = random.Random(f"{seed}:{len(mutants)}:{attempt}")
        attempt += 1
        data = MUTATIONS[kind](originals[source], rng)
        digest = hashlib.sha256(data).digest()
        if digest in seen:
            continue  # a change that changed nothing, or a mutant made before
        seen.add(digest)
        mutants.append(Mutant(f"{source.stem}-{kind}-{len(mutants):03d}", source, kind, data))
    return mutants


# what the fuzz counts, in the order it prints them
CLEAN_ERROR = "clean error"
LIMIT = "clean error: over a limit"
TRACEBACK = "traceback (internal error)"
SILENT = "silent acceptance"
LOADED = "loaded, as many records as the source"
LOADED_WITH_ISSUES = "loaded with issues"
LOADED_FEWER_WITH_ISSUES = "loaded with issues, fewer records than the source"
HANG = "hang"
CRASH = "crash of the run"
OUTCOMES = (CLEAN_ERROR, LIMIT, LOADED, LOADED_WITH_ISSUES, LOADED_FEWER_WITH_ISSUES, TRACEBACK, SILENT, HANG, CRASH)
# none of these may happen
BAD = (TRACEBACK, SILENT, HANG, CRASH)


def classify(status: str, error: str | None, records: int, expected: int) -> str:
    """What an ingest made of a mutant whose source gives `expected` records."""
    if status == "failed":
        if (error or "").startswith("internal error"):
            return TRACEBACK
        if is_over_a_limit(error):
            return LIMIT
        return CLEAN_ERROR
    if status in ("loaded", "superseded"):  # superseded: loaded, then re-issued by a later file
        return SILENT if records < expected else LOADED
    return LOADED_FEWER_WITH_ISSUES if records < expected else LOADED_WITH_ISSUES
