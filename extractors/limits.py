"""What one document may cost to read, and the cheap checks made before it is parsed.

A hostile or broken PDF can ask a reader for anything: a stream that inflates to
gigabytes, thousands of pages, a page of hundreds of thousands of objects, or a content
stream pdfium loops over. `Limits` bounds each document:

- `timeout` and `memory_mib` are enforced by the worker process that parses it
  (`hyoka.flows.worker`): past either, the worker is stopped and the document fails;
- `max_pages`, `max_page_objects` and `max_stream_mib` are checked here, before the
  expensive part of reading, so the common bad cases fail at once, in any process.

Every limit that trips is a `LimitExceeded`: a `DocumentError` whose line says what was
too much, the limit, and the option that raises it. A limit of None is no limit.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from typing import Any
from dataclasses import dataclass, fields

from hyoka.extractors.errors import DocumentError
from hyoka.extractors.failures import OVER_LIMIT, failure_kind

MIB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """Per-document limits (None: unbounded). The defaults leave every genuine sheet and book far below."""

    timeout: float | None = 300.0  # seconds to read a document, and as long again for each page it finishes
    memory_mib: int | None = 1024  # MiB a worker may allocate while reading, beyond its own start-up
    max_pages: int | None = 2000  # pages in one PDF (1,000 two-page sheets)
    max_page_objects: int | None = 100_000  # characters, drawn objects or path segments on one page
    max_stream_mib: int | None = 256  # MiB one compressed stream may inflate to

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"Limits.{item.name} must be a number > 0 or None (no limit), not {value!r}")
            if item.name != "timeout" and value != int(value):
                raise ValueError(f"Limits.{item.name} must be a whole number, not {value!r}")

    @classmethod
    def of(cls, values: dict[str, Any]) -> Limits:
        """Limits from a plain dict (JSON parameters); a missing one takes its default."""
        unknown = set(values) - {item.name for item in fields(cls)}
        if unknown:
            raise ValueError(f"unknown limits: {', '.join(sorted(unknown))} (known: {', '.join(f.name for f in fields(cls))})")
        return cls(**values)

    @property
    def bounds_worker(self) -> bool:
        """Whether reading needs a worker process that can be stopped (a time or memory limit is set)."""
        return self.timeout is not None or self.memory_mib is not None


DEFAULT_LIMITS = Limits()
NO_LIMITS = Limits(timeout=None, memory_mib=None, max_pages=None, max_page_objects=None, max_stream_mib=None)

# the hint every limit's line ends with: the file may be genuine, and this is the knob
_RAISE = "if the file is genuine, raise it with {option}"


class LimitExceeded(DocumentError):
    """A document that needed more than a limit allows (time, memory, pages, objects, inflated size)."""

    def __init__(self, what: str, hint: str) -> None:
        super().__init__(f"{OVER_LIMIT.reason}: {what}", hint)


def is_over_a_limit(line: str | None) -> bool:
    """Whether a document's error line is a `LimitExceeded` one."""
    return failure_kind(line) is OVER_LIMIT


def took_too_long(limits: Limits) -> LimitExceeded:
    """The line of a document whose reading passed the time limit."""
    return LimitExceeded(f"took longer than {limits.timeout:g} s to read (limit {limits.timeout:g} s per document)",
                         _RAISE.format(option="--doc-timeout"))


def needed_too_much_memory(limits: Limits) -> LimitExceeded:
    """The line of a document whose reading ran out of the memory limit."""
    return LimitExceeded(f"needed more than {limits.memory_mib:,} MiB to read (limit {limits.memory_mib:,} MiB per document)",
                         _RAISE.format(option="--doc-memory"))


def too_many_pages(count: int, limits: Limits) -> LimitExceeded:
    """The line of a PDF with more pages than allowed."""
    return LimitExceeded(f"has {count:,} pages (limit {limits.max_pages:,} per document)",
                         _RAISE.format(option="--max-pages") + ", or split the PDF")


def too_many_objects(page: int, limits: Limits) -> LimitExceeded:
    """The line of a page that draws more objects than allowed."""
    return LimitExceeded(f"page {page} holds more than {limits.max_page_objects:,} objects (limit {limits.max_page_objects:,} per page)",
                         _RAISE.format(option="--max-page-objects"))


def inflates_too_much(limits: Limits) -> LimitExceeded:
    """The line of a PDF with a stream that inflates past the limit (a decompression bomb)."""
    return LimitExceeded(f"a compressed stream inflates to more than {limits.max_stream_mib:,} MiB "
                         f"(limit {limits.max_stream_mib:,} MiB per stream; a decompression bomb?)",
                         _RAISE.format(option="--max-stream-mib"))


def check_page_count(count: int, limits: Limits) -> None:
    """Refuse a PDF with more pages than `limits.max_pages`."""
    if limits.max_pages is not None and count > limits.max_pages:
        raise too_many_pages(count, limits)


# ---- the decompressed-size guard --------------------------------------------------------

# where a stream's data starts; the data itself tells whether it is zlib (its header)
_STREAM_START = re.compile(rb"stream\r?\n")
# deflate cannot inflate more than about 1,032 times its size: a shorter stream is safe unread
DEFLATE_MAX_RATIO = 1032
# a filter chain of Flate over Flate multiplies the ratios; deeper chains are not followed
MAX_FLATE_LAYERS = 4
_SLICE = 1 << 16  # compressed bytes fed at a time
_OUT = 4 * MIB  # inflated bytes taken at a time: the guard's own memory stays this small


def _is_zlib_header(head: bytes) -> bool:
    """Whether two bytes open a zlib stream (deflate method, a header check that holds)."""
    return len(head) >= 2 and head[0] & 0x0F == 8 and head[0] >> 4 <= 7 and (head[0] << 8 | head[1]) % 31 == 0


def _slices(data: bytes, start: int, end: int) -> Iterator[bytes]:
    """The compressed bytes from `start` to `end`, a slice at a time (no copy of the whole)."""
    view = memoryview(data)
    for offset in range(start, end, _SLICE):
        yield bytes(view[offset:min(end, offset + _SLICE)])


def _inflate(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Inflate a zlib stream a bounded piece at a time; stops at its end or at the first damaged byte."""
    inflater = zlib.decompressobj()
    for chunk in chunks:
        while chunk and not inflater.eof:
            try:
                out = inflater.decompress(chunk, _OUT)
            except zlib.error:
                return  # damaged: the reader will say so; it cannot inflate further than this
            chunk = inflater.unconsumed_tail
            if out:
                yield out
        if inflater.eof:
            return


def _layers(chunks: Iterator[bytes], depth: int = 1) -> Iterator[bytes]:
    """The innermost output of a chain of Flate layers (what the reader gets after every filter)."""
    inflated = _inflate(chunks)
    first = next(inflated, b"")
    if depth < MAX_FLATE_LAYERS and _is_zlib_header(first[:2]):
        yield from _layers(_prepend(first, inflated), depth + 1)
        return
    if first:
        yield first
    yield from inflated


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _may_exceed(data: bytes, start: int, end: int, limit: int) -> bool:
    """Whether the stream at `start` could inflate past `limit` (only then is it inflated here)."""
    if (end - start) * DEFLATE_MAX_RATIO > limit:
        return True
    # a second Flate layer multiplies the ratio: look at the first inflated bytes
    first = next(_inflate(_slices(data, start, min(end, start + 1024))), b"")
    return _is_zlib_header(first[:2])


def check_inflated_sizes(data: bytes, limits: Limits) -> None:
    """Refuse a PDF with a Flate stream (or a chain of them) that inflates past `limits.max_stream_mib`.

    Streams are found by their `stream` keyword and known as zlib by their header, not by
    their dictionaries (which may lie, or be indirect); each is inflated a few MiB at a
    time and counted, never held whole.
    """
    if limits.max_stream_mib is None:
        return
    limit = limits.max_stream_mib * MIB
    for match in _STREAM_START.finditer(data):
        start = match.end()
        if not _is_zlib_header(data[start:start + 2]):
            continue
        found = data.find(b"endstream", start)
        end = len(data) if found < 0 else found
        if not _may_exceed(data, start, end, limit):
            continue
        size = 0
        for out in _layers(_slices(data, start, end)):
            size += len(out)
            if size > limit:
                raise inflates_too_much(limits)
