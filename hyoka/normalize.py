"""Pure text normalisation for Japanese municipal evaluation sheets.

Everything here is a pure function over strings (no I/O) so extractors can share
one definition of "the same label", "a fiscal year" and "a printed number".
The guiding rule: fold only what cannot change meaning (full-width ASCII,
U+3000, half-width katakana) and keep everything else exactly as printed.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal, TypeVar, cast
from collections.abc import Callable, Iterator

__all__ = [
    "BUDGET_STAGES",
    "ERAS",
    "PLACEHOLDERS",
    "FiscalYearSpan",
    "NumberStatus",
    "ParsedNumber",
    "blank_to_none",
    "clean_text",
    "digits_only",
    "era_label",
    "era_year",
    "find_all_fiscal_years",
    "find_fiscal_year",
    "fold_width",
    "is_placeholder",
    "normalize_label",
    "parse_number",
    "parse_stage_label",
    "split_bracketed",
]

# ---------------------------------------------------------------------------
# Memoising
# ---------------------------------------------------------------------------

# Extractors call these for every cell they look at, and a document repeats its labels and
# figures many times (one test run: 46,602 normalize_label calls on 689 distinct labels).
# Each function is pure over strings and returns an immutable value, so a bounded cache
# answers repeats without changing a result.
_CACHE_SIZE = 1 << 14
_F = TypeVar("_F", bound=Callable[..., object])


def _memoised(function: _F) -> _F:
    """`function` with a bounded cache (keyed by type too, so '1' and a str subclass stay apart)."""
    return cast(_F, functools.lru_cache(maxsize=_CACHE_SIZE, typed=True)(function))


# ---------------------------------------------------------------------------
# Width folding
# ---------------------------------------------------------------------------

# Full-width ASCII U+FF01..U+FF5E sits exactly 0xFEE0 above ASCII, and NFKC maps
# each one to that ASCII character; U+3000 (ideographic space) is NFKC ' '.
# Both maps are one character to one character, so offsets survive folding.
_FULLWIDTH_ASCII_TABLE: dict[int, int] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH_ASCII_TABLE[0x3000] = 0x20

# A run of half-width katakana (incl. ｡｢｣､･ｰ and the sound marks ﾞﾟ). Runs are
# NFKC'd together so that ｶﾞ composes to ガ rather than カ + a combining mark.
_HALFWIDTH_KATAKANA_RUN_RE = re.compile("[\uff61-\uff9f]+")

# A sound mark that had no base to compose with stays visible as the spacing
# form (゛゜) instead of a combining mark that would glue onto the previous char.
_COMBINING_SOUND_MARKS = str.maketrans({"\u3099": "\u309b", "\u309a": "\u309c"})


def _fold_ascii(text: str) -> str:
    """Full-width ASCII and U+3000 to ASCII; length-preserving, used for offsets."""
    return text.translate(_FULLWIDTH_ASCII_TABLE)


def _fold_katakana_run(match: re.Match[str]) -> str:
    """NFKC of one run of half-width katakana, sound marks kept visible."""
    return unicodedata.normalize("NFKC", match.group()).translate(_COMBINING_SOUND_MARKS)


@_memoised
def fold_width(text: str) -> str:
    """Fold full-width ASCII, U+3000 and half-width katakana; leave every other character as printed."""
    # NFKC on the whole string would also turn ① into 1 and ㈱ into (株): meaning changes.
    return _HALFWIDTH_KATAKANA_RUN_RE.sub(_fold_katakana_run, _fold_ascii(text))


# ---------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------

# All Unicode whitespace (incl. U+3000 and newlines) plus zero-width characters:
# 均等割付 labels such as '事　業　費' are spread with spaces PDFs may render as either.
_INVISIBLE_RE = re.compile("[\\s\u200b\u200c\u200d\u2060\ufeff]+")

# Dash-like characters a label may be printed with (ー U+30FC is a kana, not a dash).
_LABEL_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2500\ufe58\ufe63"
# Wave dash / tildes: 〜 (U+301C) and ～ (U+FF5E) are the same Shift_JIS glyph.
_LABEL_TILDES = "\u301c\u223c"

_LABEL_TABLE = str.maketrans(
    {
        **{c: "-" for c in _LABEL_DASHES},
        **{c: "~" for c in _LABEL_TILDES},
        **{chr(cp): chr(cp + 32) for cp in range(ord("A"), ord("Z") + 1)},  # ASCII-only lowercase
    }
)


@_memoised
def normalize_label(text: str) -> str:
    """Key for comparing header labels: width-folded, no whitespace, ()/-/~ unified, ASCII lowercased."""
    # Whitespace goes first so a space inside a half-width run (ｶ ﾞ) cannot change how it composes.
    return fold_width(_INVISIBLE_RE.sub("", text)).translate(_LABEL_TABLE)


# ---------------------------------------------------------------------------
# Fiscal years
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FiscalYearSpan:
    """A fiscal year (or range of them) found in text."""

    start: int  # Japanese fiscal year (April-March), named by the Gregorian year it starts in
    end: int  # == start for a single year
    text: str  # the matched substring as printed


# Gregorian year of year 1 (元年) of each era, by name and by its initial.
ERAS: dict[str, int] = {
    "明治": 1868,
    "大正": 1912,
    "昭和": 1926,
    "平成": 1989,
    "令和": 2019,
    "M": 1868,
    "T": 1912,
    "S": 1926,
    "H": 1989,
    "R": 2019,
}


def era_year(era: str, year_in_era: int) -> int:
    """Gregorian year of year `year_in_era` of `era` (令和, 3 -> 2021)."""
    base = ERAS.get(fold_width(era).strip())
    if base is None:
        raise ValueError(f"unknown era: {era!r}")
    if year_in_era < 1:
        raise ValueError(f"year in era must be >= 1, got {year_in_era}")
    # No upper bound: plans drafted before 2019 print e.g. 平成32年度 for 2020.
    return base + year_in_era - 1


# (first year, name, initial) of each era, newest first: ERAS read the other way round.
_ERA_STARTS: tuple[tuple[int, str, str], ...] = tuple(sorted(
    ((start, name, initial) for name, start in ERAS.items() if len(name) > 1
     for initial, same in ERAS.items() if len(initial) == 1 and same == start),
    reverse=True,
))


def era_label(year: int, *, long: bool = False) -> str:
    """The 和暦 label of a fiscal year: 'R4' (long: '令和4年度'); the inverse of `era_year`.

    An era's first year is 元, as the documents print it (2019 → 'R元' / '令和元年度', 1989 →
    'H元'). A year before 明治 has no era label: it comes back as its Gregorian number.
    """
    for start, name, initial in _ERA_STARTS:
        if year >= start:
            n = year - start + 1
            number = "元" if n == 1 else str(n)
            return f"{name}{number}年度" if long else f"{initial}{number}"
    return str(year)


# All year patterns run on _fold_ascii(text), so ２/Ｒ/（ are already ASCII.
_HSPACE = r"[ \t]*"
# Era name; an initial only counts when no ASCII letter/digit precedes it (not KPI, AR3).
_ERA_NAME = rf"(?:(?P<kanji>明治|大正|昭和|平成|令和){_HSPACE}|(?<![A-Za-z0-9_])(?P<letter>[MTSHR]))"
# Year within the era: 元 or 1-2 digits not followed by more digits/letters (not R123, H2O);
# an annotation like (2021) is swallowed only when 年 follows it; then an optional 年度/年.
_ERA_NUMBER = (
    rf"(?P<num>元|[0-9]{{1,2}})(?![0-9A-Za-z])"
    rf"(?:{_HSPACE}\([^()\n]{{1,12}}\)(?={_HSPACE}年))?"
    rf"(?:{_HSPACE}(?P<esuf>年度|年))?"
)
# Gregorian year 19xx/20xx with an optional FY prefix, (R3)-style note and 年度 suffix;
# validity (needs FY or 年度 somewhere) is checked in code since bare 2021 is usually an amount.
_GREGORIAN = (
    rf"(?:(?<![A-Za-z])(?P<fy>FY){_HSPACE})?(?<![0-9])(?P<gyear>(?:19|20)[0-9]{{2}})(?![0-9])"
    rf"(?:{_HSPACE}\([^()\n]{{1,12}}\))?"
    rf"(?:{_HSPACE}(?P<gsuf>年度))?"
)
# Start of any year expression: era form or Gregorian form, leftmost wins.
_HEAD_RE = re.compile(rf"{_ERA_NAME}{_ERA_NUMBER}|{_GREGORIAN}")
# Second half of an era range: the era may be omitted (令和2-6年度).
_ERA_TAIL_RE = re.compile(rf"{_ERA_NAME}?{_ERA_NUMBER}")
# Second half of a Gregorian range (2020-2024年度).
_GREGORIAN_TAIL_RE = re.compile(_GREGORIAN)
# Range separator: hyphen/dash family, ~ (folded ～), wave dash 〜, ∼.
_RANGE_SEP_RE = re.compile(rf"{_HSPACE}[-~\u301c\u223c\u2010\u2011\u2012\u2013\u2014\u2015\u2212]{_HSPACE}")


def _era_match_year(match: re.Match[str], default_era: str | None = None) -> int:
    """The Gregorian year an era match names (its era, or `default_era` for a bare tail)."""
    era = match.group("kanji") or match.group("letter") or default_era
    assert era is not None  # the head pattern always names an era
    num = match.group("num")
    return era_year(era, 1 if num == "元" else int(num))


def _era_span(folded: str, head: re.Match[str]) -> tuple[int, int, int]:
    """(start year, end year, end offset) of an era expression, extended by a range tail."""
    start = _era_match_year(head)
    sep = _RANGE_SEP_RE.match(folded, head.end())
    tail = _ERA_TAIL_RE.match(folded, sep.end()) if sep else None
    # An era-less tail needs 年 (令和2-6年度) so that item numbers like R3-1 stay single years.
    if tail and (tail.group("kanji") or tail.group("letter") or tail.group("esuf")):
        end = _era_match_year(tail, head.group("kanji") or head.group("letter"))
        if end >= start:
            return start, end, tail.end()
    return start, start, head.end()


def _gregorian_span(folded: str, head: re.Match[str]) -> tuple[int, int, int] | None:
    """Like _era_span for 2021年度 / FY2021 / 2020-2024年度; None when no FY or 年度 marks it as a year."""
    start = int(head.group("gyear"))
    head_marked = bool(head.group("fy") or head.group("gsuf"))
    sep = _RANGE_SEP_RE.match(folded, head.end())
    tail = _GREGORIAN_TAIL_RE.match(folded, sep.end()) if sep else None
    if tail:
        end = int(tail.group("gyear"))
        if end >= start and (head_marked or tail.group("fy") or tail.group("gsuf")):
            return start, end, tail.end()
    return (start, start, head.end()) if head_marked else None


def _iter_fiscal_years(text: str) -> Iterator[FiscalYearSpan]:
    """Each fiscal-year expression in `text`, left to right."""
    folded = _fold_ascii(text)  # same length as text, so offsets slice the printed text
    pos = 0
    while (head := _HEAD_RE.search(folded, pos)) is not None:
        found = _gregorian_span(folded, head) if head.group("gyear") else _era_span(folded, head)
        if found is None:
            # An unmarked 2021 is not a year, but 2021(R3) may still hold one: rescan just after it.
            pos = head.start() + 1
            continue
        start, end, stop = found
        yield FiscalYearSpan(start=start, end=end, text=text[head.start() : stop])
        pos = stop


@_memoised
def find_fiscal_year(text: str) -> FiscalYearSpan | None:
    """The first Japanese fiscal-year expression in `text` (令和元年度, R3, 平成28-30年度, 2021年度), or None."""
    return next(_iter_fiscal_years(text), None)


# a year printed without its era: 1–2 digits and 年度, not after an era name or another digit
_ERALESS_YEAR_RE = re.compile(r"(?<![0-9０-９A-Za-zＡ-Ｚａ-ｚ])([0-9０-９]{1,2}\s*年度)")


def with_era(text: str, era: str) -> str:
    """`text` with `era` written before its first year printed without one (20年度決算 → 平成20年度決算).

    A document may print its years without an era (神戸's 平成25年度 book: `20年度決算`); its
    template names the era. A text that names a year of its own is left as it is.
    """
    if not era or not text or find_fiscal_year(text) is not None:
        return text
    return _ERALESS_YEAR_RE.sub(lambda m: era + m.group(1), text, count=1)


def find_all_fiscal_years(text: str) -> list[FiscalYearSpan]:
    """Every fiscal-year expression in `text`, in order, non-overlapping."""
    return list(_all_fiscal_years(text))  # a new list each call: the caller may change it


@_memoised
def _all_fiscal_years(text: str) -> tuple[FiscalYearSpan, ...]:
    """Every fiscal-year expression in `text`, as a tuple (cached)."""
    return tuple(_iter_fiscal_years(text))


# ---------------------------------------------------------------------------
# Budget row labels
# ---------------------------------------------------------------------------

BUDGET_STAGES: tuple[str, ...] = ("決算見込", "当初予算", "補正予算", "予算", "決算", "見込", "予算現額", "予算案")

# Leftmost stage word; alternatives longest first so 決算見込 beats 決算 at the same spot.
_STAGE_RE = re.compile("|".join(re.escape(s) for s in sorted(BUDGET_STAGES, key=len, reverse=True)))


@_memoised
def parse_stage_label(text: str) -> tuple[FiscalYearSpan | None, str | None]:
    """Fiscal year and budget stage of a row label (R3決算見込 -> (2021, '決算見込'))."""
    if not text:
        return None, None
    compact = _INVISIBLE_RE.sub("", text)
    # Try the printed text first (keeps 'KPI R3' apart), then without spaces for 令 和 3 年 度.
    span = find_fiscal_year(text) or find_fiscal_year(compact)
    stage = _STAGE_RE.search(compact)
    return span, stage.group() if stage else None


# ---------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------

NumberStatus = Literal["value", "empty", "placeholder", "invalid"]

# Marks printed in a cell that means "no figure" (not zero). Only dash-like marks
# and slashes; ○ △ × * … carry other meanings on evaluation sheets.
PLACEHOLDERS: frozenset[str] = frozenset(
    {
        "-",  # U+002D hyphen-minus
        "\uff0d",  # － full-width hyphen-minus, the usual 該当なし mark
        "\u2010",  # ‐ hyphen
        "\u2011",  # ‑ non-breaking hyphen
        "\u2012",  # ‒ figure dash
        "\u2013",  # – en dash
        "\u2014",  # — em dash
        "\u2015",  # ― horizontal bar (JIS 全角ダッシュ)
        "\u2212",  # − minus sign
        "\u2500",  # ─ box-drawing line, some generators draw the dash with it
        "\ufe63",  # ﹣ small hyphen-minus
        "\u30fc",  # ー katakana prolonged sound mark, often typed for a dash
        "\uff70",  # ｰ half-width prolonged sound mark
        "/",  # U+002F slash: 斜線, not applicable
        "\uff0f",  # ／ full-width slash
    }
)


@dataclass(frozen=True)
class ParsedNumber:
    """A printed cell value and what it means."""

    raw: str  # input exactly as given ('' for None)
    status: NumberStatus  # 'value' | 'empty' | 'placeholder' | 'invalid'
    value: float | int | None
    percent: bool = False  # a % / ％ sign was present (value is kept in percent units: '77.8%' -> 77.8)
    text: str = ""  # the number part as printed, stripped (e.g. '1,234', '77.8%')


# A number after _fold_ascii and whitespace collapsing: optional sign (△▲ are the
# Japanese accounting minus), integer part with consistent ',' or ' ' grouping in
# threes or no grouping, optional decimals, optional trailing %.
_NUMBER_RE = re.compile(
    r"(?P<sign>[-+\u2212\u25b3\u25b2])? ?"
    r"(?P<int>[0-9]{1,3}(?: ?, ?[0-9]{3})+|[0-9]{1,3}(?: [0-9]{3})+|[0-9]+)"
    r"(?:\.(?P<frac>[0-9]+))?"
    r" ?(?P<pct>%)?"
)
# Any whitespace run, collapsed to one space before matching the number grammar.
_WHITESPACE_RE = re.compile(r"\s+")
_NEGATIVE_SIGNS = frozenset("-\u2212\u25b3\u25b2")


def blank_to_none(text: str | None) -> str | None:
    """Stripped text, or None when nothing is left."""
    if text is None:
        return None
    return text.strip() or None


@_memoised
def is_placeholder(text: str | None) -> bool:
    """True when the cell holds only dash-like marks or slashes (－, ―, ／, ――)."""
    if text is None:
        return False
    marks = _INVISIBLE_RE.sub("", text)
    return bool(marks) and all(c in PLACEHOLDERS for c in marks)


def _number_value(match: re.Match[str], negative: bool) -> float | int | None:
    """The value of a matched number (None when it is no finite figure)."""
    digits = match.group("int").replace(",", "").replace(" ", "")
    frac = match.group("frac")
    try:
        value: float | int = float(f"{digits}.{frac}") if frac else int(digits)
    except ValueError:  # int() refuses > 4300 digits: not a figure anyone printed
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return -value if negative else value


# Any line break style; PDF text may mix \r\n and \n.
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")

# A figure wrapped inside its narrow cell: '430,77' on one line and '7' on the next. The cut
# shows in the first line, whose last comma group is short; lines of digits alone follow.
_CUT_FIGURE_RE = re.compile(r"[0-9],[0-9]{0,2}$")
_DIGITS_LINE_RE = re.compile(r"^[0-9,]+(?:\.[0-9]+)?%?$")


def join_wrapped_figure(text: str) -> str:
    """'430,77\n7' → '430,777'; anything else (two stacked figures, words) as it was."""
    lines = [line.strip() for line in _LINE_BREAK_RE.split(text)]
    if len(lines) < 2 or not _CUT_FIGURE_RE.search(lines[0]) or not all(_DIGITS_LINE_RE.match(li) for li in lines[1:]):
        return text
    return "".join(lines)


@_memoised
def parse_number(text: str | None) -> ParsedNumber:
    """Parse a printed figure ('1,669', '△1,200', '77.8%', '－', blank); never raises."""
    raw = "" if text is None else text
    printed = raw.strip()
    if not printed:
        return ParsedNumber(raw=raw, status="empty", value=None)
    if is_placeholder(printed):
        return ParsedNumber(raw=raw, status="placeholder", value=None, text=printed)
    invalid = ParsedNumber(raw=raw, status="invalid", value=None, text=printed)
    body = _WHITESPACE_RE.sub(" ", join_wrapped_figure(_fold_ascii(printed))).strip()
    parenthesised = len(body) >= 2 and body[0] == "(" and body[-1] == ")"
    if parenthesised:  # accounting style (1,200) = -1,200
        body = body[1:-1].strip()
    match = _NUMBER_RE.fullmatch(body)
    if match is None or (parenthesised and match.group("sign")):
        return invalid
    negative = parenthesised or match.group("sign") in _NEGATIVE_SIGNS
    value = _number_value(match, negative)
    if value is None:
        return invalid
    return ParsedNumber(raw=raw, status="value", value=value, percent=bool(match.group("pct")), text=printed)


# A figure printed with a second one in brackets (京都: 326,800（0） = 経費 with its 一般財源),
# full- and half-width brackets mixed in one cell (1,418（0)).
_BRACKETED_RE = re.compile(r"^\s*(?P<main>[^()（）]*?[0-9０-９][^()（）]*?)\s*[(（]\s*(?P<inner>[^()（）]*?)\s*[)）]\s*$")


@_memoised
def split_bracketed(text: str) -> tuple[str, str | None]:
    """'326,800（0）' → ('326,800', '0'): the figure and the one in brackets (None when there is none)."""
    found = _BRACKETED_RE.match(text or "")
    if found is None:
        return text, None
    return found.group("main"), found.group("inner")


# ---------------------------------------------------------------------------
# Free text
# ---------------------------------------------------------------------------



@_memoised
def clean_text(text: str | None) -> str | None:
    """Printed text with trailing spaces per line and blank edge lines removed; None if nothing is left."""
    if text is None:
        return None
    lines = [line.rstrip() for line in _LINE_BREAK_RE.split(text)]
    # Leading indentation (字下げ) and inner blank lines are part of the printed text: kept.
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) or None


_NOT_DIGIT_RE = re.compile(r"[^0-9]")


@_memoised
def digits_only(text: str) -> str:
    """The ASCII digits of `text` after width folding ('12 11 01' -> '121101')."""
    return _NOT_DIGIT_RE.sub("", fold_width(text))


# Trailing qualifiers that say how an indicator is counted, not what it is: （各年度件数）, (累計数).
_TRAILING_QUALIFIER = re.compile(r"\([^()]*\)$")


@_memoised
def indicator_key(name: str | None) -> str:
    """A name key for matching one indicator across documents: label-normalized, without ※ remarks and trailing (…) qualifiers."""
    key = normalize_label((name or "").split("※")[0])
    while True:
        stripped = _TRAILING_QUALIFIER.sub("", key)
        if stripped == key or not stripped:
            return key
        key = stripped
