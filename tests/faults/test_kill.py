"""SIGKILL in the middle of a report flow, of an outbox flush and of a database write: on restart
nothing confirmed is lost, and nothing is shown twice but the messages in flight at the kill
(counted, and at most one per message being sent)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import asyncpg
from sqlalchemy import select

from bot.app import Loa
from bot.core.chat import Reply
from bot.core.config import Settings
from bot.delivery.outbox import BULK_KINDS, Lane, to_payload
from db.models import OutboxState, Report, Role, User
from db.repositories import Repos
from tests.fakes.common import Call
from tests.fakes.runtime import eventually
from tests.fakes.telegram import TOKEN, FakeTelegram
from tests.faults.harness import arrived, loa_process, repeats, row_lock, shown
from tests.faults.postgres import PrivateCluster
from tests.fixtures.reporting import joined, jpeg, ref, send_photos
from tests.helpers import Chat, isolated_settings
from tests.test_outbox import _rows
from tests.test_report_flow import _to_photos

REPORTER, OFFICER = 5550101, 5550102
# `loa run` reads the real clock: no quiet hours holding messages back whenever the test runs.
NEVER_QUIET = {"QUIET_START": "00:00", "QUIET_END": "00:00"}


def on(tg: FakeTelegram, **extra: str) -> dict[str, str]:
    """The environment of a `loa run` polling the fake Telegram."""
    return {"TELEGRAM_TOKEN": TOKEN, "TELEGRAM_API_BASE": tg.url, **NEVER_QUIET, **extra}


def seen_as(call: Call) -> str:
    """What a message showed: its text or caption, and the digest of its file."""
    data = b"".join(call.files.values())
    digest = hashlib.sha256(data).hexdigest()[:12] if data else ""
    return f"{call.method}:{call.params.get('text') or call.params.get('caption') or ''}:{digest}"


def summaries(tg: FakeTelegram, chat_id: int) -> list[Call]:
    """The review notices' last part: the summary with the officer's buttons."""
    return [
        call
        for call in shown(tg, chat_id)
        if call.params.get("reply_markup") and "Báo cáo #" in str(call.params.get("text"))
    ]


async def on_telegram(loa: Loa, user_id: int, role: Role, unit: str) -> Chat:
    """A Telegram user who joined with an invite for `role` (through the engine)."""
    return await joined(loa, str(user_id), role, unit, channel="telegram")


async def queue_texts(
    loa: Loa, messages: Iterable[tuple[str, str | list[str]]], *, kind: str
) -> None:
    """Queue an outbox message for each (Telegram user id, its text or its parts' texts), in
    this order."""
    lane = Lane.bulk if kind in BULK_KINDS else Lane.interactive
    async with loa.db.session() as session:
        repos = Repos.of(session)
        now = loa.services.clock.now()
        for n, (chat_id, texts) in enumerate(messages):
            user = await repos.users.get_or_create(
                "telegram", chat_id, display_name=f"Người nhận {chat_id}", now=now
            )
            user.language = "vi"
            parts = [texts] if isinstance(texts, str) else texts
            payload = to_payload([Reply(text) for text in parts])
            await repos.outbox.enqueue(
                key=f"fault:{n}", user_id=user.id, kind=kind, payload=payload, due_at=now,
                urgent=False, now=now, lane=lane,
            )  # fmt: skip


async def report_ready(loa: Loa, tmp_path: Path, photos: int = 3) -> str:
    """An officer of Ia Tơi, and a reporter whose report with `photos` photos waits for the
    press on "send"; the button's data."""
    await on_telegram(loa, OFFICER, Role.officer, "ia-toi")
    reporter = await on_telegram(loa, REPORTER, Role.reporter, "ia-toi")
    await _to_photos(reporter)
    pictures = [
        ref(jpeg(tmp_path / f"field-{n}.jpg", color=(40 * n, 90, 60))) for n in range(photos)
    ]
    await send_photos(reporter, *pictures)
    await reporter.send("xong")
    await reporter.press("Bỏ qua")
    return reporter.choice("Gửi báo cáo")


async def test_killed_mid_notice_the_officer_gets_the_rest_at_once_and_no_part_twice(
    settings: Settings, loa: Loa, tmp_path: Path
) -> None:
    send = await report_ready(loa, tmp_path)
    async with FakeTelegram() as tg, loa_process(settings, **on(tg)) as run:
        release = tg.hold("sendPhoto", after=1)  # the notice's second photo stays in flight
        tg.press(REPORTER, send)
        await run.kill_when(
            lambda: (
                len(arrived(tg, "sendPhoto")) == 2
                and any("Đã gửi báo cáo" in text for text in tg.texts(REPORTER))
            ),
            fake=tg,
            release=release,
        )
        (notice,) = [row for row in await _rows(loa) if row.kind == "report_review"]
        assert (notice.state, notice.parts_sent) == (OutboxState.sending, 1)

        # Started again: no lease to wait for (it is five minutes); the test waits one.
        await run.start()
        await tg.wait_for(lambda: summaries(tg, OFFICER), within=90)
        assert await run.stop() == 0, run.log

    parts = [seen_as(call) for call in shown(tg, OFFICER)]
    officer_photos = [p for p in parts if p.startswith("sendPhoto")]
    assert len(set(officer_photos)) == 3  # every photo arrived
    # Only the photo in flight at the kill was shown twice; the first one was not sent again.
    assert repeats(parts) == {officer_photos[1]: 2}
    assert officer_photos[0] == parts[0] and parts.count(officer_photos[0]) == 1
    assert len(summaries(tg, OFFICER)) == 1  # the summary, with the buttons, once
    confirmations = [t for t in tg.texts(REPORTER) if "Đã gửi báo cáo" in t]
    assert len(confirmations) == 1  # the reporter's press was handled once, before the kill
    async with loa.db.session() as session:
        (report,) = (await session.execute(select(Report))).scalars().all()
    assert report.status == "submitted"
    (notice,) = [row for row in await _rows(loa) if row.kind == "report_review"]
    assert (notice.state, notice.possible_duplicate) == (OutboxState.sent, True)
    assert "taken back" in run.log or "queued again" in run.log


async def test_killed_mid_flush_each_message_arrives_once_but_those_in_flight(
    settings: Settings, loa: Loa
) -> None:
    recipients = [5551000 + n for n in range(24)]
    texts = [(str(chat), f"Tin số {n}") for n, chat in enumerate(recipients)]
    await queue_texts(loa, texts, kind="broadcast")
    concurrency = 4
    async with (
        FakeTelegram() as tg,
        loa_process(settings, **on(tg, OUTBOX_CONCURRENCY=str(concurrency))) as run,
    ):
        release = tg.hold("sendMessage", after=9)  # the tenth stays in flight
        await run.kill_when(
            lambda: len(arrived(tg, "sendMessage")) >= 10, fake=tg, release=release
        )
        in_flight = [row for row in await _rows(loa) if row.state == OutboxState.sending]
        assert 1 <= len(in_flight) <= concurrency
        await run.start()
        await tg.wait_for(
            lambda: {int(c.params["chat_id"]) for c in tg.sent()} == set(recipients), 60
        )

        async def settled() -> bool:
            return all(row.state == OutboxState.sent for row in await _rows(loa))

        await eventually(settled, within=30)
        assert await run.stop() == 0, run.log
    per_chat = [str(call.params["chat_id"]) for call in tg.sent()]
    twice = repeats(per_chat)
    ids = await _external_ids(loa)
    flagged = {ids[row.user_id] for row in await _rows(loa) if row.possible_duplicate}
    # Shown twice: only messages in flight at the kill, each at most twice, and counted.
    assert set(twice) <= flagged and all(n == 2 for n in twice.values())
    assert len(flagged) == len(in_flight) <= concurrency


async def _external_ids(loa: Loa) -> dict[int, str]:
    async with loa.db.session() as session:
        return dict((await session.execute(select(User.id, User.external_id))).all())


async def test_killed_mid_write_the_message_is_handled_once_after_the_restart(
    cluster: PrivateCluster, private_database: str, tmp_path: Path
) -> None:
    settings = isolated_settings(cluster.url(private_database), tmp_path / "media")
    dsn = cluster.dsn(private_database)
    async with FakeTelegram() as tg, loa_process(settings, **on(tg)) as run:
        tg.text(REPORTER, "/start")
        await tg.wait_sent(REPORTER, 1, within=90)
        tg.press(REPORTER, tg.button(REPORTER, "Tiếng Việt"))
        await tg.wait_sent(REPORTER, 2)
        answered = len(tg.sent(REPORTER))
        where = "user_id = (SELECT id FROM users WHERE external_id = $1)"
        async with row_lock(dsn, "conversations", where, str(REPORTER)) as lock:
            update = tg.text(REPORTER, "/menu")
            await lock.wait_for_writer()  # its transaction wrote, then waits for the lock
            await run.kill()
        connection = await asyncpg.connect(dsn)
        try:
            recorded = await connection.fetchval(
                "SELECT count(*) FROM processed_updates WHERE update_id = $1",
                str(update["update_id"]),
            )
        finally:
            await connection.close()
        assert recorded == 0  # the half-done transaction left nothing
        assert len(tg.sent(REPORTER)) == answered  # and said nothing

        await run.start()
        await tg.wait_sent(REPORTER, answered + 1, within=90)
        assert await run.stop() == 0, run.log
    menus = [text for text in tg.texts(REPORTER)[answered:] if "Menu chính" in text]
    assert len(menus) == 1  # the redelivered /menu, answered once
