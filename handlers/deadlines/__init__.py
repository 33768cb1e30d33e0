"""Reporting deadlines in chat: mark a report submitted, see who is late, ask for a report.

Officers /submit their unit's report for an open deadline (with the file, a note, or
neither) and see their units' deadlines with /status; admins see the whole board, /record a
report that came in some other way, and create ad-hoc deadlines with /deadline ("đột xuất,
khi có yêu cầu" in the plan). Reminders themselves are planned by bot/deadlines.py.

    /submit → deadline → [file | note | "without a file"] → confirm → recorded
    /record → deadline → unit → [file | note | "without a file"] → confirm → recorded
    /deadline → title → due date → all units | pick units → confirm → created
    /status → change or cancel (admins) → deadline → title | due date | cancel (changes.py)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from bot.core.chat import Choice, Incoming, Kind, Reply, choice, escape, parse_choice
from bot.core.i18n import N_, _, format_day
from bot.deadlines.planner import (
    DeadlineView,
    RuleBook,
    create_adhoc,
    due_phrase,
    open_deadlines,
    record_submission,
    rule_book,
    tree_order,
)
from bot.engine import BadInput, Context, Router
from bot.reports.documents import take_document
from bot.reports.media import MediaProblem, MediaRejected, open_store
from db.models import Role, Unit
from db.repositories.deadlines import DocumentInfo
from handlers.start import main_menu_choices

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


router.choices_only(
    DeadlineStep.pick_unit, DeadlineStep.units, DeadlineStep.pick_units, DeadlineStep.create
)


def _rules(ctx: Context) -> RuleBook:
    return rule_book(ctx.services.settings.deadlines_file)


def _today(ctx: Context) -> date:
    return ctx.now.astimezone(ctx.services.settings.tz).date()


async def _open(ctx: Context) -> list[DeadlineView]:
    return await open_deadlines(ctx.repos, _rules(ctx), ctx.services.settings.tz, ctx.now)


async def _units(ctx: Context) -> list[Unit]:
    return tree_order(await ctx.repos.units.active())


def _subtree(units: Sequence[Unit], root: str) -> set[str]:
    found, todo = {root}, [root]
    while todo:
        parent = todo.pop()
        for unit in units:
            if unit.parent_id == parent and unit.id not in found:
                found.add(unit.id)
                todo.append(unit.id)
    return found


def _arg(event: Incoming, index: int = 0) -> str:
    parsed = parse_choice(event.choice)
    args = parsed[1] if parsed else []
    return args[index] if len(args) > index else ""


def _menu(ctx: Context) -> tuple[Choice, ...]:
    return (choice("menu", label=_("🏠 Main menu")),)


def _stale() -> BadInput:
    return BadInput(_("That button is out of date. Send /status to see the deadlines."))


# --- the board ------------------------------------------------------------------------------


@router.command(
    "status", "hanbaocao", roles=OFFICERS, help=N_("reporting deadlines and who has submitted")
)
@router.choice("dl", roles=OFFICERS)
async def status(event: Incoming, ctx: Context) -> Reply:
    """Admins: every open deadline with counts and late units. Officers: their units'."""
    ctx.state.clear()
    units = await _units(ctx)
    names = {unit.id: unit.name for unit in units}
    views = await _open(ctx)
    today = _today(ctx)
    if ctx.role is Role.admin:
        scope: set[str] | None = None
    elif ctx.user.unit_id is None:
        return Reply(
            _(
                "Your account is not linked to a unit yet. Ask an administrator for an "
                "invite code for your unit."
            ),
            choices=_menu(ctx),
        )
    else:
        scope = _subtree(units, ctx.user.unit_id)
    lines = [_("**Reporting deadlines**")]
    choices: list[Choice] = []
    shown = 0
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
            late = [escape(names.get(u, u)) for u in owed if view.unit_state(u, today) == "late"]
            if late:
                lines.append(_("Late: {units}").format(units=", ".join(late)))
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
    return Reply("\n".join(lines), choices=(*choices, *_menu(ctx)))


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


# --- an officer marks their unit's report as submitted --------------------------------------


@router.command(
    "submit", "nopbaocao", roles=OFFICERS, help=N_("mark your unit's periodic report as submitted")
)
async def submit(event: Incoming, ctx: Context) -> Reply:
    """List the open deadlines the officer's unit has not marked yet."""
    ctx.state.clear()
    unit_id = ctx.user.unit_id
    if unit_id is None:
        return Reply(
            _(
                "Your account is not linked to a unit yet. Ask an administrator for an "
                "invite code for your unit."
            ),
            choices=_menu(ctx),
        )
    todo = [v for v in await _open(ctx) if unit_id in v.units and unit_id not in v.submissions]
    if not todo:
        return Reply(_("Your unit has no open report deadline to mark."), choices=_menu(ctx))
    choices = [
        choice(
            "dls",
            view.id or 0,
            label=_("{title} ({due})").format(title=view.title, due=due_phrase(view.due_date)),
        )
        for view in todo
    ]
    return Reply(_("Which report has your unit sent?"), choices=(*choices, *_menu(ctx)))


@router.choice("dls", roles=OFFICERS)
async def choose_deadline(event: Incoming, ctx: Context) -> Reply:
    """Start marking one deadline for the officer's own unit (also the reminders' button)."""
    view = await _find(ctx, _arg(event))
    unit_id = ctx.user.unit_id
    if view is None:
        raise BadInput(_("This deadline is closed or no longer exists. Send /status."))
    if unit_id is None or unit_id not in view.units:
        raise BadInput(_("Your unit does not owe this report."))
    if unit_id in view.submissions:
        ctx.state.clear()
        return Reply(
            _("Your unit's report for **{title}** is already marked as submitted.").format(
                title=escape(view.title)
            ),
            choices=_menu(ctx),
        )
    return await _ask_attachment(ctx, view, unit_id, via="chat")


async def _find(ctx: Context, raw_id: str) -> DeadlineView | None:
    if not raw_id.isdigit():
        return None
    return next((v for v in await _open(ctx) if v.id == int(raw_id)), None)


async def _ask_attachment(ctx: Context, view: DeadlineView, unit_id: str, *, via: str) -> Reply:
    unit = await ctx.repos.units.get(unit_id)
    name = unit.name if unit is not None else unit_id
    ctx.state.enter(DeadlineStep.attach, deadline_id=view.id, unit_id=unit_id, via=via)
    size = ctx.services.settings.max_document_bytes // (1024 * 1024)
    if via == "recorded":
        lead = _("Recording **{title}** for {unit}.").format(
            title=escape(view.title), unit=escape(name)
        )
    else:
        lead = _("**{title}** — {unit}").format(title=escape(view.title), unit=escape(name))
    text = _(
        "Send the report file (PDF, Word .docx or Excel .xlsx, up to {size} MB), or type a "
        "short note such as the document's number and date. Or mark it without a file."
    ).format(size=size)
    return Reply(
        f"{lead}\n\n{text}",
        choices=(
            choice("dlnf", label=_("Mark it without a file")),
            choice("dlno", label=_("Cancel")),
        ),
    )


@router.step(DeadlineStep.attach, DeadlineStep.confirm, roles=OFFICERS)
async def take_attachment(event: Incoming, ctx: Context) -> Reply | None:
    """A document or a note for the submission; then the confirmation."""
    if event.kind is Kind.choice:
        return None
    if event.kind is Kind.document and event.media:
        settings = ctx.services.settings
        try:
            stored = await take_document(
                open_store(settings), event.media[0], settings.max_document_bytes
            )
        except MediaRejected as rejected:
            raise BadInput(_document_problem(ctx, rejected.problem)) from rejected
        ctx.state.update(
            document={
                "path": stored.key,
                "sha256": stored.sha256,
                "mime": stored.mime,
                "size": stored.size,
                "name": stored.name,
            }
        )
    elif event.kind is Kind.text:
        note = event.text.strip()
        if len(note) > NOTE_MAX:
            raise BadInput(
                _("Please keep the note under {limit} characters.").format(limit=NOTE_MAX)
            )
        ctx.state.update(note=note)
    else:
        raise BadInput(
            _(
                "Please send the report as a file (PDF, Word .docx or Excel .xlsx), or type "
                "a short note."
            )
        )
    return await _confirmation(ctx)


def _document_problem(ctx: Context, problem: MediaProblem) -> str:
    if problem is MediaProblem.too_large:
        return _(
            "The file is too large: at most {size} MB. Send a smaller file or type a note."
        ).format(size=ctx.services.settings.max_document_bytes // (1024 * 1024))
    if problem is MediaProblem.download_failed:
        return _("I could not receive that file. Please send it again.")
    if problem is MediaProblem.broken:
        return _("That file seems damaged or incomplete. Please send it again.")
    return _(
        "I can only take PDF, Word (.docx) or Excel (.xlsx) files. Send one of those, or "
        "type a note."
    )


@router.choice("dlnf", roles=OFFICERS)
async def without_file(event: Incoming, ctx: Context) -> Reply:
    """Go to the confirmation with neither file nor note."""
    if ctx.state.step not in (DeadlineStep.attach, DeadlineStep.confirm):
        raise _stale()
    return await _confirmation(ctx)


async def _confirmation(ctx: Context) -> Reply:
    view = await _find(ctx, str(ctx.state.get("deadline_id", "")))
    if view is None:
        ctx.state.clear()
        raise BadInput(_("This deadline is closed or no longer exists. Send /status."))
    unit = await ctx.repos.units.get(str(ctx.state["unit_id"]))
    name = unit.name if unit is not None else str(ctx.state["unit_id"])
    ctx.state.enter(DeadlineStep.confirm, **ctx.state.data)
    lines = [
        _("Mark **{title}** as submitted for {unit}?").format(
            title=escape(view.title), unit=escape(name)
        )
    ]
    document: dict[str, Any] | None = ctx.state.get("document")
    if document:
        lines.append(
            _("File: {name} ({size} KB)").format(
                name=escape(str(document["name"])), size=max(1, int(document["size"]) // 1024)
            )
        )
    if ctx.state.get("note"):
        lines.append(_("Note: {note}").format(note=escape(str(ctx.state["note"]))))
    if not document and not ctx.state.get("note"):
        lines.append(_("No file and no note."))
    lines.append(_("You can still send a file or a note to add them."))
    return Reply(
        "\n".join(lines),
        choices=(
            choice("dlok", label=_("✅ Confirm")),
            choice("dlno", label=_("Cancel")),
        ),
    )


@router.choice("dlok", roles=OFFICERS)
async def confirm(event: Incoming, ctx: Context) -> Reply:
    """Record the submission, or create the deadline, that the screen asked about."""
    if ctx.state.step == DeadlineStep.create:
        return await _create(ctx)
    if ctx.state.step != DeadlineStep.confirm:
        raise _stale()
    via = str(ctx.state.get("via", "chat"))
    if via == "recorded" and ctx.role is not Role.admin:
        raise _stale()
    unit_id = str(ctx.state["unit_id"])
    if via == "chat" and unit_id != ctx.user.unit_id:
        raise _stale()
    view = await _find(ctx, str(ctx.state.get("deadline_id", "")))
    if view is None:
        ctx.state.clear()
        return Reply(
            _("This deadline is closed or no longer exists. Send /status."), choices=_menu(ctx)
        )
    raw = ctx.state.get("document")
    document = (
        DocumentInfo(
            path=str(raw["path"]),
            sha256=str(raw["sha256"]),
            mime=str(raw["mime"]),
            size=int(raw["size"]),
            name=str(raw["name"]),
        )
        if raw
        else None
    )
    added = await record_submission(
        ctx.repos,
        view,
        unit_id,
        by=ctx.user,
        via=via,
        note=str(ctx.state.get("note", "")),
        document=document,
        now=ctx.now,
    )
    ctx.state.clear()
    unit = await ctx.repos.units.get(unit_id)
    name = escape(unit.name if unit is not None else unit_id)
    if not added:
        return Reply(
            _("{unit}'s report for **{title}** was already marked as submitted.").format(
                unit=name, title=escape(view.title)
            ),
            choices=_menu(ctx),
        )
    return Reply(
        _("✅ Recorded: {unit} has submitted **{title}**. Its reminders stop. Thank you!").format(
            unit=name, title=escape(view.title)
        ),
        choices=(choice("dl", label=_("📊 Reporting deadlines")), *_menu(ctx)),
    )


@router.choice("dlno", roles=OFFICERS)
async def cancel(event: Incoming, ctx: Context) -> Reply:
    """Leave the flow; nothing is recorded."""
    ctx.state.clear()
    return Reply(_("Cancelled. Nothing was recorded."), choices=main_menu_choices(ctx))


# --- an admin records a submission that came in another way ---------------------------------


@router.command(
    "record", "ghinhan", roles=ADMINS, help=N_("record a report a unit sent another way")
)
@router.choice("dlrec", roles=ADMINS)
async def record(event: Incoming, ctx: Context) -> Reply:
    """List the open deadlines with units still to submit."""
    ctx.state.clear()
    todo = [v for v in await _open(ctx) if v.pending()]
    if not todo:
        return Reply(_("Every unit has submitted for the open deadlines."), choices=_menu(ctx))
    choices = [
        choice(
            "dlr",
            view.id or 0,
            label=_("{title} ({count} not submitted)").format(
                title=view.title, count=len(view.pending())
            ),
        )
        for view in todo
    ]
    return Reply(_("Record a submission for which deadline?"), choices=(*choices, *_menu(ctx)))


@router.choice("dlr", roles=ADMINS)
async def record_deadline(event: Incoming, ctx: Context) -> Reply:
    """List the units that have not submitted for the chosen deadline."""
    view = await _find(ctx, _arg(event))
    if view is None:
        raise BadInput(_("This deadline is closed or no longer exists. Send /status."))
    pending = view.pending()
    if not pending:
        ctx.state.clear()
        return Reply(_("Every unit has submitted for this deadline."), choices=_menu(ctx))
    names = {unit.id: unit.name for unit in await _units(ctx)}
    ctx.state.enter(DeadlineStep.pick_unit, deadline_id=view.id, units=pending)
    choices = [choice("dlu", n, label=names.get(u, u)) for n, u in enumerate(pending)]
    return Reply(
        _("**{title}**: which unit's report was received?").format(title=escape(view.title)),
        choices=(*choices, choice("dlno", label=_("Cancel"))),
    )


@router.choice("dlu", roles=ADMINS)
async def record_unit(event: Incoming, ctx: Context) -> Reply:
    """Ask for the received document or a note."""
    pending: list[str] = ctx.state.get("units", [])
    raw = _arg(event)
    if ctx.state.step != DeadlineStep.pick_unit or not raw.isdigit() or int(raw) >= len(pending):
        raise _stale()
    view = await _find(ctx, str(ctx.state.get("deadline_id", "")))
    if view is None:
        ctx.state.clear()
        raise BadInput(_("This deadline is closed or no longer exists. Send /status."))
    return await _ask_attachment(ctx, view, pending[int(raw)], via="recorded")


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
            "Due before which day? Send the date as dd/mm/yyyy, for example {example}. As in "
            "the plan (“trước ngày 10/6”), the report must be in before that day."
        ).format(example=format_day(_today(ctx) + timedelta(days=30))),
        choices=(choice("dlno", label=_("Cancel")),),
    )


_DATE = re.compile(r"^\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})\s*$")


def parse_day(text: str) -> date | None:
    """A date typed as dd/mm/yyyy (also with - or .), or None."""
    match = _DATE.match(text)
    if match is None:
        return None
    try:
        return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    except ValueError:
        return None


@router.step(DeadlineStep.due, roles=ADMINS)
async def take_due(event: Incoming, ctx: Context) -> Reply | None:
    """Keep the due date; ask which units owe the report."""
    if event.kind is Kind.choice:
        return None
    due = parse_day(event.text) if event.kind is Kind.text else None
    if due is None:
        raise BadInput(
            _("Please send the date as dd/mm/yyyy, for example {example}.").format(
                example=format_day(_today(ctx) + timedelta(days=30))
            )
        )
    if due <= _today(ctx) + timedelta(days=1):
        raise BadInput(
            _("The date must be at least two days ahead, so that units have a last day.")
        )
    if due > _today(ctx) + timedelta(days=366):
        raise BadInput(_("The date must be within a year."))
    ctx.state.enter(DeadlineStep.units, title=ctx.state["title"], due=due.isoformat())
    reporting = [u for u in await _units(ctx) if u.reporting]
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
        raise _stale()
    chosen = [u.id for u in await _units(ctx) if u.reporting]
    return await _creation(ctx, chosen)


@router.choice("dlpick", "dlt", roles=ADMINS)
async def pick_units(event: Incoming, ctx: Context) -> Reply:
    """Show the units with a tick for each chosen one; a press toggles it."""
    if ctx.state.step not in (DeadlineStep.units, DeadlineStep.pick_units):
        raise _stale()
    candidates = [u for u in await _units(ctx) if u.reporting]
    picked: list[str] = list(ctx.state.get("picked", []))
    raw = _arg(event)
    if parse_choice(event.choice) is not None and event.choice.split(":")[1] == "dlt":
        if not raw.isdigit() or int(raw) >= len(candidates):
            raise _stale()
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
        _("Press the units to choose them, then Done. Chosen: {count}.").format(count=len(picked)),
        choices=(*choices, choice("dldone", label=_("Done")), choice("dlno", label=_("Cancel"))),
    )


@router.choice("dldone", roles=ADMINS)
async def units_done(event: Incoming, ctx: Context) -> Reply:
    """Go on with the units chosen."""
    if ctx.state.step != DeadlineStep.pick_units:
        raise _stale()
    picked = set(ctx.state.get("picked", []))
    if not picked:
        raise BadInput(_("Choose at least one unit."))
    chosen = [u.id for u in await _units(ctx) if u.id in picked]
    return await _creation(ctx, chosen)


async def _creation(ctx: Context, chosen: list[str]) -> Reply:
    names = {unit.id: unit.name for unit in await _units(ctx)}
    due = date.fromisoformat(str(ctx.state["due"]))
    ctx.state.enter(
        DeadlineStep.create, title=ctx.state["title"], due=due.isoformat(), units=chosen
    )
    listed = ", ".join(escape(names.get(u, u)) for u in chosen)
    text = "\n".join(
        [
            _("**New report deadline**"),
            escape(str(ctx.state["title"])),
            _("Due {due} (last day {last_day}).").format(
                due=due_phrase(due), last_day=format_day(due - timedelta(days=1))
            ),
            _("Units ({count}): {units}").format(count=len(chosen), units=listed),
        ]
    )
    return Reply(
        text,
        choices=(choice("dlok", label=_("✅ Create")), choice("dlno", label=_("Cancel"))),
    )


async def _create(ctx: Context) -> Reply:
    if ctx.role is not Role.admin:
        raise _stale()
    title = str(ctx.state["title"])
    due = date.fromisoformat(str(ctx.state["due"]))
    units: list[str] = list(ctx.state["units"])
    await create_adhoc(
        ctx.repos,
        _rules(ctx),
        title=title,
        due_date=due,
        unit_ids=units,
        created_by=ctx.user.id,
        now=ctx.now,
    )
    ctx.state.clear()
    return Reply(
        _(
            "✅ Created: **{title}**, due {due}, for {count} units. Their officers are told "
            "within a few minutes, then reminded before the last day."
        ).format(title=escape(title), due=due_phrase(due), count=len(units)),
        choices=(choice("dl", label=_("📊 Reporting deadlines")), *_menu(ctx)),
    )


# Changing and cancelling deadlines register on the same router (kept apart: this module is long).
from handlers.deadlines import changes  # noqa: E402

__all__ = ["changes", "router"]
