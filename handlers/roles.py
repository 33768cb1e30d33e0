"""Taking rights back: roles set and revoked, invite codes voided, each written to the audit log.

A departed officer, a lost phone or a hijacked account must not keep its rights: operators use
`loa users set-role|revoke` and `loa invite revoke`, admins `/revoke` in chat. Revoking a user
makes them a villager again and voids the unused codes they created (a hijacked admin account
may have minted some). The engine checks the role on every event, so a revoked officer's open
step is refused at their next message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.chat import Incoming, Reply, choice, escape, parse_choice
from bot.core.i18n import N_, _
from bot.engine import BadInput, Context, Router
from db.models import Role, User
from db.repositories import Repos
from handlers.admin import describe_user, role_label, unit_name
from handlers.start import main_menu_choices

router = Router("roles")

ROLES_WITH_UNIT = (Role.reporter, Role.officer)


@dataclass(frozen=True, slots=True)
class RoleChange:
    """What a role change did: the role before and after, and the invites it voided."""

    user_id: int
    before: str
    after: str
    unit_id: str | None
    voided_invites: tuple[int, ...] = ()


async def set_role(
    repos: Repos,
    user: User,
    role: Role,
    unit_id: str | None,
    *,
    actor_id: int | None,
    via: str,
    now: datetime,
) -> RoleChange:
    """Give `user` `role` (reporters and officers need a unit) and audit it."""
    if role in ROLES_WITH_UNIT and unit_id is None and user.unit_id is None:
        raise ValueError(f"a {role.value} needs a unit")
    before = f"{user.role}@{user.unit_id or '-'}"
    user.role = role.value
    if unit_id is not None:
        user.unit_id = unit_id
    voided: list[int] = []
    if role is not Role.admin:
        # Only admins mint codes: codes a former admin made and nobody used go with the right.
        voided = await repos.invites.revoke_unused_by(user.id, now)
    after = f"{user.role}@{user.unit_id or '-'}"
    detail = f"{before} -> {after}"
    if voided:
        detail += "; invites voided: " + ",".join(map(str, voided))
    if after != before:
        # Signed in to the web desk with the old role or unit: those sessions end now.
        ended = await repos.desk.end_sessions_of(user.id)
        if ended:
            detail += f"; desk sessions ended: {ended}"
    action = "role.revoke" if role is Role.villager else "role.set"
    await repos.audit.record(
        action=action,
        subject=f"user:{user.id}",
        now=now,
        via=via,
        actor_id=actor_id,
        detail=detail,
    )
    return RoleChange(user.id, before, after, user.unit_id, tuple(voided))


async def revoke_user(
    repos: Repos, user: User, *, actor_id: int | None, via: str, now: datetime
) -> RoleChange:
    """Make `user` a villager again, void the unused codes they made, and audit it."""
    return await set_role(repos, user, Role.villager, None, actor_id=actor_id, via=via, now=now)


async def revoke_invite(
    repos: Repos, invite_id: int, *, actor_id: int | None, via: str, now: datetime
) -> bool:
    """Void an unused invite and audit it; False when it was used, revoked or unknown."""
    if not await repos.invites.revoke(invite_id, now):
        return False
    await repos.audit.record(
        action="invite.revoke", subject=f"invite:{invite_id}", now=now, via=via, actor_id=actor_id
    )
    return True


# --- in chat (admins) --------------------------------------------------------------------------


@router.command("revoke", roles=[Role.admin], help=N_("take a role or an invite code back"))
async def revoke_command(event: Incoming, ctx: Context) -> Reply:
    """`/revoke` lists who holds a role; `/revoke 12` a user, `/revoke invite 7` a code."""
    ctx.state.clear()
    words = event.args.split()
    if not words:
        return await _staff_list(ctx)
    if len(words) == 2 and words[0].lower() in {"invite", "code", "ma"} and words[1].isdigit():
        return await _revoke_code(ctx, int(words[1]))
    if len(words) == 1 and words[0].lstrip("#").isdigit():
        return await _confirm(ctx, int(words[0].lstrip("#")))
    raise BadInput(
        _(
            "Send /revoke to see who holds a role, /revoke followed by a user number, or "
            "/revoke invite followed by the number of an invite code."
        )
    )


@router.choice("rk", roles=[Role.admin])
async def revoke_choice(event: Incoming, ctx: Context) -> Reply:
    """A user picked from the list (asks to confirm), or the confirmation itself."""
    parsed = parse_choice(event.choice)
    args = parsed[1] if parsed else []
    if len(args) != 2 or not args[1].isdigit() or args[0] not in {"u", "yes"}:
        raise BadInput(_("Sorry, that button is out of date. Send /revoke to start again."))
    if args[0] == "u":
        return await _confirm(ctx, int(args[1]))
    target = await _target(ctx, int(args[1]))
    change = await revoke_user(
        ctx.repos, target, actor_id=ctx.user.id, via=ctx.event.channel, now=ctx.now
    )
    text = _("{name} (user {number}) is a villager now: their role is revoked.").format(
        name=escape(describe_user(target)), number=target.id
    )
    if change.voided_invites:
        text += "\n" + _("Invite codes they made and nobody used are void: {count}.").format(
            count=len(change.voided_invites)
        )
    return Reply(text, choices=main_menu_choices(ctx))


async def _staff_list(ctx: Context) -> Reply:
    staff = [user for user in await ctx.repos.users.staff() if user.id != ctx.user.id]
    if not staff:
        return Reply(_("Nobody else holds a role in Loa."), choices=main_menu_choices(ctx))
    choices = []
    for user in staff:
        label = _("{name} (user {number}): {role}, {unit}").format(
            name=describe_user(user)[:40],
            number=user.id,
            role=role_label(user.role),
            unit=await unit_name(ctx, user.unit_id),
        )
        choices.append(choice("rk", "u", user.id, label=label))
    choices.append(choice("menu", label=_("🏠 Main menu")))
    return Reply(_("Whose role do you want to revoke?"), choices=tuple(choices))


async def _target(ctx: Context, user_id: int) -> User:
    """The user an admin may revoke: someone else, holding a role."""
    if user_id == ctx.user.id:
        raise BadInput(
            _(
                "You cannot revoke your own role here. Another administrator can, or the "
                "operator with the command loa users revoke."
            )
        )
    target = await ctx.repos.users.get(user_id)
    if target is None or target.role == Role.villager.value:
        raise BadInput(
            _("User {number} holds no role, so there is nothing to revoke.").format(number=user_id)
        )
    return target


async def _confirm(ctx: Context, user_id: int) -> Reply:
    target = await _target(ctx, user_id)
    return Reply(
        _(
            "Revoke the role of {name} (user {number}: {role}, {unit})? They become a "
            "villager, and invite codes they made and nobody used stop working."
        ).format(
            name=escape(describe_user(target)),
            number=target.id,
            role=role_label(target.role),
            unit=escape(await unit_name(ctx, target.unit_id)),
        ),
        choices=(
            choice("rk", "yes", target.id, label=_("Yes, revoke")),
            choice("menu", label=_("🏠 Main menu")),
        ),
    )


async def _revoke_code(ctx: Context, invite_id: int) -> Reply:
    if not await revoke_invite(
        ctx.repos, invite_id, actor_id=ctx.user.id, via=ctx.event.channel, now=ctx.now
    ):
        raise BadInput(
            _(
                "Invite code {number} cannot be revoked: it is unknown, already used or "
                "already revoked."
            ).format(number=invite_id)
        )
    return Reply(
        _("Invite code {number} is revoked: it will not work any more.").format(number=invite_id),
        choices=main_menu_choices(ctx),
    )
