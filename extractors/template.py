"""What a template is: how to recognize its pages and how to read them.

Each city's sheet layout is one template module in `extractors/` that provides a
`Template` object. `hyoka.extractors.registry` asks every template to score each page, picks
the best, hands each template the pages it won, and merges what the templates return.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from hyoka.extractors.grid import PageGrid
from hyoka.extractors.records import Extraction
from hyoka.normalize import normalize_label


@dataclass(frozen=True)
class PageMatch:
    """How well a page fits a template, and which page of it it is."""

    score: float  # 0..1: the share of the role's anchor labels found on the page
    role: str | None  # e.g. 'sheet_page1'; None when nothing fits


class Template(Protocol):
    """A layout hyoka reads (see docs/adding-a-template.md).

    Besides these, a template may state its number conventions as attributes, read
    through `hyoka.extractors.tables`: `money_dash` / `indicator_dash` (a `DashRule`: what a
    printed `-` means in that table) and `money_blank_is_zero` (a blank funding source
    counts as 0 in the funding sum). 池田's sheet sets all three.
    """

    name: str
    doc_type: str
    municipality: str | None
    description: str

    def recognize(self, grid: PageGrid) -> PageMatch: ...

    def read(self, pages: list[tuple[PageGrid, str]]) -> Extraction:
        """The records, issues and document fields read from `pages` (start from `new_extraction`)."""
        ...


def new_extraction(template: Template, pages: list[tuple[PageGrid, str]]) -> Extraction:
    """An empty extraction of `template`'s own: its name, doc type and municipality, the pages it reads."""
    return Extraction(template=template.name, doc_type=template.doc_type, municipality=template.municipality,
                      page_count=len(pages))


def anchor_score(grid: PageGrid, anchors: tuple[str, ...]) -> float:
    """Share of `anchors` (labels) that start some cell's text on the page."""
    found = sum(1 for anchor in anchors if grid.has_label_starting(normalize_label(anchor)))
    return found / len(anchors) if anchors else 0.0


def best_role(grid: PageGrid, roles: dict[str, tuple[str, ...]]) -> PageMatch:
    """The role whose anchors fit the page best."""
    scored = [(anchor_score(grid, anchors), role) for role, anchors in roles.items()]
    score, role = max(scored)
    return PageMatch(score=score, role=role if score > 0 else None)
