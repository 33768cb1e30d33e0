"""Users: who is talking, in which language, with which role."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from db.models import Role, User
from db.repositories.base import Repository


class UserRepository(Repository):
    """Find and create users by their channel identity."""

    async def get(self, user_id: int) -> User | None:
        """The user with this id, if any."""
        return await self.session.get(User, user_id)

    async def find(self, channel: str, external_id: str) -> User | None:
        """The user known to `channel` as `external_id`, if any."""
        stmt = select(User).where(User.channel == channel, User.external_id == external_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get_or_create(
        self, channel: str, external_id: str, *, display_name: str, now: datetime
    ) -> User:
        """Load the user, creating them on first contact; note when they were last seen."""
        user = await self.find(channel, external_id)
        if user is None:
            user = User(
                channel=channel,
                external_id=external_id,
                display_name=display_name[:128],
                created_at=now,
                last_seen_at=now,
            )
            return await self._store(user)
        user.last_seen_at = now
        if display_name and user.display_name != display_name[:128]:
            user.display_name = display_name[:128]
        if user.unreachable:
            # They wrote to us, so they can be reached again (e.g. they unblocked the bot).
            user.unreachable = False
        return user

    async def mark_unreachable(self, channel: str, external_id: str) -> bool:
        """Note that messages cannot reach this user (they blocked the bot); False if unknown."""
        stmt = (
            update(User)
            .where(User.channel == channel, User.external_id == external_id)
            .values(unreachable=True)
        )
        result = await self.session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def staff(self, limit: int = 50) -> list[User]:
        """Users holding a role above villager, by id."""
        stmt = select(User).where(User.role != Role.villager.value).order_by(User.id).limit(limit)
        return await self._rows(stmt)

    async def set_language(self, user: User, language: str) -> None:
        """Remember the user's language."""
        user.language = language
