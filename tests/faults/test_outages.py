"""Outages around a running Loa: PostgreSQL restarted under load, the Bot API down for a while,
a full disk under MEDIA_DIR."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import subprocess
from collections.abc import AsyncIterator, Coroutine, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.app import Loa
from bot.core.clock import FrozenClock
from bot.core.config import Settings
from db.models import OutboxMessage, OutboxState, Report, ReportMedia, Role
from tests.channels.telegram import TelegramDriver
from tests.channels.telegram import polling as tg_polling
from tests.fakes.common import ApiError
from tests.fakes.runtime import eventually, jpeg, running
from tests.fakes.telegram import FakeTelegram
from tests.faults.postgres import PrivateCluster
from tests.faults.test_kill import on_telegram, queue_texts
from tests.helpers import isolated_settings
from tests.test_report_flow import _to_photos

USERS = (5552001, 5552002, 5552003)
MENU = "Menu chính"
# What a message that met the outage is answered (bot/engine.py, in Vietnamese).
NOT_TAKEN = "Loa chưa nhận được tin nhắn này"


# --- PostgreSQL restarted under load ------------------------------------------------------------


async def _health(http: aiohttp.ClientSession, url: str) -> int:
    async with http.get(url) as response:
        return response.status


async def test_postgres_restarted_under_load(
    cluster: PrivateCluster, private_database: str, tmp_path: Path, tg: FakeTelegram
) -> None:
    base = isolated_settings(cluster.url(private_database), tmp_path / "media")
    config = TelegramDriver(base, "webhook", tg).settings()
    assert config.webhook_listen is not None
    health = f"http://{config.webhook_listen}/healthz"
    tg.webhook_attempts = 60  # Telegram keeps redelivering an update that was not taken
    sent = dict.fromkeys(USERS, 0)
    async with running(config), aiohttp.ClientSession() as http:
        for user in USERS:
            tg.text(user, "/start")
            await tg.wait_sent(user, 1, within=30)
        await tg.wait_for(lambda: all(tg.sent(user) for user in USERS))
        answered = {user: len(tg.sent(user)) for user in USERS}
        assert await _health(http, health) == 200

        async def load(stop: asyncio.Event) -> None:
            while not stop.is_set():
                for user in USERS:
                    tg.text(user, "/menu")
                    sent[user] += 1
                await asyncio.sleep(0.2)

        stop = asyncio.Event()
        typing = asyncio.create_task(load(stop))
        await tg.wait_for(lambda: all(len(tg.sent(u)) > answered[u] for u in USERS), within=30)
        await asyncio.to_thread(cluster.stop)
        statuses = [await _health(http, health)]  # the outage, seen from outside
        await asyncio.sleep(1.0)  # users keep typing meanwhile
        statuses.append(await _health(http, health))
        await asyncio.to_thread(cluster.start)
        stop.set()
        await typing
        await eventually(lambda: _is_up(http, health), within=30)
        # Every message got an answer: the menu, or (while the database was away) a word that
        # it was not taken; none was answered twice.
        await tg.wait_for(
            lambda: all(_answers(tg, u, answered[u]).settled(sent[u]) for u in USERS), 90
        )
        before = {user: len(tg.sent(user)) for user in USERS}
        for user in USERS:  # and Loa works on: a new message gets its menu
            tg.text(user, "/menu")
            sent[user] += 1
        await tg.wait_for(lambda: all(len(tg.sent(u)) > before[u] for u in USERS), 30)
        assert all(MENU in tg.texts(user)[-1] for user in USERS)
    assert statuses == [503, 503]
    for user in USERS:
        seen = _answers(tg, user, answered[user])
        assert seen.menus <= sent[user]  # nothing handled twice
        assert seen.menus + seen.apologies >= sent[user]  # nothing dropped without a word
        assert seen.other == 0


async def _is_up(http: aiohttp.ClientSession, url: str) -> bool:
    with contextlib.suppress(aiohttp.ClientError):
        return await _health(http, url) == 200
    return False


class _Answers:
    """What one user was told after the first answers: menus, apologies, anything else."""

    def __init__(self, texts: list[str]) -> None:
        self.menus = sum(MENU in text for text in texts)
        self.apologies = sum(NOT_TAKEN in text for text in texts)
        self.other = len(texts) - self.menus - self.apologies

    def settled(self, sent: int) -> bool:
        """Every message sent has had its answer (a menu, or an apology never followed)."""
        return self.menus + self.apologies >= sent


def _answers(tg: FakeTelegram, user: int, skip: int) -> _Answers:
    return _Answers(tg.texts(user)[skip:])


# --- the Bot API down for a while ---------------------------------------------------------------


async def test_while_the_bot_api_is_down_messages_wait_and_catch_up_in_order(
    settings: Settings, loa: Loa, tg: FakeTelegram, clock: FrozenClock
) -> None:
    officer = await on_telegram(loa, USERS[0], Role.officer, "ia-toi")
    down = True
    first = ["Thông báo số 1, phần 1", "Thông báo số 1, phần 2"]  # one message of two parts

    def refuse(method: str) -> ApiError | None:
        # The API goes down just after the first part went out.
        if down and method in tg.send_methods and tg.sent(USERS[0]):
            return ApiError(502, "Bad Gateway")
        return None

    tg.refuse = refuse  # type: ignore[method-assign]
    later = [(officer.user, f"Thông báo số {n}") for n in range(2, 6)]
    await queue_texts(loa, [(officer.user, first), *later], kind="report_review")
    config = tg_polling(
        settings,
        tg,
        outbox_interval_seconds=0.2,
        outbox_retry_base_seconds=0.2,
        outbox_max_attempts=100,
        send_max_attempts=2,
    )

    async def time_passes() -> None:  # the outbox waits on Loa's clock, frozen in tests
        while True:
            await asyncio.sleep(0.05)
            clock.advance(timedelta(seconds=1))

    async with running(config, loa), _background(time_passes()):
        # Down for a while: the first message's second part is tried again and again, the
        # messages behind it wait.
        await tg.wait_for(lambda: len(tg.called("sendMessage")) >= 6, within=30)
        assert tg.texts(USERS[0]) == first[:1]
        down = False
        await tg.wait_for(lambda: len(tg.sent(USERS[0])) >= 6, within=30)

        async def settled() -> bool:
            async with loa.db.session() as session:
                rows = (await session.execute(select(OutboxMessage))).scalars().all()
            return all(row.state == OutboxState.sent for row in rows)

        await eventually(settled, within=10)
    refused = [call for call in tg.called("sendMessage") if call.status == 502]
    assert {call.params["text"] for call in refused} == {first[1]}
    # All in order, and the part that went out before the outage not again.
    assert tg.texts(USERS[0]) == [*first, *(text for _chat, text in later)]


@contextlib.asynccontextmanager
async def _background(job: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    task = asyncio.create_task(job)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# --- a full disk under MEDIA_DIR ----------------------------------------------------------------


@contextlib.contextmanager
def tiny_filesystem(path: Path, size_kib: int = 256) -> Iterator[bool]:
    """A tmpfs of `size_kib` mounted on `path` (root only); False when it cannot be mounted."""
    if os.geteuid() != 0:
        yield False
        return
    mounted = subprocess.run(  # noqa: S603
        ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0700", "tmpfs", str(path)],  # noqa: S607
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        yield False
        return
    try:
        yield True
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)  # noqa: S603, S607


def fill(path: Path, leave: int) -> None:
    """Fill the filesystem of `path`, leaving about `leave` bytes free."""
    stat = os.statvfs(path)
    free = stat.f_bavail * stat.f_frsize
    with (path / "filler").open("wb") as out:
        remaining = max(free - leave, 0)
        chunk = b"\0" * 65536
        while remaining > 0:
            try:
                out.write(chunk[: min(len(chunk), remaining)])
                out.flush()
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                break
            remaining -= min(len(chunk), remaining)


@pytest.fixture(params=["tmpfs", "/dev/full"])
def full_disk(
    request: pytest.FixtureRequest, tmp_media: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """MEDIA_DIR on a tiny filesystem, filled by the test (skipped where mounting is not
    allowed: not root, no CAP_SYS_ADMIN); and, everywhere, the files Loa writes under MEDIA_DIR
    opened on /dev/full, where every write fails with the kernel's own ENOSPC."""
    if request.param == "tmpfs":
        with tiny_filesystem(tmp_media) as mounted:
            if not mounted:
                pytest.skip("a tmpfs cannot be mounted here; the /dev/full variant runs")
            yield "tmpfs"
        return
    real_open = Path.open

    def open_full(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "w" in mode and self.is_relative_to(tmp_media.resolve()):
            return real_open(Path("/dev/full"), mode, *args, **kwargs)
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_full)
    yield "/dev/full"


async def test_a_photo_on_a_full_disk_is_refused_politely_and_the_draft_survives(
    full_disk: str, settings: Settings, loa: Loa, tg: FakeTelegram
) -> None:
    reporter = await on_telegram(loa, USERS[1], Role.reporter, "ia-toi")
    await _to_photos(reporter)
    if full_disk == "tmpfs":
        fill(settings.media_dir, leave=4096)
    async with running(tg_polling(settings, tg), loa):
        tg.photo(USERS[1], jpeg(1600, 1200, "orange"))
        await tg.wait_sent(USERS[1], 1, within=30)
        told = tg.texts(USERS[1])[-1]
    # Received, not kept: said so, in Vietnamese, with when to try again.
    assert "chưa lưu được ảnh" in told and "sau ít phút" in told, told
    async with loa.db.session() as session:
        (draft,) = (await session.execute(select(Report))).scalars().all()
        media = (await session.execute(select(ReportMedia))).scalars().all()
    assert draft.status == "draft" and media == []  # the draft survives, without the photo
    if full_disk == "tmpfs":
        (settings.media_dir / "filler").unlink()
        leftovers = [p for p in settings.media_dir.rglob("*") if p.is_file()]
        assert leftovers == []  # no half-written file stays behind
