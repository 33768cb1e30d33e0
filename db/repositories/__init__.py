"""Repositories, one per aggregate, bundled per session. They never commit."""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache
from typing import Any, get_type_hints

from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories.audit import AuditRepository
from db.repositories.broadcasts import BroadcastRepository
from db.repositories.channels import DeliveryRepository, TokenRepository, WindowRepository
from db.repositories.conversations import ConversationRepository
from db.repositories.deadlines import DeadlineRepository
from db.repositories.desk import DeskRepository
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
    desk: DeskRepository
    tokens: TokenRepository
    deliveries: DeliveryRepository
    windows: WindowRepository
    links: LinkRepository

    @classmethod
    def of(cls, session: AsyncSession) -> Repos:
        """Bundle the repositories over `session` (each field's type makes its repository)."""
        return cls(session, **{name: kind(session) for name, kind in _kinds().items()})


@cache
def _kinds() -> dict[str, Any]:
    """Each field of `Repos` and its repository class (its type)."""
    hints = get_type_hints(Repos)
    return {field.name: hints[field.name] for field in fields(Repos) if field.name != "session"}
