"""Deadlines changed and cancelled (chat and CLI), and the digest of submissions to overseers."""

from __future__ import annotations

import asyncio
import json
import subprocess

from sqlalchemy import select

from bot.app import Loa
from bot.core.clock import FrozenClock
from bot.scheduler import Scheduler
from db.models import Deadline, OutboxState, Role
from tests.helpers import Chat, RecordingSender
from tests.test_cli import run_loa
from tests.test_planner import Season, local, person, rows, worker


async def _submit(loa: Loa, name: str) -> None:
    officer = Chat(loa.engine, user=name)
    await officer.script("/submit", "[Báo cáo 6 tháng]", "[không kèm tệp]", "[Xác nhận]")
    assert "Đã ghi nhận" in officer.text, officer.text


async def test_many_submissions_make_one_digest_for_each_overseer(
    loa: Loa, clock: FrozenClock
) -> None:
    await person(loa, "admin", Role.admin, "phong-ldtbxh")
    await person(loa, "district", Role.officer, "ia-hdrai")  # above the communes
    for name, unit in (("toi", "ia-toi"), ("dal", "ia-dal"), ("dom", "ia-dom")):
        await person(loa, name, Role.officer, unit)
    clock.set(local(5, 10))
    for name in ("toi", "dal"):
        await _submit(loa, name)
    sender = RecordingSender()
    scheduler = Scheduler(loa, worker(loa, sender, clock))
    assert await scheduler.announce_submissions() == 2  # the district officer and the admin
    await scheduler.worker.flush()
    for name in ("admin", "district"):
        (digest,) = sender.texts(name)
        assert "Báo cáo đã nộp" in digest
        assert "Xã Ia Tơi: Báo cáo 6 tháng" in digest and "Xã Ia Đal: Báo cáo 6 tháng" in digest
    assert sender.texts("toi") == sender.texts("dom") == []
    assert await scheduler.announce_submissions() == 0  # told once
    await _submit(loa, "dom")
    assert await scheduler.announce_submissions() == 2
    await scheduler.worker.flush()
    assert "Xã Ia Dom" in sender.texts("admin")[-1] and "Ia Tơi" not in sender.texts("admin")[-1]


async def test_a_changed_deadline_replaces_its_reminders_and_tells_the_officers(
    loa: Loa, clock: FrozenClock
) -> None:
    await person(loa, "admin", Role.admin, "phong-ldtbxh")
    await person(loa, "dom", Role.officer, "ia-dom")
    season = Season(loa, clock)
    clock.set(local(6))
    await season.planner.run()  # "3 days left" queued, not sent yet
    admin = Chat(loa.engine, user="admin")
    await admin.script("/status", "[Sửa hoặc hủy một hạn]", "[Báo cáo 6 tháng]", "[Đổi hạn nộp]")
    await admin.send("31/12/2026")
    assert "ít nhất hai ngày" in admin.text  # in the past: asked again
    await admin.send("20/06/2027")
    assert "Đã đổi" in admin.text and "20/06/2027" in admin.text
    assert "Số cán bộ được báo: 2" in admin.text  # dom, and the admin (their unit owes it too)
    await worker(loa, season.sender, clock).flush()
    (notice,) = season.sender.texts("dom")
    assert "Hạn báo cáo đã thay đổi" in notice and "chậm nhất ngày 19/06/2027" in notice
    # The withdrawn "3 days left" is not sent; the planner follows the new date.
    assert await season.at(local(6, 8, 5)) == []
    assert await season.at(local(12)) == [("admin", "before-7d"), ("dom", "before-7d")]
    assert "Ngày cuối cùng là 19/06/2027, còn 7 ngày" in season.sender.texts("dom")[-1]


async def test_loa_deadlines_edit_and_cancel(loa: Loa, clock: FrozenClock) -> None:
    await person(loa, "dom", Role.officer, "ia-dom")
    season = Season(loa, clock)
    clock.set(local(6))
    await season.planner.run()
    env = {"DATABASE_URL": loa.settings.database_url, "MEDIA_DIR": str(loa.settings.media_dir)}
    async with loa.db.session() as session:
        deadline_id = str((await session.execute(select(Deadline.id))).scalar_one())

    def loa_cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run_loa("deadlines", *args, env=env)

    result = await asyncio.to_thread(
        loa_cli, "edit", deadline_id, "--title", "Báo cáo 6 tháng (sửa)", "--json"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["title"] == "Báo cáo 6 tháng (sửa)" and data["reminders_withdrawn"] == 1
    result = await asyncio.to_thread(loa_cli, "cancel", deadline_id, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["cancelled"] is True
    result = await asyncio.to_thread(loa_cli, "cancel", deadline_id)
    assert result.returncode == 2 and "is cancelled" in result.stderr
    result = await asyncio.to_thread(loa_cli, "edit", "999", "--title", "x")
    assert result.returncode == 2 and "no deadline #999" in result.stderr
    listed = json.loads((await asyncio.to_thread(loa_cli, "list", "--json")).stdout)
    assert [row["state"] for row in listed if str(row["id"]) == deadline_id] == ["cancelled"]
    # Nothing more is planned for it; the officer was told of both changes.
    sent = await season.at(local(7))  # only the two notices: no reminder of any kind
    assert sorted(kind.split("-")[0] for _who, kind in sent) == ["cancelled", "changed"]
    notices = [r for r in await rows(loa) if r.kind == "deadline_notice"]
    assert len(notices) == 2 and all(r.state == OutboxState.sent for r in notices)
    assert "không cần nữa" in season.sender.texts("dom")[-1]
