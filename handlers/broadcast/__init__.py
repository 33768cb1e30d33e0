"""Broadcasts, polls and opt-out in chat.

    /broadcast → text → photo? → audience → translations? → when → preview → send
    /poll → question → answers (2-6) → closing time → audience → translations? → when → preview
    /broadcasts → the author's latest, with figures (and a poll's results so far)
    /stop (or "dừng") → confirm → no announcements or polls; /start turns them on again

Admins address everyone; officers their own communes (the units under theirs). Recipients
answer a poll by number; the sending itself is bot/broadcasts/.
"""

from __future__ import annotations

from handlers.broadcast import answers, audience, compose, figures, optout, poll
from handlers.broadcast.common import router

__all__ = ["answers", "audience", "compose", "figures", "optout", "poll", "router"]
