"""Unit and property tests for hyoka.normalize."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyoka.normalize import (
    BUDGET_STAGES,
    ERAS,
    PLACEHOLDERS,
    FiscalYearSpan,
    blank_to_none,
    clean_text,
    digits_only,
    era_label,
    era_year,
    find_all_fiscal_years,
    find_fiscal_year,
    fold_width,
    is_placeholder,
    normalize_label,
    parse_number,
    parse_stage_label,
    split_bracketed,
)

# Reproducible in CI: same examples every run, no example database written to the tree.
PROPERTY = settings(derandomize=True, max_examples=200, deadline=None, database=None)

# Longest year-in-era each era reached (令和 is open: 64 keeps the 1-2 digit form).
ERA_LENGTHS = {"明治": 45, "大正": 15, "昭和": 64, "平成": 31, "令和": 64}
ERA_LENGTHS |= {"M": 45, "T": 15, "S": 64, "H": 31, "R": 64}

# Characters fold_width must never touch.
PROTECTED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳㈱※○◯△▲〜事業費あいうアイウガー令和〒¥"
CIRCLED = "".join(chr(cp) for cp in range(0x2460, 0x2474))  # ①..⑳

FULLWIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


def to_fullwidth(text: str) -> str:
    return text.translate(FULLWIDTH_DIGITS)


# ---------------------------------------------------------------------------
# fold_width
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＡＢＣ　ｘｙｚ", "ABC xyz"),
        ("１２３．４５", "123.45"),
        ("（千円）", "(千円)"),
        ("－", "-"),
        ("～", "~"),
        ("ｶﾀｶﾅ", "カタカナ"),
        ("ｶﾞｲﾄﾞﾌﾞｯｸ", "ガイドブック"),
        ("ﾊﾟｰｾﾝﾄ", "パーセント"),
        ("｢ｱ｣､ｲ｡ｳ･ｴ", "「ア」、イ。ウ・エ"),
        ("ﾞ", "゛"),  # a sound mark with nothing to compose with stays visible
        ("a\nｂ\r\nｃ", "a\nb\r\nc"),  # line breaks kept
        (PROTECTED, PROTECTED),
        ("", ""),
    ],
)
def test_fold_width(text: str, expected: str) -> None:
    assert fold_width(text) == expected


@PROPERTY
@given(st.text())
def test_fold_width_is_idempotent(text: str) -> None:
    once = fold_width(text)
    assert fold_width(once) == once


@PROPERTY
@given(st.text(alphabet=PROTECTED))
def test_fold_width_leaves_protected_characters(text: str) -> None:
    assert fold_width(text) == text


@PROPERTY
@given(st.text(), st.sampled_from(CIRCLED), st.text())
def test_fold_width_keeps_circled_digits(before: str, circled: str, after: str) -> None:
    text = before + circled + after
    assert fold_width(text).count(circled) == text.count(circled)


@PROPERTY
@given(st.text(alphabet=st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E)))
def test_fold_width_maps_fullwidth_ascii_one_to_one(text: str) -> None:
    folded = fold_width(text)
    assert len(folded) == len(text)
    assert folded.isascii()


# ---------------------------------------------------------------------------
# normalize_label
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("事　業　費　　Ａ", "事業費a"),
        ("事業費\n（千円）", "事業費(千円)"),
        ("事 業 費 (千円)", "事業費(千円)"),
        ("Ｒ３\u3000決算", "r3決算"),
        ("A－B", "a-b"),
        ("A―B—C–D‐E−F", "a-b-c-d-e-f"),
        ("センター", "センター"),  # ー is a kana, not a dash
        ("ｾﾝﾀｰ", "センター"),
        ("R2〜R6", "r2~r6"),
        ("R2～R6", "r2~r6"),
        ("KPI", "kpi"),
        ("①成果", "①成果"),
        ("", ""),
    ],
)
def test_normalize_label(text: str, expected: str) -> None:
    assert normalize_label(text) == expected


def test_normalize_label_matches_spread_header() -> None:
    assert normalize_label("事　業　費\n（千円）") == normalize_label("事業費(千円)")
    assert normalize_label("(千円)") in normalize_label("事 業 費 （千円）")


@st.composite
def label_with_whitespace(draw: st.DrawFn) -> tuple[str, str]:
    label = draw(st.text(max_size=20))
    gaps = draw(st.lists(st.text(alphabet=" \u3000\n\t", max_size=2), min_size=len(label) + 1, max_size=len(label) + 1))
    spread = gaps[0] + "".join(ch + gap for ch, gap in zip(label, gaps[1:]))
    return label, spread


@PROPERTY
@given(label_with_whitespace())
def test_normalize_label_ignores_inserted_whitespace(pair: tuple[str, str]) -> None:
    label, spread = pair
    assert normalize_label(spread) == normalize_label(label)


@PROPERTY
@given(st.text())
def test_normalize_label_is_idempotent(text: str) -> None:
    once = normalize_label(text)
    assert normalize_label(once) == once
    assert not any(ch.isspace() for ch in once)


# ---------------------------------------------------------------------------
# Eras and fiscal years
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("era", "year", "expected"),
    [
        ("令和", 3, 2021),
        ("令和", 1, 2019),
        ("R", 1, 2019),
        ("Ｒ", 3, 2021),
        ("平成", 30, 2018),
        ("平成", 32, 2020),  # printed in plans drafted before the era change
        ("H", 31, 2019),
        ("昭和", 47, 1972),
        ("S", 64, 1989),
        ("大正", 1, 1912),
        ("T", 15, 1926),
        ("明治", 1, 1868),
        ("M", 45, 1912),
    ],
)
def test_era_year(era: str, year: int, expected: int) -> None:
    assert era_year(era, year) == expected


@pytest.mark.parametrize(("era", "year"), [("X", 1), ("", 1), ("令", 1), ("r", 1), ("令和", 0), ("R", -1)])
def test_era_year_rejects(era: str, year: int) -> None:
    with pytest.raises(ValueError):
        era_year(era, year)


@pytest.mark.parametrize(
    ("year", "short", "long"),
    [
        (2022, "R4", "令和4年度"),
        (2020, "R2", "令和2年度"),
        (2019, "R元", "令和元年度"),  # an era's first year is 元, as the documents print it
        (2018, "H30", "平成30年度"),
        (1990, "H2", "平成2年度"),
        (1989, "H元", "平成元年度"),
        (1988, "S63", "昭和63年度"),
        (1926, "S元", "昭和元年度"),
        (1925, "T14", "大正14年度"),
        (1868, "M元", "明治元年度"),
        (1867, "1867", "1867"),  # before 明治: no era label, the Gregorian year
    ],
)
def test_era_label(year: int, short: str, long: str) -> None:
    assert era_label(year) == short
    assert era_label(year, long=True) == long


@PROPERTY
@given(st.integers(min_value=1868, max_value=2099))
def test_era_label_reads_back_as_its_year(year: int) -> None:
    """The formatter is the parser's inverse: what it prints, find_fiscal_year reads as the same year."""
    for label in (era_label(year), era_label(year, long=True)):
        span = find_fiscal_year(label)
        assert span is not None and (span.start, span.end, span.text) == (year, year, label)


def test_eras_table() -> None:
    assert ERAS == {
        "明治": 1868, "大正": 1912, "昭和": 1926, "平成": 1989, "令和": 2019,
        "M": 1868, "T": 1912, "S": 1926, "H": 1989, "R": 2019,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "start", "end", "matched"),
    [
        ("令和元年度", 2019, 2019, "令和元年度"),
        ("令和２年度", 2020, 2020, "令和２年度"),
        ("平成30年度", 2018, 2018, "平成30年度"),
        ("昭和47年度", 1972, 1972, "昭和47年度"),
        ("大正5年度", 1916, 1916, "大正5年度"),
        ("明治45年", 1912, 1912, "明治45年"),
        ("R3決算", 2021, 2021, "R3"),
        ("R3決算見込", 2021, 2021, "R3"),
        ("R4当初予算", 2022, 2022, "R4"),
        ("R元", 2019, 2019, "R元"),
        ("H30", 2018, 2018, "H30"),
        ("S47", 1972, 1972, "S47"),
        ("T1", 1912, 1912, "T1"),
        ("M1", 1868, 1868, "M1"),
        ("Ｒ３", 2021, 2021, "Ｒ３"),
        ("R3年度", 2021, 2021, "R3年度"),
        ("R5目標値", 2023, 2023, "R5"),
        ("R3実績値", 2021, 2021, "R3"),
        ("R5\n目標値", 2023, 2023, "R5"),
        ("人工(R3年度)", 2021, 2021, "R3年度"),
        ("（令和元年度）", 2019, 2019, "令和元年度"),
        ("令和 3 年度", 2021, 2021, "令和 3 年度"),
        ("令和　３　年度", 2021, 2021, "令和　３　年度"),
        ("事業費（令和3年度決算）", 2021, 2021, "令和3年度"),
        ("作成日 令和3年6月1日", 2021, 2021, "令和3年"),  # calendar dates are not shifted to the fiscal year
        ("R3.4.1", 2021, 2021, "R3"),
        # ranges
        ("令和2-6年度", 2020, 2024, "令和2-6年度"),
        ("令和2～6年度", 2020, 2024, "令和2～6年度"),
        ("令和2〜6年度", 2020, 2024, "令和2〜6年度"),
        ("令和２－６年度", 2020, 2024, "令和２－６年度"),
        ("平成28-30年度の平均値", 2016, 2018, "平成28-30年度"),
        ("R2～R6", 2020, 2024, "R2～R6"),
        ("R2 - R6", 2020, 2024, "R2 - R6"),
        ("令和2年度～令和6年度", 2020, 2024, "令和2年度～令和6年度"),
        ("令和2年度～6年度", 2020, 2024, "令和2年度～6年度"),
        ("平成30年度～令和2年度", 2018, 2020, "平成30年度～令和2年度"),
        ("令和元-3年度", 2019, 2021, "令和元-3年度"),
        # Gregorian
        ("2021年度", 2021, 2021, "2021年度"),
        ("２０２１年度", 2021, 2021, "２０２１年度"),
        ("2021(R3)年度", 2021, 2021, "2021(R3)年度"),
        ("2021（Ｒ３）年度", 2021, 2021, "2021（Ｒ３）年度"),
        ("令和3(2021)年度", 2021, 2021, "令和3(2021)年度"),
        ("2020～2024年度", 2020, 2024, "2020～2024年度"),
        ("2020年度-2024年度", 2020, 2024, "2020年度-2024年度"),
        ("FY2021", 2021, 2021, "FY2021"),
        # not ranges: end < start, or an era-less tail without 年
        ("令和6-2年度", 2024, 2024, "令和6"),
        ("R6～R2", 2024, 2024, "R6"),
        ("平成30年度～平成28年度", 2018, 2018, "平成30年度"),
        ("2024-2020年度", 2020, 2020, "2020年度"),
        ("R3-1", 2021, 2021, "R3"),
        ("令和2年度～", 2020, 2020, "令和2年度"),
        # the first expression wins
        ("令和2年度決算、令和3年度予算", 2020, 2020, "令和2年度"),
        ("KPI R3目標", 2021, 2021, "R3"),
        ("2021(R3)", 2021, 2021, "R3"),
    ],
)
def test_find_fiscal_year(text: str, start: int, end: int, matched: str) -> None:
    assert find_fiscal_year(text) == FiscalYearSpan(start=start, end=end, text=matched)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "KPI",
        "PDF3",
        "URL1",
        "AR3",
        "XH30",
        "ＰＤＦ３",
        "H2O",
        "R3a",
        "3R3",
        "R123",
        "R",
        "令和",
        "令和年度",
        "2021",
        "1,234",
        "2021年",
        "12021年度",
        "第3章",
        "①②③",
        "事業費（千円）",
    ],
)
def test_find_fiscal_year_none(text: str) -> None:
    assert find_fiscal_year(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("KPI", []),
        ("令和2年度決算 令和3年度予算", [(2020, 2020, "令和2年度"), (2021, 2021, "令和3年度")]),
        ("R2～R6、H30", [(2020, 2024, "R2～R6"), (2018, 2018, "H30")]),
        ("2021(R3)年度", [(2021, 2021, "2021(R3)年度")]),
        ("R3決算 R4当初 R5見込", [(2021, 2021, "R3"), (2022, 2022, "R4"), (2023, 2023, "R5")]),
    ],
)
def test_find_all_fiscal_years(text: str, expected: list[tuple[int, int, str]]) -> None:
    assert [(s.start, s.end, s.text) for s in find_all_fiscal_years(text)] == expected


@st.composite
def era_and_year(draw: st.DrawFn) -> tuple[str, int]:
    era = draw(st.sampled_from(sorted(ERA_LENGTHS)))
    return era, draw(st.integers(min_value=1, max_value=ERA_LENGTHS[era]))


@PROPERTY
@given(era_and_year())
def test_era_year_expression_round_trips(pair: tuple[str, int]) -> None:
    era, n = pair
    span = find_fiscal_year(f"{era}{n}年度")
    assert span == FiscalYearSpan(start=era_year(era, n), end=era_year(era, n), text=f"{era}{n}年度")


@PROPERTY
@given(era_and_year())
def test_fullwidth_digits_give_the_same_year(pair: tuple[str, int]) -> None:
    era, n = pair
    half = find_fiscal_year(f"{era}{n}年度")
    full = find_fiscal_year(to_fullwidth(f"{era}{n}年度"))
    assert half is not None and full is not None
    assert (full.start, full.end) == (half.start, half.end)


@PROPERTY
@given(st.sampled_from(sorted(ERA_LENGTHS)))
def test_gan_means_one(era: str) -> None:
    span = find_fiscal_year(f"{era}元年度")
    assert span is not None and span.start == era_year(era, 1)


# Japanese context that holds no year expression itself.
CONTEXT = st.text(alphabet="事業費の目標値実績（）「」、。 　予算決算")


@PROPERTY
@given(CONTEXT, era_and_year(), CONTEXT)
def test_year_found_inside_japanese_text(before: str, pair: tuple[str, int], after: str) -> None:
    era, n = pair
    span = find_fiscal_year(f"{before}{era}{n}年度{after}")
    assert span is not None and span.start == era_year(era, n)


@PROPERTY
@given(st.sampled_from(sorted(ERA_LENGTHS)), st.integers(1, 64), st.integers(0, 10), st.sampled_from("-～〜－"))
def test_era_range(era: str, first: int, length: int, sep: str) -> None:
    span = find_fiscal_year(f"{era}{first}{sep}{first + length}年度")
    assert span is not None
    assert (span.start, span.end) == (era_year(era, first), era_year(era, first + length))


@PROPERTY
@given(st.integers(1900, 2099))
def test_gregorian_year_round_trips(year: int) -> None:
    assert find_fiscal_year(f"{year}年度") == FiscalYearSpan(year, year, f"{year}年度")
    assert find_fiscal_year(to_fullwidth(f"{year}年度")) == FiscalYearSpan(year, year, to_fullwidth(f"{year}年度"))


@PROPERTY
@given(st.text())
def test_find_all_fiscal_years_spans_are_ordered_substrings(text: str) -> None:
    spans = find_all_fiscal_years(text)
    assert find_fiscal_year(text) == (spans[0] if spans else None)
    pos = 0
    for span in spans:
        assert span.start <= span.end
        found = text.find(span.text, pos)
        assert found >= 0
        pos = found + len(span.text)


# ---------------------------------------------------------------------------
# Budget stage labels
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "year", "stage"),
    [
        ("R2決算", 2020, "決算"),
        ("R3決算見込", 2021, "決算見込"),
        ("R4当初予算", 2022, "当初予算"),
        ("R4補正予算", 2022, "補正予算"),
        ("令和5年度予算", 2023, "予算"),
        ("R6見込", 2024, "見込"),
        ("Ｒ３ 決算 見込", 2021, "決算見込"),
        ("Ｒ３\n決算見込", 2021, "決算見込"),
        ("令 和 5 年 度 予 算", 2023, "予算"),
        ("令和5年度当初予算", 2023, "当初予算"),
        ("R3合計", 2021, None),
        ("R3", 2021, None),
        ("決算", None, "決算"),
        ("合計", None, None),
        ("", None, None),
    ],
)
def test_parse_stage_label(text: str, year: int | None, stage: str | None) -> None:
    span, found = parse_stage_label(text)
    assert (span.start if span else None) == year
    assert found == stage


def test_budget_stages() -> None:
    assert BUDGET_STAGES == ("決算見込", "当初予算", "補正予算", "予算", "決算", "見込", "予算現額", "予算案")


@pytest.mark.parametrize(("text", "year", "stage"), [
    ("令和５年度予算現額", 2023, "予算現額"),  # 京都's 経費: the longest stage word, not 予算
    ("令和７年度予算案", 2025, "予算案"),
    ("令和５年度決算", 2023, "決算"),
])
def test_kyoto_stages(text: str, year: int, stage: str) -> None:
    span, found = parse_stage_label(text)
    assert span is not None and span.start == year and found == stage


@pytest.mark.parametrize(("text", "split"), [
    ("326,800（0）", ("326,800", "0")),
    ("197,770(１)", ("197,770", "１")),  # a full-width digit in half-width brackets
    ("1,418（0)", ("1,418", "0")),  # the brackets mixed in one cell
    ("8,400（8,400）", ("8,400", "8,400")),
    ("1,234", ("1,234", None)),
    ("(1,200)", ("(1,200)", None)),  # accounting style: a negative, not a figure with another
    ("", ("", None)),
])
def test_split_bracketed(text: str, split: tuple[str, str | None]) -> None:
    assert split_bracketed(text) == split


@PROPERTY
@given(era_and_year(), st.sampled_from(["", "年度", " ", "年度 "]), st.sampled_from(BUDGET_STAGES))
def test_stage_label_round_trips(pair: tuple[str, int], joiner: str, stage: str) -> None:
    era, n = pair
    span, found = parse_stage_label(f"{era}{n}{joiner}{stage}")
    assert span is not None and span.start == era_year(era, n)
    assert found == stage


# ---------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "percent"),
    [
        ("115", 115, False),
        ("1,669", 1669, False),
        ("0", 0, False),
        ("65.0", 65.0, False),
        ("0.5", 0.5, False),
        ("77.8%", 77.8, True),
        ("77.8％", 77.8, True),
        ("100%", 100, True),
        ("77.8 %", 77.8, True),
        ("１，２３４", 1234, False),
        ("１２．５", 12.5, False),
        ("1,234,567", 1234567, False),
        ("12,345.67", 12345.67, False),
        ("1 234", 1234, False),
        ("1\u3000234", 1234, False),
        ("1, 234", 1234, False),
        ("△1,200", -1200, False),
        ("▲1,200", -1200, False),
        ("△ 1,200", -1200, False),
        ("-1,200", -1200, False),
        ("－1,200", -1200, False),
        ("−1,200", -1200, False),
        ("+5", 5, False),
        ("△5.5%", -5.5, True),
        ("(1,200)", -1200, False),
        ("（１，２００）", -1200, False),
        ("  1,234\n", 1234, False),
    ],
)
def test_parse_number_values(text: str, value: float | int, percent: bool) -> None:
    parsed = parse_number(text)
    assert parsed.status == "value"
    assert parsed.value == value
    assert type(parsed.value) is type(value)
    assert parsed.percent is percent
    assert parsed.raw == text
    assert parsed.text == text.strip()


@pytest.mark.parametrize("text", [None, "", "   ", "\u3000", "\n\t"])
def test_parse_number_empty(text: str | None) -> None:
    parsed = parse_number(text)
    assert (parsed.status, parsed.value, parsed.percent, parsed.text) == ("empty", None, False, "")
    assert parsed.raw == (text or "")


@pytest.mark.parametrize("text", ["-", "－", "‐", "―", "—", "–", "−", "ー", "ｰ", "─", "/", "／", "――", " － ", "－\n"])
def test_parse_number_placeholder(text: str) -> None:
    parsed = parse_number(text)
    assert (parsed.status, parsed.value) == ("placeholder", None)
    assert parsed.text == text.strip()
    assert is_placeholder(text)


@pytest.mark.parametrize(
    "text",
    [
        "312千円",
        "1,23",
        "1,2345",
        "1234,567",
        "1,234 567",
        "12 11 01",
        "1.2.3",
        "1.",
        ".5",
        "1e5",
        "abc",
        "%",
        "△",
        "*",
        "＊",
        "×",
        "…",
        "○",
        "(△1,200)",
        "(1,200",
        "()",
        "1-2",
        "5%%",
        "١٢٣",  # Arabic-Indic digits are not printed figures here
        "1" * 5000,
        "1" * 400 + ".5",
    ],
)
def test_parse_number_invalid(text: str) -> None:
    parsed = parse_number(text)
    assert (parsed.status, parsed.value) == ("invalid", None)
    assert parsed.raw == text


@PROPERTY
@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_parse_number_grouped_integers(i: int) -> None:
    parsed = parse_number(f"{i:,}")
    assert parsed.status == "value" and parsed.value == i and type(parsed.value) is int
    assert parse_number(to_fullwidth(f"{i:,}")).value == i
    assert parse_number(str(i)).value == i


@PROPERTY
@given(st.integers(min_value=1, max_value=10**15), st.sampled_from("△▲-－−"))
def test_parse_number_negative_marks(i: int, mark: str) -> None:
    assert parse_number(mark + f"{i:,}").value == -i


@PROPERTY
@given(st.integers(min_value=0, max_value=10**8), st.booleans(), st.sampled_from("%％"))
def test_parse_number_percent_round_trips(hundredths: int, negative: bool, sign: str) -> None:
    number = f"{'-' if negative else ''}{hundredths // 100}.{hundredths % 100:02d}"
    parsed = parse_number(number + sign)
    assert parsed.status == "value"
    assert parsed.percent is True
    assert parsed.value == float(number)


@PROPERTY
@given(st.one_of(st.none(), st.text()))
def test_parse_number_never_raises(text: str | None) -> None:
    parsed = parse_number(text)
    assert parsed.status in {"value", "empty", "placeholder", "invalid"}
    assert (parsed.value is not None) == (parsed.status == "value")
    assert parsed.raw == (text or "")


@PROPERTY
@given(st.text(alphabet=sorted(PLACEHOLDERS) + [" ", "\u3000"]).filter(lambda s: s.strip()))
def test_placeholder_marks_are_placeholders(text: str) -> None:
    assert is_placeholder(text)
    assert parse_number(text).status == "placeholder"


def test_is_placeholder_negative() -> None:
    assert not is_placeholder(None)
    assert not is_placeholder("")
    assert not is_placeholder("  ")
    assert not is_placeholder("0")
    assert not is_placeholder("-1")
    assert not is_placeholder("△")


# ---------------------------------------------------------------------------
# Small text helpers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [(None, None), ("", None), ("  ", None), ("\u3000\n", None), (" a ", "a"), ("Ａ　", "Ａ")],
)
def test_blank_to_none(text: str | None, expected: str | None) -> None:
    assert blank_to_none(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, None),
        ("", None),
        (" \n\u3000\n", None),
        ("abc  ", "abc"),
        ("\n\nabc\n\n", "abc"),
        ("a  \n\nb\u3000\n ", "a\n\nb"),
        ("\u3000字下げ", "\u3000字下げ"),  # leading indentation is printed text
        ("a\r\nb", "a\nb"),
        ("ＡＢＣ　１２３", "ＡＢＣ　１２３"),  # no width folding
    ],
)
def test_clean_text(text: str | None, expected: str | None) -> None:
    assert clean_text(text) == expected


@PROPERTY
@given(st.text())
def test_clean_text_properties(text: str) -> None:
    cleaned = clean_text(text)
    if cleaned is None:
        assert not text.strip()
        return
    lines = cleaned.split("\n")
    assert lines[0] and lines[-1]
    assert all(line == line.rstrip() for line in lines)
    assert clean_text(cleaned) == cleaned


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12 11 01", "121101"), ("１２", "12"), ("No.１２-３", "123"), ("①②", ""), ("", "")],
)
def test_digits_only(text: str, expected: str) -> None:
    assert digits_only(text) == expected


@PROPERTY
@given(st.text())
def test_digits_only_keeps_ascii_digits(text: str) -> None:
    digits = digits_only(text)
    assert all("0" <= ch <= "9" for ch in digits)


@pytest.mark.parametrize(("printed", "value"), [
    ("430,77\n7", 430777),  # a held-out 池田 sheet: the cell too narrow for its figure
    ("430,7\n77", 430777),
    ("△1,2\n00", -1200),
    ("５６,\n０００", 56000),
])
def test_a_figure_wrapped_inside_its_cell_is_one_number(printed: str, value: int) -> None:
    assert parse_number(printed).value == value


@pytest.mark.parametrize("printed", ["12\n34", "1,000\n2,000", "1,000\n(500)"])
def test_two_figures_stacked_in_a_cell_are_not_joined(printed: str) -> None:
    """No cut comma group on the first line: not a wrap, so not a guess (the cell stays flagged)."""
    assert parse_number(printed).status == "invalid"

