"""Browse the plan and the programme: topic pages with children, related, back, home.

A page opens on its first screen (what to know, whom to ask: short enough for a phone); the
rest of it, its sources and its date are behind "Read more" (a button on Telegram, a numbered
line on Zalo and in the console). A page with a recording offers "Listen", which sends it as a
voice message: listening is opt-in because a recording costs a villager's mobile data (up to
about 1 MB) on weak connections.
"""

from __future__ import annotations

from datetime import date

from bot.content.topics import Topic, fill_placeholders
from bot.core.chat import Attachment, AttachmentKind, Choice, Incoming, Reply, choice, escape
from bot.core.i18n import _, format_day
from bot.engine import BadInput, Context, Router
from handlers.start import show_menu

router = Router("content")


def topic_page(ctx: Context, topic_id: str, *, lead: str = "") -> Reply:
    """A topic's first screen in the user's language (or Vietnamese, with a note)."""
    found = ctx.services.content.get(topic_id, ctx.language)
    if found is None:
        raise BadInput(_("Sorry, that page does not exist any more."))
    topic = found.topic
    first, rest = topic.screens()
    parts: list[str] = []
    if lead:
        parts.append(lead)
    if found.fallback:
        parts.append(
            _("(This page is not translated into your language yet. Here it is in Vietnamese.)")
        )
    elif found.partial:
        parts.append(
            _(
                "(Parts of this page are not translated into your language yet; they are "
                "shown in Vietnamese.)"
            )
        )
    parts.append(f"**{escape(topic.title)}**")
    parts.append(_filled(ctx, first))
    if not rest:
        parts.extend(_provenance(ctx, topic_id))
    parts.append(_("Was this page helpful?"))
    choices = page_choices(ctx, topic_id)
    if rest:
        # Right after "Listen" (for those who listen rather than read), else first.
        listen = choice("listen", topic_id, label="").payload
        at = int(bool(choices) and choices[0].payload == listen)
        more = choice("more", topic_id, label=_("📖 Read more"))
        choices = (*choices[:at], more, *choices[at:])
    return Reply("\n\n".join(parts), choices=choices)


def _filled(ctx: Context, markup: str) -> str:
    """Page markup with the deployment's own facts filled in (or said to be missing)."""
    settings = ctx.services.settings
    missing = _("(not filled in yet by whoever runs Loa)")
    return fill_placeholders(
        markup,
        {
            "operator_name": escape(settings.operator_name.strip()) or missing,
            "operator_contact": escape(settings.operator_contact.strip()) or missing,
        },
    )


def _provenance(ctx: Context, topic_id: str) -> list[str]:
    """The Vietnamese page's sources (one per line) and the day it was last checked."""
    source: Topic = ctx.services.content.source(topic_id)
    parts = []
    if source.sources:
        seen = _("seen {date}")
        lines = "\n".join(s.line(seen) for s in source.sources)
        parts.append(_("Sources:") + "\n" + lines)
    if source.updated:
        try:
            updated = format_day(date.fromisoformat(source.updated))
        except ValueError:
            updated = escape(source.updated)
        parts.append(_("Updated: {date}").format(date=updated))
    return parts


MAX_RELATED = 3  # related pages offered after the children: the list stays short


def page_choices(ctx: Context, topic_id: str) -> tuple[Choice, ...]:
    """Listen, feedback (it answers the question above it), children, related, back, home.

    A topic offered both as a child and as related, or that is the page's parent, is listed once.
    """
    library = ctx.services.content
    lang = ctx.language
    source = library.source(topic_id)
    choices = []
    if library.recording(topic_id, lang) is not None:
        choices.append(choice("listen", topic_id, label=_("🔊 Listen")))
    choices.append(choice("fb", topic_id, 1, label=_("👍 Helpful")))
    choices.append(choice("fb", topic_id, 0, label=_("👎 Not helpful")))
    children = library.children(topic_id)
    choices.extend(choice("t", child, label=library.title(child, lang)) for child in children)
    shown = {topic_id, *children, source.parent}
    related = [r for r in dict.fromkeys(source.related) if r in library and r not in shown]
    choices.extend(
        choice("t", r, label="→ " + library.title(r, lang)) for r in related[:MAX_RELATED]
    )
    if source.parent is not None:
        choices.append(choice("t", source.parent, label=_("⬅ Back")))
    choices.append(choice("menu", label=_("🏠 Main menu")))
    return tuple(choices)


@router.choice("t")
async def open_topic(event: Incoming, ctx: Context) -> Reply:
    """Show the topic a choice points to."""
    topic_id = event.choice.split(":")[2] if event.choice.count(":") >= 2 else ""
    if topic_id not in ctx.services.content:
        raise BadInput(_("Sorry, that page does not exist any more."))
    ctx.state.clear()
    return topic_page(ctx, topic_id)


@router.choice("more")
async def read_more(event: Incoming, ctx: Context) -> Reply:
    """Show the rest of a page after its first screen, with its sources and date."""
    topic_id = event.choice.split(":")[2] if event.choice.count(":") >= 2 else ""
    found = ctx.services.content.get(topic_id, ctx.language) if topic_id else None
    if found is None:
        raise BadInput(_("Sorry, that page does not exist any more."))
    ctx.state.clear()
    rest = found.topic.screens()[1]
    parts = [f"**{escape(found.topic.title)}**"]
    if rest:
        parts.append(_filled(ctx, rest))
    parts.extend(_provenance(ctx, topic_id))
    parts.append(_("Was this page helpful?"))
    return Reply("\n\n".join(parts), choices=page_choices(ctx, topic_id))


@router.choice("listen")
async def listen(event: Incoming, ctx: Context) -> Reply:
    """Send a page's recording as a voice message, with the page's way on."""
    topic_id = event.choice.split(":")[2] if event.choice.count(":") >= 2 else ""
    library = ctx.services.content
    recording = library.recording(topic_id, ctx.language) if topic_id in library else None
    if recording is None:
        raise BadInput(_("Sorry, there is no recording of this page."))
    ctx.state.clear()
    text = "🔊 **" + escape(library.title(topic_id, ctx.language)) + "**"
    if recording.lang != ctx.language:
        text += "\n\n" + _("(This recording is in Vietnamese.)")
    voice = Attachment(
        AttachmentKind.voice,
        recording.files[0],
        alternatives=recording.files[1:],
        duration=round(recording.duration) if recording.duration else None,
    )
    listen_payload = choice("listen", topic_id, label="").payload
    on = tuple(c for c in page_choices(ctx, topic_id) if c.payload != listen_payload)
    return Reply(text, choices=on, attachment=voice)


@router.choice("menu")
async def open_menu(event: Incoming, ctx: Context) -> Reply:
    """Go home."""
    return await show_menu(event, ctx)


@router.choice("fb")
async def record_feedback(event: Incoming, ctx: Context) -> Reply:
    """Store whether a page helped, thank the user, and offer the way on."""
    parts = event.choice.split(":")
    if len(parts) != 4 or parts[2] not in ctx.services.content or parts[3] not in ("0", "1"):
        raise BadInput(_("Sorry, I could not record that answer."))
    topic_id, helpful = parts[2], parts[3] == "1"
    await ctx.repos.feedback.add(
        user_id=ctx.user.id,
        topic_id=topic_id,
        language=ctx.language,
        helpful=helpful,
        now=ctx.now,
    )
    if helpful:
        text = _("Thank you! Your answer helps us improve Loa.")
    else:
        text = _(
            "Thank you for telling us. You can ask your question in your own words, or "
            'choose "Ask an officer": your question goes to an officer, and the answer '
            "comes back here."
        )
    source = ctx.services.content.source(topic_id)
    choices = []
    if source.parent is not None:
        choices.append(choice("t", source.parent, label=_("⬅ Back")))
    choices.append(choice("ask", label=_("Ask a question")))
    if not helpful:
        choices.append(choice("question", label=_("Ask an officer")))
    choices.append(choice("menu", label=_("🏠 Main menu")))
    return Reply(text, choices=tuple(choices))
