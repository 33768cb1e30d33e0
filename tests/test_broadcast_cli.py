"""`loa broadcast create|status` and `loa polls create|results`, run as the operator runs them."""

from __future__ import annotations

import asyncio
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bot.app import Loa
from bot.delivery.outbox import from_payload
from db.models import Broadcast, OutboxMessage
from tests.fixtures.reporting import jpeg
from tests.test_broadcast import VILLAGERS, people
from tests.test_cli import run_loa


async def loa_cli(loa: Loa, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `loa …` on the test database, off the event loop."""
    env = {"DATABASE_URL": loa.settings.database_url, "MEDIA_DIR": str(loa.settings.media_dir)}
    return await asyncio.to_thread(run_loa, *args, env=env)


async def test_broadcast_create_with_translation_photo_and_quiet_hours(
    loa: Loa, tmp_path: Path
) -> None:
    ids = await people(loa, VILLAGERS)
    photo = jpeg(tmp_path / "hop.jpg")
    result = await loa_cli(
        loa,
        "broadcast", "create", "--audience", "unit:ia-toi",
        "--text", "Họp thôn tối thứ Bảy",
        "--text-bdq", "(Ba Na) Họp thôn",
        "--photo", str(photo),
        "--at", "2030-01-01T22:30",  # in the quiet hours: it waits for 07:00
        "--yes", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    assert set(created) == {"id", "recipients"} and created["recipients"] == 4
    async with loa.db.session() as session:
        broadcast = (await session.execute(select(Broadcast))).scalar_one()
        queued = (await session.execute(select(OutboxMessage))).scalars().all()
    assert broadcast.send_at == datetime(2030, 1, 2, 0, 0, tzinfo=UTC)  # 07:00 in Vietnam
    by_user = {row.user_id: from_payload(row.payload)[0] for row in queued}
    assert set(by_user) == {ids["toi-1"].id, ids["toi-2"].id}
    assert "(Ba Na) Họp thôn" in by_user[ids["toi-2"].id].text
    assert "Họp thôn tối thứ Bảy" in by_user[ids["toi-1"].id].text
    attachment = by_user[ids["toi-1"].id].attachment
    assert attachment is not None and attachment.path.read_bytes() == photo.read_bytes()

    status = await loa_cli(loa, "broadcast", "status", str(created["id"]), "--json")
    assert json.loads(status.stdout) == {
        "id": created["id"],
        "kind": "announcement",
        "recipients": 4,
        "sent": 0,
        "pending": 2,
        "failed": 0,
        "unreachable": 1,
        "skipped_opted_out": 1,
        "outside_window": 0,
    }


async def test_operators_mistakes_are_named(loa: Loa) -> None:
    for args, message in (
        (["--audience", "all", "--text", "x", "--text-fr", "y"], "--text-fr"),
        (["--audience", "village:x", "--text", "x"], "expected all, unit:ID"),
        (["--audience", "unit:nowhere", "--text", "x"], "unknown unit 'nowhere'"),
        (["--audience", "all", "--text", "x", "--at", "2020-01-01T08:00"], "in the past"),
    ):
        result = await loa_cli(loa, "broadcast", "create", *args, "--yes")
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)
    result = await loa_cli(
        loa, "polls", "create", "--audience", "all", "--question", "Q?", "--option", "A",
        "--closes", "2030-01-01T17:00", "--yes",
    )  # fmt: skip
    assert result.returncode == 2 and "2 to 6 options" in result.stderr
    result = await loa_cli(loa, "polls", "results", "999999", "--json")
    assert result.returncode == 2 and "no poll #999999" in result.stderr


async def test_polls_create_and_results(loa: Loa) -> None:
    await people(loa, {"jra-1": {"language": "jra"}, "vi-1": {"language": "vi"}})
    result = await loa_cli(
        loa,
        "polls", "create", "--audience", "language:jra",
        "--question", "Bà con có nước sạch chưa?", "--text-jra", "(Gia Rai) nước sạch?",
        "--option", "Có", "--option", "Chưa", "--option", "Một phần",
        "--closes", "2030-01-10T17:00", "--yes", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    assert set(created) == {"id", "recipients"} and created["recipients"] == 1
    shown = await loa_cli(loa, "polls", "results", str(created["id"]), "--json")
    results = json.loads(shown.stdout)
    assert results == {
        "question": "Bà con có nước sạch chưa?",
        "options": [
            {"text": "Có", "count": 0},
            {"text": "Chưa", "count": 0},
            {"text": "Một phần", "count": 0},
        ],
        "by_unit": {},
        "by_language": {},
        "total": 0,
    }
