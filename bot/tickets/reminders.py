"""Unanswered questions: a reminder to their officers, then the admins (the scheduler's job).

A ticket still open TICKET_REMINDER_HOURS after it was sent reminds the people it went to;
after twice that, every admin gets it. Each message has a dedupe key
(`tk:<ticket>:remind:<user>`, `tk:<ticket>:escalate:<user>`), so planning again, or in several
processes, sends once; answering a ticket withdraws what is still queued. Like deadline
reminders, nothing is planned in the quiet hours (the text would be stale by morning).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.core import i18n
from bot.core.clock import Clock
from bot.core.config import Settings
from bot.core.i18n import Catalogs
from bot.delivery.outbox import in_quiet_hours, to_payload
from bot.tickets.notices import officer_notice, responders, view_of, waiting_lead
from db.models import Role, Ticket, TicketStatus, User
from db.org import OrgMap
from db.repositories import Repos
from db.session import Database

REMIND = "remind"
ESCALATE = "escalate"


def reminder_prefix(ticket_id: int) -> str:
    """The start of every reminder key of a ticket (to withdraw them once it is answered)."""
    return f"tk:{ticket_id}:"


@dataclass(frozen=True, slots=True)
class TicketReminder:
    """One reminder queued by a run."""

    ticket_id: int
    kind: str  # REMIND or ESCALATE
    user_id: int


@dataclass(eq=False)
class TicketPlanner:
    """Queues reminders and escalations of unanswered tickets."""

    db: Database
    settings: Settings
    catalogs: Catalogs
    org: OrgMap
    clock: Clock

    async def run(self) -> list[TicketReminder]:
        """Plan at the clock's now; what was newly queued."""
        return await self.plan(self.clock.now())

    async def plan(self, at: datetime) -> list[TicketReminder]:
        """Queue the reminders due at `at` that are not queued yet."""
        at = at.astimezone(UTC)
        if in_quiet_hours(self.settings, at):
            return []
        period = timedelta(hours=self.settings.ticket_reminder_hours)
        queued: list[TicketReminder] = []
        async with self.db.session() as session:
            repos = Repos.of(session)
            waiting = await repos.tickets.find(
                statuses=[TicketStatus.open], created_before=at - period
            )
            admins = await repos.reports.users_with_role([Role.admin])
            for ticket in waiting:
                people = await responders(repos, ticket.unit_id, not_user=ticket.asker_id)
                queued += await self._queue(repos, ticket, REMIND, people, at)
                if ticket.created_at <= at - 2 * period:
                    others = [user for user in admins if user.id != ticket.asker_id]
                    queued += await self._queue(repos, ticket, ESCALATE, others, at)
        return queued

    async def _queue(
        self, repos: Repos, ticket: Ticket, kind: str, people: Sequence[User], at: datetime
    ) -> list[TicketReminder]:
        unit = self.org.get(ticket.unit_id) if ticket.unit_id else None
        view = await view_of(repos, self.settings, ticket, unit.name if unit else "")
        hours = int((at - ticket.created_at).total_seconds() // 3600)
        queued = []
        for user in people:
            with i18n.use(self.catalogs, user.language or self.settings.default_language):
                lead = waiting_lead(view, hours, escalated=kind == ESCALATE)
                replies = officer_notice(view, user, self.settings, at, lead)
            added = await repos.outbox.enqueue(
                key=f"{reminder_prefix(ticket.id)}{kind}:{user.id}",
                user_id=user.id,
                kind="ticket_reminder",
                payload=to_payload(replies),
                due_at=at,
                urgent=False,
                now=at,
            )
            if added:
                queued.append(TicketReminder(ticket.id, kind, user.id))
        return queued
