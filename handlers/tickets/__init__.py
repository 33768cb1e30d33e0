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

from handlers.tickets import answering, asking  # noqa: F401 (registers their handlers)
from handlers.tickets.common import router

__all__ = ["router"]
