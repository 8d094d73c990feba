"""The templates hyoka knows, and reading a whole PDF with them.

The extract stage is two steps, so that a large book can be read by page ranges in
several processes and put together in one place:

- `read_page_grids`: PDF bytes → one `PageRead` per page (its grid, or why it has none);
- `assemble_extraction`: every page's `PageRead` → an `Extraction` (records + issues).
  Every template scores each page; the best one above `MIN_SCORE` gets the page. Pages no
  template wants are reported and skipped; a document where no page is wanted fails as
  `unknown template`. A page no template wants whose text is mostly characters no sheet
  prints (`hyoka.extractors.text_layer`: fonts without a usable Unicode map) fails the document:
  a garbled text layer must stop, never pass as data or as an unknown layout. Each template reads its own pages into an extraction of its own,
  and `merge_extractions` puts them together (it says who owns the document's fields).

`extract_pdf` is both steps in one. The result is the same however the pages were split.

A page without a text layer (a scan) is read by OCR when the `ocr` extra is installed
(`hyoka.extractors.ocr`: its rulings and text from the rendered image, as the same page
objects); each value read from it carries its OCR confidence, and a number read with low
confidence is a finding (`hyoka.extractors.ocr_text`). Without the extra, a document of
scans fails with the line that says how to install it.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from hyoka.extractors.failures import GARBLED, NO_PAGES, NO_TEXT, UNKNOWN_TEMPLATE, UNREADABLE
from hyoka.extractors.file_template import FileTemplate
from hyoka.extractors.grid import PageGrid, build_grid
from hyoka.extractors.limits import DEFAULT_LIMITS, Limits, check_inflated_sizes, check_page_count, too_many_objects
from hyoka.extractors.ocr import INSTALL_HINT, ScannedPages, ocr_available
from hyoka.extractors.ocr_text import OcrPage, attach_confidence, known_labels, low_confidence_findings
from hyoka.extractors.pages import DEFAULT_READER, PageSource, PageTooBusy, Reader
from hyoka.extractors.pdf_input import DocumentError, open_document
from hyoka.extractors.records import Extraction, IssueRecord, PageRecord
from hyoka.extractors.template import PageMatch, Template
from hyoka.extractors.text_layer import DEFAULT_TEXT_LAYER, TextCount, TextLayerSettings, count_text
from hyoka.extractors.template_loader import USER_TEMPLATES_ENV, TemplateFileError, load_template_file, template_files

# The template files shipped with hyoka (package data: `templates/*.toml` beside this module).
BUILTIN_TEMPLATE_DIR = Path(str(resources.files(__package__ or "extractors") / "templates"))


def load_templates(folder: Path) -> list[FileTemplate]:
    """Every template file in a folder, by file name (a `TemplateFileError` names the first mistake)."""
    return [FileTemplate(load_template_file(path), path) for path in template_files(folder)]


def with_templates(known: list[Template], added: list[FileTemplate]) -> list[Template]:
    """`known` and then `added`, refusing a second template of the same name (which one would read?)."""
    names: dict[str, Template] = {template.name: template for template in known}
    for template in added:
        if template.name in names:
            other = names[template.name]
            where = getattr(other, "source", "hyoka's Python templates")
            raise TemplateFileError(template.source, 1, "template.name",
                                    f"{template.name!r} is already the name of the template in {where}")
        names[template.name] = template
    return list(names.values())


@functools.cache
def builtin_templates() -> tuple[Template, ...]:
    """hyoka's own templates: the files, each file one template. Read at first use, not at import: a
    mistake in one of them (a contributor editing it) is then one line from the command that needs
    them, and `hyoka template check` of another file still runs."""
    return tuple(with_templates([], load_templates(BUILTIN_TEMPLATE_DIR)))


def __getattr__(name: str) -> list[Template]:
    """`TEMPLATES`: hyoka's own templates, read at first use (`builtin_templates`)."""
    if name == "TEMPLATES":
        return list(builtin_templates())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.lru_cache(maxsize=8)
def _with_user_templates(folder: str) -> tuple[Template, ...]:
    return tuple(with_templates(list(builtin_templates()), load_templates(Path(folder))))


def active_templates() -> list[Template]:
    """The templates pages are read with: hyoka's own, and the files of the folder `HYOKA_TEMPLATES` names."""
    folder = os.environ.get(USER_TEMPLATES_ENV)
    return list(_with_user_templates(folder) if folder else builtin_templates())


@functools.lru_cache(maxsize=8)
def _labels_of(folder: str | None) -> frozenset[str]:
    return known_labels(_with_user_templates(folder) if folder else builtin_templates())


def active_labels() -> frozenset[str]:
    """The labels the active templates look for (normalized): what OCR snaps a misread label to."""
    return _labels_of(os.environ.get(USER_TEMPLATES_ENV))


def scanner_for(data: bytes) -> ScannedPages | None:
    """OCR for the pages of these PDF bytes that have no text layer (None without the `ocr` extra)."""
    return ScannedPages(data, active_labels()) if ocr_available() else None


def template_origin(template: Template) -> str:
    """Where a template comes from: its file, or hyoka's Python module."""
    source = getattr(template, "source", None)
    if source is None:
        return f"hyoka: {type(template).__module__}"
    if Path(source).parent == BUILTIN_TEMPLATE_DIR:
        return f"hyoka: templates/{Path(source).name}"
    return str(source)

# A page belongs to a template when at least this share of the role's anchor labels is on it.
MIN_SCORE = 0.6


@dataclass(frozen=True)
class PageChoice:
    template: Template | None
    match: PageMatch
    closest: str  # the best template's name, even below MIN_SCORE


def template_named(name: str) -> Template:
    for template in active_templates():
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
    text: TextCount = TextCount()  # its printed characters, and how many no sheet prints
    ocr: OcrPage | None = None  # what OCR read, when the page has no text layer and was read by OCR


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


def read_page(source: PageSource, number: int, scan: ScannedPages | None = None) -> PageRead:
    """Read page `number` of an open document into its grid (by OCR when it has no text and `scan` is given);
    a broken page is noted, not raised.

    A page over the object budget (`PageTooBusy`) or out of memory stops the document:
    it is not broken, it is more than the reader may take.
    """
    try:
        objects = source.read(number)
        ocr = None
        if scan is not None and not any(char["text"].strip() for char in objects.chars):
            objects, ocr = scan.read(number)
        return PageRead(number, build_grid(objects), has_text=bool(objects.chars), text=count_text(objects.chars), ocr=ocr)
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
    scan: ScannedPages | None = None,
) -> list[PageRead]:
    """Pages `first`..`last` (from 1, `last` included; None: to the end) of an open document
    (those without text by OCR when `scan` is given)."""
    last = source.page_count if last is None else min(last, source.page_count)
    reads: list[PageRead] = []
    for number in range(max(1, first), last + 1):
        reads.append(read_page(source, number, scan))
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
    """Read pages `first`..`last` of PDF bytes into grids (by OCR where a page has no text layer and the
    `ocr` extra is installed; a `DocumentError` if the file cannot be opened, a `LimitExceeded` for a
    page of more objects than `limits` allow)."""
    scan = scanner_for(data)
    try:
        with open_document(data, reader, limits.max_page_objects) as source:
            try:
                return read_pages(source, first=first, last=last, on_page=on_page, scan=scan)
            except PageTooBusy as exc:
                raise too_many_objects(exc.page, limits) from exc
    finally:
        if scan is not None:
            scan.close()


def count_pages(data: bytes, reader: Reader = DEFAULT_READER, limits: Limits = DEFAULT_LIMITS) -> int:
    """How many pages the PDF has, once the cheap guards passed: no stream inflates past the limit,
    no more pages than allowed (a `DocumentError` if it cannot be opened, a `LimitExceeded` over a limit)."""
    check_inflated_sizes(data, limits)
    with open_document(data, reader) as source:
        check_page_count(source.page_count, limits)
        return source.page_count


def garbled_error(garbled: list[PageRead], text_pages: int) -> DocumentError:
    """The one line for a document with garbled pages: how much is unreadable, and where when not everywhere."""
    share = sum(r.text.unreadable for r in garbled) / max(1, sum(r.text.printed for r in garbled))
    where = ""
    if len(garbled) < text_pages:
        numbers = [str(r.page) for r in garbled]
        shown = ", ".join(numbers[:5]) + (f" and {len(numbers) - 5} more" if len(numbers) > 5 else "")
        where = f" on page{'s' if len(numbers) > 1 else ''} {shown}"
    return DocumentError(
        f"{GARBLED.reason} ({share:.0%} of characters unreadable{where})",
        "its text layer maps glyphs to junk code points: re-export the PDF with its fonts' Unicode maps "
        "(ToUnicode), or OCR it (e.g. ocrmypdf --force-ocr) and ingest the result",
    )


def assemble_extraction(page_reads: list[PageRead], page_count: int, templates: list[Template] | None = None,
                        text_layer: TextLayerSettings = DEFAULT_TEXT_LAYER) -> Extraction:
    """Every page's grid → records, by the templates that recognize the pages (in page order)."""
    templates = templates or active_templates()
    if page_count == 0:
        raise DocumentError(NO_PAGES.reason, "re-export the PDF from its source")
    won: dict[str, list[tuple[PageGrid, str]]] = {}
    skipped: list[PageRecord] = []
    issues: list[IssueRecord] = []
    text_pages = 0
    unreadable: list[str] = []
    garbled: list[PageRead] = []
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
            if read.text.garbled(text_layer):  # no known label, and text no sheet prints: not an unknown layout
                garbled.append(read)
            best_miss = max(best_miss, (choice.match.score, choice.closest))
            note = f"unknown template (closest: {choice.closest}, score {choice.match.score:.2f})"
            skipped.append(PageRecord(page=read.page, status="skipped", note=note))
            continue
        won.setdefault(choice.template.name, []).append((read.grid, choice.match.role or ""))
    if text_pages == 0 and unreadable:
        raise DocumentError(f"{UNREADABLE.reason}: no page could be read ({unreadable[0]})", "re-export the PDF from its source")
    if text_pages == 0:
        raise no_text_error()
    if garbled:
        raise garbled_error(garbled, text_pages)
    if not won:
        score, closest = best_miss
        raise DocumentError(
            f"{UNKNOWN_TEMPLATE.reason} (closest: {closest}, score {score:.2f})",
            "see `hyoka templates` for the layouts hyoka reads, and docs/adding-a-template.md to add one",
        )
    # the given templates by name (not `template_named`: they need not be registered)
    by_name = {template.name: template for template in templates}
    parts = [nothing_read_flagged(by_name[name], pages, by_name[name].read(pages)) for name, pages in won.items()]
    extraction = merge_extractions(parts, page_count)
    for record in skipped:
        extraction.add(record)
        issues.append(
            IssueRecord(record.page, record.TABLE, record.key(), None, "page_skipped", detail=record.note or "")
        )
    extraction.issues += issues
    extraction.tables[PageRecord.TABLE] = sorted(extraction.rows(PageRecord), key=lambda r: r.page)
    scanned = {read.page: read.ocr for read in page_reads if read.ocr is not None}
    if scanned:
        with_ocr_confidence(extraction, scanned)
    return extraction


def no_text_error() -> DocumentError:
    """The one line for a document none of whose pages has text: how to install OCR, or that OCR found none."""
    if not ocr_available():
        return DocumentError(f"{NO_TEXT.reason} (scanned image?)", INSTALL_HINT)
    return DocumentError(f"{NO_TEXT.reason} (scanned image?), and OCR found no text on it",
                         "check that the file is a scan of a printed sheet (upright, at least 150 dpi)")


def with_ocr_confidence(extraction: Extraction, scanned: dict[int, OcrPage]) -> None:
    """Values read from scanned pages get their OCR confidence; a low one on a number is a finding; each page says it was OCR'd."""
    attach_confidence(extraction, scanned)
    extraction.issues += low_confidence_findings(extraction)
    for record in extraction.rows(PageRecord):
        page = scanned.get(record.page)
        if page is not None and record.status == "read":
            lowest = f", lowest confidence {page.lowest:.2f}" if page.lowest is not None else ""
            record.note = f"read by OCR at {page.dpi:.0f} dpi{lowest}"


def nothing_read_flagged(template: Template, pages: list[tuple[PageGrid, str]], part: Extraction) -> Extraction:
    """A template's part, with an error issue when its pages gave none of its main records.

    The pages were recognized by their labels, so the document is this template's; a part
    without a single project (or KPI) read from them is a failure of reading, which must
    not pass as a document loaded with nothing in it.
    """
    table = template.main_record.TABLE
    if not part.rows(table):
        numbers = [grid.page_number for grid, _ in pages]
        detail = f"{len(numbers)} page(s) from page {min(numbers)} matched {template.name}, no {table} row was read"
        part.issues.append(IssueRecord(min(numbers), table, "", None, "no_records", detail=detail))
    return part


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
