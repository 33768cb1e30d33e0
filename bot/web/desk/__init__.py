"""The officers' web desk: server-rendered pages under /desk/ on Loa's own web server.

Officers review reports in chat in the field; at the commune office the desk shows the same
work on a big screen. It needs no password (/desk in chat gives a one-time link, see
`auth.py`), renders HTML with Jinja2 (`render.py`, `templates/`), works without JavaScript
and on a 390-pixel phone, and speaks the user's language through Loa's gettext catalogs.

How a page module is built (one module per page group, e.g. `review.py`):

    routes = web.RouteTableDef()
    NAV = NavItem(10, N_("Reports to review"), "/desk/review")  # optional; roles=… narrows

    @routes.get("/desk/review")
    @signed_in()                      # or signed_in(Role.admin): who may open it
    async def queue(request: web.Request, desk: Desk) -> web.StreamResponse:
        ...                           # desk.repos (one transaction per request), desk.user,
        ...                           # await desk.unit_scope(), desk.context() for use cases
        return render_page(request, "review.html", desk, reports=...)

- `signed_in` refuses a request without a live session (401 page), a role the page does not
  allow, or a POST without the session's CSRF token (403). Every form carries
  `<input type="hidden" name="{{ csrf_field }}" value="{{ desk.csrf }}">`.
- Work is done by the same use cases chat uses: `desk.context()` is an engine `Context` for
  the signed-in user, so `handlers/…` functions (deciding on a report, answering a ticket)
  run unchanged, and what they queue with `ctx.notify` goes out through the outbox.
- After a POST, `return redirect(url)` (a 303); raising an HTTP exception rolls back.
- Text: `_("…{name}…").format(name=…)` in Python and templates; run `loa i18n extract`.

A new module is one line in `PAGES` below; its templates extend `base.html`.
"""

from __future__ import annotations

from types import ModuleType

from aiohttp import web

from bot.app import Loa
from bot.web.desk import (
    broadcasts,
    dashboard,
    deadlines,
    exports,
    home,
    media,
    review,
    signin,
    tickets,
)
from bot.web.desk.auth import LOA
from bot.web.desk.render import NavItem, install

# Every page module of the desk: its `routes` are served, its `NAV` (if any) is in the menu.
PAGES: tuple[ModuleType, ...] = (
    signin,
    home,
    review,
    media,
    deadlines,
    tickets,
    broadcasts,
    exports,
    dashboard,
)


def setup(app: web.Application, loa: Loa) -> None:
    """Serve the desk on `app` for `loa`."""
    app[LOA] = loa
    nav: list[NavItem] = []
    for module in PAGES:
        app.router.add_routes(module.routes)
        item = getattr(module, "NAV", None)
        if isinstance(item, NavItem):
            nav.append(item)
    install(app, nav)
