"""Roles through invites: one-time codes bound to a role and a unit, redeemed with /join.

Codes are random, typable (no 0/O, 1/I), shown once and stored only as an HMAC with a
server-side key, so the database alone does not reveal a usable code. Wrong codes are counted
per user in the database (every worker process sees the same count) and limited per hour.
Operators create the first codes with `loa invite create`; admins can create more in chat.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from hashlib import sha256

from bot.core.chat import Choice, Incoming, Kind, Reply, choice, escape, parse_choice
from bot.core.i18n import N_, _, format_day
from bot.engine import BadInput, Context, Router, typed_text
from db.models import ReportStatus, Role, User
from db.org import OrgMap
from db.repositories import Repos
from handlers.start import ask_to_type, main_menu_choices

router = Router("admin")

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, no 1/I: read aloud and typed safely
CODE_LENGTH = 10  # 32**10 ≈ 10**15 codes against a handful of guesses an hour
MAX_CODES = 50
INVITABLE = (Role.reporter, Role.officer, Role.admin)
CHAT_COUNTS = (1, 5, 10)
JOIN_WINDOW = timedelta(hours=1)

ROLE_LABELS = {
    Role.villager: N_("villager"),
    Role.reporter: N_("reporter"),
    Role.officer: N_("officer"),
    Role.admin: N_("administrator"),
}

router.menu(80, N_("I have an invite code"), "join", roles=[Role.villager])
router.menu(85, N_("Create invite codes"), "inv", roles=[Role.admin])


class AdminStep(StrEnum):
    """Steps of joining and inviting."""

    code = "admin.code"
    invite_unit = "admin.invite_unit"


# --- codes --------------------------------------------------------------------------------


def new_code() -> str:
    """A fresh random code, grouped for reading: "ABCD-EFGH-JK"."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalize_code(text: str) -> str:
    """What a user typed, reduced to the code's letters (any case, dashes and spaces ignored)."""
    return "".join(ch for ch in text.upper() if ch.isascii() and ch.isalnum())


def hash_code(code: str, pepper: str) -> str:
    """The stored form of a code: HMAC-SHA256 under the server's key."""
    return hmac.new(pepper.encode(), normalize_code(code).encode(), sha256).hexdigest()


_DURATION = re.compile(r"^\s*(\d{1,4})\s*([dhm])\s*$", re.IGNORECASE)


def parse_duration(text: str) -> timedelta:
    """ "7d", "12h" or "30m" as a timedelta (at most a year); ValueError otherwise."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"expected a duration like 7d, 12h or 30m, not {text!r}")
    amount, unit = int(match.group(1)), match.group(2).lower()
    delta = {"d": timedelta(days=amount), "h": timedelta(hours=amount)}.get(
        unit, timedelta(minutes=amount)
    )
    if delta <= timedelta(0) or delta > timedelta(days=366):
        raise ValueError("a duration must be more than 0 and at most 366 days")
    return delta


async def issue_invites(
    repos: Repos,
    *,
    role: Role,
    unit_id: str,
    count: int,
    valid_for: timedelta,
    created_by: int | None,
    now: datetime,
    pepper: str,
    via: str = "cli",
) -> tuple[list[str], datetime]:
    """Create `count` one-time codes; return them (shown once, never stored) and their expiry.
    Each is written to the audit log (its number, role and unit: never the code)."""
    if role not in INVITABLE:
        raise ValueError(f"invites are for {', '.join(r.value for r in INVITABLE)}")
    if not 1 <= count <= MAX_CODES:
        raise ValueError(f"count must be between 1 and {MAX_CODES}")
    expires_at = now + valid_for
    codes: list[str] = []
    while len(codes) < count:
        code = new_code()
        digest = hash_code(code, pepper)
        if await repos.invites.find(digest) is not None:  # astronomically rare: draw again
            continue
        invite = await repos.invites.add(
            code_hash=digest,
            role=role.value,
            unit_id=unit_id,
            created_by=created_by,
            now=now,
            expires_at=expires_at,
        )
        await repos.audit.record(
            action="invite.create",
            subject=f"invite:{invite.id}",
            now=now,
            via=via,
            actor_id=created_by,
            detail=f"{role.value}@{unit_id} until {expires_at.isoformat(timespec='minutes')}",
        )
        codes.append(code)
    return codes, expires_at


# --- small shared helpers -------------------------------------------------------------------


def role_label(role: str) -> str:
    """A role's name in the current language."""
    try:
        return _(ROLE_LABELS[Role(role)])
    except ValueError:
        return role


async def unit_name(ctx: Context, unit_id: str | None) -> str:
    """A unit's name: from the org map, else the units table (units that left the map)."""
    if unit_id is None:
        return _("(no unit)")
    unit = ctx.services.org.get(unit_id)
    if unit is not None:
        return unit.name
    row = await ctx.repos.units.get(unit_id)
    return row.name if row is not None else unit_id


def local_time(ctx: Context, at: datetime) -> str:
    """A moment as users read it: "25/11/2026 09:00" in Vietnam time."""
    local = at.astimezone(ctx.services.settings.tz)
    return f"{format_day(local)} {local:%H:%M}"


# --- joining --------------------------------------------------------------------------------


@router.command("join", "mamoi", help=N_("join with an invite code"))
@router.choice("join")
async def join(event: Incoming, ctx: Context) -> Reply:
    """Redeem the code given after /join, or ask for it."""
    if event.kind is Kind.command and event.args.strip():
        return await redeem(ctx, event.args)
    return ask_to_type(
        ctx, AdminStep.code, _("Type the invite code you were given, for example ABCD-EFGH-JK.")
    )


@router.step(AdminStep.code)
async def take_code(event: Incoming, ctx: Context) -> Reply | None:
    """The typed code; menu buttons pass through."""
    code = typed_text(
        event, _("Please type the invite code in letters, for example ABCD-EFGH-JK.")
    )
    return None if code is None else await redeem(ctx, code)


async def redeem(ctx: Context, typed: str) -> Reply:
    """Give the user the invite's role and unit, or say politely why not."""
    settings = ctx.services.settings
    limit = settings.join_failures_per_hour
    failures, oldest = await ctx.repos.invites.failures_since(ctx.user.id, ctx.now - JOIN_WINDOW)
    if failures >= limit:
        ctx.state.clear()
        retry = (oldest or ctx.now) + JOIN_WINDOW
        return Reply(
            _(
                "Too many wrong codes. For your safety, please try again after {time}, or "
                "ask your officer to check the code."
            ).format(time=local_time(ctx, retry)),
            choices=main_menu_choices(ctx),
        )
    code = normalize_code(typed)
    invite = await ctx.repos.invites.find(
        hash_code(code, settings.invite_pepper.get_secret_value())
    )
    if invite is None:
        await ctx.repos.invites.record_failure(ctx.user.id, ctx.now)
        left = limit - failures - 1
        if left <= 0:
            ctx.state.clear()
            text = _(
                "That code is not valid. You have no tries left this hour; please check the "
                "code with your officer."
            )
            return Reply(text, choices=main_menu_choices(ctx))
        ctx.state.enter(AdminStep.code)
        text = _("That code is not valid. Please check it and type it again ({left} tries left).")
        return Reply(text.format(left=left), choices=(choice("menu", label=_("🏠 Main menu")),))
    ctx.state.clear()
    if invite.revoked_at is not None:
        return Reply(
            _("This invite code was withdrawn. Please ask your officer for a new one."),
            choices=main_menu_choices(ctx),
        )
    if invite.used_at is not None:
        return Reply(
            _(
                "This invite code has already been used. Each code works only once: please ask "
                "the officer who gave it to you for a new one."
            ),
            choices=main_menu_choices(ctx),
        )
    if invite.expires_at <= ctx.now:
        return Reply(
            _("This invite code expired on {date}. Please ask for a new one.").format(
                date=local_time(ctx, invite.expires_at)
            ),
            choices=main_menu_choices(ctx),
        )
    unit = await unit_name(ctx, invite.unit_id)
    role = Role(invite.role)
    if ctx.user.role == role.value and ctx.user.unit_id == invite.unit_id:
        return Reply(
            _(
                "You already are {role} for {unit}. The code was not used; keep it for "
                "someone else."
            ).format(role=role_label(role), unit=escape(unit)),
            choices=main_menu_choices(ctx),
        )
    if not await ctx.repos.invites.redeem(invite.id, user_id=ctx.user.id, now=ctx.now):
        return Reply(
            _(
                "This invite code has already been used. Each code works only once: please ask "
                "the officer who gave it to you for a new one."
            ),
            choices=main_menu_choices(ctx),
        )
    before = f"{ctx.user.role}@{ctx.user.unit_id or '-'}"
    ctx.user.role = role.value
    ctx.user.unit_id = invite.unit_id
    await ctx.repos.audit.record(
        action="role.join",
        subject=f"user:{ctx.user.id}",
        now=ctx.now,
        via=ctx.event.channel,
        actor_id=ctx.user.id,
        detail=f"{before} -> {role.value}@{invite.unit_id} (invite {invite.id})",
    )
    lines = [
        _("Welcome! You are now {role} for {unit}.").format(
            role=role_label(role), unit=escape(unit)
        ),
        _('To report an activity with photos, send /report or choose "Send a report".'),
    ]
    if role in (Role.officer, Role.admin):
        lines.append(await _waiting_for_review(ctx))
    if role is Role.admin:
        lines.append(_("/invite creates invite codes for reporters and officers."))
    return Reply("\n\n".join(lines), choices=main_menu_choices(ctx))


async def _waiting_for_review(ctx: Context) -> str:
    """What a new officer has to review already: reports sent before anyone held the post."""
    unit_id = ctx.user.unit_id
    # Officers review their unit and the units under it; admins everything.
    scope: set[str] | None = None
    if ctx.role is not Role.admin:
        scope = await ctx.repos.reports.subtree(unit_id) if unit_id is not None else set()
    _shown, waiting = await ctx.repos.reports.find(
        units=scope,
        statuses=[ReportStatus.submitted],
        limit=0,
        not_by=ctx.user.id,
    )
    if not waiting:
        return _("/pending shows the reports waiting for your review.")
    return _(
        "Reports are already waiting for your review: {count}. Send /pending (or choose "
        "“Reports to review”) to see them."
    ).format(count=waiting)


# --- inviting (admins, in chat) ---------------------------------------------------------------

_ROLE_CODES = {"r": Role.reporter, "o": Role.officer, "a": Role.admin}
_CODE_OF_ROLE = {role: code for code, role in _ROLE_CODES.items()}


@router.command("invite", roles=[Role.admin], help=N_("create invite codes"))
@router.choice("inv", roles=[Role.admin])
async def invite(event: Incoming, ctx: Context) -> Reply:
    """Ask whom the codes are for, then where, then how many; then show the codes."""
    parsed = parse_choice(event.choice) if event.kind is Kind.choice else None
    args = parsed[1] if parsed else []
    if not args:
        ctx.state.clear()
        return Reply(
            _("Create invite codes. Who are they for?"),
            choices=tuple(
                choice("inv", _CODE_OF_ROLE[role], label=role_label(role).capitalize())
                for role in INVITABLE
            ),
        )
    role = _ROLE_CODES.get(args[0])
    if role is None:
        raise BadInput(_("Sorry, that button is out of date. Send /invite to start again."))
    if len(args) == 1:
        ctx.state.enter(AdminStep.invite_unit, role=args[0])
        return Reply(
            _("For which unit? Choose, or type the name of a commune or village."),
            choices=unit_choices(ctx.services.org, args[0]),
        )
    unit = ctx.services.org.get(args[1])
    if unit is None:
        raise BadInput(_("Sorry, that button is out of date. Send /invite to start again."))
    if len(args) == 2:
        return _ask_count(ctx, args[0], unit.id, unit.name)
    try:
        count = int(args[2])
    except ValueError:
        count = 0
    if count not in CHAT_COUNTS:
        raise BadInput(_("Sorry, that button is out of date. Send /invite to start again."))
    ctx.state.clear()
    codes, expires_at = await issue_invites(
        ctx.repos,
        role=role,
        unit_id=unit.id,
        count=count,
        valid_for=timedelta(days=ctx.services.settings.invite_valid_days),
        created_by=ctx.user.id,
        now=ctx.now,
        pepper=ctx.services.settings.invite_pepper.get_secret_value(),
        via=ctx.event.channel,
    )
    head = _(
        "Invite codes for: {role}, {unit}. Each code works once, until {date}. Give one code "
        "to each person; they send /join followed by the code."
    ).format(role=role_label(role), unit=escape(unit.name), date=local_time(ctx, expires_at))
    return Reply(head + "\n\n" + "\n".join(codes), choices=main_menu_choices(ctx))


def unit_choices(org: OrgMap, role_code: str) -> tuple[Choice, ...]:
    """The district, communes and district bodies (villages are typed: there can be many)."""
    choices = []
    for unit in org.units:
        if unit.kind.value == "village":
            continue
        try:
            choices.append(choice("inv", role_code, unit.id, label=unit.name))
        except ValueError:  # an id too long for a button: it can still be typed
            continue
    return tuple(choices)


def _ask_count(ctx: Context, role_code: str, unit_id: str, name: str) -> Reply:
    ctx.state.clear()
    return Reply(
        _("How many codes for {unit}?").format(unit=escape(name)),
        choices=tuple(
            choice("inv", role_code, unit_id, n, label=_("Codes: {count}").format(count=n))
            for n in CHAT_COUNTS
        ),
    )


@router.step(AdminStep.invite_unit, roles=[Role.admin])
async def take_invite_unit(event: Incoming, ctx: Context) -> Reply | None:
    """A typed unit name for the invite (buttons go to `invite`)."""
    name = typed_text(event, _("Please type the name of a commune or village."))
    if name is None:
        return None
    resolution = ctx.services.org.resolve(name)
    if resolution.unit is None:
        raise BadInput(
            _("I don't know a unit called “{name}”. Choose one, or type another name.").format(
                name=escape(name.strip()[:100])
            )
        )
    return _ask_count(
        ctx, str(ctx.state.get("role", "r")), resolution.unit.id, resolution.unit.name
    )


def describe_user(user: User) -> str:
    """A user as others see them: their name, or a number when they have none."""
    return user.display_name or _("user {number}").format(number=user.id)
