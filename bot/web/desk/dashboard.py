"""The dashboard: a period's approved reports as a few charts, drawn on the server as SVG.

The figures are the `Summary` of bot/reports/summary.py, the one `loa reports summary`, the
chat's /summary and the export files read, so the charts cannot disagree with them: reports
per month, reports and participants per unit, and the share of ethnic-minority participants
(over the reports that recorded it, as the summary counts it).
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from markupsafe import Markup

from bot.core.i18n import N_, _, format_number
from bot.reports.summary import Summary, Tally
from bot.web.desk.auth import Desk, signed_in
from bot.web.desk.charts import Bar, bars, columns
from bot.web.desk.exports import Selection, tally, with_selection
from bot.web.desk.render import NavItem, render_page
from handlers.exports import period_name


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart with its heading (the SVG carries the same title for screen readers)."""

    heading: str
    svg: Markup


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


routes = web.RouteTableDef()
NAV = NavItem(5, N_("Dashboard"), "/desk/dashboard")


@routes.get("/desk/dashboard")
@signed_in()
@with_selection(NAV.label)
async def dashboard_page(
    request: web.Request, desk: Desk, chosen: Selection
) -> web.StreamResponse:
    """The figures and charts of a period (the one in progress unless another is chosen)."""
    summary = await tally(desk, chosen)
    share = summary.total.ethnic_minority_share
    return render_page(
        request,
        "dashboard.html",
        desk,
        chosen=chosen,
        period_name=period_name,
        summary=summary,
        share=percent(share) if share is not None else "—",
        charts=charts(summary) if not summary.empty else [],
        problem=chosen.problem,
    )
