"""/submit and /record: a unit's report marked as submitted, with a file, a note or neither."""

from __future__ import annotations

from typing import Any

from bot.core.chat import Incoming, Kind, Reply, choice, escape
from bot.core.i18n import N_, _
from bot.deadlines.planner import DeadlineView, due_phrase, record_submission
from bot.engine import BadInput, Context, check_length
from bot.reports.documents import take_document
from bot.reports.media import MediaProblem, MediaRejected, delete_media_if_unreferenced, open_store
from db.models import Role
from db.repositories.deadlines import DocumentInfo
from handlers.deadlines.adhoc import create_deadline
from handlers.deadlines.flow import (
    ADMINS,
    NOTE_MAX,
    OFFICERS,
    DeadlineStep,
    active_units,
    choice_arg,
    menu_only,
    open_views,
    pick_deadline,
    router,
    stale,
)
from handlers.start import main_menu_choices

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
            choices=menu_only(ctx),
        )
    todo = [
        v for v in await open_views(ctx) if unit_id in v.units and unit_id not in v.submissions
    ]
    return pick_deadline(
        ctx,
        todo,
        _("Which report has your unit sent?"),
        _("Your unit has no open report deadline to mark."),
        "dls",
        lambda view: _("{title} ({due})").format(title=view.title, due=due_phrase(view.due_date)),
    )


@router.choice("dls", roles=OFFICERS)
async def choose_deadline(event: Incoming, ctx: Context) -> Reply:
    """Start marking one deadline for the officer's own unit (also the reminders' button)."""
    view = await _find(ctx, choice_arg(event))
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
            choices=menu_only(ctx),
        )
    return await _ask_attachment(ctx, view, unit_id, via="chat")


async def _find(ctx: Context, raw_id: str) -> DeadlineView | None:
    if not raw_id.isdigit():
        return None
    return next((v for v in await open_views(ctx) if v.id == int(raw_id)), None)


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


# Files are downloaded only where a step keeps them (bot/engine.py: Router.takes).
router.takes(DeadlineStep.attach, Kind.document)
router.takes(DeadlineStep.confirm, Kind.document)


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
        replaced = ctx.state.get("document")
        if replaced and replaced.get("sha256") != stored.sha256:
            await drop_document(ctx, replaced)
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
        check_length(note, NOTE_MAX, _("Please keep the note under {limit} characters."))
        ctx.state.update(note=note)
    else:
        raise BadInput(
            _(
                "Please send the report as a file (PDF, Word .docx or Excel .xlsx), or type "
                "a short note."
            )
        )
    return await _confirmation(ctx)


# Why a document was refused, by problem ({size}: the size limit in MB); anything else: its
# kind is not taken.
_DOCUMENT_PROBLEMS = {
    MediaProblem.too_large: N_(
        "The file is too large: at most {size} MB. Send a smaller file or type a note."
    ),
    MediaProblem.download_failed: N_("I could not receive that file. Please send it again."),
    MediaProblem.no_space: N_(
        "I could not store that file just now because of a problem on our side. Please "
        "send it again in a few minutes."
    ),
    MediaProblem.broken: N_("That file seems damaged or incomplete. Please send it again."),
    MediaProblem.too_much_inside: N_(
        "That file holds too much once unpacked (too many parts, or too large inside). "
        "Please save it as a PDF and send that, or type a note."
    ),
}


def _document_problem(ctx: Context, problem: MediaProblem) -> str:
    text = _DOCUMENT_PROBLEMS.get(
        problem,
        N_(
            "I can only take PDF, Word (.docx) or Excel (.xlsx) files. Send one of those, or "
            "type a note."
        ),
    )
    return _(text).format(size=ctx.services.settings.max_document_bytes // (1024 * 1024))


@router.choice("dlnf", roles=OFFICERS)
async def without_file(event: Incoming, ctx: Context) -> Reply:
    """Go to the confirmation with neither file nor note."""
    if ctx.state.step not in (DeadlineStep.attach, DeadlineStep.confirm):
        raise stale()
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
        return await create_deadline(ctx)
    if ctx.state.step != DeadlineStep.confirm:
        raise stale()
    via = str(ctx.state.get("via", "chat"))
    if via == "recorded" and ctx.role is not Role.admin:
        raise stale()
    unit_id = str(ctx.state["unit_id"])
    if via == "chat" and unit_id != ctx.user.unit_id:
        raise stale()
    view = await _find(ctx, str(ctx.state.get("deadline_id", "")))
    if view is None:
        ctx.state.clear()
        return Reply(
            _("This deadline is closed or no longer exists. Send /status."), choices=menu_only(ctx)
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
        if raw:
            await drop_document(ctx, raw)
        return Reply(
            _("{unit}'s report for **{title}** was already marked as submitted.").format(
                unit=name, title=escape(view.title)
            ),
            choices=menu_only(ctx),
        )
    return Reply(
        _("✅ Recorded: {unit} has submitted **{title}**. Its reminders stop. Thank you!").format(
            unit=name, title=escape(view.title)
        ),
        choices=(choice("dl", label=_("📊 Reporting deadlines")), *menu_only(ctx)),
    )


async def drop_document(ctx: Context, raw: dict[str, Any]) -> None:
    """Unlink a document sent in this flow but never recorded (unless a row refers to it)."""
    await delete_media_if_unreferenced(
        ctx.repos, open_store(ctx.services.settings), [str(raw.get("sha256", ""))]
    )


@router.choice("dlno", roles=OFFICERS)
async def cancel(event: Incoming, ctx: Context) -> Reply:
    """Leave the flow; nothing is recorded, and a document sent in it is deleted."""
    notice = await submission_cancelled(event, ctx)
    ctx.state.clear()
    return Reply(notice.text, choices=main_menu_choices(ctx))


@router.cancelled(DeadlineStep.attach, DeadlineStep.confirm)
async def submission_cancelled(event: Incoming, ctx: Context) -> Reply:
    """A typed /cancel: a document sent in the flow is deleted too (the main menu follows)."""
    raw = ctx.state.get("document")
    if raw:
        await drop_document(ctx, raw)
    return Reply(_("Cancelled. Nothing was recorded."))


# --- an admin records a submission that came in another way ---------------------------------


@router.command(
    "record", "ghinhan", roles=ADMINS, help=N_("record a report a unit sent another way")
)
@router.choice("dlrec", roles=ADMINS)
async def record(event: Incoming, ctx: Context) -> Reply:
    """List the open deadlines with units still to submit."""
    ctx.state.clear()
    todo = [v for v in await open_views(ctx) if v.pending()]
    return pick_deadline(
        ctx,
        todo,
        _("Record a submission for which deadline?"),
        _("Every unit has submitted for the open deadlines."),
        "dlr",
        lambda view: _("{title} ({count} not submitted)").format(
            title=view.title, count=len(view.pending())
        ),
    )


@router.choice("dlr", roles=ADMINS)
async def record_deadline(event: Incoming, ctx: Context) -> Reply:
    """List the units that have not submitted for the chosen deadline."""
    view = await _find(ctx, choice_arg(event))
    if view is None:
        raise BadInput(_("This deadline is closed or no longer exists. Send /status."))
    pending = view.pending()
    if not pending:
        ctx.state.clear()
        return Reply(_("Every unit has submitted for this deadline."), choices=menu_only(ctx))
    names = {unit.id: unit.name for unit in await active_units(ctx)}
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
    raw = choice_arg(event)
    if ctx.state.step != DeadlineStep.pick_unit or not raw.isdigit() or int(raw) >= len(pending):
        raise stale()
    view = await _find(ctx, str(ctx.state.get("deadline_id", "")))
    if view is None:
        ctx.state.clear()
        raise BadInput(_("This deadline is closed or no longer exists. Send /status."))
    return await _ask_attachment(ctx, view, pending[int(raw)], via="recorded")
