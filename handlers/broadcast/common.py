"""What the broadcast handlers share: the router, roles, the steps."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from bot.broadcasts.service import TEXT_MAX
from bot.core.chat import Choice, Incoming, Kind, choice, parse_choice
from bot.core.i18n import _
from bot.engine import BadInput, Context, Router
from db.models import Role

router = Router("broadcast")

AUTHORS = (Role.officer, Role.admin)

_WHEN = re.compile(r"^\s*(\d{1,2})/(\d{1,2})(?:/(\d{4}))?\s+(\d{1,2})[:h](\d{2})\s*$")


class BroadcastStep(StrEnum):
    """Steps of composing a broadcast or a poll, and of opting out."""

    text = "broadcast.text"
    photo = "broadcast.photo"
    options = "broadcast.options"
    closes = "broadcast.closes"
    audience = "broadcast.audience"
    languages = "broadcast.languages"
    translation = "broadcast.translation"
    when = "broadcast.when"
    confirm = "broadcast.confirm"
    stop = "broadcast.stop"


def args_of(event: Incoming) -> list[str]:
    """The arguments of the chosen choice."""
    parsed = parse_choice(event.choice)
    return parsed[1] if parsed else []


def menu_choice() -> Choice:
    """The way back to the main menu."""
    return choice("menu", label=_("🏠 Main menu"))


def author_scope(ctx: Context) -> str | None:
    """Officers address their own communes; admins everyone."""
    return None if ctx.role is Role.admin else ctx.user.unit_id


def typed_text(event: Incoming) -> str:
    """The text (or a translation of it) as typed, refused when it is not text or too long."""
    if event.kind is not Kind.text:
        raise BadInput(_("Please type the text."))
    text = event.text.strip()
    if len(text) > TEXT_MAX:
        raise BadInput(_("Please send at most {limit} characters.").format(limit=TEXT_MAX))
    return text


def parse_when(text: str, now: datetime, ctx: Context) -> datetime | None:
    """ "20/12 17:00" or "20/12/2026 17:00" in local time; None when it is not that."""
    match = _WHEN.match(text)
    if match is None:
        return None
    day, month, year, hour, minute = match.groups()
    local_now = now.astimezone(ctx.services.settings.tz)
    try:
        moment = datetime(
            int(year) if year else local_now.year,
            int(month),
            int(day),
            int(hour),
            int(minute),
            tzinfo=ctx.services.settings.tz,
        )
    except ValueError:
        return None
    if year is None and moment < local_now:
        moment = moment.replace(year=moment.year + 1)
    return moment


def keep_typed_moment(
    event: Incoming, ctx: Context, key: str, refusal: str, *, not_before: datetime
) -> bool:
    """Keep a typed day and time (`parse_when`) no earlier than `not_before` in the draft under
    `key`; `refusal` when it is not one. False for a button: its own handler takes it."""
    if event.kind is Kind.choice:
        return False
    moment = parse_when(event.text, ctx.now, ctx) if event.kind is Kind.text else None
    if moment is None or moment < not_before:
        raise BadInput(refusal)
    ctx.state.update(**{key: moment.isoformat()})
    return True


def stale() -> BadInput:
    """A button from a screen that is no longer current."""
    return BadInput(_("That button is out of date. Send /broadcast or /poll to start again."))


router.choices_only(
    BroadcastStep.audience, BroadcastStep.languages, BroadcastStep.confirm, BroadcastStep.stop
)
