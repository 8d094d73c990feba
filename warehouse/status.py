"""A document's status: the one rule that decides it, and which statuses are live.

Every `documents` row has one of four statuses:

* `failed`: the file could not be read; the row says why (`error`) and nothing else of
  the document is kept;
* `superseded`: a corrected re-issue of the same edition was loaded later
  (`hyoka.warehouse.editions`); its rows are kept, and no view counts them;
* `loaded_with_issues`: loaded, with at least one validation issue (an error or a
  warning: both ask a person to look, see the README's severity policy);
* `loaded`: loaded, without any issue.

Pure Python, no database: the flow's stages decide a new document's status with it, the
warehouse again whenever a document's issues or edition change.
"""

from __future__ import annotations

__all__ = [
    "DOCUMENT_STATUSES",
    "FAILED",
    "LIVE_STATUSES",
    "LOADED",
    "LOADED_WITH_ISSUES",
    "SUPERSEDED",
    "decide_status",
    "is_live",
    "is_live_status",
]

LOADED = "loaded"
LOADED_WITH_ISSUES = "loaded_with_issues"
FAILED = "failed"
SUPERSEDED = "superseded"
DOCUMENT_STATUSES = (LOADED, LOADED_WITH_ISSUES, FAILED, SUPERSEDED)

# The one definition of a live document: its rows count (the `current_*` views, the history
# views, `hyoka changes`, the report, the cross-document checks). Superseded and failed ones do not.
LIVE_STATUSES = (LOADED, LOADED_WITH_ISSUES)


def decide_status(errors: int = 0, warnings: int = 0, *, failed: bool = False, superseded: bool = False) -> str:
    """The status of a document with this many issues: failed, then superseded, win over the counts."""
    if failed:
        return FAILED
    if superseded:
        return SUPERSEDED
    return LOADED_WITH_ISSUES if errors + warnings > 0 else LOADED


def is_live_status(status: str) -> bool:
    """Whether a document of this status is live (the Python twin of `is_live`)."""
    return status in LIVE_STATUSES


def is_live(alias: str = "d") -> str:
    """SQL condition: the `documents` row under `alias` ('' for none) is a live document."""
    prefix = f"{alias}." if alias else ""
    return f"{prefix}status IN ({', '.join(repr(s) for s in LIVE_STATUSES)})"
