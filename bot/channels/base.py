"""What every chat platform adapter shares: ordered per-user processing, delivery with retries.

An adapter turns a platform update into an `Incoming` (downloading any file first), hands it to
the engine through an `Inbox`, and sends the replies with its `Sender`. The inbox runs one job at
a time per user, in arrival order, and many users concurrently; on shutdown it stops taking
work and lets what is running finish. Senders retry what is safe to retry: connection failures,
5xx answers and rate limits, never a request that may already have been delivered (no Bot API
takes an idempotency key, so a timed-out send could show twice).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import random
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, TypeVar

import aiohttp
from aiohttp import web
from pydantic import SecretStr

from bot.channels.files import Spool
from bot.core.chat import Incoming, Kind, Reply, clean_update
from bot.core.config import Settings
from bot.core.logging import redact
from bot.delivery.outbox import Delivery, DeliveryStatus
from bot.engine import Engine
from db.repositories import Repos
from db.session import Database

log = logging.getLogger(__name__)

T = TypeVar("T")


class ChannelError(Exception):
    """A channel cannot start (bad token, webhook refused): the message says what to fix."""


class LeftForRedelivery(Exception):  # noqa: N818  (a verdict on the update, not a failure of ours)
    """A transient failure: the update was not recorded, and the platform should send it again."""


# --- delivery ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveryResult(Delivery):
    """A `Delivery` that also says how many HTTP requests it took."""

    attempts: int = 0


class Sender(Protocol):
    """Sends one reply to one chat (the outbox uses the same senders for proactive messages)."""

    async def deliver(self, chat_id: str, reply: Reply) -> Delivery:
        """Send `reply` to `chat_id`; retries briefly on its own where that is safe."""
        ...


async def deliver_replies(
    sender: Sender, chat_id: str, replies: Sequence[Reply]
) -> list[Delivery]:
    """Send replies in order; stop at the first one the user will not receive anyway."""
    results: list[Delivery] = []
    for reply in replies:
        result = await sender.deliver(chat_id, reply)
        results.append(result)
        if result.status is not DeliveryStatus.sent:
            # The rest would read out of context (or cannot arrive at all when blocked).
            break
    return results


class FailureKind(StrEnum):
    """How a platform call failed, which decides whether to try it again."""

    transient = "transient"  # never reached the platform, or it answered 5xx: retry with backoff
    rate_limited = "rate_limited"  # 429: wait (retry_after, or backoff) and retry
    blocked = "blocked"  # 403: the user blocked the bot; retrying cannot help
    rejected = "rejected"  # 4xx: the request itself is wrong; retrying cannot help
    ambiguous = "ambiguous"  # timed out after sending: it may have arrived, so no blind retry
    outside_window = "outside_window"  # the platform's reply window is closed for this user


class CallError(Exception):
    """A platform call failed; the message is already free of secrets."""

    def __init__(self, kind: FailureKind, detail: str, retry_after: float | None = None) -> None:
        super().__init__(redact(detail))
        self.kind = kind
        self.detail = redact(detail)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and jitter."""

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_wait: float = 60.0  # a longer retry_after is not waited for: the caller may retry later

    @classmethod
    def of(cls, settings: Settings) -> RetryPolicy:
        """The policy configured in `settings`."""
        return cls(
            max_attempts=settings.send_max_attempts,
            base_delay=settings.send_retry_base_seconds,
            max_delay=max(settings.send_retry_base_seconds * 30, settings.send_retry_base_seconds),
            max_wait=settings.send_max_wait_seconds,
        )

    def backoff(self, attempt: int) -> float:
        """The pause after failed attempt number `attempt` (1-based): half fixed, half random."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 (jitter, not crypto)


@dataclass(slots=True)
class Tally:
    """Counts the HTTP requests one delivery made."""

    attempts: int = 0


async def with_retries(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    tally: Tally | None = None,
    *,
    what: str = "request",
    idempotent: bool = False,
) -> T:
    """Run `call`, retrying transient failures and rate limits within `policy`.

    An ambiguous failure (a timeout after the request left) is retried only when the call is
    `idempotent` (reading updates or files); a send is never repeated blindly.
    """
    attempt = 0
    while True:
        attempt += 1
        if tally is not None:
            tally.attempts += 1
        try:
            return await call()
        except CallError as failure:
            retryable = {FailureKind.transient, FailureKind.rate_limited}
            if idempotent:
                retryable.add(FailureKind.ambiguous)
            if failure.kind not in retryable or attempt >= policy.max_attempts:
                raise
            delay = failure.retry_after
            if delay is None:
                delay = policy.backoff(attempt)
            if delay > policy.max_wait:
                raise
            log.warning(
                "%s failed (%s: %s); attempt %d of %d in %.1f s",
                what,
                failure.kind,
                failure.detail,
                attempt + 1,
                policy.max_attempts,
                delay,
            )
            await asyncio.sleep(delay)


async def deliver_counted(send: Callable[[Tally], Awaitable[None]]) -> DeliveryResult:
    """Run `send` with a fresh tally of its requests; what the delivery came to."""
    tally = Tally()
    try:
        await send(tally)
    except CallError as failure:
        return delivery_of(failure, tally)
    return DeliveryResult(DeliveryStatus.sent, attempts=tally.attempts)


def delivery_of(failure: CallError, tally: Tally) -> DeliveryResult:
    """What a failed send means for whoever asked for it (a reply, or the outbox)."""
    if failure.kind is FailureKind.blocked:
        status = DeliveryStatus.blocked
    elif failure.kind is FailureKind.outside_window:
        status = DeliveryStatus.outside_window
    elif failure.kind in (FailureKind.transient, FailureKind.rate_limited):
        status = DeliveryStatus.retry
    else:
        # Rejected requests never work; an ambiguous one may have arrived: sending it again
        # could show it twice, so it is reported as failed rather than queued for a retry.
        status = DeliveryStatus.failed
    return DeliveryResult(
        status,
        error=f"{failure.kind}: {failure.detail}"[:500],
        retry_after=failure.retry_after,
        attempts=tally.attempts,
    )


# --- inbound -----------------------------------------------------------------------------


class Lanes:
    """Runs jobs one at a time per key, in submission order; different keys run concurrently."""

    def __init__(self) -> None:
        self._tails: dict[str, asyncio.Task[bool]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def submit(self, key: str, job: Callable[[], Awaitable[None]]) -> asyncio.Task[bool]:
        """Queue `job` behind the jobs already queued for `key`; the task says if it succeeded."""
        previous = self._tails.get(key)
        task = asyncio.create_task(self._run(key, previous, job))
        self._tails[key] = task
        self.track(task)
        task.add_done_callback(lambda done: self._release(key, done))
        return task

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run `coro` in the background, outside any lane, waited for on shutdown."""
        task = asyncio.create_task(coro)
        self.track(task)
        return task

    def track(self, task: asyncio.Task[Any]) -> None:
        """Count `task` as in flight until it ends."""
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def in_flight(self) -> int:
        """Jobs queued or running."""
        return len(self._tasks)

    async def drain(self, within: float) -> bool:
        """Wait for every job (also ones queued meanwhile); cancel leftovers after `within` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while self._tasks:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await asyncio.wait(set(self._tasks), timeout=remaining)
        if not self._tasks:
            return True
        log.warning("%d updates still running after %.0f s; cancelling", len(self._tasks), within)
        leftovers = set(self._tasks)
        for task in leftovers:
            task.cancel()
        await asyncio.wait(leftovers)
        return False

    @staticmethod
    async def _run(
        key: str, previous: asyncio.Task[bool] | None, job: Callable[[], Awaitable[None]]
    ) -> bool:
        if previous is not None:
            await asyncio.wait({previous})  # its outcome does not matter, only its turn
        try:
            await job()
        except LeftForRedelivery as left:
            log.warning("%s of %s left for redelivery", left, key)
            return False
        except Exception:
            log.exception("update of %s failed", key)
            return False
        return True

    def _release(self, key: str, task: asyncio.Task[bool]) -> None:
        if self._tails.get(key) is task:
            del self._tails[key]


class Inbox:
    """Where a channel's events meet the engine: ordered per user, replies delivered."""

    def __init__(
        self, channel: str, engine: Engine, db: Database, sender: Sender, spool: Spool
    ) -> None:
        self.channel = channel
        self.engine = engine
        self.db = db
        self.sender = sender
        self.spool = spool
        self.lanes = Lanes()
        self.closed = False

    def submit(
        self, user_id: str, job: Callable[[], Awaitable[None]]
    ) -> asyncio.Task[bool] | None:
        """Queue work for one user; None once the inbox is closed (shutting down)."""
        if self.closed:
            log.info("%s: shutting down, update of %s left for redelivery", self.channel, user_id)
            return None
        return self.lanes.submit(user_id, job)

    async def seen(self, update_id: str) -> bool:
        """Whether the engine already handled this update (skip downloading it again)."""
        async with self.db.session() as session:
            return await Repos.of(session).updates.seen(self.channel, update_id)

    async def files_taken(self, user_id: str) -> frozenset[Kind]:
        """The kinds of file this user's step can take now (download nothing else)."""
        return await self.engine.files_taken(self.channel, user_id)

    async def process(self, chat_id: str, event: Incoming) -> list[Delivery]:
        """Hand the event to the engine and deliver what it answers to `chat_id`; raises
        `LeftForRedelivery` (after the apology is sent) when a transient failure left the update
        unrecorded, so a webhook answers with an error and the platform sends it again."""
        try:
            outcome = await self.engine.handle_event(event)
        finally:
            # Spooled files are a hand-over: the handler copied what it keeps.
            self.spool.discard(event.media)
        replies = outcome.replies
        results = await deliver_replies(self.sender, chat_id, replies)
        if any(result.status is DeliveryStatus.blocked for result in results):
            await self.mark_unreachable(event.user_id)
        for result in results:
            if result.status in (DeliveryStatus.retry, DeliveryStatus.failed):
                log.warning(
                    "%s: reply to update %s not delivered: %s",
                    self.channel,
                    event.update_id,
                    result.error,
                )
        if not outcome.handled:
            raise LeftForRedelivery(f"{self.channel} update {event.update_id}")
        return results

    async def mark_unreachable(self, user_id: str) -> None:
        """Remember that this user blocked the bot (proactive messages stop)."""
        async with self.db.session() as session:
            found = await Repos.of(session).users.mark_unreachable(self.channel, user_id)
        if found:
            log.info("%s: user %s blocked the bot; marked unreachable", self.channel, user_id)

    async def close(self, grace: float) -> bool:
        """Take no new work; let running work finish within `grace` seconds."""
        self.closed = True
        return await self.lanes.drain(grace)


async def wait_bounded(task: asyncio.Task[bool], within: float) -> bool | None:
    """The task's result, or None when it runs longer than `within` s (it keeps running)."""
    try:
        return await asyncio.wait_for(asyncio.shield(task), within)
    except TimeoutError:
        return None


class Adapter:
    """A platform adapter: receives updates, hands them to the engine, sends the replies.

    What every adapter sets up the same way lives here: its inbox and download spool, the
    webhook secret, and the HTTP session that fetches users' files.
    """

    name: str

    @staticmethod
    def storable(body: Any) -> Any:
        """A platform's decoded JSON with every string storable (no NUL, no lone surrogate)."""
        return clean_update(body)

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        db: Database,
        sender: Sender,
        secret: SecretStr | None,
    ) -> None:
        self.settings = settings
        self.sender = sender
        self.spool = Spool(settings.media_dir)
        self.inbox = Inbox(self.name, engine, db, sender, self.spool)
        self.secret = secret.get_secret_value() if secret else ""
        self._downloads: aiohttp.ClientSession | None = None

    def open_downloads(self) -> None:
        """Open the download session and clear what a previous run left in the spool."""
        self._downloads = aiohttp.ClientSession()
        self.spool.sweep()

    async def close_inbox(self, grace: float) -> bool:
        """Let running updates finish (within `grace` seconds), then close the download session;
        whether they all finished."""
        drained = await self.inbox.close(grace)
        if self._downloads is not None:
            await self._downloads.close()
        return drained

    def secret_given(self, request: web.Request, header: str) -> bool:
        """Whether a webhook request carries the secret in `header` (a miss is logged)."""
        if secret_matches(request.headers.get(header), self.secret):
            return True
        log.warning("%s webhook: wrong or missing secret from %s", self.name, request.remote)
        return False


def secret_matches(given: str | None, expected: str) -> bool:
    """Compare a webhook secret header in constant time (a missing header never matches)."""
    if given is None or not expected:
        return False
    return hmac.compare_digest(
        given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape")
    )
