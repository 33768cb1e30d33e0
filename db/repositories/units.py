"""Units: the org tree as stored, kept in step with the org file."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update

from db.models import Unit, UnitKind, UnitSource
from db.org import OrgMap, name_key
from db.repositories.base import Repository


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


class UnitRepository(Repository):
    """Read units and synchronise them from an org file."""

    async def get(self, unit_id: str) -> Unit | None:
        """The unit with this id (active or not)."""
        return await self.session.get(Unit, unit_id)

    async def active(self) -> list[Unit]:
        """Units of the current map, parents before children."""
        stmt = select(Unit).where(Unit.active.is_(True)).order_by(Unit.position, Unit.id)
        return await self._rows(stmt)

    async def sync(self, org: OrgMap) -> None:
        """Upsert every unit of `org`; units no longer on the map stay, marked inactive.

        Units are never deleted: users, reports and submissions keep pointing at them.
        """
        # Villages officers added are not in the file: they stay as long as their commune does.
        await self.session.execute(
            update(Unit).where(Unit.source == UnitSource.file.value).values(active=False)
        )
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

    async def children(self, unit_id: str) -> list[Unit]:
        """Active units right under `unit_id`: the file's first, in file order, then added ones."""
        stmt = (
            select(Unit)
            .where(Unit.parent_id == unit_id, Unit.active.is_(True))
            .order_by(Unit.source.desc(), Unit.position, Unit.name)
        )
        return await self._rows(stmt)

    async def find_under(self, parents: list[str], text: str) -> Unit | None:
        """The active unit under one of `parents` whose name or alias is `text` (any case,
        with or without diacritics)."""
        key = name_key(text)
        if not key or not parents:
            return None
        stmt = select(Unit).where(Unit.parent_id.in_(parents), Unit.active.is_(True))
        for unit in (await self.session.execute(stmt)).scalars():
            if key in {name_key(unit.name), *map(name_key, unit.aliases or [])}:
                return unit
        return None

    @staticmethod
    def holds_villages(unit: Unit) -> bool:
        """Whether villages can be added under `unit`: an active commune."""
        return unit.active and unit.kind == UnitKind.commune.value

    async def add_village(self, parent: Unit, name: str) -> tuple[Unit, bool]:
        """Add a village under `parent` (a commune); the existing one if the name is taken.

        Whether it was added. Its id is derived from the commune and the name, so adding the
        same village twice, in chat and on the command line, makes one unit.
        """
        existing = await self.find_under([parent.id], name)
        if existing is not None:
            return existing, False
        base = f"{parent.id}-{slug(name)}"[:60]
        unit_id, n = base, 1
        while await self.session.get(Unit, unit_id) is not None:
            n += 1
            unit_id = f"{base}-{n}"
        unit = Unit(
            id=unit_id,
            name=name,
            kind=UnitKind.village.value,
            parent_id=parent.id,
            aliases=[],
            note="",
            position=10_000,  # after the file's units
            reporting=False,
            active=True,
            source=UnitSource.added.value,
        )
        self.session.add(unit)
        await self.session.flush()
        return unit, True


def slug(name: str) -> str:
    """A unit id part from a name: "Thôn Đắk Tân" → "thon-dak-tan"."""
    words = name_key(name, keep_spaces=True).split()
    return "-".join(words) or "village"
