"""The scheduler: plans reminders every few minutes and keeps the outbox flowing.

Two pieces of work, both of them rows in Loa's own tables, so any number of processes may run
them at once on PostgreSQL (on SQLite, one process):

- the planner (bot/deadlines.py), an APScheduler job at start and every
  PLANNER_INTERVAL_MINUTES: deadlines → outbox rows, idempotent by dedupe key; the same job
  reminds officers of unanswered questions (bot/tickets/reminders.py);
- the outbox worker (bot/outbox.py), a loop that claims due rows with SKIP LOCKED and sends
  them, every OUTBOX_INTERVAL_SECONDS or at once when woken (after a handler or the planner
  queued something);
- housekeeping: old idempotency records every six hours, and once a day the retention job
  (drafts older than RETENTION_DAYS_DRAFTS, stored files no row refers to).

APScheduler keeps its jobs in memory only: its job stores must never be shared between
processes (../shared/platform-notes.md §E.1), and nothing needs persisting — a restarted
process plans again at start and finds the rows where they were. Jobs coalesce and never run
twice at once; a run late by less than one interval still runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.app import Loa
from bot.broadcasts.results import report_done
from bot.core.clock import Clock
from bot.deadlines.changes import announce_submissions
from bot.deadlines.planner import PlannedMessage, Planner, rule_book
from bot.delivery.links import sweep_private
from bot.delivery.outbox import OutboxWorker, RateLimiter, Sender
from bot.reports.freshness import report_message_is_stale
from bot.reports.media import delete_media_if_unreferenced, open_store, sweep_orphans
from bot.tickets.reminders import TicketPlanner
from db.repositories import Repos

log = logging.getLogger(__name__)

# At most one message a second to one chat (Telegram's FAQ; assumed for Zalo too). The
# channels' senders already hold each platform's overall rate (TELEGRAM_RATE_PER_SECOND,
# ZALO_RATE_PER_SECOND), so the outbox adds only the per-chat spacing: nothing counted twice.
PER_CHAT_INTERVAL = 1.0


def channel_limiters(channels: Iterable[str]) -> dict[str, RateLimiter]:
    """The outbox's per-chat limiter for each channel."""
    return {name: RateLimiter(0.0, PER_CHAT_INTERVAL) for name in channels}


def planner_for(loa: Loa, clock: Clock | None = None) -> Planner:
    """The planner of a started Loa, reading DEADLINES_FILE."""
    settings = loa.settings
    return Planner(
        loa.db,
        settings,
        loa.services.catalogs,
        rule_book(settings.deadlines_file),
        clock or loa.services.clock,
    )


async def forget_old_updates(loa: Loa, clock: Clock | None = None) -> int:
    """Drop idempotency records older than PROCESSED_UPDATES_KEEP_DAYS.

    Platforms redeliver within hours (Telegram keeps updates at most 24 h), so a week-old
    record can no longer stop a duplicate; keeping them forever would only grow the table.
    """
    now = (clock or loa.services.clock).now()
    cutoff = now - timedelta(days=loa.settings.processed_updates_keep_days)
    async with loa.db.session() as session:
        repos = Repos.of(session)
        removed = await repos.updates.forget_before(cutoff)
        # Web desk sessions and sign-in links past their expiry no longer open anything.
        desk = await repos.desk.sweep(now)
    if removed:
        log.info("forgot %d processed-update records older than %s", removed, cutoff.date())
    if desk:
        log.info("deleted %d expired web desk sessions and sign-in links", desk)
    # Private copies behind expired links (/mydata, voice links) hold personal data: delete.
    swept = sweep_private(loa.settings)
    if swept:
        log.info("deleted %d private files whose links expired", swept)
    return removed


ORPHAN_GRACE = 24 * 3600.0  # a file younger than this may belong to a row being committed


@dataclass(frozen=True, slots=True)
class Purged:
    """What one run of the retention job deleted."""

    drafts: int
    files: int


async def purge_stale_media(loa: Loa, clock: Clock | None = None) -> Purged:
    """Delete drafts untouched for RETENTION_DAYS_DRAFTS with their files, then every stored
    file no row refers to (a cancelled submission's document, a crash between file and row)."""
    settings = loa.settings
    now = (clock or loa.services.clock).now()
    store = open_store(settings)
    cutoff = now - timedelta(days=settings.retention_days_drafts)
    async with loa.db.session() as session:
        repos = Repos.of(session)
        drafts = await repos.reports.stale_drafts(cutoff)
        digests: set[str] = set()
        for draft in drafts:
            digests |= await repos.reports.discard(draft)
        files = await delete_media_if_unreferenced(repos, store, digests)
    # File ages are wall-clock times; a link served now must keep working while it is valid.
    grace = max(ORPHAN_GRACE, settings.media_link_hours * 3600)
    async with loa.db.session() as session:
        files += await sweep_orphans(Repos.of(session), store, older_than=time.time() - grace)
    if drafts or files:
        log.info("retention: %d stale drafts and %d files deleted", len(drafts), files)
    return Purged(len(drafts), files)


JOB_NAMES = {
    "planner": "plan reminders",
    "housekeeping": "forget old processed updates",
    "retention": "delete stale drafts and files no row refers to",
}
LATER = timedelta(minutes=10)  # the retention job's first run lets start-up settle


def build_scheduler(loa: Loa, planner_job: Any) -> AsyncIOScheduler:
    """An in-memory AsyncIOScheduler: `planner_job` at start and every few minutes, and the
    daily housekeeping."""
    settings = loa.settings
    interval = settings.planner_interval_minutes * 60
    scheduler = AsyncIOScheduler(
        timezone=settings.tz,
        job_defaults={
            "coalesce": True,  # after a stall, one run catches up: planning is idempotent
            "max_instances": 1,
            "misfire_grace_time": int(interval),
        },
    )
    tz = settings.tz
    # APScheduler fires on the wall clock; the jobs themselves read the injected clock.
    now = datetime.now(tz)
    jobs: dict[str, tuple[Any, list[Any], IntervalTrigger, datetime | None]] = {
        "planner": (planner_job, [], IntervalTrigger(seconds=interval, timezone=tz), now),
        "housekeeping": (forget_old_updates, [loa], IntervalTrigger(hours=6, timezone=tz), None),
        "retention": (purge_stale_media, [loa], IntervalTrigger(days=1, timezone=tz), now + LATER),
    }
    for job_id, (job, args, trigger, first_run) in jobs.items():
        # Without a first run time, APScheduler computes it from the trigger.
        start = {"next_run_time": first_run} if first_run is not None else {}
        name = JOB_NAMES[job_id]
        scheduler.add_job(
            job, trigger, args=args, id=job_id, name=name, replace_existing=True, **start
        )
    return scheduler


class Scheduler:
    """The planner job and the outbox loop of one process."""

    def __init__(
        self,
        loa: Loa,
        worker: OutboxWorker,
        planner: Planner | None = None,
        *,
        run_worker: bool = True,
    ) -> None:
        self.loa = loa
        self.worker = worker
        # The console flushes after each line itself, so its output keeps its order.
        self.run_worker = run_worker
        self.planner = planner or planner_for(loa, worker.clock)
        services = loa.services
        self.tickets = TicketPlanner(
            loa.db, loa.settings, services.catalogs, services.org, worker.clock
        )
        self.scheduler = build_scheduler(loa, self.plan)
        worker.after_flush.append(self.report_broadcasts)
        worker.stale_checks.append(report_message_is_stale)
        self._stop = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None
        self._planning: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        """Start planning and sending; handlers' notifications wake the sender at once."""
        self.loa.services.queued.connect(self.worker.wake)
        self._stop.clear()
        if self.run_worker:
            self._loop = asyncio.create_task(
                self.worker.run(self._stop, self.loa.settings.outbox_interval_seconds)
            )
        self.scheduler.start()
        log.info(
            "scheduler running: planner every %.0f min, outbox worker %s",
            self.loa.settings.planner_interval_minutes,
            self.worker.worker_id,
        )

    async def plan(self) -> list[PlannedMessage]:
        """Run the planner once (the job); wake the sender when something was queued."""
        task = asyncio.current_task()
        if task is not None:
            self._planning.add(task)
        try:
            planned = await self.planner.run()
        except Exception:
            log.exception("planning reminders failed; the next run tries again")
            planned = []
        try:
            tickets = await self.tickets.run()
        except Exception:
            log.exception("planning question reminders failed; the next run tries again")
            tickets = []
        finally:
            if task is not None:
                self._planning.discard(task)
        queued = sum(1 for message in planned if message.state == "new") + len(tickets)
        # Polls close on the clock, not on a send: their results go out from here too.
        queued += await self.report_broadcasts()
        queued += await self.announce_submissions()
        if queued:
            log.info("planner queued %d reminders", queued)
            self.worker.wake()
        return planned

    async def announce_submissions(self) -> int:
        """Tell overseers which units submitted since the last run (one digest each)."""
        services = self.loa.services
        try:
            return await announce_submissions(
                self.loa.db, self.loa.settings, services.catalogs, self.worker.clock
            )
        except Exception:
            log.exception("announcing submissions failed; the next run tries again")
            return 0

    async def report_broadcasts(self, _flushed: object = None) -> int:
        """Tell authors about broadcasts sent to everyone and polls closed (after a flush)."""
        services = self.loa.services
        try:
            told = await report_done(
                self.loa.db, self.loa.settings, services.catalogs, services.org, self.worker.clock
            )
        except Exception:
            log.exception("reporting broadcasts failed; the next run tries again")
            return 0
        if told:
            self.worker.wake()
        return told

    async def stop(self, grace: float = 20.0) -> None:
        """Stop planning and sending; work still running after `grace` seconds is cancelled.

        A send cut off here stays "sending"; the worker records its stop, so the next start (or
        another worker) sends it again at once, flagged as a possible duplicate: nothing is lost.
        """
        if self.scheduler.running:
            # Shutting APScheduler down cancels the jobs it has started (logged as errors):
            # pause it, let a job just submitted begin, and wait for the jobs below instead.
            self.scheduler.pause()
            await asyncio.sleep(0)
        self.loa.services.queued.disconnect(self.worker.wake)
        self._stop.set()
        pending = [task for task in (self._loop, *self._planning) if task is not None]
        if pending:
            _done, late = await asyncio.wait(pending, timeout=grace)
            for task in late:
                task.cancel()
            for task in late:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down in the loop's next turn
        self._loop = None


async def start_scheduler(
    loa: Loa,
    senders: Mapping[str, Sender],
    *,
    clock: Clock | None = None,
    worker_id: str | None = None,
) -> Scheduler:
    """Build the outbox worker for these channel senders and start the scheduler."""
    worker = OutboxWorker(
        loa.db,
        senders,
        loa.settings,
        clock or loa.services.clock,
        limiters=channel_limiters(senders),
        worker_id=worker_id,
    )
    scheduler = Scheduler(loa, worker)
    await scheduler.start()
    return scheduler
