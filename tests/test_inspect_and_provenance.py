"""The visual debugger, and where each value was read from."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from typer.testing import CliRunner

from conftest import IKEDA_PDFS, KPI_LIST, SHEET_REPORTLAB
from hyoka.extractors.inspect import field_boxes
from hyoka.extractors.registry import extract_pdf
from hyoka.cli import app


def test_page_two_fields_know_their_page() -> None:
    (project,) = extract_pdf(SHEET_REPORTLAB.read_bytes()).rows("projects")
    assert project.page == 1
    assert project.page_of("summary") == 1
    for column in ("policy_code", "vision_title", "pledge_no", "pledge_title"):
        assert project.page_of(column) == 2, column


def test_field_boxes_are_drawn_on_the_page_they_come_from() -> None:
    data = SHEET_REPORTLAB.read_bytes()
    page1 = {label for label, _ in field_boxes(data, 1)}
    page2 = {label for label, _ in field_boxes(data, 2)}
    assert {"projects.project_code", "projects.summary", "project_budgets.total_cost"} <= page1
    assert {"projects.policy_code", "projects.pledge_no", "project_indicators.value"} <= page2
    assert "projects.policy_code" not in page1


def test_inspect_command_writes_a_png(tmp_path: Path) -> None:
    out = tmp_path / "page2.png"
    run = CliRunner().invoke(app, ["inspect", str(SHEET_REPORTLAB), "--page", "2", "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert "asahikawa_jimujigyo_sheet" in run.stdout and "cells" in run.stdout
    with Image.open(out) as image:
        assert image.width > 1000  # A4 landscape at 110 dpi


def test_inspect_missing_page_says_so(tmp_path: Path) -> None:
    run = CliRunner().invoke(app, ["inspect", str(SHEET_REPORTLAB), "--page", "9", "--out", str(tmp_path / "x.png")])
    assert run.exit_code == 2, run.output  # a usage error, like a missing file
    assert "page 9 does not exist: the PDF has 2 page(s)" in run.stderr
    assert run.exception is None or isinstance(run.exception, SystemExit), run.exception  # no traceback
    assert not (tmp_path / "x.png").exists()


# --------------------------------------------------------------------------------------
# the picture's labels and legend: clear of the printed values and of each other


def fake_measure(text: str) -> tuple[float, float]:
    """5 px a character, 9 px high: easy sums."""
    return 5.0 * len(text), 9.0


def test_a_label_takes_the_longest_text_that_fits_in_a_free_corner() -> None:
    from hyoka.extractors.inspect import place_labels

    wide, value_top_left = (0.0, 0.0, 200.0, 40.0), (4.0, 2.0, 60.0, 14.0)  # the value printed at the top left
    labels, key, unmarked = place_labels([("table.column", wide)], [value_top_left], fake_measure)
    (label,) = labels
    assert (label.text, label.numbered, key, unmarked) == ("table.column", False, {}, [])
    assert label.box[0] > value_top_left[2]  # moved to the top-right corner
    # narrower: the column alone; narrower still: a number of the key; too small even for it: none
    narrow, tiny = (0.0, 50.0, 40.0, 70.0), (0.0, 80.0, 6.0, 86.0)
    labels, key, unmarked = place_labels(
        [("table.column", narrow), ("table.other_column", (50.0, 50.0, 62.0, 70.0)), ("t.x", tiny)], [], fake_measure)
    assert [(lab.field, lab.text) for lab in labels] == [("table.column", "column"), ("table.other_column", "1")]
    assert key == {"table.other_column": 1} and unmarked == ["t.x"]


def test_labels_on_dense_real_pages_clear_the_values_and_each_other() -> None:
    from collections import Counter

    from hyoka.extractors.inspect import FIELD_COLOR, LEGEND, intersects, inside, plan_page, scaled, text_boxes

    for pdf in (IKEDA_PDFS[0], KPI_LIST):  # a 目標設定シート's budget table; the KPI list's rows of values
        plan = plan_page(pdf.read_bytes(), 1)
        layout = plan.layout
        values = [scaled(box, plan.scale) for box in text_boxes(plan.grid)]
        boxes = [label.box for label in layout.labels]
        assert len(boxes) > 30, pdf
        assert not [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if intersects(a, b)], pdf
        assert not [(lab.text, v) for lab in layout.labels for v in values if intersects(lab.box, v)], pdf
        assert all(inside(label.box, label.cell) for label in layout.labels), pdf
        # every field is labelled or named in the band as too small; few are
        fields = Counter(label for label, _ in plan.fields)
        assert Counter(lab.field for lab in layout.labels) + Counter(layout.unmarked) == fields, pdf
        assert len(layout.unmarked) <= sum(fields.values()) // 5, layout.unmarked
        assert all(lab.text == str(layout.key[lab.field]) for lab in layout.labels if lab.numbered)
        # the band below the page: each colour explained, the key spelt out, nothing overlapping
        legend = layout.legend
        assert [(i.color, i.text) for i in legend if i.kind == "colour"] == list(LEGEND)
        assert {i.text: i.badge for i in legend if i.kind == "key"} == {k: str(n) for k, n in layout.key.items()}
        if layout.key:
            assert any(i.kind == "badge" and i.color == FIELD_COLOR for i in legend)
        parts = [box for item in legend for box in (item.swatch, item.text_box) if box]
        assert not [(a, b) for i, a in enumerate(parts) for b in parts[i + 1:] if intersects(a, b)], pdf
        assert all(layout.page_height < box[1] and box[3] <= layout.height for box in parts), pdf
        assert all(box[2] <= layout.width for item in legend if item.kind != "summary"
                   for box in (item.swatch, item.text_box) if box), pdf
    assert layout.key, "the KPI list's narrow cells get numbers"


def test_the_picture_has_the_legend_below_the_page(tmp_path: Path) -> None:
    from hyoka.extractors.inspect import FIELD_COLOR, plan_page, render_page

    data = IKEDA_PDFS[0].read_bytes()
    out = tmp_path / "page1.png"
    render_page(data, 1, out)
    layout = plan_page(data, 1).layout
    with Image.open(out) as image:
        picture = image.convert("RGB")
    assert picture.height == round(layout.height) and picture.height > layout.page_height
    for item in layout.legend:
        if item.swatch and item.kind == "colour":  # each colour's swatch is painted in its colour
            x0, top, x1, bottom = item.swatch
            assert picture.getpixel((int((x0 + x1) / 2), int((top + bottom) / 2))) == item.color, item.text
    numbered = [label for label in layout.labels if label.numbered]
    assert numbered, "the budget table's small cells get numbers"
    for label in numbered:  # drawn as a badge: the field's colour behind the number
        x0, top, _, _ = label.box
        assert picture.getpixel((int(x0) + 1, int(top) + 1)) == FIELD_COLOR, label
