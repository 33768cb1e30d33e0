"""One-time sign-in links to the officers' web desk (bot/web/desk/), asked for with /desk.

A link is `<PUBLIC_BASE_URL>/desk/signin/<expires>/<mac>/<secret>`: the secret is random,
the database keeps only its SHA-256 (with the user, the expiry and whether it was used), and
the MAC of Loa's one signer (bot/core/signing.py, purpose "desk-signin") covers the secret
and the expiry, so a forged or stretched link is refused before the database is asked.
Opening the link shows a page with one button; only pressing it (a POST) uses the link, so
a chat app that fetches the link for a preview does not use it up.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from bot.core.config import Settings
from bot.core.signing import Signer
from db.models import User
from db.repositories import Repos

SIGNIN_PATH = "/desk/signin"


def secret_hash(secret: str) -> str:
    """What the database keeps of a link's or a session's secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def signin_signer(settings: Settings) -> Signer:
    """The signer of sign-in links."""
    return Signer(settings.media_url_secret.get_secret_value(), "desk-signin")


async def issue_signin_link(repos: Repos, settings: Settings, user: User, now: datetime) -> str:
    """A new single-use link that signs `user` in, valid for DESK_LINK_MINUTES."""
    secret = secrets.token_urlsafe(32)
    expires_at = now + timedelta(minutes=settings.desk_link_minutes)
    expires = int(expires_at.timestamp())
    await repos.desk.add_link(secret_hash(secret), user.id, now=now, expires_at=expires_at)
    mac = signin_signer(settings).mac(secret, expires)
    base = (settings.public_base_url or "").rstrip("/")
    return f"{base}{SIGNIN_PATH}/{expires}/{mac}/{secret}"


def signin_link_signed(
    settings: Settings, expires: str, mac: str, secret: str, now: float
) -> bool:
    """Whether the link's parts were signed by Loa and it has not expired (no database)."""
    return signin_signer(settings).verify_mac(expires, mac, secret, now)
