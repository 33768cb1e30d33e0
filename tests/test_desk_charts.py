"""The desk's SVG charts: what a screen reader hears, and bars in proportion to the figures."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from bot.web.desk.charts import Bar, bars, columns

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 (our own output, parsed to check it is well formed)


def test_bars_are_named_described_and_in_proportion() -> None:
    chart = _parse(
        bars(
            "units",
            "Reports per unit",
            [Bar("Xã Ia Tơi", 12), Bar("Xã Ia Đal", 3, note="3 (20%)"), Bar("Xã Ia Dom", 0)],
        )
    )
    assert chart.get("role") == "img"
    assert chart.get("aria-labelledby") == "units-title units-desc"
    assert chart.findtext(f"{SVG}title") == "Reports per unit"
    # Every figure is in the description a screen reader reads.
    assert chart.findtext(f"{SVG}desc") == "Xã Ia Tơi: 12; Xã Ia Đal: 3 (20%); Xã Ia Dom: 0"
    groups = chart.findall(f"{SVG}g")
    assert [g.findtext(f"{SVG}title") for g in groups] == [
        "Xã Ia Tơi: 12",
        "Xã Ia Đal: 3 (20%)",
        "Xã Ia Dom: 0",
    ]
    widths = [float(g.find(f"{SVG}rect").get("width", "0")) for g in groups]  # type: ignore[union-attr]
    assert widths[0] == 4 * widths[1]
    assert widths[2] < 2  # an empty bar is a sliver, still visible as "0"


def test_labels_are_escaped_and_long_ones_shortened() -> None:
    name = "Ban chỉ đạo <các chương trình> mục tiêu quốc gia & dân tộc"
    markup = bars("x", 'A "quoted" <title>', [Bar(name, 2)])
    chart = _parse(markup)  # well formed despite <, > and & in the texts
    assert chart.findtext(f"{SVG}title") == 'A "quoted" <title>'
    group = chart.find(f"{SVG}g")
    assert group is not None
    assert group.findtext(f"{SVG}title") == f"{name}: 2"
    label = group.findall(f"{SVG}text")[0].text or ""
    assert label.endswith("…") and len(label) <= 28


def test_a_fixed_scale_draws_shares_against_the_whole() -> None:
    chart = _parse(
        bars("share", "Share", [Bar("A", 50, note="50%"), Bar("B", 25, note="25%")], scale=100)
    )
    widths = [float(r.get("width", "0")) for r in chart.iter(f"{SVG}rect")]
    assert widths[0] == 2 * widths[1]
    full = _parse(bars("full", "Full", [Bar("A", 100, note="100%")], scale=100))
    assert float(next(full.iter(f"{SVG}rect")).get("width", "0")) > widths[0]


def test_highlighted_bars_take_the_second_colour() -> None:
    chart = _parse(
        bars("late", "Late", [Bar("A", 2), Bar("B", 5)], highlight=lambda bar: bar.value > 3)
    )
    fills = [r.get("fill") for r in chart.iter(f"{SVG}rect")]
    assert fills[0] != fills[1]


def test_columns_keep_the_order_and_label_every_month() -> None:
    months = [Bar("12/25", 4), Bar("01/26", 0), Bar("02/26", 8)]
    chart = _parse(columns("months", "Reports per month", months))
    groups = chart.findall(f"{SVG}g")
    assert [g.findall(f"{SVG}text")[1].text for g in groups] == ["12/25", "01/26", "02/26"]
    heights = [float(g.find(f"{SVG}rect").get("height", "0")) for g in groups]  # type: ignore[union-attr]
    assert heights[2] == 2 * heights[0] and heights[1] == 0
    assert chart.findtext(f"{SVG}desc") == "12/25: 4; 01/26: 0; 02/26: 8"


def test_an_empty_chart_is_still_a_named_image() -> None:
    for markup in (bars("e", "Nothing yet", []), columns("c", "Nothing yet", [])):
        chart = _parse(markup)
        assert chart.findtext(f"{SVG}title") == "Nothing yet"
        assert chart.find(f"{SVG}g") is None
