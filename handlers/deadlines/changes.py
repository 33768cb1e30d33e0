"""Admins change or cancel a deadline in chat (the same service as `loa deadlines edit|cancel`).

/status → ✏️ change or cancel → deadline → new title | new due date | cancel → confirm
"""

from __future__ import annotations

from enum import StrEnum

from bot.core.chat import Incoming, Kind, Reply, choice, escape
from bot.core.i18n import _, format_day
from bot.deadlines.changes import (
    TITLE_MAX,
    TITLE_MIN,
    Change,
    DeadlineChangeError,
    cancel_deadline,
    edit_deadline,
)
from bot.deadlines.planner import due_phrase
from bot.engine import BadInput, Context
from handlers.deadlines.adhoc import parse_due
from handlers.deadlines.flow import (
    ADMINS,
    choice_arg,
    menu_only,
    open_views,
    router,
    stale,
    today_of,
)


class ChangeStep(StrEnum):
    """Steps of changing a deadline."""

    pick = "deadlines.change"
    new_title = "deadlines.change_title"
    new_due = "deadlines.change_due"
    cancel = "deadlines.change_cancel"


router.choices_only(ChangeStep.pick, ChangeStep.cancel, roles=ADMINS)


@router.choice("dle", roles=ADMINS)
async def pick_deadline(event: Incoming, ctx: Context) -> Reply:
    """The open deadlines to change, or one deadline's options."""
    views = [view for view in await open_views(ctx) if view.id is not None]
    chosen = choice_arg(event)
    view = next((v for v in views if str(v.id) == chosen), None)
    if view is None:
        ctx.state.enter(ChangeStep.pick)
        return Reply(
            _("Which deadline do you want to change or cancel?"),
            choices=(
                *(
                    choice("dle", v.id or 0, label=f"{v.title} ({due_phrase(v.due_date)})")
                    for v in views
                ),
                *menu_only(ctx),
            ),
        )
    ctx.state.enter(ChangeStep.pick, deadline_id=view.id)
    return Reply(
        _("**{title}** — due {due}").format(
            title=escape(view.title), due=due_phrase(view.due_date)
        ),
        choices=(
            choice("dlet", label=_("Change the title")),
            choice("dled", label=_("Change the due date")),
            choice("dlec", label=_("Cancel this deadline")),
            *menu_only(ctx),
        ),
    )


@router.choice("dlet", "dled", "dlec", roles=ADMINS)
async def ask_change(event: Incoming, ctx: Context) -> Reply:
    """Ask for the new title or date, or confirm the cancellation."""
    if ctx.state.step != ChangeStep.pick or "deadline_id" not in ctx.state.data:
        raise stale()
    deadline_id = ctx.state["deadline_id"]
    route = event.choice.split(":")[1]
    if route == "dlet":
        ctx.state.enter(ChangeStep.new_title, deadline_id=deadline_id)
        return Reply(_("Type the new title."))
    if route == "dled":
        ctx.state.enter(ChangeStep.new_due, deadline_id=deadline_id)
        return Reply(
            _("Type the new due date as dd/mm/yyyy. The report must be in before that day.")
        )
    ctx.state.enter(ChangeStep.cancel, deadline_id=deadline_id)
    return Reply(
        _(
            "Cancel this deadline? Its reminders stop, and the officers of the units that "
            "have not submitted are told it is no longer needed."
        ),
        choices=(
            choice("dlecok", label=_("✅ Cancel the deadline")),
            choice("dlno", label=_("Keep it")),
        ),
    )


@router.step(ChangeStep.new_title, ChangeStep.new_due, roles=ADMINS)
async def take_change(event: Incoming, ctx: Context) -> Reply | None:
    """Apply a new title or due date."""
    if event.kind is Kind.choice:
        return None
    text = event.text if event.kind is Kind.text else ""
    title, due = None, None
    if ctx.state.step == ChangeStep.new_title:
        title = text
    else:
        due = parse_due(text, today_of(ctx))
        if due is None:
            raise BadInput(
                _("Please send the date as dd/mm/yyyy, for example {example}.").format(
                    example=format_day(today_of(ctx))
                )
            )
    services = ctx.services
    try:
        change = await edit_deadline(
            ctx.repos,
            int(ctx.state["deadline_id"]),
            title=title,
            due=due,
            settings=services.settings,
            catalogs=services.catalogs,
            now=ctx.now,
        )
    except DeadlineChangeError as error:
        raise BadInput(change_problem(error)) from error
    return _done(ctx, change, _("✅ Changed: **{title}**, due {due}."))


@router.choice("dlecok", roles=ADMINS)
async def confirm_cancel(event: Incoming, ctx: Context) -> Reply:
    """Cancel the deadline."""
    if ctx.state.step != ChangeStep.cancel:
        raise stale()
    services = ctx.services
    try:
        change = await cancel_deadline(
            ctx.repos,
            int(ctx.state["deadline_id"]),
            settings=services.settings,
            catalogs=services.catalogs,
            now=ctx.now,
        )
    except DeadlineChangeError as error:
        ctx.state.clear()
        raise BadInput(change_problem(error)) from error
    return _done(ctx, change, _("❎ Cancelled: **{title}** (was due {due})."))


def _done(ctx: Context, change: Change, template: str) -> Reply:
    ctx.state.clear()
    ctx.notified += change.told
    deadline = change.deadline
    head = template.format(title=escape(deadline.title), due=due_phrase(deadline.due_date))
    told = _("Officers told: {count}.").format(count=change.told)
    return Reply(
        f"{head}\n{told}",
        choices=(choice("dl", label=_("📊 Reporting deadlines")), *menu_only(ctx)),
    )


def change_problem(error: DeadlineChangeError) -> str:
    """Why a change was refused (the desk says it too, bot/web/desk/deadlines.py)."""
    if error.reason == "title":
        return _("Please type a title of {low} to {high} characters.").format(
            low=TITLE_MIN, high=TITLE_MAX
        )
    if error.reason == "due":
        return _(
            "The date must be at least two days ahead and within a year, so that units have "
            "a last day."
        )
    return _("This deadline is closed or no longer exists. Send /status.")
