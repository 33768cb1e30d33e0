"""/desk: an officer or admin asks for a one-time link that signs them in to the web desk.

The desk (bot/web/desk/) is served by Loa's own web server when WEBHOOK_LISTEN or WEB_LISTEN
is set and PUBLIC_BASE_URL says where it is reachable. The link works once, for
DESK_LINK_MINUTES; other roles are told the desk is not for them.
"""

from __future__ import annotations

from bot.core.chat import Incoming, Reply
from bot.core.i18n import N_, _
from bot.delivery.signin import issue_signin_link
from bot.engine import CommandHelp, Context, Router
from db.models import Role
from handlers.start import main_menu_choices

router = Router("desk")

DESK_ROLES = (Role.officer, Role.admin)
# Anyone may send /desk (other roles hear why not), but /help lists it to those it serves.
router.help_entries.append(
    CommandHelp("desk", N_("a sign-in link to the web desk"), frozenset(DESK_ROLES))
)


@router.command("desk", "trangquanly")
async def desk(event: Incoming, ctx: Context) -> Reply:
    """A fresh sign-in link for officers and admins; a polite no for everyone else."""
    ctx.state.clear()
    if ctx.role not in DESK_ROLES:
        return Reply(
            _("The web desk is for officers and administrators only."),
            choices=main_menu_choices(ctx),
        )
    settings = ctx.services.settings
    if not settings.desk_enabled:
        return Reply(
            _(
                "The web desk is not switched on for this Loa. Ask the person who runs Loa to "
                "set WEB_LISTEN (or WEBHOOK_LISTEN) and PUBLIC_BASE_URL."
            ),
            choices=main_menu_choices(ctx),
        )
    link = await issue_signin_link(ctx.repos, settings, ctx.user, ctx.now)
    return Reply(
        _(
            "Open this link to sign in to the web desk: {link}\n"
            "It works once, within {minutes} minutes. Do not forward it: whoever opens it "
            "signs in as you."
        ).format(link=link, minutes=settings.desk_link_minutes)
    )
