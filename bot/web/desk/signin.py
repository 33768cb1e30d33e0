"""The desk's front door: the page a sign-in link opens, its button, and signing out."""

from __future__ import annotations

import hmac

from aiohttp import web

from bot.core import i18n
from bot.delivery.signin import secret_hash, signin_link_signed
from bot.web.desk.auth import (
    COOKIE,
    COOKIE_PATH,
    CSRF_FIELD,
    DESK_ROLES,
    LOA,
    Desk,
    csrf_signer,
    open_session,
    redirect,
    set_session_cookie,
    signed_in,
)
from bot.web.desk.render import render_page
from db.models import Role, User
from db.repositories import Repos
from handlers.admin import describe_user

routes = web.RouteTableDef()
LINK = "/desk/signin/{expires}/{mac}/{secret}"


def _link_csrf(request: web.Request) -> str:
    """The sign-in form's CSRF token: bound to the link (nobody is signed in yet)."""
    info = request.match_info
    expires = int(info["expires"]) if info["expires"].isdigit() else 0
    return csrf_signer(request.app[LOA]).mac("signin:" + info["secret"], expires)


def _signed(request: web.Request) -> bool:
    info = request.match_info
    loa = request.app[LOA]
    now = loa.services.clock.now().timestamp()
    return signin_link_signed(loa.settings, info["expires"], info["mac"], info["secret"], now)


async def _link_user(request: web.Request, repos: Repos, *, use: bool) -> User | None:
    """The officer or admin a valid link signs in (`use`: and mark the link used)."""
    if not _signed(request):
        return None
    now = request.app[LOA].services.clock.now()
    hashed = secret_hash(request.match_info["secret"])
    links = repos.desk
    user_id = await (links.redeem_link(hashed, now) if use else links.usable_link(hashed, now))
    user = await repos.users.get(user_id) if user_id is not None else None
    return user if user is not None and Role(user.role) in DESK_ROLES else None


@routes.get(LINK)
async def signin_page(request: web.Request) -> web.StreamResponse:
    """Say whose link this is and offer the button; nothing is used up by opening it."""
    loa = request.app[LOA]
    async with loa.db.session() as session:
        user = await _link_user(request, Repos.of(session), use=False)
    with i18n.use(loa.services.catalogs, loa.settings.default_language):
        return render_page(
            request,
            "signin.html",
            None,
            status=200 if user is not None else 403,
            usable=user is not None,
            name=describe_user(user) if user is not None else "",
            csrf=_link_csrf(request),
        )


@routes.post(LINK)
async def signin(request: web.Request) -> web.StreamResponse:
    """Use the link: open a session, set its cookie, and go to the desk's first page."""
    loa = request.app[LOA]
    posted = await request.post()
    if not hmac.compare_digest(
        str(posted.get(CSRF_FIELD, "")).encode(), _link_csrf(request).encode()
    ):
        raise web.HTTPForbidden(text="CSRF token missing or wrong")
    secret = None
    async with loa.db.session() as session:
        repos = Repos.of(session)
        user = await _link_user(request, repos, use=True)
        if user is not None:
            secret = await open_session(repos, loa, user, loa.services.clock.now())
    if secret is None:
        return await signin_page(request)
    response = redirect("/desk/")
    set_session_cookie(response, loa, secret)
    return response


@routes.post("/desk/signout")
@signed_in()
async def signout(request: web.Request, desk: Desk) -> web.StreamResponse:
    """End this browser's session."""
    await desk.repos.desk.end_session(desk.session_hash)
    response = render_page(request, "signed_out.html", None)
    response.del_cookie(COOKIE, path=COOKIE_PATH)
    return response
