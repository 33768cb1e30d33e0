"""`/link`: one person, several accounts (Telegram, Zalo, the commune's Zalo OA).

Each account is a different user until linked. `/link` on the account that stays (the one with
the role) gives a one-time code, valid LINK_MINUTES; `/link <code>` on the other account joins
it: from then on its messages are handled as the first account's (same role, commune, language
and conversation), and what it sent before (reports, questions, answers) moves to that
account's history. Codes are stored as HMAC under INVITE_PEPPER, used once; every link is
written to the audit log.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.chat import Incoming, Reply, escape
from bot.core.i18n import N_, _
from bot.engine import BadInput, Context, Router
from db.models import Role
from handlers.admin import hash_code, new_code, normalize_code

router = Router("link")

LINK_MINUTES = 30
RANK = {Role.villager: 0, Role.reporter: 1, Role.officer: 2, Role.admin: 3}


@router.command("link", "lienket", help=N_("link your other account (Telegram, Zalo) to this one"))
async def link(event: Incoming, ctx: Context) -> Reply:
    """Give a code (no argument), or join this account to the one whose code it is."""
    ctx.state.clear()
    pepper = ctx.services.settings.invite_pepper.get_secret_value()
    if not event.args.strip():
        code = new_code()
        await ctx.repos.links.add(
            hash_code(code, pepper),
            ctx.user.id,
            now=ctx.now,
            expires=ctx.now + timedelta(minutes=LINK_MINUTES),
        )
        return Reply(
            _(
                "Your link code: **{code}**\n\nOn your other account (Telegram, Zalo or the "
                "commune's Zalo Official Account), send /link {code} within {minutes} minutes. "
                "That account then becomes this same person in Loa: it gets this account's "
                "role, commune and language, and what it sent before joins this account's "
                "history. If you did not ask for this, do nothing: the code expires."
            ).format(code=code, minutes=LINK_MINUTES)
        )
    if ctx.user.linked_to is not None:
        raise BadInput(_("This account is already linked to another one."))
    if not normalize_code(event.args):
        raise BadInput(
            _("Please send /link followed by the code, for example /link ABCD-EFGH-JK.")
        )
    wrong = _(
        "This link code is wrong, already used or expired. Send /link on your other account "
        "to get a new one."
    )
    found = await ctx.repos.links.find(hash_code(event.args, pepper), now=ctx.now)
    if found is None:
        raise BadInput(wrong)
    issuer = await ctx.repos.users.get(found.user_id)
    person = await ctx.repos.users.get(issuer.linked_to) if issuer and issuer.linked_to else issuer
    if person is None or person.id == ctx.user.id:
        raise BadInput(_("This code was made on this account. Send it from your other account."))
    if RANK[Role(ctx.user.role)] > RANK[Role(person.role)]:
        raise BadInput(
            _(
                "This account has a higher role than the other one, so it must stay: send /link "
                "here to get a code, and send that code from the other account."
            )
        )
    # Checked without writing (a refusal changes nothing); now the code is spent, once.
    if not await ctx.repos.links.take(found, now=ctx.now):
        raise BadInput(wrong)
    moved = await ctx.repos.links.join(ctx.user, person)
    await ctx.repos.audit.record(
        action="user.link",
        subject=f"user:{ctx.user.id}",
        now=ctx.now,
        via=event.channel,
        actor_id=ctx.user.id,
        detail=f"joined to user:{person.id} ({person.channel}); rows moved: {moved}",
    )
    return Reply(
        _(
            "Linked. This account is now the same person as your {channel} account: the same "
            "role, commune, language and history. Send /menu to go on."
        ).format(channel=escape(CHANNEL_NAMES.get(person.channel, person.channel)))
    )


CHANNEL_NAMES = {"telegram": "Telegram", "zalo": "Zalo", "zalo_oa": "Zalo OA"}
