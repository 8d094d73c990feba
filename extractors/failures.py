"""Why a document fails: each kind of reason, named once.

A failed document carries one line (`DocumentError`, `documents.error`): its kind's
reason first, then what was found, then what to do. That line is all that crosses a
process boundary and all the warehouse keeps, so the run's summary counts failures by
kind by reading the line back (`failure_kind`), and whoever refuses a file builds its
line from the same `Failure` (`hyoka.extractors.pdf_input`, `hyoka.extractors.registry`,
`hyoka.flows.stages`). Light on purpose: no PDF library, so that a run answered from the
warehouse alone can count its failures too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Failure:
    """A kind of failure: the start of its one-line reason, and its row in the run's summary."""

    kind: str  # a short name for scripts and logs
    reason: str  # every line of this kind starts with it
    label: str = ""  # its summary row, when the reason alone reads badly there

    def __post_init__(self) -> None:
        if not self.kind or not self.reason:
            raise ValueError("a failure needs a kind and the start of its reason")

    @property
    def summary_label(self) -> str:
        """What the run's summary calls it."""
        return self.label or self.reason


EMPTY = Failure("empty", "empty file")
NOT_PDF = Failure("not_pdf", "not a PDF")
TRUNCATED = Failure("truncated", "truncated PDF")
ENCRYPTED = Failure("encrypted", "encrypted PDF")
DAMAGED = Failure("damaged", "damaged PDF")
UNREADABLE = Failure("unreadable", "unreadable PDF")
NO_PAGES = Failure("no_pages", "PDF has no pages")
NO_TEXT = Failure("no_text", "no text layer", "no text layer (scanned)")
GARBLED = Failure("garbled_text", "the PDF's fonts have no usable text mapping", "garbled text (no usable text mapping)")
UNKNOWN_TEMPLATE = Failure("unknown_template", "unknown template")
UNREADABLE_SHEET = Failure("unreadable_sheet", "unreadable spreadsheet")
CANNOT_READ = Failure("cannot_read", "cannot read the file")
OVER_LIMIT = Failure("over_limit", "over a per-document limit")  # hyoka.extractors.limits
READER_CRASHED = Failure("reader_crashed", "the PDF reader crashed", "the PDF reader crashed (damaged PDF?)")
INTERNAL = Failure("internal", "internal error", "internal error (a hyoka bug)")
MISSING = Failure("missing", "no such file or folder")
OTHER = Failure("other", "other", "other reason")

FAILURES: tuple[Failure, ...] = (EMPTY, NOT_PDF, TRUNCATED, ENCRYPTED, DAMAGED, UNREADABLE, NO_PAGES, NO_TEXT,
                                 GARBLED, UNKNOWN_TEMPLATE, UNREADABLE_SHEET, CANNOT_READ, OVER_LIMIT, READER_CRASHED,
                                 INTERNAL, MISSING)


def failure_kind(line: str | None) -> Failure:
    """The kind of a failed document's line (`OTHER` for a line of no known kind)."""
    for failure in FAILURES:
        if line and line.startswith(failure.reason):
            return failure
    return OTHER


def count_failures(lines: Iterable[str | None]) -> dict[str, int]:
    """Failed documents by the summary label of their kind, most first (then by label)."""
    counts = Counter(failure_kind(line).summary_label for line in lines)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
