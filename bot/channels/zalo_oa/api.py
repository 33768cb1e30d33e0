"""The Zalo OA Open API over aiohttp: the `access_token` header, the `{error, message, data}`
envelope (HTTP 200 even for errors), and what each error code means for Loa.

Sources: shared/zalo-oa-notes.md §1–3 (the official Java SDK, Chatwoot's OA channel, quotes of
docs.zaloplatforms.com). Codes marked ⚠ there are still mapped, by their documented meaning.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp

from bot.channels import zalo
from bot.channels.base import CallError, FailureKind, RetryPolicy, Tally, with_retries
from bot.channels.zalo import LazySession, ZaloTransportError
from bot.core.logging import redact

log = logging.getLogger(__name__)

Json = dict[str, Any]

WINDOW_CLOSED = frozenset({-230, -232})  # no interaction in 7 days, or it expired
UNREACHABLE = frozenset({-213, -217, -227, -244})  # not a follower, blocked, banned, restricted
RATE_LIMITED = frozenset({-32})
BAD_TOKEN = frozenset({-216, -220})  # invalid, expired or removed: refresh once, retry once
ID_EXPIRED = frozenset({-100})  # an uploaded attachment id that Zalo no longer knows


class OAError(Exception):
    """The OA API answered with an error code (or an HTTP error without an envelope)."""

    def __init__(self, code: int, message: str, *, http_status: int = 200) -> None:
        super().__init__(redact(f"{code} {message}"))
        self.code = code
        self.message = redact(message)
        self.http_status = http_status


def classify(exc: BaseException) -> CallError:
    """What an OA failure means for retrying, and for the outbox (transport failures as on
    the Bot Platform: `ZaloTransportError` is shared)."""
    if not isinstance(exc, OAError):
        return zalo.classify(exc)
    if exc.code in WINDOW_CLOSED:
        return CallError(FailureKind.outside_window, str(exc))
    if exc.code in UNREACHABLE:
        return CallError(FailureKind.blocked, str(exc))
    if exc.code in RATE_LIMITED or exc.http_status == 429:
        return CallError(FailureKind.rate_limited, str(exc))
    if exc.http_status >= 500:
        return CallError(FailureKind.transient, str(exc))
    return CallError(FailureKind.rejected, str(exc))


TokenSource = Callable[[], Awaitable[str]]
Refresh = Callable[[str], Awaitable[None]]


class OAClient(LazySession):
    """Calls `<ZALO_OA_API_BASE>/<path>` with the current access token.

    On -216/-220 (a token Zalo no longer takes) it asks for a refresh of that token once and
    repeats the call once; the token never appears in an error or a log line.
    """

    def __init__(
        self, base_url: str, timeout: float, token: TokenSource, refresh: Refresh
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._token = token
        self._refresh = refresh

    async def call(
        self,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        upload: tuple[str, bytes, str] | None = None,
    ) -> Json:
        """POST `body` as JSON (or GET with `query` as the one `data` parameter, or POST a
        multipart `upload` (name, bytes, type) as `file`); the `data` of the answer."""
        token = await self._token()
        try:
            return await self._once(token, path, body, query, upload)
        except OAError as exc:
            if exc.code not in BAD_TOKEN:
                raise
            log.warning("zalo_oa: %s refused the access token (%s); refreshing", path, exc.code)
        await self._refresh(token)
        return await self._once(await self._token(), path, body, query, upload)

    async def _once(
        self,
        token: str,
        path: str,
        body: Mapping[str, Any] | None,
        query: Mapping[str, Any] | None,
        upload: tuple[str, bytes, str] | None,
    ) -> Json:
        url = f"{self.base_url}/{path.lstrip('/')}"
        headers = {"access_token": token}
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            if query is not None:
                params = {"data": json.dumps(dict(query), separators=(",", ":"))}
                request = self.session.get(url, params=params, headers=headers, timeout=timeout)
            elif upload is not None:
                name, data, mime = upload
                form = aiohttp.FormData()
                form.add_field("file", data, filename=name, content_type=mime)
                request = self.session.post(url, data=form, headers=headers, timeout=timeout)
            else:
                request = self.session.post(
                    url, json=dict(body or {}), headers=headers, timeout=timeout
                )
            async with request as response:
                status = response.status
                raw = await response.read()
        except aiohttp.ClientConnectorError as exc:
            raise ZaloTransportError(f"{path}: cannot connect", connected=False) from exc
        except TimeoutError as exc:
            raise ZaloTransportError(f"{path}: timed out", connected=True, timed_out=True) from exc
        except aiohttp.ClientError as exc:
            raise ZaloTransportError(f"{path}: {type(exc).__name__}", connected=True) from exc
        return envelope(path, status, raw)


def envelope(path: str, status: int, raw: bytes) -> Json:
    """The `data` of an OA answer; OAError for an error code or something that is no answer.

    Tolerant: `error` may come as a number or a numeric string, `data` may be missing.
    """
    try:
        answer = json.loads(raw) if raw else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        code = status if status >= 400 else 502
        raise OAError(code, f"{path}: HTTP {status}, not an API answer", http_status=code)
    error = answer.get("error", 0)
    try:
        code = int(error)
    except (TypeError, ValueError):
        code = -1
    if code != 0 or status >= 400:
        message = str(answer.get("message") or answer.get("error_description") or "error")
        raise OAError(code or -status, f"{path}: {message}", http_status=status)
    data = answer.get("data")
    return data if isinstance(data, dict) else {}


async def call_api(
    client: OAClient,
    path: str,
    policy: RetryPolicy,
    tally: Tally | None = None,
    *,
    idempotent: bool = False,
    **request: Any,
) -> Json:
    """An OA call with Loa's retry rules; failures come out as `CallError`."""

    async def attempt() -> Json:
        try:
            return await client.call(path, **request)
        except (OAError, ZaloTransportError) as exc:
            raise classify(exc) from exc

    return await with_retries(
        attempt, policy, tally, what=f"zalo_oa {path}", idempotent=idempotent
    )
