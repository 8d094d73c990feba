"""How well a scan reads: a text PDF rendered to an image-only PDF, read by OCR, against the text PDF itself.

    .venv/bin/python benchmarks/ocr_accuracy.py [--dpi 200] [PDF ...]

Without PDFs it measures the 旭川 sample sheet (samples/asahikawa_jimujigyo_R4_121101.pdf,
whose every cell `tests/test_sheet_ground_truth.py` checks against samples/ground_truth.json)
and a real 池田 sheet outside the hand-checked dev set (samples/real/ikeda/README.md names
the six with ground truth; every 池田 PDF in the shared folder is also in samples/, so one
of the other ten). Needs the `ocr` extra and the dev extra (reportlab, to build the scan).

Each PDF is scanned (`tests/pdf_factory.scanned_copy`: every page rendered at `--dpi` and
rebuilt as an image-only PDF), then both are read and validated as `hyoka ingest` does.
The reference is the text PDF's own extraction, which the test suite holds to the ground
truth. Printed per document:

- fields right: every column of every record the text PDF gives, by record key; text
  compared as labels are (width folded, no whitespace), numbers exactly; a record the scan
  lost counts all its fields wrong;
- budget numbers right or flagged: each figure of the money tables (project_budgets,
  project_budget_sources, project_budget_items) equal to the text PDF's, or else named by a
  validation issue of its record (ocr_low_confidence, unparseable_number, funding_sum …);
- seconds per page of reading the scan (OCR included), and the issues the scan raised.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from pdf_factory import scanned_copy  # noqa: E402

from hyoka.extractors.records import Extraction, IssueRecord  # noqa: E402
from hyoka.extractors.registry import extract_pdf  # noqa: E402
from hyoka.normalize import normalize_label  # noqa: E402
from hyoka.schemas.validate import validate_extraction  # noqa: E402

DEFAULT_PDFS = [ROOT / "samples" / "asahikawa_jimujigyo_R4_121101.pdf", ROOT / "samples" / "real" / "ikeda" / "ikeda-r7-002.pdf"]
MONEY_TABLES = ("project_budgets", "project_budget_sources", "project_budget_items")
# provenance, not fields
NOT_FIELDS = frozenset({"page", "bbox", "raw_text", "document_id"})


@dataclass
class Score:
    """What one scanned document got right."""

    fields: int = 0
    right: int = 0
    money: int = 0
    money_right: int = 0
    money_flagged: int = 0
    wrong: list[str] = field(default_factory=list)
    missed_money: list[str] = field(default_factory=list)


def same(a: Any, b: Any) -> bool:
    """Whether two field values say the same: text as labels compare, numbers exactly."""
    if isinstance(a, str) and isinstance(b, str):
        return normalize_label(a) == normalize_label(b)
    if isinstance(a, float) and isinstance(b, (int, float)):
        return abs(a - b) < 1e-9
    return bool(a == b)


def by_key(extraction: Extraction, table: str) -> dict[str, list[dict[str, Any]]]:
    """A table's rows by their normalized record key (several rows may share one)."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for record in extraction.tables.get(table, []):
        rows.setdefault(normalize_label(record.key()), []).append(record.as_row())
    return rows


def flagged(issues: list[IssueRecord]) -> set[tuple[str, str, str | None]]:
    """(table, normalized key, column) of every issue, and (table, key, None) for each issue of a record."""
    named: set[tuple[str, str, str | None]] = set()
    for issue in issues:
        key = normalize_label(issue.record_key)
        named.add((issue.table_name, key, issue.column_name))
        named.add((issue.table_name, key, None))
    return named


def score(text: Extraction, scan: Extraction, scan_issues: list[IssueRecord]) -> Score:
    """The scan's extraction against the text PDF's."""
    result = Score()
    named = flagged(scan_issues)
    for table in text.tables:
        if table == "pages":
            continue
        theirs = by_key(scan, table)
        for key, rows in by_key(text, table).items():
            for i, row in enumerate(rows):
                other = theirs.get(key, [])
                other_row = other[i] if i < len(other) else None
                for column, value in row.items():
                    if column in NOT_FIELDS:
                        continue
                    got = None if other_row is None else other_row.get(column)
                    ok = other_row is not None and same(value, got)
                    result.fields += 1
                    result.right += ok
                    if not ok:
                        result.wrong.append(f"{table} {key} {column}: {value!r} → {got!r}")
                    if table in MONEY_TABLES and isinstance(value, (int, float)) and not isinstance(value, bool):
                        result.money += 1
                        if ok:
                            result.money_right += 1
                        elif (table, key, column) in named or (table, key, None) in named:
                            result.money_flagged += 1
                        else:
                            result.missed_money.append(f"{table} {key} {column}: {value!r} → {got!r}")
    return result


def measure(pdf: Path, dpi: int) -> None:
    """Scan one PDF, read both, print the scores."""
    data = pdf.read_bytes()
    text = extract_pdf(data)
    scan_bytes = scanned_copy(data, dpi)
    started = time.perf_counter()
    scan = extract_pdf(scan_bytes)
    seconds = time.perf_counter() - started
    issues = validate_extraction(scan)
    result = score(text, scan, issues)
    pages = max(1, scan.page_count)
    checks: dict[str, int] = {}
    for issue in issues:
        checks[issue.check_name] = checks.get(issue.check_name, 0) + 1
    print(f"== {pdf.name} (scanned at {dpi} dpi, {pages} page(s), template {scan.template})")
    print(f"fields right: {result.right}/{result.fields} = {result.right / max(1, result.fields):.1%}")
    print(f"budget numbers: {result.money} — right {result.money_right}, flagged {result.money_flagged}, "
          f"wrong and not flagged {len(result.missed_money)}")
    print(f"seconds per page: {seconds / pages:.1f}")
    print(f"issues on the scan: {checks}")
    shown = 25  # the first of each list: enough to see what goes wrong
    for line in result.wrong[:shown]:
        print(f"  wrong: {line}")
    for line in result.missed_money[:shown]:
        print(f"  NOT FLAGGED: {line}")
    if max(len(result.wrong), len(result.missed_money)) > shown:
        print(f"  … {len(result.wrong)} wrong and {len(result.missed_money)} not flagged in all")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdfs", nargs="*", type=Path, default=DEFAULT_PDFS)
    parser.add_argument("--dpi", type=int, default=200)
    args = parser.parse_args()
    for pdf in args.pdfs:
        measure(pdf, args.dpi)


if __name__ == "__main__":
    main()
