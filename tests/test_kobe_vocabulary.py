"""The vocabulary 神戸's sheet needed (issue 13), each word on its own: what it reads, what it refuses.

- years printed without an era take the document's era; a year with its own is left alone;
- a code derived from names is digits, the same for the same names however they wrap;
- a choice by position: the k-th mark is the k-th option, wherever the words wrapped;
- a figure's printed unit and a stray bracket are not part of the figure;
- each new key refuses a mistake with the file, line and key named.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hyoka.extractors.file_template import chosen_option, read_figure
from hyoka.extractors.template_loader import TemplateFileError, parse_template
from hyoka.extractors.template_schema import ChoiceSpec, NumberRule
from hyoka.identity import derived_code
from hyoka.normalize import find_fiscal_year, with_era

KOBE = Path(__file__).resolve().parent.parent / "extractors" / "templates" / "kobe_jimujigyo_sheet.toml"
TEXT = KOBE.read_text(encoding="utf-8")


@pytest.mark.parametrize(("printed", "year"), [
    ("20年度決算", 2008), ("25年度予算", 2013), ("25年度見込み", 2013), ("27年度における達成見込み", 2015),
    ("令和2年度決算", 2020), ("R5決算", 2023), ("2021年度", 2021),  # a year with its own era or none needed
])
def test_a_year_without_era_takes_the_documents(printed: str, year: int) -> None:
    span = find_fiscal_year(with_era(printed, "平成"))
    assert span is not None and span.start == year
    assert with_era(printed, "") == printed


def test_a_derived_code_is_digits_and_the_same_for_the_same_names() -> None:
    code = derived_code("行財政局行政監察部庶務課", "庁舎設備管理業務")
    assert code.isdigit() and len(code) == 12
    assert derived_code("行財政局 行政監察部\n庶務課", "庁舎設備管理業務") == code  # a wrap, a space
    assert derived_code("行財政局行政監察部庶務課", "庁舎設備管理業務２") == derived_code(
        "行財政局行政監察部庶務課", "庁舎設備管理業務2")  # width-folded
    assert derived_code("行財政局行政監察部庶務課", "庁舎設備保守業務") != code
    assert derived_code("庁舎設備管理業務", "行財政局行政監察部庶務課") != code  # the order of the names counts


OPTIONS = ("達成", "おおむね達成", "達成までは困難", "その他（方針変更等）")


@pytest.mark.parametrize(("printed", "chosen"), [
    ("○ 達成 ● おおむね ○ 達成までは ○ その他（方針変更等）\n達成 困難", "おおむね達成"),
    ("おおむね 達成までは その他（方針変更等）\n○ 達成 ● 達成 ○ 困難 ○", "おおむね達成"),  # words above the marks
    ("● 達成 ○ おおむね ○ 達成までは ○ その他", "達成"),
    ("○ 達成 ○ おおむね ○ 達成までは ○ その他", None),  # nothing marked
    ("○ 達成 ● おおむね ○ 達成までは", None),  # not the options listed: nothing guessed
])
def test_a_choice_by_position(printed: str, chosen: str | None) -> None:
    assert chosen_option(printed, ChoiceSpec(options=OPTIONS, by_position=True)) == chosen


def test_a_figure_without_its_printed_unit_or_a_stray_bracket() -> None:
    staff = NumberRule(unit="人", unit_printed=True)
    assert (read_figure("6.0人", staff), read_figure("63人", staff), read_figure("", staff)) == (6.0, 63.0, None)
    money = NumberRule(unit="千円", dash="zero", ignore=r"^\s*[）)]\s*")
    assert (read_figure("） 375,620", money), read_figure("▲1,234", money), read_figure("－", money)) == (
        375620.0, -1234.0, 0.0)
    assert read_figure("） 375,620", NumberRule(unit="千円")) is None  # without `ignore` it is unreadable


MISTAKES = {
    "unknown era": (('era = "平成"', 'era = "平静"'), "document.era", "'平静' is not an era"),
    "code from an unread field": (('code_from = ["department", "project_name"]', 'code_from = ["department", "name"]'),
                                  "project.code_from", "not a field of [project.fields]"),
    "a derived code joins no pages": (('starts_on = ["sheet"]', 'starts_on = ["sheet"]\ncontinues = "same_code"'),
                                      "project.continues", "a derived code is printed on none"),
    "unknown source": (('source = "国・都道府県"', 'source = "国県"'), "budget.rows[4].source", "not a funding source"),
    "add_up on a column": (('column = "total_cost"', 'column = "total_cost"\nadd_up = true'), "budget.rows[1].add_up",
                           "only cost items add up"),
    "by position without options": (('choice = { by_position = true, options = ["達成", "おおむね達成", "達成までは困難", '
                                     '"その他（方針変更等）"] }', 'choice = { by_position = true }'),
                                    "evaluations[1].fields.achievement_rating.choice.by_position",
                                    "needs its options"),
    "unit printed without unit": (('unit = "人"\nunit_printed = true', 'unit_printed = true'), "numbers.staff.unit_printed",
                                  "give unit"),
    "staff rows without group": (('group = "職種等内訳"', 'group = []'), "staff_rows.group", "an empty list"),
    "unit pattern without group": ((r"unit_pattern = '[(]単位[:]\s*([^)]+)[)]'", r"unit_pattern = '単位'"),
                                   "indicators[1].unit_pattern", "needs a group"),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_a_mistake_in_the_new_words_is_refused_with_file_line_and_key(name: str) -> None:
    (old, new), key, reason = MISTAKES[name]
    assert TEXT.count(old) == 1, old
    text = TEXT.replace(old, new)
    with pytest.raises(TemplateFileError) as refused:
        parse_template(text, "kobe.toml")
    assert (refused.value.key, reason in refused.value.reason) == (key, True), refused.value
    first = text[:text.index(new)].count("\n") + 1  # the lines the mistake is written on
    assert first <= refused.value.line <= first + new.count("\n")


def test_template_check_shows_each_table_and_the_derived_code_on_a_kobe_file() -> None:
    """`hyoka template check` on the 神戸 file: the staff table and the budget under their captions, no code item."""
    from hyoka.extractors.file_template import FileTemplate
    from hyoka.extractors.registry import read_page_grids
    from hyoka.extractors.template_check import check_pages
    from hyoka.extractors.template_loader import load_template_file

    pdf = KOBE.parent.parent.parent / "samples" / "real" / "kobe" / "kobe-r25-008.pdf"
    template = FileTemplate(load_template_file(KOBE), KOBE)
    check = check_pages(template, read_page_grids(pdf.read_bytes()), str(pdf))
    items = {item.key: item for item in check.items}
    assert "project.code" not in items  # no number printed: the code is derived from two fields
    assert (items["staff_rows"].status, items["staff_rows"].page, items["staff_rows"].value) == (
        "read", 2, "project_staffing 48")
    assert items["budget"].status == "read" and items["budget"].page == 1
    assert (items["evaluations[2].fields.achievement_rating"].page,
            items["evaluations[2].fields.achievement_rating"].value) == (4, "やや不十分")  # 外部評価 alone on page 4
    assert [key for key, item in items.items() if item.status != "read"] == ["project.extras.別紙"]  # no annex here
