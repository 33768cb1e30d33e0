"""Composing a poll: its answers, one message each, and when it closes."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.broadcasts.service import MAX_OPTIONS, MIN_OPTIONS, OPTION_MAX
from bot.core.chat import Incoming, Kind, Reply, choice, escape
from bot.core.i18n import _
from bot.engine import BadInput, Context
from handlers.broadcast.audience import ask_audience
from handlers.broadcast.common import (
    AUTHORS,
    BroadcastStep,
    args_of,
    keep_typed_moment,
    router,
    stale,
)

POLL_DAYS = (1, 3, 7)


@router.step(BroadcastStep.options, roles=AUTHORS)
async def take_option(event: Incoming, ctx: Context) -> Reply | None:
    """One answer of the poll per message."""
    if event.kind is Kind.choice:
        return None
    if event.kind is not Kind.text:
        raise BadInput(_("Please type the answer."))
    options = list(ctx.state.get("options", []))
    text = " ".join(event.text.split())
    if len(text) > OPTION_MAX:
        raise BadInput(
            _("An answer may have at most {limit} characters.").format(limit=OPTION_MAX)
        )
    if len(options) >= MAX_OPTIONS:
        raise BadInput(
            _("A poll has at most {count} answers. Press Done.").format(count=MAX_OPTIONS)
        )
    options.append(text)
    ctx.state.update(options=options)
    listed = "\n".join(f"{n}. {escape(o)}" for n, o in enumerate(options, 1))
    return Reply(
        _("Answers so far:") + "\n" + listed,
        choices=(choice("bcdone", label=_("Done")),) if len(options) >= MIN_OPTIONS else (),
    )


@router.choice("bcdone", roles=AUTHORS)
async def options_done(event: Incoming, ctx: Context) -> Reply:
    """Ask when the poll closes."""
    if ctx.state.step != BroadcastStep.options:
        raise stale()
    if len(ctx.state.get("options", [])) < MIN_OPTIONS:
        raise BadInput(_("A poll needs at least {count} answers.").format(count=MIN_OPTIONS))
    ctx.state.enter(BroadcastStep.closes, **ctx.state.data)
    return Reply(
        _("When does the poll close? Choose, or type a day and time like 20/12 17:00."),
        choices=tuple(
            choice("bccl", days, label=_("In {days} days").format(days=days)) for days in POLL_DAYS
        ),
    )


@router.step(BroadcastStep.closes, roles=AUTHORS)
async def take_closing(event: Incoming, ctx: Context) -> Reply | None:
    """A typed closing time."""
    refusal = _("Please type a day and time at least an hour ahead, like 20/12 17:00.")
    soonest = ctx.now + timedelta(hours=1)
    kept = keep_typed_moment(event, ctx, "closes", refusal, not_before=soonest)
    return await ask_audience(ctx) if kept else None


@router.choice("bccl", roles=AUTHORS)
async def choose_closing(event: Incoming, ctx: Context) -> Reply:
    """Close in some days, at 17:00 local time."""
    if ctx.state.step != BroadcastStep.closes:
        raise stale()
    raw = args_of(event)[:1]
    if not raw or not raw[0].isdigit() or int(raw[0]) not in POLL_DAYS:
        raise stale()
    local = ctx.now.astimezone(ctx.services.settings.tz) + timedelta(days=int(raw[0]))
    closes = datetime.combine(local.date(), time(17, 0), tzinfo=ctx.services.settings.tz)
    ctx.state.update(closes=closes.isoformat())
    return await ask_audience(ctx)
