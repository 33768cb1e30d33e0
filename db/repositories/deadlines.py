"""Deadlines, the units that owe them, submissions, and who answers for a unit."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from db.models import Deadline, DeadlineUnit, Role, Submission, User
from db.repositories.base import Repository

# Who answers for a unit's reports: its officers, and admins bound to it.
RESPONSIBLE_ROLES = (Role.officer.value, Role.admin.value)


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """A stored document attached to a submission."""

    path: str
    sha256: str
    mime: str
    size: int
    name: str


class DeadlineRepository(Repository):
    """Create and read deadlines; record submissions."""

    def _insert(self) -> Any:
        dialect = self.session.get_bind().dialect.name
        return pg_insert if dialect == "postgresql" else sqlite_insert

    async def materialise(
        self,
        *,
        key: str,
        rule_id: str | None,
        title: str,
        due_date: date,
        schedule: dict[str, Any],
        unit_ids: Sequence[str],
        created_by: int | None,
        now: datetime,
    ) -> Deadline:
        """The deadline with this key, created with its units unless it exists already.

        An INSERT that does nothing on a key conflict: two processes materialising the same
        occurrence at once end up with one row (the second waits for the first to commit).
        """
        insert = self._insert()
        stmt = (
            insert(Deadline)
            .values(
                key=key,
                rule_id=rule_id,
                title=title,
                due_date=due_date,
                schedule=schedule,
                created_by=created_by,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["key"])
        )
        created = bool((await self.session.execute(stmt)).rowcount)  # type: ignore[attr-defined]
        deadline = await self.by_key(key)
        if deadline is None:  # pragma: no cover  (inserted or found above)
            raise RuntimeError(f"deadline {key} vanished")
        if created and unit_ids:
            await self.session.execute(
                insert(DeadlineUnit)
                .values([{"deadline_id": deadline.id, "unit_id": u} for u in unit_ids])
                .on_conflict_do_nothing()
            )
        return deadline

    async def by_key(self, key: str) -> Deadline | None:
        """The deadline with this key."""
        stmt = select(Deadline).where(Deadline.key == key)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get(self, deadline_id: int) -> Deadline | None:
        """The deadline with this id."""
        return await self.session.get(Deadline, deadline_id)

    async def due_since(self, since: date) -> list[Deadline]:
        """Deadlines due on or after `since`, soonest first."""
        stmt = (
            select(Deadline)
            .where(Deadline.due_date >= since, Deadline.cancelled_at.is_(None))
            .order_by(Deadline.due_date, Deadline.id)
        )
        return await self._rows(stmt)

    async def all(self) -> list[Deadline]:
        """Every deadline, soonest first."""
        stmt = select(Deadline).order_by(Deadline.due_date, Deadline.id)
        return await self._rows(stmt)

    async def lock(self, deadline_ids: Collection[int]) -> None:
        """Lock these deadline rows until commit (PostgreSQL), always in id order.

        The planner and a submission take the same lock, so a reminder is never queued for a
        unit whose report came in while the planner was looking (see bot/deadlines.py).
        """
        if not deadline_ids:
            return
        stmt = (
            select(Deadline.id)
            .where(Deadline.id.in_(sorted(deadline_ids)))
            .order_by(Deadline.id)
            .with_for_update()
        )
        await self.session.execute(stmt)

    async def units_of(self, deadline_ids: Collection[int]) -> dict[int, list[str]]:
        """The units owing each deadline."""
        result: dict[int, list[str]] = {i: [] for i in deadline_ids}
        if not deadline_ids:
            return result
        stmt = select(DeadlineUnit).where(DeadlineUnit.deadline_id.in_(list(deadline_ids)))
        for row in (await self.session.execute(stmt)).scalars():
            result[row.deadline_id].append(row.unit_id)
        return result

    async def submissions_of(
        self, deadline_ids: Collection[int]
    ) -> dict[int, dict[str, Submission]]:
        """Each deadline's submissions by unit."""
        result: dict[int, dict[str, Submission]] = {i: {} for i in deadline_ids}
        if not deadline_ids:
            return result
        stmt = select(Submission).where(Submission.deadline_id.in_(list(deadline_ids)))
        for row in (await self.session.execute(stmt)).scalars():
            result[row.deadline_id][row.unit_id] = row
        return result

    async def submit(
        self,
        *,
        deadline_id: int,
        unit_id: str,
        submitted_by: int | None,
        via: str,
        note: str,
        document: DocumentInfo | None,
        now: datetime,
    ) -> bool:
        """Record the unit's submission; False when it was already recorded."""
        values: dict[str, Any] = {
            "deadline_id": deadline_id,
            "unit_id": unit_id,
            "submitted_by": submitted_by,
            "via": via,
            "note": note,
            "document_path": None,
            "document_sha256": None,
            "document_mime": "",
            "document_size": None,
            "document_name": "",
            "at": now,
        }
        if document is not None:
            values.update(
                document_path=document.path,
                document_sha256=document.sha256,
                document_mime=document.mime,
                document_size=document.size,
                document_name=document.name,
            )
        stmt = (
            self._insert()(Submission)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["deadline_id", "unit_id"])
        )
        return bool((await self.session.execute(stmt)).rowcount)  # type: ignore[attr-defined]

    async def responsible(self, unit_ids: Collection[str]) -> list[User]:
        """Officers (and admins) bound to these units, by id."""
        if not unit_ids:
            return []
        stmt = (
            select(User)
            .where(User.unit_id.in_(list(unit_ids)), User.role.in_(RESPONSIBLE_ROLES))
            .order_by(User.id)
        )
        return await self._rows(stmt)

    async def unannounced(self, *, lock: bool) -> list[Submission]:
        """Submissions the overseers have not been told about, oldest first.

        With `lock` (PostgreSQL), rows another planner is announcing are skipped, not repeated.
        """
        stmt = (
            select(Submission)
            .where(Submission.notified_at.is_(None))
            .order_by(Submission.at, Submission.id)
        )
        if lock:
            stmt = stmt.with_for_update(skip_locked=True)
        return await self._rows(stmt)

    async def admins(self) -> list[User]:
        """Every admin, by id."""
        stmt = select(User).where(User.role == Role.admin.value).order_by(User.id)
        return await self._rows(stmt)
