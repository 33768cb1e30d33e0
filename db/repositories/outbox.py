"""The outbox: proactive messages as rows, planned idempotently and claimed with row locks."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from db.models import OutboxMessage, OutboxState
from db.models import OutboxWorker as WorkerRow


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

    async def recover(
        self,
        *,
        stale_before: datetime,
        worker: str | None = None,
        dead_before: datetime | None = None,
    ) -> int:
        """Requeue rows whose sender vanished mid-send; they may have gone out already.

        A row is dead when claimed before `stale_before` (the lease), or — given the `worker`
        asking — claimed by a worker that stopped, was last seen before `dead_before`, has no
        record (an older version's, or one long gone), or was an earlier start under the asking
        worker's name: the same process, restarted (on SQLite, one process on one host, that is
        every claim at start).
        """
        dead = OutboxMessage.claimed_at < stale_before
        if worker is not None:
            name = select(WorkerRow.name).where(WorkerRow.id == worker).scalar_subquery()
            gone = [WorkerRow.stopped_at.is_not(None), WorkerRow.name == name]
            if dead_before is not None:
                gone.append(WorkerRow.seen_at < dead_before)
            dead_workers = select(WorkerRow.id).where(WorkerRow.id != worker, or_(*gone))
            dead = or_(
                dead,
                OutboxMessage.claimed_by.is_(None),
                OutboxMessage.claimed_by.in_(dead_workers),
                OutboxMessage.claimed_by.not_in(select(WorkerRow.id)),
            )
        result = await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.state == OutboxState.sending.value, dead)
            .values(
                state=OutboxState.pending.value,
                possible_duplicate=True,
                claimed_at=None,
                claimed_by=None,
            )
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def beat(self, worker: str, *, name: str, now: datetime) -> WorkerRow | None:
        """Record that `worker` is alive; at its first beat, the last earlier start of the same
        name that was not stopped (seen recently, it may be a second process sharing the name)."""
        row = await self.session.get(WorkerRow, worker)
        if row is not None:
            row.seen_at = now
            return None
        self.session.add(WorkerRow(id=worker, name=name, started_at=now, seen_at=now))
        stmt = (
            select(WorkerRow)
            .where(WorkerRow.name == name, WorkerRow.id != worker, WorkerRow.stopped_at.is_(None))
            .order_by(WorkerRow.seen_at.desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalars().first()

    async def retire(self, worker: str, *, now: datetime) -> None:
        """`worker` stopped: whatever it still holds is free for the others at once."""
        await self.session.execute(
            update(WorkerRow).where(WorkerRow.id == worker).values(stopped_at=now)
        )

    async def forget_workers(self, *, seen_before: datetime) -> int:
        """Delete the records of workers gone for long (their claims fall back to the lease)."""
        result = await self.session.execute(
            delete(WorkerRow).where(WorkerRow.seen_at < seen_before)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def record_parts(self, message_id: int, parts_sent: int) -> None:
        """How many of a message's platform messages went out so far."""
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(parts_sent=parts_sent)
        )

    async def claim(
        self, *, now: datetime, limit: int, worker: str, quiet: bool, lock: bool
    ) -> list[OutboxMessage]:
        """Take up to `limit` due rows for this worker (only urgent ones during quiet hours),
        the interactive lane first, and of each recipient only the first in their line.

        A recipient's messages go out one at a time, in order (lane, due time, id): a row that
        is being sent, or waits to be retried, holds back the ones behind it. With `lock`
        (PostgreSQL), `FOR UPDATE SKIP LOCKED` lets any number of workers claim concurrently
        without taking the same row twice.
        """
        row, ahead = OutboxMessage, aliased(OutboxMessage)

        def sendable(message: Any) -> ColumnElement[bool]:  # the table or its alias
            due = and_(message.state == OutboxState.pending.value, message.due_at <= now)
            return and_(due, message.urgent.is_(True)) if quiet else due

        in_front = or_(
            ahead.lane < row.lane,
            and_(ahead.lane == row.lane, ahead.due_at < row.due_at),
            and_(ahead.lane == row.lane, ahead.due_at == row.due_at, ahead.id < row.id),
        )
        held_back = (
            select(ahead.id)
            .where(
                ahead.user_id == row.user_id,
                ahead.id != row.id,
                or_(
                    ahead.state == OutboxState.sending.value,
                    and_(sendable(ahead), in_front),
                ),
            )
            .exists()
        )
        retry_due = or_(row.retry_at.is_(None), row.retry_at <= now)
        stmt = (
            select(row)
            .where(sendable(row), retry_due, ~held_back)
            .order_by(row.lane, row.due_at, row.id)
        )
        stmt = stmt.limit(limit)
        if lock:
            stmt = stmt.with_for_update(skip_locked=True)
        claimed = list((await self.session.execute(stmt)).scalars())
        for message in claimed:
            message.state = OutboxState.sending.value
            message.claimed_at = now
            message.claimed_by = worker
            message.attempts += 1
        await self.session.flush()
        return claimed

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
            values.update(state=OutboxState.pending.value, retry_at=retry_at)
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
