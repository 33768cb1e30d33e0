"""Tickets: villagers' questions to officers, their status trail, and what search missed."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import NotRequired, TypedDict, Unpack

from sqlalchemy import ColumnElement, func, or_, select

from db.models import SearchMiss, Ticket, TicketEvent, TicketStatus
from db.repositories.base import Repository


class Question(TypedDict):
    """A villager's question as asked: by whom, from where, in which language, with a file."""

    asker_id: int
    unit_id: str | None
    language: str
    anonymous: bool
    text: str
    media_kind: NotRequired[str | None]
    media_path: NotRequired[str | None]
    media_mime: NotRequired[str]


class Miss(TypedDict):
    """A question search was not sure of: the text, where and in which language, the best guess."""

    user_id: int
    text: str
    unit_id: str | None
    language: str
    best_topic: str | None
    score: float


class TicketRepository(Repository):
    """Open, answer and close tickets; every status change writes a `TicketEvent`."""

    async def open(self, *, now: datetime, **question: Unpack[Question]) -> Ticket:
        """Record a new question (status open) and the first line of its trail."""
        opened = TicketStatus.open.value
        ticket = await self._store(Ticket(**question, status=opened, answer="", created_at=now))
        trail = {"actor_id": ticket.asker_id, "from_status": None, "to_status": opened, "at": now}
        await self._store(TicketEvent(ticket_id=ticket.id, **trail))
        return ticket

    async def get(self, ticket_id: int, *, lock: bool = False) -> Ticket | None:
        """The ticket with this id; `lock` makes two officers answering at once take turns."""
        return await self._by_id(Ticket, ticket_id, lock=lock)

    async def change_status(
        self, ticket: Ticket, to: TicketStatus, *, actor_id: int | None, now: datetime
    ) -> TicketEvent:
        """Move the ticket to `to`, noting who and when on the ticket and in its trail."""
        event = TicketEvent(ticket_id=ticket.id, **self._trail(ticket.status, to, actor_id, now))
        ticket.status = to.value
        if to is TicketStatus.answered:
            ticket.answered_by, ticket.answered_at = actor_id, now
        if to is TicketStatus.closed:
            ticket.closed_by, ticket.closed_at = actor_id, now
        return await self._store(event)

    async def events(self, ticket_id: int) -> list[TicketEvent]:
        """The ticket's trail, oldest first."""
        stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
        return list((await self.session.execute(stmt.order_by(TicketEvent.id))).scalars())

    async def find(
        self,
        *,
        statuses: Collection[TicketStatus] | None = None,
        units: Collection[str] | None = None,
        include_unrouted: bool = True,
        created_before: datetime | None = None,
        limit: int | None = None,
    ) -> list[Ticket]:
        """Tickets matching the filters (None: any), oldest first.

        With `units`, tickets without a commune are included only when `include_unrouted`.
        """
        conditions: list[ColumnElement[bool]] = []
        if statuses is not None:
            conditions.append(Ticket.status.in_([s.value for s in statuses]))
        if units is not None:
            in_units = Ticket.unit_id.in_(list(units))
            conditions.append(
                or_(in_units, Ticket.unit_id.is_(None)) if include_unrouted else in_units
            )
        if created_before is not None:
            conditions.append(Ticket.created_at <= created_before)
        stmt = select(Ticket).where(*conditions).order_by(Ticket.id)
        if limit is not None:
            stmt = stmt.limit(limit)
        return await self._rows(stmt)

    async def count_since(self, asker_id: int, since: datetime) -> int:
        """How many questions this person sent since `since` (the flood limit)."""
        stmt = select(func.count()).where(Ticket.asker_id == asker_id, Ticket.created_at >= since)
        return int((await self.session.execute(stmt)).scalar_one())

    async def of_asker(self, asker_id: int) -> list[Ticket]:
        """Everything one person asked, oldest first."""
        stmt = select(Ticket).where(Ticket.asker_id == asker_id).order_by(Ticket.id)
        return await self._rows(stmt)

    # --- what search could not answer ---------------------------------------------------------

    async def record_miss(self, *, now: datetime, **miss: Unpack[Miss]) -> SearchMiss:
        """Remember a question search was not confident about."""
        return await self._store(SearchMiss(**miss, created_at=now))

    async def miss(self, miss_id: int) -> SearchMiss | None:
        """One recorded miss."""
        return await self.session.get(SearchMiss, miss_id)

    async def misses(self) -> list[SearchMiss]:
        """Every recorded miss, oldest first."""
        stmt = select(SearchMiss).order_by(SearchMiss.id)
        return await self._rows(stmt)

    async def misses_of(self, user_id: int) -> list[SearchMiss]:
        """One person's misses, oldest first."""
        stmt = select(SearchMiss).where(SearchMiss.user_id == user_id).order_by(SearchMiss.id)
        return await self._rows(stmt)
