"""Opt-out: /stop (or "dừng", "stop"…) ends announcements and polls after a confirmation.

Answers to the person's own questions still come, and officers still get their duty reminders:
/stop is about what Loa announces, not about what a person asked for or has to do. /start turns
announcements back on (handlers/start.py).
"""

from __future__ import annotations

from bot.core.chat import Incoming, Reply, choice
from bot.core.i18n import N_, _
from bot.engine import Context
from handlers.broadcast.common import BroadcastStep, args_of, router, stale
from handlers.start import main_menu_choices

# Whole messages that ask to stop announcements; each catalog lists its own words.
STOP_WORDS = N_("stop|unsubscribe")
ALWAYS_STOP = ("dừng", "dừng lại", "ngừng", "ngừng nhận tin", "stop")


@router.command("stop", "dung", help=N_("stop announcements and polls"))
@router.keywords(STOP_WORDS, *ALWAYS_STOP)
async def ask_stop(event: Incoming, ctx: Context) -> Reply:
    """Ask before stopping: the word may have been meant for something else."""
    if ctx.user.opted_out:
        ctx.state.clear()
        return Reply(
            _(
                "You already get no announcements or polls from Loa. Send /start to get "
                "them again."
            ),
            choices=main_menu_choices(ctx),
        )
    ctx.state.enter(BroadcastStep.stop)
    return Reply(
        _(
            "Stop announcements and polls from Loa? Answers to your own questions still "
            "come. Send /start any time to get announcements again."
        ),
        choices=(
            choice("optout", "yes", label=_("Yes, stop them")),
            choice("optout", "no", label=_("No, keep them")),
        ),
    )


@router.choice("optout")
async def confirm_stop(event: Incoming, ctx: Context) -> Reply:
    """Record the choice (copies already queued are withheld when their turn comes)."""
    if ctx.state.step != BroadcastStep.stop:
        raise stale()
    ctx.state.clear()
    if args_of(event)[:1] != ["yes"]:
        return Reply(
            _("Nothing changed: you still get announcements."), choices=main_menu_choices(ctx)
        )
    ctx.user.opted_out = True
    lines = [_("Done: Loa sends you no more announcements or polls.")]
    if ctx.user.role in ("officer", "admin"):
        lines.append(_("Reminders of your unit's reporting deadlines still come."))
    lines.append(_("Send /start any time to get announcements again."))
    return Reply("\n".join(lines), choices=main_menu_choices(ctx))
