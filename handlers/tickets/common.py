"""What the asking and the answering of questions share: the router, steps, who answers."""

from __future__ import annotations

from enum import StrEnum

from bot.core.i18n import N_, _
from bot.engine import Router
from db.models import Role, TicketStatus

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
