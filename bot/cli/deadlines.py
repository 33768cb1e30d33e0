"""Operators' side of deadlines: `loa deadlines list|add`, `loa reminders preview --at`.

Each command starts Loa as the bot does (migrating the database and syncing the org file), so
it sees what the running bot sees. The preview runs the scheduler's own planner in dry-run
mode at the given moment: it cannot disagree with what the scheduler queues then.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import typer

from bot.app import Loa
from bot.cli.common import (
    JsonOption,
    OperatorError,
    echo,
    load_settings,
    operator_errors,
    parse_day,
    settle,
    table,
)
from bot.core.clock import Clock, FrozenClock, SystemClock
from bot.core.config import Settings
from bot.core.i18n import N_, _, format_day
from bot.deadlines.changes import DeadlineChangeError, cancel_deadline, edit_deadline
from bot.deadlines.planner import (
    Calendar,
    DeadlineView,
    PlannedMessage,
    all_deadlines,
    create_adhoc,
    open_deadlines,
    rule_book,
    rule_units,
    tree_order,
    upcoming,
)
from bot.delivery.outbox import in_quiet_hours
from bot.scheduler import planner_for
from db.repositories import Repos

TITLE_MAX = 200


@asynccontextmanager
async def _loa(settings: Settings, clock: Clock | None = None) -> AsyncIterator[Loa]:
    loa = await Loa.start(settings, clock=clock)
    try:
        yield loa
    finally:
        await loa.close()


def parse_moment(text: str, settings: Settings) -> datetime:
    """ "YYYY-MM-DD HH:MM" (or just the date, at 08:00) in local time, as an aware datetime."""
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
        if fmt == "%Y-%m-%d":
            parsed = parsed.replace(hour=8)
        return parsed.replace(tzinfo=settings.tz)
    raise OperatorError(f'expected a local time like "2027-06-02 08:00", not {text!r}')


def parse_due(text: str) -> date:
    """A date as 2027-06-10 or its dd/mm/yyyy form."""
    return parse_day(text, "2027-06-10")


# --- list -----------------------------------------------------------------------------------


def _state(calendar: Calendar, now: datetime, cancelled: bool = False) -> str:
    if cancelled:
        return "cancelled"
    if now < calendar.opens_at:
        return "upcoming"
    return "open" if now < calendar.closes_at else "closed"


def _row(view: DeadlineView, state: str, names: dict[str, str], today: date) -> dict[str, Any]:
    states = {unit: view.unit_state(unit, today) for unit in view.units}
    if state == "upcoming":
        states = dict.fromkeys(view.units, "due")
    return {
        "id": view.id,
        "key": view.key,
        "title": view.title,
        "rule": view.rule_id,
        "due_before": view.due_date.isoformat(),
        "last_day": view.last_day.isoformat(),
        "state": state if view.id is not None or state != "open" else "open (not stored yet)",
        "units": len(view.units),
        "submitted": sum(1 for s in states.values() if s == "submitted"),
        "late": [unit for unit, s in states.items() if s == "late"],
        "late_names": [names.get(unit, unit) for unit, s in states.items() if s == "late"],
    }


async def list_deadlines(settings: Settings, clock: Clock | None = None) -> list[dict[str, Any]]:
    """Every stored deadline, the ones open but not stored yet, and the next from the rules."""
    now = (clock or SystemClock()).now()
    rules = rule_book(settings.deadlines_file)
    tz = settings.tz
    today = now.astimezone(tz).date()
    async with _loa(settings) as loa, loa.db.session() as session:
        repos = Repos.of(session)
        units = tree_order(await repos.units.active())
        names = {unit.id: unit.name for unit in units}
        stored = await all_deadlines(repos, rules, tz)
        fresh = [
            v
            for v in await open_deadlines(repos, rules, tz, now, materialise=False)
            if v.id is None
        ]
        keys = {v.key for v in stored} | {v.key for v in fresh}
        rows = [
            _row(v, _state(v.calendar, now, v.cancelled), names, today) for v in [*stored, *fresh]
        ]
        for rule, year, calendar in upcoming(rules, now, tz):
            if rule.key(year) in keys:
                continue
            view = DeadlineView.of_rule(rule, year, calendar, rule_units(rule, units))
            rows.append(_row(view, "upcoming", names, today))
    return sorted(rows, key=lambda row: (row["due_before"], row["key"]))


STATE_LABELS = {
    "upcoming": N_("upcoming"),
    "open": N_("open"),
    "open (not stored yet)": N_("open (not stored yet)"),
    "closed": N_("closed"),
}


def render_list(rows: list[dict[str, Any]]) -> str:
    """The deadlines as an operator reads them, in the current language."""
    if not rows:
        return _("No deadlines.")
    lines = []
    for row in rows:
        late = (
            _("; late: {units}").format(units=", ".join(row["late_names"])) if row["late"] else ""
        )
        lines.append(
            [
                f"#{row['id']}" if row["id"] is not None else "—",
                _(STATE_LABELS.get(row["state"], row["state"])),
                _(
                    "{title} — due before {due} (last day {last_day}); {submitted}/{units} "
                    "submitted"
                ).format(
                    title=row["title"],
                    due=format_day(date.fromisoformat(row["due_before"])),
                    last_day=format_day(date.fromisoformat(row["last_day"])),
                    submitted=row["submitted"],
                    units=row["units"],
                )
                + late,
            ]
        )
    return "\n".join(table(lines))


# --- add ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Created:
    """An ad-hoc deadline just created."""

    id: int
    key: str
    title: str
    due_before: str
    units: list[str]


async def add_deadline(
    settings: Settings,
    *,
    title: str,
    due: str,
    units: list[str],
    all_units: bool,
    clock: Clock | None = None,
) -> Created:
    """Create an ad-hoc deadline for some units (or every reporting unit)."""
    now = (clock or SystemClock()).now()
    title = " ".join(title.split())
    if not 3 <= len(title) <= TITLE_MAX:
        raise OperatorError(f"the title must be 3 to {TITLE_MAX} characters")
    due_date = parse_due(due)
    today = now.astimezone(settings.tz).date()
    if due_date <= today + timedelta(days=1):
        raise OperatorError("the due date must be at least two days ahead (it means 'before')")
    if bool(units) == all_units:
        raise OperatorError("give --unit (one or more) or --all")
    async with _loa(settings) as loa:
        org = loa.services.org
        chosen: list[str] = []
        if all_units:
            chosen = [unit.id for unit in org.units if unit.reporting]
        for text in units:
            resolution = org.resolve(text)
            if resolution.unit is None:
                raise OperatorError(f"unknown unit {text!r}: `loa org show` lists the units")
            if resolution.unit.id not in chosen:
                chosen.append(resolution.unit.id)
        async with loa.db.session() as session:
            deadline = await create_adhoc(
                Repos.of(session),
                rule_book(settings.deadlines_file),
                title=title,
                due_date=due_date,
                unit_ids=chosen,
                created_by=None,
                now=now,
            )
    return Created(deadline.id, deadline.key, title, due_date.isoformat(), chosen)


# --- edit and cancel ------------------------------------------------------------------------


async def change_deadline(
    settings: Settings,
    deadline_id: int,
    *,
    title: str | None = None,
    due: str | None = None,
    cancel: bool = False,
    clock: Clock | None = None,
) -> dict[str, Any]:
    """Edit or cancel a stored deadline; its reminders are replaced or withdrawn."""
    now = (clock or SystemClock()).now()
    if not cancel and title is None and due is None:
        raise OperatorError("give --title, --due or both")
    due_date = parse_due(due) if due is not None else None
    async with _loa(settings) as loa, loa.db.session() as session:
        repos = Repos.of(session)
        catalogs = loa.services.catalogs
        try:
            if cancel:
                change = await cancel_deadline(
                    repos, deadline_id, settings=settings, catalogs=catalogs, now=now
                )
            else:
                change = await edit_deadline(
                    repos,
                    deadline_id,
                    title=title,
                    due=due_date,
                    settings=settings,
                    catalogs=catalogs,
                    now=now,
                )
        except DeadlineChangeError as error:
            raise OperatorError(_CHANGE_ERRORS[error.reason].format(id=deadline_id)) from error
        deadline = change.deadline
        return {
            "id": deadline.id,
            "title": deadline.title,
            "due_before": deadline.due_date.isoformat(),
            "cancelled": deadline.cancelled_at is not None,
            "officers_told": change.told,
            "reminders_withdrawn": change.withdrawn,
        }


_CHANGE_ERRORS = {
    "missing": "no deadline #{id}: `loa deadlines list` shows the stored ones",
    "cancelled": "deadline #{id} is cancelled",
    "title": "the title must be 3 to 200 characters",
    "due": "the due date must be two days to a year ahead (it means 'before')",
}


# --- preview --------------------------------------------------------------------------------


async def preview(settings: Settings, at: datetime) -> dict[str, Any]:
    """What the planner would queue at `at` (nothing is written or sent)."""
    quiet = in_quiet_hours(settings, at)
    async with _loa(settings, FrozenClock(at)) as loa:
        planned: list[PlannedMessage] = await planner_for(loa).preview(at)
    return {
        "at": at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M"),
        "timezone": settings.timezone,
        "quiet_hours": quiet,
        "messages": [message.as_json(settings.tz) for message in planned],
    }


def kind_label(kind: str) -> str:
    """A reminder kind (`before-7d`, `due`, `overdue-2d`, `escalation`, `new`) in words."""
    days = kind.rpartition("-")[2].removesuffix("d")
    if kind.startswith("before-") and days.isdigit():
        return _("{days} days before the last day").format(days=days)
    if kind.startswith("overdue-") and days.isdigit():
        return _("{days} days late").format(days=days)
    labels = {
        "due": N_("last day"),
        "escalation": N_("late units, to the level above"),
        "new": N_("new request"),
    }
    return _(labels[kind]) if kind in labels else kind


def render_preview(data: dict[str, Any], settings: Settings) -> str:
    """The preview as an operator reads it, in the current language."""
    at = datetime.strptime(data["at"], "%Y-%m-%d %H:%M")
    head = _("At {time} on {day} ({timezone})").format(
        time=f"{at:%H:%M}", day=format_day(at), timezone=data["timezone"]
    )
    if data["quiet_hours"]:
        return _(
            "{head}: quiet hours ({start}–{end}), nothing is planned; reminders wait for the "
            "morning."
        ).format(
            head=head, start=f"{settings.quiet_start:%H:%M}", end=f"{settings.quiet_end:%H:%M}"
        )
    messages = data["messages"]
    if not messages:
        return _("{head}: no reminder is due.").format(head=head)
    rows = []
    for item in messages:
        note = _("(already queued)") if item["state"] == "queued" else ""
        rows.append(
            [
                "",
                kind_label(item["kind"]),
                _("{title} (before {due})").format(
                    title=item["title"], due=format_day(date.fromisoformat(item["due_before"]))
                ),
                ", ".join(item["units"]),
                "→ " + (item["recipient"] or _("no officer registered")),
                note,
            ]
        )
    new = sum(1 for item in messages if item["state"] == "new")
    nobody = sum(1 for item in messages if item["state"] == "no-recipient")
    return "\n".join(
        [
            _("{head}, the planner would queue:").format(head=head),
            *table(rows),
            _("New messages: {new}; units with nobody to tell: {nobody}.").format(
                new=new, nobody=nobody
            ),
        ]
    )


app = typer.Typer(name="deadlines", help="Reporting deadlines.", no_args_is_help=True)
reminders_app = typer.Typer(
    name="reminders", help="Reminders of reporting deadlines.", no_args_is_help=True
)


@app.command("list")
def deadlines_list(as_json: JsonOption = False) -> None:
    """Every deadline: stored ones with their counts, and the next ones from the rules."""

    settings = load_settings()
    echo(settings, asyncio.run(list_deadlines(settings)), as_json, render_list)


@app.command("add")
def deadlines_add(
    title: Annotated[str, typer.Option(help="What report is wanted.")],
    due: Annotated[str, typer.Option(help="Due BEFORE this day: 2027-07-15 or 15/07/2027.")],
    unit: Annotated[
        list[str] | None, typer.Option(help="A unit id or name (repeat for more).")
    ] = None,
    all_units: Annotated[bool, typer.Option("--all", help="Every reporting unit.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Create an ad-hoc deadline ("đột xuất, khi có yêu cầu"); officers are told at once."""
    from dataclasses import asdict

    settings = load_settings()
    created = settle(
        add_deadline(settings, title=title, due=due, units=list(unit or []), all_units=all_units)
    )
    if as_json:
        typer.echo(json.dumps(asdict(created), ensure_ascii=False))
    else:
        typer.echo(
            f"#{created.id} {created.title}: due before {created.due_before}, "
            f"{len(created.units)} unit(s): {', '.join(created.units)}"
        )


@app.command("edit")
def deadlines_edit(
    deadline_id: Annotated[int, typer.Argument(metavar="ID")],
    title: Annotated[str | None, typer.Option(help="The new title.")] = None,
    due: Annotated[
        str | None, typer.Option(help="Due BEFORE this day: 2027-07-15 or 15/07/2027.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Change a deadline; reminders not yet sent are replaced and its officers are told."""
    settings = load_settings()
    data = settle(change_deadline(settings, deadline_id, title=title, due=due))
    _echo_change(data, as_json)


@app.command("cancel")
def deadlines_cancel(
    deadline_id: Annotated[int, typer.Argument(metavar="ID")],
    as_json: JsonOption = False,
) -> None:
    """Cancel a deadline: its reminders stop and the officers who owed it are told."""
    settings = load_settings()
    data = settle(change_deadline(settings, deadline_id, cancel=True))
    _echo_change(data, as_json)


def _echo_change(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    state = "cancelled" if data["cancelled"] else f"due before {data['due_before']}"
    typer.echo(
        f"#{data['id']} {data['title']}: {state}; {data['officers_told']} officer(s) told, "
        f"{data['reminders_withdrawn']} unsent reminder(s) withdrawn"
    )


@reminders_app.command("preview")
def reminders_preview(
    at: Annotated[str, typer.Option(help='Local time, "YYYY-MM-DD HH:MM".')],
    as_json: JsonOption = False,
) -> None:
    """What the planner would queue at that moment (nothing is written or sent)."""

    settings = load_settings()
    with operator_errors():
        moment = parse_moment(at, settings)
    data = asyncio.run(preview(settings, moment))
    echo(settings, data, as_json, lambda data: render_preview(data, settings))
