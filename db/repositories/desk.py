"""The web desk's one-time sign-in links and sessions, kept as hashes of their secrets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update

from db.models import DeskLink, DeskSession, User
from db.repositories.base import Repository


class DeskRepository(Repository):
    """Issue and redeem sign-in links; open, find and end sessions."""

    async def add_link(
        self, token_hash: str, user_id: int, *, now: datetime, expires_at: datetime
    ) -> None:
        """Keep a new link (its hash) for `user_id` until `expires_at`."""
        await self._store(
            DeskLink(token_hash=token_hash, user_id=user_id, created_at=now, expires_at=expires_at)
        )

    async def usable_link(self, token_hash: str, now: datetime) -> int | None:
        """The user id of an unused, unexpired link (it stays unused)."""
        stmt = select(DeskLink.user_id).where(
            DeskLink.token_hash == token_hash,
            DeskLink.used_at.is_(None),
            DeskLink.expires_at > now,
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def redeem_link(self, token_hash: str, now: datetime) -> int | None:
        """Mark the link used and return its user id; None when unknown, used or expired.

        One conditional UPDATE: of two browsers opening the same link at once, one wins.
        """
        stmt = (
            update(DeskLink)
            .where(
                DeskLink.token_hash == token_hash,
                DeskLink.used_at.is_(None),
                DeskLink.expires_at > now,
            )
            .values(used_at=now)
            .returning(DeskLink.user_id)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def open_session(
        self, token_hash: str, user: User, *, now: datetime, expires_at: datetime
    ) -> None:
        """Keep a new session (its hash) for `user` in their current role."""
        await self._store(
            DeskSession(
                token_hash=token_hash,
                user_id=user.id,
                role=user.role,
                created_at=now,
                expires_at=expires_at,
            )
        )

    async def find_session(
        self, token_hash: str, now: datetime
    ) -> tuple[DeskSession, User] | None:
        """The unexpired session with this hash and its user."""
        stmt = (
            select(DeskSession, User)
            .join(User, User.id == DeskSession.user_id)
            .where(DeskSession.token_hash == token_hash, DeskSession.expires_at > now)
        )
        row = (await self.session.execute(stmt)).first()
        return (row[0], row[1]) if row is not None else None

    async def end_session(self, token_hash: str) -> None:
        """Sign one browser out."""
        await self.session.execute(delete(DeskSession).where(DeskSession.token_hash == token_hash))

    async def end_sessions_of(self, user_id: int) -> int:
        """Sign every browser of `user_id` out, and void their unused links; sessions ended."""
        await self.session.execute(
            delete(DeskLink).where(DeskLink.user_id == user_id, DeskLink.used_at.is_(None))
        )
        result = await self.session.execute(
            delete(DeskSession).where(DeskSession.user_id == user_id)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def sweep(self, now: datetime) -> int:
        """Delete expired sessions and links (housekeeping); how many rows went."""
        removed = 0
        for table in (DeskSession, DeskLink):
            result = await self.session.execute(delete(table).where(table.expires_at <= now))
            removed += int(getattr(result, "rowcount", 0) or 0)
        return removed
