"""Broadcasts and polls: the messages, who they reach, how their sending went, poll answers."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from db.models import Broadcast, OutboxMessage, OutboxState, PollAnswer, User
from db.repositories.base import Repository


def recipient_key(broadcast_id: int, user_id: int) -> str:
    """The outbox dedupe key of one recipient's copy: each person gets it once."""
    return f"bc:{broadcast_id}:{user_id}"


def key_prefix(broadcast_id: int) -> str:
    """The start of every recipient key of one broadcast."""
    return f"bc:{broadcast_id}:"


class BroadcastRepository(Repository):
    """Store broadcasts and polls, read their audiences, figures and answers."""

    async def add(self, broadcast: Broadcast) -> Broadcast:
        """Store a new broadcast (its id is set on return)."""
        return await self._store(broadcast)

    async def get(self, broadcast_id: int) -> Broadcast | None:
        """The broadcast or poll with this id."""
        return await self.session.get(Broadcast, broadcast_id)

    async def by_author(self, author_id: int, limit: int = 10) -> list[Broadcast]:
        """An author's latest broadcasts and polls, newest first."""
        return await self._latest(Broadcast, Broadcast.author_id == author_id, limit)

    async def audience(
        self,
        *,
        unit_ids: Collection[str] | None,
        language: str | None,
        role: str | None,
        default_language: str,
    ) -> list[User]:
        """Users matching every filter given (None: no filter), by id.

        A user who never chose a language reads the default one, so they match it.
        """
        conditions: list[Any] = []
        if unit_ids is not None:
            conditions.append(User.unit_id.in_(list(unit_ids)))
        if language is not None:
            if language == default_language:
                conditions.append(func.coalesce(User.language, default_language) == language)
            else:
                conditions.append(User.language == language)
        if role is not None:
            conditions.append(User.role == role)
        stmt = select(User).where(and_(True, *conditions)).order_by(User.id)
        return await self._rows(stmt)

    async def states(self, broadcast_id: int) -> dict[tuple[str, str], int]:
        """How many recipient copies are in each (outbox state, last error) pair."""
        prefix = key_prefix(broadcast_id)
        stmt = (
            select(OutboxMessage.state, OutboxMessage.last_error, func.count())
            .where(
                OutboxMessage.dedupe_key.like(prefix + "%"),
                OutboxMessage.kind.in_(("broadcast", "poll")),
            )
            .group_by(OutboxMessage.state, OutboxMessage.last_error)
        )
        found: dict[tuple[str, str], int] = {}
        for state, error, count in (await self.session.execute(stmt)).all():
            # Only one error text matters (opted out); the rest are grouped by state alone.
            key = (str(state), str(error) if state == OutboxState.cancelled.value else "")
            found[key] = found.get(key, 0) + int(count)
        return found

    async def unreported(self, now: datetime) -> list[Broadcast]:
        """Broadcasts whose author has not had the final figures or results, oldest first."""
        stmt = (
            select(Broadcast)
            .where(Broadcast.reported_at.is_(None), Broadcast.send_at <= now)
            .order_by(Broadcast.id)
        )
        return await self._rows(stmt)

    async def answer(
        self,
        *,
        broadcast_id: int,
        user_id: int,
        option: int,
        unit_id: str | None,
        language: str,
        now: datetime,
    ) -> bool:
        """Record a poll answer, replacing the person's earlier one; True when it is the first."""
        existing = await self.session.get(PollAnswer, (broadcast_id, user_id))
        if existing is not None:
            existing.option = option
            existing.unit_id = unit_id
            existing.language = language
            existing.answered_at = now
            return False
        dialect = self.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        values = {
            "broadcast_id": broadcast_id,
            "user_id": user_id,
            "option": option,
            "unit_id": unit_id,
            "language": language,
            "answered_at": now,
        }
        # Two taps arriving at once from two processes: the second one updates instead.
        stmt = (
            insert(PollAnswer)
            .values(**values)
            .on_conflict_do_update(
                index_elements=["broadcast_id", "user_id"],
                set_={k: v for k, v in values.items() if k not in ("broadcast_id", "user_id")},
            )
        )
        await self.session.execute(stmt)
        return True

    async def answer_of(self, broadcast_id: int, user_id: int) -> PollAnswer | None:
        """One person's current answer to a poll."""
        return await self.session.get(PollAnswer, (broadcast_id, user_id))

    async def answers(self, broadcast_id: int) -> list[PollAnswer]:
        """Every current answer to a poll."""
        stmt = select(PollAnswer).where(PollAnswer.broadcast_id == broadcast_id)
        return await self._rows(stmt)
