"""/deadline: an admin asks for an ad-hoc report ("đột xuất, khi có yêu cầu")."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from datetime import date, timedelta

from bot.core.chat import Incoming, Kind, Reply, choice, escape, parse_choice
from bot.core.i18n import N_, _, format_day
from bot.deadlines.planner import create_adhoc, due_phrase
from bot.engine import BadInput, Context
from db.models import Role
from handlers.deadlines.flow import (
    ADMINS,
    TITLE_MAX,
    TITLE_MIN,
    DeadlineStep,
    active_units,
    choice_arg,
    menu_only,
    router,
    rules_of,
    stale,
    today_of,
)

# --- an admin asks for an ad-hoc report -----------------------------------------------------


@router.command("deadline", "hanmoi", roles=ADMINS, help=N_("create an ad-hoc reporting deadline"))
@router.choice("dln", roles=ADMINS)
async def new_deadline(event: Incoming, ctx: Context) -> Reply:
    """Ask for the title of the report wanted."""
    ctx.state.enter(DeadlineStep.ask_title)
    return Reply(
        _(
            "A new report deadline. What report do you need? Type its title, for example: "
            "“Báo cáo kết quả tuyên truyền quý III”."
        ),
        choices=(choice("dlno", label=_("Cancel")),),
    )


@router.step(DeadlineStep.ask_title, roles=ADMINS)
async def take_title(event: Incoming, ctx: Context) -> Reply | None:
    """Keep the title, ask for the due date."""
    if event.kind is Kind.choice:
        return None
    title = " ".join(event.text.split()) if event.kind is Kind.text else ""
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise BadInput(
            _("Please type a title of {low} to {high} characters.").format(
                low=TITLE_MIN, high=TITLE_MAX
            )
        )
    ctx.state.enter(DeadlineStep.due, title=title)
    return Reply(
        _(
            "Due before which day? Send the date as dd/mm or dd/mm/yyyy, for example {example}. "
            "As in the plan (“trước ngày 10/6”), the report must be in before that day."
        ).format(example=format_day(today_of(ctx) + timedelta(days=30))),
        choices=(choice("dlno", label=_("Cancel")),),
    )


_DAY = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{4}|\d{2}))?\s*$")


def parse_due(text: str, today: date) -> date | None:
    """A due day typed as "20/12" (the next 20 December), "20/12/2027" or "20-12-27"; else None."""
    match = _DAY.match(text)
    if match is None:
        return None
    day, month, given = int(match.group(1)), int(match.group(2)), match.group(3)
    if given:
        years = [int(given) + (2000 if len(given) == 2 else 0)]
    else:
        years = [today.year, today.year + 1]  # this year's day, unless it has come already
    for year in years:
        with contextlib.suppress(ValueError):  # 31/02, or 29/02 outside a leap year
            when = date(year, month, day)
            if given or when > today:
                return when
    return None


@router.step(DeadlineStep.due, roles=ADMINS)
async def take_due(event: Incoming, ctx: Context) -> Reply | None:
    """Keep the due date; ask which units owe the report."""
    if event.kind is Kind.choice:
        return None
    due = parse_due(event.text, today_of(ctx)) if event.kind is Kind.text else None
    if due is None:
        example = today_of(ctx) + timedelta(days=30)
        raise BadInput(
            _(
                "Please send the date as dd/mm or dd/mm/yyyy, for example {short} or {example}."
            ).format(short=f"{example:%d/%m}", example=format_day(example))
        )
    if due <= today_of(ctx) + timedelta(days=1):
        raise BadInput(
            _("The date must be at least two days ahead, so that units have a last day.")
        )
    if due > today_of(ctx) + timedelta(days=366):
        raise BadInput(_("The date must be within a year."))
    ctx.state.enter(DeadlineStep.units, title=ctx.state["title"], due=due.isoformat())
    reporting = [u for u in await active_units(ctx) if u.reporting]
    return Reply(
        _("Which units must send it?"),
        choices=(
            choice("dlall", label=_("All reporting units ({count})").format(count=len(reporting))),
            choice("dlpick", label=_("Choose units")),
            choice("dlno", label=_("Cancel")),
        ),
    )


@router.choice("dlall", roles=ADMINS)
async def all_units(event: Incoming, ctx: Context) -> Reply:
    """Every unit marked `reporting` in the org file."""
    if ctx.state.step != DeadlineStep.units:
        raise stale()
    chosen = [u.id for u in await active_units(ctx) if u.reporting]
    return await _creation(ctx, chosen)


@router.choice("dlpick", "dlt", roles=ADMINS)
async def pick_units(event: Incoming, ctx: Context) -> Reply:
    """Show the units with a tick for each chosen one; a press toggles it."""
    if ctx.state.step not in (DeadlineStep.units, DeadlineStep.pick_units):
        raise stale()
    candidates = [u for u in await active_units(ctx) if u.reporting]
    picked: list[str] = list(ctx.state.get("picked", []))
    raw = choice_arg(event)
    if parse_choice(event.choice) is not None and event.choice.split(":")[1] == "dlt":
        if not raw.isdigit() or int(raw) >= len(candidates):
            raise stale()
        unit_id = candidates[int(raw)].id
        picked = [u for u in picked if u != unit_id] if unit_id in picked else [*picked, unit_id]
    ctx.state.enter(
        DeadlineStep.pick_units, title=ctx.state["title"], due=ctx.state["due"], picked=picked
    )
    choices = [
        choice("dlt", n, label=("☑ " if unit.id in picked else "☐ ") + unit.name)
        for n, unit in enumerate(candidates)
    ]
    return Reply(
        _(
            "Press the units to choose them, then Done. Or type their numbers in one message, "
            "for example: 1, 2, 5-7. Chosen: {count}."
        ).format(count=len(picked)),
        choices=(*choices, choice("dldone", label=_("Done")), choice("dlno", label=_("Cancel"))),
    )


@router.step(DeadlineStep.pick_units, roles=ADMINS)
async def take_unit_numbers(event: Incoming, ctx: Context) -> Reply | None:
    """Units typed by their numbers ("1, 2, 17", "3-7"): where there is nothing to press."""
    if event.kind is Kind.choice:
        return None
    candidates = [u for u in await active_units(ctx) if u.reporting]
    numbers = parse_numbers(event.text, len(candidates)) if event.kind is Kind.text else None
    if not numbers:
        raise BadInput(
            _(
                "Please type the numbers of the units from 1 to {last}, separated by commas, "
                "for example: 1, 2, 5-7. Or press the units, then Done."
            ).format(last=len(candidates))
        )
    return await _creation(ctx, [candidates[n - 1].id for n in numbers])


_NUMBERS = re.compile(r"^\s*\d+(?:\s*-\s*\d+)?(?:\s*[,;\s]\s*\d+(?:\s*-\s*\d+)?)*\s*$")


def parse_numbers(text: str, last: int) -> list[int] | None:
    """ "1, 2, 5-7" as [1, 2, 5, 6, 7] (each once, in order); None when any is not in 1..last."""
    if _NUMBERS.match(text) is None:
        return None
    chosen: list[int] = []
    for low, high in re.findall(r"(\d+)(?:\s*-\s*(\d+))?", text):
        start, end = int(low), int(high or low)
        if not 1 <= start <= end <= last:
            return None
        chosen.extend(n for n in range(start, end + 1) if n not in chosen)
    return chosen


@router.choice("dldone", roles=ADMINS)
async def units_done(event: Incoming, ctx: Context) -> Reply:
    """Go on with the units chosen."""
    if ctx.state.step != DeadlineStep.pick_units:
        raise stale()
    picked = set(ctx.state.get("picked", []))
    if not picked:
        raise BadInput(_("Choose at least one unit."))
    chosen = [u.id for u in await active_units(ctx) if u.id in picked]
    return await _creation(ctx, chosen)


async def _creation(ctx: Context, chosen: list[str]) -> Reply:
    names = {unit.id: unit.name for unit in await active_units(ctx)}
    due = date.fromisoformat(str(ctx.state["due"]))
    ctx.state.enter(
        DeadlineStep.create, title=ctx.state["title"], due=due.isoformat(), units=chosen
    )
    listed = ", ".join(escape(names.get(u, u)) for u in chosen)
    lines = [
        _("**New report deadline**"),
        escape(str(ctx.state["title"])),
        _("Due {due} (last day {last_day}).").format(
            due=due_phrase(due), last_day=format_day(due - timedelta(days=1))
        ),
        _("Units ({count}): {units}").format(count=len(chosen), units=listed),
    ]
    unheard = await _without_officer(ctx, chosen)
    if unheard:
        lines.append(
            _(
                "⚠️ No officer is registered for {count} of them, so nobody there will be told "
                "or reminded: {units}. You can create it anyway, or first invite their "
                "officers with /invite."
            ).format(count=len(unheard), units=", ".join(escape(names.get(u, u)) for u in unheard))
        )
    text = "\n".join(lines)
    return Reply(
        text,
        choices=(choice("dlok", label=_("✅ Create")), choice("dlno", label=_("Cancel"))),
    )


async def _without_officer(ctx: Context, units: Sequence[str]) -> list[str]:
    """The units nobody can be told about a deadline: no officer (or admin) belongs to them."""
    reached = {user.unit_id for user in await ctx.repos.deadlines.responsible(units)}
    return [u for u in units if u not in reached]


async def create_deadline(ctx: Context) -> Reply:
    if ctx.role is not Role.admin:
        raise stale()
    title = str(ctx.state["title"])
    due = date.fromisoformat(str(ctx.state["due"]))
    units: list[str] = list(ctx.state["units"])
    await create_adhoc(
        ctx.repos,
        rules_of(ctx),
        title=title,
        due_date=due,
        unit_ids=units,
        created_by=ctx.user.id,
        now=ctx.now,
    )
    ctx.state.clear()
    text = _(
        "✅ Created: **{title}**, due {due}, for {count} units. Their officers are told "
        "within a few minutes, then reminded before the last day."
    ).format(title=escape(title), due=due_phrase(due), count=len(units))
    unheard = await _without_officer(ctx, units)
    if unheard:
        text += "\n" + _("{count} of these units have no officer: nobody there is told.").format(
            count=len(unheard)
        )
    return Reply(
        text,
        choices=(choice("dl", label=_("📊 Reporting deadlines")), *menu_only(ctx)),
    )
