"""The audit log of role and invite changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from db.models import AuditEntry
from db.repositories.base import Repository


class AuditRepository(Repository):
    """Append to the audit log and read it back."""

    async def record(
        self,
        *,
        action: str,
        subject: str,
        now: datetime,
        via: str,
        actor_id: int | None = None,
        detail: str = "",
    ) -> AuditEntry:
        """Write one entry (in the caller's transaction: it commits with the change)."""
        entry = AuditEntry(
            at=now, actor_id=actor_id, via=via, action=action, subject=subject, detail=detail
        )
        return await self._store(entry)

    async def recent(self, limit: int = 100) -> list[AuditEntry]:
        """The newest entries first."""
        stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        return await self._rows(stmt)
