"""Editions: a corrected re-issue of a document supersedes the earlier file.

Every document is kept. A city re-publishes its sheets every year (a new *edition*, a
later `results_fiscal_year`): those stay side by side and the history views
(`hyoka.warehouse.views`) follow values across them. But a city also re-issues a file for the
*same* edition (a corrected PDF): then the earlier file is superseded. It keeps its
`documents` row and all its rows (nothing is lost, `status = 'superseded'`), and every
view ignores it.

Same edition means: the same municipality, template and results fiscal year, and

* evaluation sheets: every project code of the earlier document is in the new one (a
  corrected book, or a corrected single sheet of a one-sheet-per-file city);
* KPI lists: the same title (whitespace ignored).

The document loaded last supersedes: hyoka cannot tell which file a city published
later, only which one it was given later. A superseded file ingested again is
`unchanged` (its sha256 is known), so it never comes back by itself; to bring it back,
delete the newer document (`hyoka.warehouse.store.delete_document`) and set the older one's
status to `loaded`.
"""

from __future__ import annotations

from typing import Any

from hyoka.warehouse import crosscheck
from hyoka.warehouse.status import decide_status, is_live
from hyoka.warehouse.store import transaction


# Set-based (each table scanned once), not a subquery per earlier document: a load stays
# as quick in a warehouse of thousands of documents as in an empty one.
_CANDIDATES = f"""
WITH peers AS (
    SELECT d.document_id, d.title, n.title AS new_title
    FROM documents AS d, documents AS n
    WHERE n.document_id = $doc AND d.document_id <> n.document_id
      AND {is_live("n")} AND {is_live("d")}
      AND d.municipality IS NOT DISTINCT FROM n.municipality
      AND d.template IS NOT DISTINCT FROM n.template
      AND d.results_fiscal_year = n.results_fiscal_year
),
new_codes AS (
    SELECT DISTINCT project_code FROM projects WHERE document_id = $doc AND project_code IS NOT NULL
),
-- evaluation sheets: the earlier document's project codes are all in the new one
sheets AS (
    SELECT p.document_id
    FROM projects AS p JOIN peers USING (document_id) LEFT JOIN new_codes AS c USING (project_code)
    WHERE coalesce(p.project_code, '') <> ''
    GROUP BY p.document_id
    HAVING count(*) = count(c.project_code)
),
-- KPI lists: the same title
kpi_lists AS (
    SELECT peers.document_id FROM peers
    WHERE EXISTS (SELECT 1 FROM strategy_kpis AS k WHERE k.document_id = $doc)
      AND peers.document_id IN (SELECT document_id FROM strategy_kpis)
      AND regexp_replace(peers.title, '\\s', '', 'g') = regexp_replace(peers.new_title, '\\s', '', 'g')
)
SELECT document_id FROM sheets UNION SELECT document_id FROM kpi_lists
ORDER BY document_id
"""


def superseded_by(con: Any, document_id: str) -> list[str]:
    """The live documents that `document_id` (just loaded) is a re-issue of (none when it is not live
    itself, or has no results fiscal year: the query's peers ask both)."""
    return [r[0] for r in con.execute(_CANDIDATES, {"doc": document_id}).fetchall()]


def after_load(con: Any, document_id: str) -> list[str]:
    """Mark the documents this newly loaded one re-issues as `superseded`; return their ids.

    One transaction (or the caller's: `hyoka.warehouse.load.load_document_with_checks`). Call it
    right after a document is loaded (and cross-checked). Other documents whose
    cross-document warnings named a superseded one are checked again, against what is live now.
    """
    with transaction(con):
        ids = superseded_by(con, document_id)
        if ids:
            con.execute(
                "UPDATE documents SET status = $status WHERE document_id IN (SELECT unnest($ids))",
                {"status": decide_status(superseded=True), "ids": ids},
            )
            recheck_related(con, ids)
    return ids


def recheck_related(con: Any, superseded: list[str]) -> list[str]:
    """Re-run the cross-document check of the live documents whose warnings name one of
    `superseded`; return their ids."""
    rows = con.execute(
        f"""
        SELECT DISTINCT v.document_id FROM validation_issues AS v JOIN documents AS d USING (document_id)
        WHERE v.check_name = '{crosscheck.CHECK_NAME}' AND {is_live("d")}
          AND v.related_document_id IN (SELECT unnest($ids))
        ORDER BY 1
        """,
        {"ids": superseded},
    ).fetchall()
    others = [r[0] for r in rows]
    for other in others:
        crosscheck.record_cross_document_issues(con, other)
    return others
