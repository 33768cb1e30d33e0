"""What every repository shares: the session of the caller's transaction, and the few moves they
all make with it (store a row, fetch one under a lock, list a query's rows)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import Base

Row = TypeVar("Row", bound=Base)


class Repository:
    """One aggregate's reads and writes over a session it never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _insert(self) -> Any:
        """This dialect's INSERT (both have ON CONFLICT: PostgreSQL's and SQLite's)."""
        dialect = self.session.get_bind().dialect.name
        return pg_insert if dialect == "postgresql" else sqlite_insert

    async def _store(self, row: Row) -> Row:
        """Add `row` and flush, so its id and defaults are known."""
        self.session.add(row)
        await self.session.flush()
        return row

    async def _by_id(self, model: type[Row], key: Any, *, lock: bool = False) -> Row | None:
        """The row with this primary key; `lock` holds it (SELECT … FOR UPDATE, read afresh) until
        the transaction ends, so two people changing it at once take turns."""
        if not lock:
            return await self.session.get(model, key)
        stmt = (
            select(model)
            .where(model.id == key)  # type: ignore[attr-defined]
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    @staticmethod
    def _trail(
        status: str | None, to: StrEnum, actor_id: int | None, now: datetime
    ) -> dict[str, Any]:
        """What every status trail's row records: who moved it, from what, to what, when."""
        return {"actor_id": actor_id, "from_status": status, "to_status": to.value, "at": now}

    async def _latest(self, model: type[Row], where: Any, limit: int) -> list[Row]:
        """The `limit` newest rows of `model` (by id) that match `where`."""
        stmt = select(model).where(where).order_by(model.id.desc()).limit(limit)  # type: ignore[attr-defined]
        return await self._rows(stmt)

    async def _rows(self, stmt: Select[Row]) -> list[Row]:
        """Every row `stmt` selects."""
        return list((await self.session.execute(stmt)).scalars())
