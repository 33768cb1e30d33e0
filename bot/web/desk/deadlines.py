"""The deadline board: per open deadline, which units submitted, are due or late, and the
reminders their officers were sent; admins create, change and cancel deadlines.

The same services as chat's /status and /deadline and `loa deadlines`: `open_deadlines`
(bot/deadlines/planner.py) for the board, `create_adhoc`, `edit_deadline` and
`cancel_deadline` (bot/deadlines/changes.py) for the changes, with chat's rules: officers see
their unit and the units under it, only admins change deadlines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from aiohttp import web

from bot.core.i18n import N_, _
from bot.deadlines.changes import (
    TITLE_MAX,
    TITLE_MIN,
    Change,
    DeadlineChangeError,
    cancel_deadline,
    check_due,
    check_title,
    deadline_prefix,
    edit_deadline,
)
from bot.deadlines.planner import (
    DeadlineView,
    create_adhoc,
    due_phrase,
    open_deadlines,
    rule_book,
    tree_order,
    unit_prefix,
)
from bot.engine import Services
from bot.web.desk.auth import Desk, redirect, signed_in
from bot.web.desk.pages import message
from bot.web.desk.render import NavItem, render_page
from db.models import Deadline, Role, Unit, User
from db.repositories import Repos
from handlers.deadlines.changes import change_problem

REMINDER_KINDS = ("reminder",)


@dataclass(frozen=True, slots=True)
class UnitLine:
    """One unit's line under a deadline."""

    unit_id: str
    name: str
    state: str  # "submitted", "due" (not yet late) or "late"
    submitted_on: date | None
    recorded: bool  # recorded by an admin rather than marked in chat
    reminders: int  # reminders sent to the unit's officers
    reached: bool  # an officer is registered there, so someone is reminded


@dataclass(frozen=True, slots=True)
class BoardDeadline:
    """A deadline as the board shows it, limited to the units the viewer oversees."""

    id: int | None
    title: str
    due_date: date
    last_day: date
    adhoc: bool
    units: tuple[UnitLine, ...]

    def count(self, state: str) -> int:
        """Units in `state`."""
        return sum(1 for line in self.units if line.state == state)

    @property
    def reminders(self) -> int:
        """Reminders sent for this deadline to the units shown."""
        return sum(line.reminders for line in self.units)


async def board(
    repos: Repos, services: Services, scope: set[str] | None, now: datetime
) -> list[BoardDeadline]:
    """The open deadlines owed by units in `scope` (None: every unit), soonest first."""
    settings = services.settings
    views = await open_deadlines(repos, rule_book(settings.deadlines_file), settings.tz, now)
    names = {unit.id: unit.name for unit in await repos.units.active()}
    today = now.astimezone(settings.tz).date()
    shown = [(view, [u for u in view.units if scope is None or u in scope]) for view in views]
    owed = {unit for _view, units in shown for unit in units}
    reached = {user.unit_id for user in await repos.deadlines.responsible(owed)}
    found = []
    for view, units in shown:
        if not units:
            continue
        sent = await repos.outbox.sent_keys(deadline_prefix(view.key), REMINDER_KINDS)
        found.append(
            BoardDeadline(
                id=view.id,
                title=view.title,
                due_date=view.due_date,
                last_day=view.last_day,
                adhoc=view.rule_id is None,
                units=tuple(
                    _line(view, unit, names, sent, reached, settings.tz, today) for unit in units
                ),
            )
        )
    return found


def _line(
    view: DeadlineView,
    unit_id: str,
    names: dict[str, str],
    sent: Sequence[str],
    reached: set[str | None],
    tz: tzinfo,
    today: date,
) -> UnitLine:
    submission = view.submissions.get(unit_id)
    prefix = unit_prefix(view.key, unit_id)
    return UnitLine(
        unit_id=unit_id,
        name=names.get(unit_id, unit_id),
        state=view.unit_state(unit_id, today),
        submitted_on=submission.at.astimezone(tz).date() if submission is not None else None,
        recorded=submission is not None and submission.via == "recorded",
        reminders=sum(1 for key in sent if key.startswith(prefix)),
        reached=unit_id in reached,
    )


async def reporting_units(repos: Repos) -> list[Unit]:
    """The units a new deadline can ask a report of, in the org file's order."""
    return [unit for unit in tree_order(await repos.units.active()) if unit.reporting]


@dataclass(frozen=True, slots=True)
class Created:
    """A new deadline, and the units chosen where no officer is registered to be told."""

    deadline: Deadline
    units: int
    unheard: list[str]


async def create(
    repos: Repos,
    services: Services,
    author: User,
    *,
    title: str,
    due: date,
    unit_ids: Sequence[str],
    now: datetime,
) -> Created:
    """Ask the chosen units for a report (an admin's ad-hoc deadline, as /deadline makes it).

    DeadlineChangeError("title" | "due" | "units") when the form cannot be used.
    """
    settings = services.settings
    tidy = check_title(title)
    check_due(due, now.astimezone(settings.tz).date())
    allowed = {unit.id for unit in await reporting_units(repos)}
    chosen = list(dict.fromkeys(u for u in unit_ids if u in allowed))
    if not chosen or len(chosen) != len(set(unit_ids)):
        raise DeadlineChangeError("units")
    deadline = await create_adhoc(
        repos,
        rule_book(settings.deadlines_file),
        title=tidy,
        due_date=due,
        unit_ids=chosen,
        created_by=author.id,
        now=now,
    )
    reached = {user.unit_id for user in await repos.deadlines.responsible(chosen)}
    return Created(deadline, len(chosen), [u for u in chosen if u not in reached])


async def change(
    repos: Repos,
    services: Services,
    deadline_id: int,
    *,
    title: str | None,
    due: date | None,
    cancel: bool,
    now: datetime,
) -> Change:
    """Change a deadline's title or due date, or cancel it (DeadlineChangeError: why not)."""
    settings, catalogs = services.settings, services.catalogs
    if cancel:
        return await cancel_deadline(
            repos, deadline_id, settings=settings, catalogs=catalogs, now=now
        )
    return await edit_deadline(
        repos, deadline_id, title=title, due=due, settings=settings, catalogs=catalogs, now=now
    )


def problem(error: DeadlineChangeError) -> str:
    """Why a deadline form was refused, as the admin reads it (chat's words where it has them)."""
    if error.reason in ("title", "due"):
        return change_problem(error)
    if error.reason == "units":
        return _("Choose at least one unit.")
    return _("This deadline is closed or no longer exists.")


# --- the pages ------------------------------------------------------------------------------

routes = web.RouteTableDef()
NAV = NavItem(20, N_("Reporting deadlines"), "/desk/deadlines")


@routes.get("/desk/deadlines")
@signed_in()
async def board_page(request: web.Request, desk: Desk) -> web.StreamResponse:
    """The open deadlines of the user's units; for admins, the form of a new one."""
    return await _board(request, desk, message=await _done(request, desk))


async def _board(
    request: web.Request,
    desk: Desk,
    *,
    message: str = "",
    problem: str = "",
    form: Mapping[str, Any] | None = None,
    status: int = 200,
) -> web.StreamResponse:
    services = desk.loa.services
    scope = await desk.unit_scope()
    linked = scope is None or bool(scope)
    deadlines = await board(desk.repos, services, scope, desk.now) if linked else []
    admin = desk.role is Role.admin
    today = desk.now.astimezone(services.settings.tz).date()
    return render_page(
        request,
        "deadlines.html",
        desk,
        status=status,
        deadlines=deadlines,
        linked=linked,
        admin=admin,
        units=await reporting_units(desk.repos) if admin else [],
        due_phrase=due_phrase,
        message=message,
        problem=problem,
        form=form or {},
        earliest=(today + timedelta(days=2)).isoformat(),
        latest=(today + timedelta(days=366)).isoformat(),
        title_min=TITLE_MIN,
        title_max=TITLE_MAX,
    )


async def _done(request: web.Request, desk: Desk) -> str:
    """The line saying what the last form did (its deadline is read again, not trusted)."""
    done, number = request.query.get("done", ""), request.query.get("id", "")
    deadline = await desk.repos.deadlines.get(int(number)) if number.isdigit() else None
    if deadline is None:
        return ""
    told = request.query.get("told", "0")
    told_line = _("Officers told: {count}.").format(count=int(told) if told.isdigit() else 0)
    due = due_phrase(deadline.due_date)
    if done == "created":
        units = len((await desk.repos.deadlines.units_of([deadline.id]))[deadline.id])
        return _(
            "Created: {title}, due {due}, for {count} units. Their officers are told within "
            "a few minutes, then reminded before the last day."
        ).format(title=deadline.title, due=due, count=units)
    if done == "changed":
        return _("Changed: {title}, due {due}.").format(title=deadline.title, due=due) + (
            " " + told_line
        )
    if done == "cancelled" and deadline.cancelled_at is not None:
        return _("Cancelled: {title} (was due {due}).").format(title=deadline.title, due=due) + (
            " " + told_line
        )
    return ""


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


@routes.post("/desk/deadlines")
@signed_in(Role.admin)
async def create_page(request: web.Request, desk: Desk) -> web.StreamResponse:
    """Create an ad-hoc deadline from the form (admins, as /deadline in chat)."""
    form = await request.post()
    title = str(form.get("title", ""))
    due = _day(str(form.get("due", "")))
    chosen = [str(unit) for unit in form.getall("unit", [])]
    filled = {"title": title, "due": str(form.get("due", "")), "units": chosen}
    try:
        if due is None:
            raise DeadlineChangeError("due")
        created = await create(
            desk.repos,
            desk.loa.services,
            desk.user,
            title=title,
            due=due,
            unit_ids=chosen,
            now=desk.now,
        )
    except DeadlineChangeError as error:
        return await _board(request, desk, problem=problem(error), form=filled, status=422)
    return redirect(f"/desk/deadlines?done=created&id={created.deadline.id}")


@routes.get(r"/desk/deadlines/{deadline_id:\d+}")
@signed_in(Role.admin)
async def edit_page(request: web.Request, desk: Desk) -> web.StreamResponse:
    """A deadline's forms: a new title or due date, or its cancellation (admins)."""
    return await _edit(request, desk, int(request.match_info["deadline_id"]))


async def _edit(
    request: web.Request, desk: Desk, deadline_id: int, *, problem: str = "", status: int = 200
) -> web.StreamResponse:
    deadline = await desk.repos.deadlines.get(deadline_id)
    if deadline is None or deadline.cancelled_at is not None:
        closed = _("This deadline is closed or no longer exists.")
        return message(request, desk, _("Not found"), closed, status=404)
    return render_page(
        request,
        "deadline.html",
        desk,
        status=status,
        deadline=deadline,
        due_phrase=due_phrase,
        problem=problem,
        title_min=TITLE_MIN,
        title_max=TITLE_MAX,
    )


@routes.post(r"/desk/deadlines/{deadline_id:\d+}")
@signed_in(Role.admin)
async def change_page(request: web.Request, desk: Desk) -> web.StreamResponse:
    """Apply the edit or the cancellation (the service tells the officers concerned)."""
    deadline_id = int(request.match_info["deadline_id"])
    form = await request.post()
    action = str(form.get("action", ""))
    title = str(form.get("title", "")) or None
    due_text = str(form.get("due", ""))
    try:
        if action not in ("edit", "cancel"):
            raise DeadlineChangeError("missing")
        due = _day(due_text) if due_text else None
        if due_text and due is None:
            raise DeadlineChangeError("due")
        done = await change(
            desk.repos,
            desk.loa.services,
            deadline_id,
            title=title,
            due=due,
            cancel=action == "cancel",
            now=desk.now,
        )
    except DeadlineChangeError as error:
        return await _edit(request, desk, deadline_id, problem=problem(error), status=422)
    desk.context().notified += done.told  # wakes the outbox once the request commits
    what = "cancelled" if action == "cancel" else "changed"
    return redirect(f"/desk/deadlines?done={what}&id={deadline_id}&told={done.told}")
