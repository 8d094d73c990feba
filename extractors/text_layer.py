"""Whether a page's text layer can be read: the share of its characters no Japanese sheet prints.

A PDF whose fonts lack a usable Unicode map (no ToUnicode, or a broken one) still has a
text layer, and both readers read it: every glyph comes out as a junk code point, so a
page looks like text and only its labels fail to match. Such a page must stop the
document with its reason, never pass as data (`hyoka.extractors.registry`).

A character is *readable* when it is one a Japanese sheet prints: the repertoire of the
Japanese character sets (JIS X 0208/0213: ASCII and Latin-1, Greek, Cyrillic, kana,
kanji with their extensions and compatibility forms, full- and half-width forms), the
punctuation, symbols, enclosed and box-drawing characters sheets use. Unreadable: the
private use areas, control characters, unassigned code points, the replacement
character and pdfminer's `(cid:N)` (a code with no mapping at all), and scripts a
Japanese sheet does not print (Arabic, Devanagari, Hangul…), which is where a font's raw
glyph ids land when they are taken for code points. Blanks count neither way.

A page is garbled when most of its printed characters are unreadable, or when it prints
no Japanese letter at all (kana, kanji) and some of them are: a simple font's codes
taken as they are read as ASCII and control characters, which an English page never
prints. A cover page with a few private-use logos still has its kanji.
"""

from __future__ import annotations

import functools
import unicodedata
from bisect import bisect_right
from collections import Counter
from operator import itemgetter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# (first, last) code points a Japanese sheet prints, sorted, not overlapping
READABLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1: ×, ÷, °, ±, §, ¥
    (0x0391, 0x03C9),  # Greek (JIS X 0208 row 6)
    (0x0401, 0x0451),  # Cyrillic (row 7)
    (0x2000, 0x2BFF),  # punctuation, letterlike, number forms (Ⅰ), arrows, maths, ①, box drawing, shapes (○●□△), symbols
    (0x2E80, 0x2FDF),  # CJK and Kangxi radicals (fonts that map 一 to ⼀)
    (0x3000, 0x30FF),  # CJK punctuation (、。「」), hiragana, katakana
    (0x3190, 0x31FF),  # kanbun, CJK strokes, katakana extensions
    (0x3200, 0x4DBF),  # enclosed CJK (㈱), compatibility (㎡), CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF01, 0xFFEF),  # full-width and half-width forms
    (0x1F100, 0x1F2FF),  # enclosed alphanumerics and ideographs supplement (🄰, 🈀)
    (0x20000, 0x3134F),  # CJK extensions B–G (JIS X 0213 plane 2 kanji)
)
_STARTS = [first for first, _ in READABLE_RANGES]
# kana and kanji: a page that prints none is no Japanese sheet
JAPANESE_RANGES: tuple[tuple[int, int], ...] = (
    (0x3041, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0xFF66, 0xFF9F), (0x20000, 0x3134F),
)
# inside the ranges above, yet never printed: unassigned, control, private (Co is outside anyway)
_NOT_PRINTED = frozenset(("Cn", "Cc", "Cs", "Co"))


def is_readable(text: str) -> bool:
    """Whether one character (as a reader gives it) is one a Japanese sheet prints."""
    if len(text) != 1:  # pdfminer's "(cid:N)": a code mapped to nothing
        return False
    code = ord(text)
    i = bisect_right(_STARTS, code) - 1
    return i >= 0 and code <= READABLE_RANGES[i][1] and unicodedata.category(text) not in _NOT_PRINTED


def is_japanese(text: str) -> bool:
    """Whether one character is kana or kanji."""
    code = ord(text) if len(text) == 1 else -1
    return any(first <= code <= last for first, last in JAPANESE_RANGES)


@dataclass(frozen=True)
class TextLayerSettings:
    """When a page's text layer is garbled."""

    max_unreadable_share: float = 0.5  # more of a page's printed characters unreadable than this: garbled
    max_unreadable_share_without_japanese: float = 0.1  # the same on a page with no kana or kanji
    min_printed: int = 20  # a page printing fewer characters tells too little to judge

    def __post_init__(self) -> None:
        for name in ("max_unreadable_share", "max_unreadable_share_without_japanese"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{name} must be at least 0 and below 1, not {value!r}")
        if self.min_printed < 1:
            raise ValueError(f"min_printed must be at least 1, not {self.min_printed!r}")


DEFAULT_TEXT_LAYER = TextLayerSettings()


@dataclass(frozen=True)
class TextCount:
    """A page's printed (not blank) characters: how many are unreadable, how many Japanese letters."""

    printed: int = 0
    unreadable: int = 0
    japanese: int = 0

    @property
    def share(self) -> float:
        """The unreadable share of the printed characters (0 for a page with none)."""
        return self.unreadable / self.printed if self.printed else 0.0

    def garbled(self, settings: TextLayerSettings = DEFAULT_TEXT_LAYER) -> bool:
        """Whether the page's text is not a Japanese sheet's: mostly unreadable, or unreadable and no kana or kanji."""
        if self.printed < settings.min_printed:
            return False
        limit = settings.max_unreadable_share if self.japanese else settings.max_unreadable_share_without_japanese
        return self.share > limit


_TEXT = itemgetter("text")


@functools.lru_cache(maxsize=1 << 16)
def _judged(text: str) -> tuple[bool, bool, bool]:
    """Whether a character is printed (not blank), readable and Japanese: judged once per process,
    as every page repeats the same few thousand characters."""
    printed = bool(text) and not text.isspace()
    return printed, printed and is_readable(text), printed and is_japanese(text)


def count_text(chars: Iterable[dict[str, Any]]) -> TextCount:
    """Count a page's printed characters and the unreadable ones among them."""
    printed = unreadable = japanese = 0
    for text, n in Counter(map(_TEXT, chars)).items():  # a page repeats its characters: judge each once
        is_printed, readable, is_kana_or_kanji = _judged(text)
        if not is_printed:
            continue
        printed += n
        unreadable += 0 if readable else n
        japanese += n if is_kana_or_kanji else 0
    return TextCount(printed, unreadable, japanese)
