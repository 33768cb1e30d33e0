"""Who may review a report, and the review requests queued for them when it is sent."""

from __future__ import annotations

from bot.core.chat import Reply
from bot.core.i18n import _
from bot.engine import Context
from db.models import Report, ReportEvent, ReportStatus, Role, User
from handlers.report.views import load_view, review_replies

OFFICERS = (Role.officer, Role.admin)


async def unit_scope(ctx: Context) -> set[str] | None:
    """Units the user may report for or review: their unit and all under it (None: all)."""
    if ctx.role is Role.admin:
        return None
    if ctx.user.unit_id is None:
        return set()
    return await ctx.repos.reports.subtree(ctx.user.unit_id)


async def can_review(ctx: Context, report: Report) -> bool:
    """Whether the user may decide on `report`: an officer of its unit or above, or an admin,
    and never on their own report."""
    if ctx.role not in OFFICERS or report.reporter_id == ctx.user.id:
        return False
    scope = await unit_scope(ctx)
    return scope is None or report.unit_id in scope


async def reviewers(ctx: Context, report: Report) -> list[User]:
    """Who is asked to review: officers of the report's unit and of its parent.

    When nobody holds those posts (yet), the request goes further up, and in the end to the
    admins, so that no report waits unseen. The reporter never reviews their own report.
    """
    chain = [report.unit_id]
    unit = await ctx.repos.units.get(report.unit_id)
    while unit is not None and unit.parent_id is not None and unit.parent_id not in chain:
        chain.append(unit.parent_id)
        unit = await ctx.repos.units.get(unit.parent_id)
    levels = [chain[:2], *([unit_id] for unit_id in chain[2:])]
    for units in levels:
        found = await ctx.repos.reports.users_with_role([Role.officer], units)
        found = [user for user in found if user.id != report.reporter_id]
        if found:
            return found
    admins = await ctx.repos.reports.users_with_role([Role.admin])
    return [user for user in admins if user.id != report.reporter_id]


async def notify_reviewers(ctx: Context, report: Report, event: ReportEvent) -> int:
    """Queue the report, with its photos, for every reviewer; how many were asked."""
    view = await load_view(ctx, report)
    answered = event.from_status == ReportStatus.needs_info.value

    def build() -> list[Reply]:
        if answered:
            lead = _("The reporter answered your question about report #{number}.")
        else:
            lead = _("A new report is waiting for your review.")
        return review_replies(view, lead.format(number=view.id))

    recipients = await reviewers(ctx, report)
    for officer in recipients:
        await ctx.notify(
            officer,
            build,
            key=f"report:{report.id}:review:{event.id}:{officer.id}",
            kind="report_review",
        )
    return len(recipients)
