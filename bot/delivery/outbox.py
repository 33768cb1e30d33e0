"""The outbox: every proactive message is a row, sent by a worker through a rate limiter.

Handlers call `Context.notify`, which renders the message in the recipient's language and
inserts a row (unique dedupe key) in the handler's own transaction: nothing is announced that
was not committed, and planning twice sends once. `OutboxWorker.flush` claims due rows (row
locks with SKIP LOCKED on PostgreSQL, so several workers never take the same row), sends them,
and records the outcome. A worker killed mid-send leaves its rows "sending"; they return to the
queue flagged `possible_duplicate` as soon as the worker is known dead: at once when the process
starts again under the same name (`WORKER_NAME`, the host's by default: on SQLite, one process on
one host, that is every claim at start), when it stopped beating for
`outbox_worker_timeout_seconds` (another worker on PostgreSQL takes them over), and after the
lease in any case. A row of several platform messages (a text and its photos, a long text in
parts) records each one sent (`parts_sent`), and a new attempt goes on from the next one: the
only messages that can go out twice are the ones in flight at the kill, at most
`outbox_concurrency` of them, since no Bot API takes an idempotency key. A recipient's messages
go out one at a time, in order; one waiting to be retried holds back the ones behind it.

Two lanes share each platform's one rate limit: interactive messages (a reply to what a person
just sent, an officer's answer, a review result) and bulk ones (broadcasts, polls, reminders).
Claims take interactive rows first, and the rate limiter lets an interactive send through
before any bulk send waiting for the same slot: a broadcast never makes a villager wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import heapq
import itertools
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any, Protocol

from bot.core import i18n, metrics
from bot.core.chat import Attachment, AttachmentKind, Choice, Reply
from bot.core.clock import Clock, SystemClock
from bot.core.config import Settings
from bot.core.i18n import Catalogs
from db.models import OutboxMessage, OutboxState, User
from db.repositories import Repos
from db.session import Database

log = logging.getLogger(__name__)


class Lane(IntEnum):
    """Which queue a message waits in; a lower value goes first."""

    interactive = 0
    bulk = 1


# Kinds of outbox rows that are bulk sends, and the ones a user's /stop withholds.
BULK_KINDS = frozenset({"broadcast", "poll", "reminder", "escalation"})
OPT_OUT_KINDS = frozenset({"broadcast", "poll"})

_lane: contextvars.ContextVar[Lane] = contextvars.ContextVar(
    "outbox_lane", default=Lane.interactive
)
_kind: contextvars.ContextVar[str] = contextvars.ContextVar("outbox_kind", default="")


def sending_kind() -> str:
    """The kind of outbox row being sent ("reminder", "broadcast"…; "" for a direct reply)."""
    return _kind.get()


@dataclass
class Progress:
    """The platform messages of one outbox row as a channel sends them, one by one.

    The first `done` went out in an earlier attempt (before a kill or a failure) and are
    skipped; each one sent now is recorded, so the next attempt skips it too. Senders call
    `send` for every platform message they make of a reply; `current_progress()` gives them the
    outbox row's (a fresh one, recording nothing, for a direct reply).
    """

    done: int = 0
    position: int = 0
    record: Callable[[int], Awaitable[None]] | None = None
    last_reply: bool = True  # whether the reply being sent is the row's last

    async def send(self, call: Callable[[], Awaitable[object]], *, last: bool = False) -> bool:
        """Send one platform message unless an earlier attempt did; False when skipped.

        `last`: it is the reply's last message (after the row's last one, the row is settled as
        sent anyway: no separate record).
        """
        self.position += 1
        if self.position <= self.done:
            return False
        await call()
        if self.record is not None and not (last and self.last_reply):
            await self.record(self.position)
        return True


_progress: contextvars.ContextVar[Progress | None] = contextvars.ContextVar(
    "outbox_progress", default=None
)


def current_progress() -> Progress:
    """The progress of the outbox row being sent, or a fresh one that records nothing."""
    return _progress.get() or Progress()


@contextmanager
def sending_in(lane: Lane) -> Iterator[None]:
    """Send in `lane` within the block (the channels' rate limiters read it)."""
    token = _lane.set(lane)
    try:
        yield
    finally:
        _lane.reset(token)


class DeliveryStatus(StrEnum):
    """How one attempt to send ended."""

    sent = "sent"
    blocked = "blocked"  # the user blocked the bot: stop, mark them unreachable
    retry = "retry"  # try again later (rate limit, server error, network)
    failed = "failed"  # will never work (bad request): give up
    outside_window = "outside_window"  # the channel's reply window is closed for this user


@dataclass(frozen=True, slots=True)
class Delivery:
    """The outcome of sending one reply."""

    status: DeliveryStatus
    error: str = ""
    retry_after: float | None = None


OPTED_OUT = "opted out"  # last_error of a row withheld because its user sent /stop


class Sender(Protocol):
    """A channel's way to send one reply to one chat (the adapters implement it)."""

    async def deliver(self, chat_id: str, reply: Reply) -> Delivery:
        """Send `reply` to `chat_id`, retrying briefly on its own where the platform says so."""
        ...


def to_payload(replies: Sequence[Reply]) -> dict[str, Any]:
    """Replies as JSON for the outbox row."""
    return {"replies": [_reply_json(reply) for reply in replies]}


def _reply_json(reply: Reply) -> dict[str, Any]:
    data: dict[str, Any] = {
        "text": reply.text,
        "choices": [[c.payload, c.label] for c in reply.choices],
    }
    if reply.attachment is not None:
        data["attachment"] = {
            "kind": reply.attachment.kind.value,
            "path": str(reply.attachment.path),
            "caption": reply.attachment.caption,
        }
    return data


def from_payload(payload: Mapping[str, Any]) -> list[Reply]:
    """The replies stored in an outbox row."""
    replies = []
    for item in payload.get("replies", []):
        attachment = None
        if item.get("attachment"):
            raw = item["attachment"]
            attachment = Attachment(
                AttachmentKind(raw["kind"]), Path(raw["path"]), raw.get("caption", "")
            )
        choices = tuple(Choice(p, label) for p, label in item.get("choices", []))
        replies.append(Reply(item.get("text", ""), choices=choices, attachment=attachment))
    return replies


class RateLimiter:
    """A global rate and a minimum interval per chat (Telegram: ~30/s overall, 1/s per chat).

    Callers wait for the global slot in a queue ordered by lane, then arrival: an interactive
    send waiting with bulk ones takes the next free slot. The lane is the caller's
    (`sending_in`), so the channels' senders need not know which kind of message they carry.
    """

    def __init__(self, per_second: float, per_chat_interval: float) -> None:
        self._interval = 1.0 / per_second if per_second > 0 else 0.0
        self._per_chat = per_chat_interval
        self._next_global = 0.0
        self._next_chat: dict[str, float] = {}
        self._lock = asyncio.Lock()
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    async def acquire(self, chat_id: str) -> None:
        """Wait until one more message to `chat_id` is allowed."""
        if self._per_chat > 0:
            async with self._lock:
                now = time.monotonic()
                start = max(now, self._next_chat.get(chat_id, 0.0))
                self._next_chat[chat_id] = start + self._per_chat
                if len(self._next_chat) > 10_000:
                    self._next_chat = {k: v for k, v in self._next_chat.items() if v > now}
            if start > now:
                await asyncio.sleep(start - now)
        if self._interval > 0:
            await self._global_slot()

    async def _global_slot(self) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (int(_lane.get()), next(self._order), future))
        self._release()
        try:
            await future
        except asyncio.CancelledError:
            if not future.done() or future.cancelled():
                self._waiting = [item for item in self._waiting if item[2] is not future]
                heapq.heapify(self._waiting)
            raise

    def _release(self) -> None:
        """Give the free slot to the first waiter, or come back when the next slot is free."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._waiting:
            now = time.monotonic()
            if now < self._next_global:
                loop = asyncio.get_running_loop()
                self._timer = loop.call_later(self._next_global - now, self._release)
                return
            _lane_value, _n, future = heapq.heappop(self._waiting)
            if future.done():
                continue
            future.set_result(None)
            self._next_global = now + self._interval


# Why a queued message was withdrawn at sending time because it was no longer true.
STALE = "no longer true when sent"
StaleCheck = Callable[[Repos, Sequence[Reply]], Awaitable[bool]]


@dataclass
class FlushReport:
    """What one flush did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    blocked: int = 0
    skipped: int = 0  # withheld at sending time (opted out meanwhile, or no longer true)
    outside_window: int = 0  # the channel's reply window had closed for the user
    recovered: int = 0
    skipped_quiet: bool = False
    ids: list[int] = field(default_factory=list)


def in_quiet_hours(settings: Settings, at: datetime) -> bool:
    """Whether `at` falls in the quiet hours (local time; the window may wrap midnight)."""
    local = at.astimezone(settings.tz).time()
    start, end = settings.quiet_start, settings.quiet_end
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def next_morning(settings: Settings, at: datetime) -> datetime:
    """The end of the quiet period containing `at` (or `at` itself outside quiet hours)."""
    if not in_quiet_hours(settings, at):
        return at
    local = at.astimezone(settings.tz)
    morning = local.replace(
        hour=settings.quiet_end.hour, minute=settings.quiet_end.minute, second=0, microsecond=0
    )
    if morning <= local:
        morning += timedelta(days=1)
    return morning


class OutboxWorker:
    """Claims due outbox rows and sends them through the channels' senders."""

    def __init__(
        self,
        db: Database,
        senders: Mapping[str, Sender],
        settings: Settings,
        clock: Clock,
        limiters: Mapping[str, RateLimiter] | None = None,
        worker_id: str | None = None,
        liveness: Clock | None = None,
    ) -> None:
        # Run after a flush that settled messages (e.g. tell a broadcast's author it is done).
        self.after_flush: list[Callable[[FlushReport], Awaitable[object]]] = []
        # Checked just before sending a message with buttons: True drops it as stale (the
        # thing it speaks of has moved on while it waited, e.g. a report already decided).
        self.stale_checks: list[StaleCheck] = []
        self.db = db
        self.senders = dict(senders)
        self.settings = settings
        self.clock = clock
        self.limiters = dict(limiters or {})
        self.worker_id = worker_id or f"w-{uuid.uuid4().hex[:12]}"
        # Heartbeats are about processes, not the calendar: the machine's clock (tests freeze
        # `clock`), unless a test passes its own.
        self.liveness = liveness or SystemClock()
        self._last_beat: datetime | None = None
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Ask the running loop to flush now (called after a transaction enqueued messages)."""
        self._wake.set()

    @property
    def _timeout(self) -> timedelta:
        return timedelta(seconds=self.settings.outbox_worker_timeout_seconds)

    async def beat(self) -> None:
        """Tell the other workers this one is alive (registering it at the first beat)."""
        now = self.liveness.now()
        first = self._last_beat is None
        async with self.db.session() as session:
            repos = Repos.of(session)
            earlier = await repos.outbox.beat(
                self.worker_id, name=self.settings.worker_name, now=now
            )
            if first:
                await repos.outbox.forget_workers(seen_before=now - timedelta(days=7))
        self._last_beat = now
        if earlier is not None and earlier.seen_at > now - self._timeout:
            log.warning(
                "outbox worker %s: the last start named %r was seen %.0f s ago and did not stop;"
                " its unsent messages are taken back now (if it is still running, give each"
                " process its own WORKER_NAME)",
                self.worker_id,
                self.settings.worker_name,
                (now - earlier.seen_at).total_seconds(),
            )

    async def _beat_if_due(self) -> None:
        last = self._last_beat
        if last is None or self.liveness.now() - last >= self._timeout / 4:
            await self.beat()

    async def _beating(self) -> None:
        """Beat through long flushes too (a broadcast takes minutes); a failed beat is retried."""
        period = self.settings.outbox_worker_timeout_seconds / 4
        while True:
            await asyncio.sleep(period)
            try:
                await self.beat()
            except Exception as exc:  # the database is away: the flush loop says so
                log.warning("outbox worker heartbeat failed: %s", type(exc).__name__)

    async def retire(self) -> None:
        """Tell the other workers this one stopped: what it still holds is theirs at once."""
        if self._last_beat is None:
            return
        async with self.db.session() as session:
            await Repos.of(session).outbox.retire(self.worker_id, now=self.liveness.now())

    async def run(self, stop: asyncio.Event, interval: float = 5.0) -> None:
        """Flush every `interval` seconds, or sooner when woken, until `stop` is set."""
        beating = asyncio.create_task(self._beating())
        try:
            await self._run(stop, interval)
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating
            try:
                await asyncio.wait_for(self.retire(), 5)
            except Exception as exc:  # the lease and the next start recover them anyway
                log.warning("outbox worker %s: could not record its stop: %s", self.worker_id, exc)

    async def _run(self, stop: asyncio.Event, interval: float) -> None:
        while not stop.is_set():
            try:
                await self.flush()
            except Exception:
                log.exception("outbox flush failed; retrying in %.0f s", interval)
            waiter = asyncio.ensure_future(self._wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait(
                {waiter, stopper}, timeout=interval, return_when=asyncio.FIRST_COMPLETED
            )
            for task in (waiter, stopper):
                task.cancel()
            self._wake.clear()

    async def flush(self, max_batches: int = 100) -> FlushReport:
        """Send everything due now, batch by batch (a batch is as big as the concurrency)."""
        report = FlushReport()
        now = self.clock.now()
        lease = timedelta(seconds=self.settings.outbox_lease_seconds)
        await self._beat_if_due()
        async with self.db.session() as session:
            report.recovered = await Repos.of(session).outbox.recover(
                stale_before=now - lease,
                worker=self.worker_id,
                dead_before=self.liveness.now() - self._timeout,
            )
        if report.recovered:
            log.info("outbox: %d messages cut off mid-send are queued again", report.recovered)
        quiet = in_quiet_hours(self.settings, now)
        report.skipped_quiet = quiet
        for _ in range(max_batches):
            async with self.db.session() as session:
                claimed = await Repos.of(session).outbox.claim(
                    now=self.clock.now(),
                    limit=self.settings.outbox_concurrency,
                    worker=self.worker_id,
                    quiet=quiet,
                    lock=not self.db.is_sqlite,
                )
                batch = [
                    (
                        row.id,
                        row.user_id,
                        row.payload,
                        row.attempts,
                        row.kind,
                        Lane(row.lane),
                        row.parts_sent,
                    )
                    for row in claimed
                ]
            if not batch:
                break
            outcomes = await asyncio.gather(*(self._send(*item) for item in batch))
            for (message_id, *_rest), outcome in zip(batch, outcomes, strict=True):
                report.ids.append(message_id)
                setattr(report, outcome, getattr(report, outcome) + 1)
        if report.ids:
            for hook in self.after_flush:
                try:
                    await hook(report)
                except Exception:
                    log.exception("after-flush hook failed; the next flush tries again")
        return report

    async def _send(
        self,
        message_id: int,
        user_id: int,
        payload: dict[str, Any],
        attempts: int,
        kind: str = "",
        lane: Lane = Lane.interactive,
        parts_sent: int = 0,
    ) -> str:
        async def record(parts: int) -> None:
            async with self.db.session() as session:
                await Repos.of(session).outbox.record_parts(message_id, parts)

        progress = Progress(done=parts_sent, record=record)
        token = _progress.set(progress)
        kind_token = _kind.set(kind)
        try:
            with sending_in(lane):
                return await self._send_in_lane(
                    message_id, user_id, payload, attempts, kind, progress
                )
        finally:
            _kind.reset(kind_token)
            _progress.reset(token)

    async def _send_in_lane(
        self,
        message_id: int,
        user_id: int,
        payload: dict[str, Any],
        attempts: int,
        kind: str,
        progress: Progress,
    ) -> str:
        replies = from_payload(payload)
        async with self.db.session() as session:
            repos = Repos.of(session)
            user = await repos.users.get(user_id)
            # Read in the same transaction as the recipient: no extra round trip per message.
            stale = user is not None and await self._stale(repos, replies)
        if user is None:
            await self._settle(message_id, OutboxState.failed, "user deleted")
            return "failed"
        sender = self.senders.get(user.channel)
        if sender is None:
            # No adapter for this channel in this process: leave it for one that has it.
            await self._settle(
                message_id,
                OutboxState.pending,
                "channel not running here",
                retry_at=self.clock.now() + timedelta(minutes=1),
            )
            return "retried"
        if user.unreachable:
            await self._settle(message_id, OutboxState.blocked, "user unreachable")
            return "blocked"
        if user.opted_out and kind in OPT_OUT_KINDS:
            # They sent /stop after this was queued: their choice holds at sending time.
            await self._settle(message_id, OutboxState.cancelled, OPTED_OUT)
            return "skipped"
        if stale:
            await self._settle(message_id, OutboxState.cancelled, STALE)
            return "skipped"
        limiter = self.limiters.get(user.channel)
        for index, reply in enumerate(replies):
            progress.last_reply = index == len(replies) - 1
            if limiter is not None:
                await limiter.acquire(user.external_id)
            raised = False
            try:
                delivery = await sender.deliver(user.external_id, reply)
            except Exception as exc:  # a sender bug must not kill the worker
                log.exception("outbox message %s: sender raised", message_id)
                delivery = Delivery(DeliveryStatus.retry, type(exc).__name__)
                raised = True
            if delivery.status is DeliveryStatus.sent:
                continue
            reason = "error" if raised else delivery.status.value
            metrics.SEND_FAILURES.labels(user.channel, reason).inc()
            return await self._after_failure(message_id, user.id, attempts, delivery)
        await self._settle(message_id, OutboxState.sent, "", offered=replies, user_id=user.id)
        return "sent"

    async def _stale(self, repos: Repos, replies: Sequence[Reply]) -> bool:
        """Whether a registered check finds the message no longer true (only buttons can be)."""
        if not self.stale_checks or not any(reply.choices for reply in replies):
            return False
        for check in self.stale_checks:
            if await check(repos, replies):
                return True
        return False

    async def _after_failure(
        self, message_id: int, user_id: int, attempts: int, delivery: Delivery
    ) -> str:
        if delivery.status is DeliveryStatus.blocked:
            async with self.db.session() as session:
                user = await Repos.of(session).users.get(user_id)
                if user is not None:
                    user.unreachable = True
            await self._settle(message_id, OutboxState.blocked, delivery.error)
            return "blocked"
        if delivery.status is DeliveryStatus.outside_window:
            # Not a failure to retry: the user has to write first (counted apart).
            await self._settle(message_id, OutboxState.outside_window, delivery.error)
            return "outside_window"
        if (
            delivery.status is DeliveryStatus.retry
            and attempts < self.settings.outbox_max_attempts
        ):
            delay = delivery.retry_after or self._backoff(attempts)
            await self._settle(
                message_id,
                OutboxState.pending,
                delivery.error,
                retry_at=self.clock.now() + timedelta(seconds=delay),
            )
            return "retried"
        await self._settle(message_id, OutboxState.failed, delivery.error)
        return "failed"

    def _backoff(self, attempts: int) -> float:
        base = float(self.settings.outbox_retry_base_seconds)
        jitter = 1.0 + random.random() / 4  # noqa: S311 (jitter, not cryptography)
        return float(base * 2 ** (attempts - 1) * jitter)

    async def _settle(
        self,
        message_id: int,
        state: OutboxState,
        error: str,
        *,
        retry_at: datetime | None = None,
        offered: Sequence[Reply] = (),
        user_id: int | None = None,
    ) -> None:
        now = self.clock.now()
        async with self.db.session() as session:
            repos = Repos.of(session)
            await repos.outbox.settle(
                message_id, state=state, now=now, error=error, retry_at=retry_at
            )
            shown = [reply.choices for reply in offered if reply.choices]
            if shown and user_id is not None:
                # A typed number should answer these choices — unless the user is in the middle
                # of a step, whose own numbered answers must not be hijacked.
                conversation = await repos.conversations.load(user_id, now=now)
                if conversation.step is None:
                    conversation.choices = [[c.payload, c.label] for c in shown[-1]]


@dataclass(frozen=True, slots=True)
class Rendering:
    """How to write a proactive message: the catalogs and the language when none is chosen."""

    catalogs: Catalogs
    default_language: str


async def queue_rendered(
    repos: Repos,
    rendering: Rendering,
    user: User,
    build: Callable[[], Reply | Sequence[Reply]],
    *,
    key: str,
    kind: str,
    now: datetime,
    lane: Lane,
) -> bool:
    """Render `build()` in the user's language and queue it now (once per key); True if new.

    For services queuing outside a handler (the engine's `Context.notify` does the same there).
    """
    with i18n.use(rendering.catalogs, user.language or rendering.default_language):
        built = build()
    replies = [built] if isinstance(built, Reply) else list(built)
    return await repos.outbox.enqueue(
        key=key,
        user_id=user.id,
        kind=kind,
        payload=to_payload(replies),
        due_at=now,
        urgent=False,
        now=now,
        lane=lane,
    )


async def messages_for(db: Database, user_id: int) -> list[OutboxMessage]:
    """Every outbox row of one user (for tests, the CLI and the web desk)."""
    async with db.session() as session:
        return await Repos.of(session).outbox.for_user(user_id)
