"""`loa users`: who Loa knows (with the USER_ID the privacy commands take), and their roles
(every role change is written to the audit log)."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer
from sqlalchemy import select

from bot.cli.common import (
    JsonOption,
    OperatorError,
    find_unit,
    load_settings,
    open_database,
    settle,
)
from bot.core.clock import SystemClock
from bot.core.config import Settings
from bot.privacy import FORGOTTEN_CHANNEL
from db.models import Role, User
from db.repositories import Repos

# Every `loa users` command joins this app (listing and roles live side by side).
app = typer.Typer(name="users", help="People Loa knows, and their roles.", no_args_is_help=True)


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


@app.command("list")
def users_list(as_json: JsonOption = False) -> None:
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


async def change_role(
    settings: Settings, user_id: int, role: str | None, unit: str | None
) -> dict[str, object]:
    """Set (or with `role` None, revoke) a user's role; what changed."""
    from handlers.roles import revoke_user, set_role

    try:
        wanted = Role(role) if role is not None else Role.villager
    except ValueError as exc:
        names = ", ".join(r.value for r in Role)
        raise OperatorError(f"role must be one of {names}") from exc
    now = SystemClock().now()
    async with open_database(settings) as (db, org):
        unit_id = find_unit(org, unit) if unit else None
        async with db.session() as session:
            repos = Repos.of(session)
            user = await repos.users.get(user_id)
            if user is None:
                raise OperatorError(f"no user {user_id}")
            try:
                if role is None:
                    change = await revoke_user(repos, user, actor_id=None, via="cli", now=now)
                else:
                    change = await set_role(
                        repos, user, wanted, unit_id, actor_id=None, via="cli", now=now
                    )
            except ValueError as exc:
                raise OperatorError(f"{exc}: give --unit") from exc
    return {
        "user": change.user_id,
        "before": change.before,
        "after": change.after,
        "voided_invites": list(change.voided_invites),
    }


def _print_change(change: dict[str, object], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(change))
        return
    line = f"user {change['user']}: {change['before']} -> {change['after']}"
    voided = change["voided_invites"]
    if isinstance(voided, list) and voided:
        line += f"; unused invites voided: {', '.join(map(str, voided))}"
    typer.echo(line)


@app.command("set-role")
def users_set_role(
    user_id: Annotated[int, typer.Argument(help="The user's number (as `loa users list`).")],
    role: Annotated[str, typer.Argument(help="villager, reporter, officer or admin.")],
    unit: Annotated[str | None, typer.Option(help="Unit id or name from the org file.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Give a user a role (reporters and officers in a unit); audit-logged."""
    settings = load_settings()
    change = settle(change_role(settings, user_id, role, unit))
    _print_change(change, as_json)


@app.command("revoke")
def users_revoke(
    user_id: Annotated[int, typer.Argument(help="The user's number (as `loa users list`).")],
    as_json: JsonOption = False,
) -> None:
    """Take a user's role back (villager again) and void their unused invites; audit-logged."""
    settings = load_settings()
    change = settle(change_role(settings, user_id, None, None))
    _print_change(change, as_json)
