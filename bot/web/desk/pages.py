"""What the deadline, question, announcement, export and dashboard pages share."""

from __future__ import annotations

from aiohttp import web

from bot.web.desk.auth import Desk
from bot.web.desk.render import render_page


def message(
    request: web.Request, desk: Desk, title: str, text: str, *, status: int
) -> web.StreamResponse:
    """A page that only says something (nothing found, nothing allowed), with its status."""
    return render_page(request, "message.html", desk, status=status, title=title, text=text)
