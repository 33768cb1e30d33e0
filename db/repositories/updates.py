"""Processed updates: the idempotency record on (channel, update id)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from db.models import ProcessedUpdate
from db.repositories.base import Repository


class UpdateRepository(Repository):
    """Claim updates exactly once."""

    async def seen(self, channel: str, update_id: str) -> bool:
        """Whether this update was already handled (a cheap check before any work)."""
        stmt = select(
            exists().where(
                ProcessedUpdate.channel == channel, ProcessedUpdate.update_id == update_id
            )
        )
        return bool((await self.session.execute(stmt)).scalar())

    async def claim(
        self, channel: str, update_id: str, *, user_id: int | None, now: datetime
    ) -> bool:
        """Record the update as handled; False when another transaction already did.

        The insert is part of the caller's transaction, so a failed handler leaves no record.
        """
        dialect = self.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = (
            insert(ProcessedUpdate)
            .values(channel=channel, update_id=update_id, user_id=user_id, processed_at=now)
            .on_conflict_do_nothing(index_elements=["channel", "update_id"])
        )
        result = await self.session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def forget_before(self, cutoff: datetime) -> int:
        """Drop records older than `cutoff` (platforms redeliver within hours, not weeks)."""
        result = await self.session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
