"""The review queue: reports of the officer's units, filtered; one report; the decisions.

What an officer sees and may decide is exactly what chat allows (handlers/review.py): the
queue holds the reports of their unit and the units under it (admins: all), a report's page
shows the same summary and audit trail chat shows, and approve / reject with a reason / ask
for more run chat's own use case (`decide`), which records the change and tells the reporter
through the outbox in their language. A report outside the officer's units is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from markupsafe import Markup, escape

from bot.core.chat import spans
from bot.core.i18n import N_, _
from bot.engine import BadInput, Context, check_length
from bot.web.desk.auth import Desk, redirect, signed_in
from bot.web.desk.render import NavItem, render_page
from db.models import MediaKind, Report, ReportMedia, ReportStatus
from handlers.admin import describe_user, unit_name
from handlers.report import activity_label, load_view, status_label
from handlers.report.notices import can_review
from handlers.report.views import ACTIVITY_LABELS, STATUS_LABELS, summary_text
from handlers.review import (
    NOTE_MAX,
    NOTE_MIN,
    already_decided,
    current_round,
    decide,
    reviewable,
)

routes = web.RouteTableDef()
NAV = NavItem(10, N_("Reports to review"), "/desk/review")

PAGE_SIZE = 20
THUMBS_IN_LIST = 4
ANY = "any"

# The decisions of the page's forms: the status, and what the officer is told (chat's words).
DECISIONS: dict[str, tuple[ReportStatus, str]] = {
    "approve": (
        ReportStatus.approved,
        N_("Report #{number} is approved. The reporter will be told."),
    ),
    "reject": (
        ReportStatus.rejected,
        N_("Report #{number} is rejected. The reporter will be told the reason."),
    ),
    "ask": (
        ReportStatus.needs_info,
        N_(
            "Your question was sent to the reporter. Report #{number} comes back to you "
            "when they answer."
        ),
    ),
}


@dataclass(frozen=True, slots=True)
class Filters:
    """The queue's filters, as read from the address (anything unknown is ignored)."""

    unit: str
    status: str
    activity: str
    since: date | None
    until: date | None
    page: int

    @classmethod
    def read(cls, query: Any, units: list[tuple[str, str]]) -> Filters:
        """The filters of `query`; a unit the officer does not see counts as no filter."""
        unit = str(query.get("unit", ""))
        status = str(query.get("status", ReportStatus.submitted.value))
        activity = str(query.get("activity", ""))
        page = str(query.get("page", "1"))
        return cls(
            unit=unit if unit in {uid for uid, _name in units} else "",
            status=status if status in _STATUSES else ReportStatus.submitted.value,
            activity=activity if activity in {a.value for a in ACTIVITY_LABELS} else "",
            since=_day(query.get("from")),
            until=_day(query.get("to")),
            page=int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1,
        )

    def query(self, **changes: Any) -> str:
        """The address of the queue with these filters (and `changes`)."""
        values = {
            "unit": self.unit,
            "status": self.status,
            "activity": self.activity,
            "from": self.since.isoformat() if self.since else "",
            "to": self.until.isoformat() if self.until else "",
            "page": str(self.page),
        } | {key: str(value) for key, value in changes.items()}
        return "/desk/review?" + urlencode({k: v for k, v in values.items() if v})


_STATUSES = {s.value for s in STATUS_LABELS if s is not ReportStatus.draft} | {ANY}


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def markup_html(text: str) -> Markup:
    """Chat markup (`**bold**`, escapes) as HTML: the same words chat shows, escaped."""
    parts = [
        Markup("<strong>{}</strong>").format(run) if bold else escape(run)
        for run, bold in spans(text)
    ]
    return Markup("").join(parts)


async def visible_report(desk: Desk, report_id: int) -> Report | None:
    """The report if this user may see it: sent (not a draft) and of their units."""
    report = await desk.repos.reports.get(report_id)
    if report is None or report.status == ReportStatus.draft.value:
        return None
    scope = await desk.unit_scope()
    if scope is not None and report.unit_id not in scope:
        return None
    return report


def map_link(latitude: float, longitude: float) -> str:
    """A map of the place (OpenStreetMap: no account, no key)."""
    return (
        f"https://www.openstreetmap.org/?mlat={latitude:.6f}&mlon={longitude:.6f}"
        f"#map=16/{latitude:.6f}/{longitude:.6f}"
    )


async def _units(desk: Desk, ctx: Context) -> list[tuple[str, str]]:
    """The units this user sees, for the unit filter, by name."""
    scope = await desk.unit_scope()
    ids = scope if scope is not None else {unit.id for unit in await desk.repos.units.active()}
    named = [(uid, await unit_name(ctx, uid)) for uid in ids]
    return sorted(named, key=lambda pair: pair[1])


@routes.get("/desk/review")
@signed_in()
async def queue(request: web.Request, desk: Desk) -> web.StreamResponse:
    """The reports of the officer's units that match the filters, oldest waiting first."""
    ctx = desk.context()
    units = await _units(desk, ctx)
    filters = Filters.read(request.query, units)
    scope = await desk.unit_scope()
    chosen = {filters.unit} if filters.unit else scope
    statuses = None if filters.status == ANY else [ReportStatus(filters.status)]
    reports, total = await desk.repos.reports.find(
        units=chosen,
        statuses=statuses,
        activities=[filters.activity] if filters.activity else None,
        since=filters.since,
        until=filters.until,
        limit=PAGE_SIZE,
        offset=(filters.page - 1) * PAGE_SIZE,
        oldest_first=filters.status == ReportStatus.submitted.value,
        not_by=desk.user.id,  # as in chat: nobody reviews their own reports
    )
    photos = await desk.repos.reports.photos_of([report.id for report in reports])
    rows = []
    for report in reports:
        reporter = await desk.repos.users.get(report.reporter_id)
        rows.append(
            {
                "report": report,
                "unit": await unit_name(ctx, report.unit_id),
                "activity": activity_label(report.activity, report.activity_other),
                "status": status_label(report.status),
                "reporter": describe_user(reporter) if reporter else "—",
                "photos": photos.get(report.id, [])[:THUMBS_IN_LIST],
                "more_photos": max(0, len(photos.get(report.id, [])) - THUMBS_IN_LIST),
                "map": map_link(report.latitude, report.longitude)
                if report.latitude is not None and report.longitude is not None
                else None,
            }
        )
    return render_page(
        request,
        "review.html",
        desk,
        rows=rows,
        total=total,
        filters=filters,
        units=units,
        statuses=[
            (s.value, _(label)) for s, label in STATUS_LABELS.items() if s.value in _STATUSES
        ],
        activities=[(a.value, _(label)) for a, label in ACTIVITY_LABELS.items()],
        any_status=ANY,
        pages=(total + PAGE_SIZE - 1) // PAGE_SIZE,
    )


@routes.get(r"/desk/review/{report_id:\d+}")
@signed_in()
async def report_page(request: web.Request, desk: Desk) -> web.StreamResponse:
    """One report: chat's summary with its trail, the photos, a map, and the decisions."""
    report = await visible_report(desk, int(request.match_info["report_id"]))
    if report is None:
        return _not_found(request, desk)
    done = request.query.get("done", "")
    message = _(DECISIONS[done][1]).format(number=report.id) if done in DECISIONS else ""
    return await _show(request, desk, report, message=message)


async def _show(
    request: web.Request,
    desk: Desk,
    report: Report,
    *,
    message: str = "",
    problem: str = "",
    note: str = "",
    action: str = "",
    status: int = 200,
) -> web.StreamResponse:
    ctx = desk.context()
    view = await load_view(ctx, report)
    photos: list[ReportMedia] = await desk.repos.reports.media(report.id, MediaKind.photo)
    title = _("Report #{number}").format(number=report.id)
    return render_page(
        request,
        "report.html",
        desk,
        status=status,
        report=report,
        title=title,
        summary=markup_html(summary_text(view, title=title, for_officer=True)),
        photos=photos,
        map=map_link(*view.location) if view.location else None,
        decidable=report.status == ReportStatus.submitted.value and await can_review(ctx, report),
        round=view.review_round,
        message=message,
        problem=problem,
        note=note,
        failed=action,
        note_min=NOTE_MIN,
        note_max=NOTE_MAX,
    )


@routes.post(r"/desk/review/{report_id:\d+}")
@signed_in()
async def decide_report(request: web.Request, desk: Desk) -> web.StreamResponse:
    """Approve, reject with a reason, or ask for more: chat's checks and chat's use case."""
    report_id = int(request.match_info["report_id"])
    if await visible_report(desk, report_id) is None:
        return _not_found(request, desk)
    form = await request.post()
    action = str(form.get("action", ""))
    note = str(form.get("note", "")).strip()
    shown = str(form.get("round", ""))
    ctx = desk.context()
    try:
        if action not in DECISIONS or not shown.isdigit():
            raise BadInput(_("Sorry, that form is out of date. Open the report again."))
        report = await reviewable(ctx, report_id)
        if report.status != ReportStatus.submitted.value:
            raise await already_decided(ctx, report)
        if int(shown) != await current_round(ctx, report):
            raise BadInput(
                _(
                    "The reporter has answered since you saw report #{number}, so this "
                    "decision was not made. Read their answer below, then decide."
                ).format(number=report.id)
            )
        to, _said = DECISIONS[action]
        if to is not ReportStatus.approved:
            note = check_length(
                note,
                NOTE_MAX,
                _("Please keep it under {limit} characters (you wrote {length})."),
                least=NOTE_MIN,
                too_short=_("Please type a few words, so the reporter understands."),
            )
        await decide(ctx, report, to, note if to is not ReportStatus.approved else "")
    except BadInput as bad:
        current = await visible_report(desk, report_id)
        assert current is not None  # seen a moment ago, in this transaction
        return await _show(
            request, desk, current, problem=bad.message, note=note, action=action, status=409
        )
    return redirect(f"/desk/review/{report_id}?done={action}")


def _not_found(request: web.Request, desk: Desk) -> web.StreamResponse:
    return render_page(
        request,
        "message.html",
        desk,
        status=404,
        title=_("Not found"),
        text=_("There is no such report among the reports you review."),
    )
