"""Repositories, one per aggregate, bundled per session. They never commit."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories.audit import AuditRepository
from db.repositories.broadcasts import BroadcastRepository
from db.repositories.channels import DeliveryRepository, TokenRepository, WindowRepository
from db.repositories.conversations import ConversationRepository
from db.repositories.deadlines import DeadlineRepository
from db.repositories.feedback import FeedbackRepository
from db.repositories.invites import InviteRepository
from db.repositories.links import LinkRepository
from db.repositories.media import MediaRepository
from db.repositories.outbox import OutboxRepository
from db.repositories.reports import ReportRepository
from db.repositories.tickets import TicketRepository
from db.repositories.units import UnitRepository
from db.repositories.updates import UpdateRepository
from db.repositories.users import UserRepository


@dataclass(frozen=True, slots=True)
class Repos:
    """Every repository, sharing one session (one transaction)."""

    session: AsyncSession
    users: UserRepository
    conversations: ConversationRepository
    updates: UpdateRepository
    units: UnitRepository
    feedback: FeedbackRepository
    outbox: OutboxRepository
    deadlines: DeadlineRepository
    invites: InviteRepository
    reports: ReportRepository
    audit: AuditRepository
    media: MediaRepository
    tickets: TicketRepository
    broadcasts: BroadcastRepository
    tokens: TokenRepository
    deliveries: DeliveryRepository
    windows: WindowRepository
    links: LinkRepository

    @classmethod
    def of(cls, session: AsyncSession) -> Repos:
        """Bundle the repositories over `session`."""
        return cls(
            session=session,
            users=UserRepository(session),
            conversations=ConversationRepository(session),
            updates=UpdateRepository(session),
            units=UnitRepository(session),
            feedback=FeedbackRepository(session),
            outbox=OutboxRepository(session),
            deadlines=DeadlineRepository(session),
            invites=InviteRepository(session),
            reports=ReportRepository(session),
            audit=AuditRepository(session),
            media=MediaRepository(session),
            tickets=TicketRepository(session),
            broadcasts=BroadcastRepository(session),
            tokens=TokenRepository(session),
            deliveries=DeliveryRepository(session),
            windows=WindowRepository(session),
            links=LinkRepository(session),
        )
