"""The deadlines feature's router, steps and what its screens share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from enum import StrEnum

from bot.core.chat import Choice, Incoming, Kind, Reply, choice, parse_choice
from bot.core.i18n import N_, _
from bot.deadlines.planner import DeadlineView, RuleBook, open_deadlines, rule_book, tree_order
from bot.engine import BadInput, Context, Router
from db.models import Role, Unit

router = Router("deadlines")

OFFICERS = (Role.officer, Role.admin)
ADMINS = (Role.admin,)
TITLE_MIN, TITLE_MAX = 3, 200
NOTE_MAX = 1000

router.menu(4, N_("Reporting deadlines"), "dl", roles=OFFICERS)


class DeadlineStep(StrEnum):
    """Steps of submitting, recording and creating."""

    attach = "deadlines.attach"
    confirm = "deadlines.confirm"
    pick_unit = "deadlines.pick_unit"
    ask_title = "deadlines.title"
    due = "deadlines.due"
    units = "deadlines.units"
    pick_units = "deadlines.pick_units"
    create = "deadlines.create"


@router.step(DeadlineStep.pick_unit, DeadlineStep.units, DeadlineStep.create)
async def choices_only(event: Incoming, ctx: Context) -> Reply | None:
    """Steps answered by a choice (or its number); anything else is asked again."""
    if event.kind is Kind.choice:
        return None
    raise BadInput(_("Please pick one of the choices above (you can type its number)."))


def rules_of(ctx: Context) -> RuleBook:
    return rule_book(ctx.services.settings.deadlines_file)


def today_of(ctx: Context) -> date:
    return ctx.now.astimezone(ctx.services.settings.tz).date()


async def open_views(ctx: Context) -> list[DeadlineView]:
    return await open_deadlines(ctx.repos, rules_of(ctx), ctx.services.settings.tz, ctx.now)


async def active_units(ctx: Context) -> list[Unit]:
    return tree_order(await ctx.repos.units.active())


def subtree(units: Sequence[Unit], root: str) -> set[str]:
    found, todo = {root}, [root]
    while todo:
        parent = todo.pop()
        for unit in units:
            if unit.parent_id == parent and unit.id not in found:
                found.add(unit.id)
                todo.append(unit.id)
    return found


def choice_arg(event: Incoming, index: int = 0) -> str:
    parsed = parse_choice(event.choice)
    args = parsed[1] if parsed else []
    return args[index] if len(args) > index else ""


def menu_only(ctx: Context) -> tuple[Choice, ...]:
    return (choice("menu", label=_("🏠 Main menu")),)


def pick_deadline(
    ctx: Context,
    views: Sequence[DeadlineView],
    question: str,
    none: str,
    route: str,
    label: Callable[[DeadlineView], str],
) -> Reply:
    """Ask `question` with a button to `route` for each deadline (`none` when there is none)."""
    if not views:
        return Reply(none, choices=menu_only(ctx))
    choices = [choice(route, view.id or 0, label=label(view)) for view in views]
    return Reply(question, choices=(*choices, *menu_only(ctx)))


def stale() -> BadInput:
    return BadInput(_("That button is out of date. Send /status to see the deadlines."))
