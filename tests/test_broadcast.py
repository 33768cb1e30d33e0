"""Broadcasts, polls and opt-out through the engine and the outbox (no channel)."""

from __future__ import annotations

from datetime import timedelta

from bot.app import Loa
from bot.broadcasts.results import poll_results
from bot.broadcasts.service import figures
from bot.core.clock import FrozenClock
from bot.delivery.outbox import Lane, OutboxWorker
from db.models import OutboxMessage, Role, User
from db.repositories import Repos
from tests.fixtures.reporting import joined
from tests.helpers import Chat, RecordingSender

CHANNEL = "test"


async def people(loa: Loa, spec: dict[str, dict[str, object]]) -> dict[str, User]:
    """Users on the test channel with these fields (unit_id, language, opted_out…)."""
    now = loa.services.clock.now()
    made: dict[str, User] = {}
    async with loa.db.session() as session:
        repos = Repos.of(session)
        for name, fields in spec.items():
            user = await repos.users.get_or_create(CHANNEL, name, display_name=name, now=now)
            for key, value in fields.items():
                setattr(user, key, value)
            made[name] = user
    return made


def worker(loa: Loa, sender: RecordingSender, clock: FrozenClock) -> OutboxWorker:
    """An outbox worker sending the test channel's messages to `sender`, which tells the
    authors of broadcasts after each flush (as the scheduler wires it)."""
    from bot.scheduler import Scheduler

    made = OutboxWorker(loa.db, {CHANNEL: sender}, loa.settings, clock)  # type: ignore[dict-item]
    Scheduler(loa, made)
    return made


async def latest(loa: Loa) -> int:
    """The id of the broadcast or poll made last (ids are not reset between tests)."""
    from sqlalchemy import func, select

    from db.models import Broadcast

    async with loa.db.session() as session:
        found = (await session.execute(select(func.max(Broadcast.id)))).scalar_one()
    assert found is not None
    return int(found)


async def rows(loa: Loa) -> list[OutboxMessage]:
    """Every outbox row."""
    async with loa.db.session() as session:
        from sqlalchemy import select

        return list(
            (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        )


VILLAGERS = {
    "toi-1": {"unit_id": "ia-toi", "language": "vi"},
    "toi-2": {"unit_id": "ia-toi", "language": "bdq"},
    "toi-stopped": {"unit_id": "ia-toi", "opted_out": True},
    "toi-blocked": {"unit_id": "ia-toi", "unreachable": True},
    "dal-1": {"unit_id": "ia-dal", "language": "vi"},
    "nowhere": {"language": "vi"},
}


async def compose_announcement(admin: Chat, text: str, commune: str) -> None:
    """An admin goes through the announcement screens up to the preview."""
    await admin.send("/broadcast")
    await admin.send(text)
    await admin.press("Bỏ qua")  # no photo
    await admin.press(commune)
    await admin.press("Tiếp tục")  # no translation
    await admin.press("Ngay bây giờ")


async def test_an_announcement_to_one_commune_reaches_exactly_its_people(
    loa: Loa, clock: FrozenClock
) -> None:
    admin = await joined(loa, "admin", Role.admin, "ia-hdrai")
    await people(loa, VILLAGERS)
    await compose_announcement(admin, "Họp thôn tối thứ Bảy <8 giờ> **ở nhà rông**", "Xã Ia Tơi")
    assert "Họp thôn tối thứ Bảy <8 giờ> **ở nhà rông**" in admin.text  # escaped, shown as typed
    assert "Gửi đến 2 người." in admin.text  # toi-1, toi-2
    assert "1 người đã xin không nhận thông báo, 1 người không liên lạc được" in admin.text
    await admin.press("Gửi")
    number = await latest(loa)
    assert f"#{number}" in admin.text

    sender = RecordingSender()
    await worker(loa, sender, clock).flush()
    assert sorted(chat for chat, _reply in sender.sent if chat != "admin") == ["toi-1", "toi-2"]
    # toi-2 reads Ba Na: no translation was given, so the Vietnamese text, with Loa's words
    assert all("/stop" in text for text in sender.texts("toi-1"))
    async with loa.db.session() as session:
        repos = Repos.of(session)
        broadcast = await repos.broadcasts.get(number)
        assert broadcast is not None
        numbers = (await figures(repos, broadcast)).as_json()
    assert numbers == {
        "recipients": 4,
        "sent": 2,
        "pending": 0,
        "failed": 0,
        "unreachable": 1,
        "skipped_opted_out": 1,
        "outside_window": 0,
    }
    # The author is told the final figures once everything has gone out.
    await worker(loa, sender, clock).flush()
    report = sender.texts("admin")
    assert len(report) == 1 and "đã gửi xong" in report[0] and "đã gửi: 2" in report[0]


async def test_stop_asks_first_then_withholds_announcements_but_not_answers(
    loa: Loa, clock: FrozenClock
) -> None:
    admin = await joined(loa, "admin", Role.admin, "ia-hdrai")
    await people(loa, {"toi-1": {"unit_id": "ia-toi", "language": "vi"}})
    villager = Chat(loa.engine, user="toi-1")
    await villager.then("dừng", "Ngừng nhận thông báo")
    await villager.then("[Không]", "vẫn nhận thông báo")
    await villager.send("hủy")  # the cancel words still cancel, and do not ask about /stop
    assert "Ngừng nhận" not in villager.text
    # An announcement queued before the /stop is withheld when its turn comes.
    await compose_announcement(admin, "Tin mới", "Xã Ia Tơi")
    await admin.press("Gửi")
    await villager.send("/stop")
    await villager.then("[Có]", "không gửi thông báo")
    sender = RecordingSender()
    await worker(loa, sender, clock).flush()
    assert sender.texts("toi-1") == []
    number = await latest(loa)  # before the session: SQLite writers queue, one at a time
    async with loa.db.session() as session:
        repos = Repos.of(session)
        broadcast = await repos.broadcasts.get(number)
        assert broadcast is not None
        numbers = await figures(repos, broadcast)
    assert (numbers.sent, numbers.skipped_opted_out, numbers.failed) == (0, 1, 0)
    # /start turns them on again.
    await villager.then("/start", "đã bật lại")
    async with loa.db.session() as session:
        user = await Repos.of(session).users.find(CHANNEL, "toi-1")
        assert user is not None and not user.opted_out


async def test_a_poll_is_answered_re_answered_and_closed(loa: Loa, clock: FrozenClock) -> None:
    officer = await joined(loa, "officer", Role.officer, "ia-toi")
    await people(loa, {k: v for k, v in VILLAGERS.items() if k != "toi-stopped"})
    await officer.script("/poll", "Bà con muốn họp vào buổi nào?", "Sáng", "Tối", "[Xong]")
    await officer.press("Sau 3 ngày")
    choices = [c.label for c in officer.choices]
    assert not any("Ia Đal" in label for label in choices)  # an officer's own communes only
    await officer.script("[Mọi người trong xã của tôi]", "[Tiếp tục]", "[Ngay bây giờ]")
    assert "1. Sáng\n2. Tối" in officer.text
    assert "Gửi đến 3 người." in officer.text  # toi-1, toi-2 and the officer; not dal-1
    await officer.press("Gửi")

    sender = RecordingSender()
    await worker(loa, sender, clock).flush()
    poll_message = next(reply for chat, reply in sender.sent if chat == "toi-1")
    assert [c.label for c in poll_message.choices] == ["Sáng", "Tối"]
    toi = Chat(loa.engine, user="toi-1")
    await toi.send("1")  # Zalo and console users type the number
    assert "Sáng" in toi.text
    await toi.send("2")  # a later answer replaces the earlier one
    assert "đổi thành: Tối" in toi.text
    toi2 = Chat(loa.engine, user="toi-2")
    toi2.last = [poll_message]
    await toi2.press("Sáng")
    dal = Chat(loa.engine, user="dal-1")  # not a recipient: the button does not count
    dal.last = [poll_message]
    await dal.then("[Sáng]", "hết hạn")

    clock.advance(timedelta(days=4))
    late = Chat(loa.engine, user="toi-1")
    late.last = [poll_message]
    await late.then("[Sáng]", "đã đóng")
    number = await latest(loa)  # before the session: SQLite writers queue, one at a time
    async with loa.db.session() as session:
        repos = Repos.of(session)
        poll = await repos.broadcasts.get(number)
        assert poll is not None
        results = (await poll_results(repos, poll, loa.services.org, "vi")).as_json()
        stored = {(a.user_id, a.option) for a in await repos.broadcasts.answers(poll.id)}
    assert results["options"] == [{"text": "Sáng", "count": 1}, {"text": "Tối", "count": 1}]
    assert results["by_unit"] == {"ia-toi": [1, 1]}
    assert results["by_language"] == {"bdq": [1, 0], "vi": [0, 1]}
    assert len(stored) == 2
    # The closing sends the author the table and the chart.
    from bot.scheduler import Scheduler

    scheduler = Scheduler(loa, worker(loa, sender, clock))
    assert await scheduler.report_broadcasts() == 1
    await scheduler.worker.flush()
    to_officer = [reply for chat, reply in sender.sent if chat == "officer"]
    assert "Sáng — 1 (50%)" in to_officer[-2].text and "Ia Tơi: 1 · 1" in to_officer[-2].text
    assert to_officer[-1].attachment is not None
    assert to_officer[-1].attachment.path.read_bytes()[:4] == b"\x89PNG"


async def test_interactive_messages_are_claimed_before_a_queued_broadcast(
    loa: Loa, clock: FrozenClock
) -> None:
    spec: dict[str, dict[str, object]] = {f"v{n}": {"unit_id": "ia-toi"} for n in range(30)}
    await people(loa, spec)
    admin = await joined(loa, "admin", Role.admin, "ia-hdrai")
    await compose_announcement(admin, "Tin dài", "Xã Ia Tơi")
    await admin.press("Gửi")
    now = clock.now()
    async with loa.db.session() as session:
        repos = Repos.of(session)
        user = await repos.users.find(CHANNEL, "v29")
        assert user is not None
        # An officer's answer queued after the broadcast (interactive lane).
        await repos.outbox.enqueue(
            key="answer:1",
            user_id=user.id,
            kind="ticket_answer",
            payload={"replies": [{"text": "Câu trả lời", "choices": []}]},
            due_at=now,
            urgent=False,
            now=now,
            lane=Lane.interactive,
        )
    sender = RecordingSender()
    await worker(loa, sender, clock).flush()
    texts = [text for text in sender.texts() if "Tin dài" in text or text == "Câu trả lời"]
    # Claimed in the first batch (whose sends run side by side), not after the 30 bulk rows.
    assert texts.index("Câu trả lời") < loa.settings.outbox_concurrency
    assert len(texts) == 31


async def test_the_shared_rate_limit_lets_an_interactive_send_pass_waiting_bulk_ones() -> None:
    import asyncio

    from bot.delivery.outbox import RateLimiter, sending_in

    limiter = RateLimiter(per_second=50, per_chat_interval=0)
    order: list[str] = []

    async def take(name: str, lane: Lane) -> None:
        with sending_in(lane):
            await limiter.acquire(name)
        order.append(name)

    bulk = [asyncio.create_task(take(f"bulk-{n}", Lane.bulk)) for n in range(5)]
    await asyncio.sleep(0)  # the first takes the free slot, the others wait for theirs
    reply = asyncio.create_task(take("reply", Lane.interactive))
    await asyncio.gather(*bulk, reply)
    assert order == ["bulk-0", "reply", "bulk-1", "bulk-2", "bulk-3", "bulk-4"]
