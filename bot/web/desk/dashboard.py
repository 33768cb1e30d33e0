"""The dashboard: a period's approved reports as a few charts, drawn on the server as SVG.

The figures are the `Summary` of bot/reports/summary.py, the one `loa reports summary`, the
chat's /summary and the export files read, so the charts cannot disagree with them: reports
per month, reports and participants per unit, and the share of ethnic-minority participants
(over the reports that recorded it, as the summary counts it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.core.i18n import _, format_number
from bot.engine import Services
from bot.reports.summary import Period, Summary, Tally, recent_periods, summarize
from bot.web.desk.charts import Bar, bars, columns
from db.repositories import Repos


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart with its heading (the SVG carries the same title for screen readers)."""

    heading: str
    svg: str


def default_period(today: date, services: Services) -> Period:
    """The period the dashboard opens on: the one in progress, else the last one ended."""
    periods = recent_periods(today, services.settings)
    running = [p for p in periods if p.start <= today <= p.end]
    return running[0] if running else periods[0]


async def figures(
    repos: Repos, services: Services, period: Period, scope_unit: str | None, today: date
) -> Summary:
    """The summary the dashboard draws (`scope_unit`: a unit and those under it; None: all)."""
    return await summarize(repos, services.settings, period, scope=scope_unit, today=today)


def percent(share: float) -> str:
    """A share as a whole percentage."""
    return f"{round(100 * share)}%"


def charts(summary: Summary) -> list[Chart]:
    """The dashboard's charts, titled in the current language."""
    units = [unit for unit in summary.units if unit.id in summary.by_unit]
    tallies = [(unit.name, summary.by_unit.get(unit.id, Tally())) for unit in units]
    months = [
        Bar(f"{month:02d}/{year % 100:02d}", summary.by_month.get((year, month), 0))
        for year, month in summary.months()
    ]
    shares = [
        Bar(name, 100 * share, note=percent(share))
        for name, tally in tallies
        if (share := tally.ethnic_minority_share) is not None
    ]
    found = [
        ("months", _("Activities reported per month"), columns, months),
        (
            "units",
            _("Activities per unit"),
            bars,
            [Bar(name, tally.reports, format_number(tally.reports)) for name, tally in tallies],
        ),
        (
            "participants",
            _("Participants per unit"),
            bars,
            [
                Bar(name, tally.participants, format_number(tally.participants))
                for name, tally in tallies
            ],
        ),
    ]
    result = [
        Chart(title, draw(f"chart-{key}", title, items)) for key, title, draw, items in found
    ]
    title = _("Ethnic-minority share of participants, per unit")
    result.append(Chart(title, bars("chart-share", title, shares, scale=100)))
    return result
