"""The report's summary as Prefect artifacts on the flow run that wrote it.

A table artifact (one row per document: status, pages, records, errors, warnings) under
the key `validation-report`, and a markdown artifact (totals, the checks that fired and
where the report is) under `validation-report-summary`. Two keys, because Prefect keeps
only the newest artifact of a key as "latest".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hyoka.report.build import ReportPaths
from hyoka.schemas.checks import CHECKS

TABLE_KEY = "validation-report"
MARKDOWN_KEY = "validation-report-summary"


def table_rows(paths: ReportPaths) -> list[dict[str, Any]]:
    """One row per document for the table artifact."""
    return [
        {
            "file": d["file_name"],
            "status": d["status"],
            "pages": int(d["page_count"] or 0),
            "records": int(d["record_count"] or 0),
            "errors": int(d["errors"] or 0),
            "warnings": int(d["warnings"] or 0),
        }
        for d in paths.documents
    ]


def file_url(path: Path) -> str:
    """An absolute `file://` URL of a report file: a relative path means nothing in the Prefect UI."""
    return Path(path).resolve().as_uri()


def file_link(path: Path) -> str:
    """A markdown link to a report file: its absolute path (to copy: browsers may not follow a
    `file://` link from a web page) linking to its `file://` URL (percent-encoded: no spaces)."""
    return f"[`{Path(path).resolve()}`]({file_url(path)})"


def markdown(paths: ReportPaths) -> str:
    """The summary as markdown: totals, checks that fired, per-document table, where the files are."""
    lines = [
        "# 検証レポート / validation report",
        "",
        f"**{len(paths.documents)}** documents · **{paths.errors}** errors · **{paths.warnings}** warnings",
        "",
    ]
    if paths.check_counts:
        lines += ["| check | severity | meaning | count |", "|---|---|---|---:|"]
        for name, count in sorted(paths.check_counts.items(), key=lambda kv: (-kv[1], kv[0])):
            info = CHECKS.get(name)
            meaning = f"{info.ja} / {info.en}" if info else ""
            lines.append(f"| `{name}` | {info.severity if info else ''} | {meaning} | {count} |")
        lines.append("")
    lines += ["| file | status | pages | records | errors | warnings |", "|---|---|---:|---:|---:|---:|"]
    lines += [f"| {r['file']} | {r['status']} | {r['pages']} | {r['records']} | {r['errors']} | {r['warnings']} |"
              for r in table_rows(paths)]
    lines += ["", f"Report: {file_link(paths.html)}  ", f"Issues: {file_link(paths.csv)}, {file_link(paths.parquet)}"]
    return "\n".join(lines)


def publish_artifacts(paths: ReportPaths) -> None:
    """Create the table and markdown artifacts (call inside a flow run)."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    description = (f"{len(paths.documents)} documents, {paths.errors} errors, {paths.warnings} warnings — "
                   f"{file_url(paths.html)}")
    create_table_artifact(table=table_rows(paths), key=TABLE_KEY, description=description)
    create_markdown_artifact(markdown=markdown(paths), key=MARKDOWN_KEY, description=description)
