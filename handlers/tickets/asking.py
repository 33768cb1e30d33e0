"""Asking: a villager's question, named or not, in words, a photo or a voice message."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from bot.core.chat import Incoming, Kind, MediaRef, Reply, choice, escape, parse_choice
from bot.core.i18n import N_, _
from bot.engine import BadInput, Context
from bot.reports.media import MediaChecks, MediaProblem, MediaRejected, StoredMedia, take_voice
from bot.tickets.notices import ANSWER_ROUTE, officer_notice, quote, responders, view_of
from bot.tickets.reminders import reminder_prefix
from db.models import Role
from handlers.admin import unit_name
from handlers.report.views import problem_text, voice_problem_text
from handlers.start import main_menu_choices
from handlers.tickets.common import NEW_QUESTION, TEXT_MIN, TicketStep, router


async def _destination(ctx: Context) -> str | None:
    """Who will read the question, as the asker is told (None: nobody is registered)."""
    unit_id = ctx.user.unit_id
    people = await responders(ctx.repos, unit_id, not_user=ctx.user.id)
    if not people:
        return None
    if unit_id is not None and people[0].role == Role.officer.value:
        return _("the officers of {unit}").format(unit=escape(await unit_name(ctx, unit_id)))
    return _("the district's administrators")


def _nobody(ctx: Context) -> BadInput:
    ctx.state.clear()
    return BadInput(
        _(
            "No officer or administrator is registered in Loa yet, so nobody could read your "
            "question here. Please ask at the commune office or the village head."
        )
    )


async def _check_rate(ctx: Context) -> None:
    """Refuse a new question when this person sent too many today."""
    limit = ctx.services.settings.tickets_per_day
    sent = await ctx.repos.tickets.count_since(ctx.user.id, ctx.now - timedelta(days=1))
    if sent >= limit:
        ctx.state.clear()
        raise BadInput(
            _(
                "You have sent {count} questions in the last 24 hours, the most Loa takes. "
                "Please wait for the answers, or ask again tomorrow."
            ).format(count=sent)
        )


@router.command("question", "cauhoi", help=N_("send a question to an officer"))
@router.choice("question")
async def ask_officer(event: Incoming, ctx: Context) -> Reply:
    """Ask whether the officers may see the asker's name (a search miss carries its words)."""
    await _check_rate(ctx)
    parsed = parse_choice(event.choice) if event.kind is Kind.choice else None
    args = parsed[1] if parsed else []
    miss_id = int(args[0]) if args and args[0].isdigit() else 0
    words = ""
    if miss_id:
        miss = await ctx.repos.tickets.miss(miss_id)
        if miss is not None and miss.user_id == ctx.user.id:
            words = miss.text
    elif event.kind is Kind.command:
        words = event.args.strip()
    who = await _destination(ctx)
    if who is None:
        raise _nobody(ctx)
    ctx.state.enter(TicketStep.question, text=words)
    lines = [_("Your question goes to {who}.").format(who=who)]
    if words:
        lines.append(_("Your question: “{question}”").format(question=quote(words)))
    if ctx.user.unit_id is None and ctx.role is Role.villager:
        lines.append(_("To send it to the officers of your commune, first choose it: /commune"))
    lines.append(_("Should the officers see your name?"))
    return Reply(
        "\n\n".join(lines),
        choices=(
            choice(ANSWER_ROUTE, "who", "named", label=_("Send with my name")),
            choice(ANSWER_ROUTE, "who", "anon", label=_("Send without my name")),
            choice("menu", label=_("🏠 Main menu")),
        ),
    )


async def choose_name(ctx: Context, anonymous: bool) -> list[Reply]:
    """Send the question already given, or ask for it."""
    if ctx.state.step != TicketStep.question:
        raise BadInput(_("Sorry, that button is out of date. Send /question to ask again."))
    words = str(ctx.state.get("text", ""))
    if words:
        return await _send(ctx, anonymous=anonymous, text=words)
    ctx.state.update(anonymous=anonymous, chosen=True)
    return [
        Reply(
            _(
                "Type your question, or send a photo (with a few words as its caption) or a "
                "voice message."
            )
        )
    ]


# Files are downloaded only where a step keeps them (bot/engine.py: Router.takes).
router.takes(TicketStep.question, Kind.photo, Kind.voice)


@router.step(TicketStep.question)
async def take_question(event: Incoming, ctx: Context) -> list[Reply] | None:
    """The question itself: text, a photo or a voice message; buttons pass through."""
    if event.kind is Kind.choice:
        return None
    if not ctx.state.get("chosen"):
        raise BadInput(_("Please choose first whether the officers may see your name."))
    anonymous = bool(ctx.state.get("anonymous"))
    if event.kind is Kind.text:
        if len(event.text.strip()) < TEXT_MIN:
            raise BadInput(_("Please type a few more words, so the officer understands."))
        return await _send(ctx, anonymous=anonymous, text=event.text.strip())
    if event.kind in (Kind.photo, Kind.voice):
        if await _destination(ctx) is None:  # before storing: no file nobody will read
            raise _nobody(ctx)
        stored = await _store(ctx, event.kind, event.media)
        return await _send(ctx, anonymous=anonymous, text=event.text.strip(), media=stored)
    raise BadInput(_("Please type your question, or send a photo or a voice message."))


async def _store(ctx: Context, kind: Kind, media: tuple[MediaRef, ...]) -> StoredMedia:
    """Keep the photo or voice message with the question, or say why it cannot be kept."""
    checks = ctx.services.media or MediaChecks(ctx.services.settings)
    limits = checks.limits
    ref = media[0] if media else MediaRef("", problem=MediaProblem.download_failed.value)
    try:
        if kind is Kind.photo:
            return await checks.photo(ref)  # decoded before the transaction (bot/engine.py)
        return await take_voice(checks.store, ref, limits)
    except MediaRejected as rejected:
        explain = problem_text if kind is Kind.photo else voice_problem_text
        reason = explain(rejected.problem, limits.max_bytes)
        raise BadInput(_("It was not kept: {reason}").format(reason=reason)) from rejected


async def _send(
    ctx: Context, *, anonymous: bool, text: str, media: StoredMedia | None = None
) -> list[Reply]:
    """Open the ticket, send it to whoever answers it, and tell the asker what happens next."""
    settings = ctx.services.settings
    who = await _destination(ctx)
    if who is None:  # checked before writing: BadInput must leave the database as it was
        raise _nobody(ctx)
    ticket = await ctx.repos.tickets.open(
        asker_id=ctx.user.id,
        unit_id=ctx.user.unit_id,
        language=ctx.language,
        anonymous=anonymous,
        text=text,
        now=ctx.now,
        media_kind=media.kind.value if media else None,
        media_path=media.key if media else None,
        media_mime=media.mime if media else "",
    )
    unit = await unit_name(ctx, ticket.unit_id) if ticket.unit_id else ""
    view = await view_of(ctx.repos, settings, ticket, unit)
    for officer in await responders(ctx.repos, ticket.unit_id, not_user=ctx.user.id):
        await ctx.notify(
            officer,
            partial(officer_notice, view, officer, settings, ctx.now, NEW_QUESTION),
            key=f"{reminder_prefix(ticket.id)}new:{officer.id}",
            kind="ticket",
        )
    ctx.state.clear()
    text = _(
        "Thank you. Your question #{number} was sent to {who}. They are asked to answer "
        "within {days} days; if nobody has answered after {hours} hours, Loa reminds them. "
        "The answer will come here, in this chat."
    ).format(
        number=ticket.id,
        who=who,
        days=settings.ticket_answer_days,
        hours=settings.ticket_reminder_hours,
    )
    text += ctx.held_note()
    if anonymous:
        text += "\n\n" + _("The officers will not see your name.")
    return [Reply(text, choices=main_menu_choices(ctx))]
