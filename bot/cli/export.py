"""`loa export`: the periodic report of a period as files (XLSX workbook, DOCX draft)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from bot.cli.common import OperatorError, find_unit, load_settings, open_database, operator_errors
from bot.core.config import Settings
from bot.core.i18n import Catalogs, load_languages
from bot.exports import ExportError, parse_formats, wording, write_exports
from bot.reports.summary import PeriodError, Summary, parse_period, summarize
from db.repositories import Repos


async def summary_of(settings: Settings, period_text: str, unit: str | None) -> Summary:
    """The summary of a period for `unit` and the units under it (None: everything)."""
    try:
        period = parse_period(period_text, settings)
    except PeriodError as exc:
        raise OperatorError(str(exc)) from exc
    today = datetime.now(settings.tz).date()
    async with open_database(settings) as (db, org), db.session() as session:
        scope = find_unit(org, unit) if unit else None
        return await summarize(Repos.of(session), settings, period, scope=scope, today=today)


def catalogs_of(settings: Settings) -> Catalogs:
    """The UI catalogs, for labels the files share with the chat."""
    return Catalogs(settings.locales_dir, load_languages(settings.locales_dir, settings.languages))


def export(
    period: Annotated[str, typer.Option(help="2026-H1, 2026 or 2026-01-01..2026-03-31.")],
    out: Annotated[Path, typer.Option(help="The directory to write the files to.")],
    formats_text: Annotated[
        str, typer.Option("--format", help="xlsx, docx or both: xlsx,docx.")
    ] = "xlsx,docx",
    unit: Annotated[str | None, typer.Option(help="A unit and the units under it.")] = None,
) -> None:
    """Write the periodic report of approved reports: a workbook and a draft report."""
    from handlers.exports import vocabulary

    settings = load_settings()
    with operator_errors():
        try:
            formats = parse_formats(formats_text)
        except ExportError as exc:
            raise OperatorError(str(exc)) from exc
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        transient=False,
    ) as progress:
        task = progress.add_task("reading approved reports", total=1 + len(formats))
        with operator_errors(exit_code=1):
            summary = asyncio.run(summary_of(settings, period, unit))
        progress.advance(task)
        if summary.empty:
            progress.stop()
            typer.echo(
                f"no approved reports of {summary.scope_name} from {summary.period.start} to "
                f"{summary.period.end}: nothing to export (reports count once approved)",
                err=True,
            )
            raise typer.Exit(1)
        words = wording(settings.locales_dir)
        names = vocabulary(catalogs_of(settings))
        today = datetime.now(settings.tz).date()
        written = []
        for kind in formats:
            progress.update(task, description=f"writing {kind.upper()}")
            written += write_exports(summary, (kind,), out, names, words, today)
            progress.advance(task)
        progress.update(task, description="done")
    typer.echo(
        f"{summary.total.reports} approved reports of {summary.scope_name}, "
        f"{summary.period.start:%d/%m/%Y}–{summary.period.end:%d/%m/%Y}:"
    )
    for path in written:
        typer.echo(f"  {path}")
