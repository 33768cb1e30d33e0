"""Who answers a villager's question, and what they read (new question, reminder, escalation).

A question goes to the officers of the asker's commune; when no commune is known or nobody is
registered there, to the admins. Officers answer questions of their unit and the units under
it; admins answer all. What officers read is rendered in each one's language, with the asker's
words escaped, the asker's name left out when they asked anonymously, and a voice question as
the voice itself where the officer's channel plays its encoding, else as an expiring link.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from bot.core.chat import Attachment, AttachmentKind, Choice, Reply, choice, escape, parse_choice
from bot.core.config import Settings
from bot.core.i18n import _, format_day
from bot.delivery.links import expiring_link, links_available
from db.models import MediaKind, Role, Ticket, User
from db.repositories import Repos

ANSWER_ROUTE = "tk"
QUOTE_LIMIT = 600  # characters of a question quoted in a notice or an answer

# The voice encodings each channel plays as a voice message (Telegram's sendVoice: Ogg Opus,
# M4A, MP3; Zalo's sendVoice: a URL ending in .aac). Channels not listed (the console, tests)
# show any file.
PLAYS: dict[str, frozenset[str]] = {
    "telegram": frozenset({".ogg", ".oga", ".opus", ".m4a", ".mp3"}),
    "zalo": frozenset({".aac"}),
}


def plays(channel: str, path: Path) -> bool:
    """Whether `channel` can play the voice file at `path` as a voice message."""
    formats = PLAYS.get(channel)
    return formats is None or path.suffix.lower() in formats


async def responders(repos: Repos, unit_id: str | None, *, not_user: int) -> list[User]:
    """Who gets a question: the officers of its commune, else the admins (never the asker)."""
    if unit_id is not None:
        officers = await repos.reports.users_with_role([Role.officer], [unit_id])
        officers = [user for user in officers if user.id != not_user]
        if officers:
            return officers
    admins = await repos.reports.users_with_role([Role.admin])
    return [user for user in admins if user.id != not_user]


async def may_answer(repos: Repos, user: User, ticket: Ticket) -> bool:
    """Whether `user` may answer or close `ticket` as an officer (never their own question)."""
    if ticket.asker_id == user.id:
        return False
    if user.role == Role.admin.value:
        return True
    if user.role != Role.officer.value or user.unit_id is None or ticket.unit_id is None:
        return False
    return ticket.unit_id in await repos.reports.subtree(user.unit_id)


@dataclass(frozen=True, slots=True)
class TicketView:
    """A ticket with what officers read about it, read before rendering."""

    id: int
    text: str
    unit: str  # the commune's name, "" when unknown
    asker: str  # the asker's name, "" when anonymous
    media_kind: str | None
    media: Path | None
    created_at: datetime
    tz: tzinfo


async def view_of(repos: Repos, settings: Settings, ticket: Ticket, unit: str) -> TicketView:
    """Read what officers see of `ticket` (`unit`: the commune's name, or "")."""
    asker = "" if ticket.anonymous else await _asker_name(repos, ticket.asker_id)
    media = settings.media_dir.resolve() / ticket.media_path if ticket.media_path else None
    return TicketView(
        ticket.id,
        ticket.text,
        unit,
        asker,
        ticket.media_kind,
        media,
        ticket.created_at,
        settings.tz,
    )


async def _asker_name(repos: Repos, user_id: int) -> str:
    user = await repos.users.get(user_id)
    if user is None:
        return ""
    return user.display_name or f"{user.channel} {user.id}"


def quote(text: str) -> str:
    """User text, shortened and escaped, for quoting in a message."""
    text = text.strip()
    if len(text) > QUOTE_LIMIT:
        text = text[:QUOTE_LIMIT].rstrip() + "…"
    return escape(text)


def answer_choices(ticket_id: int) -> tuple[Choice, ...]:
    """The officer's button to answer (a Telegram reply to the message works too)."""
    return (choice(ANSWER_ROUTE, "ans", ticket_id, label=_("✍ Answer")),)


def describe(view: TicketView) -> str:
    """The question as officers read it: number, commune, time, who, and the words."""
    local = view.created_at.astimezone(view.tz)
    lines = [
        _("**Question #{number}** · {unit} · {when}").format(
            number=view.id,
            unit=escape(view.unit) if view.unit else _("commune not known"),
            when=f"{format_day(local)} {local:%H:%M}",
        ),
        _("From: {who}").format(who=escape(view.asker))
        if view.asker
        else _("From: a villager who asked not to be named"),
    ]
    if view.text.strip():
        lines.append(f"“{quote(view.text)}”")
    return "\n".join(lines)


def how_to_answer(view: TicketView, channel: str) -> str:
    """How this officer answers, as their channel allows."""
    if channel == "telegram":
        return _(
            'To answer, reply to this message or press "Answer". Loa sends your answer to '
            "the villager."
        )
    return _(
        'To answer, choose "Answer", or send /answer {number} followed by your answer. Loa '
        "sends your answer to the villager."
    ).format(number=view.id)


def voice_line(
    view: TicketView, recipient: User, settings: Settings, now: datetime
) -> tuple[str, Attachment | None]:
    """The voice question for this recipient: the voice itself, a link, or why neither."""
    if view.media is None or view.media_kind != MediaKind.voice.value:
        return "", None
    # Zalo fetches voice by URL: only a Loa serving its media (webhook mode) can send it.
    if plays(recipient.channel, view.media) and (
        recipient.channel != "zalo" or links_available(settings)
    ):
        return _("The question is the voice message below."), Attachment(
            AttachmentKind.voice, view.media
        )
    link = expiring_link(settings, view.media, now)
    if link is not None:
        return _(
            "The question is a voice message your chat app cannot play here. Listen to it "
            "at this link (valid for {hours} hours): {link}"
        ).format(hours=settings.data_link_hours, link=link), None
    return _(
        "The question is a voice message your chat app cannot play here, and this Loa has no "
        "public address for a link: ask an admin to listen to it with `loa tickets voice "
        "{number}`."
    ).format(number=view.id), None


def officer_notice(
    view: TicketView,
    recipient: User,
    settings: Settings,
    now: datetime,
    lead: str,
    *,
    answering: bool = False,
) -> list[Reply]:
    """A question as one officer receives it: the words (or photo, or voice) and the button.

    `lead` is a msgid (translated here, in the recipient's language) or already translated;
    `answering`: the officer is typing the answer now, so no button and no instructions.
    """
    voice_text, voice = voice_line(view, recipient, settings, now)
    parts = [describe(view)]
    if voice_text:
        parts.append(voice_text)
    if answering:
        parts.append(_(lead))
    else:
        parts.insert(0, _(lead))
        parts.append(how_to_answer(view, recipient.channel))
    replies: list[Reply] = []
    if view.media is not None and view.media_kind == MediaKind.photo.value:
        replies.append(
            Reply(
                _("Photo of question #{number}").format(number=view.id),
                attachment=Attachment(AttachmentKind.photo, view.media),
            )
        )
    if voice is not None:
        replies.append(
            Reply(_("Question #{number}: voice message").format(number=view.id), attachment=voice)
        )
    # The text comes last and carries the button: a Telegram reply to it reaches the ticket.
    choices = () if answering else answer_choices(view.id)
    replies.append(Reply("\n\n".join(parts), choices=choices))
    return replies


def waiting_lead(view: TicketView, hours: int, escalated: bool) -> str:
    """The first line of a reminder (to its officers) or an escalation (to the admins)."""
    if escalated:
        return _(
            "No officer has answered question #{number} for {hours} hours. As an admin you "
            "can answer it."
        ).format(number=view.id, hours=hours)
    return _("Question #{number} has waited {hours} hours for an answer.").format(
        number=view.id, hours=hours
    )


def ticket_numbers(payloads: Sequence[str]) -> list[int]:
    """The ticket numbers of "Answer" buttons among choice payloads."""
    numbers = []
    for payload in payloads:
        parsed = parse_choice(payload)
        if parsed is None or parsed[0] != ANSWER_ROUTE:
            continue
        args = parsed[1]
        if len(args) == 2 and args[0] == "ans" and args[1].isdigit():
            numbers.append(int(args[1]))
    return numbers
