"""Answering: officers answer (reply, button or /answer), askers close, /tickets lists."""

from __future__ import annotations

from bot.core.chat import Incoming, Kind, Reply, choice, escape, parse_choice
from bot.core.i18n import N_, _
from bot.engine import BadInput, Context
from bot.tickets.notices import (
    ANSWER_ROUTE,
    may_answer,
    officer_notice,
    quote,
    ticket_numbers,
    view_of,
)
from bot.tickets.reminders import reminder_prefix
from db.models import MediaKind, Ticket, TicketStatus
from handlers.admin import describe_user, local_time, unit_name
from handlers.start import main_menu_choices
from handlers.tickets.asking import choose_name
from handlers.tickets.common import (
    ANSWER_MAX,
    LISTED,
    OFFICERS,
    TEXT_MIN,
    TicketStep,
    router,
    status_label,
)


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
            (
                _("Your answer to question #{number} is saved for the villager.") + held
                if (held := ctx.held_note())
                else _("Your answer to question #{number} was sent to the villager.")
            ).format(number=ticket.id),
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
        return await choose_name(ctx, anonymous=args[1] == "anon")
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
