"""Reporting deadlines: the rules file, each deadline's calendar of reminders, and the planner.

The plan's reporting duty (db/org/deadlines.yaml) becomes deadline rows: each recurring rule
is materialised once per year when it opens, so submissions attach to a concrete deadline;
ad-hoc deadlines are rows from the start. A date means "before": due 10/6 is "trước ngày
10/6", the last day to submit is 9/6, and reminder offsets count from that last day.

The planner turns open deadlines into outbox rows. Every reminder has a slot in the calendar
(`before-7d`, `before-3d`, `before-1d`, `due`, `overdue-1d`, …, `new` for an ad-hoc request,
and `escalation`), valid from its moment (08:00 local by default) until the next slot's.
Each run queues, for every unit that has not submitted, the slot valid *now* to each of the
unit's officers, under a dedupe key `dl:<deadline>:<unit>:<slot>:<user>`:

- planning twice queues once (the key), and several processes may plan at once;
- a process that was down catches up with the one slot valid now — not a burst of every
  missed one — and its text is written for now ("2 days left", "3 days late"), so a missed
  `before-3d` sent a day late says the right thing;
- no planning in quiet hours: a text written at 23:00 would be stale when the morning
  releases it; the first run after the quiet hours plans instead.

`preview` runs the same code without writing anything, so `loa reminders preview --at T`
cannot disagree with what the scheduler queues at T.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.core import i18n
from bot.core.chat import Choice, Reply, choice, escape
from bot.core.clock import Clock
from bot.core.config import Settings
from bot.core.i18n import Catalogs, _, format_day
from bot.delivery.outbox import Lane, in_quiet_hours, to_payload
from db.models import Deadline, Role, Submission, Unit, User
from db.repositories import Repos
from db.repositories.deadlines import DocumentInfo
from db.repositories.units import tree_order as tree_order  # re-exported: handlers use it
from db.session import Database

ADHOC_PREFIX = "adhoc:"
ESCALATION = "escalation"
NEW = "new"
DUE = "due"


class RulesFileError(ValueError):
    """The deadlines file is malformed; the message says where."""


@dataclass(frozen=True, slots=True)
class Schedule:
    """When to remind about one deadline, relative to its last day."""

    before_days: tuple[int, ...] = (7, 3, 1)
    on_due_day: bool = True
    overdue_days: int = 30
    escalate_after_days: int | None = 3
    remind_at: time = time(8, 0)

    def to_json(self) -> dict[str, Any]:
        """The schedule as stored with a deadline."""
        return {
            "before_days": list(self.before_days),
            "on_due_day": self.on_due_day,
            "overdue_days": self.overdue_days,
            "escalate_after_days": self.escalate_after_days,
            "remind_at": self.remind_at.strftime("%H:%M"),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any], base: Schedule | None = None) -> Schedule:
        """A schedule from stored JSON or YAML, missing fields taken from `base`."""
        base = base or cls()
        try:
            before = raw.get("before_days", base.before_days)
            escalate = raw.get("escalate_after_days", base.escalate_after_days)
            remind = raw.get("remind_at", base.remind_at)
            schedule = cls(
                before_days=tuple(sorted({int(n) for n in before}, reverse=True)),
                on_due_day=bool(raw.get("on_due_day", base.on_due_day)),
                overdue_days=int(raw.get("overdue_days", base.overdue_days)),
                escalate_after_days=None if escalate in (None, False) else int(escalate),
                remind_at=remind if isinstance(remind, time) else _parse_time(str(remind)),
            )
        except (TypeError, ValueError) as exc:
            raise RulesFileError(f"bad reminder schedule {dict(raw)}: {exc}") from exc
        if any(n <= 0 for n in schedule.before_days) or schedule.overdue_days < 0:
            raise RulesFileError("before_days must be positive, overdue_days not negative")
        if schedule.escalate_after_days is not None and schedule.escalate_after_days < 1:
            raise RulesFileError("escalate_after_days must be at least 1")
        return schedule


def _parse_time(text: str) -> time:
    hours, _sep, minutes = text.strip().partition(":")
    return time(int(hours), int(minutes or 0))


@dataclass(frozen=True, slots=True)
class Rule:
    """A recurring deadline: every year on a day and month, for some units."""

    id: str
    title: str  # may hold "{year}"
    month: int
    day: int
    units: tuple[str, ...] | None  # None: every unit marked `reporting: true`
    schedule: Schedule
    open_days_before: int

    def due_date(self, year: int) -> date:
        """The due date ("before" this day) in `year`."""
        return date(year, self.month, self.day)

    def key(self, year: int) -> str:
        """The stable key of the deadline of `year`."""
        return f"rule:{self.id}:{year}"

    def title_for(self, year: int) -> str:
        """The deadline's title in `year`."""
        return self.title.replace("{year}", str(year))


@dataclass(frozen=True, slots=True)
class RuleBook:
    """The deadlines file: defaults and recurring rules."""

    defaults: Schedule
    open_days_before: int
    rules: tuple[Rule, ...]


def load_rules(path: Path) -> RuleBook:
    """Read and validate the deadlines file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RulesFileError(f"{path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise RulesFileError(f"{path}: expected a mapping with 'defaults' and 'rules'")
    defaults_raw = raw.get("defaults") or {}
    try:
        defaults = Schedule.from_json(defaults_raw)
        open_days = int(defaults_raw.get("open_days_before", 60))
        rules = tuple(_rule(item, defaults, open_days) for item in raw.get("rules") or [])
    except RulesFileError as exc:
        raise RulesFileError(f"{path}: {exc}") from exc
    ids = [rule.id for rule in rules]
    if len(ids) != len(set(ids)):
        raise RulesFileError(f"{path}: duplicate rule ids")
    return RuleBook(defaults, open_days, rules)


def _rule(item: Any, defaults: Schedule, open_days: int) -> Rule:
    if not isinstance(item, dict) or not item.get("id") or not item.get("due"):
        raise RulesFileError("every rule needs an id and a due date (dd/mm)")
    rule_id = str(item["id"])
    if len(rule_id) > 40 or ":" in rule_id:
        raise RulesFileError(f"rule id {rule_id!r}: at most 40 characters, no ':'")
    try:
        day, month = (int(part) for part in str(item["due"]).split("/"))
        date(2001, month, day)  # a year without 29 February: every year must have the day
    except ValueError as exc:
        raise RulesFileError(f"rule {rule_id}: due must be dd/mm, got {item['due']!r}") from exc
    units = item.get("units")
    return Rule(
        id=rule_id,
        title=str(item.get("title") or rule_id),
        month=month,
        day=day,
        units=tuple(str(u) for u in units) if units else None,
        schedule=Schedule.from_json(item, defaults),
        open_days_before=int(item.get("open_days_before", open_days)),
    )


@lru_cache(maxsize=4)
def rule_book(path: Path) -> RuleBook:
    """The deadlines file at `path`, read once per process."""
    return load_rules(path)


# --- the calendar ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Slot:
    """A reminder's place in a deadline's calendar: valid from `at` until `until`."""

    kind: str
    at: datetime
    until: datetime


def last_day(due_date: date) -> date:
    """The last day to submit a report due "before" `due_date`."""
    return due_date - timedelta(days=1)


def _moment(day: date, when: time, tz: tzinfo) -> datetime:
    return datetime.combine(day, when, tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Calendar:
    """One deadline's reminder slots, escalation, and when it opens and closes."""

    last_day: date
    slots: tuple[Slot, ...]
    escalation: Slot | None
    opens_at: datetime
    closes_at: datetime

    @classmethod
    def of(
        cls,
        due_date: date,
        schedule: Schedule,
        tz: tzinfo,
        *,
        opens_at: datetime | None = None,
        open_days_before: int = 0,
        announced_at: datetime | None = None,
    ) -> Calendar:
        """The calendar of a deadline; `announced_at` (ad-hoc) replaces slots before it."""
        last = last_day(due_date)
        days: list[tuple[str, date]] = [
            (f"before-{n}d", last - timedelta(days=n)) for n in schedule.before_days
        ]
        if schedule.on_due_day:
            days.append((DUE, last))
        days += [
            (f"overdue-{n}d", last + timedelta(days=n))
            for n in range(1, schedule.overdue_days + 1)
        ]
        timed = [(kind, _moment(day, schedule.remind_at, tz)) for kind, day in days]
        if announced_at is not None:
            # An ad-hoc request is announced at once; slots it came too late for are dropped.
            timed = [(NEW, announced_at), *((k, m) for k, m in timed if m > announced_at)]
        timed.sort(key=lambda item: item[1])
        slots = tuple(
            Slot(kind, at, timed[i + 1][1] if i + 1 < len(timed) else at + timedelta(days=1))
            for i, (kind, at) in enumerate(timed)
        )
        ends = [slot.until for slot in slots]
        escalation = None
        if schedule.escalate_after_days is not None:
            at = _moment(
                last + timedelta(days=schedule.escalate_after_days), schedule.remind_at, tz
            )
            ends.append(at + timedelta(days=1))
            escalation = Slot(ESCALATION, at, max(ends))
        ends.append(_moment(last + timedelta(days=1), schedule.remind_at, tz))
        if opens_at is None:
            opens_at = _moment(last - timedelta(days=open_days_before), time(0, 0), tz)
        return cls(last, slots, escalation, opens_at, max(ends))

    def current(self, at: datetime) -> Slot | None:
        """The reminder slot valid at `at`, if any."""
        for slot in self.slots:
            if slot.at <= at < slot.until:
                return slot
        return None

    def escalating(self, at: datetime) -> bool:
        """Whether late units are escalated at `at`."""
        return self.escalation is not None and self.escalation.at <= at < self.escalation.until

    def is_open(self, at: datetime) -> bool:
        """Whether the deadline is open (shown, submittable, reminded) at `at`."""
        return self.opens_at <= at < self.closes_at


# --- deadlines as the planner and the handlers see them -------------------------------------


@dataclass(frozen=True)
class DeadlineView:
    """A deadline with its units and submissions (`id` None: not materialised yet)."""

    key: str
    id: int | None
    rule_id: str | None
    title: str
    due_date: date
    schedule: Schedule
    calendar: Calendar
    units: tuple[str, ...]
    submissions: Mapping[str, Submission] = field(default_factory=dict)
    cancelled: bool = False

    @classmethod
    def of_rule(
        cls, rule: Rule, year: int, calendar: Calendar, units: Iterable[str]
    ) -> DeadlineView:
        """The deadline `rule` makes for `year`, not materialised yet (no id, no submissions)."""
        return cls(
            key=rule.key(year),
            id=None,
            rule_id=rule.id,
            title=rule.title_for(year),
            due_date=rule.due_date(year),
            schedule=rule.schedule,
            calendar=calendar,
            units=tuple(units),
        )

    @property
    def last_day(self) -> date:
        """The last day to submit."""
        return self.calendar.last_day

    def pending(self) -> list[str]:
        """Units that have not submitted, in org order."""
        return [unit for unit in self.units if unit not in self.submissions]

    def unit_state(self, unit_id: str, today: date) -> str:
        """ "submitted", "due" (not yet late) or "late"."""
        if unit_id in self.submissions:
            return "submitted"
        return "late" if today > self.last_day else "due"


def rule_units(rule: Rule, units: Sequence[Unit]) -> list[str]:
    """The units a rule applies to on the current map, in org order."""
    if rule.units is None:
        return [unit.id for unit in units if unit.reporting]
    wanted = set(rule.units)
    return [unit.id for unit in units if unit.id in wanted]


def occurrences(rules: RuleBook, at: datetime, tz: tzinfo) -> list[tuple[Rule, int, Calendar]]:
    """The recurring deadlines open at `at`: (rule, year, calendar)."""
    today = at.astimezone(tz).date()
    found = []
    for rule in rules.rules:
        for year in (today.year - 1, today.year, today.year + 1):
            calendar = Calendar.of(
                rule.due_date(year), rule.schedule, tz, open_days_before=rule.open_days_before
            )
            if calendar.is_open(at):
                found.append((rule, year, calendar))
    return found


def upcoming(
    rules: RuleBook, at: datetime, tz: tzinfo, days: int = 400
) -> list[tuple[Rule, int, Calendar]]:
    """Recurring deadlines that open after `at`, within `days`."""
    today = at.astimezone(tz).date()
    found = []
    for rule in rules.rules:
        for year in range(today.year, today.year + 3):
            calendar = Calendar.of(
                rule.due_date(year), rule.schedule, tz, open_days_before=rule.open_days_before
            )
            if at < calendar.opens_at <= at + timedelta(days=days):
                found.append((rule, year, calendar))
    return sorted(found, key=lambda item: item[2].opens_at)


def view_of(
    deadline: Deadline,
    units: Sequence[str],
    submissions: Mapping[str, Submission],
    rules: RuleBook,
    tz: tzinfo,
) -> DeadlineView:
    """A stored deadline as the planner sees it."""
    schedule = Schedule.from_json(deadline.schedule or {}, rules.defaults)
    rule = next((r for r in rules.rules if r.id == deadline.rule_id), None)
    if deadline.rule_id is None:
        calendar = Calendar.of(
            deadline.due_date,
            schedule,
            tz,
            opens_at=deadline.created_at,
            announced_at=deadline.created_at,
        )
    else:
        open_days = rule.open_days_before if rule is not None else rules.open_days_before
        calendar = Calendar.of(deadline.due_date, schedule, tz, open_days_before=open_days)
    return DeadlineView(
        key=deadline.key,
        id=deadline.id,
        rule_id=deadline.rule_id,
        title=deadline.title,
        due_date=deadline.due_date,
        schedule=schedule,
        calendar=calendar,
        units=tuple(units),
        submissions=dict(submissions),
        cancelled=deadline.cancelled_at is not None,
    )


async def open_deadlines(
    repos: Repos,
    rules: RuleBook,
    tz: tzinfo,
    at: datetime,
    *,
    materialise: bool = True,
    lock: bool = False,
) -> list[DeadlineView]:
    """The deadlines open at `at`, soonest first.

    Recurring occurrences that opened are materialised (or, with `materialise=False`, shown as
    they would be, without writing). With `lock`, the rows stay locked until commit.
    """
    units = tree_order(await repos.units.active())
    virtual: list[DeadlineView] = []
    for rule, year, calendar in occurrences(rules, at, tz):
        key = rule.key(year)
        unit_ids = rule_units(rule, units)
        if materialise:
            await repos.deadlines.materialise(
                key=key,
                rule_id=rule.id,
                title=rule.title_for(year),
                due_date=rule.due_date(year),
                schedule=rule.schedule.to_json(),
                unit_ids=unit_ids,
                created_by=None,
                now=at,
            )
        elif await repos.deadlines.by_key(key) is None:
            virtual.append(DeadlineView.of_rule(rule, year, calendar, unit_ids))
    # Nothing closes later than a year after it is due, so older rows need not be read.
    rows = await repos.deadlines.due_since(at.astimezone(tz).date() - timedelta(days=400))
    if lock:
        await repos.deadlines.lock([row.id for row in rows])
    views = await _views(repos, rows, rules, tz, units)
    found = [view for view in views if view.calendar.is_open(at)] + virtual
    return sorted(found, key=lambda v: (v.due_date, v.key))


async def all_deadlines(repos: Repos, rules: RuleBook, tz: tzinfo) -> list[DeadlineView]:
    """Every stored deadline, open or closed, soonest first."""
    units = tree_order(await repos.units.active())
    return await _views(repos, await repos.deadlines.all(), rules, tz, units)


async def _views(
    repos: Repos, rows: Sequence[Deadline], rules: RuleBook, tz: tzinfo, units: Sequence[Unit]
) -> list[DeadlineView]:
    order = {unit.id: n for n, unit in enumerate(units)}
    owed = await repos.deadlines.units_of([row.id for row in rows])
    submitted = await repos.deadlines.submissions_of([row.id for row in rows])
    views = []
    for row in rows:
        # Units that left the map are not reminded (their people and history stay).
        active = sorted((u for u in owed[row.id] if u in order), key=order.__getitem__)
        views.append(view_of(row, active, submitted[row.id], rules, tz))
    return views


def unit_prefix(deadline_key: str, unit_id: str) -> str:
    """The start of every outbox key of one unit's reminders for one deadline."""
    return f"dl:{deadline_key}:{unit_id}:"


async def record_submission(
    repos: Repos,
    deadline: DeadlineView,
    unit_id: str,
    *,
    by: User | None,
    via: str,
    note: str,
    document: DocumentInfo | None,
    now: datetime,
) -> bool:
    """Mark the unit's report as submitted and withdraw its reminders not yet sent.

    Takes the deadline's row lock first, as the planner does, so a planner run that saw the
    unit as pending has committed its reminders before they are withdrawn here.
    """
    if deadline.id is None:
        raise ValueError("a deadline must be materialised before submissions")
    await repos.deadlines.lock([deadline.id])
    added = await repos.deadlines.submit(
        deadline_id=deadline.id,
        unit_id=unit_id,
        submitted_by=by.id if by is not None else None,
        via=via,
        note=note,
        document=document,
        now=now,
    )
    if added:
        await repos.outbox.cancel_pending(
            unit_prefix(deadline.key, unit_id), reason="report submitted"
        )
    return added


async def create_adhoc(
    repos: Repos,
    rules: RuleBook,
    *,
    title: str,
    due_date: date,
    unit_ids: Sequence[str],
    created_by: int | None,
    now: datetime,
) -> Deadline:
    """Create an ad-hoc deadline ("đột xuất, khi có yêu cầu") with the default schedule."""
    return await repos.deadlines.materialise(
        key=ADHOC_PREFIX + secrets.token_hex(6),
        rule_id=None,
        title=title,
        due_date=due_date,
        schedule=rules.defaults.to_json(),
        unit_ids=list(unit_ids),
        created_by=created_by,
        now=now,
    )


# --- the planner ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedMessage:
    """One reminder the planner wants out at a moment (or a unit nobody can be told about)."""

    kind: str
    deadline_key: str
    deadline_id: int | None
    title: str
    due_date: date
    units: tuple[str, ...]
    due_at: datetime
    key: str | None  # the outbox dedupe key; None when the unit has no officer registered
    user_id: int | None
    recipient: str  # "channel:id (name)" or "" for nobody
    state: str  # "new" (queued by this run), "queued" (already in the outbox), "no-recipient"

    def as_json(self, tz: tzinfo) -> dict[str, Any]:
        """A JSON-ready description (times in local time)."""
        return {
            "deadline": self.deadline_key,
            "deadline_id": self.deadline_id,
            "title": self.title,
            "due_before": self.due_date.isoformat(),
            "units": list(self.units),
            "kind": self.kind,
            "recipient": self.recipient or None,
            "user_id": self.user_id,
            "key": self.key,
            "due_at": self.due_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            "state": self.state,
        }


@dataclass(frozen=True, slots=True)
class _Draft:
    message: PlannedMessage
    user: User | None
    build: Callable[[], Reply]


def _recipient(user: User) -> str:
    name = f" ({user.display_name})" if user.display_name else ""
    return f"{user.channel}:{user.external_id}{name}"


@dataclass(eq=False)
class Planner:
    """Turns open deadlines into outbox rows; the scheduler runs it every few minutes."""

    db: Database
    settings: Settings
    catalogs: Catalogs
    rules: RuleBook
    clock: Clock

    async def run(self) -> list[PlannedMessage]:
        """Plan at the clock's now and queue what is new (the scheduler's job)."""
        return await self.plan(self.clock.now())

    async def preview(self, at: datetime) -> list[PlannedMessage]:
        """What a run at `at` would queue, writing nothing."""
        return await self.plan(at, dry_run=True)

    async def plan(self, at: datetime, *, dry_run: bool = False) -> list[PlannedMessage]:
        """Work out the reminders due at `at`; queue the new ones unless `dry_run`."""
        at = at.astimezone(UTC)
        if in_quiet_hours(self.settings, at):
            return []
        tz = self.settings.tz
        async with self.db.session() as session:
            repos = Repos.of(session)
            views = await open_deadlines(
                repos,
                self.rules,
                tz,
                at,
                materialise=not dry_run,
                lock=not dry_run and not self.db.is_sqlite,
            )
            names = {unit.id: unit for unit in await repos.units.active()}
            drafts: list[_Draft] = []
            for view in views:
                drafts += await self._deadline(repos, view, names, at)
            keys = [d.message.key for d in drafts if d.message.key is not None]
            already = await repos.outbox.existing(keys)
            planned = []
            for draft in drafts:
                message = draft.message
                if message.key is None:
                    planned.append(message)
                    continue
                if message.key in already:
                    planned.append(dataclasses.replace(message, state="queued"))
                    continue
                planned.append(message)
                if not dry_run and draft.user is not None:
                    await self._enqueue(repos, draft, at)
        return planned

    async def _deadline(
        self, repos: Repos, view: DeadlineView, units: Mapping[str, Unit], at: datetime
    ) -> list[_Draft]:
        drafts: list[_Draft] = []
        pending = [unit for unit in view.pending() if unit in units]
        slot = view.calendar.current(at)
        if slot is not None and pending:
            officers = await repos.deadlines.responsible(pending)
            for unit_id in pending:
                unit = units[unit_id]
                mine = [user for user in officers if user.unit_id == unit_id]
                if not mine:
                    drafts.append(_Draft(self._message(view, slot, (unit_id,)), None, _none))
                for user in mine:
                    key = f"{unit_prefix(view.key, unit_id)}{slot.kind}:{user.id}"
                    message = self._message(view, slot, (unit_id,), key=key, user=user)
                    drafts.append(
                        _Draft(
                            message,
                            user,
                            _reminder_builder(view, slot.kind, unit, at, self.settings.tz),
                        )
                    )
        if view.calendar.escalating(at) and pending and view.calendar.escalation is not None:
            drafts += await self._escalations(repos, view, pending, units, at)
        return drafts

    async def _escalations(
        self,
        repos: Repos,
        view: DeadlineView,
        late: Sequence[str],
        units: Mapping[str, Unit],
        at: datetime,
    ) -> list[_Draft]:
        """One message per recipient listing the late units they oversee."""
        slot = view.calendar.escalation
        assert slot is not None  # checked by the caller
        parents = {units[u].parent_id for u in late if units[u].parent_id is not None}
        overseers = await repos.deadlines.responsible([p for p in parents if p is not None])
        admins = await repos.deadlines.admins()
        targets: dict[int, tuple[User, list[str]]] = {}
        for user in [*overseers, *admins]:
            if user.id in targets:
                continue
            watched = [
                u
                for u in late
                if user.role == Role.admin.value or units[u].parent_id == user.unit_id
            ]
            if watched:
                targets[user.id] = (user, watched)
        drafts = []
        for user_id in sorted(targets):
            user, watched = targets[user_id]
            key = f"dl:{view.key}:{ESCALATION}:{user.id}"
            message = self._message(view, slot, tuple(watched), key=key, user=user)
            named = [units[u] for u in watched]
            drafts.append(
                _Draft(message, user, _escalation_builder(view, named, at, self.settings.tz))
            )
        if not targets:
            drafts.append(_Draft(self._message(view, slot, tuple(late)), None, _none))
        return drafts

    @staticmethod
    def _message(
        view: DeadlineView,
        slot: Slot,
        units: tuple[str, ...],
        *,
        key: str | None = None,
        user: User | None = None,
    ) -> PlannedMessage:
        return PlannedMessage(
            kind=slot.kind,
            deadline_key=view.key,
            deadline_id=view.id,
            title=view.title,
            due_date=view.due_date,
            units=units,
            due_at=slot.at,
            key=key,
            user_id=user.id if user is not None else None,
            recipient=_recipient(user) if user is not None else "",
            state="new" if user is not None else "no-recipient",
        )

    async def _enqueue(self, repos: Repos, draft: _Draft, at: datetime) -> None:
        user, message = draft.user, draft.message
        assert user is not None
        assert message.key is not None
        with i18n.use(self.catalogs, user.language or self.settings.default_language):
            reply = draft.build()
        await repos.outbox.enqueue(
            key=message.key,
            user_id=user.id,
            kind="reminder" if message.kind != ESCALATION else ESCALATION,
            payload=to_payload([reply]),
            due_at=message.due_at,
            urgent=False,
            now=at,
            lane=Lane.bulk,
        )


def _none() -> Reply:
    return Reply("")


# --- what the reminders say (rendered in the recipient's language) --------------------------


def due_phrase(due_date: date) -> str:
    """ "before 10/06/2027", as the plan writes its deadlines."""
    return _("before {date}").format(date=format_day(due_date))


def _reminder_builder(
    view: DeadlineView, kind: str, unit: Unit, at: datetime, tz: tzinfo
) -> Callable[[], Reply]:
    def build() -> Reply:
        return reminder_reply(view, kind, unit, at.astimezone(tz).date())

    return build


def _escalation_builder(
    view: DeadlineView, units: Sequence[Unit], at: datetime, tz: tzinfo
) -> Callable[[], Reply]:
    def build() -> Reply:
        return escalation_reply(view, units, at.astimezone(tz).date())

    return build


def reminder_reply(view: DeadlineView, kind: str, unit: Unit, today: date) -> Reply:
    """A reminder to a unit's officer, written for `today` (a late catch-up still reads right)."""
    title, name = escape(view.title), escape(unit.name)
    due = due_phrase(view.due_date)
    left = (view.last_day - today).days
    if kind == NEW:
        head = _("📋 **New report requested: {title}**").format(title=title)
        line = _("{unit}: due {due}. The last day is {last_day}.").format(
            unit=name, due=due, last_day=format_day(view.last_day)
        )
    elif left > 0:
        head = _("⏰ **Reminder: {title}**").format(title=title)
        line = _("{unit}: due {due}. The last day is {last_day}, in {days} days.").format(
            unit=name, due=due, last_day=format_day(view.last_day), days=left
        )
    elif left == 0:
        head = _("⏰ **Today is the last day: {title}**").format(title=title)
        line = _("{unit}: due {due}.").format(unit=name, due=due)
    else:
        head = _("⚠️ **Late: {title}**").format(title=title)
        line = _("{unit}: it was due {due} and is {days} days late.").format(
            unit=name, due=due, days=-left
        )
    tail = _("When your unit's report has been sent, mark it as submitted here.")
    choices: tuple[Choice, ...] = ()
    if view.id is not None:
        choices = (choice("dls", view.id, label=_("✅ Mark as submitted")),)
    return Reply(f"{head}\n{line}\n\n{tail}", choices=choices)


def escalation_reply(view: DeadlineView, units: Sequence[Unit], today: date) -> Reply:
    """Tell the overseers and admins which units are late."""
    late = (today - view.last_day).days
    head = _("🔔 **Late reports: {title}**").format(title=escape(view.title))
    line = _(
        "Due {due}; {days} days late, these units have not marked their report as submitted:"
    ).format(due=due_phrase(view.due_date), days=late)
    names = "\n".join(f"• {escape(unit.name)}" for unit in units)
    return Reply(
        f"{head}\n{line}\n{names}",
        choices=(choice("dl", label=_("📊 Reporting deadlines")),),
    )
