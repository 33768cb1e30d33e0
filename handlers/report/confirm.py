"""The report flow's last steps: the summary (send, change one answer, delete the draft) and the
choice of the answer to change."""

from __future__ import annotations

from bot.core.chat import Reply
from bot.core.i18n import _
from bot.engine import BadInput, Context
from db.models import MediaKind, Report, ReportStatus
from handlers.report.attachments import forget_files
from handlers.report.flow import EDITABLE, Answer, ReportStep, go, photos_required, wrong_button
from handlers.report.notices import notify_reviewers, who_reviews
from handlers.report.views import Activity
from handlers.start import main_menu_choices


async def take_confirm(answer: Answer, ctx: Context, report: Report) -> list[Reply]:
    """Send, change something, or delete the draft."""
    if answer.action == "edit":
        return await go(ctx, report, ReportStep.edit)
    if answer.action == "del":
        await forget_files(ctx, await ctx.repos.reports.discard(report))
        ctx.state.clear()
        return [
            Reply(_("The report was deleted. Nothing was sent."), choices=main_menu_choices(ctx))
        ]
    if answer.action != "send":
        if answer.action:
            raise wrong_button()
        raise BadInput(_("Please choose: send the report, change something, or delete it."))
    missing = await _first_missing(ctx, report)
    if missing is not None:
        return await go(ctx, report, missing, lead=_("One answer is still missing."))
    event = await ctx.repos.reports.change_status(
        report, ReportStatus.submitted, actor_id=ctx.user.id, now=ctx.now
    )
    asked = await notify_reviewers(ctx, report, event)
    ctx.state.clear()
    text = _("Thank you! Report #{number} is sent.").format(number=report.id)
    text += " " + await who_reviews(ctx, report, asked)
    text += " " + _("/myreports shows your reports.")
    return [Reply(text, choices=main_menu_choices(ctx))]


async def _first_missing(ctx: Context, report: Report) -> ReportStep | None:
    """The first required answer a draft lacks (drafts resumed after an update may)."""
    if report.activity is None:
        return ReportStep.activity
    if report.activity == Activity.other.value and not report.activity_other:
        return ReportStep.other
    if report.activity_date is None:
        return ReportStep.date
    if report.participants is None:
        return ReportStep.participants
    if not report.description and not await ctx.repos.reports.media(report.id, MediaKind.voice):
        return ReportStep.description
    if photos_required(ctx, report) and not await ctx.repos.reports.media(
        report.id, MediaKind.photo
    ):
        return ReportStep.photos
    return None


async def take_edit(answer: Answer, ctx: Context, report: Report) -> list[Reply]:
    """Which answer to change; after it, back to the summary."""
    if answer.action == "back":
        return await go(ctx, report, ReportStep.confirm)
    if answer.action == "f" and answer.args and answer.args[0] in EDITABLE:
        ctx.state.update(editing=True)
        return await go(ctx, report, EDITABLE[answer.args[0]][1])
    if answer.action:
        raise wrong_button()
    raise BadInput(_("Please choose what to change (you can type its number)."))
