"""The scheduler: plans at start and on its interval, sends through the outbox, and stays
exactly-once with several processes; `loa reminders preview` matches what it then sends."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.app import Loa
from bot.cli import deadlines as deadlines_cli
from bot.cli.common import OperatorError
from bot.core.chat import Reply, to_plain
from bot.core.clock import FrozenClock
from bot.delivery.outbox import Delivery, DeliveryStatus, OutboxWorker
from bot.scheduler import PER_CHAT_INTERVAL, Scheduler, channel_limiters, start_scheduler
from db.models import Deadline, OutboxState, Role
from tests.fakes.runtime import eventually
from tests.helpers import Chat, RecordingSender
from tests.test_cli import run_loa
from tests.test_planner import CHANNEL, person, rows

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
REMINDER_DAY = datetime(2027, 6, 2, 8, 0, tzinfo=TZ)  # before-7d of the six-month report


class Sender(RecordingSender):
    """A recording sender one can wait on (the scheduler sends in the background)."""

    def __init__(self, pause: float = 0.0) -> None:
        super().__init__()
        self.pause = pause
        self.changed = asyncio.Event()

    async def deliver(self, chat_id: str, reply: Reply) -> object:
        """Record the reply (after `pause`, so concurrent workers overlap)."""
        if self.pause:
            await asyncio.sleep(self.pause)
        outcome = await super().deliver(chat_id, reply)
        self.changed.set()
        return outcome

    async def until(self, count: int, *others: Sender) -> None:
        """Wait until this sender and `others` together sent `count` messages."""
        senders = (self, *others)
        async with asyncio.timeout(15):
            while sum(len(s.sent) for s in senders) < count:
                await asyncio.wait(
                    [asyncio.ensure_future(s.changed.wait()) for s in senders],
                    return_when=asyncio.FIRST_COMPLETED,
                )
                for sender in senders:
                    sender.changed.clear()


async def officers(loa: Loa, per_unit: int = 1) -> list[str]:
    """Officers for the three communes (and `per_unit` of them each)."""
    names = []
    for unit in ("ia-toi", "ia-dal", "ia-dom"):
        for n in range(per_unit):
            name = f"{unit}-{n}"
            await person(loa, name, Role.officer, unit)
            names.append(name)
    return names


async def test_the_scheduler_plans_at_start_and_sends(loa: Loa, clock: FrozenClock) -> None:
    names = await officers(loa)
    clock.set(REMINDER_DAY)
    sender = Sender()
    scheduler = await start_scheduler(loa, {CHANNEL: sender}, worker_id="only")
    try:
        job = scheduler.scheduler.get_job("planner")
        assert job is not None
        assert job.trigger.interval == timedelta(minutes=loa.settings.planner_interval_minutes)
        await sender.until(len(names))
        # A handler's notification wakes the worker at once (no wait for its interval).
        assert scheduler.worker.wake in loa.engine.services.queued
    finally:
        await scheduler.stop()
    assert sorted(chat for chat, _reply in sender.sent) == sorted(names)
    assert not scheduler.scheduler.running


async def test_two_schedulers_send_each_reminder_exactly_once(
    loa: Loa, clock: FrozenClock
) -> None:
    names = await officers(loa, per_unit=8)
    clock.set(REMINDER_DAY)
    other = await Loa.start(loa.settings, clock=clock)  # a second process: its own engine
    first, second = Sender(pause=0.005), Sender(pause=0.005)
    one = Scheduler(loa, _worker(loa, first, "one"))
    two = Scheduler(other, _worker(other, second, "two"))
    try:
        await asyncio.gather(one.start(), two.start())
        await first.until(len(names), second)
        await asyncio.gather(one.plan(), two.plan())  # planning again, at once, changes nothing
        await asyncio.sleep(0.2)
    finally:
        await asyncio.gather(one.stop(), two.stop())
        await other.close()
    chats = [chat for chat, _reply in first.sent + second.sent]
    assert sorted(chats) == sorted(names)  # each officer exactly once
    outbox = await rows(loa)
    assert len(outbox) == len(names)
    assert all(row.state == OutboxState.sent and row.attempts == 1 for row in outbox)
    async with loa.db.session() as session:
        count = await session.scalar(select(func.count()).select_from(Deadline))
    assert count == 1  # the six-month deadline, materialised once


def _worker(loa: Loa, sender: RecordingSender, name: str) -> OutboxWorker:
    return OutboxWorker(
        loa.db,
        {CHANNEL: sender},  # type: ignore[dict-item]
        loa.settings.model_copy(update={"worker_name": name}),  # as if on a host of its own
        loa.services.clock,
        limiters=channel_limiters([CHANNEL]),
        worker_id=name,
    )


async def test_a_scheduler_stopped_mid_send_loses_nothing(loa: Loa, clock: FrozenClock) -> None:
    names = await officers(loa, per_unit=4)
    clock.set(REMINDER_DAY)
    hang, started = asyncio.Event(), asyncio.Event()

    class HangingSender(RecordingSender):
        async def deliver(self, chat_id: str, reply: Reply) -> object:
            started.set()
            await hang.wait()  # never set: the process is stopped with these in flight
            return Delivery(DeliveryStatus.sent)

    killed = Scheduler(loa, _worker(loa, HangingSender(), "killed"))
    await killed.start()
    async with asyncio.timeout(15):
        await started.wait()
    await killed.stop(grace=0.1)
    in_flight = [r for r in await rows(loa) if r.state == OutboxState.sending]
    assert 0 < len(in_flight) <= loa.settings.outbox_concurrency

    clock.advance(timedelta(seconds=loa.settings.outbox_lease_seconds + 1))
    sender = Sender()
    survivor = Scheduler(loa, _worker(loa, sender, "survivor"))
    await survivor.start()
    try:
        await sender.until(len(names))
    finally:
        await survivor.stop()
    outbox = await rows(loa)
    assert all(row.state == OutboxState.sent for row in outbox)
    assert sum(row.possible_duplicate for row in outbox) == len(in_flight)


def test_the_outbox_spaces_messages_per_chat_only() -> None:
    limiters = channel_limiters(["telegram", "zalo"])
    assert set(limiters) == {"telegram", "zalo"}
    # The senders hold each platform's overall rate; the outbox adds 1 s per chat.
    assert PER_CHAT_INTERVAL == 1.0
    assert limiters["telegram"] is not limiters["zalo"]


# --- the command line --------------------------------------------------------------------------


def _env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {"DATABASE_URL": database_url, "MEDIA_DIR": str(tmp_path / "media")}


async def test_preview_matches_what_the_scheduler_then_sends(
    loa: Loa, clock: FrozenClock, database_url: str, tmp_path: Path
) -> None:
    await officers(loa)
    await person(loa, "admin", Role.admin, None)
    escalation_day = REMINDER_DAY + timedelta(days=10)  # 12/6: overdue-3d and escalation
    # Ia Tơi's report is in: neither its reminder nor its name in the escalation.
    clock.set(REMINDER_DAY)
    toi = Chat(loa.engine, user="ia-toi-0")
    await toi.script("/submit", "[Báo cáo 6 tháng]", "[không kèm tệp]", "[Xác nhận]")

    result = await asyncio.to_thread(
        run_loa,
        "reminders",
        "preview",
        "--at",
        "2027-06-12 08:00",
        "--json",
        env=_env(database_url, tmp_path),
    )
    assert result.returncode == 0, result.stderr
    preview = json.loads(result.stdout)
    assert preview["at"] == "2027-06-12 08:00" and not preview["quiet_hours"]
    planned = {m["key"]: m for m in preview["messages"] if m["state"] == "new"}
    kinds = sorted((m["kind"], tuple(m["units"])) for m in planned.values())
    assert ("escalation", ("ia-dal", "ia-dom", "phong-ldtbxh")) not in kinds  # not all late
    assert ("overdue-3d", ("ia-dal",)) in kinds and ("overdue-3d", ("ia-dom",)) in kinds
    assert not any("ia-toi" in m["units"] for m in planned.values())
    nobody = [m for m in preview["messages"] if m["state"] == "no-recipient"]
    assert len(nobody) == 16  # 19 reporting units, 3 with officers
    assert await rows(loa) == []  # the preview wrote nothing
    shown = await asyncio.to_thread(
        run_loa,
        "reminders",
        "preview",
        "--at",
        "2027-06-12 08:00",
        env=_env(database_url, tmp_path),
    )
    assert "Lúc 08:00 ngày 12/06/2027 (Asia/Ho_Chi_Minh), bộ lập lịch sẽ xếp gửi:" in shown.stdout
    lines = shown.stdout.splitlines()
    (dal,) = [line for line in lines if re.search(r" ia-dal +→ test:ia-dal-0", line)]
    assert dal.split()[:3] == ["quá", "hạn", "3"]  # not "overdue-3d"
    assert "Báo cáo 6 tháng đầu năm 2027 (trước ngày 10/06/2027)" in dal
    assert "→ chưa có cán bộ đăng ký" in shown.stdout and "overdue-3d" not in shown.stdout
    assert "Tin nhắn mới: 3; đơn vị không có ai để báo: 16." in shown.stdout

    clock.set(escalation_day)
    sender = Sender()
    scheduler = await start_scheduler(loa, {CHANNEL: sender}, worker_id="after-preview")
    try:

        async def reminders_sent() -> bool:
            done = {row.dedupe_key for row in await rows(loa) if row.state == OutboxState.sent}
            return set(planned) <= done

        await eventually(reminders_sent, within=15)
    finally:
        await scheduler.stop()
    # The digest telling overseers of Ia Tơi's submission is no reminder: the preview omits it.
    sent = [row for row in await rows(loa) if not row.dedupe_key.startswith("dlsub:")]
    assert {row.dedupe_key for row in sent} == set(planned)
    assert all(row.state == OutboxState.sent for row in sent)
    recipients = sorted(
        chat for chat, reply in sender.sent if "Báo cáo đã nộp" not in to_plain(reply.text)
    )
    assert recipients == sorted(
        m["recipient"].split(":")[1].split(" ")[0] for m in planned.values()
    )

    # The same code in-process, at night: nothing is planned in the quiet hours.
    night = await deadlines_cli.preview(loa.settings, escalation_day.replace(hour=22, minute=30))
    assert night["quiet_hours"] and night["messages"] == []
    assert "quiet hours (21:00–07:00), nothing is planned" in deadlines_cli.render_preview(
        night, loa.settings
    )


async def test_deadlines_add_and_list(loa: Loa, database_url: str, tmp_path: Path) -> None:
    due = (datetime.now(TZ) + timedelta(days=20)).date()
    env = _env(database_url, tmp_path)
    with pytest.raises(OperatorError, match="--unit"):
        await deadlines_cli.add_deadline(
            loa.settings, title="Báo cáo lũ", due=due.isoformat(), units=[], all_units=False
        )
    added = await asyncio.to_thread(
        run_loa,
        "deadlines",
        "add",
        "--title",
        "Báo cáo nhanh về lũ",
        "--due",
        due.strftime("%d/%m/%Y"),
        "--unit",
        "Ia Dom",
        "--unit",
        "ia-dal",
        "--json",
        env=env,
    )
    assert added.returncode == 0, added.stderr
    created = json.loads(added.stdout)
    assert created["units"] == ["ia-dom", "ia-dal"] and created["due_before"] == due.isoformat()

    listed = await asyncio.to_thread(run_loa, "deadlines", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    rows_ = json.loads(listed.stdout)
    mine = next(row for row in rows_ if row["key"] == created["key"])
    assert (mine["state"], mine["units"], mine["submitted"]) == ("open", 2, 0)
    assert {row["rule"] for row in rows_} >= {"six-month", "annual"}  # the next ones, at least
    assert f"Báo cáo nhanh về lũ — due before {due:%d/%m/%Y}" in deadlines_cli.render_list(rows_)
    table = await asyncio.to_thread(run_loa, "deadlines", "list", env=env)
    (line,) = [line for line in table.stdout.splitlines() if "Báo cáo nhanh về lũ" in line]
    assert line.split()[1:3] == ["đang", "mở"]
    assert line.endswith(
        f"Báo cáo nhanh về lũ — nộp trước ngày {due:%d/%m/%Y} (chậm nhất ngày "
        f"{due - timedelta(days=1):%d/%m/%Y}); đã nộp 0/2"
    )


async def test_housekeeping_forgets_old_idempotency_records_only(
    loa: Loa, clock: FrozenClock
) -> None:
    from bot.core.chat import Incoming
    from bot.scheduler import forget_old_updates
    from db.models import ProcessedUpdate

    await loa.engine.handle(Incoming.from_text("test", "old", "old-1", "/menu"))
    clock.advance(timedelta(days=8))
    await loa.engine.handle(Incoming.from_text("test", "new", "new-1", "/menu"))
    assert await forget_old_updates(loa, clock) == 1
    async with loa.db.session() as session:
        kept = [
            row.update_id for row in (await session.execute(select(ProcessedUpdate))).scalars()
        ]
    assert kept == ["new-1"]
