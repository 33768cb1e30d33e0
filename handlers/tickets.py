"""Questions to a person: a villager asks the officers of their commune, an officer answers.

    /question, the menu, or "Ask an officer" after a search that was not sure
      → with my name | without my name → text, a photo or a voice message → ticket #N (open)
    officers: the question arrives (photo or voice with it) with an "Answer" button;
      Telegram: reply to it or press Answer; Zalo and console: /answer N text (or the button)
      → the answer reaches the asker through the outbox, their question quoted (answered)
    the asker: "This answers my question" (closed); /tickets lists what is open for an officer

Routing and what officers read are in bot/tickets/; reminders of unanswered questions are
planned by the scheduler (bot/tickets/reminders.py). Every action checks who may take it:
officers answer questions of their unit and the units under it, admins all, nobody their own.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from functools import partial

from bot.core.chat import Incoming, Kind, MediaRef, Reply, choice, escape, parse_choice
from bot.core.i18n import N_, _
from bot.engine import BadInput, Context, Router
from bot.reports.media import (
    MediaLimits,
    MediaProblem,
    MediaRejected,
    StoredMedia,
    open_store,
    take_photo,
    take_voice,
)
from bot.tickets.notices import (
    ANSWER_ROUTE,
    may_answer,
    officer_notice,
    quote,
    responders,
    ticket_numbers,
    view_of,
)
from bot.tickets.reminders import reminder_prefix
from db.models import MediaKind, Role, Ticket, TicketStatus
from handlers.admin import describe_user, local_time, unit_name
from handlers.report import problem_text
from handlers.start import main_menu_choices

router = Router("tickets")

OFFICERS = (Role.officer, Role.admin)
TEXT_MIN = 3
ANSWER_MAX = 3000
LISTED = 15  # open tickets shown by /tickets

router.menu(3, N_("Questions from villagers"), "tickets", roles=OFFICERS)

NEW_QUESTION = N_("A villager sent a question.")

STATUS_LABELS = {
    TicketStatus.open: N_("waiting for an answer"),
    TicketStatus.answered: N_("answered"),
    TicketStatus.closed: N_("closed"),
}


class TicketStep(StrEnum):
    """Steps of asking and of answering."""

    question = "tickets.question"
    answer = "tickets.answer"


def status_label(status: str) -> str:
    """A ticket status in the current language."""
    try:
        return _(STATUS_LABELS[TicketStatus(status)])
    except ValueError:
        return status


# --- asking -----------------------------------------------------------------------------------


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


async def _choose_name(ctx: Context, anonymous: bool) -> list[Reply]:
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
    settings = ctx.services.settings
    limits = MediaLimits.of(settings)
    ref = media[0] if media else MediaRef("", problem=MediaProblem.download_failed.value)
    store = open_store(settings)
    try:
        if kind is Kind.photo:
            return await take_photo(store, ref, limits)
        return await take_voice(store, ref, limits)
    except MediaRejected as rejected:
        reason = problem_text(rejected.problem, limits.max_bytes)
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
    if anonymous:
        text += "\n\n" + _("The officers will not see your name.")
    return [Reply(text, choices=main_menu_choices(ctx))]


# --- answering --------------------------------------------------------------------------------


async def answerable(ctx: Context, ticket_id: int) -> Ticket:
    """The ticket, if this user may answer it; otherwise a polite refusal and no change."""
    ticket = await ctx.repos.tickets.get(ticket_id, lock=True)
    if ticket is None or not await may_answer(ctx.repos, ctx.user, ticket):
        raise BadInput(
            _("Question #{number} is not one of the questions you answer.").format(
                number=ticket_id
            )
        )
    return ticket


async def _not_open(ctx: Context, ticket: Ticket) -> BadInput:
    """Say who answered or closed the ticket, and when (nothing is changed)."""
    actor_id = ticket.answered_by if ticket.status == TicketStatus.answered else ticket.closed_by
    actor = await ctx.repos.users.get(actor_id) if actor_id is not None else None
    at = ticket.answered_at if ticket.status == TicketStatus.answered else ticket.closed_at
    return BadInput(
        _("Question #{number} is already {status} ({who}, {when}). Nothing was changed.").format(
            number=ticket.id,
            status=status_label(ticket.status),
            who=escape(describe_user(actor)) if actor else "—",
            when=local_time(ctx, at) if at else "—",
        )
    )


@router.command("answer", "traloi", roles=OFFICERS, help=N_("answer a question: /answer N text"))
async def answer_command(event: Incoming, ctx: Context) -> list[Reply]:
    """`/answer N text` answers at once; `/answer N` asks for the text."""
    number, _sep, words = event.args.strip().partition(" ")
    number = number.lstrip("#")
    if not number.isdigit():
        raise BadInput(
            _(
                "Send /answer, the question's number and your answer, for example: {example}"
            ).format(example="/answer 12 …")
        )
    ticket = await answerable(ctx, int(number))
    if words.strip():
        return await answer_ticket(ctx, ticket, words.strip())
    return await _ask_answer(ctx, ticket)


async def _ask_answer(ctx: Context, ticket: Ticket) -> list[Reply]:
    """Show the question and wait for the officer's answer."""
    if ticket.status != TicketStatus.open.value:
        raise await _not_open(ctx, ticket)
    unit = await unit_name(ctx, ticket.unit_id) if ticket.unit_id else ""
    view = await view_of(ctx.repos, ctx.services.settings, ticket, unit)
    ctx.state.enter(TicketStep.answer, ticket_id=ticket.id)
    lead = _("Type your answer to question #{number}.").format(number=ticket.id)
    return officer_notice(view, ctx.user, ctx.services.settings, ctx.now, lead, answering=True)


@router.step(TicketStep.answer, roles=OFFICERS)
async def take_answer(event: Incoming, ctx: Context) -> list[Reply] | None:
    """The officer's answer; buttons pass through."""
    if event.kind is Kind.choice:
        return None
    ticket = await answerable(ctx, int(ctx.state.get("ticket_id", 0)))
    if event.kind is not Kind.text:
        raise BadInput(_("Please type your answer in words."))
    return await answer_ticket(ctx, ticket, event.text.strip())


@router.reply(ANSWER_ROUTE, roles=OFFICERS)
async def reply_to_question(event: Incoming, ctx: Context) -> list[Reply] | None:
    """A Telegram reply to a question's message answers that question."""
    numbers = ticket_numbers(event.reply_to)
    if not numbers:
        return None
    ticket = await answerable(ctx, numbers[0])
    if event.kind is not Kind.text:
        raise BadInput(_("Please type your answer in words."))
    return await answer_ticket(ctx, ticket, event.text.strip())


async def answer_ticket(ctx: Context, ticket: Ticket, words: str) -> list[Reply]:
    """Record the answer, stop the reminders, and send it to the asker in their language."""
    if ticket.status != TicketStatus.open.value:
        ctx.state.clear()
        raise await _not_open(ctx, ticket)
    if len(words) < TEXT_MIN:
        raise BadInput(_("Please type a few words, so the villager understands."))
    if len(words) > ANSWER_MAX:
        raise BadInput(
            _("Please keep it under {limit} characters (you wrote {length}).").format(
                limit=ANSWER_MAX, length=len(words)
            )
        )
    ticket.answer = words
    change = await ctx.repos.tickets.change_status(
        ticket, TicketStatus.answered, actor_id=ctx.user.id, now=ctx.now
    )
    await ctx.repos.outbox.cancel_pending(reminder_prefix(ticket.id), reason="answered")
    asker = await ctx.repos.users.get(ticket.asker_id)
    officer = describe_user(ctx.user)
    unit = await unit_name(ctx, ctx.user.unit_id) if ctx.user.unit_id else ""
    who = f"{officer} ({unit})" if unit else officer
    number, question, kind = ticket.id, ticket.text, ticket.media_kind

    def build() -> Reply:
        if question.strip():
            asked = f"“{quote(question)}”"
        elif kind == MediaKind.voice.value:
            asked = _("(your voice message)")
        else:
            asked = _("(your photo)")
        text = "\n\n".join(
            [
                _("**Answer to your question #{number}**").format(number=number),
                _("You asked: {question}").format(question=asked),
                _("{who} answers:").format(who=escape(who)),
                escape(words),
            ]
        )
        return Reply(
            text,
            choices=(
                choice(ANSWER_ROUTE, "close", number, label=_("✅ This answers my question")),
                choice("question", label=_("Ask another question")),
                choice("menu", label=_("🏠 Main menu")),
            ),
        )

    if asker is not None:
        await ctx.notify(
            asker, build, key=f"{reminder_prefix(ticket.id)}answer:{change.id}", kind="ticket"
        )
    ctx.state.clear()
    return [
        Reply(
            _("Your answer to question #{number} was sent to the villager.").format(
                number=ticket.id
            ),
            choices=(
                choice("tickets", label=_("Questions from villagers")),
                choice("menu", label=_("🏠 Main menu")),
            ),
        )
    ]


# --- closing and listing ----------------------------------------------------------------------


@router.choice(ANSWER_ROUTE)
async def ticket_choice(event: Incoming, ctx: Context) -> list[Reply]:
    """Name or no name; answer a question; close an answered one."""
    parsed = parse_choice(event.choice)
    args = parsed[1] if parsed else []
    if len(args) == 2 and args[0] == "who":
        return await _choose_name(ctx, anonymous=args[1] == "anon")
    if len(args) != 2 or not args[1].isdigit():
        raise BadInput(_("Sorry, that button is out of date. Send /menu for the main menu."))
    action, number = args[0], int(args[1])
    if action == "ans":
        if ctx.role not in OFFICERS:
            raise BadInput(
                _("Question #{number} is not one of the questions you answer.").format(
                    number=number
                )
            )
        return await _ask_answer(ctx, await answerable(ctx, number))
    if action == "close":
        return await _close(ctx, number)
    raise BadInput(_("Sorry, that button is out of date. Send /menu for the main menu."))


async def _close(ctx: Context, number: int) -> list[Reply]:
    """The asker (or an officer who may answer it) closes an answered question."""
    ticket = await ctx.repos.tickets.get(number, lock=True)
    mine = ticket is not None and ticket.asker_id == ctx.user.id
    if ticket is None or not (mine or await may_answer(ctx.repos, ctx.user, ticket)):
        raise BadInput(_("Question #{number} is not one of your questions.").format(number=number))
    if ticket.status == TicketStatus.closed.value:
        raise await _not_open(ctx, ticket)
    if ticket.status != TicketStatus.answered.value:
        raise BadInput(
            _("Question #{number} has no answer yet; it stays open.").format(number=number)
        )
    await ctx.repos.tickets.change_status(
        ticket, TicketStatus.closed, actor_id=ctx.user.id, now=ctx.now
    )
    ctx.state.clear()
    return [
        Reply(
            _("Thank you. Question #{number} is closed.").format(number=number),
            choices=main_menu_choices(ctx),
        )
    ]


@router.command("tickets", "hoidap", roles=OFFICERS, help=N_("villagers' questions waiting"))
@router.choice("tickets", roles=OFFICERS)
async def open_tickets(event: Incoming, ctx: Context) -> Reply:
    """The open questions this officer answers, oldest first."""
    ctx.state.clear()
    waiting = [
        ticket
        for ticket in await ctx.repos.tickets.find(statuses=[TicketStatus.open])
        if await may_answer(ctx.repos, ctx.user, ticket)
    ]
    if not waiting:
        return Reply(_("No question is waiting for your answer."), choices=main_menu_choices(ctx))
    lines = [_("**Questions waiting for your answer: {count}**").format(count=len(waiting))]
    choices = []
    for ticket in waiting[:LISTED]:
        unit = await unit_name(ctx, ticket.unit_id) if ticket.unit_id else "—"
        what = quote(ticket.text[:80]) if ticket.text.strip() else _("(photo or voice)")
        lines.append(
            _("#{number} · {unit} · {when} · {question}").format(
                number=ticket.id,
                unit=escape(unit),
                when=local_time(ctx, ticket.created_at),
                question=what,
            )
        )
        choices.append(
            choice(
                ANSWER_ROUTE,
                "ans",
                ticket.id,
                label=_("Answer question #{number}").format(number=ticket.id),
            )
        )
    choices.append(choice("menu", label=_("🏠 Main menu")))
    return Reply("\n".join(lines), choices=tuple(choices))
