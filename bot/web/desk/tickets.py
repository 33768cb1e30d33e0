"""Villagers' questions on the desk: the open ones this officer answers, with their photo or
voice, and an answer form.

Who may see and answer a question is chat's rule (`may_answer`, bot/tickets/notices.py):
officers the questions of their unit and the units under it, admins all, nobody their own.
The answer goes through chat's own use case (`answer_ticket`, handlers/tickets/answering.py):
the villager receives it through the outbox exactly as an answer typed in chat.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.channels.files import without_metadata
from bot.core.i18n import N_, _
from bot.engine import BadInput, Services
from bot.tickets.notices import TicketView, may_answer, view_of
from bot.web.desk.auth import Desk, redirect, signed_in
from bot.web.desk.render import NavItem, render_page
from db.models import MediaKind, Ticket, TicketStatus, User
from db.repositories import Repos
from handlers.tickets.answering import answer_ticket, answerable
from handlers.tickets.common import ANSWER_MAX, TEXT_MIN

LISTED = 50  # open questions on one page, oldest first


@dataclass(frozen=True, slots=True)
class Media:
    """A question's photo or voice file, as the browser gets it."""

    path: Path
    mime: str
    photo: bool


async def unit_name(repos: Repos, services: Services, unit_id: str | None) -> str:
    """The commune's name ("" when the question has none)."""
    if unit_id is None:
        return ""
    unit = services.org.get(unit_id)
    if unit is not None:
        return unit.name
    row = await repos.units.get(unit_id)
    return row.name if row is not None else unit_id


async def waiting(repos: Repos, services: Services, user: User) -> list[TicketView]:
    """The open questions `user` answers, oldest first (at most LISTED)."""
    found = []
    for ticket in await repos.tickets.find(statuses=[TicketStatus.open]):
        if await may_answer(repos, user, ticket):
            unit = await unit_name(repos, services, ticket.unit_id)
            found.append(await view_of(repos, services.settings, ticket, unit))
            if len(found) >= LISTED:
                break
    return found


async def visible(repos: Repos, user: User, ticket_id: int) -> Ticket | None:
    """The question, when `user` may answer it (whatever its status now); else None."""
    ticket = await repos.tickets.get(ticket_id)
    if ticket is None or not await may_answer(repos, user, ticket):
        return None
    return ticket


async def media(repos: Repos, services: Services, user: User, ticket_id: int) -> Media | None:
    """A question's photo or voice for `user`, when they may answer it and the file exists."""
    ticket = await visible(repos, user, ticket_id)
    if ticket is None or not ticket.media_path:
        return None
    root = services.settings.media_dir.resolve()
    path = (root / ticket.media_path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    photo = ticket.media_kind == MediaKind.photo.value
    return Media(path, ticket.media_mime or "application/octet-stream", photo)


# --- the pages ------------------------------------------------------------------------------

routes = web.RouteTableDef()
NAV = NavItem(30, N_("Questions from villagers"), "/desk/tickets")


@routes.get("/desk/tickets")
@signed_in()
async def list_page(request: web.Request, desk: Desk) -> web.StreamResponse:
    """The open questions this officer answers, each with its photo or voice and a form."""
    done = request.query.get("done", "")
    message = ""
    if done.isdigit():
        message = _("Your answer to question #{number} was sent to the villager.").format(
            number=int(done)
        )
    return await _list(request, desk, message=message)


@routes.post(r"/desk/tickets/{ticket_id:\d+}")
@signed_in()
async def answer_page(request: web.Request, desk: Desk) -> web.StreamResponse:
    """Answer a question with chat's own use case: the villager gets it through the outbox."""
    ticket_id = int(request.match_info["ticket_id"])
    words = str((await request.post()).get("answer", "")).strip()
    ctx = desk.context()
    try:
        ticket = await answerable(ctx, ticket_id)
        await answer_ticket(ctx, ticket, words)
    except BadInput as bad:
        return await _list(request, desk, refused=Refused(ticket_id, bad.message, words))
    return redirect(f"/desk/tickets?done={ticket_id}")


@dataclass(frozen=True, slots=True)
class Refused:
    """An answer that was not sent: to which question, why, and the words typed (kept)."""

    ticket_id: int | None
    problem: str
    words: str = ""


async def _list(
    request: web.Request, desk: Desk, *, message: str = "", refused: Refused | None = None
) -> web.StreamResponse:
    views = await waiting(desk.repos, desk.loa.services, desk.user)
    if refused is not None and all(view.id != refused.ticket_id for view in views):
        # The question left the list (answered meanwhile): the reason shows at the top.
        refused = Refused(None, refused.problem)
    return render_page(
        request,
        "tickets.html",
        desk,
        status=409 if refused else 200,
        tickets=views,
        kinds=MediaKind,
        limits=(TEXT_MIN, ANSWER_MAX),
        message=message,
        refused=refused,
    )


@routes.get(r"/desk/tickets/{ticket_id:\d+}/media")
@signed_in()
async def media_page(request: web.Request, desk: Desk) -> web.StreamResponse:
    """A question's photo (without its metadata) or voice, to those who may answer it."""
    found = await media(
        desk.repos, desk.loa.services, desk.user, int(request.match_info["ticket_id"])
    )
    if found is None:
        raise web.HTTPNotFound()
    if found.photo:
        body = await asyncio.to_thread(lambda: without_metadata(found.path.read_bytes()))
        content_type = "image/jpeg"
    else:
        body = await asyncio.to_thread(found.path.read_bytes)
        content_type = found.mime
    return web.Response(
        body=body,
        content_type=content_type,
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )
