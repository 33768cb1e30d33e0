"""The author's figures: their latest announcements and polls, and a poll's results so far."""

from __future__ import annotations

from bot.broadcasts.results import draw_chart, poll_results, results_table
from bot.broadcasts.service import figures, figures_text
from bot.core.chat import Attachment, AttachmentKind, Choice, Incoming, Reply, choice, escape
from bot.core.i18n import N_, _
from bot.engine import Context
from db.models import BroadcastKind
from handlers.broadcast.common import AUTHORS, args_of, menu_choice, router, stale


@router.command("broadcasts", roles=AUTHORS, help=N_("your announcements and polls, with figures"))
@router.choice("bcl", roles=AUTHORS)
async def my_broadcasts(event: Incoming, ctx: Context) -> Reply:
    """The author's latest announcements and polls, each with its figures now."""
    ctx.state.clear()
    mine = await ctx.repos.broadcasts.by_author(ctx.user.id)
    if not mine:
        return Reply(_("You have sent no announcements or polls yet."), choices=(menu_choice(),))
    lines = [_("**Your announcements and polls**")]
    choices: list[Choice] = []
    default = ctx.services.settings.default_language
    for broadcast in mine:
        numbers = await figures(ctx.repos, broadcast)
        title = escape(broadcast.texts.get(default, "")[:60])
        icon = "📊" if broadcast.kind == BroadcastKind.poll.value else "📢"
        lines += ["", f"{icon} #{broadcast.id} {title}", figures_text(broadcast, numbers)]
        if broadcast.kind == BroadcastKind.poll.value:
            choices.append(
                choice(
                    "bcr",
                    broadcast.id,
                    label=_("Results of poll #{number}").format(number=broadcast.id),
                )
            )
    return Reply("\n".join(lines), choices=(*choices, menu_choice()))


@router.choice("bcr", roles=AUTHORS)
async def show_results(event: Incoming, ctx: Context) -> list[Reply]:
    """A poll's results so far: the table and the chart."""
    raw = args_of(event)[:1]
    poll = await ctx.repos.broadcasts.get(int(raw[0])) if raw and raw[0].isdigit() else None
    if poll is None or poll.author_id != ctx.user.id or poll.kind != BroadcastKind.poll.value:
        raise stale()
    settings = ctx.services.settings
    results = await poll_results(ctx.repos, poll, ctx.services.org, settings.default_language)
    chart = draw_chart(results, settings.media_dir / "polls" / f"poll-{poll.id}-now.png")
    return [
        Reply(results_table(results, ctx.services.org)),
        Reply(
            _("The answers as a chart (numbered as in the table)."),
            attachment=Attachment(AttachmentKind.photo, chart),
            choices=(menu_choice(),),
        ),
    ]
