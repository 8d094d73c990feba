"""The templates hyoka knows, and reading a whole PDF with them.

The extract stage is two steps, so that a large book can be read by page ranges in
several processes and put together in one place:

- `read_page_grids`: PDF bytes → one `PageRead` per page (its grid, or why it has none);
- `assemble_extraction`: every page's `PageRead` → an `Extraction` (records + issues).
  Every template scores each page; the best one above `MIN_SCORE` gets the page. Pages no
  template wants are reported and skipped; a document where no page is wanted fails as
  `unknown template`. Each template reads its own pages into an extraction of its own,
  and `merge_extractions` puts them together (it says who owns the document's fields).

`extract_pdf` is both steps in one. The result is the same however the pages were split.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

from hyoka.extractors.asahikawa_kpi import TEMPLATE as ASAHIKAWA_KPI_LIST
from hyoka.extractors.asahikawa_sheet import TEMPLATE as ASAHIKAWA_SHEET
from hyoka.extractors.grid import PageGrid, build_grid
from hyoka.extractors.ikeda_sheet import TEMPLATE as IKEDA_SHEET
from hyoka.extractors.limits import DEFAULT_LIMITS, Limits, check_inflated_sizes, check_page_count, too_many_objects
from hyoka.extractors.pages import DEFAULT_READER, PageSource, PageTooBusy, Reader
from hyoka.extractors.pdf_input import DocumentError, open_document
from hyoka.extractors.records import Extraction, IssueRecord, PageRecord
from hyoka.extractors.template import PageMatch, Template

TEMPLATES: list[Template] = [ASAHIKAWA_SHEET, ASAHIKAWA_KPI_LIST, IKEDA_SHEET]

# A page belongs to a template when at least this share of the role's anchor labels is on it.
MIN_SCORE = 0.6


@dataclass(frozen=True)
class PageChoice:
    template: Template | None
    match: PageMatch
    closest: str  # the best template's name, even below MIN_SCORE


def template_named(name: str) -> Template:
    for template in TEMPLATES:
        if template.name == name:
            return template
    raise KeyError(name)


def choose_template(grid: PageGrid, templates: list[Template]) -> PageChoice:
    """The template that fits this page best, if any fits well enough."""
    scored = [(t.recognize(grid), t) for t in templates]
    match, template = max(scored, key=lambda pair: pair[0].score)
    if match.score >= MIN_SCORE and match.role:
        return PageChoice(template, match, template.name)
    return PageChoice(None, match, template.name)


@dataclass(frozen=True)
class PageRead:
    """One page as read: its grid (None when unreadable), whether it has text, and why not."""

    page: int  # from 1
    grid: PageGrid | None
    has_text: bool
    unreadable: str | None = None  # "ErrorType: message" when the page could not be read


def _out_of_memory(exc: BaseException) -> bool:
    """Whether an error was a failed allocation (pdfminer wraps MemoryError in its own exception)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, MemoryError):
            return True
        todo += [current.__cause__, current.__context__, *(a for a in current.args if isinstance(a, BaseException))]
    return False


def read_page(source: PageSource, number: int) -> PageRead:
    """Read page `number` of an open document into its grid; a broken page is noted, not raised.

    A page over the object budget (`PageTooBusy`) or out of memory stops the document:
    it is not broken, it is more than the reader may take.
    """
    try:
        objects = source.read(number)
        return PageRead(number, build_grid(objects), has_text=bool(objects.chars))
    except PageTooBusy:
        raise
    except Exception as exc:  # a broken page must not stop the book
        if _out_of_memory(exc):
            raise MemoryError(f"reading page {number}") from exc
        return PageRead(number, None, has_text=False, unreadable=f"{type(exc).__name__}: {exc}")


def read_pages(
    source: PageSource,
    *,
    first: int = 1,
    last: int | None = None,
    on_page: Callable[[int, int], None] | None = None,
) -> list[PageRead]:
    """Pages `first`..`last` (from 1, `last` included; None: to the end) of an open document."""
    last = source.page_count if last is None else min(last, source.page_count)
    reads: list[PageRead] = []
    for number in range(max(1, first), last + 1):
        reads.append(read_page(source, number))
        if on_page:
            on_page(number, source.page_count)
    return reads


def read_page_grids(
    data: bytes,
    *,
    reader: Reader = DEFAULT_READER,
    first: int = 1,
    last: int | None = None,
    on_page: Callable[[int, int], None] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> list[PageRead]:
    """Read pages `first`..`last` of PDF bytes into grids (a `DocumentError` if the file cannot be opened,
    a `LimitExceeded` for a page of more objects than `limits` allow)."""
    with open_document(data, reader, limits.max_page_objects) as source:
        try:
            return read_pages(source, first=first, last=last, on_page=on_page)
        except PageTooBusy as exc:
            raise too_many_objects(exc.page, limits) from exc


def count_pages(data: bytes, reader: Reader = DEFAULT_READER, limits: Limits = DEFAULT_LIMITS) -> int:
    """How many pages the PDF has, once the cheap guards passed: no stream inflates past the limit,
    no more pages than allowed (a `DocumentError` if it cannot be opened, a `LimitExceeded` over a limit)."""
    check_inflated_sizes(data, limits)
    with open_document(data, reader) as source:
        check_page_count(source.page_count, limits)
        return source.page_count


def assemble_extraction(page_reads: list[PageRead], page_count: int, templates: list[Template] | None = None) -> Extraction:
    """Every page's grid → records, by the templates that recognize the pages (in page order)."""
    templates = templates or TEMPLATES
    if page_count == 0:
        raise DocumentError("PDF has no pages", "re-export the PDF from its source")
    won: dict[str, list[tuple[PageGrid, str]]] = {}
    skipped: list[PageRecord] = []
    issues: list[IssueRecord] = []
    text_pages = 0
    unreadable: list[str] = []
    best_miss: tuple[float, str] = (0.0, "")
    for read in sorted(page_reads, key=lambda r: r.page):
        if read.unreadable is not None or read.grid is None:
            reason = read.unreadable or "no grid"
            unreadable.append(reason)
            skipped.append(PageRecord(page=read.page, status="skipped", note=f"unreadable page ({reason})"))
            continue
        if not read.has_text:
            skipped.append(PageRecord(page=read.page, status="skipped", note="no text layer"))
            continue
        text_pages += 1
        choice = choose_template(read.grid, templates)
        if choice.template is None:
            best_miss = max(best_miss, (choice.match.score, choice.closest))
            note = f"unknown template (closest: {choice.closest}, score {choice.match.score:.2f})"
            skipped.append(PageRecord(page=read.page, status="skipped", note=note))
            continue
        won.setdefault(choice.template.name, []).append((read.grid, choice.match.role or ""))
    if text_pages == 0 and unreadable:
        raise DocumentError(f"unreadable PDF: no page could be read ({unreadable[0]})", "re-export the PDF from its source")
    if text_pages == 0:
        raise DocumentError("no text layer (scanned image?)", "run OCR first (e.g. ocrmypdf) and ingest the result")
    if not won:
        score, closest = best_miss
        raise DocumentError(
            f"unknown template (closest: {closest}, score {score:.2f})",
            "see `hyoka templates` for the layouts hyoka reads, and docs/adding-a-template.md to add one",
        )
    # the given templates by name (not `template_named`: they need not be registered)
    by_name = {template.name: template for template in templates}
    extraction = merge_extractions([by_name[name].read(pages) for name, pages in won.items()], page_count)
    for record in skipped:
        extraction.add(record)
        issues.append(
            IssueRecord(record.page, record.TABLE, record.key(), None, "page_skipped", detail=record.note or "")
        )
    extraction.issues += issues
    extraction.tables[PageRecord.TABLE] = sorted(extraction.rows(PageRecord), key=lambda r: r.page)
    return extraction


def merge_extractions(parts: list[Extraction], page_count: int) -> Extraction:
    """One document's extraction from what each template read (`parts`, in the order they first won a page).

    Records and issues are concatenated in that order. The document-level fields follow
    one rule: the *main* template, the one that read the most pages (a tie goes to the
    earlier part), names the document (`template`, `doc_type`) and owns every document
    field it read (`Extraction.DOCUMENT_FIELDS`: municipality, results_fiscal_year,
    title); a field it left None is owned by the first other part that read it. No part
    overwrites a field another part owns. `page_count` is the whole document's.
    """
    main = max(parts, key=lambda part: part.page_count)  # max keeps the first of equals
    merged = Extraction(template=main.template, doc_type=main.doc_type, page_count=page_count)
    for name in Extraction.DOCUMENT_FIELDS:
        owner = next((part for part in [main, *parts] if getattr(part, name) is not None), main)
        setattr(merged, name, getattr(owner, name))
    for part in parts:
        for table, records in part.tables.items():
            merged.tables.setdefault(table, []).extend(records)
        merged.issues += part.issues
    return merged


def extract_pdf(
    data: bytes,
    *,
    templates: list[Template] | None = None,
    on_page: Callable[[int, int], None] | None = None,
    reader: Reader = DEFAULT_READER,
    limits: Limits = DEFAULT_LIMITS,
) -> Extraction:
    """Read PDF bytes into records with the templates that recognize its pages (the cheap guards of `limits` first)."""
    page_count = count_pages(data, reader, limits)
    page_reads = read_page_grids(data, reader=reader, on_page=on_page, limits=limits)
    return assemble_extraction(page_reads, page_count, templates)
