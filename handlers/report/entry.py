"""Ways into reports: /report (new or resumed), its buttons, /myreports, answering an officer."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.chat import Incoming, Kind, Reply, choice, escape, parse_choice
from bot.core.i18n import N_, _, format_day
from bot.engine import BadInput, Context, check_length
from db.models import ReportStatus
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
from handlers.report.notices import notify_reviewers, unit_scope
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
            "**New report.** I will ask a few short questions. Send /cancel to stop at any time: "
            "what you entered is kept, and /report continues it."
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


async def open_my_report(ctx: Context, report_id: int) -> list[Reply]:
    """One of the reporter's own reports, with its history; nobody else's."""
    report = await ctx.repos.reports.get(report_id)
    if report is None or report.reporter_id != ctx.user.id:
        raise BadInput(_("Report #{number} is not one of your reports.").format(number=report_id))
    ctx.state.clear()
    view = await load_view(ctx, report)
    choices = []
    if report.status == ReportStatus.needs_info.value:
        choices.append(choice("rp", "more", report.id, label=_("✍ Answer the officer")))
    choices.append(choice("myreports", label=_("⬅ My reports")))
    choices.append(choice("menu", label=_("🏠 Main menu")))
    title = _("Report #{number}").format(number=report.id)
    return [Reply(summary_text(view, title=title), choices=tuple(choices))]


# --- answering an officer's question ----------------------------------------------------------


def last_question(events: Sequence[EventView]) -> str:
    """What the officer asked last."""
    for event in reversed(events):
        if event.to_status == ReportStatus.needs_info.value:
            return event.note
    return ""


async def start_answer(ctx: Context, report_id: int) -> list[Reply]:
    """Show the officer's question and wait for the answer (text, photos first if needed)."""
    report = await ctx.repos.reports.get(report_id)
    if report is None or report.reporter_id != ctx.user.id:
        raise BadInput(_("Report #{number} is not one of your reports.").format(number=report_id))
    if report.status != ReportStatus.needs_info.value:
        ctx.state.clear()
        return [
            Reply(
                _("Report #{number} is {status}: nothing to answer now.").format(
                    number=report.id, status=status_label(report.status)
                ),
                choices=main_menu_choices(ctx),
            )
        ]
    view = await load_view(ctx, report)
    ctx.state.enter(ReportStep.more, report_id=report.id, added=0)
    # No buttons here: a typed number is an answer ("12 women"), not a choice.
    return [
        Reply(
            _(
                "The officer asked about report #{number}: “{question}”\n\nType your answer. "
                "To add photos, send them first: your text sends the answer. Or send photos "
                'and type "done".'
            ).format(number=report.id, question=escape(last_question(view.events)))
        )
    ]


router.takes(ReportStep.more, Kind.photo, Kind.document, Kind.voice)


@router.step(ReportStep.more, roles=REPORTERS)
async def take_more(event: Incoming, ctx: Context) -> list[Reply] | None:
    """Photos are added at once; the text (or "done" after photos) sends the report back."""
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
    if event.kind in (Kind.photo, Kind.document):
        lines, added, _total = await attach_photos(ctx, report, event.media)
        ctx.state.update(added=int(ctx.state.get("added", 0)) + added)
        lines.append(_('Type your answer, or "done" to send the photos.'))
        return [Reply("\n".join(lines))]
    if event.kind is Kind.voice:
        line, kept = await attach_voice(ctx, report, event.media)
        ctx.state.update(added=int(ctx.state.get("added", 0)) + int(kept))
        return [Reply(line + "\n" + _('Type your answer, or "done" to send it.'))]
    if event.kind is not Kind.text:
        raise BadInput(_("Please type your answer, or send photos."))
    note = event.text.strip()
    if is_done(note):
        if not ctx.state.get("added"):
            raise BadInput(
                _("Please type your answer first, or send the photos the officer asked for.")
            )
        note = ""
    check_length(
        note,
        DESCRIPTION_MAX,
        _("Please keep the answer under {limit} characters (you wrote {length})."),
    )
    change = await ctx.repos.reports.change_status(
        report, ReportStatus.submitted, actor_id=ctx.user.id, now=ctx.now, note=note
    )
    await notify_reviewers(ctx, report, change)
    ctx.state.clear()
    return [
        Reply(
            _(
                "Thank you! Your answer was sent with report #{number}; the officers will "
                "review it again."
            ).format(number=report.id),
            choices=main_menu_choices(ctx),
        )
    ]
