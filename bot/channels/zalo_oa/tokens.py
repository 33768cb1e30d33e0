"""The OA's OAuth v4 tokens: stored in the database, refreshed by one worker at a time.

Access tokens live about 25 h and refresh tokens about 3 months; a refresh token works ONCE and
the refresh returns a new pair (shared/zalo-oa-notes.md §1). So the pair lives in the database
(`oa_tokens`), never only in a process: the environment's pair only seeds an empty table. A
refresh takes the row's lease first (compare-and-swap on its version: works the same on SQLite
and PostgreSQL, across processes), saves the new pair in its own transaction before anything
uses it, and releases the lease; other workers wait for the new version. A refused refresh
token (revoked, expired, already used) is logged as an error and the admins are alerted on
their other channels; sends fail (outbox messages are retried later) until `loa zalo-oa
authorize` stores a new pair, which the running process picks up — it keeps running and taking
webhooks, it never crash-loops.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import aiohttp

from bot.channels.base import CallError, FailureKind
from bot.core.config import Settings
from bot.core.logging import redact
from db.models import OAToken
from db.repositories import Repos
from db.session import Database

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)  # how long one refresh may take before another worker may try
RETRY_REFUSED = timedelta(hours=1)  # a refused pair is tried again this long after (no loop)
WAIT_STEP = 0.1


@dataclass(frozen=True, slots=True)
class TokenPair:
    """What the OAuth server gave: the tokens and the access token's lifetime in seconds."""

    access: str
    refresh: str
    expires_in: int


class OAuthRefused(Exception):  # noqa: N818  (Zalo's verdict on a code or token)
    """The OAuth server refused the code or refresh token; a person has to authorise again."""


class OAuthUnavailable(Exception):  # noqa: N818
    """The OAuth server did not answer usefully; trying later may work."""


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, code_challenge): S256 of a random 64-character verifier."""
    verifier = secrets.token_urlsafe(48)[:64]
    return verifier, challenge_of(verifier)


def challenge_of(verifier: str) -> str:
    """The S256 code challenge of a verifier (base64url of its SHA-256, unpadded)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def consent_url(settings: Settings, challenge: str, state: str) -> str:
    """The page an OA admin opens to allow Loa (⚠ v4/oa/permission)."""
    query = {
        "app_id": settings.zalo_oa_app_id or "",
        "redirect_uri": settings.zalo_oa_redirect_uri or "",
        "code_challenge": challenge,
        "state": state,
    }
    return f"{settings.zalo_oa_oauth_base.rstrip('/')}/v4/oa/permission?{urlencode(query)}"


class OAuthClient:
    """`POST <ZALO_OA_OAUTH_BASE>/v4/oa/access_token`, form-encoded, header `secret_key`."""

    def __init__(self, settings: Settings) -> None:
        self.url = f"{settings.zalo_oa_oauth_base.rstrip('/')}/v4/oa/access_token"
        self.app_id = settings.zalo_oa_app_id or ""
        secret = settings.zalo_oa_app_secret
        self.secret = secret.get_secret_value() if secret is not None else ""
        self.default_lifetime = settings.zalo_oa_token_seconds
        self.timeout = settings.api_timeout_seconds

    async def refresh(self, refresh_token: str) -> TokenPair:
        """A new pair for `refresh_token` (which is spent by a success)."""
        return await self._post(
            {
                "refresh_token": refresh_token,
                "app_id": self.app_id,
                "grant_type": "refresh_token",
            }
        )

    async def exchange(self, code: str, verifier: str) -> TokenPair:
        """The first pair, for the code Zalo's consent page gave (valid 10 minutes, once)."""
        return await self._post(
            {
                "code": code,
                "app_id": self.app_id,
                "grant_type": "authorization_code",
                "code_verifier": verifier,
            }
        )

    async def _post(self, form: dict[str, str]) -> TokenPair:
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.post(
                    self.url,
                    data=form,
                    headers={"secret_key": self.secret},
                    timeout=aiohttp.ClientTimeout(total=self.timeout),
                ) as response,
            ):
                status = response.status
                raw = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise OAuthUnavailable(f"OAuth server: {type(exc).__name__}") from exc
        return self._pair(status, raw)

    def _pair(self, status: int, raw: bytes) -> TokenPair:
        try:
            answer = json.loads(raw) if raw else None
        except ValueError:
            answer = None
        if status >= 500 or not isinstance(answer, dict):
            raise OAuthUnavailable(f"OAuth server: HTTP {status}")
        access = answer.get("access_token")
        refresh = answer.get("refresh_token")
        if isinstance(access, str) and access and isinstance(refresh, str) and refresh:
            # `expires_in` is a string of seconds in the documented answer (a number elsewhere).
            try:
                lifetime = int(str(answer.get("expires_in")).strip())
            except ValueError:
                lifetime = self.default_lifetime
            return TokenPair(access, refresh, lifetime if lifetime > 0 else self.default_lifetime)
        reason = answer.get("error_description") or answer.get("error_name") or answer.get("error")
        raise OAuthRefused(redact(f"OAuth server refused: {reason} (HTTP {status})"))


Alert = Callable[[str, int], Awaitable[None]]


class TokenManager:
    """The current access token for API calls, refreshed before it expires or when refused."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        oauth: OAuthClient,
        alert: Alert,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.db = db
        self.settings = settings
        self.oauth = oauth
        self.app_id = settings.zalo_oa_app_id or ""
        self.alert = alert
        self.now = now
        self.margin = timedelta(minutes=settings.zalo_oa_refresh_margin_minutes)
        self._lock = asyncio.Lock()  # one refresh per process; the lease covers the others

    async def seed(self) -> bool:
        """Store the environment's pair when the database has none; whether a pair is stored."""
        access, refresh = self.settings.zalo_oa_access_token, self.settings.zalo_oa_refresh_token
        now = self.now()
        async with self.db.session() as session:
            repos = Repos.of(session)
            if access is not None and refresh is not None:
                # Its expiry is unknown: taken as due, so the first use refreshes it.
                stored = await repos.tokens.seed(
                    self.app_id,
                    access.get_secret_value(),
                    refresh.get_secret_value(),
                    expires_at=now,
                    now=now,
                )
                if stored:
                    log.info("zalo_oa: first token pair stored from the environment")
            return await repos.tokens.get(self.app_id) is not None

    async def access(self) -> str:
        """A valid access token (refreshing first when it is due)."""
        row = await self._row()
        if row.expires_at - self.margin <= self.now():
            await self.refresh(row.access_token)
            row = await self._row()
        return row.access_token

    async def _row(self) -> OAToken:
        async with self.db.session() as session:
            row = await Repos.of(session).tokens.get(self.app_id)
        if row is None:
            raise CallError(
                FailureKind.rejected,
                "no Zalo OA token stored: run `loa zalo-oa authorize` (or set "
                "ZALO_OA_ACCESS_TOKEN and ZALO_OA_REFRESH_TOKEN once)",
            )
        if row.refused_at is not None and self.now() - row.refused_at < RETRY_REFUSED:
            raise CallError(
                FailureKind.transient,
                "Zalo refused the OA's refresh token: run `loa zalo-oa authorize`",
            )
        return row

    async def refresh(self, stale_access: str) -> None:
        """Replace the pair whose access token is `stale_access` (unless that happened already).

        One worker holds the lease and spends the refresh token; the others wait for the new
        version. The new pair is committed before this returns, so nothing uses a pair that
        is not saved.
        """
        async with self._lock:
            give_up = asyncio.get_running_loop().time() + LEASE.total_seconds() * 2
            while True:
                row = await self._row()
                if row.access_token != stale_access:
                    return  # another refresh (here or in another worker) replaced it
                now = self.now()
                async with self.db.session() as session:
                    leased = await Repos.of(session).tokens.lease(
                        self.app_id, row.version, now=now, until=now + LEASE
                    )
                if leased:
                    await self._spend(row.version, row.refresh_token)
                    return
                if asyncio.get_running_loop().time() > give_up:
                    raise CallError(FailureKind.transient, "Zalo OA token refresh is stuck")
                await asyncio.sleep(WAIT_STEP)

    async def _spend(self, version: int, refresh_token: str) -> None:
        try:
            pair = await self.oauth.refresh(refresh_token)
        except OAuthRefused as refused:
            async with self.db.session() as session:
                await Repos.of(session).tokens.release(self.app_id, version, refused_at=self.now())
            log.error(
                "zalo_oa: Zalo refused the refresh token (%s). The OA cannot send until an "
                "admin authorises Loa again: run `loa zalo-oa authorize`",
                refused,
            )
            await self.alert(str(refused), version)
            raise CallError(FailureKind.transient, str(refused)) from None
        except OAuthUnavailable as down:
            async with self.db.session() as session:
                await Repos.of(session).tokens.release(self.app_id, version, refused_at=None)
            raise CallError(FailureKind.transient, str(down)) from None
        now = self.now()
        async with self.db.session() as session:
            await Repos.of(session).tokens.rotate(
                self.app_id,
                version,
                pair.access,
                pair.refresh,
                expires_at=now + timedelta(seconds=pair.expires_in),
                now=now,
            )
        log.info("zalo_oa: access token refreshed (pair %d)", version + 1)


async def store_authorized(db: Database, settings: Settings, pair: TokenPair) -> None:
    """Keep the pair a new authorisation gave (it replaces any stored pair)."""
    now = datetime.now(UTC)
    async with db.session() as session:
        await Repos.of(session).tokens.replace(
            settings.zalo_oa_app_id or "",
            pair.access,
            pair.refresh,
            expires_at=now + timedelta(seconds=pair.expires_in),
            now=now,
        )
