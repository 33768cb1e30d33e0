"""What the broadcast handlers share: the router, roles, the steps."""

from __future__ import annotations

from enum import StrEnum

from bot.core.chat import Choice, Incoming, choice, parse_choice
from bot.core.i18n import _
from bot.engine import BadInput, Router
from db.models import Role

router = Router("broadcast")

AUTHORS = (Role.officer, Role.admin)


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


def stale() -> BadInput:
    """A button from a screen that is no longer current."""
    return BadInput(_("That button is out of date. Send /broadcast or /poll to start again."))


router.choices_only(
    BroadcastStep.audience, BroadcastStep.languages, BroadcastStep.confirm, BroadcastStep.stop
)
