"""Linked identities (`/link`): one-time codes, and joining one user's rows to another's."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from db.base import Base
from db.models import LinkCode, User
from db.repositories.base import Repository

# Pointers to users that are not history: the link itself, the codes that make links, and the
# conversation (the event that links is still writing to it; afterwards it is not read).
_NOT_HISTORY = {("users", "linked_to"), ("link_codes", "user_id"), ("conversations", "user_id")}


class LinkRepository(Repository):
    """Make, find and use link codes; move a user's history to the person they join."""

    async def add(self, code_hash: str, user_id: int, *, now: datetime, expires: datetime) -> None:
        """Store a new code (its hash) for `user_id`."""
        self.session.add(
            LinkCode(code_hash=code_hash, user_id=user_id, created_at=now, expires_at=expires)
        )
        await self.session.flush()

    async def find(self, code_hash: str, *, now: datetime) -> LinkCode | None:
        """The unused, unexpired code with this hash (nothing is written)."""
        found = (
            await self.session.execute(select(LinkCode).where(LinkCode.code_hash == code_hash))
        ).scalar_one_or_none()
        if found is None or found.used_at is not None or found.expires_at <= now:
            return None
        return found

    async def take(self, code: LinkCode, *, now: datetime) -> bool:
        """Use `code` (once: compare-and-swap); False when another event used it first."""
        result = await self.session.execute(
            update(LinkCode)
            .where(LinkCode.id == code.id, LinkCode.used_at.is_(None))
            .values(used_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def join(self, user: User, person: User) -> int:
        """Link `user` to `person` and move every row of `user`'s history to `person`.

        Each table pointing at users is updated in a savepoint; where `person` already has
        the one row a table allows (a conversation, a poll answer), `user`'s is dropped.
        Returns how many rows moved.
        """
        moved = 0
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                pointer = (table.name, column.name)
                if pointer in _NOT_HISTORY or not any(
                    fk.column.table.name == "users" for fk in column.foreign_keys
                ):
                    continue
                try:
                    async with self.session.begin_nested():
                        result = await self.session.execute(
                            update(table).where(column == user.id).values({column.name: person.id})
                        )
                        moved += int(result.rowcount)  # type: ignore[attr-defined]
                except IntegrityError:
                    await self.session.execute(delete(table).where(column == user.id))
        user.linked_to = person.id
        await self.session.flush()
        return moved
