"""Cell text from printed lines: soft wraps joined, hard breaks (a list's entries) kept."""

from __future__ import annotations

import pytest

from hyoka.extractors.grid import TextLine, lines_to_text


@pytest.mark.parametrize(("second", "joined"), [
    ("を実施した。", True),  # the first line was full: the sentence goes on
    ("1. 講座の開催", False), ("２、広報", False), ("ア．調査", False), ("⑵ 研修", False), ("・説明会", False),
    ("1.5倍に増えた", True),  # a decimal, not an item number
])
def test_a_full_line_before_a_list_entry_is_a_hard_break(second: str, joined: bool) -> None:
    first = TextLine("市民向けの環境学習講座", 10.0, 10.0, 118.0, 20.0, 10.0)  # ends 2 pt from the edge: full
    text = lines_to_text([first, TextLine(second, 10.0, 22.0, 60.0, 32.0, 10.0)], right_edge=120.0)
    assert text == (first.text + second if joined else first.text + "\n" + second)
