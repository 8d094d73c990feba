"""The templates hyoka knows, and reading a whole PDF with them.

`extract_pdf` is the extract stage: PDF bytes in, an `Extraction` (records + issues)
out. Each page is read into a grid once, every template scores it, and the best
template above `MIN_SCORE` gets the page. Pages no template wants are reported and
skipped; a document where no page is wanted fails as `unknown template`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable

from extractors.asahikawa_kpi import TEMPLATE as ASAHIKAWA_KPI_LIST
from extractors.asahikawa_sheet import TEMPLATE as ASAHIKAWA_SHEET
from extractors.grid import PageGrid, build_grid
from extractors.ikeda_sheet import TEMPLATE as IKEDA_SHEET
from extractors.pdf_input import DocumentError, open_pdf
from extractors.records import Extraction, IssueRecord, PageRecord
from extractors.template import PageMatch, Template

TEMPLATES: list[Template] = [ASAHIKAWA_SHEET, ASAHIKAWA_KPI_LIST, IKEDA_SHEET]

# A page belongs to a template when at least this share of the role's anchor labels is on it.
MIN_SCORE = 0.6


@dataclass(frozen=True)
class PageChoice:
    template: Template | None
    match: PageMatch
    closest: str  # the best template's name, even below MIN_SCORE


def register(template: Template) -> None:
    """Add a template (e.g. from a plugin) so `hyoka ingest` recognizes its pages."""
    if all(t.name != template.name for t in TEMPLATES):
        TEMPLATES.append(template)


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


def extract_pdf(
    data: bytes,
    *,
    templates: list[Template] | None = None,
    on_page: Callable[[int, int], None] | None = None,
) -> Extraction:
    """Read PDF bytes into records with the templates that recognize its pages."""
    templates = templates or TEMPLATES
    with open_pdf(data) as pdf:
        page_count = len(pdf.pages)
        if page_count == 0:
            raise DocumentError("PDF has no pages", "re-export the PDF from its source")
        won: dict[str, list[tuple[PageGrid, str]]] = {}
        skipped: list[PageRecord] = []
        issues: list[IssueRecord] = []
        text_pages = 0
        unreadable: list[str] = []
        best_miss: tuple[float, str] = (0.0, "")
        for index, page in enumerate(pdf.pages):
            try:
                grid = build_grid(page)
                has_text = bool(page.chars)
            except Exception as exc:  # a broken page must not stop the book
                unreadable.append(f"{type(exc).__name__}: {exc}")
                skipped.append(PageRecord(page=index + 1, status="skipped", note=f"unreadable page ({type(exc).__name__}: {exc})"))
                continue
            finally:
                page.close()  # keep memory flat across a book of hundreds of pages
            if on_page:
                on_page(index + 1, page_count)
            if not has_text:
                skipped.append(PageRecord(page=index + 1, status="skipped", note="no text layer"))
                continue
            text_pages += 1
            choice = choose_template(grid, templates)
            if choice.template is None:
                best_miss = max(best_miss, (choice.match.score, choice.closest))
                note = f"unknown template (closest: {choice.closest}, score {choice.match.score:.2f})"
                skipped.append(PageRecord(page=index + 1, status="skipped", note=note))
                continue
            won.setdefault(choice.template.name, []).append((grid, choice.match.role or ""))
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
        counts = Counter({name: len(pages) for name, pages in won.items()})
        main = template_named(counts.most_common(1)[0][0])
        extraction = Extraction(template=main.name, doc_type=main.doc_type, municipality=main.municipality, page_count=page_count)
        for name, pages in won.items():
            template_named(name).read(pages, extraction)
        extraction.doc_type = main.doc_type
        for record in skipped:
            extraction.add("pages", record)
            issues.append(
                IssueRecord(record.page, "pages", f"page {record.page}", None, "page_skipped", "warning",
                            f"ページを読み飛ばしました / page skipped: {record.note}")
            )
        extraction.issues += issues
        extraction.tables["pages"] = sorted(extraction.rows("pages"), key=lambda r: r.page)
        return extraction
