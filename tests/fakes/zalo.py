"""A fake Zalo Bot Platform API (bot.zapps.me/docs, docs.zaloplatforms.com/docs/BOT).

`POST /bot<token>/<method>` with a JSON body, answering `{ok, result}` or
`{ok: false, error_code, description}`. getUpdates hands out ONE update per call, or error 408
after the long-poll wait (by default as HTTP 200 with ok:false; `empty_http_status` changes
that), and refuses to work while a webhook is set. setWebhook needs a secret_token of 8-256
characters and probes the URL with an empty body, like Zalo's own check. Webhook updates are
POSTed with `X-Bot-Api-Secret-Token`, flat or wrapped in `{ok, result}`. sendPhoto/sendVoice
fetch their URL as Zalo does. `/cdn/<name>` plays Zalo's public CDN for users' images.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import secrets
import time
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.common import Call, FakeServer, Json, read_params, utf16_len

TOKEN = "3141592653589793:zalo-fake-token-abcdefghijklmnop"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
_SEND_METHODS = {"sendMessage", "sendPhoto", "sendVoice", "sendSticker"}


class ZaloApiError(Exception):
    """An error answer."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def hex_id() -> str:
    """A Zalo-style id: 20 hex characters."""
    return secrets.token_hex(10)


class FakeZalo(FakeServer):
    """The fake Zalo Bot API for one bot, with a CDN."""

    def __init__(self, token: str = TOKEN, *, max_poll_wait: float = 0.5) -> None:
        super().__init__()
        self.token = token
        self.max_poll_wait = max_poll_wait
        self.empty_http_status = 200
        self.pending: list[Json] = []
        self.webhook_url = ""
        self.webhook_secret = ""
        self.webhook_answers: list[tuple[str, int]] = []
        self.probes: list[int] = []
        self.blocked: set[str] = set()
        self.cdn: dict[str, tuple[bytes, str]] = {}
        self.redirects: dict[str, str] = {}  # CDN names that redirect elsewhere
        self.fetched: dict[str, bytes] = {}  # URLs the fake fetched for sendPhoto/sendVoice
        self.wrap_webhooks = False
        self._webhook_queue: asyncio.Queue[Json] = asyncio.Queue()
        self._pusher_started = False
        self._names = itertools.count(1)

    def routes(self, app: web.Application) -> None:
        """`/bot<token>/<method>` and the CDN."""
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/cdn/{name}", self._cdn)

    # --- what users do

    def queue(self, update: Json) -> Json:
        """Make `update` available to getUpdates, or POST it to the webhook when one is set."""
        if self.webhook_url:
            if not self._pusher_started:
                self._pusher_started = True
                self.spawn(self._push_webhooks())
            self._webhook_queue.put_nowait(update)
        else:
            self.pending.append(update)
        self.notify()
        return update

    def message(self, user_id: str, event: str, name: str = "Ted", **content: Any) -> Json:
        """A flat update from `user_id` (a new message_id, date in milliseconds)."""
        return {
            "event_name": event,
            "message": {
                "from": {"id": user_id, "display_name": name, "is_bot": False},
                "chat": {"id": user_id, "chat_type": "PRIVATE"},
                "message_id": hex_id(),
                "date": int(time.time() * 1000),
                **content,
            },
        }

    def text(self, user_id: str, text: str) -> Json:
        """The user types `text`."""
        return self.queue(self.message(user_id, "message.text.received", text=text))

    def host(self, data: bytes, content_type: str = "image/jpeg") -> str:
        """Put a file on the CDN; its URL."""
        extension = {"image/jpeg": "jpg", "text/html": "html", "audio/aac": "aac"}.get(
            content_type, "bin"
        )
        name = f"{secrets.token_hex(8)}.{extension}"
        self.cdn[name] = (data, content_type)
        return f"{self.url}/cdn/{name}"

    def redirect(self, target: str) -> str:
        """A CDN URL that answers with a redirect to `target`."""
        name = f"{secrets.token_hex(8)}.jpg"
        self.redirects[name] = target
        return f"{self.url}/cdn/{name}"

    def image(
        self, user_id: str, url: str, *, field: str = "photo_url", caption: str = ""
    ) -> Json:
        """The user sends an image (the link in `photo_url`, or in the older `photo`)."""
        content: Json = {field: url, "caption": caption, "message_type": "CHAT_PHOTO"}
        return self.queue(self.message(user_id, "message.image.received", **content))

    def sticker(self, user_id: str) -> Json:
        """The user sends a sticker."""
        return self.queue(
            self.message(
                user_id,
                "message.sticker.received",
                sticker="sticker-1",
                url="https://zalo-api.zadn.vn/api/emoticon/oasticker?eid=1&size=130",
                message_type="CHAT_STICKER",
            )
        )

    def voice(self, user_id: str, url: str) -> Json:
        """The user sends a voice message."""
        return self.queue(
            self.message(
                user_id, "message.voice.received", voice_url=url, message_type="CHAT_VOICE"
            )
        )

    def unsupported(self, user_id: str) -> Json:
        """Something Zalo does not pass on (a protected sender, a file, a video…)."""
        return self.queue(self.message(user_id, "message.unsupported.received"))

    # --- what the bot did

    def sent(self, chat_id: str | None = None) -> list[Call]:
        """Successful sends (to one chat), in order."""
        return [
            call
            for call in self.calls
            if call.method in _SEND_METHODS
            and call.ok
            and (chat_id is None or call.params.get("chat_id") == chat_id)
        ]

    def texts(self, chat_id: str) -> list[str]:
        """Every text sent to a chat."""
        return [str(c.params.get("text")) for c in self.sent(chat_id) if c.method == "sendMessage"]

    def last_text(self, chat_id: str) -> str:
        """The last text sent to a chat."""
        texts = self.texts(chat_id)
        return texts[-1] if texts else ""

    def number(self, chat_id: str, label: str) -> str:
        """The number of the line containing `label` in the last numbered menu."""
        for text in reversed(self.texts(chat_id)):
            for line in text.splitlines():
                number, dot, rest = line.partition(". ")
                if dot and number.isdigit() and label.casefold() in rest.casefold():
                    return number
        raise AssertionError(f"no numbered line {label!r} in {self.texts(chat_id)[-3:]}")

    async def wait_sent(self, chat_id: str, count: int, within: float = 10.0) -> list[Call]:
        """Wait until at least `count` messages were sent to the chat."""
        await self.wait_for(lambda: len(self.sent(chat_id)) >= count, within)
        return self.sent(chat_id)

    # --- the API

    async def _cdn(self, request: web.Request) -> web.Response:
        found = self.cdn.get(request.match_info["name"])
        self.record(Call("cdn", {"name": request.match_info["name"]}))
        if request.match_info["name"] in self.redirects:
            raise web.HTTPFound(self.redirects[request.match_info["name"]])
        if found is None:
            raise web.HTTPNotFound()
        data, content_type = found
        return web.Response(body=data, content_type=content_type)

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, _files = await read_params(request)
        call = Call(method, params, status=0)  # recorded on arrival: 0 = no answer yet
        self.record(call)
        if request.match_info["token"] != self.token:
            return self._answer(call, ZaloApiError(401, "Unauthorized"))
        failure = self.next_failure(method)
        if failure is not None:
            if failure.delay:
                await asyncio.sleep(failure.delay)
            if failure.status != 200:
                if failure.body is not None:
                    call.status = failure.status
                    self.notify()
                    return web.Response(status=failure.status, text=failure.body)
                return self._answer(
                    call, ZaloApiError(failure.status, failure.description), failure.http_status
                )
        handler = getattr(self, "_m_" + re.sub(r"(?<!^)(?=[A-Z])", "_", method).lower(), None)
        if handler is None:
            return self._answer(call, ZaloApiError(404, "Not found"))
        try:
            result = await handler(params)
        except ZaloApiError as error:
            http = self.empty_http_status if error.code == 408 else None
            return self._answer(call, error, http)
        if method == "getUpdates" and (
            request.transport is None or request.transport.is_closing()
        ):
            # The poller hung up (a restart): the update was never handed out.
            self.pending.insert(0, result)
            call.status = 499
            return web.Response(status=499)
        return self._answer(call, result)

    def _answer(self, call: Call, outcome: Any, http_status: int | None = None) -> web.Response:
        if isinstance(outcome, ZaloApiError):
            body: Json = {
                "ok": False,
                "error_code": outcome.code,
                "description": outcome.description,
            }
            call.status = outcome.code
            status = http_status if http_status is not None else outcome.code
        else:
            body = {"ok": True, "result": outcome}
            call.status = status = 200
        call.answer = body
        self.notify()
        return web.json_response(body, status=status)

    async def _m_get_me(self, params: Json) -> Json:
        return {
            "id": self.token.split(":")[0],
            "account_name": "bot.LoaTest",
            "account_type": "BASIC",
            "can_join_groups": False,
        }

    async def _m_get_updates(self, params: Json) -> Json:
        if self.webhook_url:
            raise ZaloApiError(400, "Bad request: webhook is set, use deleteWebhook first")
        wait = min(float(params.get("timeout") or 30), self.max_poll_wait)
        await self.updates_or_timeout(lambda: bool(self.pending), wait)
        if not self.pending:
            raise ZaloApiError(408, "Request timeout")
        return self.pending.pop(0)

    async def _m_set_webhook(self, params: Json) -> Json:
        url = str(params.get("url") or "")
        secret = str(params.get("secret_token") or "")
        if not url:
            raise ZaloApiError(400, "Bad request: url is required")
        if not 8 <= len(secret) <= 256:
            raise ZaloApiError(400, "Bad request: secret_token must be 8-256 characters")
        self.webhook_url, self.webhook_secret = url, secret
        status = await self._probe(url)
        if self.pending:
            waiting, self.pending = self.pending, []
            for update in waiting:
                self.queue(update)
        return {
            "url": url,
            "updated_at": int(time.time() * 1000),
            "verification": {"ok": 200 <= status < 300, "status_code": status},
        }

    async def _probe(self, url: str) -> int:
        assert self.client is not None
        try:
            async with self.client.post(url, data=b"") as response:
                status = response.status
        except aiohttp.ClientError:
            status = 0
        self.probes.append(status)
        return status

    async def _m_delete_webhook(self, params: Json) -> Json:
        self.webhook_url, self.webhook_secret = "", ""
        return {"url": "", "updated_at": int(time.time() * 1000)}

    async def _m_get_webhook_info(self, params: Json) -> Json:
        return {"url": self.webhook_url, "updated_at": int(time.time() * 1000)}

    def _chat_id(self, params: Json) -> str:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, str) or not chat_id:
            raise ZaloApiError(400, "Bad request: chat_id is required")
        if chat_id in self.blocked:
            raise ZaloApiError(403, "Forbidden: the user has blocked this bot")
        return chat_id

    def _sent(self) -> Json:
        return {"message_id": hex_id(), "date": int(time.time() * 1000)}

    async def _m_send_message(self, params: Json) -> Json:
        self._chat_id(params)
        text = params.get("text")
        if not isinstance(text, str) or not 1 <= utf16_len(text) <= 2000:
            raise ZaloApiError(400, "Bad request: text must be 1-2000 characters")
        return self._sent()

    async def _fetch(self, url: Any) -> bytes:
        assert self.client is not None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ZaloApiError(400, "Bad request: a URL is required")
        try:
            async with self.client.get(url) as response:
                if response.status != 200:
                    raise ZaloApiError(
                        400, f"Bad request: cannot fetch the URL ({response.status})"
                    )
                data = await response.read()
        except aiohttp.ClientError:
            raise ZaloApiError(400, "Bad request: cannot fetch the URL") from None
        self.fetched[url] = data
        return data

    async def _m_send_photo(self, params: Json) -> Json:
        self._chat_id(params)
        caption = params.get("caption")
        if caption is not None and not 1 <= utf16_len(str(caption)) <= 2000:
            raise ZaloApiError(400, "Bad request: caption must be 1-2000 characters")
        await self._fetch(params.get("photo"))
        return self._sent()

    async def _m_send_voice(self, params: Json) -> Json:
        self._chat_id(params)
        url = params.get("voice_url")
        if not isinstance(url, str) or not url.endswith(".aac"):
            raise ZaloApiError(400, "Bad request: voice_url must be a URL ending in .aac")
        await self._fetch(url)
        return self._sent()

    async def _m_send_sticker(self, params: Json) -> Json:
        self._chat_id(params)
        return self._sent()

    async def _m_send_chat_action(self, params: Json) -> bool:
        self._chat_id(params)
        if params.get("action") not in ("typing", "upload_photo"):
            raise ZaloApiError(400, "Bad request: unknown action")
        return True

    # --- webhook delivery

    async def _push_webhooks(self) -> None:
        assert self.client is not None
        while True:
            update = await self._webhook_queue.get()
            body = {"ok": True, "result": update} if self.wrap_webhooks else update
            try:
                async with self.client.post(
                    self.webhook_url,
                    json=body,
                    headers={SECRET_HEADER: self.webhook_secret},
                ) as response:
                    status = response.status
            except aiohttp.ClientError:
                status = 0
            self.webhook_answers.append((update["message"]["message_id"], status))
            self.notify()
