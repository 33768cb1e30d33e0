"""Broadcasts and polls over the real adapters, against the fake Telegram and Zalo servers."""

from __future__ import annotations

import asyncio
import collections
import signal
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.app import Loa
from bot.broadcasts.results import poll_results
from bot.broadcasts.service import Audience, Draft, create, figures
from bot.core.clock import FrozenClock
from bot.core.config import ROOT, Settings
from db.models import BroadcastKind, OutboxMessage, OutboxState, User
from db.repositories import Repos
from tests.fakes.runtime import LOA, channel_settings, eventually, loa_env, running
from tests.fakes.telegram import TOKEN as TG_TOKEN
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import TOKEN as ZALO_TOKEN
from tests.fakes.zalo import FakeZalo, hex_id

# Who lives where, as `users` takes them.
ADMIN = {"role": "admin", "unit_id": "ia-hdrai", "language": "vi"}
TOI_VI = {"unit_id": "ia-toi", "language": "vi"}  # a villager of Ia Tơi who reads Vietnamese
OPTED_OUT = {"unit_id": "ia-toi", "opted_out": True}  # asked for no announcements


# One commune's audience on either channel: five recipients (the opted-out one counted apart),
# two reached, one who blocked the bot and one already unreachable.
ONE_COMMUNE = {
    "recipients": 5,
    "sent": 2,
    "pending": 0,
    "failed": 0,
    "unreachable": 2,
    "skipped_opted_out": 1,
    "outside_window": 0,
}


async def users(loa: Loa, channel: str, spec: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Users of a channel (external id → fields); their database ids by external id."""
    now = loa.services.clock.now()
    ids: dict[str, int] = {}
    async with loa.db.session() as session:
        repos = Repos.of(session)
        for external, fields in spec.items():
            user = await repos.users.get_or_create(channel, external, display_name="", now=now)
            for key, value in fields.items():
                setattr(user, key, value)
            ids[external] = user.id
    return ids


async def send(loa: Loa, draft: Draft, author: str | None = None, channel: str = "") -> int:
    """Queue a broadcast the way the chat and the CLI do; its id."""
    async with loa.db.session() as session:
        repos = Repos.of(session)
        by = await repos.users.find(channel, author) if author else None
        broadcast = await create(
            repos,
            draft,
            author=by,
            settings=loa.settings,
            catalogs=loa.services.catalogs,
            org=loa.services.org,
            now=loa.services.clock.now(),
        )
    loa.services.queued.fire()
    return broadcast.id


async def figures_of(loa: Loa, broadcast_id: int) -> dict[str, int]:
    """The broadcast's figures as `loa broadcast status --json` prints them."""
    async with loa.db.session() as session:
        repos = Repos.of(session)
        broadcast = await repos.broadcasts.get(broadcast_id)
        assert broadcast is not None
        return (await figures(repos, broadcast)).as_json()


def announcement(text: str, audience: Audience) -> Draft:
    """An announcement in Vietnamese."""
    return Draft(kind=BroadcastKind.announcement, audience=audience, texts={"vi": text})


TOI = Audience("unit", "ia-toi")


async def test_a_telegram_broadcast_reaches_exactly_one_communes_people(
    settings: Settings, loa: Loa, tg: FakeTelegram
) -> None:
    await users(
        loa,
        "telegram",
        {
            "8000": ADMIN,
            "8001": TOI_VI,
            "8002": {"unit_id": "ia-toi", "language": "bdq"},
            "8003": OPTED_OUT,
            "8004": {"unit_id": "ia-toi"},  # blocked the bot since: 403 when it is sent
            "8005": {"unit_id": "ia-toi", "unreachable": True},
            "8006": {"unit_id": "ia-dal"},
            "8007": {},
        },
    )
    tg.blocked.add(8004)
    config = channel_settings(settings, telegram_token=TG_TOKEN, telegram_api_base=tg.url)
    async with running(config, loa):
        number = await send(loa, announcement("Họp dân <thôn 2> tối nay", TOI), "8000", "telegram")
        await tg.wait_for(lambda: tg.sent(8000))  # the author hears the final figures
    reached = {int(call.params["chat_id"]) for call in tg.sent() if call.method == "sendMessage"}
    assert reached == {8000, 8001, 8002}
    assert "Họp dân <thôn 2> tối nay" in tg.texts(8001)[0]  # escaped for HTML, shown as typed
    assert await figures_of(loa, number) == ONE_COMMUNE
    (report,) = tg.texts(8000)
    assert "đã gửi: 2" in report and "không liên lạc được: 2" in report
    async with loa.db.session() as session:
        blocked = await Repos.of(session).users.find("telegram", "8004")
        assert blocked is not None and blocked.unreachable


async def test_a_zalo_poll_is_answered_re_answered_and_closed(
    settings: Settings, loa: Loa, zl: FakeZalo, clock: FrozenClock
) -> None:
    officer, first, second, stopped, elsewhere = (hex_id() for _ in range(5))
    await users(
        loa,
        "zalo",
        {
            officer: {"role": "officer", "unit_id": "ia-toi", "language": "vi"},
            first: TOI_VI,
            second: {"unit_id": "ia-toi", "language": "jra"},
            stopped: OPTED_OUT,
            elsewhere: {"unit_id": "ia-dal"},
        },
    )
    closes = clock.now() + timedelta(days=1)
    poll = Draft(
        kind=BroadcastKind.poll,
        audience=Audience("all"),
        texts={"vi": "Bà con muốn họp lúc nào?", "jra": "(Gia Rai) Bà con muốn họp lúc nào?"},
        options=("Sáng", "Tối"),
        closes_at=closes,
        scope_unit_id="ia-toi",  # an officer's poll: their commune only
    )
    config = channel_settings(settings, zalo_token=ZALO_TOKEN, zalo_api_base=zl.url)
    async with running(config, loa) as runtime:
        number = await send(loa, poll, officer, "zalo")
        await zl.wait_sent(first, 1)
        await zl.wait_sent(second, 1)
        assert "1. Sáng\n2. Tối" in zl.last_text(first)
        assert "(Gia Rai)" in zl.last_text(second)
        assert zl.sent(stopped) == zl.sent(elsewhere) == []
        zl.text(first, zl.number(first, "Sáng"))
        await zl.wait_sent(first, 2)
        assert "Bạn đã chọn: Sáng" in zl.last_text(first)
        zl.text(first, zl.number(first, "Tối"))  # changes their mind
        await zl.wait_sent(first, 3)
        assert "đổi thành: Tối" in zl.last_text(first)
        zl.text(second, "2")
        await zl.wait_sent(second, 2)
        clock.advance(timedelta(days=1, minutes=1))  # closed
        zl.text(second, "1")
        await zl.wait_sent(second, 3)
        assert "đã đóng" in zl.last_text(second)
        assert runtime.scheduler is not None
        assert await runtime.scheduler.report_broadcasts() == 1
        await zl.wait_sent(officer, 2)  # the poll itself (they live there too), then results
    async with loa.db.session() as session:
        repos = Repos.of(session)
        stored = await repos.broadcasts.get(number)
        assert stored is not None
        results = (await poll_results(repos, stored, loa.services.org, "vi")).as_json()
        answers = sorted(a.option for a in await repos.broadcasts.answers(number))
    assert answers == [2, 2]
    assert results["options"] == [{"text": "Sáng", "count": 0}, {"text": "Tối", "count": 2}]
    assert results["by_unit"] == {"ia-toi": [0, 2]}
    assert results["by_language"] == {"jra": [0, 1], "vi": [0, 1]}
    assert "Tối — 2 (100%)" in zl.texts(officer)[1]


async def test_a_zalo_broadcast_reaches_exactly_one_communes_people(
    settings: Settings, loa: Loa, zl: FakeZalo
) -> None:
    admin, first, second, stopped, blocks, gone, elsewhere = (hex_id() for _ in range(7))
    await users(
        loa,
        "zalo",
        {
            admin: ADMIN,
            first: TOI_VI,
            second: {"unit_id": "ia-toi", "language": "sed"},
            stopped: OPTED_OUT,
            blocks: {"unit_id": "ia-toi"},
            gone: {"unit_id": "ia-toi", "unreachable": True},
            elsewhere: {"unit_id": "ia-dom"},
        },
    )
    zl.blocked.add(blocks)
    config = channel_settings(settings, zalo_token=ZALO_TOKEN, zalo_api_base=zl.url)
    async with running(config, loa):
        text = "Ngày mai phát giống lúa **tại nhà văn hóa**"
        number = await send(loa, announcement(text, TOI), admin, "zalo")
        await zl.wait_for(lambda: zl.sent(admin))
    reached = {call.params["chat_id"] for call in zl.sent() if call.method == "sendMessage"}
    assert reached == {admin, first, second}
    assert "Ngày mai phát giống lúa **tại nhà văn hóa**" in zl.texts(first)[0]
    assert await figures_of(loa, number) == ONE_COMMUNE
    assert "đã gửi: 2" in zl.last_text(admin)


async def test_a_telegram_poll_is_answered_with_its_buttons(
    settings: Settings, loa: Loa, tg: FakeTelegram, clock: FrozenClock
) -> None:
    await users(
        loa,
        "telegram",
        {
            "9000": ADMIN,
            "9001": TOI_VI,
        },
    )
    poll = Draft(
        kind=BroadcastKind.poll,
        audience=Audience("role", "villager"),
        texts={"vi": "Có nên họp vào Chủ nhật?"},
        options=("Có", "Không"),
        closes_at=clock.now() + timedelta(hours=5),
    )
    config = channel_settings(settings, telegram_token=TG_TOKEN, telegram_api_base=tg.url)
    async with running(config, loa) as runtime:
        number = await send(loa, poll, "9000", "telegram")
        await tg.wait_sent(9001, 1)
        assert [b["text"] for b in tg.keyboard(9001)] == ["1. Có", "2. Không"]
        tg.press(9001, tg.button(9001, "Không"))
        await tg.wait_sent(9001, 2)
        assert "Bạn đã chọn: Không" in tg.texts(9001)[-1]
        tg.press(9001, tg.button(9001, "Có"))  # the buttons under the thank-you change it
        await tg.wait_sent(9001, 3)
        assert "đổi thành: Có" in tg.texts(9001)[-1]
        clock.advance(timedelta(hours=6))
        assert runtime.scheduler is not None
        assert await runtime.scheduler.report_broadcasts() == 1
        await tg.wait_sent(9000, 2)  # the table, then the chart as a photo
    assert "Có — 1 (100%)" in tg.texts(9000)[0]
    assert tg.sent(9000)[1].method == "sendPhoto"
    async with loa.db.session() as session:
        answers = await Repos.of(session).broadcasts.answers(number)
    assert [(a.option, a.unit_id, a.language) for a in answers] == [(1, "ia-toi", "vi")]


# --- many recipients, rate limits and a killed sender ------------------------------------------


async def many(loa: Loa, count: int, first: int = 100_000) -> list[int]:
    """`count` Telegram villagers of Ia Tơi."""
    spec = {str(first + n): {"unit_id": "ia-toi"} for n in range(count)}
    await users(loa, "telegram", spec)
    return [first + n for n in range(count)]


def per_chat(tg: FakeTelegram) -> collections.Counter[int]:
    """Messages each chat received."""
    return collections.Counter(
        int(call.params["chat_id"]) for call in tg.sent() if call.method == "sendMessage"
    )


async def test_500_recipients_keep_the_rate_limit_and_get_it_once(
    settings: Settings, loa: Loa
) -> None:
    async with FakeTelegram(rate_cap=250) as tg:
        chats = await many(loa, 500)
        config = channel_settings(
            settings,
            telegram_token=TG_TOKEN,
            telegram_api_base=tg.url,
            telegram_rate_per_second=200.0,
            outbox_concurrency=20,
        )
        async with running(config, loa):
            await send(loa, announcement("Lịch tiêm chủng tháng 12", TOI))
            await tg.wait_for(lambda: len(per_chat(tg)) == 500, within=120)
        assert tg.flood_refusals == 0  # Loa never went over the platform's rate
        assert per_chat(tg) == dict.fromkeys(chats, 1)


async def test_a_villagers_reply_goes_before_the_rest_of_a_queued_broadcast(
    settings: Settings, loa: Loa
) -> None:
    async with FakeTelegram() as tg:
        await many(loa, 200)
        config = channel_settings(
            settings,
            telegram_token=TG_TOKEN,
            telegram_api_base=tg.url,
            telegram_rate_per_second=40.0,
        )
        async with running(config, loa):
            await send(loa, announcement("Tin dài", TOI))
            await tg.wait_for(lambda: len(per_chat(tg)) >= 10, within=30)
            tg.text(777, "/start")  # a villager writes while the broadcast is going out
            await tg.wait_sent(777, 1)
            await tg.wait_for(lambda: len(per_chat(tg)) == 201, within=60)
        order = [int(c.params["chat_id"]) for c in tg.sent() if c.method == "sendMessage"]
        # The reply went out while most of the broadcast was still waiting behind it.
        assert order.index(777) < len(order) - 100


async def test_a_sender_killed_midway_misses_nobody_and_repeats_only_what_was_in_flight(
    settings: Settings, loa: Loa
) -> None:
    async with FakeTelegram() as tg:
        chats = await many(loa, 200)
        await send(loa, announcement("Tin khẩn về mưa lũ", TOI))
        env = loa_env(
            settings,
            TELEGRAM_TOKEN=TG_TOKEN,
            TELEGRAM_API_BASE=tg.url,
            TELEGRAM_RATE_PER_SECOND="50",
            OUTBOX_LEASE_SECONDS="10",
            QUIET_START="00:00",  # never quiet: the run uses the real clock
            QUIET_END="00:00",
        )
        first = await asyncio.create_subprocess_exec(
            str(LOA), "run", env=env, cwd=ROOT, stderr=asyncio.subprocess.DEVNULL
        )
        try:
            await tg.wait_for(lambda: len(per_chat(tg)) >= 80, within=60)
        finally:
            first.send_signal(signal.SIGKILL)
            await first.wait()
        async with loa.db.session() as session:
            rows = (await session.execute(select(OutboxMessage))).scalars().all()
            in_flight = {row.user_id for row in rows if row.state == OutboxState.sending.value}
            ids = dict((await session.execute(select(User.id, User.external_id))).all())
        assert len(in_flight) <= loa.settings.outbox_concurrency
        second = await asyncio.create_subprocess_exec(
            str(LOA), "run", env=env, cwd=ROOT, stderr=asyncio.subprocess.DEVNULL
        )
        try:
            await tg.wait_for(lambda: set(per_chat(tg)) == set(chats), within=90)

            async def settled() -> bool:
                async with loa.db.session() as session:
                    states = (await session.execute(select(OutboxMessage.state))).scalars()
                    return all(state == OutboxState.sent.value for state in states)

            await eventually(settled, within=30)
        finally:
            second.send_signal(signal.SIGTERM)
            await second.wait()
        counts = per_chat(tg)
        repeated = {chat for chat, n in counts.items() if n > 1}
        assert all(n <= 2 for n in counts.values())
        assert repeated <= {int(ids[user]) for user in in_flight}
