"""The validation report: report.html (flagged rows with crops of their source, plots),
issues.csv / issues.parquet, and Prefect artifacts. See `hyoka.report.build.write_report`."""

from hyoka.report.build import ReportPaths, default_out_dir, write_report

__all__ = ["ReportPaths", "default_out_dir", "write_report"]
