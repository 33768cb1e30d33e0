"""Invites: one-time codes (stored as hashes) and the wrong-code record behind the rate limit."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict, Unpack

from sqlalchemy import func, select, update

from db.models import Invite, JoinFailure
from db.repositories.base import Repository


class NewInvite(TypedDict):
    """What an invite is made of: its code's hash, the role and unit it grants, who made it."""

    code_hash: str
    role: str
    unit_id: str
    created_by: int | None
    expires_at: datetime


class InviteRepository(Repository):
    """Store, find and redeem invites; count a user's wrong codes."""

    async def add(self, *, now: datetime, **invite: Unpack[NewInvite]) -> Invite:
        """Store a new invite by its code's hash."""
        return await self._store(Invite(**invite, created_at=now))

    async def find(self, code_hash: str) -> Invite | None:
        """The invite whose code hashes to `code_hash`, used or not."""
        stmt = select(Invite).where(Invite.code_hash == code_hash)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def redeem(self, invite_id: int, *, user_id: int, now: datetime) -> bool:
        """Mark the invite used by `user_id`; False if someone used it first.

        A conditional UPDATE, so two processes redeeming the same code cannot both win.
        """
        stmt = (
            update(Invite)
            .where(
                Invite.id == invite_id,
                Invite.used_at.is_(None),
                Invite.revoked_at.is_(None),
                Invite.expires_at > now,
            )
            .values(used_at=now, used_by=user_id)
            .execution_options(synchronize_session=False)
        )
        result = await self.session.execute(stmt)
        return bool(getattr(result, "rowcount", 0) == 1)

    async def get(self, invite_id: int) -> Invite | None:
        """The invite with this id, if any."""
        return await self.session.get(Invite, invite_id)

    async def listing(self, limit: int = 500) -> list[Invite]:
        """Invites, newest first."""
        stmt = select(Invite).order_by(Invite.id.desc()).limit(limit)
        return await self._rows(stmt)

    async def revoke(self, invite_id: int, now: datetime) -> bool:
        """Void an invite that was neither used nor revoked; False when there was none."""
        stmt = (
            update(Invite)
            .where(Invite.id == invite_id, Invite.used_at.is_(None), Invite.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        result = await self.session.execute(stmt)
        return bool(getattr(result, "rowcount", 0) == 1)

    async def revoke_unused_by(self, user_id: int, now: datetime) -> list[int]:
        """Void every invite `user_id` created that was neither used nor revoked; their ids."""
        stmt = select(Invite.id).where(
            Invite.created_by == user_id,
            Invite.used_at.is_(None),
            Invite.revoked_at.is_(None),
        )
        ids = list((await self.session.execute(stmt)).scalars())
        if ids:
            await self.session.execute(
                update(Invite)
                .where(Invite.id.in_(ids))
                .values(revoked_at=now)
                .execution_options(synchronize_session=False)
            )
        return ids

    async def record_failure(self, user_id: int, now: datetime) -> None:
        """Note a wrong code typed by `user_id`."""
        self.session.add(JoinFailure(user_id=user_id, at=now))
        await self.session.flush()

    async def failures_since(self, user_id: int, since: datetime) -> tuple[int, datetime | None]:
        """How many wrong codes `user_id` typed since `since`, and when the oldest of them was."""
        stmt = select(func.count(), func.min(JoinFailure.at)).where(
            JoinFailure.user_id == user_id, JoinFailure.at >= since
        )
        count, oldest = (await self.session.execute(stmt)).one()
        return int(count), oldest
