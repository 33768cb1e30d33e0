"""Conversation state: the step a user is on, its data, and the choices last shown."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from db.models import Conversation
from db.repositories.base import Repository


class ConversationRepository(Repository):
    """Load and save one conversation per user."""

    async def load(self, user_id: int, *, now: datetime, lock: bool = False) -> Conversation:
        """The user's conversation (created empty); `lock` holds its row until commit.

        On PostgreSQL the row lock serialises one user's updates across worker processes.
        """
        stmt = select(Conversation).where(Conversation.user_id == user_id)
        if lock:
            stmt = stmt.with_for_update()
        conversation = (await self.session.execute(stmt)).scalar_one_or_none()
        if conversation is None:
            conversation = Conversation(
                user_id=user_id, step=None, data={}, choices=[], updated_at=now
            )
            await self._store(conversation)
        return conversation
