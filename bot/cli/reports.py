"""`loa reports list|show`: the operators' view of field reports.

Each command opens the database itself (migrating it and syncing the org file first, as the
bot does on start), so the very first admin can be invited before Loa ever ran.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any

import typer

from bot.cli.common import (
    JsonOption,
    OperatorError,
    echo,
    find_unit,
    load_settings,
    open_database,
    parse_day,
    settle,
    table,
)
from bot.core.chat import to_plain
from bot.core.config import Settings
from bot.core.i18n import _, format_day
from bot.reports.media import open_store
from bot.reports.summary import Summary, Tally
from db.models import Report, ReportStatus, Unit
from db.repositories import Repos
from handlers.report import activity_label, status_label


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
    async with open_database(settings) as (db, org), db.session() as session:
        repos = Repos.of(session)
        units = await repos.reports.subtree(find_unit(org, unit)) if unit else None
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
        "place_as_typed": report.place_text,
        "themes": list(report.themes or []),
        "young_people": report.young_people,
        "children": report.children,
    }


def render_list(rows: list[dict[str, Any]]) -> str:
    """Reports as a table for the terminal, in the current language: labels, not codes."""
    if not rows:
        return _("no reports")
    return "\n".join(
        table(
            [
                [
                    f"#{row['id']}",
                    status_label(row["status"]),
                    format_day(date.fromisoformat(row["date"])) if row["date"] else "-",
                    row["unit"],
                    to_plain(activity_label(row["activity"], row["activity_other"] or "")),
                    _("people {people}, photos {photos}, by {reporter}").format(
                        people=row["participants"] if row["participants"] is not None else "-",
                        photos=row["photos"],
                        reporter=row["reporter"] or row["reporter_id"],
                    ),
                ]
                for row in rows
            ]
        )
    )


async def show_report(settings: Settings, report_id: int) -> dict[str, Any]:
    """Everything stored about one report: answers, attachments and the audit trail."""
    store = open_store(settings)
    async with open_database(settings) as (db, _org), db.session() as session:
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
        f"  place typed:   {data['place_as_typed'] or '-'}",
        f"  date:          {data['date'] or '-'}",
        f"  themes:        {', '.join(data['themes']) or '-'}",
        f"  participants:  {data['participants']} (ethnic minority {data['ethnic_minority']}, "
        f"women {data['women']}, young people {data['young_people']}, "
        f"children {data['children']})",
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


app = typer.Typer(name="reports", help="Read field reports.", no_args_is_help=True)


@app.command("list")
def reports_list(
    unit: Annotated[str | None, typer.Option(help="A unit and the units under it.")] = None,
    status: Annotated[str | None, typer.Option(help="submitted, approved, …")] = None,
    since: Annotated[str | None, typer.Option(help="Activities on or after this date.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    as_json: JsonOption = False,
) -> None:
    """List field reports, newest first (drafts only with --status draft)."""

    settings = load_settings()
    rows = settle(list_reports(settings, unit=unit, status=status, since=since, limit=limit))
    echo(settings, rows, as_json, render_list)


@app.command("show")
def reports_show(
    report_id: Annotated[int, typer.Argument(help="The report number.")],
    as_json: JsonOption = False,
) -> None:
    """Show one report: answers, photos with their metadata, and its history."""

    settings = load_settings()
    data = settle(show_report(settings, report_id), exit_code=1)
    typer.echo(json.dumps(data, ensure_ascii=False) if as_json else render_report(data))


def summary_json(summary: Summary, activities: Mapping[str, str]) -> dict[str, Any]:
    """The tally as `loa reports summary --json` prints it."""

    def counts(tally: Tally) -> dict[str, Any]:
        return {
            "reports": tally.reports,
            "participants": tally.participants,
            "ethnic_minority": tally.ethnic_minority,
            "women": tally.women,
        }

    return {
        "period": {
            "label": summary.period.label,
            "start": summary.period.start.isoformat(),
            "end": summary.period.end.isoformat(),
        },
        "unit": summary.scope_id,
        "unit_name": summary.scope_name,
        **counts(summary.total),
        "by_activity": [
            {"activity": code, "label": activities.get(code, code), **counts(tally)}
            for code, tally in sorted(
                summary.by_activity.items(), key=lambda item: _position(activities, item[0])
            )
        ],
        "by_unit": [
            {"unit": unit.id, "unit_name": unit.name, **counts(summary.by_unit[unit.id])}
            for unit in summary.units
            if unit.id in summary.by_unit
        ],
    }


def _position(activities: Mapping[str, str], code: str) -> int:
    return list(activities).index(code) if code in activities else len(activities)


def render_summary(data: dict[str, Any]) -> str:
    """The tally for the terminal."""
    period = data["period"]
    lines = [
        f"{data['unit_name']}, {period['label']} ({period['start']} – {period['end']}), "
        "approved reports",
        f"  activities {data['reports']}, participants {data['participants']}, "
        f"ethnic minority {data['ethnic_minority']}, women {data['women']}",
    ]
    for heading, key, name in (
        ("by kind", "by_activity", "label"),
        ("by unit", "by_unit", "unit_name"),
    ):
        lines.append(f"  {heading}:")
        lines += [
            f"    {row[name]:<40} {row['reports']:>5} activities {row['participants']:>7} people"
            for row in data[key]
        ]
    return "\n".join(lines)


@app.command("summary")
def reports_summary(
    period: Annotated[str, typer.Option(help="2026-H1, 2026 or 2026-01-01..2026-03-31.")],
    unit: Annotated[str | None, typer.Option(help="A unit and the units under it.")] = None,
    as_json: JsonOption = False,
) -> None:
    """The tally of a period: activities, participants, ethnic-minority people, women."""
    from bot.cli.export import catalogs_of, summary_of
    from handlers.exports import vocabulary

    settings = load_settings()
    summary = settle(summary_of(settings, period, unit))
    data = summary_json(summary, vocabulary(catalogs_of(settings)).activities)
    typer.echo(json.dumps(data, ensure_ascii=False) if as_json else render_summary(data))
