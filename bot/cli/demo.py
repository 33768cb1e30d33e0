"""`loa demo seed|clear`: a marked, realistic data set to try exports and /status with."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

import typer

from bot.cli.common import OperatorError, load_settings, open_database, settle
from bot.core.config import Settings
from bot.demo import ClearResult, DemoError, SeedResult, clear_demo, seed_demo

app = typer.Typer(
    name="demo", help="Demo data: seed it to try Loa, clear it after.", no_args_is_help=True
)


async def _seed(settings: Settings, reports: int) -> SeedResult:
    async with open_database(settings) as (db, _org):
        try:
            return await seed_demo(db, settings, datetime.now(settings.tz).date(), reports=reports)
        except DemoError as exc:
            raise OperatorError(str(exc)) from exc


async def _clear(settings: Settings) -> ClearResult:
    async with open_database(settings) as (db, _org):
        return await clear_demo(db, settings)


@app.command("seed")
def seed(
    reports: Annotated[int, typer.Option(min=1, max=5000, help="How many reports.")] = 200,
) -> None:
    """Add demo users, a year of reports with photos, deadlines and submissions."""
    settings = load_settings()
    made = settle(_seed(settings, reports), exit_code=1)
    typer.echo(
        f"demo data: {made.users} users, {made.reports} reports ({made.approved} approved, "
        f"{made.photos} photos), {made.deadlines} deadlines, {made.submissions} submissions"
    )
    typer.echo("periods with approved demo reports (loa export --period PERIOD …):")
    for period, count in made.periods:
        typer.echo(
            f"  {period.label:<8} {period.start:%d/%m/%Y}–{period.end:%d/%m/%Y}  {count} reports"
        )


@app.command("clear")
def clear() -> None:
    """Remove the demo data and nothing else."""
    settings = load_settings()
    removed = asyncio.run(_clear(settings))
    typer.echo(
        f"removed {removed.users} demo users, {removed.reports} reports, "
        f"{removed.deadlines} deadlines and {removed.files} stored files"
    )
