"""Changing and cancelling a deadline, and telling overseers when units submit.

A change (title, due date) withdraws the reminders not yet sent — the planner queues the one
valid now again, written for the new title and date — and tells the officers of the units
that still owe the report. A cancellation withdraws them for good and tells the same officers
that the report is no longer needed. Reminders already sent stay sent.

When units submit, the officers of the unit above and every admin get one digest per planner
run listing what came in: many units submitting together make one message, not many.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

from bot.core import i18n
from bot.core.chat import Reply, choice, escape
from bot.core.clock import Clock
from bot.core.config import Settings
from bot.core.i18n import Catalogs, _
from bot.deadlines.planner import due_phrase, last_day
from bot.delivery.outbox import Lane, Rendering, in_quiet_hours, queue_rendered
from db.models import Deadline, Submission, Unit, User
from db.repositories import Repos
from db.session import Database

TITLE_MIN, TITLE_MAX = 3, 200


class DeadlineChangeError(ValueError):
    """The change cannot be made; `reason` says why ("missing", "cancelled", "title", "due")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def deadline_prefix(key: str) -> str:
    """The start of every outbox key of a deadline's reminders and notices."""
    return f"dl:{key}:"


@dataclass(frozen=True, slots=True)
class Change:
    """What a change did: the deadline as it is now, and the officers told."""

    deadline: Deadline
    told: int
    withdrawn: int


def check_title(title: str) -> str:
    """The title with its spaces tidied; DeadlineChangeError("title") when too short or long."""
    tidy = " ".join(title.split())
    if not TITLE_MIN <= len(tidy) <= TITLE_MAX:
        raise DeadlineChangeError("title")
    return tidy


def check_due(due: date, today: date) -> date:
    """A due date at least two days ahead ("before" it leaves a last day) and within a year."""
    if due <= today + timedelta(days=1) or due > today + timedelta(days=366):
        raise DeadlineChangeError("due")
    return due


async def _live(repos: Repos, deadline_id: int) -> Deadline:
    deadline = await repos.deadlines.get(deadline_id)
    if deadline is None:
        raise DeadlineChangeError("missing")
    if deadline.cancelled_at is not None:
        raise DeadlineChangeError("cancelled")
    await repos.deadlines.lock([deadline.id])
    return deadline


async def edit_deadline(
    repos: Repos,
    deadline_id: int,
    *,
    title: str | None,
    due: date | None,
    settings: Settings,
    catalogs: Catalogs,
    now: datetime,
) -> Change:
    """Change the title and/or due date; reminders not yet sent are replaced."""
    deadline = await _live(repos, deadline_id)
    today = now.astimezone(settings.tz).date()
    if title is not None:
        deadline.title = check_title(title)
    if due is not None and due != deadline.due_date:
        deadline.due_date = check_due(due, today)
    withdrawn = await repos.outbox.delete_pending(deadline_prefix(deadline.key))
    stamp = int(now.timestamp())

    def notice() -> Reply:
        head = _("✏️ **Report deadline changed: {title}**").format(title=escape(deadline.title))
        line = _("It is now due {due} (the last day is {last_day}).").format(
            due=due_phrase(deadline.due_date),
            last_day=i18n.format_day(last_day(deadline.due_date)),
        )
        return Reply(f"{head}\n{line}", choices=(choice("dl", label=_("📊 Reporting deadlines")),))

    told = await _tell_owing(repos, deadline, f"changed-{stamp}", notice, settings, catalogs, now)
    return Change(deadline, told, withdrawn)


async def cancel_deadline(
    repos: Repos, deadline_id: int, *, settings: Settings, catalogs: Catalogs, now: datetime
) -> Change:
    """Withdraw a deadline: no more reminders; the officers who owed it are told."""
    deadline = await _live(repos, deadline_id)
    deadline.cancelled_at = now
    withdrawn = await repos.outbox.cancel_pending(
        deadline_prefix(deadline.key), reason="deadline cancelled"
    )

    def notice() -> Reply:
        return Reply(
            _("❎ **Report deadline cancelled: {title}**").format(title=escape(deadline.title))
            + "\n"
            + _("This report is no longer needed; its reminders stop.")
        )

    told = await _tell_owing(repos, deadline, "cancelled", notice, settings, catalogs, now)
    return Change(deadline, told, withdrawn)


async def _tell_owing(
    repos: Repos,
    deadline: Deadline,
    what: str,
    build: Callable[[], Reply],
    settings: Settings,
    catalogs: Catalogs,
    now: datetime,
) -> int:
    """Queue `build()` to the officers of every unit that has not submitted yet."""
    owed = (await repos.deadlines.units_of([deadline.id]))[deadline.id]
    submitted = (await repos.deadlines.submissions_of([deadline.id]))[deadline.id]
    pending = [unit for unit in owed if unit not in submitted]
    told = 0
    rendering = Rendering(catalogs, settings.default_language)
    for user in await repos.deadlines.responsible(pending):
        # Not under the deadline's own prefix: a later change must not withdraw this notice.
        told += await queue_rendered(
            repos,
            rendering,
            user,
            build,
            key=f"dlnote:{deadline.key}:{what}:{user.id}",
            kind="deadline_notice",
            now=now,
            lane=Lane.bulk,
        )
    return told


# --- submissions digest ---------------------------------------------------------------------


async def announce_submissions(
    db: Database, settings: Settings, catalogs: Catalogs, clock: Clock
) -> int:
    """Queue one digest per overseer of the submissions not yet announced; how many queued."""
    now = clock.now()
    if in_quiet_hours(settings, now):
        return 0  # a digest written at night would wait anyway; the morning run writes it
    async with db.session() as session:
        repos = Repos.of(session)
        fresh = await repos.deadlines.unannounced(lock=not db.is_sqlite)
        if not fresh:
            return 0
        units = {unit.id: unit for unit in await repos.units.active()}
        deadlines = {s.deadline_id: await repos.deadlines.get(s.deadline_id) for s in fresh}
        admins = await repos.deadlines.admins()
        targets: dict[int, tuple[User, list[Submission]]] = {}
        for submission in fresh:
            submission.notified_at = now
            unit = units.get(submission.unit_id)
            parent = unit.parent_id if unit is not None else None
            overseers = await repos.deadlines.responsible([parent]) if parent else []
            for user in [*overseers, *admins]:
                if user.id == submission.submitted_by:
                    continue
                targets.setdefault(user.id, (user, []))[1].append(submission)
        batch = hashlib.sha256(",".join(str(s.id) for s in fresh).encode()).hexdigest()[:16]
        queued = 0
        rendering = Rendering(catalogs, settings.default_language)
        for user_id in sorted(targets):
            user, items = targets[user_id]
            queued += await queue_rendered(
                repos,
                rendering,
                user,
                partial(_digest, items, units, deadlines),
                key=f"dlsub:{batch}:{user.id}",
                kind="submissions",
                now=now,
                lane=Lane.bulk,
            )
    return queued


def _digest(
    items: Sequence[Submission],
    units: dict[str, Unit],
    deadlines: dict[int, Deadline | None],
) -> Reply:
    lines = [_("📥 **Reports submitted**")]
    for submission in sorted(items, key=lambda s: (s.deadline_id, s.at)):
        deadline = deadlines.get(submission.deadline_id)
        unit = units.get(submission.unit_id)
        name = unit.name if unit is not None else submission.unit_id
        title = deadline.title if deadline is not None else "?"
        lines.append(
            _("• {unit}: {title}").format(unit=escape(name), title=escape(title))
            + (_(" (recorded by an administrator)") if submission.via == "recorded" else "")
        )
    return Reply("\n".join(lines), choices=(choice("dl", label=_("📊 Reporting deadlines")),))
