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

import secrets
import time
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.common import ApiError, Call, FakeServer, Json, utf16_len

TOKEN = "3141592653589793:zalo-fake-token-abcdefghijklmnop"
SECRET_HEADER = "X-Bot-Api-Secret-Token"


def hex_id() -> str:
    """A Zalo-style id: 20 hex characters."""
    return secrets.token_hex(10)


class FakeZalo(FakeServer):
    """The fake Zalo Bot API for one bot, with a CDN."""

    send_methods = frozenset({"sendMessage", "sendPhoto", "sendVoice", "sendSticker"})
    blocked: set[str]

    def __init__(self, token: str = TOKEN, *, max_poll_wait: float = 0.5) -> None:
        super().__init__(token, max_poll_wait)
        self.empty_http_status = 200
        self.webhook_secret = ""
        self.probes: list[int] = []
        self.cdn: dict[str, tuple[bytes, str]] = {}
        self.redirects: dict[str, str] = {}  # CDN names that redirect elsewhere
        self.fetched: dict[str, bytes] = {}  # URLs the fake fetched for sendPhoto/sendVoice
        self.wrap_webhooks = False

    def routes(self, app: web.Application) -> None:
        """The API, and the CDN."""
        super().routes(app)
        app.router.add_get("/cdn/{name}", self._cdn)

    def webhook_post(self, update: Json) -> tuple[Json, dict[str, str]]:
        """The update, flat or in Zalo's documented envelope, with the secret header."""
        body = {"ok": True, "result": update} if self.wrap_webhooks else update
        return body, {SECRET_HEADER: self.webhook_secret}

    def update_key(self, update: Json) -> object:
        """The message_id."""
        return update["message"]["message_id"]

    # --- what users do

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

    def result(self, request: web.Request, call: Call, result: Any) -> web.Response:
        """The answer; an update whose poller hung up (a restart) is kept for the next one."""
        if call.method == "getUpdates" and (
            request.transport is None or request.transport.is_closing()
        ):
            self.pending.insert(0, result)
            call.status = 499
            return web.Response(status=499)
        return self.answer(call, result)

    async def _m_get_me(self, params: Json, files: dict[str, bytes]) -> Json:
        return {
            "id": self.token.split(":")[0],
            "account_name": "bot.LoaTest",
            "account_type": "BASIC",
            "can_join_groups": False,
        }

    async def _m_get_updates(self, params: Json, files: dict[str, bytes]) -> Json:
        if self.webhook_url:
            raise ApiError(400, "Bad request: webhook is set, use deleteWebhook first")
        wait = min(float(params.get("timeout") or 30), self.max_poll_wait)
        await self.updates_or_timeout(lambda: bool(self.pending), wait)
        if not self.pending:
            raise ApiError(408, "Request timeout", http_status=self.empty_http_status)
        return self.pending.pop(0)

    async def _m_set_webhook(self, params: Json, files: dict[str, bytes]) -> Json:
        url = str(params.get("url") or "")
        secret = str(params.get("secret_token") or "")
        if not url:
            raise ApiError(400, "Bad request: url is required")
        if not 8 <= len(secret) <= 256:
            raise ApiError(400, "Bad request: secret_token must be 8-256 characters")
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

    async def _m_delete_webhook(self, params: Json, files: dict[str, bytes]) -> Json:
        self.webhook_url, self.webhook_secret = "", ""
        return {"url": "", "updated_at": int(time.time() * 1000)}

    async def _m_get_webhook_info(self, params: Json, files: dict[str, bytes]) -> Json:
        return {"url": self.webhook_url, "updated_at": int(time.time() * 1000)}

    def _chat_id(self, params: Json) -> str:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, str) or not chat_id:
            raise ApiError(400, "Bad request: chat_id is required")
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: the user has blocked this bot")
        return chat_id

    def _sent(self) -> Json:
        return {"message_id": hex_id(), "date": int(time.time() * 1000)}

    async def _m_send_message(self, params: Json, files: dict[str, bytes]) -> Json:
        self._chat_id(params)
        text = params.get("text")
        if not isinstance(text, str) or not 1 <= utf16_len(text) <= 2000:
            raise ApiError(400, "Bad request: text must be 1-2000 characters")
        return self._sent()

    async def _fetch(self, url: Any) -> bytes:
        assert self.client is not None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ApiError(400, "Bad request: a URL is required")
        try:
            async with self.client.get(url) as response:
                if response.status != 200:
                    raise ApiError(400, f"Bad request: cannot fetch the URL ({response.status})")
                data = await response.read()
        except aiohttp.ClientError:
            raise ApiError(400, "Bad request: cannot fetch the URL") from None
        self.fetched[url] = data
        return data

    async def _m_send_photo(self, params: Json, files: dict[str, bytes]) -> Json:
        self._chat_id(params)
        caption = params.get("caption")
        if caption is not None and not 1 <= utf16_len(str(caption)) <= 2000:
            raise ApiError(400, "Bad request: caption must be 1-2000 characters")
        await self._fetch(params.get("photo"))
        return self._sent()

    async def _m_send_voice(self, params: Json, files: dict[str, bytes]) -> Json:
        self._chat_id(params)
        url = params.get("voice_url")
        if not isinstance(url, str) or not url.endswith(".aac"):
            raise ApiError(400, "Bad request: voice_url must be a URL ending in .aac")
        await self._fetch(url)
        return self._sent()

    async def _m_send_sticker(self, params: Json, files: dict[str, bytes]) -> Json:
        self._chat_id(params)
        return self._sent()

    async def _m_send_chat_action(self, params: Json, files: dict[str, bytes]) -> bool:
        self._chat_id(params)
        if params.get("action") not in ("typing", "upload_photo"):
            raise ApiError(400, "Bad request: unknown action")
        return True
