"""Units: the org tree as stored, kept in step with the org file."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Unit
from db.org import OrgMap


def tree_order(units: Iterable[Unit]) -> list[Unit]:
    """Units parents first, siblings in file order (as the org file lists them)."""
    children: dict[str | None, list[Unit]] = {}
    by_id = {unit.id: unit for unit in units}
    for unit in by_id.values():
        parent = unit.parent_id if unit.parent_id in by_id else None
        children.setdefault(parent, []).append(unit)
    ordered: list[Unit] = []

    def walk(parent: str | None) -> None:
        for unit in sorted(children.get(parent, []), key=lambda u: (u.position, u.id)):
            ordered.append(unit)
            walk(unit.id)

    walk(None)
    return ordered


class UnitRepository:
    """Read units and synchronise them from an org file."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, unit_id: str) -> Unit | None:
        """The unit with this id (active or not)."""
        return await self.session.get(Unit, unit_id)

    async def active(self) -> list[Unit]:
        """Units of the current map, parents before children."""
        stmt = select(Unit).where(Unit.active.is_(True)).order_by(Unit.position, Unit.id)
        return list((await self.session.execute(stmt)).scalars())

    async def sync(self, org: OrgMap) -> None:
        """Upsert every unit of `org`; units no longer on the map stay, marked inactive.

        Units are never deleted: users, reports and submissions keep pointing at them.
        """
        await self.session.execute(update(Unit).values(active=False))
        # Parents first: the tree walk in load_org already yields them before children.
        for unit in org.units:
            row = await self.session.get(Unit, unit.id)
            if row is None:
                row = Unit(id=unit.id)
                self.session.add(row)
            row.name = unit.name
            row.kind = unit.kind.value
            row.parent_id = unit.parent_id
            row.aliases = list(unit.aliases)
            row.note = unit.note
            row.position = unit.position
            row.reporting = unit.reporting
            row.active = True
            await self.session.flush()
