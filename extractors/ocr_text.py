"""What OCR read, made like a text layer: corrected text, placed chars, and the confidence of each value.

Pure Python (no image library): the registry uses it for every document, and the OCR
itself (`hyoka.extractors.ocr`) only where a page has no text layer.

- `correct_text`: the common confusions of a Chinese-trained recognizer on Japanese
  sheets (值 for 値, 圈 for 圏; 一 for the long vowel mark ー after katakana; O and l in
  a figure) made right, so that a label matches and a number parses.
- `snap_label`: a cell's text within a small edit distance of a label the active templates
  look for becomes that label (a label misread by one character still anchors its values).
- `segment_chars`: a recognized segment as chars spread over its box, so that
  `hyoka.extractors.grid` joins lines and cells exactly as it does a text layer's.
- `attach_confidence` / `low_confidence_findings`: after the templates have read a
  scanned page, each value read from it carries the lowest confidence of the OCR text
  in its cell (`Record.confidence`), and a number read with less than the threshold is
  a finding (`ocr_low_confidence`), never a silent guess.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, fields, is_dataclass
from collections.abc import Iterable, Iterator
from typing import Any

from hyoka.extractors.records import Extraction, IssueRecord, Record
from hyoka.normalize import normalize_label

PointBox = tuple[float, float, float, float]  # x0, top, x1, bottom

# A number read by OCR with less confidence than this is flagged (the recognizer's score,
# 0-1: clean 200-dpi figures score above 0.98).
LOW_CONFIDENCE = 0.9

# Characters a Chinese-trained recognizer gives for their Japanese forms. Only forms that
# a Japanese sheet never prints, so the mapping cannot spoil a right reading.
CHINESE_FORMS = str.maketrans({
    "值": "値", "圈": "圏", "别": "別", "览": "覧", "检": "検", "际": "際", "对": "対", "关": "関",
    "实": "実", "图": "図", "进": "進", "计": "計", "设": "設", "发": "発", "应": "応", "评": "評",
    "价": "価", "务": "務", "业": "業", "费": "費", "财": "財", "种": "種", "况": "況", "说": "説",
    "书": "書", "类": "類", "时": "時", "间": "間", "问": "問", "题": "題", "场": "場", "织": "織",
    "经": "経", "营": "営", "执": "執", "续": "続", "环": "環", "护": "護", "补": "補",
    "负": "負", "预": "預", "员": "員", "职": "職", "达": "達", "见": "見",
    "围": "囲", "质": "質", "动": "動", "协": "協", "议": "議", "报": "報", "课": "課", "总": "総",
    "单": "単", "單": "単", "實": "実",
    # 贵 is the simplified 貴, but a recognizer gives it for 費, which the sheets print everywhere (事業費, 人件費)
    "贵": "費", "债": "債", "·": "・", "乡": "郷", "县": "県", "灾": "災", "轻": "軽", "资": "資", "产": "産", "举": "挙",
})

# Misreadings that are no Japanese word, of words the sheets print often (進捗: 捗 is rare in the
# recognizer's training text and comes out as a glyph of like shape).
MISREAD_WORDS = {"進抄": "進捗", "進拶": "進捗", "進渉": "進捗", "進陟": "進捗", "実續": "実績", "三標": "目標"}
_MISREAD = re.compile("|".join(map(re.escape, MISREAD_WORDS)))

# A segment that is a figure but for letters a recognizer takes for digits.
_FIGURE = re.compile(r"^[\s△▲▽\-－−+＋]*[0-9０-９OoＯｏlI|Ｉｌ,，.．]+[\s%％]*$")
_FIGURE_LETTERS = str.maketrans({"O": "0", "o": "0", "Ｏ": "０", "ｏ": "０",
                                 "l": "1", "I": "1", "|": "1", "Ｉ": "１", "ｌ": "１"})
_DIGIT = re.compile(r"[0-9０-９]")
# 一 (the kanji one) where the long vowel mark ー is meant: after a katakana or another ー
_LONG_VOWEL = re.compile(r"(?<=[\u30a1-\u30fa\u30fc\uff66-\uff9d])[一—―‐－-](?![0-9０-９])")
# a lone dash (a placeholder: no figure) as the sheets print it
_LONE_DASH = re.compile(r"^[一ー—―‐\-－−]$")
# what a recognizer reads a round mark as (a digit 0 only when the glyph is a circle: `correct_text`)
_ROUND = frozenset("OoＯｏ〇◯○。°")
_ZERO = frozenset("0０")


def correct_text(text: str, *, round_glyph: bool = False, circle: bool = False) -> str:
    """A recognized segment with the usual confusions undone (`round_glyph`: one glyph about as wide as
    high; `circle`: one glyph wider than any digit 0 is, so a 0 read there is the mark ○)."""
    text = _MISREAD.sub(lambda m: MISREAD_WORDS[m.group()], text.strip().translate(CHINESE_FORMS))
    if round_glyph and (text in _ROUND or text in _ZERO and circle):
        return "○"
    if _LONE_DASH.match(text):
        return "－"
    if _FIGURE.match(text) and _DIGIT.search(text):
        return text.translate(_FIGURE_LETTERS)
    return _LONG_VOWEL.sub("ー", text)


# ---- labels ------------------------------------------------------------------------------

# The fields of a template file's vocabulary that hold labels as printed.
LABEL_FIELDS = frozenset({"label", "anchors", "caption", "header", "corner", "group", "marked", "unmarked", "kinds",
                          "via_below", "columns", "options"})


def _walk_labels(value: Any, name: str = "") -> Iterator[str]:
    """Every label string in a template's vocabulary (dataclasses, dicts, lists of them)."""
    if isinstance(value, str):
        if name in LABEL_FIELDS:
            yield value
    elif is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            yield from _walk_labels(getattr(value, f.name), f.name)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk_labels(item, name)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _walk_labels(item, name)


def known_labels(templates: Iterable[Any]) -> frozenset[str]:
    """The normalized labels the templates look for (a Python template may list its own as `labels`)."""
    labels: set[str] = set()
    for template in templates:
        spec = getattr(template, "spec", None)
        found = list(_walk_labels(spec)) if spec is not None else list(getattr(template, "labels", ()))
        labels.update(normalize_label(label) for label in found)
    return frozenset(label for label in labels if len(label) >= 2)


def allowed_distance(length: int) -> int:
    """How many characters of a label of this length OCR may have got wrong and still match it."""
    return 0 if length < 3 else 1 if length < 7 else 2


def edits(read: str, label: str) -> list[str]:
    """How `read` becomes `label` with fewest edits: what each character of `read` becomes ("" when
    dropped; with the characters missing from `read` after it, or before the first one)."""
    rows, cols = len(read) + 1, len(label) + 1
    cost = [[i + j if not i or not j else 0 for j in range(cols)] for i in range(rows)]
    for i in range(1, rows):
        for j in range(1, cols):
            cost[i][j] = min(cost[i - 1][j] + 1, cost[i][j - 1] + 1, cost[i - 1][j - 1] + (read[i - 1] != label[j - 1]))
    becomes, after, before = [""] * len(read), [""] * len(read), ""
    i, j = len(read), len(label)
    while i or j:
        if i and j and cost[i][j] == cost[i - 1][j - 1] + (read[i - 1] != label[j - 1]):
            becomes[i - 1] = label[j - 1]
            i, j = i - 1, j - 1
        elif j and cost[i][j] == cost[i][j - 1] + 1:  # label[j - 1] is missing from what was read
            if i:
                after[i - 1] = label[j - 1] + after[i - 1]
            else:
                before = label[j - 1] + before
            j -= 1
        else:
            i -= 1  # read[i - 1] is not in the label: it is dropped
    out = [b + a for b, a in zip(becomes, after)]
    if out:
        out[0] = before + out[0]
    return out


def distance(a: str, b: str) -> int:
    """The edit distance between two strings (substitutions, insertions, deletions)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def snap_label(text: str, labels: frozenset[str]) -> str | None:
    """The known label a cell's text is a misreading of (None when it is one, or is near none, or near several).

    A label of three characters or more may be this many characters off
    (`allowed_distance`); the label must be the only one that near.
    """
    key = normalize_label(text)
    if len(key) < 2 or key in labels:
        return None
    found = [label for label in labels
             if abs(len(label) - len(key)) <= allowed_distance(len(label))
             and distance(key, label) <= allowed_distance(len(label)) and only_marks_differ_in_length(key, label)]
    return found[0] if len(found) == 1 else None


def only_marks_differ_in_length(read: str, label: str) -> bool:
    """Whether the characters one of `read` and `label` has beyond the other are marks (※, ・), not
    letters or digits: OCR drops a small mark, but a value a word short of a label (達成, 達成率) is that value."""
    extra = len(label) - len(read)
    if not extra:
        return True
    beyond = Counter(label) - Counter(read) if extra > 0 else Counter(read) - Counter(label)
    marks = sum(n for c, n in beyond.items() if not unicodedata.category(c).startswith(("L", "N")))
    return marks >= abs(extra)


def respell(texts: list[str], label: str) -> list[str]:
    """The texts of a cell's segments with their visible characters made `label`, each edit in its place."""
    visible = [(s, k) for s, text in enumerate(texts) for k, c in enumerate(text) if normalize_label(c)]
    if not visible:
        return texts
    read = "".join(normalize_label(texts[s][k]) for s, k in visible)
    if len(read) != len(visible):  # a character that folds to two: leave the text as read
        return texts
    chars = [list(text) for text in texts]
    for (s, k), becomes in zip(visible, edits(read, label)):
        chars[s][k] = becomes
    return ["".join(text) for text in chars]


# ---- placed text ----------------------------------------------------------------------


@dataclass(frozen=True)
class OcrText:
    """One recognized segment: where it is on the upright page, its text, the recognizer's confidence (0-1)."""

    box: PointBox
    text: str
    confidence: float


@dataclass(frozen=True)
class OcrPage:
    """What OCR read on one page (for the confidence of the values read from it)."""

    texts: tuple[OcrText, ...]
    dpi: float

    @property
    def lowest(self) -> float | None:
        """The lowest confidence on the page (None: no text)."""
        return min((t.confidence for t in self.texts), default=None)

    def confidence_in(self, box: PointBox) -> float | None:
        """The lowest confidence of the segments whose centre lies in `box` (None: none does)."""
        found = [t.confidence for t in self.texts if _centre_in(t.box, box)]
        return min(found) if found else None


def _centre_in(inner: PointBox, outer: PointBox) -> bool:
    cx, cy = (inner[0] + inner[2]) / 2, (inner[1] + inner[3]) / 2
    return outer[0] <= cx <= outer[2] and outer[1] <= cy <= outer[3]


def segment_chars(segment: OcrText, page_number: int) -> list[dict[str, Any]]:
    """A segment's text as chars side by side across its box, each as high as the box, with its confidence."""
    text = segment.text
    if not text:
        return []
    x0, top, x1, bottom = segment.box
    step = (x1 - x0) / len(text)
    height = bottom - top
    return [
        {"text": c, "x0": x0 + i * step, "x1": x0 + (i + 1) * step, "top": top, "bottom": bottom,
         "size": height, "upright": True, "fontname": "OCR", "page_number": page_number,
         "confidence": segment.confidence}
        for i, c in enumerate(text)
    ]


# ---- after the templates: confidence on the records ------------------------------------


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def attach_confidence(extraction: Extraction, pages: dict[int, OcrPage]) -> None:
    """Give each value read from a scanned page the OCR confidence of its cell (`Record.confidence`)."""
    for records in extraction.tables.values():
        for record in records:
            for column, box in record.cell_bboxes.items():
                page = pages.get(record.page_of(column))
                if page is not None:
                    confidence = page.confidence_in(box)
                    if confidence is not None:
                        record.confidence[column] = confidence


def low_confidence_findings(extraction: Extraction, threshold: float = LOW_CONFIDENCE) -> list[IssueRecord]:
    """A finding for each number read by OCR with less than `threshold` confidence."""
    findings: list[IssueRecord] = []
    for table, records in extraction.tables.items():
        for record in records:
            findings += _record_findings(table, record, threshold)
    return findings


def _record_findings(table: str, record: Record, threshold: float) -> list[IssueRecord]:
    """The low-confidence numbers of one record."""
    found: list[IssueRecord] = []
    for column, confidence in record.confidence.items():
        if confidence >= threshold or not _is_number(getattr(record, column, None)):
            continue
        raw = record.raw.get(column)
        value = raw if raw is not None else str(getattr(record, column))
        found.append(IssueRecord(
            page=record.page_of(column), table_name=table, record_key=record.key(), column_name=column,
            check_name="ocr_low_confidence", raw_value=value, bbox=record.cell_bboxes.get(column),
            detail=f"{column} = {value!r} (confidence {confidence:.2f})",
        ))
    return found
