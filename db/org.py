"""The org file: the administrative tree Loa serves, as data (one YAML file per map)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from db.models import UnitKind


class OrgFileError(ValueError):
    """The org file is malformed; the message says where."""


@dataclass(frozen=True, slots=True)
class OrgUnit:
    """One unit of the tree."""

    id: str
    name: str
    kind: UnitKind
    parent_id: str | None
    aliases: tuple[str, ...] = ()
    note: str = ""
    reporting: bool = False
    position: int = 0


@dataclass(frozen=True, slots=True)
class DissolvedUnit:
    """A unit that no longer exists and the units that took over its area or duties."""

    id: str
    name: str
    successors: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    ended: str = ""


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a typed unit name or id means on this map."""

    unit: OrgUnit | None
    candidates: tuple[OrgUnit, ...] = ()
    dissolved: DissolvedUnit | None = None


@dataclass(frozen=True)
class OrgMap:
    """A whole org file, validated."""

    name: str
    title: str
    units: tuple[OrgUnit, ...]
    dissolved: tuple[DissolvedUnit, ...] = ()
    _by_id: dict[str, OrgUnit] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_id.update({unit.id: unit for unit in self.units})

    def get(self, unit_id: str) -> OrgUnit | None:
        """The unit with this id on this map."""
        return self._by_id.get(unit_id)

    def children(self, unit_id: str | None) -> list[OrgUnit]:
        """Units directly under `unit_id` (None: the roots), in file order."""
        return [unit for unit in self.units if unit.parent_id == unit_id]

    def ancestors(self, unit_id: str) -> list[OrgUnit]:
        """The chain of parents of a unit, nearest first."""
        chain: list[OrgUnit] = []
        unit = self._by_id.get(unit_id)
        while unit is not None and unit.parent_id is not None:
            unit = self._by_id.get(unit.parent_id)
            if unit is not None:
                chain.append(unit)
        return chain

    def resolve(self, text: str) -> Resolution:
        """Match an id, name or alias (any case, with or without diacritics); old ones too."""
        key = name_key(text)
        for unit in self.units:
            if key in {name_key(unit.id), name_key(unit.name), *map(name_key, unit.aliases)}:
                return Resolution(unit)
        for gone in self.dissolved:
            if key in {name_key(gone.id), name_key(gone.name), *map(name_key, gone.aliases)}:
                successors = tuple(u for s in gone.successors if (u := self.get(s)) is not None)
                if len(successors) == 1:
                    return Resolution(successors[0], dissolved=gone)
                return Resolution(None, candidates=successors, dissolved=gone)
        return Resolution(None)


def name_key(text: str, *, keep_spaces: bool = False) -> str:
    """A name as compared: no case, no diacritics (đ → d), letters and digits only."""
    stripped = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in stripped if not unicodedata.combining(ch))
    if keep_spaces:
        return "".join(ch if ch.isalnum() else " " for ch in stripped.casefold())
    return "".join(ch for ch in stripped.casefold() if ch.isalnum())


def load_org(path: Path) -> OrgMap:
    """Read and validate an org file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise OrgFileError(f"{path}: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("units"), list):
        raise OrgFileError(f"{path}: expected a mapping with a 'units' list")
    units: list[OrgUnit] = []
    _walk(raw["units"], None, units, path)
    ids = [unit.id for unit in units]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise OrgFileError(f"{path}: duplicate unit ids {duplicates}")
    dissolved = tuple(_dissolved(entry, set(ids), path) for entry in raw.get("dissolved") or [])
    clash = set(ids) & {gone.id for gone in dissolved}
    if clash:
        raise OrgFileError(f"{path}: ids both current and dissolved: {sorted(clash)}")
    return OrgMap(
        name=str(raw.get("map") or path.stem),
        title=str(raw.get("title") or ""),
        units=tuple(units),
        dissolved=dissolved,
    )


def _walk(entries: list[Any], parent: str | None, out: list[OrgUnit], path: Path) -> None:
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("id") or not entry.get("name"):
            raise OrgFileError(f"{path}: every unit needs an id and a name (under {parent})")
        unit_id = str(entry["id"])
        try:
            kind = UnitKind(str(entry.get("kind", "")))
        except ValueError as exc:
            raise OrgFileError(f"{path}: unit {unit_id} has an unknown kind") from exc
        out.append(
            OrgUnit(
                id=unit_id,
                name=str(entry["name"]),
                kind=kind,
                parent_id=parent,
                aliases=tuple(str(a) for a in entry.get("aliases") or ()),
                note=str(entry.get("note") or ""),
                reporting=bool(entry.get("reporting", False)),
                position=position,
            )
        )
        _walk(entry.get("children") or [], unit_id, out, path)


def _dissolved(entry: Any, ids: set[str], path: Path) -> DissolvedUnit:
    if not isinstance(entry, dict) or not entry.get("id") or not entry.get("successors"):
        raise OrgFileError(f"{path}: a dissolved unit needs an id and successors")
    successors = tuple(str(s) for s in entry["successors"])
    unknown = [s for s in successors if s not in ids]
    if unknown:
        raise OrgFileError(f"{path}: {entry['id']} names unknown successors {unknown}")
    return DissolvedUnit(
        id=str(entry["id"]),
        name=str(entry.get("name") or entry["id"]),
        successors=successors,
        aliases=tuple(str(a) for a in entry.get("aliases") or ()),
        ended=str(entry.get("ended") or ""),
    )
