"""A recipient answers a poll by its number; a later answer replaces the earlier one."""

from __future__ import annotations

from bot.broadcasts.results import PollError, answer_poll
from bot.broadcasts.service import format_moment
from bot.core.chat import Incoming, Reply, choice, escape
from bot.core.i18n import _
from bot.engine import BadInput, Context
from db.models import BroadcastKind
from handlers.broadcast.common import args_of, menu_choice, router


@router.choice("pa")
async def answer(event: Incoming, ctx: Context) -> Reply:
    """Count the answer and say it can still change until the poll closes."""
    args = args_of(event)
    if len(args) != 2 or not all(arg.isdigit() for arg in args):
        raise BadInput(_("That button is out of date."))
    poll = await ctx.repos.broadcasts.get(int(args[0]))
    if poll is None or poll.kind != BroadcastKind.poll.value or poll.closes_at is None:
        raise BadInput(_("This poll no longer exists."))
    tz = ctx.services.settings.tz
    try:
        first = await answer_poll(
            ctx.repos, poll, ctx.user, int(args[1]), language=ctx.language, now=ctx.now
        )
    except PollError as error:
        if error.reason == "closed":
            raise BadInput(
                _("This poll closed at {time}; your answer was not counted.").format(
                    time=format_moment(poll.closes_at, tz)
                )
            ) from error
        raise BadInput(_("That button is out of date.")) from error
    ctx.state.clear()
    option = escape(poll.options[int(args[1]) - 1])
    head = (
        _("Thank you! Your answer: {option}.")
        if first
        else _("Your answer is changed to: {option}.")
    ).format(option=option)
    tail = _("You can change it until {time} by choosing another number.").format(
        time=format_moment(poll.closes_at, tz)
    )
    choices = tuple(choice("pa", poll.id, n, label=text) for n, text in enumerate(poll.options, 1))
    return Reply(f"{head}\n{tail}", choices=(*choices, menu_choice()))
