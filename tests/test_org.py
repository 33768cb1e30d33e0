"""The org files: both maps load, old names resolve, switching maps keeps history."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import sync_units
from bot.core.config import ROOT
from db.models import Unit
from db.org import OrgFileError, load_org
from db.session import Database

MAP_2022 = ROOT / "db" / "org" / "ia-hdrai-2022.yaml"
MAP_2025 = ROOT / "db" / "org" / "ia-hdrai-2025.yaml"


def test_the_2022_map_has_the_district_its_communes_and_the_plans_bodies() -> None:
    org = load_org(MAP_2022)
    assert [u.id for u in org.children("ia-hdrai") if u.kind == "commune"] == [
        "ia-toi",
        "ia-dal",
        "ia-dom",
    ]
    names = {u.name for u in org.units}
    for body in (
        "Phòng Lao động - Thương binh và Xã hội",
        "Phòng Tài chính - Kế hoạch",
        "Phòng Giáo dục và Đào tạo",
        "Trung tâm Văn hóa - Thể thao - Du lịch và Truyền thông",
        "Ủy ban Mặt trận Tổ quốc Việt Nam huyện",
        "Hội Nông dân huyện",
        "Ngân hàng Chính sách xã hội huyện",
    ):
        assert body in names
    assert org.resolve("ia dal").unit is not None
    assert org.resolve("IA ĐAL").unit.id == "ia-dal"  # type: ignore[union-attr]
    assert org.resolve("Phòng LĐTBXH").unit.id == "phong-ldtbxh"  # type: ignore[union-attr]


def test_the_2025_map_accepts_old_names() -> None:
    org = load_org(MAP_2025)
    assert {u.id for u in org.units if u.kind == "commune"} == {"ia-toi", "ia-dal"}
    old_commune = org.resolve("xã Ia Dom")
    assert old_commune.unit is not None and old_commune.unit.id == "ia-toi"
    assert old_commune.dissolved is not None and old_commune.dissolved.id == "ia-dom"
    district = org.resolve("huyen Ia H'Drai")
    assert district.unit is None
    assert {u.id for u in district.candidates} == {"ia-toi", "ia-dal"}
    assert org.resolve("Gia Lai").unit is None
    assert [u.id for u in org.ancestors("ia-toi")] == ["quang-ngai"]


def test_a_broken_org_file_is_refused_with_its_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "units:\n  - {id: a, name: A, kind: commune}\n  - {id: a, name: B, kind: commune}\n"
    )
    with pytest.raises(OrgFileError, match="duplicate unit ids"):
        load_org(bad)
    bad.write_text("units:\n  - {id: a, name: A, kind: planet}\n")
    with pytest.raises(OrgFileError, match="unknown kind"):
        load_org(bad)
    bad.write_text("units: []\ndissolved:\n  - {id: z, successors: [nowhere]}\n")
    with pytest.raises(OrgFileError, match="unknown successors"):
        load_org(bad)


async def test_switching_maps_keeps_old_units_inactive(loa) -> None:  # type: ignore[no-untyped-def]
    db: Database = loa.db
    await sync_units(db, load_org(MAP_2025))
    async with db.session() as session:
        units = {u.id: u for u in (await session.execute(select(Unit))).scalars()}
    assert units["ia-toi"].active and units["ia-dal"].active and units["quang-ngai"].active
    assert not units["ia-dom"].active and not units["phong-ldtbxh"].active
    assert units["ia-toi"].parent_id == "quang-ngai"
    await sync_units(db, load_org(MAP_2022))
    async with db.session() as session:
        again = {u.id: u for u in (await session.execute(select(Unit))).scalars()}
    assert again["ia-dom"].active and again["ia-toi"].parent_id == "ia-hdrai"
    assert not again["quang-ngai"].active
