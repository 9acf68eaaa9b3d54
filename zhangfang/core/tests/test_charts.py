"""Server-side SVG charts: well-formed, accessible, CSP-safe, labelled, escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.utils.safestring import SafeString

from zhangfang.core import charts

SVG = "{http://www.w3.org/2000/svg}"

MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]


def all_charts() -> dict[str, str]:
    return {
        "vertical": charts.bar_chart(
            title="每月签约",
            labels=["一月", "二月", "三月"],
            values=[3, 0, 7],
            value_label="签约数",
            category_label="月份",
        ),
        "horizontal": charts.bar_chart(
            title="各渠道签约",
            labels=["官方网站", "客户推荐", "展会/研讨会"],
            series=[charts.Series("登记", [10, 4, 6]), charts.Series("签约", [2, 1, 0])],
            horizontal=True,
            value_label="潜在客户数",
            category_label="渠道",
        ),
        "money": charts.bar_chart(
            title="活动费用",
            labels=["展会"],
            values=[Decimal("1234.50")],
            value_format=lambda v: f"¥{v:,.2f}",
        ),
        "funnel": charts.funnel_chart(
            title="转化漏斗", stages=[("登记", 40), ("拜访", 20), ("洽谈", 10), ("签约", 5)]
        ),
        "line": charts.line_chart(
            title="近 12 个月新增客户",
            labels=MONTHS,
            series=[
                charts.Series("由潜在客户转化", [1, 2, None, 4, 5, 3, 2, 1, 0, 0, 3, 4]),
                charts.Series("全部新增客户", list(range(12))),
            ],
            value_label="客户数",
            category_label="月份",
        ),
        "empty": charts.bar_chart(title="空", labels=[], values=[]),
        "empty_funnel": charts.funnel_chart(title="空漏斗", stages=[]),
        "empty_line": charts.line_chart(title="空折线", labels=[], series=[]),
    }


@pytest.fixture(params=list(all_charts()))
def chart(request) -> str:
    return all_charts()[request.param]


def texts(root: ET.Element) -> list[str]:
    return [el.text or "" for el in root.iter(f"{SVG}text")]


def test_every_chart_is_well_formed_safe_svg(chart):
    assert isinstance(chart, SafeString)
    root = ET.fromstring(str(chart))
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox", "").startswith("0 0 ")
    assert root.get("width") == "100%" and root.get("height") is None


def test_every_chart_is_an_accessible_image(chart):
    root = ET.fromstring(str(chart))
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text
    assert root.get("aria-label") == title.text
    assert root.find(f"{SVG}desc") is not None


def test_no_chart_uses_styles_or_scripts_that_csp_blocks(chart):
    text = str(chart)
    assert "style=" not in text
    assert "<style" not in text and "<script" not in text
    assert " on" not in text.replace(" one", "")  # no event handler attributes
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_vertical_bar_chart_shows_labels_values_and_axis_titles():
    root = ET.fromstring(str(all_charts()["vertical"]))
    shown = texts(root)
    for label in ("一月", "二月", "三月", "签约数", "月份", "3", "7"):
        assert label in shown
    assert root.find(f"{SVG}desc").text == "一月：3；二月：0；三月：7"
    assert len(root.findall(f".//{SVG}rect")) == 3


def test_horizontal_bar_chart_has_a_legend_and_tooltips_per_bar():
    root = ET.fromstring(str(all_charts()["horizontal"]))
    shown = texts(root)
    for label in ("官方网站", "客户推荐", "展会/研讨会", "登记", "签约", "渠道", "潜在客户数"):
        assert label in shown
    tooltips = [t.text for t in root.iter(f"{SVG}title")][1:]
    assert "官方网站 登记：10" in tooltips and "展会/研讨会 签约：0" in tooltips


def test_bars_take_colours_from_the_bootstrap_palette():
    root = ET.fromstring(str(all_charts()["horizontal"]))
    fills = {rect.get("fill") for rect in root.iter(f"{SVG}rect")}
    assert fills == {charts.PALETTE[0], charts.PALETTE[1]}


def test_longer_value_is_a_longer_bar():
    root = ET.fromstring(str(all_charts()["vertical"]))
    heights = [float(rect.get("height")) for rect in root.iter(f"{SVG}rect")]
    assert heights[2] > heights[0] > heights[1] == 0


def test_values_can_be_decimal_and_formatted_as_money():
    root = ET.fromstring(str(all_charts()["money"]))
    assert "¥1,234.50" in texts(root)


def test_funnel_shows_each_stage_with_its_share_of_the_first():
    root = ET.fromstring(str(all_charts()["funnel"]))
    shown = texts(root)
    assert {"登记", "拜访", "洽谈", "签约"} <= set(shown)
    assert "40（100.0%）" in shown and "5（12.5%）" in shown
    widths = [float(rect.get("width")) for rect in root.iter(f"{SVG}rect")]
    assert widths == sorted(widths, reverse=True)


def test_line_chart_has_a_dot_per_value_and_breaks_at_missing_values():
    root = ET.fromstring(str(all_charts()["line"]))
    assert len(root.findall(f".//{SVG}circle")) == 11 + 12
    # The first series is split by its gap into two lines; the second is one.
    assert len(root.findall(f".//{SVG}polyline")) == 3
    shown = texts(root)
    assert "2026-01" in shown and "客户数" in shown and "由潜在客户转化" in shown


def test_empty_charts_say_there_is_no_data():
    for key in ("empty", "empty_funnel", "empty_line"):
        root = ET.fromstring(str(all_charts()[key]))
        assert charts.NO_DATA in texts(root)


def test_text_is_escaped():
    svg = charts.bar_chart(
        title='<script>alert("x")</script> & 公司', labels=["A&B <c>"], values=[1]
    )
    root = ET.fromstring(str(svg))
    assert "<script>" not in str(svg)
    assert root.find(f"{SVG}title").text == '<script>alert("x")</script> & 公司'
    assert "A&B <c>" in texts(root)


def test_long_labels_are_shortened_but_kept_whole_in_the_tooltip():
    name = "深圳市某某某某某某某某某某某某某某某某某科技有限公司"
    root = ET.fromstring(
        str(charts.bar_chart(title="t", labels=[name], values=[1], horizontal=True, width=300))
    )
    assert any(t.endswith("…") for t in texts(root))
    assert f"{name}：1" in [t.text for t in root.iter(f"{SVG}title")]


@pytest.mark.parametrize(
    ("maximum", "whole", "expected"),
    [
        (0, True, (4.0, 1.0)),
        (7, True, (8.0, 2.0)),
        (9, True, (9.0, 3.0)),
        (1234.5, False, (1500.0, 500.0)),
    ],
)
def test_axis_steps_are_round_numbers(maximum, whole, expected):
    assert charts._nice_scale(maximum, whole=whole) == expected


def test_number_format():
    assert charts.format_number(1234) == "1,234"
    assert charts.format_number(Decimal("1234.50")) == "1,234.5"
    assert charts.format_number(Decimal("10.00")) == "10"
    assert charts.format_number(2.5) == "2.5"
