"""Pages from Jinja2 templates, in the signed-in user's language, escaped by default.

Templates live in `templates/` beside this module; `base.html` carries the little CSS there
is (inline: one request per page on a slow connection), the navigation and the sign-out
form. Text in templates goes through the same gettext catalogs as chat: `_("…")` with
`{name}` placeholders filled by `.format(...)`, extracted by `loa i18n extract`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from bot.core.i18n import _, current_language, format_day, format_number
from bot.web.desk.auth import CSRF_FIELD, DESK_ROLES, LOA, Desk
from db.models import Role

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True, slots=True)
class NavItem:
    """A line of the desk's navigation: its place, label (a msgid), address and audience."""

    position: int
    label: str
    path: str
    roles: tuple[Role, ...] = DESK_ROLES


NAV: web.AppKey[list[NavItem]] = web.AppKey("desk_nav", list)
_ENV: web.AppKey[jinja2.Environment] = web.AppKey("desk_templates", jinja2.Environment)


def environment() -> jinja2.Environment:
    """The template environment: autoescaped, strict about undefined names."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(_=_, format_day=format_day, format_number=format_number)
    return env


def install(app: web.Application, nav: list[NavItem]) -> None:
    """Keep the template environment and the navigation on the application."""
    app[_ENV] = environment()
    app[NAV] = sorted(nav, key=lambda item: item.position)


def local_time(desk: Desk, at: datetime) -> str:
    """A moment as the desk shows it: "25/11/2026 09:00" in Vietnam time."""
    local = at.astimezone(desk.loa.settings.tz)
    return f"{format_day(local)} {local:%H:%M}"


def day_or_dash(value: date | None) -> str:
    """A date as users write it, or a dash."""
    return format_day(value) if value is not None else "—"


def render_page(
    request: web.Request,
    template: str,
    desk: Desk | None,
    *,
    status: int = 200,
    **values: Any,
) -> web.Response:
    """The page `template` for `desk`'s user (None: nobody signed in), as an HTML response."""
    app = request.app
    nav = [item for item in app[NAV] if desk is not None and desk.role in item.roles]
    page = (
        app[_ENV]
        .get_template(template)
        .render(
            desk=desk,
            nav=nav,
            here=request.path,
            csrf_field=CSRF_FIELD,
            lang=current_language(),
            local_time=(lambda at: local_time(desk, at)) if desk is not None else str,
            day=day_or_dash,
            settings=app[LOA].settings,
            **values,
        )
    )
    response = web.Response(text=page, status=status, content_type="text/html", charset="utf-8")
    response.headers.update(SECURITY_HEADERS)
    return response


# Pages are private and never framed; scripts only from the desk itself.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'"
    ),
}
