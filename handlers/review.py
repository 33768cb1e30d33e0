"""Officers review field reports: approve, reject with a reason, or ask for more information.

A request to review arrives as a proactive message (handlers/report/notices.py queues it
when a report is sent); /pending lists what waits. Every decision is checked here, not only by
role: an officer decides only on reports of their unit and the units under it (admins: all), and
only while the report waits for review, so a second officer pressing an old button changes
nothing. Each decision is recorded in the audit trail and told to the reporter.
"""

from __future__ import annotations

from enum import StrEnum

from bot.core.chat import Choice, Incoming, Reply, choice, escape, parse_choice
from bot.core.i18n import N_, _, format_day
from bot.engine import BadInput, Context, Router, check_length, typed_text
from db.models import Report, ReportStatus
from handlers.admin import describe_user, local_time, unit_name
from handlers.report import (
    OFFICERS,
    RECENT,
    activity_label,
    can_review,
    load_view,
    review_replies,
    review_round,
    status_label,
    unit_scope,
)
from handlers.start import main_menu_choices

router = Router("review")

NOTE_MIN = 3
NOTE_MAX = 1000

router.menu(3, N_("Reports to review"), "pending", roles=OFFICERS)


class ReviewStep(StrEnum):
    """Steps of a decision that needs words."""

    reason = "review.reason"
    question = "review.question"


# The decisions that need words: the step that takes them, and what the officer is asked.
WORDS_ASKED = {
    "no": (
        ReviewStep.reason,
        N_(
            "Why is report #{number} not accepted? Type a short reason; the reporter will read it."
        ),
    ),
    "ask": (
        ReviewStep.question,
        N_(
            "What do you want to ask about report #{number}? Type your question; the "
            "reporter can answer and add photos."
        ),
    ),
}


@router.command("pending", "choduyet", roles=OFFICERS, help=N_("reports waiting for your review"))
@router.choice("pending", roles=OFFICERS)
async def pending(event: Incoming, ctx: Context) -> Reply:
    """The reports of the officer's units that wait for review, oldest first."""
    ctx.state.clear()
    scope = await unit_scope(ctx)
    waiting, total = await ctx.repos.reports.find(
        units=scope,
        statuses=[ReportStatus.submitted],
        limit=RECENT,
        oldest_first=True,
        not_by=ctx.user.id,
    )
    _asked, asked = await ctx.repos.reports.find(
        units=scope, statuses=[ReportStatus.needs_info], limit=0, not_by=ctx.user.id
    )
    if not waiting:
        text = _("No report is waiting for your review.")
        if asked:
            text += "\n" + _("Reports waiting for the reporter's answer: {count}.").format(
                count=asked
            )
        return Reply(text, choices=main_menu_choices(ctx))
    counts = await ctx.repos.reports.media_counts([r.id for r in waiting])
    lines = [_("**Reports waiting for your review: {count}**").format(count=total)]
    if total > len(waiting):
        lines.append(_("The {shown} oldest:").format(shown=len(waiting)))
    choices = []
    for report in waiting:
        lines.append(
            _("#{number} · {unit} · {date} · {activity} · photos: {photos}").format(
                number=report.id,
                unit=escape(await unit_name(ctx, report.unit_id)),
                date=format_day(report.activity_date) if report.activity_date else "—",
                activity=activity_label(report.activity, report.activity_other),
                photos=counts.get(report.id, 0),
            )
        )
        choices.append(
            choice(
                "rv", "open", report.id, label=_("Open report #{number}").format(number=report.id)
            )
        )
    if asked:
        lines.append(_("Reports waiting for the reporter's answer: {count}.").format(count=asked))
    choices.append(choice("menu", label=_("🏠 Main menu")))
    return Reply("\n".join(lines), choices=tuple(choices))


async def reviewable(ctx: Context, report_id: int) -> Report:
    """The report, if this officer may see it; otherwise a polite refusal and no change."""
    report = await ctx.repos.reports.get(report_id, lock=True)
    if (
        report is not None
        and report.status == ReportStatus.draft.value
        and report.submitted_at
        and await can_review(ctx, report)
    ):
        # Sent once, now a draft again: the reporter withdrew it, or opened it to change it.
        raise BadInput(
            _(
                "Report #{number} was taken back by the reporter to change it. You will get "
                "it again if it is sent again."
            ).format(number=report_id)
        )
    if (
        report is None
        or report.status == ReportStatus.draft.value
        or not await can_review(ctx, report)
    ):
        raise BadInput(
            _("Report #{number} is not one of the reports you review.").format(number=report_id)
        )
    return report


async def already_decided(ctx: Context, report: Report) -> BadInput:
    """Say who moved the report on, and when (nothing is changed)."""
    events = await ctx.repos.reports.events(report.id)
    last, actor = events[-1] if events else (None, None)
    if last is None:
        return BadInput(
            _("Report #{number} is {status}.").format(
                number=report.id, status=status_label(report.status)
            )
        )
    return BadInput(
        _("Report #{number} is already {status} ({who}, {when}). Nothing was changed.").format(
            number=report.id,
            status=status_label(report.status),
            who=escape(describe_user(actor)) if actor else "—",
            when=local_time(ctx, last.at),
        )
    )


async def current_round(ctx: Context, report: Report) -> int:
    """The report's review round now (it grows each time the reporter sends it again)."""
    return review_round(
        event.to_status for event, _actor in await ctx.repos.reports.events(report.id)
    )


async def round_moved(ctx: Context, report: Report, shown: int) -> list[Reply] | None:
    """A polite refusal when a decision was made on an earlier round than the report is in."""
    if shown == await current_round(ctx, report):
        return None
    ctx.state.clear()
    text = _(
        "The reporter has answered since you saw report #{number}, so this decision was not "
        "made. Open the report to see their answer, then decide."
    ).format(number=report.id)
    label = _("Open report #{number}").format(number=report.id)
    return [Reply(text, choices=(choice("rv", "open", report.id, label=label),))]


@router.choice("rv", roles=OFFICERS)
async def review_choice(event: Incoming, ctx: Context) -> list[Reply]:
    """Open a report, approve it, or start rejecting it or asking about it."""
    parsed = parse_choice(event.choice)
    args = parsed[1] if parsed else []
    stale = _("Sorry, that button is out of date. Send /pending to see the list.")
    if len(args) not in (2, 3) or not all(arg.isdigit() for arg in args[1:]):
        raise BadInput(stale)
    action, report = args[0], await reviewable(ctx, int(args[1]))
    if action == "open":
        ctx.state.clear()
        return review_replies(await load_view(ctx, report), lead="")
    if len(args) != 3:  # a decision button names its review round
        raise BadInput(stale)
    if report.status != ReportStatus.submitted.value:
        raise await already_decided(ctx, report)
    shown = int(args[2])
    moved = await round_moved(ctx, report, shown)
    if moved is not None:
        return moved
    if action == "ok":
        ctx.state.clear()
        await decide(ctx, report, ReportStatus.approved)
        return [
            Reply(
                _("Report #{number} is approved. The reporter will be told.").format(
                    number=report.id
                )
                + ctx.held_note(),
                choices=_after_decision(),
            )
        ]
    if action in WORDS_ASKED:
        step, question = WORDS_ASKED[action]
        ctx.state.enter(step, report_id=report.id, round=shown)
        return [Reply(_(question).format(number=report.id))]
    raise BadInput(_("Sorry, that button is out of date. Send /pending to see the list."))


def _after_decision() -> tuple[Choice, ...]:
    return (
        choice("pending", label=_("Reports to review")),
        choice("menu", label=_("🏠 Main menu")),
    )


@router.step(ReviewStep.reason, ReviewStep.question, roles=OFFICERS)
async def take_note(event: Incoming, ctx: Context) -> list[Reply] | None:
    """The reason of a rejection or the question to the reporter; buttons pass through."""
    typed = typed_text(event, _("Please type it in words."))
    if typed is None:
        return None
    note = check_length(
        typed.strip(),
        NOTE_MAX,
        _("Please keep it under {limit} characters (you wrote {length})."),
        least=NOTE_MIN,
        too_short=_("Please type a few words, so the reporter understands."),
    )
    report = await reviewable(ctx, int(ctx.state.get("report_id", 0)))
    if report.status != ReportStatus.submitted.value:
        ctx.state.clear()
        raise await already_decided(ctx, report)
    moved = await round_moved(ctx, report, int(ctx.state.get("round", -1)))
    if moved is not None:
        return moved
    rejecting = ctx.state.step == ReviewStep.reason
    ctx.state.clear()
    if rejecting:
        await decide(ctx, report, ReportStatus.rejected, note)
        text = _("Report #{number} is rejected. The reporter will be told the reason.")
    else:
        await decide(ctx, report, ReportStatus.needs_info, note)
        text = _(
            "Your question was sent to the reporter. Report #{number} comes back to you "
            "when they answer."
        )
    text = text.format(number=report.id) + ctx.held_note()
    return [Reply(text, choices=_after_decision())]


async def decide(ctx: Context, report: Report, to: ReportStatus, note: str = "") -> None:
    """Record the decision and tell the reporter (in their language, through the outbox)."""
    change = await ctx.repos.reports.change_status(
        report, to, actor_id=ctx.user.id, now=ctx.now, note=note
    )
    reporter = await ctx.repos.users.get(report.reporter_id)
    if reporter is None:
        return
    officer = describe_user(ctx.user)
    unit = await unit_name(ctx, ctx.user.unit_id) if ctx.user.unit_id else ""
    who = f"{officer} ({unit})" if unit else officer
    number, activity, other = report.id, report.activity, report.activity_other
    day = report.activity_date

    def build() -> Reply:
        what = _("report #{number} ({activity}, {date})").format(
            number=number,
            activity=activity_label(activity, other),
            date=format_day(day) if day else "—",
        )
        if to is ReportStatus.approved:
            return Reply(
                _("Good news: your {report} was approved by {who}. Thank you!").format(
                    report=what, who=escape(who)
                ),
                choices=(choice("myreports", label=_("My reports")),),
            )
        if to is ReportStatus.rejected:
            return Reply(
                _("Your {report} was not accepted by {who}. Reason: “{reason}”").format(
                    report=what, who=escape(who), reason=escape(note)
                ),
                choices=(choice("myreports", label=_("My reports")),),
            )
        return Reply(
            _("{who} asks about your {report}: “{question}”").format(
                who=escape(who), report=what, question=escape(note)
            ),
            choices=(choice("rp", "more", number, label=_("✍ Answer the officer")),),
        )

    await ctx.notify(
        reporter, build, key=f"report:{report.id}:decision:{change.id}", kind="report_decision"
    )
