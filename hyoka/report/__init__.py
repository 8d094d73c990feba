"""The validation report: report.html (flagged rows with crops of their source, plots),
issues.csv / issues.parquet, and Prefect artifacts. See `hyoka.report.build.write_report`.

`write_report` and `ReportPaths` are imported at first use: building a report needs pandas and
the plots, which a command that only asks where the report is (`default_out_dir`) does not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hyoka.report.location import default_out_dir

if TYPE_CHECKING:
    from hyoka.report.build import ReportPaths, write_report

__all__ = ["ReportPaths", "default_out_dir", "write_report"]


def __getattr__(name: str) -> Any:
    """`write_report` / `ReportPaths`, from `hyoka.report.build` when first asked for."""
    if name in ("ReportPaths", "write_report"):
        from hyoka.report import build

        return getattr(build, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
