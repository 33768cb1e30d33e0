"""The report's chart: activities per unit and per month, as a PNG (matplotlib, no display)."""

from __future__ import annotations

import io

# The object API, not pyplot: no global figure state, so exports may run in threads at once.
from matplotlib.figure import Figure

from bot.exports import Wording
from bot.reports.summary import Summary, Tally


def chart_png(summary: Summary, words: Wording) -> bytes:
    """Two bar charts side by side, as PNG bytes at print resolution."""
    units = [unit for unit in summary.units if unit.id in summary.by_unit] or summary.units
    months = summary.months()
    figure = Figure(figsize=(8.0, max(3.0, 0.32 * len(units) + 1.2)), dpi=150)
    left, right = figure.subplots(1, 2)
    names = [unit.name for unit in units][::-1]
    counts = [summary.by_unit.get(unit.id, Tally()).reports for unit in units][::-1]
    left.barh(names, counts, color="#2F5597")
    left.set_title(words["chart_units"], fontsize=10)
    left.tick_params(labelsize=7)
    left.xaxis.get_major_locator().set_params(integer=True)
    right.bar(
        [f"{month:02d}/{year % 100:02d}" for year, month in months],
        [summary.by_month.get(month, 0) for month in months],
        color="#C55A11",
    )
    right.set_title(words["chart_months"], fontsize=10)
    right.tick_params(axis="x", labelsize=7, labelrotation=60)
    right.tick_params(axis="y", labelsize=7)
    right.yaxis.get_major_locator().set_params(integer=True)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
