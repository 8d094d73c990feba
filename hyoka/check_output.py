"""How `hyoka template check` prints what a template file read: plain rich tables, or JSON.

The checks come from `hyoka.extractors.template_check`; this module only renders them.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any, TextIO

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hyoka.extractors.template_check import DocumentCheck, ItemCheck, PageCheck

# a value and a raw text are cut to this many terminal columns (a kanji takes two; --format json has them whole)
VALUE_WIDTH = 64
RAW_WIDTH = 40
MISSING_ANCHORS = 8  # a page of another layout misses them all: the first few say enough (--format json: all)


def shown(text: str | None, width: int) -> str:
    """A text on one line (its line breaks as ⏎), cut to `width` terminal columns."""
    if text is None:
        return ""
    flat = " ⏎ ".join(line.strip() for line in text.splitlines() if line.strip())
    if cell_len(flat) <= width:
        return flat
    cut = ""
    for char in flat:
        if cell_len(cut + char) > width - 1:
            break
        cut += char
    return cut + "…"


def box_text(box: tuple[float, float, float, float] | None) -> str:
    """A box in whole points: x0,top,x1,bottom."""
    return ",".join(f"{v:.0f}" for v in box) if box else ""


def page_line(page: PageCheck) -> str:
    """One line per page: its role and score, and the anchors found (and which not)."""
    total = len(page.anchors_found) + len(page.anchors_missing)
    if not total:  # unreadable, or no text layer
        return f"page {page.page}: {page.note}"
    line = f"page {page.page}: {page.role or 'no role'}, score {page.score:.2f}, anchors {len(page.anchors_found)}/{total} found"
    if page.anchors_missing:
        shown_anchors = page.anchors_missing[:MISSING_ANCHORS]
        more = len(page.anchors_missing) - len(shown_anchors)
        line += " — not found: " + ", ".join(shown_anchors) + (f" and {more} more" if more else "")
    return line + (f" — {page.note}" if page.note else "")


def item_row(item: ItemCheck) -> tuple[str, str, str, str, str]:
    """The table row of one item: page, key, value (or why not), the raw text when it differs, the box."""
    page = str(item.page or "")
    if item.status == "missing":
        return page, escape(item.key), f"[red]expected but not found:[/red] {escape(item.reason)}", "", ""
    value = "(blank)" if item.value is None and item.rows is None else shown(item.value, VALUE_WIDTH)
    if item.reason:
        value += f" ({item.reason})" if value else item.reason
    raw = shown(item.raw, RAW_WIDTH) if item.raw is not None and item.raw != item.value else ""
    return page, escape(item.key), escape(value), escape(raw), box_text(item.box)


def print_check(check: DocumentCheck, console: Console) -> None:
    """A PDF's check: a line per page, then a table of every item of the file and what it read."""
    console.print(f"[bold]{escape(check.pdf)}[/bold] — template {escape(check.template)}", highlight=False)
    for page in check.pages:
        style = "" if page.recognized else "yellow"
        text = escape(page_line(page))
        console.print(f"[{style}]{text}[/{style}]" if style else text, highlight=False, soft_wrap=True)
    if check.note:
        console.print(f"[red]{escape(check.note)}[/red]", highlight=False)
        return
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 1))
    for column in ("page", "item", "value", "raw text (when it differs)", "box (pt)"):
        table.add_column(column)
    for item in check.items:
        table.add_row(*item_row(item))
    console.print(table)


def summary_line(checks: list[DocumentCheck]) -> str:
    """How many items read and how many missing, over every PDF."""
    items = [item for check in checks for item in check.items]
    read = sum(item.status == "read" for item in items)
    missing = sum(check.missing for check in checks)
    pages = sum(len(check.pages) for check in checks)
    recognized = sum(page.recognized for check in checks for page in check.pages)
    return (f"{len(checks)} PDF{'s' if len(checks) != 1 else ''}, {pages} page{'s' if pages != 1 else ''} "
            f"({recognized} recognized): "
            f"{read} items read, {missing} expected but not found")


def as_json(template: str, template_file: str, checks: list[DocumentCheck],
            errors: dict[str, str] | None = None) -> dict[str, Any]:
    """Every check as plain data: per PDF its pages (with their items) and the document's own fields;
    the PDFs that could not be read, with why."""
    return {
        "template": template,
        "file": template_file,
        "documents": [{**asdict(check), "missing": check.missing} for check in checks],
        "errors": [{"pdf": pdf, "error": error} for pdf, error in (errors or {}).items()],
        "missing": sum(check.missing for check in checks),
    }


def write_json(data: dict[str, Any], out: TextIO) -> None:
    """One JSON object."""
    out.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
