"""The periodic report's files from the desk: choose a period and a scope, download the
workbook (XLSX) or the draft report (DOCX).

The same aggregation as `loa export` and chat's /export: `summarize` counts the approved
reports (bot/reports/summary.py) and `write_exports` writes the files in Vietnamese with the
chat's names for activity kinds and roles (bot/exports/). Officers choose among their own unit
and the units under it, admins among every unit or the whole map.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import wraps
from pathlib import Path

from aiohttp import web

from bot.core.i18n import N_, _, format_day
from bot.engine import Services
from bot.exports import FORMATS, wording, write_exports
from bot.reports import summary as tallies
from bot.reports.summary import Period, Summary
from bot.web.desk.auth import Desk, DeskHandler, signed_in
from bot.web.desk.pages import message
from bot.web.desk.render import NavItem, render_page
from db.models import Role, Unit, UnitKind, User
from db.repositories import Repos
from db.repositories.units import tree_order
from handlers.exports import period_name, vocabulary

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def periods(today: date, services: Services) -> list[Period]:
    """The periods offered: the three that ended last and the one in progress (as in chat)."""
    return tallies.recent_periods(today, services.settings)


async def scopes(repos: Repos, user: User) -> list[Unit]:
    """The units this user may export (villages aside, unless it is their own unit).

    Admins may also export the whole map (no unit), which the page offers first.
    """
    units = tree_order(await repos.units.active())
    if user.role == Role.admin.value:
        allowed = None
    elif user.unit_id is None:
        return []
    else:
        allowed = await repos.reports.subtree(user.unit_id)
    return [
        unit
        for unit in units
        if (allowed is None or unit.id in allowed)
        and (unit.kind != UnitKind.village.value or unit.id == user.unit_id)
    ]


def today_of(desk: Desk) -> date:
    """The day it is for the desk's user (Vietnam time)."""
    return desk.now.astimezone(desk.loa.settings.tz).date()


async def tally(desk: Desk, chosen: Selection) -> Summary:
    """The summary of the chosen period and scope (what the files and charts show)."""
    settings = desk.loa.settings
    return await tallies.summarize(
        desk.repos, settings, chosen.period, scope=chosen.scope, today=today_of(desk)
    )


@dataclass(frozen=True, slots=True)
class ExportFile:
    """A written file, ready to download."""

    name: str
    content_type: str
    data: bytes


async def write(summary: Summary, kind: str, services: Services, today: date) -> ExportFile:
    """Write one file of the summary (`kind`: "xlsx" or "docx") and read it back."""
    if kind not in FORMATS:
        raise ValueError(kind)
    settings = services.settings
    words = wording(settings.locales_dir)
    names = vocabulary(services.catalogs, "vi")  # official files are in Vietnamese

    def written() -> tuple[str, bytes]:
        with tempfile.TemporaryDirectory(prefix="loa-desk-") as folder:
            (path,) = write_exports(summary, (kind,), Path(folder), names, words, today)
            return path.name, path.read_bytes()

    name, data = await asyncio.to_thread(written)
    return ExportFile(name, CONTENT_TYPES[kind], data)


# --- choosing a period and a scope (this page and the dashboard) -----------------------------


@dataclass(frozen=True, slots=True)
class Selection:
    """A period and a scope as chosen in a page's address, checked against the user's units."""

    period: Period
    scope: str | None  # a unit and those under it; None: the whole map (admins only)
    periods: list[Period]
    units: list[Unit]
    whole_map: bool  # whether "the whole map" is offered (admins)
    start: str  # a range typed as two days, shown back in the form
    end: str
    problem: str = ""


async def select(query: Mapping[str, str], desk: Desk) -> Selection | None:
    """The period and scope of `query`, defaulting to the period in progress and the user's
    own unit; None when this user has no unit to look at."""
    services = desk.loa.services
    today = today_of(desk)
    offered = periods(today, services)
    units = await scopes(desk.repos, desk.user)
    admin = desk.role is Role.admin
    if not units and not admin:
        return None
    wanted = query.get("scope", "" if admin else desk.user.unit_id or "")
    scope = wanted if wanted in {unit.id for unit in units} else None
    if scope is None and not admin:
        scope = desk.user.unit_id
    start, end = query.get("from", ""), query.get("to", "")
    text = f"{start}..{end}" if start and end else query.get("period", "")
    problem = ""
    try:
        period = (
            tallies.parse_period(text, services.settings) if text else _running(offered, today)
        )
    except tallies.PeriodError:
        period = _running(offered, today)
        problem = _("I could not read that period. Choose one, or give both days of a range.")
    return Selection(period, scope, offered, units, admin, start, end, problem)


def _running(offered: list[Period], today: date) -> Period:
    running = [p for p in offered if p.start <= today <= p.end]
    return running[0] if running else offered[0]


# --- the pages ------------------------------------------------------------------------------

routes = web.RouteTableDef()
TITLE = N_("Periodic report files")
NAV = NavItem(50, TITLE, "/desk/exports")


SelectionHandler = Callable[[web.Request, Desk, Selection], Awaitable[web.StreamResponse]]


def with_selection(title: str) -> Callable[[SelectionHandler], DeskHandler]:
    """Give a page the period and scope of its address (`title`: the page's msgid, for the
    refusal a user bound to no unit gets: there is nothing to count)."""

    def wrap(handler: SelectionHandler) -> DeskHandler:
        @wraps(handler)
        async def run(request: web.Request, desk: Desk) -> web.StreamResponse:
            chosen = await select(request.query, desk)
            if chosen is None:
                text = _("You are not bound to a unit, so there is nothing to count.")
                return message(request, desk, _(title), text, status=403)
            return await handler(request, desk, chosen)

        return run

    return wrap


@routes.get("/desk/exports")
@signed_in()
@with_selection(TITLE)
async def form_page(request: web.Request, desk: Desk, chosen: Selection) -> web.StreamResponse:
    """Choose the period, the scope and the file."""
    return _form(request, desk, chosen)


def _form(
    request: web.Request, desk: Desk, chosen: Selection, *, problem: str = "", status: int = 200
) -> web.StreamResponse:
    return render_page(
        request,
        "exports.html",
        desk,
        status=status,
        chosen=chosen,
        period_name=period_name,
        problem=problem or chosen.problem,
    )


@routes.get("/desk/exports/file")
@signed_in()
@with_selection(TITLE)
async def file_page(request: web.Request, desk: Desk, chosen: Selection) -> web.StreamResponse:
    """The workbook or the draft report of the chosen period and scope, as a download."""
    kind = request.query.get("format", "")
    if kind not in FORMATS or chosen.problem:
        return _form(request, desk, chosen, problem=chosen.problem, status=422)
    summary = await tally(desk, chosen)
    if summary.empty:
        problem = _(
            "No approved report of {scope} from {start} to {end}: there is nothing to count "
            "or export yet. Reports count once an officer approves them."
        ).format(
            scope=summary.scope_name,
            start=format_day(chosen.period.start),
            end=format_day(chosen.period.end),
        )
        return _form(request, desk, chosen, problem=problem, status=404)
    made = await write(summary, kind, desk.loa.services, today_of(desk))
    return web.Response(
        body=made.data,
        content_type=made.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{made.name}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
