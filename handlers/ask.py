"""Questions in the user's own words, answered from content through the search index.

Every typed message goes through one analysis (`bot.content.answers`), in this order: someone
in danger gets the safety answer first; greetings and thanks are answered like a person;
gibberish is told plainly it was not understood; subjects Loa does not cover are named with
whom to ask; otherwise the page, or the best guesses when search is unsure. A page that does not
state the kind of fact asked (an amount, an age, a fine, a date) is given with that said.
"""

from __future__ import annotations

from enum import StrEnum

from bot.content.answers import Analysis, Ask, Fact, OutOfScope, SmallTalk
from bot.core.chat import Choice, Incoming, Kind, Reply, choice, escape
from bot.core.i18n import N_, _
from bot.engine import Context, Router, typed_text
from handlers.content import topic_page
from handlers.start import ask_to_type, main_menu_choices

router = Router("ask")

QUOTE_LIMIT = 200  # characters of the user's question quoted back to them
MISS_LIMIT = 1000  # characters of an unanswered question kept for content editors
CONTACTS = "lien-he"  # the page that says whom to ask and where

# Whom to ask about what Loa does not cover: the subject and the office, in one sentence each.
OUT_OF_SCOPE = {
    OutOfScope.pension: N_(
        "Loa does not cover pensions. Ask the social insurance office (Bảo hiểm xã hội) or "
        "the culture and social affairs officer of the commune People's Committee."
    ),
    OutOfScope.social_insurance: N_(
        "Loa does not cover social insurance. Ask the social insurance office (Bảo hiểm xã "
        "hội) or the commune People's Committee."
    ),
    OutOfScope.land: N_(
        "Loa does not cover land-use certificates and land procedures. Ask the land officer "
        "(địa chính) of the commune People's Committee."
    ),
    OutOfScope.poor_household: N_(
        "Loa does not cover who is classed as a poor or near-poor household. The commune "
        "People's Committee runs that review: ask there, or ask your village head."
    ),
    OutOfScope.civil_papers: N_(
        "Loa does not cover civil papers such as birth registration, identity cards or "
        "residence. Ask the justice and civil status officer of the commune People's "
        "Committee, or the commune police for identity cards and residence."
    ),
    OutOfScope.officials_pay: N_(
        "Loa does not cover the pay and allowances of officials. Ask the commune People's "
        "Committee."
    ),
    OutOfScope.tax: N_(
        "Loa does not cover taxes. Ask the tax office or the commune People's Committee."
    ),
    OutOfScope.electricity: N_(
        "Loa does not cover electricity bills or power cuts. Ask your electricity company "
        "(điện lực)."
    ),
    OutOfScope.merit: N_(
        "Loa does not cover policies for people with meritorious services (war invalids, "
        "martyrs' families). Ask the culture and social affairs officer of the commune "
        "People's Committee."
    ),
    OutOfScope.social_assistance: N_(
        "Loa does not cover social allowances (for elderly people, people with disabilities, "
        "orphans). Ask the culture and social affairs officer of the commune People's "
        "Committee."
    ),
    OutOfScope.military_service: N_(
        "Loa does not cover military service. Ask the military command of the commune (Ban "
        "Chỉ huy quân sự xã)."
    ),
    OutOfScope.justice: N_(
        "Loa does not cover divorce, inheritance, notarisation or lawsuits. Ask the justice "
        "officer (tư pháp) of the commune People's Committee."
    ),
    OutOfScope.police: N_(
        "Loa does not cover theft, crime, driving licences or vehicle registration. Ask the "
        "commune police; in an emergency call 113."
    ),
    OutOfScope.labour: N_(
        "Loa does not cover work contracts, wages owed or workers' rights. Ask the culture and "
        "social affairs officer of the commune People's Committee."
    ),
    OutOfScope.environment: N_(
        "Loa does not cover pollution, waste or mining. Ask the land and environment officer "
        "(địa chính - môi trường) of the commune People's Committee."
    ),
    OutOfScope.permits: N_(
        "Loa does not cover building or business permits. Ask the commune People's Committee."
    ),
    OutOfScope.prices: N_(
        "Loa does not cover market prices. Ask the agriculture officer of the commune People's "
        "Committee, or traders at the market."
    ),
}

# What to say when the page does not state the kind of fact asked for.
MISSING_FACT = {
    Fact.amount: N_("This page does not state the amount you asked about."),
    Fact.age: N_("This page does not state the age you asked about."),
    Fact.fine: N_("This page does not state any fine."),
    Fact.date: N_("This page does not state the date you asked about."),
}


class AskStep(StrEnum):
    """Steps of the ask flow."""

    question = "ask.question"


@router.choice("ask")
@router.command("ask", "hoi", help=N_("ask a question in your own words"))
async def ask(event: Incoming, ctx: Context) -> Reply | list[Reply]:
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
async def take_question(event: Incoming, ctx: Context) -> Reply | list[Reply] | None:
    """Answer the typed question; menu choices pass through to their own handlers."""
    question = typed_text(event, _("Please type your question in words."))
    if question is None:
        return None
    ctx.state.clear()
    return await answer(ctx, question)


@router.text()
async def free_text(event: Incoming, ctx: Context) -> Reply | list[Reply]:
    """Text typed outside any step is a question too."""
    return await answer(ctx, event.text)


async def answer(ctx: Context, question: str) -> Reply | list[Reply]:
    """Answer a typed message as its analysis says: danger first, then talk, scope, pages.

    What search could not answer confidently is recorded for content editors
    (`loa questions export`), and its "Ask an officer" choice carries it into a ticket.
    """
    analysis = ctx.services.answers.analyse(question, limit=3)
    if analysis.urgent is not None:
        return safety_reply(ctx, analysis)
    if analysis.small_talk is SmallTalk.greeting:
        return Reply(
            _(
                "Hello! I am Loa. Pick a number from the menu, or type your question in your "
                "own words."
            ),
            choices=main_menu_choices(ctx),
        )
    if analysis.small_talk is SmallTalk.thanks:
        return Reply(
            _("You are welcome! Ask again whenever you need. Here is the menu:"),
            choices=main_menu_choices(ctx),
        )
    if analysis.small_talk is SmallTalk.acknowledgement:
        return Reply(_("All right. Here is the menu:"), choices=main_menu_choices(ctx))
    if analysis.gibberish:
        return Reply(
            _(
                "Sorry, I did not understand your message. Please type your question in a few "
                'words, for example "vay von uu dai", or pick a number from the menu.'
            ),
            choices=main_menu_choices(ctx),
        )
    parts = analysis.answered_parts
    if parts:
        intro = Reply(
            _("You asked {count} things; here is each in turn.").format(count=len(parts))
        )
        return [intro, *[await answer_part(ctx, part, quote=True) for part in parts]]
    return await answer_part(ctx, analysis.main)


def safety_reply(ctx: Context, analysis: Analysis) -> Reply:
    """What to do now when someone is in danger, then where to reach a person (an officer)."""
    text = "\n".join(
        (
            _("⚠️ **If someone is in danger, act now:**"),
            _("• Call **113** (police) if someone is being hurt or threatened right now."),
            _(
                "• Call **111**, the national child protection hotline (free, day and night), "
                "when a child is at risk: violence, abuse, forced or early marriage, "
                "trafficking."
            ),
            _(
                "• Go to the commune People's Committee or the commune police. The village "
                "head and the Women's Union of the commune can help and go with you."
            ),
        )
    )
    choices: list[Choice] = [
        choice("question", label=_("Ask an officer")),
        choice("t", CONTACTS, label=_("Who to ask")),
    ]
    library = ctx.services.content
    related = next((hit.topic_id for hit in analysis.hits if hit.topic_id in library), None)
    if related is not None and related != CONTACTS:
        choices.append(choice("t", related, label=library.title(related, ctx.language)))
    choices.append(choice("menu", label=_("🏠 Main menu")))
    return Reply(text, choices=tuple(choices))


async def answer_part(ctx: Context, part: Ask, *, quote: bool = False) -> Reply:
    """One ask: out of scope, a page (saying when it lacks the fact asked), or guesses."""
    quoted = escape(part.text.strip()[:QUOTE_LIMIT])
    heading = _("You asked: “{question}”.").format(question=quoted) if quote else ""
    if part.out_of_scope is not None and part.out_of_scope is not OutOfScope.uncovered:
        text = _(OUT_OF_SCOPE[part.out_of_scope])
        return Reply(
            "\n\n".join(filter(None, (heading, text))),
            choices=(
                choice("t", CONTACTS, label=_("Who to ask")),
                choice("ask", label=_("Ask another question")),
                choice("menu", label=_("🏠 Main menu")),
            ),
        )
    if part.topic_id is not None:
        lead = heading or _("Here is what I found:")
        if part.fact is not None and not part.fact_found:
            note = (
                _(MISSING_FACT[part.fact])
                + " "
                + _("The commune People's Committee can tell you: see “Who to ask”.")
            )
            page = topic_page(ctx, part.topic_id, lead=f"{lead}\n\n{note}")
            asked = choice("t", CONTACTS, label=_("Who to ask"))
            return page.with_choices(asked, *page.choices)
        return topic_page(ctx, part.topic_id, lead=lead)
    miss = await ctx.repos.tickets.record_miss(
        user_id=ctx.user.id,
        text=part.text.strip()[:MISS_LIMIT],
        unit_id=ctx.user.unit_id,
        language=ctx.language,
        best_topic=part.hits[0].topic_id if part.hits else None,
        score=part.hits[0].score if part.hits else 0.0,
        now=ctx.now,
    )
    library = ctx.services.content
    guesses = [
        choice("t", hit.topic_id, label=library.title(hit.topic_id, ctx.language))
        for hit in part.hits[:3]
        if hit.topic_id in library
    ]
    people = [
        choice("question", miss.id, label=_("Ask an officer")),
        choice("ask", label=_("Ask another question")),
        choice("menu", label=_("🏠 Main menu")),
    ]
    if part.out_of_scope is OutOfScope.uncovered:
        text = _(
            "You asked: “{question}”. Loa's pages do not seem to cover this. The commune "
            'People\'s Committee can tell you whom to ask, or choose "Ask an officer": your '
            "question goes to an officer, and the answer comes back here."
        ).format(question=quoted)
        return Reply(text, choices=(choice("t", CONTACTS, label=_("Who to ask")), *people))
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
