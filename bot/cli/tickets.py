"""`loa tickets list|voice` and `loa questions export`: villagers' questions for operators."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli.common import JsonOption, OperatorError, load_settings, open_database, settle
from bot.core.config import Settings
from bot.privacy import media_file
from db.models import MediaKind, TicketStatus
from db.repositories import Repos


def _iso(at: datetime | None, settings: Settings) -> str | None:
    return at.astimezone(settings.tz).isoformat() if at is not None else None


async def list_tickets(settings: Settings, status: str | None = None) -> list[dict[str, Any]]:
    """Tickets, oldest first, as scripts read them (nothing about the asker)."""
    try:
        statuses = [TicketStatus(status)] if status else None
    except ValueError as exc:
        known = "|".join(s.value for s in TicketStatus)
        raise OperatorError(f"--status must be one of {known}") from exc
    async with open_database(settings) as (db, _org), db.session() as session:
        tickets = await Repos.of(session).tickets.find(statuses=statuses)
    return [
        {
            "id": ticket.id,
            "status": ticket.status,
            "text": ticket.text,
            "unit": ticket.unit_id,
            "language": ticket.language,
            "created_at": _iso(ticket.created_at, settings),
            "answered_at": _iso(ticket.answered_at, settings),
        }
        for ticket in tickets
    ]


def render_list(rows: list[dict[str, Any]]) -> str:
    """Tickets as lines for the terminal."""
    if not rows:
        return "no tickets"
    return "\n".join(
        f"#{row['id']:<5} {row['status']:<9} {row['unit'] or '-':<12} {row['language']:<4} "
        f"{row['created_at'][:16]}  {row['text'][:60]}"
        for row in rows
    )


async def copy_voice(settings: Settings, ticket_id: int, out: Path) -> Path:
    """Copy a voice question's recording to `out` (for officers whose app cannot play it)."""
    async with open_database(settings) as (db, _org), db.session() as session:
        ticket = await Repos.of(session).tickets.get(ticket_id)
    if ticket is None:
        raise OperatorError(f"no ticket #{ticket_id}")
    if ticket.media_kind != MediaKind.voice.value or not ticket.media_path:
        raise OperatorError(f"ticket #{ticket_id} is not a voice message")
    source = media_file(settings, ticket.media_path)
    if not source.is_file():
        raise OperatorError(f"the recording of ticket #{ticket_id} is missing from MEDIA_DIR")
    target = out.with_suffix(source.suffix) if not out.suffix else out
    shutil.copyfile(source, target)
    return target


app = typer.Typer(name="tickets", help="Villagers' questions to officers.", no_args_is_help=True)


@app.command("list")
def tickets_list(
    status: Annotated[str | None, typer.Option(help="open, answered or closed.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List tickets, oldest first."""

    settings = load_settings()
    rows = settle(list_tickets(settings, status))
    typer.echo(json.dumps(rows, ensure_ascii=False) if as_json else render_list(rows))


@app.command("voice")
def tickets_voice(
    ticket_id: Annotated[int, typer.Argument(help="The question's number.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the recording.")],
) -> None:
    """Copy a voice question's recording to a file."""

    settings = load_settings()
    target = settle(copy_voice(settings, ticket_id, out), exit_code=1)
    typer.echo(f"wrote {target}")
