"""The report as one self-contained HTML page: inline CSS, crops as data URIs, plots as
inline SVG, the Japanese font embedded; nothing is fetched from the network.

Every function returns an HTML fragment; every text from the warehouse goes through
`html.escape`. Flagged rows are `<article class="issue">` elements whose `data-*`
attributes (document, page, table, record key, check) let a script or a test find them.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field
from html import escape
from typing import Any
from collections.abc import Iterable

from hyoka.normalize import era_label
from hyoka.schemas.checks import CHECKS, message_of

SEVERITY_LABELS = {"error": "エラー error", "warning": "警告 warning"}
STATUS_LABELS = {
    "loaded": "取込済 loaded",
    "loaded_with_issues": "指摘あり loaded with issues",
    "failed": "失敗 failed",
    "superseded": "差替済 superseded",
}

CSS = """
:root { --ink:#1f2937; --muted:#6b7280; --line:#e5e7eb; --bg:#f8fafc; --card:#fff;
        --err:#b91c1c; --err-bg:#fee2e2; --warn:#92400e; --warn-bg:#fef3c7; --ok:#166534; --ok-bg:#dcfce7;
        --accent:#1d4ed8; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink); line-height:1.55; font-size:15px;
       font-family: 'hyoka-ja', 'Hiragino Sans', 'Yu Gothic UI', 'Noto Sans CJK JP', 'Noto Sans JP', Meiryo, sans-serif; }
header.top { background:#0f172a; color:#f8fafc; padding:22px 32px 16px; }
header.top h1 { margin:0 0 4px; font-size:24px; letter-spacing:.02em; }
header.top .meta { color:#cbd5e1; font-size:13px; }
nav { position:sticky; top:0; z-index:5; background:#1e293b; padding:8px 32px; display:flex; gap:22px; }
nav a { color:#e2e8f0; text-decoration:none; font-size:14px; }
nav a:hover { text-decoration:underline; }
main { max-width:1280px; margin:0 auto; padding:8px 32px 48px; }
h2 { font-size:20px; margin:34px 0 12px; padding-bottom:6px; border-bottom:2px solid var(--line); }
h2 small, h3 small { color:var(--muted); font-weight:normal; font-size:13px; margin-left:6px; }
h3 { font-size:16px; margin:24px 0 10px; }
.tiles { display:flex; flex-wrap:wrap; gap:12px; margin:16px 0 8px; }
.tile { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:10px 16px; min-width:130px; }
.tile b { display:block; font-size:24px; }
.tile span { color:var(--muted); font-size:12px; }
.tile.err b { color:var(--err); } .tile.warn b { color:var(--warn); }
table.grid { border-collapse:collapse; width:100%; background:var(--card); font-size:14px;
             border:1px solid var(--line); border-radius:8px; overflow:hidden; }
table.grid th { background:#f1f5f9; text-align:left; font-weight:600; font-size:13px; }
table.grid th, table.grid td { padding:7px 10px; border-bottom:1px solid var(--line); vertical-align:top; }
table.grid td.num, table.grid th.num { text-align:right; font-variant-numeric:tabular-nums; }
table.grid tr:last-child td { border-bottom:none; }
table.docs td:not(:first-child) { white-space:nowrap; }
.badge { display:inline-block; border-radius:999px; padding:1px 9px; font-size:12px; font-weight:600; white-space:nowrap; }
.badge.error, .badge.failed { background:var(--err-bg); color:var(--err); }
.badge.warning, .badge.loaded_with_issues { background:var(--warn-bg); color:var(--warn); }
.badge.loaded { background:var(--ok-bg); color:var(--ok); }
.badge.superseded { background:#e5e7eb; color:#374151; }
code { font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, 'DejaVu Sans Mono', 'Liberation Mono', 'hyoka-ja', monospace; font-size:13px;
       background:#f1f5f9; padding:1px 5px; border-radius:4px; }
.issue { display:grid; grid-template-columns:minmax(300px, 1fr) minmax(320px, 1.35fr); gap:18px; background:var(--card);
         border:1px solid var(--line); border-left:5px solid var(--warn); border-radius:8px; padding:14px 16px; margin:10px 0; }
.issue.error { border-left-color:var(--err); }
.issue .head { display:flex; flex-wrap:wrap; align-items:center; gap:8px; font-size:13px; color:var(--muted); }
.issue .ja { font-size:16px; font-weight:600; margin:8px 0 0; }
.issue .en { color:var(--muted); margin:0 0 8px; font-size:13px; }
.issue dl { display:grid; grid-template-columns:max-content 1fr; gap:3px 12px; margin:0; font-size:13.5px; }
.issue dt { color:var(--muted); }
.issue dd { margin:0; overflow-wrap:anywhere; }
.issue .raw { font-weight:600; background:#fff7ed; }
.issue figure { margin:0; }
.issue figure img { max-width:100%; border:1px solid var(--line); border-radius:4px; display:block; }
.issue figcaption, .note { color:var(--muted); font-size:12.5px; margin-top:4px; }
.nocrop { border:1px dashed #cbd5e1; border-radius:6px; padding:14px; color:var(--muted); font-size:13px; background:#f8fafc; }
.plot { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 14px; margin:12px 0; }
.plot h3 { margin:0 0 8px; }
.plot svg { max-width:100%; height:auto; display:block; }
.empty { color:var(--muted); font-style:italic; }
.policy p { margin:6px 0; }
footer { color:var(--muted); font-size:12px; text-align:center; padding:24px; }
@media (max-width: 900px) { .issue { grid-template-columns:1fr; } main { padding:8px 14px 40px; } }
"""


@dataclass
class Plot:
    """One plot of the report: anchor id, heading and the figure (an `<svg>` element: markup from `plots`, its texts escaped)."""

    anchor: str
    title: str
    svg: str


@dataclass
class ReportContent:
    """Everything the page shows, already queried and rendered."""

    db_path: str
    generated_at: str
    version: str
    documents: list[dict[str, Any]]
    issues: list[dict[str, Any]]  # issue rows plus `crop_png` / `crop_note`
    project_plots: list[Plot] = field(default_factory=list)
    kpi_plots: list[Plot] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    changes: list[Any] = field(default_factory=list)  # hyoka.warehouse.changes.EditionChanges, newest first


def text(value: Any) -> str:
    """A warehouse value as escaped text ('' for NULL / NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return escape(str(value))


def data_uri(png: bytes) -> str:
    """PNG bytes as a data: URI."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def badge(kind: str, label: str) -> str:
    """A small coloured label."""
    return f'<span class="badge {escape(kind)}">{escape(label)}</span>'


def table(headers: Iterable[tuple[str, bool]], rows: Iterable[Iterable[str]], css: str = "") -> str:
    """A grid table; headers are (label, numeric) and cells are HTML fragments."""
    heads = list(headers)
    head = "".join(f'<th class="num">{escape(h)}</th>' if num else f"<th>{escape(h)}</th>" for h, num in heads)
    body = []
    for row in rows:
        cells = [f'<td class="num">{c}</td>' if num else f"<td>{c}</td>" for c, (_, num) in zip(row, heads)]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="grid {css}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def tiles(content: ReportContent) -> str:
    """Headline numbers: documents, pages, records, errors, warnings."""
    docs = content.documents
    numbers = [
        ("", len(docs), "文書 documents"),
        ("", sum(int(d["page_count"] or 0) for d in docs), "ページ pages"),
        ("", sum(int(d["record_count"] or 0) for d in docs), "レコード records"),
        ("err", sum(int(d["errors"] or 0) for d in docs), "エラー errors"),
        ("warn", sum(int(d["warnings"] or 0) for d in docs), "警告 warnings"),
    ]
    items = "".join(f'<div class="tile {cls}"><b>{n:,}</b><span>{escape(label)}</span></div>' for cls, n, label in numbers)
    return f'<div class="tiles">{items}</div>'


def summary_section(content: ReportContent) -> str:
    """Per document: status, pages, records, errors, warnings."""
    headers = [("ファイル file", False), ("種別 type", False), ("自治体", False), ("実績年度 FY", True),
               ("状態 status", False), ("ページ pages", True), ("レコード records", True),
               ("エラー errors", True), ("警告 warnings", True)]
    rows = []
    for d in content.documents:
        status = str(d["status"])
        name = text(d["file_name"])
        if int(d["errors"] or 0) or int(d["warnings"] or 0):
            name = f'<a href="#doc-{escape(str(d["document_id"])[:16])}">{name}</a>'
        if d.get("error"):
            name += f'<div class="note">{text(d["error"])}</div>'
        rows.append([
            name, text(d["doc_type"]), text(d["municipality"]), text(d["results_fiscal_year"]),
            badge(status, STATUS_LABELS.get(status, status)), f'{int(d["page_count"] or 0):,}',
            f'{int(d["record_count"] or 0):,}', f'{int(d["errors"] or 0):,}', f'{int(d["warnings"] or 0):,}',
        ])
    body = table(headers, rows, "docs") if rows else '<p class="empty">文書がありません / no documents in the warehouse</p>'
    return f'<section id="summary"><h2>概要 <small>Summary per document</small></h2>{tiles(content)}{body}</section>'


def check_counts_section(content: ReportContent) -> str:
    """How many times each check fired, with its meaning."""
    counts: dict[str, int] = {}
    for issue in content.issues:
        counts[issue["check_name"]] = counts.get(issue["check_name"], 0) + 1
    if not counts:
        return ('<section id="checks"><h2>検査結果 <small>Checks that fired</small></h2>'
                '<p class="empty">指摘はありません / no issues: every check passed</p></section>')
    rows = []
    for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        info = CHECKS.get(name)
        severity = info.severity if info else next(i["severity"] for i in content.issues if i["check_name"] == name)
        rows.append([f"<code>{escape(name)}</code>", badge(severity, SEVERITY_LABELS.get(severity, severity)),
                     escape(info.ja) if info else "", escape(info.en) if info else "", f"{n:,}"])
    headers = [("検査 check", False), ("重大度 severity", False), ("意味", False), ("meaning", False), ("件数 count", True)]
    return f'<section id="checks"><h2>検査結果 <small>Checks that fired</small></h2>{table(headers, rows)}</section>'


def detail(issue: dict[str, Any]) -> str:
    """The issue's own message, without the check's standard text when it only repeats it."""
    message = str(issue.get("message") or "")
    check = str(issue["check_name"])
    for prefix in (message_of(check), CHECKS[check].ja if check in CHECKS else None):
        if prefix and message.startswith(prefix):
            return message[len(prefix):].lstrip(":：/ ").strip()
    return message


def crop_html(issue: dict[str, Any]) -> str:
    """The crop of the source page, or why there is none."""
    note = issue.get("crop_note")
    caption = f"<figcaption>{text(note)}</figcaption>" if note else ""
    if issue.get("crop_png"):
        alt = f'{issue["file_name"]} p.{issue["page"]} {issue["record_key"] or ""}'
        return f'<figure><img src="{data_uri(issue["crop_png"])}" alt="{escape(alt)}">{caption}</figure>'
    return f'<div class="nocrop">{text(note) or "画像なし / no image"}</div>'


def issue_html(issue: dict[str, Any], number: int) -> str:
    """One flagged row as a card: where, which check (JA and EN), raw value, the crop."""
    check = str(issue["check_name"])
    info = CHECKS.get(check)
    severity = str(issue["severity"])
    page = "" if issue.get("page") is None else str(int(issue["page"]))
    ja = escape(info.ja) if info else text(issue.get("message"))
    en = escape(info.en) if info else ""
    rows = [
        ("文書 document", text(issue["file_name"])),
        ("ページ page", page or "—"),
        ("表 table", f'<code>{text(issue["table_name"])}</code>'),
        ("レコード record", text(issue["record_key"]) or "—"),
        ("列 column", f'<code>{text(issue["column_name"])}</code>' if text(issue["column_name"]) else "—"),
        ("印字値 raw value", f'<code class="raw">{text(issue["raw_value"])}</code>' if text(issue["raw_value"]) else "（空欄 blank）"),
    ]
    extra = detail(issue) if info else ""
    if extra and extra != f"{issue['column_name']} = {issue['raw_value']!r}":
        rows.append(("詳細 detail", escape(extra)))
    dl = "".join(f"<dt>{escape(k)}</dt><dd>{v}</dd>" for k, v in rows)
    attrs = {
        "id": f"issue-{number}",
        "data-document": str(issue["file_name"]),
        "data-page": page,
        "data-table": str(issue["table_name"] or ""),
        "data-record-key": str(issue["record_key"] or ""),
        "data-check": check,
        "data-severity": severity,
    }
    attr_html = " ".join(f'{k}="{escape(v)}"' for k, v in attrs.items())
    head = (f'{badge(severity, SEVERITY_LABELS.get(severity, severity))} <code>{escape(check)}</code>'
            f' <span>p.{escape(page or "—")} · {text(issue["table_name"])}</span>')
    return (f'<article class="issue {escape(severity)}" {attr_html}><div><div class="head">{head}</div>'
            f'<p class="ja">{ja}</p><p class="en">{en}</p><dl>{dl}</dl></div>{crop_html(issue)}</article>')


def issues_section(content: ReportContent) -> str:
    """Every flagged row, grouped by document."""
    if not content.issues:
        return ('<section id="issues"><h2>指摘一覧 <small>Flagged rows</small></h2>'
                '<p class="empty">指摘はありません / nothing was flagged</p></section>')
    parts = ['<section id="issues"><h2>指摘一覧 <small>Flagged rows, with the source cell boxed in red</small></h2>']
    current = None
    for number, issue in enumerate(content.issues, start=1):
        if issue["document_id"] != current:
            current = issue["document_id"]
            n = sum(1 for i in content.issues if i["document_id"] == current)
            parts.append(f'<h3 id="doc-{escape(str(current)[:16])}">{text(issue["file_name"])} <small>{n:,} 件 issues</small></h3>')
        parts.append(issue_html(issue, number))
    parts.append("</section>")
    return "".join(parts)


def plots_section(section_id: str, title: str, subtitle: str, plots: list[Plot], empty: str) -> str:
    """A section of figures."""
    body = "".join(
        f'<div class="plot" id="{escape(p.anchor)}"><h3>{escape(p.title)}</h3>'
        f"{p.svg}</div>"
        for p in plots
    ) or f'<p class="empty">{escape(empty)}</p>'
    return f'<section id="{section_id}"><h2>{escape(title)} <small>{escape(subtitle)}</small></h2>{body}</section>'


MAX_CHANGE_ROWS = 200  # rows per table of the changes section; the rest is counted


def _number(value: Any) -> str:
    """A number with thousands separators ('' for NULL / NaN); anything else as escaped text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,}"
    return escape(str(value))


# (section key, columns: (key, header, numeric))
CHANGE_COLUMNS: dict[str, list[tuple[str, str, bool]]] = {
    "new_projects": [("project_code", "事業コード code", False), ("project_name", "事業名 project", False),
                     ("policy_code", "施策 policy", False), ("department", "部署 department", False)],
    "vanished_projects": [("project_code", "事業コード code", False), ("project_name", "事業名 project", False),
                          ("policy_code", "施策 policy", False), ("department", "部署 department", False)],
    "budget_changes": [("project_code", "事業コード code", False), ("project_name", "事業名 project", False),
                       ("label", "列 column", False), ("change", "変化 change", False),
                       ("from_total_cost", "旧版の事業費 from", True), ("to_total_cost", "新版の事業費 to", True),
                       ("difference", "差 difference", True), ("changed_columns", "変わった列 changed", False)],
    "revised_values": [("source", "出典 source", False), ("project_code", "事業コード code", False),
                       ("level", "階層 level", False), ("name", "指標・KPI", False), ("kind", "区分 kind", False),
                       ("fiscal_year", "年度 FY", True), ("from_text", "旧版 from", True), ("to_text", "新版 to", True)],
    "pending_to_number": [("source", "出典 source", False), ("project_code", "事業コード code", False),
                          ("level", "階層 level", False), ("name", "指標・KPI", False), ("kind", "区分 kind", False),
                          ("fiscal_year", "年度 FY", True), ("from_text", "旧版 from", False), ("to_text", "新版 to", True)],
    "new_kpis": [("goal_no", "基本目標 goal", True), ("kpi_name", "KPI名 KPI", False), ("unit", "単位 unit", False),
                 ("department", "担当 department", False)],
}


def changes_section(content: ReportContent) -> str:
    """Changes between the two newest editions of each municipality's documents (only when there are two)."""
    from hyoka.warehouse.changes import SECTIONS

    if not content.changes:
        return ""
    parts = ['<section id="changes"><h2>版の間の変化 <small>Changes between editions</small></h2>']
    for change in content.changes:
        municipalities = sorted({e["municipality"] for e in change.editions})
        heading = f"{era_label(change.from_year)} ({change.from_year}) → {era_label(change.to_year)} ({change.to_year})"
        parts.append(f'<div class="changes" data-from="{change.from_year}" data-to="{change.to_year}">'
                     f'<h3>{escape(heading)} <small>{escape("、".join(m for m in municipalities if m))}</small></h3>')
        counts = "".join(
            f'<div class="tile"><b>{len(change.sections.get(key, [])):,}</b><span>{escape(ja)} {escape(en)}</span></div>'
            for key, ja, en in SECTIONS
        )
        parts.append(f'<div class="tiles">{counts}</div>')
        several = len(municipalities) > 1
        for key, ja, en in SECTIONS:
            rows = change.sections.get(key, [])
            if not rows:
                continue
            columns = ([("municipality", "自治体", False)] if several else []) + CHANGE_COLUMNS[key]
            body = []
            for row in rows[:MAX_CHANGE_ROWS]:
                cells = []
                for column, _header, numeric in columns:
                    value = row.get(column)
                    if isinstance(value, (list, tuple)):
                        value = ", ".join(map(str, value))
                    cells.append(_number(value) if numeric and not isinstance(value, str) else text(value))
                body.append(cells)
            more = len(rows) - MAX_CHANGE_ROWS
            note = f'<p class="note">ほか {more:,} 行 / {more:,} more rows: hyoka changes --from {change.from_year} --to {change.to_year}</p>' if more > 0 else ""
            parts.append(f'<h3 data-section="{key}">{escape(ja)} <small>{escape(en)} · {len(rows):,}</small></h3>'
                         f'{table([(h, n) for _k, h, n in columns], body)}{note}')
        parts.append("</div>")
    parts.append("</section>")
    return "".join(parts)


def policy_section() -> str:
    """The severity policy and every check hyoka runs."""
    rows = [[f"<code>{escape(name)}</code>", badge(info.severity, SEVERITY_LABELS.get(info.severity, info.severity)),
             escape(info.ja), escape(info.en)] for name, info in CHECKS.items()]
    headers = [("検査 check", False), ("重大度 severity", False), ("意味", False), ("meaning", False)]
    policy = (
        "<p><b>エラー error</b>: 値が誤っているか読めない（合計が合わない、数値として読めない、キーがない）。"
        " A value is wrong or unreadable.</p>"
        "<p><b>警告 warning</b>: 人の確認が必要だが正しい可能性もある（ページ間の差異、急な変化）。"
        " Worth a look, may be right.</p>"
        "<p>指摘された行もそのまま（印字テキストとともに）取り込まれます。 Flagged rows are still loaded with their raw text:"
        " nothing is dropped.</p>"
    )
    return (f'<section id="policy" class="policy"><h2>検査の一覧と重大度 <small>Checks and severity policy</small></h2>'
            f"{policy}{table(headers, rows)}</section>")


def render(content: ReportContent, font_css: str = "") -> str:
    """The whole page."""
    notes = "".join(f'<p class="note">{escape(n)}</p>' for n in content.notes)
    body = "".join([
        summary_section(content),
        check_counts_section(content),
        issues_section(content),
        plots_section("plots", "事業のグラフ", "Budget by fiscal year and stage; indicators: actuals against target",
                      content.project_plots, "グラフにできる事業のデータがありません / no project data to plot"),
        plots_section("kpis", "総合戦略KPIのグラフ", "KPI actuals against target",
                      content.kpi_plots, "KPI一覧の取込はありません / no KPI list loaded") if content.kpi_plots else "",
        changes_section(content),
        notes,
        policy_section(),
    ])
    nav_items = [("#summary", "概要 Summary"), ("#checks", "検査 Checks"), ("#issues", "指摘 Issues"), ("#plots", "グラフ Plots")]
    if content.kpi_plots:
        nav_items.append(("#kpis", "KPI"))
    if content.changes:
        nav_items.append(("#changes", "版の変化 Changes"))
    nav_items.append(("#policy", "重大度 Severity"))
    nav = "".join(f'<a href="{href}">{escape(label)}</a>' for href, label in nav_items)
    return f"""<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hyoka 検証レポート / validation report</title>
<style>
{font_css}{CSS}</style>
</head>
<body>
<header class="top"><h1>検証レポート <small style="font-weight:normal;font-size:16px">hyoka validation report</small></h1>
<div class="meta">warehouse: {escape(content.db_path)} · 作成 generated {escape(content.generated_at)} · hyoka {escape(content.version)}</div></header>
<nav>{nav}</nav>
<main>{body}</main>
<footer>hyoka {escape(content.version)} · このファイルだけで閲覧できます（ネットワーク不要） / self-contained: no network needed</footer>
</body>
</html>
"""
