"""`loa invite create|list|revoke`: one-time codes that give a role in a unit."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Annotated, Any

import typer

from bot.cli.common import (
    JsonOption,
    OperatorError,
    find_unit,
    load_settings,
    open_database,
    operator_errors,
    settle,
    speaking,
)
from bot.core.clock import Clock, SystemClock
from bot.core.config import Settings
from bot.core.i18n import _, format_day
from db.models import Invite, Role
from db.repositories import Repos

app = typer.Typer(
    name="invite", help="Create, list and revoke invite codes (roles).", no_args_is_help=True
)


@dataclass(frozen=True, slots=True)
class InviteBatch:
    """Codes just created (shown once: only their hashes are stored)."""

    role: str
    unit: str
    unit_name: str
    expires_at: str
    codes: list[str]


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
    async with open_database(settings) as (db, org):
        unit_id = find_unit(org, unit)
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
    """The codes as an operator reads them, in the current language."""
    from handlers.admin import role_label

    expires = datetime.fromisoformat(batch.expires_at)
    lines = [
        _(
            "Invite codes: {count}, for: {role} of {unit} ({unit_id}), valid until {time} on "
            "{day}. Each works once: the person sends /join CODE to Loa."
        ).format(
            count=len(batch.codes),
            role=role_label(batch.role),
            unit=batch.unit_name,
            unit_id=batch.unit,
            time=f"{expires:%H:%M}",
            day=format_day(expires),
        ),
        *(f"  {code}" for code in batch.codes),
    ]
    return "\n".join(lines)


def invite_json(batch: InviteBatch) -> dict[str, Any]:
    """The batch as JSON-ready data."""
    return asdict(batch)


@app.command("create")
def invite_create(
    role: Annotated[str, typer.Option(help="reporter, officer or admin.")],
    unit: Annotated[str, typer.Option(help="Unit id (or name) from the org file.")],
    count: Annotated[int, typer.Option(min=1, max=50)] = 1,
    expires: Annotated[str, typer.Option(help="Validity: 7d, 12h, 30m.")] = "7d",
    as_json: JsonOption = False,
) -> None:
    """Print one-time invite codes; a user sends /join CODE to take the role."""

    settings = load_settings()
    batch = settle(create_invites(settings, role=role, unit=unit, count=count, expires=expires))
    if as_json:
        typer.echo(json.dumps(invite_json(batch), ensure_ascii=False))
        return
    with speaking(settings):
        typer.echo(render_invites(batch))


def _invite_status(invite: Invite, now: datetime) -> str:
    if invite.revoked_at is not None:
        return "revoked"
    if invite.used_at is not None:
        return "used"
    if invite.expires_at <= now:
        return "expired"
    return "active"


async def list_invites(settings: Settings) -> list[dict[str, Any]]:
    """Every invite (never its code: only hashes are stored), newest first."""
    now = SystemClock().now()

    def moment(at: datetime | None) -> str | None:
        return at.astimezone(settings.tz).replace(microsecond=0).isoformat() if at else None

    async with open_database(settings) as (db, _org), db.session() as session:
        invites = await Repos.of(session).invites.listing()
    return [
        {
            "id": invite.id,
            "role": invite.role,
            "unit": invite.unit_id,
            "status": _invite_status(invite, now),
            "created_at": moment(invite.created_at),
            "created_by": invite.created_by,
            "expires_at": moment(invite.expires_at),
            "used_at": moment(invite.used_at),
            "used_by": invite.used_by,
            "revoked_at": moment(invite.revoked_at),
        }
        for invite in invites
    ]


@app.command("list")
def invite_list(as_json: JsonOption = False) -> None:
    """List invites with their status (active, used, expired, revoked), newest first."""
    settings = load_settings()
    rows = asyncio.run(list_invites(settings))
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        typer.echo("no invites")
        return
    for row in rows:
        by = f"user {row['created_by']}" if row["created_by"] is not None else "operator"
        used = f", used by user {row['used_by']}" if row["used_by"] is not None else ""
        typer.echo(
            f"{row['id']:>5}  {row['status']:<8} {row['role']:<9} {row['unit']}"
            f"  made by {by}, expires {row['expires_at']}{used}"
        )


async def revoke_code(settings: Settings, invite_id: int) -> None:
    """Void an unused invite (audit-logged); OperatorError when it cannot be."""
    from handlers.roles import revoke_invite

    async with open_database(settings) as (db, _org), db.session() as session:
        repos = Repos.of(session)
        if not await revoke_invite(
            repos, invite_id, actor_id=None, via="cli", now=SystemClock().now()
        ):
            raise OperatorError(f"invite {invite_id} is unknown, already used or revoked")


@app.command("revoke")
def invite_revoke(
    code_id: Annotated[int, typer.Argument(help="The invite's number (as `loa invite list`).")],
) -> None:
    """Void an unused invite code at once; audit-logged."""
    settings = load_settings()
    with operator_errors():
        asyncio.run(revoke_code(settings, code_id))
    typer.echo(f"invite {code_id} revoked")
