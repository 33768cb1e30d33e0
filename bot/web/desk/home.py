"""The desk's first page: who is signed in, which units they see, and the pages they have."""

from __future__ import annotations

from aiohttp import web

from bot.core.i18n import N_, _
from bot.web.desk.auth import Desk, signed_in
from bot.web.desk.render import NavItem, render_page
from handlers.admin import describe_user, unit_name

routes = web.RouteTableDef()
NAV = NavItem(0, N_("Home"), "/desk/")


@routes.get("/desk/")
@signed_in()
async def home(request: web.Request, desk: Desk) -> web.StreamResponse:
    """Greet the user and list the desk's pages."""
    scope = await desk.unit_scope()
    if scope is None:
        scope_text = _("You see the reports of every unit (administrator).")
    else:
        unit = await unit_name(desk.context(), desk.user.unit_id)
        scope_text = _("You see the reports of {unit} and the units under it.").format(unit=unit)
    return render_page(
        request, "home.html", desk, name=describe_user(desk.user), scope_text=scope_text
    )


@routes.get("/desk")
async def bare(request: web.Request) -> web.StreamResponse:
    """The desk's address without its slash."""
    return web.Response(status=308, headers={"Location": "/desk/"})
