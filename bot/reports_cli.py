"""Operators' side of invites and reports: `loa invite create`, `loa reports list|show`.

Each command opens the database itself (migrating it and syncing the org file first, as the
bot does on start), so the very first admin can be invited before Loa ever ran.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.media import open_store
from bot.operator import OperatorError, parse_day
from db.models import Report, ReportStatus, Role, Unit
from db.org import OrgMap, load_org
from db.repositories import Repos
from db.session import Database


@dataclass(frozen=True, slots=True)
class InviteBatch:
    """Codes just created (shown once: only their hashes are stored)."""

    role: str
    unit: str
    unit_name: str
    expires_at: str
    codes: list[str]


@asynccontextmanager
async def _database(settings: Settings) -> AsyncIterator[tuple[Database, OrgMap]]:
    from bot.app import sync_units

    db = Database(settings.database_url)
    try:
        await db.upgrade()
        org = load_org(settings.org_file)
        await sync_units(db, org)
        yield db, org
    finally:
        await db.close()


def _unit(org: OrgMap, text: str) -> str:
    resolution = org.resolve(text)
    if resolution.unit is None:
        raise OperatorError(f"unknown unit {text!r}: `loa org show` lists the units")
    return resolution.unit.id


async def create_invites(
    settings: Settings,
    *,
    role: str,
    unit: str,
    count: int,
    expires: str,
    clock: Clock | None = None,
) -> InviteBatch:
    """Create one-time invite codes for `role` bound to `unit`."""
    from handlers.admin import INVITABLE, issue_invites, parse_duration

    try:
        wanted = Role(role)
        valid_for = parse_duration(expires)
    except ValueError as exc:
        raise OperatorError(str(exc)) from exc
    if wanted not in INVITABLE:
        raise OperatorError(f"role must be one of {', '.join(r.value for r in INVITABLE)}")
    now = (clock or SystemClock()).now()
    async with _database(settings) as (db, org):
        unit_id = _unit(org, unit)
        async with db.session() as session:
            try:
                codes, expires_at = await issue_invites(
                    Repos.of(session),
                    role=wanted,
                    unit_id=unit_id,
                    count=count,
                    valid_for=valid_for,
                    created_by=None,
                    now=now,
                    pepper=settings.invite_pepper.get_secret_value(),
                )
            except ValueError as exc:
                raise OperatorError(str(exc)) from exc
        found = org.get(unit_id)
        unit_name = found.name if found is not None else unit_id
    local = expires_at.astimezone(settings.tz).replace(microsecond=0)
    return InviteBatch(wanted.value, unit_id, unit_name, local.isoformat(), codes)


def render_invites(batch: InviteBatch) -> str:
    """The codes as an operator reads them."""
    lines = [
        f"{len(batch.codes)} invite code(s): {batch.role} of {batch.unit_name} ({batch.unit}),"
        f" valid until {batch.expires_at}. Each works once: send /join CODE to Loa.",
        *(f"  {code}" for code in batch.codes),
    ]
    return "\n".join(lines)


def parse_since(text: str) -> date:
    """A date as 2026-11-01 or its dd/mm/yyyy form."""
    return parse_day(text, "2026-11-01")


async def list_reports(
    settings: Settings,
    *,
    unit: str | None = None,
    status: str | None = None,
    since: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Reports (newest first) of `unit` and the units under it, in `status`, done since `since`."""
    try:
        statuses = [ReportStatus(status)] if status else None
    except ValueError as exc:
        known = ", ".join(s.value for s in ReportStatus)
        raise OperatorError(f"status must be one of {known}") from exc
    since_day = parse_since(since) if since else None
    async with _database(settings) as (db, org), db.session() as session:
        repos = Repos.of(session)
        units = await repos.reports.subtree(_unit(org, unit)) if unit else None
        reports, _total = await repos.reports.find(
            units=units, statuses=statuses, since=since_day, limit=limit
        )
        counts = await repos.reports.media_counts([r.id for r in reports])
        rows = []
        for report in reports:
            reporter = await repos.users.get(report.reporter_id)
            unit_row = await repos.units.get(report.unit_id)
            rows.append(
                {
                    **_answers(report, unit_row),
                    "photos": counts.get(report.id, 0),
                    "reporter_id": report.reporter_id,
                    "reporter": reporter.display_name if reporter else "",
                    "submitted_at": _iso(report.submitted_at, settings),
                    "updated_at": _iso(report.updated_at, settings),
                }
            )
    return rows


def _answers(report: Report, unit_row: Unit | None) -> dict[str, Any]:
    """The fields both the list and the detail view show."""
    return {
        "id": report.id,
        "status": report.status,
        "unit": report.unit_id,
        "unit_name": unit_row.name if unit_row else report.unit_id,
        "activity": report.activity,
        "activity_other": report.activity_other,
        "date": report.activity_date.isoformat() if report.activity_date else None,
        "participants": report.participants,
        "ethnic_minority": report.ethnic_minority,
        "women": report.women,
    }


def render_list(rows: list[dict[str, Any]]) -> str:
    """Reports as a table for the terminal."""
    if not rows:
        return "no reports"
    lines = []
    for row in rows:
        activity = row["activity"] or "-"
        if row["activity_other"]:
            activity += f" ({row['activity_other']})"
        lines.append(
            f"#{row['id']:<5} {row['status']:<10} {row['date'] or '-':<10} "
            f"{row['unit']:<20} {activity:<30} people {row['participants']}, "
            f"photos {row['photos']}, by {row['reporter'] or row['reporter_id']}"
        )
    return "\n".join(lines)


async def show_report(settings: Settings, report_id: int) -> dict[str, Any]:
    """Everything stored about one report: answers, attachments and the audit trail."""
    store = open_store(settings)
    async with _database(settings) as (db, _org), db.session() as session:
        repos = Repos.of(session)
        report = await repos.reports.get(report_id)
        if report is None:
            raise OperatorError(f"no report #{report_id}")
        reporter = await repos.users.get(report.reporter_id)
        media = await repos.reports.media(report.id)
        events = await repos.reports.events(report.id)
        unit_row = await repos.units.get(report.unit_id)
        return {
            **_answers(report, unit_row),
            "description": report.description,
            "location": (
                [report.latitude, report.longitude] if report.latitude is not None else None
            ),
            "reporter": {
                "id": report.reporter_id,
                "name": reporter.display_name if reporter else "",
                "channel": reporter.channel if reporter else "",
                "role": reporter.role if reporter else "",
                "unit": reporter.unit_id if reporter else None,
            },
            "created_at": _iso(report.created_at, settings),
            "submitted_at": _iso(report.submitted_at, settings),
            "updated_at": _iso(report.updated_at, settings),
            "media": [
                {
                    "kind": item.kind,
                    "sha256": item.sha256,
                    "path": str(store.local_path(item.path)),
                    "thumbnail": str(store.local_path(item.thumb_path))
                    if item.thumb_path
                    else None,
                    "mime": item.mime,
                    "size": item.size,
                    "width": item.width,
                    "height": item.height,
                    "taken_at": _iso(item.taken_at, settings),
                    "gps": [item.gps_lat, item.gps_lon] if item.gps_lat is not None else None,
                    "duplicate": item.duplicate,
                }
                for item in media
            ],
            "events": [
                {
                    "at": _iso(event.at, settings),
                    "actor_id": event.actor_id,
                    "actor": actor.display_name if actor else "",
                    "from": event.from_status,
                    "to": event.to_status,
                    "note": event.note,
                }
                for event, actor in events
            ],
        }


def render_report(data: dict[str, Any]) -> str:
    """One report for the terminal."""
    activity = data["activity"] or "-"
    if data["activity_other"]:
        activity += f" ({data['activity_other']})"
    reporter = data["reporter"]
    lines = [
        f"Report #{data['id']} — {data['status']}",
        f"  activity:      {activity}",
        f"  unit:          {data['unit_name']} ({data['unit']})",
        f"  date:          {data['date'] or '-'}",
        f"  participants:  {data['participants']} (ethnic minority {data['ethnic_minority']}, "
        f"women {data['women']})",
        f"  description:   {data['description'] or '-'}",
        f"  location:      {data['location'] or '-'}",
        f"  reporter:      {reporter['name'] or '-'} (user {reporter['id']}, {reporter['role']}"
        f" of {reporter['unit']}, {reporter['channel']})",
        f"  submitted:     {data['submitted_at'] or '-'}",
        "  media:",
    ]
    for item in data["media"]:
        flags = " DUPLICATE" if item["duplicate"] else ""
        shape = f" {item['width']}x{item['height']}" if item["width"] else ""
        taken = f" taken {item['taken_at']}" if item["taken_at"] else ""
        gps = f" gps {item['gps']}" if item["gps"] else ""
        lines.append(
            f"    {item['kind']} {item['sha256'][:12]} {item['size']} B{shape}{taken}{gps}"
            f"{flags}\n      {item['path']}"
        )
    lines.append("  history:")
    for event in data["events"]:
        note = f": {event['note']}" if event["note"] else ""
        lines.append(
            f"    {event['at']} {event['from']} → {event['to']} by "
            f"{event['actor'] or event['actor_id']}{note}"
        )
    return "\n".join(lines)


def _iso(at: datetime | None, settings: Settings) -> str | None:
    return at.astimezone(settings.tz).isoformat() if at is not None else None


def invite_json(batch: InviteBatch) -> dict[str, Any]:
    """The batch as JSON-ready data."""
    return asdict(batch)
