"""Who may review a report, and the review requests queued for them when it is sent."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.chat import Reply, escape
from bot.core.i18n import _
from bot.engine import Context
from db.models import Report, ReportEvent, ReportStatus, Role, User
from handlers.admin import unit_name
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


@dataclass(frozen=True, slots=True)
class Reviewers:
    """Who is asked to review a report, and at which level they were found."""

    users: list[User]
    unit_id: str | None  # the unit whose officers were found; None: the admins (or nobody)


async def reviewers(ctx: Context, report: Report) -> Reviewers:
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
            return Reviewers(found, found[0].unit_id or units[0])
    admins = await ctx.repos.reports.users_with_role([Role.admin])
    return Reviewers([user for user in admins if user.id != report.reporter_id], None)


async def notify_reviewers(ctx: Context, report: Report, event: ReportEvent) -> Reviewers:
    """Queue the report, with its photos, for every reviewer; who was asked."""
    view = await load_view(ctx, report)
    answered = event.from_status == ReportStatus.needs_info.value
    # Sent again after being withdrawn or rejected: the officer may have seen it before.
    resent = not answered and any(e.to_status == ReportStatus.draft.value for e in view.events)

    def build() -> list[Reply]:
        if answered:
            lead = _("The reporter answered your question about report #{number}.")
        elif resent:
            lead = _("Report #{number} was changed by the reporter and sent again.")
        else:
            lead = _("A new report is waiting for your review.")
        return review_replies(view, lead.format(number=view.id))

    found = await reviewers(ctx, report)
    for officer in found.users:
        await ctx.notify(
            officer,
            build,
            key=f"report:{report.id}:review:{event.id}:{officer.id}",
            kind="report_review",
        )
    return found


async def who_reviews(ctx: Context, report: Report, found: Reviewers) -> str:
    """What the reporter is told about who will review the report: only what is true."""
    unit = escape(await unit_name(ctx, report.unit_id))
    if found.users and found.unit_id is not None:
        return _(
            "The officers of {unit} will review it, and you will get a message when they decide."
        ).format(unit=escape(await unit_name(ctx, found.unit_id)))
    if found.users:
        return _(
            "No officer of {unit} is on Loa yet, so Loa's administrators were told; you "
            "will get a message when it is decided."
        ).format(unit=unit)
    return _(
        "No officer or administrator is on Loa yet, so nobody has been told about it. It is "
        "kept: the first officer of {unit} who joins Loa will find it in their list of "
        "reports to review."
    ).format(unit=unit)
