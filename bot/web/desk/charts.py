"""Charts of the web desk as inline SVG, drawn here: no JavaScript library, nothing to fetch.

A chart is an `<svg role="img">` named by its `<title>` and described by a `<desc>` that
lists every value, so a screen reader reads the figures the picture shows; each bar carries
its own `<title>` (a tooltip). Charts scale to the page's width through their viewBox and use
the page's text colour, dark on light, so they read on a phone and print in black and white.

Two shapes: horizontal bars (`bars`: one row per unit or answer; long names fit) and columns
(`columns`: one per month, in order). Texts are escaped here; the result is markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH = 640  # the viewBox width; the SVG itself is as wide as its container
ROW = 28  # one bar's band in a horizontal chart
COLUMN_HEIGHT = 180  # the plot height of a column chart
CHAR = 7.2  # the advance of one character of the 13-px labels, roughly (no font metrics here)
LABEL_MAX = 28  # characters of a bar's label shown before "…" (the tooltip has it whole)
COLOURS = ("#1f5f8b", "#b3541e")  # first series, highlight; both 4.5:1 or more on white


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its label, its value, and the text written beside it (the value by default)."""

    label: str
    value: float
    note: str = ""

    @property
    def shown(self) -> str:
        """What is written at the end of the bar."""
        return self.note or _number(self.value)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _short(label: str, limit: int = LABEL_MAX) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _svg(chart_id: str, title: str, items: Sequence[Bar], height: int, body: list[str]) -> Markup:
    """The chart's frame: size, role, title and the description listing every value."""
    described = "; ".join(f"{item.label}: {item.shown}" for item in items)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'role="img" aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(described)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 (every text escaped above)


def bars(
    chart_id: str,
    title: str,
    items: Sequence[Bar],
    *,
    scale: float | None = None,
    highlight: Callable[[Bar], bool] | None = None,
) -> Markup:
    """Horizontal bars, one row per item, longest = `scale` (default: the largest value).

    `highlight` picks bars drawn in the second colour (a unit that is late, say).
    """
    if not items:
        return _svg(chart_id, title, items, ROW, [])
    label_width = min(LABEL_MAX, max(len(_short(item.label)) for item in items)) * CHAR + 12
    note_width = max(len(item.shown) for item in items) * CHAR + 12
    left, right = label_width, WIDTH - note_width
    most = scale if scale is not None else max((item.value for item in items), default=0)
    most = most or 1
    height = ROW * len(items) + 8
    body: list[str] = []
    for n, item in enumerate(items):
        top = 4 + n * ROW
        length = max(0.0, (right - left) * min(item.value, most) / most)
        colour = COLOURS[1] if highlight is not None and highlight(item) else COLOURS[0]
        middle = top + ROW / 2
        body.append(
            f'<g class="bar"><title>{escape(item.label)}: {escape(item.shown)}</title>'
            f'<text x="{left - 8:.0f}" y="{middle:.1f}" text-anchor="end" '
            f'dominant-baseline="central" font-size="13" fill="currentColor">'
            f"{escape(_short(item.label))}</text>"
            f'<rect x="{left:.0f}" y="{top + 5}" width="{max(length, 1.5):.1f}" '
            f'height="{ROW - 10}" fill="{colour}"/>'
            f'<text x="{left + max(length, 1.5) + 6:.1f}" y="{middle:.1f}" '
            f'dominant-baseline="central" font-size="13" fill="currentColor">'
            f"{escape(item.shown)}</text></g>"
        )
    return _svg(chart_id, title, items, height, body)


def columns(chart_id: str, title: str, items: Sequence[Bar]) -> Markup:
    """Vertical columns in the order given (months), each labelled below and valued above."""
    height = COLUMN_HEIGHT + 48
    if not items:
        return _svg(chart_id, title, items, height, [])
    most = max(item.value for item in items) or 1
    slot = (WIDTH - 16) / len(items)
    width = max(4.0, min(48.0, slot * 0.7))
    base = 20 + COLUMN_HEIGHT
    body = [
        f'<line x1="8" y1="{base}" x2="{WIDTH - 8}" y2="{base}" '
        'stroke="currentColor" stroke-width="1"/>'
    ]
    # Labels of narrow columns are shortened to what fits; the tooltip has them whole.
    fits = max(2, int(slot / CHAR))
    for n, item in enumerate(items):
        centre = 8 + slot * (n + 0.5)
        tall = COLUMN_HEIGHT * item.value / most
        body.append(
            f'<g class="bar"><title>{escape(item.label)}: {escape(item.shown)}</title>'
            f'<rect x="{centre - width / 2:.1f}" y="{base - tall:.1f}" width="{width:.1f}" '
            f'height="{tall:.1f}" fill="{COLOURS[0]}"/>'
            f'<text x="{centre:.1f}" y="{base - tall - 5:.1f}" text-anchor="middle" '
            f'font-size="12" fill="currentColor">{escape(item.shown)}</text>'
            f'<text x="{centre:.1f}" y="{base + 17}" text-anchor="middle" font-size="12" '
            f'fill="currentColor">{escape(_short(item.label, fits))}</text></g>'
        )
    return _svg(chart_id, title, items, height, body)
