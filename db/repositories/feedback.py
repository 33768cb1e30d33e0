"""Feedback on topic pages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Feedback


class FeedbackRepository:
    """Store and count "was this helpful?" answers."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self, *, user_id: int, topic_id: str, language: str, helpful: bool, now: datetime
    ) -> Feedback:
        """Record one answer."""
        row = Feedback(
            user_id=user_id, topic_id=topic_id, language=language, helpful=helpful, created_at=now
        )
        self.session.add(row)
        await self.session.flush()
        return row

    async def counts(self, topic_id: str) -> tuple[int, int]:
        """(helpful, not helpful) answers for a topic."""
        stmt = (
            select(Feedback.helpful, func.count())
            .where(Feedback.topic_id == topic_id)
            .group_by(Feedback.helpful)
        )
        totals = {bool(helpful): int(n) for helpful, n in (await self.session.execute(stmt)).all()}
        return totals.get(True, 0), totals.get(False, 0)
