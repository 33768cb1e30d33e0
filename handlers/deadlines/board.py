"""/status: the deadlines of the officer's units, or the whole board for admins."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.core.chat import Choice, Incoming, Reply, choice, escape
from bot.core.i18n import N_, _, format_day
from bot.deadlines.planner import DeadlineView, due_phrase
from bot.engine import Context
from db.models import Role
from handlers.deadlines.flow import (
    OFFICERS,
    active_units,
    menu_only,
    open_views,
    router,
    subtree,
    today_of,
)

# --- the board ------------------------------------------------------------------------------


@router.command(
    "status", "hanbaocao", roles=OFFICERS, help=N_("reporting deadlines and who has submitted")
)
@router.choice("dl", roles=OFFICERS)
async def status(event: Incoming, ctx: Context) -> Reply:
    """Admins: every open deadline with counts and late units. Officers: their units'."""
    ctx.state.clear()
    units = await active_units(ctx)
    names = {unit.id: unit.name for unit in units}
    views = await open_views(ctx)
    today = today_of(ctx)
    if ctx.role is Role.admin:
        scope: set[str] | None = None
    elif ctx.user.unit_id is None:
        return Reply(
            _(
                "Your account is not linked to a unit yet. Ask an administrator for an "
                "invite code for your unit."
            ),
            choices=menu_only(ctx),
        )
    else:
        scope = subtree(units, ctx.user.unit_id)
    lines = [_("**Reporting deadlines**")]
    choices: list[Choice] = []
    shown = 0
    outstanding = {u for view in views for u in view.pending() if scope is None or u in scope}
    reminded = {user.unit_id for user in await ctx.repos.deadlines.responsible(outstanding)}
    for view in views:
        owed = [u for u in view.units if scope is None or u in scope]
        if not owed:
            continue
        shown += 1
        lines.append("")
        lines.append(
            _("**{title}** — due {due} (last day {last_day})").format(
                title=escape(view.title),
                due=due_phrase(view.due_date),
                last_day=format_day(view.last_day),
            )
        )
        mine = ctx.user.unit_id if ctx.user.unit_id in owed else None
        if mine is not None and ctx.role is not Role.admin and len(owed) == 1:
            lines.append(_unit_line(view, mine, names, today))
        else:
            states = [view.unit_state(u, today) for u in owed]
            lines.append(
                _("Submitted: {submitted} of {total} · not yet due: {due} · late: {late}").format(
                    submitted=states.count("submitted"),
                    total=len(owed),
                    due=states.count("due"),
                    late=states.count("late"),
                )
            )
            lines.extend(
                _outstanding(view, owed, reminded, names, today, admin=ctx.role is Role.admin)
            )
            if mine is not None:
                lines.append(_unit_line(view, mine, names, today))
        if mine is not None and view.unit_state(mine, today) != "submitted":
            choices.append(
                choice(
                    "dls",
                    view.id or 0,
                    label=_("✅ Mark “{title}” as submitted").format(title=view.title),
                )
            )
    if not shown:
        lines = [_("No report deadline is open for your units now.")]
        if ctx.role is Role.admin:
            lines = [_("No report deadline is open now.")]
    if ctx.role is Role.admin:
        if shown:
            choices.append(choice("dlrec", label=_("📝 Record a submission")))
            choices.append(choice("dle", label=_("✏️ Change or cancel a deadline")))
        choices.append(choice("dln", label=_("➕ Ask for a report (new deadline)")))
    return Reply("\n".join(lines), choices=(*choices, *menu_only(ctx)))


def _outstanding(
    view: DeadlineView,
    owed: Sequence[str],
    reminded: set[str | None],
    names: dict[str, str],
    today: date,
    *,
    admin: bool,
) -> list[str]:
    """The units that still owe the report: first those nobody is reminding, then the rest."""
    pending = [u for u in owed if u in view.pending()]

    def listed(units: Sequence[str]) -> str:
        return ", ".join(escape(names.get(u, u)) for u in units)

    lines = []
    unheard = [u for u in pending if u not in reminded]
    if unheard:
        lines.append(
            _("⚠️ No officer registered, so nobody is reminded: {units}").format(
                units=listed(unheard)
            )
        )
        if admin:
            lines.append(_("Invite an officer for each of them with /invite."))
    late = [u for u in pending if u in reminded and view.unit_state(u, today) == "late"]
    if late:
        lines.append(_("Late: {units}").format(units=listed(late)))
    waiting = [u for u in pending if u in reminded and view.unit_state(u, today) == "due"]
    if waiting:
        lines.append(_("Not submitted yet: {units}").format(units=listed(waiting)))
    return lines


def _unit_line(view: DeadlineView, unit_id: str, names: dict[str, str], today: date) -> str:
    name = escape(names.get(unit_id, unit_id))
    submission = view.submissions.get(unit_id)
    if submission is not None:
        return _("{unit}: submitted on {date} ✅").format(
            unit=name, date=format_day(submission.at)
        )
    left = (view.last_day - today).days
    if left > 0:
        return _("{unit}: not submitted yet, {days} days left.").format(unit=name, days=left)
    if left == 0:
        return _("{unit}: not submitted yet, today is the last day.").format(unit=name)
    return _("{unit}: late by {days} days.").format(unit=name, days=-left)
