"""Ways into reports: /report (new or resumed), its buttons, /myreports, answering an officer."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.chat import Incoming, Kind, Reply, choice, escape, parse_choice
from bot.core.i18n import N_, _, format_day
from bot.engine import BadInput, Context, check_length
from db.models import Report, ReportStatus
from handlers.report.attachments import attach_photos, attach_voice, forget_files
from handlers.report.flow import (
    DESCRIPTION_MAX,
    FLOW,
    REPORTERS,
    STEP_NAMES,
    ReportStep,
    current_draft,
    go,
    router,
)
from handlers.report.notices import notify_reviewers, unit_scope, who_reviews
from handlers.report.parse import is_done
from handlers.report.views import EventView, activity_label, load_view, status_label, summary_text
from handlers.start import main_menu_choices

RECENT = 10  # reports listed by /myreports and /pending

router.menu(1, N_("Send a report"), "report", roles=REPORTERS)
router.menu(2, N_("My reports"), "myreports", roles=REPORTERS)


# --- starting and resuming --------------------------------------------------------------------


@router.command(
    "report", "baocao", roles=REPORTERS, help=N_("send an activity report with photos")
)
@router.choice("report", roles=REPORTERS)
async def start_report(event: Incoming, ctx: Context) -> list[Reply]:
    """Open a draft, or offer to continue the unfinished one."""
    if ctx.state.step in FLOW or ctx.state.step in (ReportStep.other, ReportStep.edit):
        draft = await current_draft(ctx)
        if draft is not None:
            return await go(
                ctx,
                draft,
                ReportStep(str(ctx.state.step)),
                lead=_("Let's go on with your report."),
            )
    draft = await ctx.repos.reports.open_draft(ctx.user.id)
    if draft is not None:
        ctx.state.clear()
        text = _(
            "You have a report that is not sent yet ({activity}, started {date}). Continue it, "
            "or start a new one?"
        ).format(
            activity=activity_label(draft.activity, draft.activity_other),
            date=format_day(draft.created_at.astimezone(ctx.services.settings.tz)),
        )
        return [
            Reply(
                text,
                choices=(
                    choice("rp", "go", draft.id, label=_("▶ Continue that report")),
                    choice("rp", "new", draft.id, label=_("🆕 Start a new report")),
                    choice("menu", label=_("🏠 Main menu")),
                ),
            )
        ]
    return await _new_draft(ctx)


async def _new_draft(ctx: Context) -> list[Reply]:
    scope = await unit_scope(ctx)
    unit_id = ctx.user.unit_id
    if unit_id is None and scope is not None:
        ctx.state.clear()
        return [
            Reply(
                _(
                    "Your account is not linked to a commune or village yet, so you cannot send "
                    "reports. Please ask your officer for a new invite code."
                ),
                choices=main_menu_choices(ctx),
            )
        ]
    if unit_id is None:  # an admin without a unit: the district's root unit to start with
        unit_id = ctx.services.org.units[0].id
    draft = await ctx.repos.reports.new_draft(ctx.user.id, unit_id, ctx.now)
    return await go(
        ctx,
        draft,
        ReportStep.activity,
        lead=_(
            "**New report.** I will ask a few short questions. Type “back” to go back one "
            "question. Send /cancel to stop at any time: what you entered is kept, and /report "
            "continues it."
        ),
    )


@router.choice("rp", roles=REPORTERS)
async def report_choice(event: Incoming, ctx: Context) -> list[Reply]:
    """Buttons of the report flow pressed outside it: continue, start anew, open, answer."""
    parsed = parse_choice(event.choice)
    args = parsed[1] if parsed else []
    action = args[0] if args else ""
    number = int(args[1]) if len(args) > 1 and args[1].isdigit() else 0
    if action in ("go", "new"):
        draft = await ctx.repos.reports.get(number)
        if draft is None or draft.reporter_id != ctx.user.id or draft.status != "draft":
            return await start_report(event, ctx)
        if action == "new":
            await forget_files(ctx, await ctx.repos.reports.discard(draft))
            return await _new_draft(ctx)
        step = ReportStep(draft.draft_step) if draft.draft_step in STEP_NAMES else FLOW[0]
        return await go(ctx, draft, step, lead=_("Let's go on with your report."))
    if action == "my":
        return await open_my_report(ctx, number)
    if action == "more":
        return await start_answer(ctx, number)
    if action in ("wd", "re"):
        return await reopen(ctx, number, action)
    ctx.state.clear()
    return [
        Reply(
            _(
                "That button belongs to a question you are no longer answering. Send /report to "
                "continue your report."
            ),
            choices=main_menu_choices(ctx),
        )
    ]


# --- my reports -------------------------------------------------------------------------------


@router.command("myreports", "baocaocuatoi", roles=REPORTERS, help=N_("your recent reports"))
@router.choice("myreports", roles=REPORTERS)
async def my_reports(event: Incoming, ctx: Context) -> Reply:
    """The reporter's recent reports and where each one is."""
    ctx.state.clear()
    reports = await ctx.repos.reports.for_reporter(ctx.user.id, limit=RECENT)
    if not reports:
        return Reply(
            _('You have not sent any report yet. Choose "Send a report" to send one.'),
            choices=main_menu_choices(ctx),
        )
    lines = [_("**Your recent reports**")]
    choices = []
    for report in reports:
        when = format_day(report.activity_date) if report.activity_date else "—"
        lines.append(
            _("#{number} · {date} · {activity} · {status}").format(
                number=report.id,
                date=when,
                activity=activity_label(report.activity, report.activity_other),
                status=status_label(report.status),
            )
        )
        if report.status == ReportStatus.draft.value:
            choices.append(
                choice(
                    "rp",
                    "go",
                    report.id,
                    label=_("▶ Continue report #{number}").format(number=report.id),
                )
            )
        else:
            choices.append(
                choice(
                    "rp",
                    "my",
                    report.id,
                    label=_("Open report #{number}").format(number=report.id),
                )
            )
    choices.append(choice("menu", label=_("🏠 Main menu")))
    return Reply("\n".join(lines), choices=tuple(choices))


async def own_report(ctx: Context, report_id: int, *, lock: bool = False) -> Report:
    """One of the user's own reports; anyone else's is refused as if it did not exist."""
    report = await ctx.repos.reports.get(report_id, lock=lock)
    if report is None or report.reporter_id != ctx.user.id:
        raise BadInput(_("Report #{number} is not one of your reports.").format(number=report_id))
    return report


def not_now(ctx: Context, report: Report, msgid: str) -> list[Reply]:
    """Leave the flow: `msgid` says the report's status does not allow the action now."""
    ctx.state.clear()
    text = _(msgid).format(number=report.id, status=status_label(report.status))
    return [Reply(text, choices=main_menu_choices(ctx))]


async def open_my_report(ctx: Context, report_id: int) -> list[Reply]:
    """One of the reporter's own reports, with its history; nobody else's."""
    report = await own_report(ctx, report_id)
    ctx.state.clear()
    view = await load_view(ctx, report)
    choices = []
    if report.status == ReportStatus.needs_info.value:
        choices.append(choice("rp", "more", report.id, label=_("✍ Answer the officer")))
    if report.status == ReportStatus.submitted.value:
        choices.append(choice("rp", "wd", report.id, label=_("↩ Withdraw this report")))
    if report.status == ReportStatus.rejected.value:
        choices.append(choice("rp", "re", report.id, label=_("✏️ Change it and send again")))
    choices.append(choice("myreports", label=_("⬅ My reports")))
    choices.append(choice("menu", label=_("🏠 Main menu")))
    title = _("Report #{number}").format(number=report.id)
    return [Reply(summary_text(view, title=title), choices=tuple(choices))]


# --- answering an officer's question ----------------------------------------------------------


def last_note(events: Sequence[EventView], status: ReportStatus) -> str:
    """The note of the last move to `status` (what the officer asked, or why they rejected)."""
    for event in reversed(events):
        if event.to_status == status.value:
            return event.note
    return ""


def last_question(events: Sequence[EventView]) -> str:
    """What the officer asked last."""
    return last_note(events, ReportStatus.needs_info)


async def start_answer(ctx: Context, report_id: int) -> list[Reply]:
    """Show the officer's question and wait for the answer (text, photos first if needed)."""
    report = await own_report(ctx, report_id)
    if report.status != ReportStatus.needs_info.value:
        return not_now(ctx, report, N_("Report #{number} is {status}: nothing to answer now."))
    view = await load_view(ctx, report)
    ctx.state.enter(ReportStep.more, report_id=report.id, added=0, notes=[])
    # No buttons here: a typed number is an answer ("12 women"), not a choice.
    return [
        Reply(
            _(
                "The officer asked about report #{number}: “{question}”\n\nSend your answer: "
                "text and photos, in any order and in as many messages as you need. When you "
                'have sent everything, type "done" and it goes to the officer.'
            ).format(number=report.id, question=escape(last_question(view.events)))
        )
    ]


router.takes(ReportStep.more, Kind.photo, Kind.document, Kind.voice)


def _answer_so_far(ctx: Context) -> str:
    """What the reporter has typed for the officer so far."""
    return "\n".join(str(note) for note in ctx.state.get("notes", []))


@router.step(ReportStep.more, roles=REPORTERS)
async def take_more(event: Incoming, ctx: Context) -> list[Reply] | None:
    """Texts and photos gather in any order; "done" sends them back with the report."""
    if event.kind is Kind.choice:
        return None
    report = await ctx.repos.reports.get(int(ctx.state.get("report_id", 0)), lock=True)
    if (
        report is None
        or report.reporter_id != ctx.user.id
        or report.status != ReportStatus.needs_info.value
    ):
        ctx.state.clear()
        return [Reply(_("There is nothing to answer any more."), choices=main_menu_choices(ctx))]
    more = _('Send more, or type "done" to send your answer to the officer.')
    if event.kind in (Kind.photo, Kind.document):
        lines, added, _total = await attach_photos(ctx, report, event.media)
        ctx.state.update(added=int(ctx.state.get("added", 0)) + added)
        caption = event.text.strip()
        if caption and not is_done(caption):
            return await _add_note(ctx, caption, "\n".join([*lines, more]))
        if caption:  # photos sent with "done" as their caption
            return await _send_answer(ctx, report)
        return [Reply("\n".join([*lines, more]))]
    if event.kind is Kind.voice:
        line, kept = await attach_voice(ctx, report, event.media)
        ctx.state.update(added=int(ctx.state.get("added", 0)) + int(kept))
        return [Reply(f"{line}\n{more}")]
    if event.kind is not Kind.text:
        raise BadInput(_("Please type your answer, or send photos."))
    if not is_done(event.text):
        return await _add_note(ctx, event.text.strip(), _("Added to your answer.") + " " + more)
    if not ctx.state.get("added") and not ctx.state.get("notes"):
        raise BadInput(
            _("Please type your answer first, or send the photos the officer asked for.")
        )
    return await _send_answer(ctx, report)


async def _add_note(ctx: Context, text: str, reply: str) -> list[Reply]:
    """Keep a piece of the answer (not sent yet)."""
    notes = [*ctx.state.get("notes", []), text]
    check_length(
        "\n".join(notes),
        DESCRIPTION_MAX,
        _("Please keep the answer under {limit} characters (it would be {length})."),
    )
    ctx.state.update(notes=notes)
    return [Reply(reply)]


async def _send_answer(ctx: Context, report: Report) -> list[Reply]:
    """Send the gathered answer: the report goes back to the officers."""
    change = await ctx.repos.reports.change_status(
        report,
        ReportStatus.submitted,
        actor_id=ctx.user.id,
        now=ctx.now,
        note=_answer_so_far(ctx),
    )
    asked = await notify_reviewers(ctx, report, change)
    ctx.state.clear()
    text = _("Thank you! Your answer was sent with report #{number}.").format(number=report.id)
    return [
        Reply(f"{text} {await who_reviews(ctx, report, asked)}", choices=main_menu_choices(ctx))
    ]


@router.cancelled(ReportStep.more)
async def answer_cancelled(event: Incoming, ctx: Context) -> Reply:
    """Say what stopping an answer keeps and loses."""
    number = int(ctx.state.get("report_id", 0))
    return Reply(
        _(
            "Stopped. Your answer was not sent to the officer (photos you added stay with "
            "report #{number}). To answer, open the report in “My reports”."
        ).format(number=number)
    )


# --- taking a sent report back --------------------------------------------------------------


async def reopen(ctx: Context, report_id: int, action: str) -> list[Reply]:
    """Withdraw a report not yet reviewed, or open a rejected one again: either way it is a
    draft again, with every answer, to change and send (or delete)."""
    report = await own_report(ctx, report_id, lock=True)
    wanted = ReportStatus.submitted if action == "wd" else ReportStatus.rejected
    if report.status != wanted.value:
        return not_now(ctx, report, N_("Report #{number} is {status}: it cannot be changed now."))
    if wanted is ReportStatus.submitted:
        # Review requests still waiting in the outbox would offer a decision on nothing.
        await ctx.repos.outbox.cancel_pending(f"report:{report.id}:review:", reason="withdrawn")
        lead = _(
            "Report #{number} is withdrawn: the officers will not review it now. It is back "
            "among your drafts: change what you need and send it again, or delete it."
        ).format(number=report.id)
    else:
        view = await load_view(ctx, report)
        lead = _(
            "Report #{number} is open again, with everything you entered. The officer's "
            "reason: “{reason}”. Change what is needed, then send it again."
        ).format(number=report.id, reason=escape(last_note(view.events, ReportStatus.rejected)))
    await ctx.repos.reports.change_status(
        report, ReportStatus.draft, actor_id=ctx.user.id, now=ctx.now
    )
    ctx.state.clear()
    return await go(ctx, report, ReportStep.confirm, lead=lead)
