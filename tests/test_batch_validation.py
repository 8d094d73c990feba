"""A run validates the documents it has read together (`validate_extractions`): the same issues,
in the same order, as validating each document alone; a table is screened as one frame of
all the documents, and its checks never compare rows of two documents."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import IKEDA_PDFS, KPI_LIST, REAL, SAMPLES, SHEET_LIBREOFFICE, SHEET_REPORTLAB
from hyoka.extractors.records import Extraction
from hyoka.extractors.registry import extract_pdf
from hyoka.schemas.validate import tables_that_pass, validate_extraction, validate_extractions

# every kind of document here: both sample renderings (issues of their own), the KPI lists,
# the later editions (the same projects again), and each real city's sheets
FILES = [SHEET_LIBREOFFICE, SHEET_REPORTLAB, KPI_LIST, *sorted((SAMPLES / "editions").glob("*.pdf")),
         *IKEDA_PDFS[:6], *sorted((REAL / "kobe").glob("*.pdf"))[:3], *sorted((REAL / "kyoto").glob("*.pdf"))[:2]]


@pytest.fixture(scope="module")
def extractions() -> list[Extraction]:
    return [extract_pdf(Path(path).read_bytes()) for path in FILES]


def test_together_gives_each_documents_own_issues_in_order(extractions: list[Extraction]) -> None:
    alone = [validate_extraction(extraction) for extraction in extractions]
    assert any(alone), "no document here has an issue: the comparison would prove little"
    assert validate_extractions(extractions) == alone


def test_two_editions_of_one_project_pass_together(extractions: list[Extraction]) -> None:
    """The same project's budget columns in two documents are not one column summed twice."""
    sheet = extractions[FILES.index(SHEET_REPORTLAB)]
    assert {"project_budget_sources", "project_budgets"} <= tables_that_pass([sheet])
    assert {"project_budget_sources", "project_budgets"} <= tables_that_pass([sheet, copy.deepcopy(sheet)])


def test_a_failing_document_is_never_hidden_by_another(extractions: list[Extraction]) -> None:
    """A budget column whose sources are off by +10 beside one off by −10 (the same column when
    summed together) fails, and so does the table of the pair."""
    sheet = extractions[FILES.index(SHEET_REPORTLAB)]

    def off_by(change: int) -> Extraction:
        changed = copy.deepcopy(sheet)
        sources = changed.tables["project_budget_sources"]
        first = next(i for i, s in enumerate(sources) if s.amount is not None and s.part_of is None)
        sources[first] = replace(sources[first], amount=sources[first].amount + change)
        return changed

    more, less = off_by(10), off_by(-10)
    for extraction in (more, less):
        assert "funding_sum" in {issue.check_name for issue in validate_extraction(extraction)}
    assert "project_budget_sources" not in tables_that_pass([more, less])
    together = validate_extractions([more, less])
    assert together == [validate_extraction(more), validate_extraction(less)]


def test_the_same_project_in_two_documents_is_no_duplicate(extractions: list[Extraction]) -> None:
    """duplicate_project looks within one document: two editions of a project pass together."""
    sheet = extractions[FILES.index(SHEET_REPORTLAB)]
    assert "projects" in tables_that_pass([sheet, copy.deepcopy(sheet)])
