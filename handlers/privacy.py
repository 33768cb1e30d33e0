"""A person's own data: /mydata sends a copy at once, /forgetme deletes it after a confirmation.

The copy is a JSON file where the channel takes files (Telegram, the console), else an expiring
link under PUBLIC_BASE_URL (Zalo, which takes no uploads), else the copy as text messages.
What forgetting removes and keeps is in bot/privacy/ (approved reports stay, anonymised).
"""

from __future__ import annotations

import json
from enum import StrEnum

from bot.core.chat import Attachment, AttachmentKind, Incoming, Kind, Reply, choice, escape
from bot.core.i18n import N_, _
from bot.delivery.links import expiring_link, private_file
from bot.engine import BadInput, Context, Router
from bot.privacy import forget, personal_data
from handlers.start import main_menu_choices, privacy_notice

router = Router("privacy")

router.menu(70, N_("Your data in Loa"), "privacy")

# Channels that cannot receive an uploaded file: they get a link (or the text) instead.
NO_FILES = frozenset({"zalo", "zalo_oa"})


@router.choice("privacy")
async def privacy_menu(event: Incoming, ctx: Context) -> Reply:
    """The privacy notice with its two actions."""
    ctx.state.clear()
    return Reply(
        privacy_notice(),
        choices=(
            choice("mydata", label=_("Get a copy of my data")),
            choice("forgetme", label=_("Delete my data")),
            choice("t", "bao-ve-du-lieu", label=_("More about data protection")),
            choice("menu", label=_("🏠 Main menu")),
        ),
    )


@router.command("mydata", "dulieucuatoi", help=N_("a copy of everything Loa keeps about you"))
@router.choice("mydata")
async def my_data(event: Incoming, ctx: Context) -> list[Reply]:
    """Send the copy now: a file, a link, or the text itself."""
    ctx.state.clear()
    settings = ctx.services.settings
    data = await personal_data(ctx.repos, ctx.user)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    lead = _("Here is a copy of everything Loa keeps about you.")
    if ctx.event.channel not in NO_FILES:
        path = private_file(settings, ".json", body.encode())
        return [
            Reply(
                lead,
                attachment=Attachment(AttachmentKind.document, path),
                choices=main_menu_choices(ctx),
            )
        ]
    link = expiring_link(settings, private_file(settings, ".json", body.encode()), ctx.now)
    if link is not None:
        text = _("{lead} Open this link to download it (valid for {hours} hours): {link}").format(
            lead=lead, hours=settings.data_link_hours, link=link
        )
        return [Reply(text, choices=main_menu_choices(ctx))]
    # No link can work here: the copy itself, as text (split by the channel if long).
    return [Reply(lead), Reply(escape(body), choices=main_menu_choices(ctx))]


class ForgetStep(StrEnum):
    """The confirmation step of /forgetme."""

    confirm = "privacy.forget"


@router.command("forgetme", "xoadulieu", help=N_("delete everything Loa keeps about you"))
@router.choice("forgetme")
async def forget_me(event: Incoming, ctx: Context) -> Reply:
    """Say what will go and what stays, and ask to confirm."""
    ctx.state.enter(ForgetStep.confirm)
    return Reply(
        _(
            "Delete your data? Loa deletes your profile (name, language, commune), your "
            "conversation, the questions you sent and their answers, your photos and voice "
            "messages, report drafts and reports not yet approved, and messages waiting for "
            "you. Approved reports stay as a record of public work, without your name. This "
            "cannot be undone."
        ),
        choices=(
            choice("forget", "yes", label=_("Yes, delete my data")),
            choice("menu", label=_("No, keep it")),
        ),
    )


@router.step(ForgetStep.confirm)
async def waiting_for_confirmation(event: Incoming, ctx: Context) -> None:
    """Only the two buttons answer the question; anything else asks again."""
    if event.kind is Kind.choice:
        return
    raise BadInput(_("Please choose: delete your data, or keep it."))


@router.choice("forget")
async def confirm_forget(event: Incoming, ctx: Context) -> Reply:
    """Delete the person's data (only right after the question)."""
    if ctx.state.step != ForgetStep.confirm or not event.choice.endswith(":yes"):
        raise BadInput(_("Sorry, that button is out of date. Send /forgetme to start again."))
    gone = await forget(ctx.repos, ctx.user, ctx.services.settings, ctx.now)
    ctx.forgotten = True
    text = _(
        "Your data was deleted. If you write to Loa again, it starts afresh, as with someone new."
    )
    if gone.kept_reports:
        text += "\n\n" + _(
            "{count} approved reports stay as a record of public work, without your name."
        ).format(count=gone.kept_reports)
    return Reply(text)
