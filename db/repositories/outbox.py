"""The outbox: proactive messages as rows, planned idempotently and claimed with row locks."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import OutboxMessage, OutboxState


class OutboxRepository:
    """Enqueue, claim and settle outbox rows."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def enqueue(
        self,
        *,
        key: str,
        user_id: int,
        kind: str,
        payload: dict[str, Any],
        due_at: datetime,
        urgent: bool,
        now: datetime,
        lane: int = 0,
    ) -> bool:
        """Add a message unless one with the same key exists; True when added.

        `lane` 0 is interactive, 1 bulk (bot/delivery/outbox.py: Lane).
        """
        dialect = self.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = (
            insert(OutboxMessage)
            .values(
                dedupe_key=key,
                user_id=user_id,
                kind=kind,
                payload=payload,
                urgent=urgent,
                lane=lane,
                due_at=due_at,
                state=OutboxState.pending.value,
                attempts=0,
                possible_duplicate=False,
                last_error="",
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
        result = await self.session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def recover(self, *, stale_before: datetime) -> int:
        """Requeue rows whose sender vanished mid-send; they may have gone out already."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.state == OutboxState.sending.value,
                OutboxMessage.claimed_at < stale_before,
            )
            .values(
                state=OutboxState.pending.value,
                possible_duplicate=True,
                claimed_at=None,
                claimed_by=None,
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def claim(
        self, *, now: datetime, limit: int, worker: str, quiet: bool, lock: bool
    ) -> list[OutboxMessage]:
        """Take up to `limit` due rows for this worker (only urgent ones during quiet hours),
        the interactive lane first.

        With `lock` (PostgreSQL), `FOR UPDATE SKIP LOCKED` lets any number of workers claim
        concurrently without taking the same row twice.
        """
        due = and_(OutboxMessage.state == OutboxState.pending.value, OutboxMessage.due_at <= now)
        if quiet:
            due = and_(due, OutboxMessage.urgent.is_(True))
        stmt = (
            select(OutboxMessage)
            .where(due)
            .order_by(OutboxMessage.lane, OutboxMessage.due_at, OutboxMessage.id)
        )
        stmt = stmt.limit(limit)
        if lock:
            stmt = stmt.with_for_update(skip_locked=True)
        rows = list((await self.session.execute(stmt)).scalars())
        for row in rows:
            row.state = OutboxState.sending.value
            row.claimed_at = now
            row.claimed_by = worker
            row.attempts += 1
        await self.session.flush()
        return rows

    async def settle(
        self,
        message_id: int,
        *,
        state: OutboxState,
        now: datetime,
        error: str = "",
        retry_at: datetime | None = None,
    ) -> None:
        """Record how a send ended; `retry_at` puts it back in the queue for later."""
        values: dict[str, Any] = {
            "last_error": error[:2000],
            "claimed_at": None,
            "claimed_by": None,
        }
        if retry_at is not None:
            values.update(state=OutboxState.pending.value, due_at=retry_at)
        else:
            values["state"] = state.value
            if state is OutboxState.sent:
                values["sent_at"] = now
        await self.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values)
        )

    async def existing(self, keys: Collection[str]) -> set[str]:
        """Which of these dedupe keys are already in the outbox (in any state)."""
        found: set[str] = set()
        ordered = sorted(keys)
        for start in range(0, len(ordered), 500):  # keep IN lists of a sane size
            chunk = ordered[start : start + 500]
            stmt = select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(chunk))
            found.update((await self.session.execute(stmt)).scalars())
        return found

    async def cancel_pending(self, key_prefix: str, *, reason: str) -> int:
        """Withdraw messages not yet sent whose dedupe key starts with `key_prefix`."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.state == OutboxState.pending.value, _keyed(key_prefix))
            .values(state=OutboxState.cancelled.value, last_error=reason[:2000])
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def delete_keyed(self, key_prefix: str) -> int:
        """Delete messages (sent or not) whose dedupe key starts with `key_prefix`: their text
        quotes someone who asked to be forgotten."""
        result = await self.session.execute(delete(OutboxMessage).where(_keyed(key_prefix)))
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def delete_pending(self, key_prefix: str) -> int:
        """Forget messages not yet sent whose key starts with `key_prefix`, so the same keys can
        be planned again with new content (a changed deadline's reminders)."""
        result = await self.session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.state == OutboxState.pending.value, _keyed(key_prefix)
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def sent_keys(self, key_prefix: str, kinds: Collection[str]) -> list[str]:
        """The dedupe keys of messages of `kinds` sent whose key starts with `key_prefix`."""
        stmt = select(OutboxMessage.dedupe_key).where(
            OutboxMessage.state == OutboxState.sent.value,
            OutboxMessage.kind.in_(list(kinds)),
            _keyed(key_prefix),
        )
        return list((await self.session.execute(stmt)).scalars())

    async def for_user(self, user_id: int) -> list[OutboxMessage]:
        """Every message for one user, oldest first."""
        stmt = (
            select(OutboxMessage)
            .where(OutboxMessage.user_id == user_id)
            .order_by(OutboxMessage.id)
        )
        return list((await self.session.execute(stmt)).scalars())


def _keyed(key_prefix: str) -> ColumnElement[bool]:
    """Rows whose dedupe key starts with `key_prefix` (LIKE wildcards in it escaped)."""
    pattern = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return OutboxMessage.dedupe_key.like(pattern + "%", escape="\\")
