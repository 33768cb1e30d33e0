"""Questions in the user's own words, answered from content through the search index."""

from __future__ import annotations

from enum import StrEnum

from bot.core.chat import Incoming, Kind, Reply, choice, escape
from bot.core.i18n import N_, _
from bot.engine import Context, Router, typed_text
from handlers.content import topic_page
from handlers.start import ask_to_type

router = Router("ask")

QUOTE_LIMIT = 200  # characters of the user's question quoted back to them
MISS_LIMIT = 1000  # characters of an unanswered question kept for content editors


class AskStep(StrEnum):
    """Steps of the ask flow."""

    question = "ask.question"


@router.choice("ask")
@router.command("ask", "hoi", help=N_("ask a question in your own words"))
async def ask(event: Incoming, ctx: Context) -> Reply:
    """Invite a question (or answer one given after /ask)."""
    if event.kind is Kind.command and event.args.strip():
        return await answer(ctx, event.args)
    return ask_to_type(
        ctx,
        AskStep.question,
        _(
            "Type your question in your own words. Accents are not needed, for example: "
            '"ho tro lam nha" or "vay von uu dai".'
        ),
    )


@router.step(AskStep.question)
async def take_question(event: Incoming, ctx: Context) -> Reply | None:
    """Answer the typed question; menu choices pass through to their own handlers."""
    question = typed_text(event, _("Please type your question in words."))
    if question is None:
        return None
    ctx.state.clear()
    return await answer(ctx, question)


@router.text()
async def free_text(event: Incoming, ctx: Context) -> Reply:
    """Text typed outside any step is a question too."""
    return await answer(ctx, event.text)


async def answer(ctx: Context, question: str) -> Reply:
    """A confident match opens its page; a weak one offers the best three and a person.

    What search could not answer confidently is recorded for content editors
    (`loa questions export`), and its "Ask an officer" choice carries it into a ticket.
    """
    search = ctx.services.search
    hits = search.search(question, limit=3)
    if hits and search.is_confident(hits):
        return topic_page(ctx, hits[0].topic_id, lead=_("Here is what I found:"))
    miss = await ctx.repos.tickets.record_miss(
        user_id=ctx.user.id,
        text=question.strip()[:MISS_LIMIT],
        unit_id=ctx.user.unit_id,
        language=ctx.language,
        best_topic=hits[0].topic_id if hits else None,
        score=hits[0].score if hits else 0.0,
        now=ctx.now,
    )
    quoted = escape(question.strip()[:QUOTE_LIMIT])
    library = ctx.services.content
    guesses = [
        choice("t", hit.topic_id, label=library.title(hit.topic_id, ctx.language))
        for hit in hits[:3]
        if hit.topic_id in library
    ]
    people = [
        choice("question", miss.id, label=_("Ask an officer")),
        choice("ask", label=_("Ask another question")),
        choice("menu", label=_("🏠 Main menu")),
    ]
    if guesses:
        text = _(
            "You asked: “{question}”. I am not sure I understood. Is it one of these? If "
            'not, choose "Ask an officer": your question goes to an officer, and the answer '
            "comes back here."
        ).format(question=quoted)
    else:
        text = _(
            "You asked: “{question}”. I could not find an answer. Try other words, or choose "
            '"Ask an officer": your question goes to an officer, and the answer comes back '
            "here."
        ).format(question=quoted)
    return Reply(text, choices=(*guesses, *people))
