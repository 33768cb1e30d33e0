"""`loa questions export`: what search could not answer, and officers' answers, as a workbook."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import OperatorError, load_settings, open_database, settle
from bot.core.config import Settings
from bot.tickets.export import group_questions, write_workbook
from db.models import TicketStatus
from db.repositories import Repos


async def export_questions(settings: Settings, out: Path) -> tuple[int, int]:
    """Write the workbook; (question groups, answered tickets) written."""
    if out.suffix.lower() != ".xlsx":
        raise OperatorError("--out must name an .xlsx file")
    async with open_database(settings) as (db, org), db.session() as session:
        repos = Repos.of(session)
        misses = await repos.tickets.misses()
        answered = await repos.tickets.find(statuses=[TicketStatus.answered, TicketStatus.closed])
        names = {unit.id: unit.name for unit in await repos.units.active()}
        names.update({unit.id: unit.name for unit in org.units})
    groups = group_questions(misses, names)
    write_workbook(out, groups, [t for t in answered if t.answer], names, settings.tz)
    return len(groups), len(answered)


app = typer.Typer(name="questions", help="Learn from what people ask.", no_args_is_help=True)


@app.command("export")
def questions_export(
    out: Annotated[Path, typer.Option("--out", help="The workbook to write (.xlsx).")],
) -> None:
    """Export unanswered questions (grouped) and officers' answers for content editors."""

    settings = load_settings()
    groups, answers = settle(export_questions(settings, out))
    typer.echo(f"wrote {out}: {groups} groups of unanswered questions, {answers} answers")
