"""Feedback on topic pages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from db.models import Feedback
from db.repositories.base import Repository


class FeedbackRepository(Repository):
    """Store and count "was this helpful?" answers."""

    async def add(
        self, *, user_id: int, topic_id: str, language: str, helpful: bool, now: datetime
    ) -> Feedback:
        """Record one answer."""
        row = Feedback(
            user_id=user_id, topic_id=topic_id, language=language, helpful=helpful, created_at=now
        )
        return await self._store(row)

    async def counts(self, topic_id: str) -> tuple[int, int]:
        """(helpful, not helpful) answers for a topic."""
        stmt = (
            select(Feedback.helpful, func.count())
            .where(Feedback.topic_id == topic_id)
            .group_by(Feedback.helpful)
        )
        totals = {bool(helpful): int(n) for helpful, n in (await self.session.execute(stmt)).all()}
        return totals.get(True, 0), totals.get(False, 0)
