"""Zalo Bot Platform: a thin client of our own over aiohttp, polling or webhook.

The API is Telegram-shaped (`<ZALO_API_BASE>/bot<TOKEN>/<method>`, POST + JSON, answers
`{ok, result, error_code, description}`) but smaller: `getUpdates` returns ONE update per call
and error 408 when the long poll ends empty; there are no buttons, no file uploads and no
commands menu. So menus are numbered lines answered by number (the engine maps the number),
replies are plain text in parts of at most 2000 characters, and photos and voice go out as URLs
under PUBLIC_BASE_URL that Zalo fetches (text only when that is not set). Inbound images are
public CDN links that may expire: downloaded at once. Webhook bodies come flat
(`{event_name, message}`) or wrapped like an API answer (`{ok, result: {...}}`); both are read.
Sources: https://bot.zapps.me/docs/ , https://docs.zaloplatforms.com/docs/BOT/ (see
shared/platform-notes.md, section A).
"""

from __future__ import annotations

import asyncio
import json
import logging
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from bot.channels.base import (
    Adapter,
    CallError,
    ChannelError,
    DeliveryResult,
    FailureKind,
    RetryPolicy,
    Tally,
    deliver_counted,
    with_retries,
)
from bot.channels.files import DOWNLOAD_FAILED, PublicFiles, skipped
from bot.core.chat import AttachmentKind, Incoming, Kind, MediaRef, Reply, split_text, to_plain
from bot.core.config import Settings
from bot.core.logging import redact
from bot.delivery.outbox import Progress, RateLimiter, current_progress
from bot.engine import Engine
from db.session import Database

log = logging.getLogger(__name__)

CHANNEL = "zalo"
TEXT_LIMIT = 2000
SECRET_HEADER = "X-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
POLL_EMPTY = 408  # getUpdates' "nothing new"
QUICK_EMPTY, QUICK_EMPTY_PAUSE = 0.2, 0.5  # an empty long poll this fast was not held
DOWNLOAD_TIMEOUT = 120.0
SEND_PHOTO_TIMEOUT = 120.0  # Zalo fetches the photo URL before it answers

Json = dict[str, Any]


class ZaloError(Exception):
    """The Zalo API said no (`code` is its error_code, else the HTTP status)."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(redact(f"{code} {description}"))
        self.code = code
        self.description = redact(description)


class ZaloTransportError(Exception):
    """No answer from Zalo; `connected` says whether the request may have reached it."""

    def __init__(self, detail: str, *, connected: bool, timed_out: bool = False) -> None:
        super().__init__(redact(detail))
        self.connected = connected
        self.timed_out = timed_out


class LazySession:
    """One aiohttp session, opened on first use (inside the running loop), closed at the end."""

    _session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """The HTTP session (created on first use, inside the running loop)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()


class ZaloClient(LazySession):
    """The Zalo Bot API over one aiohttp session; the token stays out of every error."""

    def __init__(self, token: str, base_url: str, timeout: float) -> None:
        self._url = f"{base_url.rstrip('/')}/bot{token}/"
        self.timeout = timeout

    async def call(
        self, method: str, params: Mapping[str, Any] | None = None, *, time_limit: float = 0
    ) -> Any:
        """POST `params` as JSON to `method`; the `result` on success, else ZaloError."""
        try:
            async with self.session.post(
                self._url + method,
                json=dict(params or {}),
                timeout=aiohttp.ClientTimeout(total=time_limit or self.timeout),
            ) as response:
                status = response.status
                body = await response.read()
        except aiohttp.ClientConnectorError as exc:
            raise ZaloTransportError(f"{method}: cannot connect", connected=False) from exc
        except TimeoutError as exc:
            raise ZaloTransportError(
                f"{method}: timed out", connected=True, timed_out=True
            ) from exc
        except aiohttp.ClientError as exc:
            raise ZaloTransportError(f"{method}: {type(exc).__name__}", connected=True) from exc
        try:
            data = json.loads(body) if body else None
        except ValueError:
            data = None
        if not isinstance(data, dict):
            # HTTP 2xx alone is not success: only {"ok": true} is.
            raise ZaloError(status if status >= 400 else 502, f"HTTP {status}, not an API answer")
        if data.get("ok") is True:
            return data.get("result")
        code = data.get("error_code")
        if not isinstance(code, int) or isinstance(code, bool):
            code = status if status >= 400 else 400
        return _raise(code, str(data.get("description") or "error"))


def _raise(code: int, description: str) -> Any:
    raise ZaloError(code, description)


def classify(exc: BaseException) -> CallError:
    """What a Zalo failure means for retrying."""
    if isinstance(exc, CallError):
        return exc
    if isinstance(exc, ZaloTransportError):
        kind = FailureKind.ambiguous if exc.connected else FailureKind.transient
        return CallError(kind, str(exc))
    if isinstance(exc, ZaloError):
        if exc.code == 429:
            # "Quota exceeded" carries no retry_after: exponential backoff it is.
            return CallError(FailureKind.rate_limited, str(exc))
        if exc.code == 403:
            return CallError(FailureKind.blocked, str(exc))
        if exc.code >= 500:
            return CallError(FailureKind.transient, str(exc))
        return CallError(FailureKind.rejected, str(exc))
    return CallError(FailureKind.ambiguous, type(exc).__name__)


async def call_api(
    client: ZaloClient,
    method: str,
    params: Mapping[str, Any] | None,
    policy: RetryPolicy,
    tally: Tally | None = None,
    *,
    idempotent: bool = False,
    time_limit: float = 0,
) -> Any:
    """A Zalo call with Loa's retry rules; failures come out as `CallError`."""

    async def attempt() -> Any:
        try:
            return await client.call(method, params, time_limit=time_limit)
        except (ZaloError, ZaloTransportError) as exc:
            raise classify(exc) from exc

    return await with_retries(attempt, policy, tally, what=f"zalo {method}", idempotent=idempotent)


# --- sending -------------------------------------------------------------------------------


def numbered(reply: Reply) -> str:
    """The reply as plain text, its choices as numbered lines at the end, NFC-normalised."""
    text = to_plain(reply.text).strip()
    if reply.choices:
        lines = "\n".join(f"{n}. {choice.label}" for n, choice in enumerate(reply.choices, 1))
        text = f"{text}\n\n{lines}" if text else lines
    # Zalo counts UTF-16 units of what arrives; NFC keeps Vietnamese letters one unit each.
    return unicodedata.normalize("NFC", text)


def render(reply: Reply) -> list[str]:
    """The reply as plain-text parts of at most 2000 characters, choices numbered at the end."""
    text = numbered(reply)
    return split_text(text, TEXT_LIMIT) if text else []


class ZaloSender:
    """Delivers replies to Zalo chats: text parts, then media by public URL."""

    channel = CHANNEL

    def __init__(
        self,
        client: ZaloClient,
        policy: RetryPolicy,
        files: PublicFiles,
        limiter: RateLimiter | None = None,
        *,
        document_link_seconds: float | None = None,
    ) -> None:
        self.client = client
        self.policy = policy
        self.files = files
        self.limiter = limiter
        # Documents (exports) go out as links that stop working after this long.
        self.document_link_seconds = document_link_seconds

    async def deliver(self, chat_id: str, reply: Reply) -> DeliveryResult:
        """Send `reply` to `chat_id`."""

        # An outbox row cut off earlier goes on from the first message not yet sent.
        progress = current_progress()

        async def send(tally: Tally) -> None:
            parts = render(reply)
            for index, part in enumerate(parts):
                params = {"chat_id": chat_id, "text": part}
                last = index == len(parts) - 1 and reply.attachment is None
                await progress.send(partial(self._call, "sendMessage", params, tally), last=last)
            await self._send_attachment(chat_id, reply, tally, progress)

        return await deliver_counted(send)

    async def _send_attachment(
        self, chat_id: str, reply: Reply, tally: Tally, progress: Progress
    ) -> None:
        attachment = reply.attachment
        if attachment is None:
            return
        path = attachment.path
        if attachment.kind in (AttachmentKind.audio, AttachmentKind.voice):
            # Zalo's sendVoice takes "a URL ending in .aac"; other encodings may not play.
            aac = attachment.variant(".aac")
            if aac is None:
                log.info("zalo: no AAC version of %s; voice not sent", path.name)
                return
            path = aac
        if not path.is_file():
            log.warning("attachment %s is missing; sent the text only", path)
            return
        document = attachment.kind is AttachmentKind.document
        lifetime = self.document_link_seconds if document else None
        # Publishing may re-encode an image without its EXIF: a thread, not the event loop.
        url = await asyncio.to_thread(self.files.url_for, path, valid_for=lifetime)
        if url is None:
            log.debug("zalo: no PUBLIC_BASE_URL; %s not sent", attachment.kind)
            return
        caption = unicodedata.normalize("NFC", to_plain(attachment.caption)).strip()
        time_limit = 0.0
        if attachment.kind is AttachmentKind.photo:
            method, params = "sendPhoto", {"chat_id": chat_id, "photo": url}
            if caption:
                params["caption"] = split_text(caption, TEXT_LIMIT)[0]
            time_limit = SEND_PHOTO_TIMEOUT
        elif attachment.kind in (AttachmentKind.audio, AttachmentKind.voice):
            method, params = "sendVoice", {"chat_id": chat_id, "voice_url": url}
        else:
            # No documents on Zalo: a link they can open.
            label = caption or path.name
            method, params = "sendMessage", {"chat_id": chat_id, "text": f"{label}\n{url}"}
        call = partial(self._call, method, params, tally, time_limit=time_limit)
        await progress.send(call, last=True)

    async def _call(
        self, method: str, params: Json, tally: Tally, *, time_limit: float = 0
    ) -> None:
        if self.limiter is not None:
            await self.limiter.acquire(str(params["chat_id"]))
        await call_api(self.client, method, params, self.policy, tally, time_limit=time_limit)


# --- receiving -----------------------------------------------------------------------------


def unwrap(body: Any) -> Json | None:
    """The update in a webhook body or getUpdates result, flat or wrapped in {ok, result}."""
    if isinstance(body, Mapping) and "result" in body and "message" not in body:
        body = body.get("result")
    if isinstance(body, Mapping) and isinstance(body.get("message"), Mapping):
        return dict(body)
    return None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def photo_url(message: Mapping[str, Any]) -> str:
    """The image link: `photo_url`, else `photo` (string, object or list), as seen in the wild."""
    direct = _text(message.get("photo_url"))
    if direct:
        return direct
    photo = message.get("photo")
    candidates = photo if isinstance(photo, list) else [photo]
    for item in candidates:
        if isinstance(item, str) and item.strip():
            return item.strip()
        if isinstance(item, Mapping):
            for key in ("url", "photo_url", "src"):
                if _text(item.get(key)):
                    return _text(item.get(key))
    return ""


def event_kind(update: Mapping[str, Any]) -> str:
    """The event: `event_name` when given, else inferred from the fields (older samples)."""
    name = _text(update.get("event_name"))
    if name:
        return name
    message = update.get("message") or {}
    if _text(message.get("voice_url")):
        return "message.voice.received"
    if photo_url(message):
        return "message.image.received"
    if message.get("sticker"):
        return "message.sticker.received"
    if isinstance(message.get("text"), str):
        return "message.text.received"
    return "message.unsupported.received"


class ZaloCDN(Adapter):
    """An adapter whose users' files are links on Zalo's CDN (the Bot Platform and the OA)."""

    async def _download(
        self,
        url: str,
        limit: int,
        mime: str | None = None,
        *,
        want: Kind,
        user_id: str = "",
        name: str | None = None,
    ) -> MediaRef:
        """Fetch a user's file from Zalo's CDN: only when their step can take it, only over
        https from Zalo's own hosts (ZALO_MEDIA_HOSTS), never following a redirect."""
        assert self._downloads is not None
        name = name or PurePosixPath(urlsplit(url).path).name or None
        if want not in await self.inbox.files_taken(user_id):
            return skipped(url, mime, name)
        if not media_host_allowed(url, self.settings.zalo_media_hosts):
            log.warning("%s: file URL on %s refused (not a Zalo host)", self.name, _host(url))
            return MediaRef(url, mime=mime, file_name=name, problem=DOWNLOAD_FAILED)
        return await self.spool.fetch(
            self._downloads,
            url,
            ref=url,
            limit=limit,
            time_limit=DOWNLOAD_TIMEOUT,
            mime=mime,
            file_name=name,
        )


@dataclass(frozen=True, slots=True)
class _Sender:
    user_id: str
    chat_id: str
    name: str


class ZaloChannel(ZaloCDN):
    """Zalo Bot Platform: one update per poll or a webhook body, images fetched at once."""

    name = CHANNEL

    def __init__(
        self, settings: Settings, engine: Engine, db: Database, files: PublicFiles
    ) -> None:
        assert settings.zalo_token is not None
        self.client = ZaloClient(
            settings.zalo_token.get_secret_value(),
            settings.zalo_api_base,
            settings.api_timeout_seconds,
        )
        self.policy = RetryPolicy.of(settings)
        sender = ZaloSender(
            self.client,
            self.policy,
            files,
            RateLimiter(settings.zalo_rate_per_second, 0.0),
            document_link_seconds=settings.document_link_hours * 3600,
        )
        super().__init__(settings, engine, db, sender, settings.zalo_webhook_secret)
        self.bot_id = ""

    # --- lifecycle

    async def start(self, *, webhook: bool) -> None:
        """Check the token; before polling, remove any webhook (getUpdates fails while set)."""
        self.open_downloads()
        try:
            me = await call_api(self.client, "getMe", None, self.policy, idempotent=True)
            if isinstance(me, Mapping):
                self.bot_id = str(me.get("id") or "")
                log.info(
                    "zalo: bot %s (%s)",
                    me.get("account_name") or self.bot_id,
                    "webhook" if webhook else "polling",
                )
        except CallError as failure:
            if isinstance(failure.__cause__, ZaloError) and failure.__cause__.code == 401:
                raise ChannelError(
                    "Zalo rejected ZALO_TOKEN (401 Unauthorized): check the token Zalo Bot "
                    "Creator gave you"
                ) from None
            log.warning("zalo: getMe failed (%s); starting anyway", failure.detail)
        if not webhook:
            try:
                await call_api(self.client, "deleteWebhook", None, self.policy, idempotent=True)
            except CallError as failure:
                log.warning("zalo: deleteWebhook failed: %s", failure.detail)

    async def register_webhook(self) -> None:
        """setWebhook to ZALO_WEBHOOK_URL with the secret; call it once Loa listens."""
        url = self.settings.zalo_webhook_url
        if not url:
            return
        try:
            result = await call_api(
                self.client,
                "setWebhook",
                {"url": url, "secret_token": self.secret},
                self.policy,
                idempotent=True,
                time_limit=60,
            )
        except CallError as failure:
            raise ChannelError(f"Zalo refused the webhook {url}: {failure.detail}") from None
        verification = result.get("verification") if isinstance(result, Mapping) else None
        if isinstance(verification, Mapping) and verification.get("ok") is False:
            log.warning("zalo: webhook set, but Zalo's check of it failed: %s", verification)
        log.info("zalo: webhook set to %s", url)

    async def poll(self) -> None:
        """Long-poll getUpdates (one update per call) until cancelled."""
        timeout = self.settings.polling_timeout_seconds
        failures = 0
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            try:
                result = await self.client.call(
                    "getUpdates", {"timeout": str(timeout)}, time_limit=timeout + 15
                )
            except ZaloError as exc:
                if exc.code == POLL_EMPTY:
                    failures = 0
                    if timeout and loop.time() - started < QUICK_EMPTY:
                        # A server that does not hold the long poll: do not spin on it.
                        await asyncio.sleep(QUICK_EMPTY_PAUSE)
                    continue
                failures += 1
                await self._pause(classify(exc), failures)
                continue
            except ZaloTransportError as exc:
                if exc.timed_out:
                    # Our own timeout ran out with nothing new: the same as a 408.
                    continue
                failures += 1
                await self._pause(classify(exc), failures)
                continue
            failures = 0
            for item in result if isinstance(result, list) else [result]:
                self.accept(item)

    async def _pause(self, failure: CallError, failures: int) -> None:
        delay = self.policy.backoff(min(failures, 6))
        if failure.kind is FailureKind.rejected:
            # A bad token or a webhook still set: a person has to act; do not hammer.
            delay = max(delay, self.policy.base_delay * 5)
        log.warning("zalo: getUpdates failed (%s); again in %.1f s", failure.detail, delay)
        await asyncio.sleep(delay)

    async def stop(self, grace: float) -> bool:
        """Let running updates finish, then close the sessions."""
        drained = await self.close_inbox(grace)
        await self.client.close()
        return drained

    # --- webhook

    async def webhook(self, request: web.Request) -> web.Response:
        """POST /webhook/zalo: check the secret, acknowledge at once, process in the background."""
        if request.content_length == 0 or not request.body_exists:
            # Zalo's reachability probe has no body; it changes nothing, so it gets its 200.
            return web.json_response({"ok": True})
        if not self.secret_given(request, SECRET_HEADER):
            return web.json_response({"ok": False, "error": "unauthorized"}, status=401)
        if self.inbox.closed:
            return web.json_response({"ok": False, "error": "shutting down"}, status=503)
        raw = await request.read()
        if not raw.strip():
            return web.json_response({"ok": True})
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):  # not JSON, or nested past the parser's limit
            log.warning("zalo webhook: body is not JSON")
            return web.json_response({"ok": False, "error": "bad request"}, status=400)
        self.accept(body)
        # Zalo asks for a fast answer; the work runs in the user's lane.
        return web.json_response({"ok": True})

    # --- updates

    def accept(self, body: Any) -> asyncio.Task[bool] | None:
        """Take one update (either envelope); queue its work in the user's lane."""
        update = unwrap(self.storable(body))
        if update is None:
            log.debug("zalo: body without a message ignored")
            return None
        kind = event_kind(update)
        message = update["message"]
        sender = message.get("from") if isinstance(message.get("from"), Mapping) else {}
        user_id = _text(str(sender.get("id") or ""))
        chat = message.get("chat") if isinstance(message.get("chat"), Mapping) else {}
        chat_id = _text(str(chat.get("id") or "")) or user_id
        if not kind.startswith("message.") or not user_id:
            log.debug("zalo: event %s ignored", kind)
            return None
        if sender.get("is_bot") is True or (self.bot_id and user_id == self.bot_id):
            return None  # our own messages echoed back, or another bot
        if str(chat.get("chat_type") or "PRIVATE").upper() != "PRIVATE":
            log.debug("zalo: %s in a group chat ignored", kind)
            return None
        update_id = _text(str(message.get("message_id") or ""))
        if not update_id:
            update_id = f"{kind}:{chat_id}:{message.get('date')}"
        name = _text(sender.get("display_name") or sender.get("first_name"))
        who = _Sender(user_id, chat_id, name)
        job = partial(self._handle, who, update_id, kind, message)
        return self.inbox.submit(user_id, job)

    async def _handle(self, who: _Sender, update_id: str, kind: str, message: Json) -> None:
        if await self.inbox.seen(update_id):
            log.info("zalo: message %s already handled", update_id)
            return
        event = await self._event(who, update_id, kind, message)
        await self.inbox.process(who.chat_id, event)

    async def _event(self, who: _Sender, update_id: str, kind: str, message: Json) -> Incoming:
        base: dict[str, Any] = {"display_name": who.name}
        user, caption = who.user_id, _text(message.get("caption"))
        if kind == "message.text.received" and isinstance(message.get("text"), str):
            return Incoming.from_text(CHANNEL, user, update_id, message["text"], **base)
        if kind == "message.image.received":
            url = photo_url(message)
            if url:
                ref = await self._download(
                    url, self.settings.max_photo_bytes, want=Kind.photo, user_id=user
                )
                return Incoming(
                    CHANNEL, user, update_id, Kind.photo, text=caption, media=(ref,), **base
                )
        if kind == "message.voice.received" and _text(message.get("voice_url")):
            ref = await self._download(
                _text(message.get("voice_url")),
                self.settings.max_document_bytes,
                "audio/aac",
                want=Kind.voice,
                user_id=user,
            )
            return Incoming(CHANNEL, user, update_id, Kind.voice, media=(ref,), **base)
        if kind == "message.sticker.received":
            sticker = message.get("sticker")
            sticker_id = str(sticker) if isinstance(sticker, str | int) else ""
            ref = MediaRef(sticker_id or _text(message.get("url")))
            return Incoming(CHANNEL, user, update_id, Kind.sticker, media=(ref,), **base)
        # message.unsupported.received (no content), and event kinds not known yet.
        return Incoming(CHANNEL, user, update_id, Kind.unsupported, text=caption, **base)


_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def media_host_allowed(url: str, hosts: tuple[str, ...]) -> bool:
    """Whether `url` is https on one of `hosts` (or a subdomain); a listed loopback host
    (tests) may use http."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        return False
    listed = any(host == allowed or host.endswith("." + allowed) for allowed in hosts)
    if not listed:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and host in _LOOPBACK)


def _host(url: str) -> str:
    return redact(urlsplit(url).hostname or "?")
