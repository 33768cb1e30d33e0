"""The periodic tally: approved reports of a period and a scope, counted once for every view.

`loa reports summary`, the tally in chat and both export files (bot/exports/) read the same
`Summary`, so their figures cannot disagree. Only approved reports count: a report an officer
has not accepted is not yet a result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from bot.core.chat import fold
from bot.core.config import Settings
from bot.reports.media import MediaStore, open_store
from db.models import Report, ReportMedia, Submission, Unit, UnitKind, User
from db.repositories import Repos
from db.repositories.units import tree_order

# Deadlines "for" a period fall due from a month after it starts to a month after it ends:
# the plan's reports are due ten days after the default windows close.
DEADLINE_LAG = timedelta(days=31)

# Words that mark a sentence of a report as a difficulty or a proposal (folded: no accents).
_NOTE_WORDS = (
    "kho khan",
    "vuong mac",
    "han che",
    "bat cap",
    "de xuat",
    "kien nghi",
    "de nghi",
    "can ho tro",
    "mong muon",
)
_SENTENCES = re.compile(r"(?<=[.!?…])\s+|\n+")
_RANGE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})\s*$")
_HALF = re.compile(r"^\s*(\d{4})-[Hh]1\s*$")
_YEAR = re.compile(r"^\s*(\d{4})\s*$")


class PeriodError(ValueError):
    """A period that cannot be read (the message says what is expected)."""


@dataclass(frozen=True, slots=True)
class Period:
    """A reporting period: "2026-H1", "2026" or a range of days, both ends included."""

    label: str
    kind: str  # "h1", "year" or "range"
    start: date
    end: date
    year: int | None = None

    def contains(self, day: date) -> bool:
        """Whether `day` is in the period."""
        return self.start <= day <= self.end

    @property
    def slug(self) -> str:
        """The label as it can appear in a file name."""
        return self.label.replace("..", "_")


def _window(year: int, window: str) -> tuple[date, date]:
    start_text, _sep, end_text = window.partition("..")
    start_month, start_day = (int(n) for n in start_text.split("-"))
    end_month, end_day = (int(n) for n in end_text.split("-"))
    end = date(year, end_month, end_day)
    start = date(year, start_month, start_day)
    if start > end:  # "12-01..11-30": the window starts in the previous year
        start = date(year - 1, start_month, start_day)
    return start, end


def half_year(year: int, settings: Settings) -> Period:
    """The first half of `year` as REPORT_PERIOD_H1 defines it."""
    start, end = _window(year, settings.report_period_h1)
    return Period(f"{year}-H1", "h1", start, end, year)


def whole_year(year: int, settings: Settings) -> Period:
    """The reporting year `year` as REPORT_PERIOD_YEAR defines it."""
    start, end = _window(year, settings.report_period_year)
    return Period(str(year), "year", start, end, year)


def parse_period(text: str, settings: Settings) -> Period:
    """Read "2026-H1", "2026" or "2026-01-01..2026-03-31"; PeriodError otherwise."""
    if match := _HALF.match(text):
        return half_year(int(match.group(1)), settings)
    if match := _YEAR.match(text):
        return whole_year(int(match.group(1)), settings)
    if match := _RANGE.match(text):
        try:
            start, end = (date.fromisoformat(match.group(n)) for n in (1, 2))
        except ValueError as exc:
            raise PeriodError(f"{text.strip()!r} has a day that does not exist") from exc
        if start > end:
            raise PeriodError(f"the period {text.strip()!r} ends before it starts")
        return Period(f"{start.isoformat()}..{end.isoformat()}", "range", start, end)
    raise PeriodError(
        f"expected a period like 2026-H1, 2026 or 2026-01-01..2026-03-31, not {text.strip()!r}"
    )


def recent_periods(today: date, settings: Settings) -> list[Period]:
    """The periods an officer most likely reports on today: the three that ended last, most
    recent first, then the one in progress."""
    candidates = [
        build(year, settings)
        for year in range(today.year - 2, today.year + 2)
        for build in (half_year, whole_year)
    ]
    ended = sorted((p for p in candidates if p.end < today), key=lambda p: p.end, reverse=True)
    running = sorted((p for p in candidates if p.start <= today <= p.end), key=lambda p: p.end)
    return ended[:3] + running[:1]


# --- the figures ----------------------------------------------------------------------------


@dataclass(slots=True)
class Tally:
    """Counts over a set of approved reports. Ethnic-minority and women are summed over the
    reports that recorded them (they are optional in the report flow)."""

    reports: int = 0
    participants: int = 0
    ethnic_minority: int = 0
    women: int = 0
    # Participants of the reports that recorded how many were ethnic minority: the base of
    # the share, so a report that skipped the question does not dilute it.
    ethnic_minority_base: int = 0

    def add(self, row: ReportRow) -> None:
        """Count one report."""
        self.reports += 1
        self.participants += row.participants
        if row.ethnic_minority is not None:
            self.ethnic_minority += row.ethnic_minority
            self.ethnic_minority_base += row.participants
        if row.women is not None:
            self.women += row.women

    @property
    def ethnic_minority_share(self) -> float | None:
        """Ethnic-minority participants per participant, where recorded (None: never)."""
        if not self.ethnic_minority_base:
            return None
        return self.ethnic_minority / self.ethnic_minority_base


@dataclass(frozen=True, slots=True)
class Photo:
    """A stored photo of a report."""

    path: Path
    name: str
    taken_at: datetime | None


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One approved report as the exports show it."""

    id: int
    day: date
    unit_id: str
    unit_name: str
    village: str  # the unit's name when the report's place is a village, else ""
    activity: str
    activity_other: str
    participants: int
    ethnic_minority: int | None
    women: int | None
    themes: tuple[str, ...]  # Dự án 8 topics, where the reporter named them
    young_people: int | None
    children: int | None
    description: str
    reporter_role: str
    photos: tuple[Photo, ...]


@dataclass(frozen=True, slots=True)
class SubmissionRow:
    """A unit's state for a deadline of the period."""

    deadline: str
    due_date: date  # as the plan writes it: the report is due before this day
    unit_id: str
    unit_name: str
    state: str  # "submitted", "due" or "late"
    submitted_on: date | None
    via: str
    note: str
    document_name: str


@dataclass(frozen=True, slots=True)
class Quote:
    """A sentence about a difficulty or a proposal, as written in a report or a submission."""

    text: str
    unit_name: str
    day: date
    report_id: int | None = None


@dataclass
class Summary:
    """Everything the exports and the tallies show for one period and one scope."""

    period: Period
    scope_id: str | None
    # The unit the report speaks for (the scope, or the root of the map) and its parent: the
    # draft report's issuing body.
    issuer: Unit | None
    issuer_parent: Unit | None
    units: list[Unit]
    rows: list[ReportRow]
    deadlines: list[SubmissionRow]
    quotes: list[Quote]
    total: Tally = field(default_factory=Tally)
    by_activity: dict[str, Tally] = field(default_factory=dict)
    by_unit: dict[str, Tally] = field(default_factory=dict)
    by_unit_activity: dict[tuple[str, str], Tally] = field(default_factory=dict)
    by_month: dict[tuple[int, int], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for row in self.rows:
            self.total.add(row)
            self.by_activity.setdefault(row.activity, Tally()).add(row)
            self.by_unit.setdefault(row.unit_id, Tally()).add(row)
            self.by_unit_activity.setdefault((row.unit_id, row.activity), Tally()).add(row)
            month = (row.day.year, row.day.month)
            self.by_month[month] = self.by_month.get(month, 0) + 1

    @property
    def scope_name(self) -> str:
        """The name of the unit the figures are about."""
        return self.issuer.name if self.issuer is not None else ""

    @property
    def empty(self) -> bool:
        """Whether the period has no approved report in the scope."""
        return not self.rows

    def months(self) -> list[tuple[int, int]]:
        """Every month the period touches, in order."""
        months = []
        year, month = self.period.start.year, self.period.start.month
        while (year, month) <= (self.period.end.year, self.period.end.month):
            months.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months

    def unit_name(self, unit_id: str) -> str:
        """A unit's name (its id when it is not known)."""
        return next((u.name for u in self.units if u.id == unit_id), unit_id)


async def summarize(
    repos: Repos,
    settings: Settings,
    period: Period,
    *,
    scope: str | None = None,
    today: date,
) -> Summary:
    """Count the approved reports of `period` in `scope` (a unit and those under it; None: all);
    `today` tells which deadlines are late."""
    all_units = await repos.units.active()
    unit_ids = await repos.reports.subtree(scope) if scope is not None else None
    by_id = {unit.id: unit for unit in all_units}
    if scope is not None:
        for unit in await _units_by_id(repos, unit_ids or set(), by_id):
            by_id.setdefault(unit.id, unit)
    found = await repos.reports.approved_between(period.start, period.end, unit_ids)
    photos = await repos.reports.photos_of([report.id for report, _user in found])
    store = open_store(settings)
    rows = [
        _row(report, reporter, by_id.get(report.unit_id), photos.get(report.id, []), store)
        for report, reporter in found
    ]
    used = {row.unit_id for row in rows}
    units = [
        unit
        for unit in tree_order(by_id.values())
        if (unit_ids is None or unit.id in unit_ids) and (unit.id in used or unit.reporting)
    ]
    deadlines = await _deadlines(repos, period, unit_ids, by_id, today, settings)
    issuer = by_id.get(scope) if scope is not None else _root(all_units)
    if issuer is None and scope is not None:
        issuer = await repos.units.get(scope)
    parent = None
    if issuer is not None and issuer.parent_id is not None:
        parent = by_id.get(issuer.parent_id) or await repos.units.get(issuer.parent_id)
    return Summary(
        period=period,
        scope_id=scope,
        issuer=issuer,
        issuer_parent=parent,
        units=units,
        rows=rows,
        deadlines=deadlines,
        quotes=_quotes(rows, deadlines),
    )


async def _units_by_id(repos: Repos, ids: Iterable[str], known: dict[str, Unit]) -> list[Unit]:
    """Units of the scope that left the map (inactive) still name their old reports."""
    found = []
    for unit_id in ids:
        if unit_id not in known and (unit := await repos.units.get(unit_id)) is not None:
            found.append(unit)
    return found


def _root(units: Sequence[Unit]) -> Unit | None:
    roots = [unit for unit in units if unit.parent_id is None]
    return min(roots, key=lambda u: u.position) if roots else None


def _row(
    report: Report,
    reporter: User | None,
    unit: Unit | None,
    photos: Sequence[ReportMedia],
    store: MediaStore,
) -> ReportRow:
    assert report.activity_date is not None  # approved reports always have their date
    return ReportRow(
        id=report.id,
        day=report.activity_date,
        unit_id=report.unit_id,
        unit_name=unit.name if unit is not None else report.unit_id,
        village=(
            report.place_text
            or (unit.name if unit is not None and unit.kind == UnitKind.village.value else "")
        ),
        activity=report.activity or "other",
        activity_other=report.activity_other,
        participants=report.participants or 0,
        ethnic_minority=report.ethnic_minority,
        women=report.women,
        themes=tuple(report.themes or ()),
        young_people=report.young_people,
        children=report.children,
        description=report.description,
        reporter_role=reporter.role if reporter is not None else "",
        photos=tuple(
            Photo(store.local_path(item.path), Path(item.path).name, item.taken_at)
            for item in photos
        ),
    )


async def _deadlines(
    repos: Repos,
    period: Period,
    unit_ids: set[str] | None,
    units: dict[str, Unit],
    today: date,
    settings: Settings,
) -> list[SubmissionRow]:
    rows = [
        deadline
        for deadline in await repos.deadlines.all()
        if period.start + DEADLINE_LAG < deadline.due_date <= period.end + DEADLINE_LAG
    ]
    owed = await repos.deadlines.units_of([d.id for d in rows])
    submitted = await repos.deadlines.submissions_of([d.id for d in rows])
    order = {unit.id: n for n, unit in enumerate(tree_order(units.values()))}
    found = []
    for deadline in rows:
        last_day = deadline.due_date - timedelta(days=1)
        for unit_id in sorted(owed[deadline.id], key=lambda u: order.get(u, len(order))):
            if unit_ids is not None and unit_id not in unit_ids:
                continue
            submission: Submission | None = submitted[deadline.id].get(unit_id)
            state = "submitted" if submission else ("late" if today > last_day else "due")
            found.append(
                SubmissionRow(
                    deadline=deadline.title,
                    due_date=deadline.due_date,
                    unit_id=unit_id,
                    unit_name=units[unit_id].name if unit_id in units else unit_id,
                    state=state,
                    submitted_on=submission.at.astimezone(settings.tz).date()
                    if submission
                    else None,
                    via=submission.via if submission else "",
                    note=submission.note if submission else "",
                    document_name=submission.document_name if submission else "",
                )
            )
    return found


def _quotes(rows: Sequence[ReportRow], deadlines: Sequence[SubmissionRow]) -> list[Quote]:
    """Sentences naming a difficulty or a proposal, quoted as written, oldest first."""
    quotes = [
        Quote(sentence, row.unit_name, row.day, row.id)
        for row in rows
        for sentence in _note_sentences(row.description)
    ]
    quotes.extend(
        Quote(sentence, item.unit_name, item.submitted_on, None)
        for item in deadlines
        if item.submitted_on is not None
        for sentence in _note_sentences(item.note)
    )
    return sorted(quotes, key=lambda q: (q.day, q.report_id or 0))


def _note_sentences(text: str) -> list[str]:
    return [
        sentence.strip()
        for sentence in _SENTENCES.split(text)
        if sentence.strip() and any(word in fold(sentence) for word in _NOTE_WORDS)
    ]
