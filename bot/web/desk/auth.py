"""Who is at the desk: one-time link redemption, sessions in a cookie, CSRF, and roles.

Sign-in: /desk in chat gives a link (bot/delivery/signin.py). Opening it shows a page with one
button; pressing it (a POST, so a chat app's link preview cannot use the link up) marks the
link used and opens a session: a random cookie value whose SHA-256 is kept in
`desk_sessions` with the user's role at that moment. The cookie is HttpOnly, SameSite=Strict,
scoped to /desk, and Secure when PUBLIC_BASE_URL is https.

Every request of a page goes through `signed_in`: the session must exist, be unexpired, and
its user must still hold the role they signed in with (a role revoked with `loa users revoke`
or /revoke ends the session at once; handlers/roles.py also deletes it); a page their role
does not open answers 403 and the session goes on. A POST must carry the session's CSRF
token (`csrf` form field): an HMAC of the session by Loa's one signer, so nothing more is
stored. The handler then runs inside one database transaction and the signed-in user's
language, with a `Desk` describing who they are.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import wraps

from aiohttp import web

from bot.app import Loa
from bot.core import i18n
from bot.core.chat import Incoming, Kind
from bot.core.i18n import _
from bot.core.signing import Signer
from bot.delivery.signin import secret_hash
from bot.engine import Context, State
from db.models import Conversation, Role, User
from db.repositories import Repos

log = logging.getLogger(__name__)

COOKIE = "loa_desk"
COOKIE_PATH = "/desk"
CSRF_FIELD = "csrf"
DESK_ROLES: tuple[Role, ...] = (Role.officer, Role.admin)

LOA: web.AppKey[Loa] = web.AppKey("loa", Loa)


@dataclass
class Desk:
    """The signed-in user of one request, inside that request's database transaction."""

    loa: Loa
    user: User
    repos: Repos
    now: datetime
    csrf: str
    session_hash: str
    contexts: list[Context] = field(default_factory=list)

    @property
    def role(self) -> Role:
        """The user's role (officer or admin)."""
        return Role(self.user.role)

    @property
    def language(self) -> str:
        """The language the desk speaks to this user (their chat language, else Vietnamese)."""
        return self.user.language or self.loa.settings.default_language

    def context(self) -> Context:
        """A conversation context for this user, to call the same use cases chat calls.

        It stands for no message (the desk's own update id, no step), and its conversation
        is never saved: only what the use case writes through `repos` is. Messages it queues
        (`ctx.notify`) wake the outbox after the request's transaction commits.
        """
        event = Incoming("desk", self.user.external_id, f"desk-{uuid.uuid4().hex}", Kind.command)
        conversation = Conversation(user_id=self.user.id, step=None, data={}, choices=[])
        ctx = Context(
            event, self.user, State(conversation), self.repos, self.loa.services, self.now, []
        )
        self.contexts.append(ctx)
        return ctx

    async def unit_scope(self) -> set[str] | None:
        """The units whose reports this user sees: their unit and all under it (None: all)."""
        if self.role is Role.admin:
            return None
        if self.user.unit_id is None:
            return set()
        return await self.repos.reports.subtree(self.user.unit_id)


DeskHandler = Callable[[web.Request, Desk], Awaitable[web.StreamResponse]]
WebHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def csrf_signer(loa: Loa) -> Signer:
    """The signer of the desk's CSRF tokens."""
    return Signer(loa.settings.media_url_secret.get_secret_value(), "desk-csrf")


def csrf_token(loa: Loa, session_hash: str, expires_at: datetime) -> str:
    """The CSRF token of a session (the same on every page of that session)."""
    return csrf_signer(loa).mac(session_hash, int(expires_at.timestamp()))


def signed_in(*roles: Role) -> Callable[[DeskHandler], WebHandler]:
    """Give the handler the signed-in `Desk`: without a live session 401, with a POST lacking
    the CSRF token 403, for a role the page does not open 403.

    `roles` narrows the desk's roles (officers and admins) for a page; none: both.
    """
    allowed: Sequence[Role] = roles or DESK_ROLES

    def wrap(handler: DeskHandler) -> WebHandler:
        @wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            loa = request.app[LOA]
            cookie = request.cookies.get(COOKIE, "")
            posted = await request.post() if request.method == "POST" else None
            now = loa.services.clock.now()
            desk: Desk | None = None
            async with loa.db.session() as session:
                repos = Repos.of(session)
                found = await repos.desk.find_session(secret_hash(cookie), now) if cookie else None
                if found is not None and found[1].role != found[0].role:
                    # The role changed since sign-in (revoked, demoted): this session is over.
                    await repos.desk.end_session(found[0].token_hash)
                    found = None
                if found is not None:
                    row, user = found
                    csrf = csrf_token(loa, row.token_hash, row.expires_at)
                    desk = Desk(loa, user, repos, now, csrf, row.token_hash)
                    if posted is not None and not hmac.compare_digest(
                        str(posted.get(CSRF_FIELD, "")).encode(), csrf.encode()
                    ):
                        raise web.HTTPForbidden(text="CSRF token missing or wrong")
                    with i18n.use(loa.services.catalogs, desk.language):
                        if desk.role in allowed:
                            response = await handler(request, desk)
                        else:
                            response = not_for_role(request, desk)
            if desk is None:
                return await refuse(request, loa, expired=bool(cookie))
            if any(ctx.notified for ctx in desk.contexts):
                loa.services.queued.fire()
            return response

        return guarded

    return wrap


def not_for_role(request: web.Request, desk: Desk) -> web.StreamResponse:
    """403: a page the signed-in user's role does not open (the session goes on)."""
    from bot.web.desk.render import render_page  # render imports this module

    return render_page(
        request,
        "message.html",
        desk,
        status=403,
        title=_("Not for your role"),
        text=_("This page is for administrators only."),
    )


async def refuse(request: web.Request, loa: Loa, *, expired: bool) -> web.StreamResponse:
    """401 with a page saying how to sign in (and dropping a stale cookie)."""
    from bot.web.desk.render import render_page  # render imports this module

    with i18n.use(loa.services.catalogs, loa.settings.default_language):
        response = render_page(request, "signin_needed.html", None, status=401, expired=expired)
    if expired:
        response.del_cookie(COOKIE, path=COOKIE_PATH)
    return response


async def open_session(repos: Repos, loa: Loa, user: User, now: datetime) -> str:
    """A new session for `user` (in the caller's transaction); the cookie value to set."""
    secret = secrets.token_urlsafe(32)
    expires_at = now + timedelta(hours=loa.settings.desk_session_hours)
    await repos.desk.open_session(secret_hash(secret), user, now=now, expires_at=expires_at)
    return secret


def redirect(location: str) -> web.Response:
    """303 See Other to `location` (returned, not raised: raising rolls the request back)."""
    return web.Response(status=303, headers={"Location": location})


def set_session_cookie(response: web.StreamResponse, loa: Loa, secret: str) -> None:
    """Put the session in the browser: HttpOnly, SameSite=Strict, Secure over https."""
    response.set_cookie(
        COOKIE,
        secret,
        max_age=int(loa.settings.desk_session_hours * 3600),
        path=COOKIE_PATH,
        httponly=True,
        samesite="Strict",
        secure=(loa.settings.public_base_url or "").startswith("https://"),
    )
