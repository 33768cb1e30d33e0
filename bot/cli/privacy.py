"""`loa privacy export|forget USER_ID`: requests that arrive on paper, answered by an operator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli.common import OperatorError, load_settings, open_database, settle
from bot.core.config import Settings
from bot.privacy import FORGOTTEN_CHANNEL, Forgotten, forget, personal_data
from db.models import User
from db.repositories import Repos


async def _person(repos: Repos, user_id: int) -> User:
    user = await repos.users.get(user_id)
    if user is None or user.channel == FORGOTTEN_CHANNEL:
        raise OperatorError(f"no user {user_id}: `loa users list` shows the USER_IDs")
    return user


async def export_person(settings: Settings, user_id: int) -> dict[str, Any]:
    """Everything Loa keeps about one person."""
    async with open_database(settings) as (db, _org), db.session() as session:
        repos = Repos.of(session)
        return await personal_data(repos, await _person(repos, user_id))


async def forget_person(settings: Settings, user_id: int) -> Forgotten:
    """Delete one person's data, as /forgetme does."""
    from bot.core.clock import SystemClock

    async with open_database(settings) as (db, _org), db.session() as session:
        repos = Repos.of(session)
        return await forget(repos, await _person(repos, user_id), settings, SystemClock().now())


app = typer.Typer(
    name="privacy", help="A person's data: a copy, or deletion.", no_args_is_help=True
)


@app.command("export")
def privacy_export(
    user_id: Annotated[int, typer.Argument(help="USER_ID as `loa users list` prints it.")],
    out: Annotated[Path, typer.Option("--out", help="The JSON file to write.")],
) -> None:
    """Write a copy of everything Loa keeps about one person."""

    settings = load_settings()
    data = settle(export_person(settings, user_id), exit_code=1)
    out.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    typer.echo(f"wrote {out}")


@app.command("forget")
def privacy_forget(
    user_id: Annotated[int, typer.Argument(help="USER_ID as `loa users list` prints it.")],
) -> None:
    """Delete one person's data (approved reports stay, anonymised)."""

    settings = load_settings()
    gone = settle(forget_person(settings, user_id), exit_code=1)
    typer.echo(
        f"forgot user {user_id}: {gone.tickets} questions, {gone.reports} reports and "
        f"{gone.files} files deleted; {gone.kept_reports} approved reports kept, anonymised"
    )
