"""Telegram: aiogram's Bot for the API calls; updates read by Loa itself, by polling or webhook.

Updates are read from the raw JSON (not aiogram's models), so an update kind or field Telegram
adds tomorrow is acknowledged and ignored instead of failing validation. Choices become inline
keyboards, one button per row, numbered like the text menus so a typed number works too; a
button press is always answered (the spinner stops) and a stale one gets the engine's polite
answer. Albums arrive as one update per item with no end marker: items sharing a
`media_group_id` are gathered for `ALBUM_DEBOUNCE_SECONDS` after the last one and handed over
as one photo event. Telegram delivers one chat's webhook updates one at a time, waiting for
each answer (tdlib/telegram-bot-api WebhookActor), so album items are acknowledged at once and
everything else is processed before answering: a crash means redelivery, and the database
dedupe makes redeliveries harmless.
"""

from __future__ import annotations

import asyncio
import json
import logging
import unicodedata
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import (
    BotCommand,
    BotCommandScopeDefault,
    FSInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
)
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
    wait_bounded,
    with_retries,
)
from bot.channels.files import DOWNLOAD_FAILED, TOO_LARGE, skipped
from bot.core import i18n
from bot.core.chat import (
    AttachmentKind,
    Incoming,
    Kind,
    Location,
    MediaRef,
    Reply,
    split_text,
    text_length,
    to_html,
    to_plain,
)
from bot.core.config import Settings
from bot.core.i18n import N_, Catalogs, _
from bot.core.logging import redact
from bot.delivery.outbox import DeliveryStatus, RateLimiter, current_progress
from bot.engine import Engine
from db.session import Database

log = logging.getLogger(__name__)

CHANNEL = "telegram"
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
ALBUM_MAX_ITEMS = 10  # Telegram's own limit for a media group
WEBHOOK_ANSWER_WITHIN = 50.0  # Telegram waits about 60 s for a webhook answer, then resends
DOWNLOAD_TIMEOUT = 120.0
QUICK_EMPTY, QUICK_EMPTY_PAUSE = 0.2, 0.5  # an empty long poll this fast was not held

# The commands in Telegram's menu, in this order, with msgids for their descriptions.
COMMANDS = (
    ("start", N_("Start again and choose your language")),
    ("menu", N_("Main menu")),
    ("help", N_("What I can do")),
    ("language", N_("Change language")),
    ("cancel", N_("Stop what you are doing")),
)

Json = dict[str, Any]


# --- the API session -----------------------------------------------------------------------


class _Session(AiohttpSession):
    """aiogram's session, with secrets kept out of errors and gateway pages read as 5xx."""

    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Any:
        if status_code >= 500:
            try:
                json.loads(content)
            except ValueError:
                # A proxy's HTML error page: a server error, not a malformed API answer.
                raise TelegramServerError(method=method, message=f"HTTP {status_code}") from None
        return super().check_response(bot, method, status_code, content)

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        try:
            return await super().make_request(bot, method, timeout)
        except TelegramAPIError as exc:
            # aiohttp's messages may quote the URL, and the URL holds the token.
            exc.message = redact(exc.message)
            raise


class _RawUpdates(TelegramMethod[list[dict[str, Any]]]):
    """getUpdates, answering plain JSON objects: one odd update must not block the rest."""

    __returning__: ClassVar[Any] = list[dict[str, Any]]
    __api_method__: ClassVar[str] = "getUpdates"

    offset: int | None = None
    limit: int | None = None
    timeout: int | None = None
    allowed_updates: list[str] | None = None


def build_bot(settings: Settings) -> Bot:
    """An aiogram Bot talking to TELEGRAM_API_BASE."""
    assert settings.telegram_token is not None
    api = TelegramAPIServer.from_base(settings.telegram_api_base.rstrip("/"))
    session = _Session(api=api, timeout=settings.api_timeout_seconds)
    return Bot(settings.telegram_token.get_secret_value(), session=session)


def classify(exc: BaseException) -> CallError:
    """What an aiogram error means for retrying."""
    if isinstance(exc, CallError):
        return exc
    if isinstance(exc, TelegramRetryAfter):
        return CallError(FailureKind.rate_limited, exc.message, float(exc.retry_after))
    if isinstance(exc, TelegramForbiddenError):
        return CallError(FailureKind.blocked, exc.message)
    if isinstance(exc, TelegramServerError):
        return CallError(FailureKind.transient, exc.message)
    if isinstance(exc, TelegramNetworkError):
        # Only a connection that was never made is certainly not delivered.
        if isinstance(exc.__cause__, aiohttp.ClientConnectorError):
            return CallError(FailureKind.transient, exc.message)
        return CallError(FailureKind.ambiguous, exc.message)
    if isinstance(exc, TelegramAPIError):
        return CallError(FailureKind.rejected, exc.message)
    if isinstance(exc, ClientDecodeError):
        return CallError(FailureKind.ambiguous, "undecodable answer")
    return CallError(FailureKind.ambiguous, type(exc).__name__)


async def call_api(
    call: Callable[[], Awaitable[Any]],
    policy: RetryPolicy,
    tally: Tally | None = None,
    *,
    what: str,
    idempotent: bool = False,
) -> Any:
    """Run an aiogram call with Loa's retry rules; failures come out as `CallError`."""

    async def attempt() -> Any:
        try:
            return await call()
        except (TelegramAPIError, ClientDecodeError) as exc:
            raise classify(exc) from exc

    return await with_retries(attempt, policy, tally, what=what, idempotent=idempotent)


# --- sending -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Out:
    """One Telegram message to send."""

    method: str  # "text" or an AttachmentKind
    text: str = ""  # markup
    path: Path | None = None
    keyboard: InlineKeyboardMarkup | None = None
    duration: int | None = None

    def with_keyboard(self, keyboard: InlineKeyboardMarkup) -> _Out:
        """The same message carrying `keyboard`."""
        return _Out(self.method, self.text, self.path, keyboard, self.duration)


# Telegram's sendVoice takes OGG/Opus, MP3 or M4A; Opus is what a voice note is made of.
VOICE_SUFFIXES = (".ogg", ".oga", ".opus", ".m4a", ".mp3")


def keyboard_of(reply: Reply) -> InlineKeyboardMarkup | None:
    """Choices as an inline keyboard: one button per row, numbered like the text menus."""
    if not reply.choices:
        return None
    rows = [
        [InlineKeyboardButton(text=f"{n}. {choice.label}", callback_data=choice.payload)]
        for n, choice in enumerate(reply.choices, 1)
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def plan(reply: Reply) -> list[_Out]:
    """The messages one reply becomes: text parts, then the attachment; keyboard on the last."""
    text = unicodedata.normalize("NFC", reply.text).strip()
    parts = split_text(text, TEXT_LIMIT) if text else []
    outs = [_Out("text", part) for part in parts]
    attachment = reply.attachment
    if attachment is not None:
        path = attachment.path
        if attachment.kind in (AttachmentKind.voice, AttachmentKind.audio):
            path = attachment.variant(*VOICE_SUFFIXES) or path
        if not path.is_file():
            log.warning("attachment %s is missing; sending the text only", path)
        else:
            caption = unicodedata.normalize("NFC", attachment.caption).strip()
            if not caption and len(outs) == 1 and _fits_caption(outs[0].text):
                # A short text rides on the media as its caption: one message, not two.
                caption, outs = outs[0].text, []
            elif caption and not _fits_caption(caption):
                outs.extend(_Out("text", part) for part in split_text(caption, TEXT_LIMIT))
                caption = ""
            outs.append(_Out(attachment.kind.value, caption, path, None, attachment.duration))
    keyboard = keyboard_of(reply)
    if keyboard is not None:
        if not outs:
            log.warning("a reply with choices but no text; the choices are not shown")
        else:
            outs[-1] = outs[-1].with_keyboard(keyboard)
    return outs


def _fits_caption(markup: str) -> bool:
    # Telegram counts a caption after parsing its entities: the plain text is what counts.
    return text_length(to_plain(markup)) <= CAPTION_LIMIT


class TelegramSender:
    """Delivers replies to Telegram chats, with retries, a rate limit and upload reuse."""

    channel = CHANNEL

    def __init__(self, bot: Bot, policy: RetryPolicy, limiter: RateLimiter | None = None) -> None:
        self.bot = bot
        self.policy = policy
        self.limiter = limiter
        # An uploaded file gets a file_id that can be sent again without uploading it again.
        self._file_ids: dict[tuple[str, int, int, str], str] = {}

    async def deliver(self, chat_id: str, reply: Reply) -> DeliveryResult:
        """Send `reply` to `chat_id` as one or more Telegram messages."""
        sent = 0
        # An outbox row cut off earlier goes on from the first message not yet sent.
        progress = current_progress()

        async def send(tally: Tally) -> None:
            nonlocal sent
            outs = plan(reply)
            for index, out in enumerate(outs):
                call = partial(
                    call_api,
                    partial(self._send, chat_id, out),
                    self.policy,
                    tally,
                    what=f"telegram {out.method} to {chat_id}",
                )
                sent += await progress.send(call, last=index == len(outs) - 1)

        result = await deliver_counted(send)
        if result.status != DeliveryStatus.sent and sent:
            log.warning("telegram: %d of the reply's messages were sent before failing", sent)
        return result

    async def _send(self, chat_id: str, out: _Out) -> None:
        if self.limiter is not None:
            await self.limiter.acquire(chat_id)
        try:
            if out.method == "text":
                await self._send_text(chat_id, out)
            else:
                await self._send_file(chat_id, out)
        except ClientDecodeError as exc:
            # The server said {"ok": true} but its Message did not parse (a Bot-API-compatible
            # server of its own kind): the message went out; sending it again would repeat it.
            if not (isinstance(exc.data, Mapping) and exc.data.get("ok") is True):
                raise
            log.debug("telegram: %s accepted with an unusual result", out.method)

    async def _send_text(self, chat_id: str, out: _Out) -> None:
        try:
            await self.bot.send_message(
                chat_id=chat_id,
                text=to_html(out.text),
                parse_mode="HTML",
                reply_markup=out.keyboard,
                # Previews cost villagers' mobile data and say nothing the text does not.
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except TelegramBadRequest as exc:
            if "parse entities" not in exc.message:
                raise
            # Our HTML is built to be valid; should Telegram still refuse it, plain text reads.
            log.warning("telegram refused the HTML of a message; sending it as plain text")
            await self.bot.send_message(
                chat_id=chat_id,
                text=to_plain(out.text),
                reply_markup=out.keyboard,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )

    async def _send_file(self, chat_id: str, out: _Out) -> None:
        assert out.path is not None
        stat = out.path.stat()
        key = (str(out.path.resolve()), stat.st_mtime_ns, stat.st_size, out.method)
        known = self._file_ids.get(key)
        media: str | FSInputFile = known if known else FSInputFile(out.path)
        caption = to_html(out.text) if out.text else None
        parse_mode = "HTML" if caption else None
        kind = AttachmentKind(out.method)
        message: Message
        if kind is AttachmentKind.photo:
            message = await self.bot.send_photo(
                chat_id, media, caption=caption, parse_mode=parse_mode, reply_markup=out.keyboard
            )
            file_id = message.photo[-1].file_id if message.photo else None
        elif kind is AttachmentKind.voice or (
            kind is AttachmentKind.audio and out.path.suffix.lower() in {".ogg", ".oga", ".opus"}
        ):
            # Recorded OGG/Opus audio plays inline as a voice message; sendAudio wants MP3/M4A.
            message = await self.bot.send_voice(
                chat_id,
                media,
                caption=caption,
                parse_mode=parse_mode,
                duration=out.duration,
                reply_markup=out.keyboard,
            )
            file_id = message.voice.file_id if message.voice else None
        elif kind is AttachmentKind.audio:
            message = await self.bot.send_audio(
                chat_id, media, caption=caption, parse_mode=parse_mode, reply_markup=out.keyboard
            )
            file_id = message.audio.file_id if message.audio else None
        else:
            message = await self.bot.send_document(
                chat_id, media, caption=caption, parse_mode=parse_mode, reply_markup=out.keyboard
            )
            file_id = message.document.file_id if message.document else None
        if file_id:
            self._file_ids[key] = file_id


# --- receiving -----------------------------------------------------------------------------


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _name_of(user: Any) -> str:
    if not isinstance(user, Mapping):
        return ""
    name = " ".join(str(user.get(k) or "") for k in ("first_name", "last_name")).strip()
    return name or str(user.get("username") or "")


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None


def _buttons_replied_to(message: Json) -> tuple[str, ...]:
    """The callback data of the buttons on the bot's message this one replies to."""
    replied = message.get("reply_to_message")
    if not isinstance(replied, Mapping) or _dig(replied, "from", "is_bot") is False:
        return ()
    rows = _dig(replied, "reply_markup", "inline_keyboard")
    if not isinstance(rows, list):
        return ()
    return tuple(
        button["callback_data"]
        for row in rows
        if isinstance(row, list)
        for button in row
        if isinstance(button, Mapping) and isinstance(button.get("callback_data"), str)
    )


@dataclass
class _Album:
    user_id: str
    chat_id: str
    update_id: str
    display_name: str
    messages: list[Json] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    timer: asyncio.TimerHandle | None = None
    task: asyncio.Task[bool] | None = None


class TelegramChannel(Adapter):
    """Telegram: raw updates by long poll or webhook, albums gathered, buttons answered."""

    name = CHANNEL

    def __init__(
        self, settings: Settings, engine: Engine, db: Database, catalogs: Catalogs
    ) -> None:
        self.bot = build_bot(settings)
        self.policy = RetryPolicy.of(settings)
        sender = TelegramSender(
            self.bot, self.policy, RateLimiter(settings.telegram_rate_per_second, 0.0)
        )
        super().__init__(settings, engine, db, sender, settings.telegram_webhook_secret)
        self.catalogs = catalogs
        self._albums: dict[tuple[str, str], _Album] = {}
        self._offset: int | None = None
        # Polled updates still being handled: getUpdates is not told to forget them (offset)
        # before they are done, so a process killed meanwhile gets them again at its restart.
        self._unfinished: dict[int, asyncio.Task[bool]] = {}
        self.username = ""

    # --- lifecycle

    async def start(self, *, webhook: bool) -> None:
        """Check the token, publish the command menu, and clear a webhook before polling."""
        self.open_downloads()
        try:
            me = await call_api(
                self.bot.get_me, self.policy, what="telegram getMe", idempotent=True
            )
            self.username = me.username or ""
            log.info("telegram: bot @%s (%s)", self.username, "webhook" if webhook else "polling")
        except CallError as failure:
            if isinstance(failure.__cause__, TelegramUnauthorizedError):
                raise ChannelError(
                    "Telegram rejected TELEGRAM_TOKEN (401 Unauthorized): check the token "
                    "BotFather gave you"
                ) from None
            log.warning("telegram: getMe failed (%s); starting anyway", failure.detail)
        await self.publish_commands()
        if not webhook:
            # getUpdates answers 409 Conflict while a webhook is set.
            await self._try(
                partial(self.bot.delete_webhook, drop_pending_updates=False), "deleteWebhook"
            )

    async def publish_commands(self) -> None:
        """setMyCommands: the default list (in the default language) and one per ISO code."""
        default = self.settings.default_language
        codes = [None, *sorted({c for c in self.settings.languages if len(c) == 2} | {default})]
        for code in codes:
            with i18n.use(self.catalogs, code or default):
                commands = [BotCommand(command=name, description=_(d)) for name, d in COMMANDS]
            await self._try(
                partial(
                    self.bot.set_my_commands,
                    commands=commands,
                    scope=BotCommandScopeDefault(),
                    language_code=code,
                ),
                "setMyCommands",
                label=f"setMyCommands({code})",
            )

    async def _try(
        self,
        call: Callable[[], Awaitable[Any]],
        method: str,
        *,
        label: str = "",
        level: int = logging.WARNING,
    ) -> None:
        """Make a call whose failure is worth a log line (`label`, else `method`), not more."""
        try:
            await call_api(call, self.policy, what=f"telegram {method}", idempotent=True)
        except CallError as failure:
            log.log(level, "telegram: %s failed: %s", label or method, failure.detail)

    async def register_webhook(self) -> None:
        """setWebhook to TELEGRAM_WEBHOOK_URL with the secret (once the server listens)."""
        url = self.settings.telegram_webhook_url
        if not url:
            return
        try:
            await call_api(
                partial(
                    self.bot.set_webhook,
                    url=url,
                    secret_token=self.secret,
                    allowed_updates=ALLOWED_UPDATES,
                    drop_pending_updates=False,
                ),
                self.policy,
                what="telegram setWebhook",
                idempotent=True,
            )
        except CallError as failure:
            raise ChannelError(f"Telegram refused the webhook {url}: {failure.detail}") from None
        log.info("telegram: webhook set to %s", url)

    async def poll(self) -> None:
        """Long-poll getUpdates until cancelled; updates are confirmed by the next call."""
        timeout = self.settings.polling_timeout_seconds
        failures = 0
        loop = asyncio.get_running_loop()
        while True:
            offset = min(self._unfinished, default=self._offset)
            method = _RawUpdates(offset=offset, timeout=timeout, allowed_updates=ALLOWED_UPDATES)
            started = loop.time()
            try:
                updates = await self.bot(method, request_timeout=int(timeout + 15))
            except (TelegramAPIError, ClientDecodeError) as exc:
                failures += 1
                failure = classify(exc)
                delay = failure.retry_after or self.policy.backoff(min(failures, 6))
                if failure.kind is FailureKind.rejected:
                    # 401/409: a person has to act (token, another instance): do not hammer.
                    delay = max(delay, self.policy.base_delay * 5)
                log.warning(
                    "telegram: getUpdates failed (%s); again in %.1f s", failure.detail, delay
                )
                await asyncio.sleep(delay)
                continue
            failures = 0
            if not updates and timeout and loop.time() - started < QUICK_EMPTY:
                # A server that does not hold the long poll: do not spin on it.
                await asyncio.sleep(QUICK_EMPTY_PAUSE)
            fresh = False
            for raw in updates if isinstance(updates, list) else []:
                update_id = _int(_dig(raw, "update_id"))
                if update_id is None or (self._offset is not None and update_id < self._offset):
                    continue  # taken already, still being handled
                fresh = True
                self._offset = max(self._offset or 0, update_id + 1)
                self._track(update_id, self.accept(raw) or self._album_task(raw))
            if updates and not fresh and self._unfinished:
                # Only updates still being handled came back: wait for one to finish rather
                # than ask again at once.
                await asyncio.wait(
                    set(self._unfinished.values()),
                    timeout=QUICK_EMPTY_PAUSE,
                    return_when=asyncio.FIRST_COMPLETED,
                )

    def _album_task(self, update: Json) -> asyncio.Task[bool] | None:
        """The task that will handle the album this update's photo belongs to, if any."""
        group = _dig(update, "message", "media_group_id")
        user = _int(_dig(update, "message", "from", "id"))
        album = self._albums.get((str(user), str(group))) if group is not None else None
        return album.task if album is not None else None

    def _track(self, update_id: int, task: asyncio.Task[bool] | None) -> None:
        """Keep `update_id` unconfirmed until its handling ends."""
        if task is None or task.done():
            return
        self._unfinished[update_id] = task
        task.add_done_callback(lambda _done: self._unfinished.pop(update_id, None))

    async def confirm(self) -> None:
        """Confirm handled updates to Telegram on shutdown, so a restart does not see them."""
        if self._offset is None:
            return
        try:
            await self.bot(_RawUpdates(offset=self._offset, timeout=0, limit=1), request_timeout=5)
        except (TelegramAPIError, ClientDecodeError) as exc:
            log.info("telegram: could not confirm updates on shutdown: %s", classify(exc).detail)

    async def stop(self, grace: float) -> bool:
        """Finish albums being gathered and running updates, then close the sessions."""
        for key in list(self._albums):
            self._close_album(key)
        drained = await self.close_inbox(grace)
        if drained:
            await self.confirm()
        await self.bot.session.close()
        return drained

    # --- webhook

    async def webhook(self, request: web.Request) -> web.Response:
        """POST /webhook/telegram: check the secret, then process the update before answering."""
        if not self.secret_given(request, SECRET_HEADER):
            return web.Response(status=401, text="unauthorized")
        if self.inbox.closed:
            return web.Response(status=503, text="shutting down")  # Telegram will resend it
        try:
            data = json.loads(await request.read())
        except (ValueError, RecursionError):  # not JSON, or nested past the parser's limit
            log.warning("telegram webhook: body is not JSON")
            return web.Response(status=400, text="bad request")
        if not isinstance(data, dict):
            return web.Response(status=400, text="bad request")
        task = self.accept(data)
        if task is not None:
            outcome = await wait_bounded(task, WEBHOOK_ANSWER_WITHIN)
            if outcome is False:
                # Telegram will resend it; what did happen is recorded and will not repeat.
                return web.Response(status=500, text="failed")
        return web.Response(status=200)

    # --- updates

    def accept(self, update: Json) -> asyncio.Task[bool] | None:
        """Take one update: queue its work in the user's lane (None: nothing to wait for)."""
        update = self.storable(update)
        update_id = _int(update.get("update_id"))
        if update_id is None:
            log.warning("telegram: update without update_id ignored")
            return None
        if isinstance(update.get("message"), Mapping):
            return self._accept_message(str(update_id), update["message"])
        if isinstance(update.get("callback_query"), Mapping):
            return self._accept_callback(str(update_id), update["callback_query"])
        if isinstance(update.get("my_chat_member"), Mapping):
            return self._accept_member(update["my_chat_member"])
        kinds = [key for key in update if key != "update_id"]
        log.debug("telegram: update %s (%s) ignored", update_id, ",".join(kinds))
        return None

    def _accept_message(self, update_id: str, message: Json) -> asyncio.Task[bool] | None:
        sender = message.get("from")
        user = _int(_dig(sender, "id"))
        chat = _int(_dig(message, "chat", "id"))
        if user is None or chat is None or _dig(sender, "is_bot") is True:
            return None
        chat_type = _dig(message, "chat", "type")
        if chat_type != "private" and not (chat_type is None and chat == user):
            # Loa is a one-to-one assistant: a conversation per person, not per group.
            log.debug("telegram: message in a %s chat ignored", chat_type)
            return None
        user_id, chat_id, name = str(user), str(chat), _name_of(sender)
        group = message.get("media_group_id")
        if isinstance(group, str | int) and str(group):
            # Acknowledged at once (a webhook must not wait for the album's end).
            self._add_to_album(user_id, chat_id, update_id, name, str(group), message)
            return None
        job = partial(self._handle, user_id, chat_id, update_id, name, [message])
        return self.inbox.submit(user_id, job)

    def _accept_callback(self, update_id: str, query: Json) -> asyncio.Task[bool] | None:
        sender = query.get("from")
        user = _int(_dig(sender, "id"))
        query_id = query.get("id")
        if isinstance(query_id, str | int):
            # Answer at once, outside the user's lane: the button spins until answered.
            self.inbox.lanes.spawn(self._answer_callback(str(query_id)))
        if user is None or _dig(sender, "is_bot") is True:
            return None
        chat_type = _dig(query, "message", "chat", "type")
        if chat_type is not None and chat_type != "private":
            log.debug("telegram: button pressed in a %s chat ignored", chat_type)
            return None
        # The answer goes to the presser's own chat, never to the chat the button was in.
        user_id, name = str(user), _name_of(sender)
        chat_id = user_id
        data = query.get("data")
        payload = data if isinstance(data, str) else ""

        async def job() -> None:
            if await self.inbox.seen(update_id):
                return
            event = Incoming(
                CHANNEL, user_id, update_id, Kind.choice, choice=payload, display_name=name
            )
            await self.inbox.process(chat_id, event)

        return self.inbox.submit(user_id, job)

    def _accept_member(self, change: Json) -> asyncio.Task[bool] | None:
        if _dig(change, "chat", "type") != "private":
            return None
        user = _int(_dig(change, "from", "id"))
        status = _dig(change, "new_chat_member", "status")
        if user is None or status != "kicked":
            return None
        user_id = str(user)
        # "kicked" in a private chat: the user blocked the bot.
        return self.inbox.submit(user_id, partial(self.inbox.mark_unreachable, user_id))

    async def _answer_callback(self, query_id: str) -> None:
        # A failure is "query is too old" after a redelivery or a long outage: nothing left
        # to stop, so it is only noted.
        await self._try(
            partial(self.bot.answer_callback_query, callback_query_id=query_id),
            "answerCallbackQuery",
            level=logging.INFO,
        )

    def _add_to_album(
        self, user_id: str, chat_id: str, update_id: str, name: str, group: str, message: Json
    ) -> None:
        key = (user_id, group)
        album = self._albums.get(key)
        if album is None:
            album = _Album(user_id, chat_id, update_id, name)
            self._albums[key] = album

            async def job() -> None:
                # Holding the user's lane keeps their next messages after the album.
                await album.done.wait()
                await self._handle(
                    album.user_id,
                    album.chat_id,
                    album.update_id,
                    album.display_name,
                    album.messages,
                )

            album.task = self.inbox.submit(user_id, job)
            if album.task is None:
                del self._albums[key]
                return
        album.messages.append(message)
        if album.timer is not None:
            album.timer.cancel()
            album.timer = None
        if len(album.messages) >= ALBUM_MAX_ITEMS:
            self._close_album(key)
        else:
            loop = asyncio.get_running_loop()
            album.timer = loop.call_later(
                self.settings.album_debounce_seconds, self._close_album, key
            )

    def _close_album(self, key: tuple[str, str]) -> None:
        album = self._albums.pop(key, None)
        if album is None:
            return
        if album.timer is not None:
            album.timer.cancel()
        album.done.set()

    async def _handle(
        self, user_id: str, chat_id: str, update_id: str, name: str, messages: list[Json]
    ) -> None:
        if await self.inbox.seen(update_id):
            log.info("telegram: update %s already handled", update_id)
            return
        event = await self._event(user_id, update_id, name, messages)
        await self.inbox.process(chat_id, event)

    async def _event(
        self, user_id: str, update_id: str, name: str, messages: list[Json]
    ) -> Incoming:
        """Translate one message (or an album's messages) into an event, files downloaded."""
        first = messages[0]
        base: dict[str, Any] = {"display_name": name, "reply_to": _buttons_replied_to(first)}
        if len(messages) == 1 and isinstance(first.get("text"), str):
            return Incoming.from_text(CHANNEL, user_id, update_id, first["text"], **base)
        # Files are fetched only when the user's role and current step can take them.
        takes = await self.inbox.files_taken(user_id)
        caption = next(
            (m["caption"] for m in messages if isinstance(m.get("caption"), str) and m["caption"]),
            "",
        )
        photos = [
            ref
            for m in messages
            if (ref := await self._photo_of(m, Kind.photo in takes)) is not None
        ]
        if photos:
            return Incoming(
                CHANNEL, user_id, update_id, Kind.photo, text=caption, media=tuple(photos), **base
            )
        location = first.get("location") or _dig(first, "venue", "location")
        lat, lon = _dig(location, "latitude"), _dig(location, "longitude")
        if isinstance(lat, int | float) and isinstance(lon, int | float):
            where = Location(float(lat), float(lon))
            return Incoming(CHANNEL, user_id, update_id, Kind.location, location=where, **base)
        voice = first.get("voice")
        if isinstance(voice, Mapping) and isinstance(voice.get("file_id"), str):
            ref = await self._download(
                voice["file_id"],
                _int(voice.get("file_size")),
                self.settings.max_document_bytes,
                str(voice.get("mime_type") or "audio/ogg"),
                "voice.ogg",
                wanted=Kind.voice in takes,
            )
            return Incoming(CHANNEL, user_id, update_id, Kind.voice, media=(ref,), **base)
        sticker = first.get("sticker")
        if isinstance(sticker, Mapping):
            ref = MediaRef(str(sticker.get("file_id") or ""), file_name=sticker.get("emoji"))
            return Incoming(CHANNEL, user_id, update_id, Kind.sticker, media=(ref,), **base)
        document = first.get("document")
        if (
            isinstance(document, Mapping)
            and isinstance(document.get("file_id"), str)
            and "animation" not in first
        ):
            ref = await self._download(
                document["file_id"],
                _int(document.get("file_size")),
                self.settings.max_document_bytes,
                str(document.get("mime_type") or "") or None,
                str(document.get("file_name") or "") or None,
                wanted=Kind.document in takes,
            )
            return Incoming(
                CHANNEL, user_id, update_id, Kind.document, text=caption, media=(ref,), **base
            )
        return Incoming(CHANNEL, user_id, update_id, Kind.unsupported, text=caption, **base)

    async def _photo_of(self, message: Json, wanted: bool) -> MediaRef | None:
        """The photo a message carries (largest size), or an image sent as a file."""
        sizes = message.get("photo")
        if isinstance(sizes, list):
            usable = [
                s for s in sizes if isinstance(s, Mapping) and isinstance(s.get("file_id"), str)
            ]
            if usable:
                largest = max(
                    usable,
                    key=lambda s: (_int(s.get("width")) or 0) * (_int(s.get("height")) or 0),
                )
                return await self._download(
                    largest["file_id"],
                    _int(largest.get("file_size")),
                    self.settings.max_photo_bytes,
                    "image/jpeg",  # Telegram re-encodes every photo as JPEG
                    None,
                    wanted=wanted,
                )
        document = message.get("document")
        if (
            isinstance(document, Mapping)
            and isinstance(document.get("file_id"), str)
            and str(document.get("mime_type") or "").startswith("image/")
            and "animation" not in message
        ):
            return await self._download(
                document["file_id"],
                _int(document.get("file_size")),
                self.settings.max_photo_bytes,
                str(document["mime_type"]),
                str(document.get("file_name") or "") or None,
                wanted=wanted,
            )
        return None

    async def _download(
        self,
        file_id: str,
        size: int | None,
        limit: int,
        mime: str | None,
        file_name: str | None,
        *,
        wanted: bool,
    ) -> MediaRef:
        """getFile then the file itself; a size Telegram announced is checked before either.
        Nothing is fetched unless `wanted` (the user's step can take it)."""
        if not wanted:
            return skipped(file_id, mime, file_name)
        if size is not None and size > limit:
            return MediaRef(file_id, size=size, mime=mime, file_name=file_name, problem=TOO_LARGE)
        try:
            info = await call_api(
                partial(self.bot.get_file, file_id),
                self.policy,
                what="telegram getFile",
                idempotent=True,
            )
        except CallError as failure:
            problem = TOO_LARGE if "too big" in failure.detail else DOWNLOAD_FAILED
            log.warning("telegram: getFile failed: %s", failure.detail)
            return MediaRef(file_id, size=size, mime=mime, file_name=file_name, problem=problem)
        if info.file_size is not None and info.file_size > limit:
            return MediaRef(
                file_id, size=info.file_size, mime=mime, file_name=file_name, problem=TOO_LARGE
            )
        if not info.file_path or self._downloads is None:
            return MediaRef(file_id, mime=mime, file_name=file_name, problem=DOWNLOAD_FAILED)
        url = self.bot.session.api.file_url(self.bot.token, info.file_path)
        return await self.spool.fetch(
            self._downloads,
            url,
            ref=file_id,
            limit=limit,
            time_limit=DOWNLOAD_TIMEOUT,
            mime=mime,
            file_name=file_name,
        )
