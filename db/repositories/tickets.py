"""Tickets: villagers' questions to officers, their status trail, and what search missed."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import SearchMiss, Ticket, TicketEvent, TicketStatus


class TicketRepository:
    """Open, answer and close tickets; every status change writes a `TicketEvent`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open(
        self,
        *,
        asker_id: int,
        unit_id: str | None,
        language: str,
        anonymous: bool,
        text: str,
        now: datetime,
        media_kind: str | None = None,
        media_path: str | None = None,
        media_mime: str = "",
    ) -> Ticket:
        """Record a new question (status open) and the first line of its trail."""
        ticket = Ticket(
            asker_id=asker_id,
            unit_id=unit_id,
            language=language,
            anonymous=anonymous,
            text=text,
            media_kind=media_kind,
            media_path=media_path,
            media_mime=media_mime,
            status=TicketStatus.open.value,
            answer="",
            created_at=now,
        )
        self.session.add(ticket)
        await self.session.flush()
        self.session.add(
            TicketEvent(
                ticket_id=ticket.id,
                actor_id=asker_id,
                from_status=None,
                to_status=TicketStatus.open.value,
                at=now,
            )
        )
        await self.session.flush()
        return ticket

    async def get(self, ticket_id: int, *, lock: bool = False) -> Ticket | None:
        """The ticket with this id; `lock` makes two officers answering at once take turns."""
        if not lock:
            return await self.session.get(Ticket, ticket_id)
        stmt = (
            select(Ticket)
            .where(Ticket.id == ticket_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def change_status(
        self, ticket: Ticket, to: TicketStatus, *, actor_id: int | None, now: datetime
    ) -> TicketEvent:
        """Move the ticket to `to`, noting who and when on the ticket and in its trail."""
        event = TicketEvent(
            ticket_id=ticket.id,
            actor_id=actor_id,
            from_status=ticket.status,
            to_status=to.value,
            at=now,
        )
        ticket.status = to.value
        if to is TicketStatus.answered:
            ticket.answered_by, ticket.answered_at = actor_id, now
        if to is TicketStatus.closed:
            ticket.closed_by, ticket.closed_at = actor_id, now
        self.session.add(event)
        await self.session.flush()
        return event

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
        return list((await self.session.execute(stmt)).scalars())

    async def count_since(self, asker_id: int, since: datetime) -> int:
        """How many questions this person sent since `since` (the flood limit)."""
        stmt = select(func.count()).where(Ticket.asker_id == asker_id, Ticket.created_at >= since)
        return int((await self.session.execute(stmt)).scalar_one())

    async def of_asker(self, asker_id: int) -> list[Ticket]:
        """Everything one person asked, oldest first."""
        stmt = select(Ticket).where(Ticket.asker_id == asker_id).order_by(Ticket.id)
        return list((await self.session.execute(stmt)).scalars())

    # --- what search could not answer ---------------------------------------------------------

    async def record_miss(
        self,
        *,
        user_id: int,
        text: str,
        unit_id: str | None,
        language: str,
        best_topic: str | None,
        score: float,
        now: datetime,
    ) -> SearchMiss:
        """Remember a question search was not confident about."""
        miss = SearchMiss(
            user_id=user_id,
            text=text,
            unit_id=unit_id,
            language=language,
            best_topic=best_topic,
            score=score,
            created_at=now,
        )
        self.session.add(miss)
        await self.session.flush()
        return miss

    async def miss(self, miss_id: int) -> SearchMiss | None:
        """One recorded miss."""
        return await self.session.get(SearchMiss, miss_id)

    async def misses(self) -> list[SearchMiss]:
        """Every recorded miss, oldest first."""
        stmt = select(SearchMiss).order_by(SearchMiss.id)
        return list((await self.session.execute(stmt)).scalars())

    async def misses_of(self, user_id: int) -> list[SearchMiss]:
        """One person's misses, oldest first."""
        stmt = select(SearchMiss).where(SearchMiss.user_id == user_id).order_by(SearchMiss.id)
        return list((await self.session.execute(stmt)).scalars())
