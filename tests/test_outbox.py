"""The outbox: notifications queued in the handler's transaction, sent once, safely."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.app import Loa
from bot.core.chat import Incoming, Reply, choice
from bot.core.clock import FrozenClock
from bot.core.i18n import _
from bot.delivery.outbox import Delivery, DeliveryStatus, OutboxWorker
from bot.engine import Context, Engine, Router
from db.models import OutboxMessage, OutboxState, User
from tests.helpers import Chat, RecordingSender, outbox_replies

CHANNEL = "test"


def _engine_with_pager(loa: Loa) -> Engine:
    """An engine with `/page NAME [urgent]`, which notifies another user (twice, same key)."""
    pager = Router("pager")

    @pager.command("page")
    async def page(event: Incoming, ctx: Context) -> Reply:
        name, *flags = event.args.split()
        target = await ctx.repos.users.find(event.channel, name)
        assert target is not None
        for _attempt in range(2):
            await ctx.notify(
                target,
                lambda: Reply(
                    _("That button is out of date. Here is the main menu."),
                    choices=(choice("menu", label=_("🏠 Main menu")),),
                ),
                key=f"page:{name}:{event.update_id}",
                kind="test",
                urgent="urgent" in flags,
            )
        if "fail" in flags:
            raise RuntimeError("the handler failed after notifying")
        return Reply("paged")

    return Engine(loa.db, loa.services, [*loa.engine.routers, pager])


async def _users(loa: Loa, engine: Engine, *names: str, language: str = "vi") -> None:
    for name in names:
        chat = Chat(engine, user=name)
        await chat.send("/start")
        await chat.press("Tiếng Việt" if language == "vi" else language)


async def _rows(loa: Loa) -> list[OutboxMessage]:
    async with loa.db.session() as session:
        return list(
            (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        )


def _worker(
    loa: Loa,
    sender: RecordingSender,
    clock: FrozenClock,
    name: str = "w1",
    *,
    host: str | None = None,
    beats: FrozenClock | None = None,
) -> OutboxWorker:
    """A worker; `host` is its WORKER_NAME, `beats` the clock of its heartbeats."""
    settings = loa.settings
    if host is not None:
        settings = settings.model_copy(update={"worker_name": host})
    return OutboxWorker(
        loa.db,
        {CHANNEL: sender},
        settings,
        clock,  # type: ignore[dict-item]
        worker_id=name,
        liveness=beats,
    )


async def _paged_once(loa: Loa) -> Engine:
    """An engine with the pager, where the reporter has paged the officer once."""
    engine = _engine_with_pager(loa)
    await _users(loa, engine, "officer", "reporter")
    await Chat(engine, user="reporter").send("/page officer")
    return engine


async def test_notification_is_queued_once_in_the_recipients_language(
    loa: Loa, clock: FrozenClock
) -> None:
    engine = _engine_with_pager(loa)
    await _users(loa, engine, "officer", "reporter")
    sender = RecordingSender()
    await Chat(engine, user="reporter").send("/page officer")
    queued = await outbox_replies(engine, CHANNEL, "officer")
    assert len(queued) == 1  # the same key twice queues once
    assert queued[0][0].text == "Nút này đã cũ. Đây là menu chính."  # officer's language: vi
    report = await _worker(loa, sender, clock).flush()
    assert report.sent == 1
    assert sender.texts("officer") == ["Nút này đã cũ. Đây là menu chính."]
    again = await _worker(loa, sender, clock).flush()
    assert again.sent == 0 and len(sender.sent) == 1


async def test_a_failed_handler_queues_nothing(loa: Loa, clock: FrozenClock) -> None:
    engine = _engine_with_pager(loa)
    await _users(loa, engine, "officer", "reporter")
    chat = Chat(engine, user="reporter")
    await chat.then("/page officer fail", "Xin lỗi")
    assert await _rows(loa) == []


async def test_typed_number_answers_the_notifications_choices(
    loa: Loa, clock: FrozenClock
) -> None:
    engine = await _paged_once(loa)
    await _worker(loa, RecordingSender(), clock).flush()
    officer = Chat(engine, user="officer")
    await officer.then("1", "Menu chính")


async def test_retry_then_success_and_giving_up(loa: Loa, clock: FrozenClock) -> None:
    engine = await _paged_once(loa)
    sender = RecordingSender()
    sender.script = [
        Delivery(DeliveryStatus.retry, "HTTP 500"),
        Delivery(DeliveryStatus.retry, "429", retry_after=7),
    ]
    worker = _worker(loa, sender, clock)
    assert (await worker.flush()).retried == 1
    assert (await worker.flush()).sent == 0  # not due yet (backoff)
    clock.advance(timedelta(minutes=5))
    assert (await worker.flush()).retried == 1  # 429: waits retry_after
    row = (await _rows(loa))[0]
    assert row.retry_at == clock.now() + timedelta(seconds=7)
    clock.advance(timedelta(seconds=7))
    assert (await worker.flush()).sent == 1
    row = (await _rows(loa))[0]
    assert (row.state, row.attempts, row.last_error) == ("sent", 3, "")

    await Chat(engine, user="reporter").send("/page officer")
    sender.script = [Delivery(DeliveryStatus.failed, "400 Bad Request: chat not found")]
    assert (await worker.flush()).failed == 1
    assert (await _rows(loa))[1].state == OutboxState.failed


async def test_blocked_user_is_marked_unreachable_and_not_retried(
    loa: Loa, clock: FrozenClock
) -> None:
    engine = await _paged_once(loa)
    await Chat(engine, user="reporter").send("/page officer")
    sender = RecordingSender()
    # Both go out in one concurrent batch, so the platform refuses both.
    sender.script = [Delivery(DeliveryStatus.blocked, "403 Forbidden: bot was blocked")] * 2
    report = await _worker(loa, sender, clock).flush()
    assert report.blocked == 2 and sender.sent == []
    # Later messages are not even tried while they are unreachable.
    await Chat(engine, user="reporter").send("/page officer")
    assert (await _worker(loa, sender, clock).flush()).blocked == 1
    assert sender.sent == []
    async with loa.db.session() as session:
        officer = (
            await session.execute(select(User).where(User.external_id == "officer"))
        ).scalar_one()
    assert officer.unreachable
    # Writing to the bot again makes them reachable.
    await Chat(engine, user="officer").send("/menu")
    async with loa.db.session() as session:
        officer = (
            await session.execute(select(User).where(User.external_id == "officer"))
        ).scalar_one()
    assert not officer.unreachable


async def test_quiet_hours_hold_non_urgent_messages_until_morning(
    loa: Loa, clock: FrozenClock
) -> None:
    engine = _engine_with_pager(loa)
    await _users(loa, engine, "officer", "reporter")
    clock.set(datetime(2026, 11, 25, 22, 30, tzinfo=UTC) - timedelta(hours=7))  # 22:30 local
    await Chat(engine, user="reporter").send("/page officer")
    await Chat(engine, user="reporter").send("/page officer urgent")
    sender = RecordingSender()
    worker = _worker(loa, sender, clock)
    assert (await worker.flush()).sent == 1  # only the urgent one
    clock.set(datetime(2026, 11, 26, 6, 59, tzinfo=UTC) - timedelta(hours=7))
    assert (await worker.flush()).sent == 0
    clock.set(datetime(2026, 11, 26, 7, 0, tzinfo=UTC) - timedelta(hours=7))
    assert (await worker.flush()).sent == 1


class HangingSender(RecordingSender):
    """Sends that never end: the process "dies" with them in flight."""

    async def deliver(self, chat_id: str, reply: Reply) -> object:
        await asyncio.Event().wait()  # never set
        return Delivery(DeliveryStatus.sent)


async def _pages(loa: Loa, *, officers: int, each: int = 1) -> None:
    """Officers officer0… paged `each` times by a reporter (outbox rows in each one's line)."""
    engine = _engine_with_pager(loa)
    names = [f"officer{n}" for n in range(officers)]
    await _users(loa, engine, *names, "reporter")
    for name in names * each:
        await Chat(engine, user="reporter").send(f"/page {name}")


async def test_a_killed_worker_loses_nothing_and_repeats_only_what_was_in_flight(
    loa: Loa, clock: FrozenClock
) -> None:
    await _pages(loa, officers=10, each=2)  # two messages each, in line
    beats = FrozenClock(datetime(2026, 12, 5, 12, 0, tzinfo=UTC))
    killed = _worker(loa, HangingSender(), clock, name="killed", host="host-a", beats=beats)
    task = asyncio.create_task(killed.flush())
    await asyncio.sleep(0.3)
    task.cancel()  # the kill
    in_flight = [r for r in await _rows(loa) if r.state == OutboxState.sending]
    assert 0 < len(in_flight) <= loa.settings.outbox_concurrency

    sender = RecordingSender()
    # Another process, on another host, while the killed one's last heartbeat is recent.
    survivor = _worker(loa, sender, clock, name="survivor", host="host-b", beats=beats)
    report = await survivor.flush()
    # It may be alive (several workers on PostgreSQL): its rows are not touched, and those
    # recipients' second messages wait behind them...
    assert report.recovered == 0
    assert len(sender.sent) == 20 - 2 * len(in_flight)
    # ...until it has not been seen for the timeout (far less than the lease).
    beats.advance(timedelta(seconds=loa.settings.outbox_worker_timeout_seconds + 1))
    report = await survivor.flush()
    assert report.recovered == len(in_flight)
    rows = await _rows(loa)
    assert all(r.state == OutboxState.sent for r in rows)
    assert len(sender.sent) == 20
    assert sum(r.possible_duplicate for r in rows) == len(in_flight)


async def test_a_restarted_process_takes_back_its_claims_at_once(
    loa: Loa, clock: FrozenClock
) -> None:
    await _pages(loa, officers=5)
    beats = FrozenClock(datetime(2026, 12, 5, 12, 0, tzinfo=UTC))
    # A third worker elsewhere, alive and busy: what it holds must stay its own.
    busy = _worker(loa, HangingSender(), clock, name="busy", host="host-b", beats=beats)
    busy_task = asyncio.create_task(busy.flush())
    await asyncio.sleep(0.2)
    engine_rows = [r for r in await _rows(loa) if r.state == OutboxState.sending]
    assert len(engine_rows) == 5  # it took them all
    busy_task.cancel()
    async with loa.db.session() as session:  # it gives back all but two, still in flight
        for row in (await session.execute(select(OutboxMessage))).scalars():
            if row.id not in {r.id for r in engine_rows[:2]}:
                row.state, row.claimed_by, row.claimed_at = OutboxState.pending, None, None

    first = _worker(loa, HangingSender(), clock, name="first-start", host="host-a", beats=beats)
    first_task = asyncio.create_task(first.flush())
    await asyncio.sleep(0.2)
    first_task.cancel()  # killed with three in flight
    sender = RecordingSender()
    again = _worker(loa, sender, clock, name="second-start", host="host-a", beats=beats)
    report = await again.flush()  # no lease, no heartbeat timeout waited for
    rows = await _rows(loa)
    assert report.recovered == 3 and len(sender.sent) == 3
    # The live worker's two are still its own.
    assert {r.id for r in rows if r.state == OutboxState.sending} == {
        r.id for r in engine_rows[:2]
    }


async def test_two_workers_send_each_message_exactly_once(loa: Loa, clock: FrozenClock) -> None:
    engine = _engine_with_pager(loa)
    await _users(loa, engine, "officer", "reporter")
    for _n in range(40):
        await Chat(engine, user="reporter").send("/page officer")

    class SlowSender(RecordingSender):
        async def deliver(self, chat_id: str, reply: Reply) -> object:
            await asyncio.sleep(0.01)
            return await super().deliver(chat_id, reply)

    first, second = SlowSender(), SlowSender()
    # Two workers with their own database engines, as two processes would have.
    from db.session import Database

    other_db = Database(loa.settings.database_url)
    try:
        one = _worker(loa, first, clock, name="one", host="host-a")
        two = OutboxWorker(
            other_db,
            {CHANNEL: second},
            loa.settings.model_copy(update={"worker_name": "host-b"}),
            clock,  # type: ignore[dict-item]
            worker_id="two",
        )
        await asyncio.gather(one.flush(), two.flush())
    finally:
        await other_db.close()
    assert len(first.sent) + len(second.sent) == 40
    rows = await _rows(loa)
    assert all(r.state == OutboxState.sent and r.attempts == 1 for r in rows)
