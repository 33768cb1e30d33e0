"""`loa users list`: who Loa knows, with the USER_ID the privacy commands take."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer
from sqlalchemy import select

from bot.cli.common import load_settings, open_database
from bot.core.config import Settings
from bot.privacy import FORGOTTEN_CHANNEL
from db.models import User


async def list_users(settings: Settings) -> list[dict[str, Any]]:
    """Every user (anonymised stubs left out), by id."""
    async with open_database(settings) as (db, _org), db.session() as session:
        stmt = select(User).where(User.channel != FORGOTTEN_CHANNEL).order_by(User.id)
        users = list((await session.execute(stmt)).scalars())
    return [
        {
            "user_id": user.id,
            "channel": user.channel,
            "channel_user_id": user.external_id,
            "name": user.display_name,
            "role": user.role,
            "unit": user.unit_id,
            "language": user.language,
            "created_at": user.created_at.astimezone(settings.tz).isoformat(),
        }
        for user in users
    ]


app = typer.Typer(help="People Loa knows.", no_args_is_help=True)


@app.command("list")
def users_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """List users with their USER_ID (for `loa privacy export|forget`)."""

    settings = load_settings()
    rows = asyncio.run(list_users(settings))
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        typer.echo(
            f"{row['user_id']:<6} {row['channel']:<9} {row['role']:<9} {row['unit'] or '-':<12} "
            f"{row['name']}"
        )
    if not rows:
        typer.echo("no users")
