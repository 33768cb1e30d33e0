"""A fake Zalo OA Open API and OAuth server (shared/zalo-oa-notes.md), on 127.0.0.1.

OAuth: `POST /v4/oa/access_token` (header `secret_key`, form-encoded) hands out access tokens
that expire after `token_seconds` and refresh tokens that work ONCE (a second use is refused
and recorded in `reused`). API: `POST /v3.0/oa/message/cs` (the `access_token` header; -216
for a token it never issued, -220 for an expired one; -230 for users in `closed`, -217 for
users in `blocked`; text of at most 2,000 characters), `/v3.0/oa/message/template`,
`/v2.0/oa/upload/image` (≤ 1 MB, ids that `expire_uploads` makes answer -100) and
`/v2.0/oa/upload/file` (≤ 5 MB). Answers are HTTP 200 with `{error, message, data}`.
Webhook deliveries are POSTed as exact bytes with `X-ZEvent-Signature: mac=sha256(app id +
body + timestamp + OA secret key)`, again after a failure (as Zalo retries). `/cdn/<name>`
plays Zalo's CDN for users' files.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import time
from typing import Any

from aiohttp import web

from tests.fakes.common import ApiError, Call, FakeServer, Json, read_params, utf16_len

APP_ID = "2553928453557884079"
APP_SECRET = "fake-app-secret-0123456789"
OA_SECRET = "fake-oa-secret-key-abcdefghij"
OA_ID = "3662729599332560487"
SIGNATURE = "X-ZEvent-Signature"

CS = "v3.0/oa/message/cs"
TEMPLATE = "v3.0/oa/message/template"
UPLOAD_IMAGE = "v2.0/oa/upload/image"
UPLOAD_FILE = "v2.0/oa/upload/file"
USER_DETAIL = "v3.0/oa/user/detail"
OAUTH = "v4/oa/access_token"

# The contract suite speaks of Bot API methods; on the OA, a message is a CS send.
ALIASES = {"sendMessage": CS, "sendPhoto": CS}


def uid() -> str:
    """An OA-scoped user id: a numeric string of 19 digits (never a number: it exceeds 2^53)."""
    return str(secrets.randbelow(9 * 10**18) + 10**18)


def signature(raw: bytes, timestamp: str, *, app_id: str = APP_ID, key: str = OA_SECRET) -> str:
    """The header value Zalo sends with `raw`."""
    digest = hashlib.sha256(app_id.encode() + raw + timestamp.encode() + key.encode())
    return "mac=" + digest.hexdigest()


class FakeZaloOA(FakeServer):
    """The fake OA API, its OAuth server and its CDN."""

    send_methods = frozenset({CS, TEMPLATE})
    webhook_attempts = 3
    secret_header = SIGNATURE
    blocked: set[str]

    def __init__(self, *, token_seconds: int = 90_000) -> None:
        super().__init__("", 0.0)
        self.token_seconds = token_seconds
        self.access_tokens: dict[str, float] = {}  # token -> expiry (monotonic)
        self.refresh_tokens: dict[str, bool] = {}  # token -> still usable
        self.refreshes: list[str] = []  # refresh tokens spent, in order
        self.reused: list[str] = []  # refresh tokens presented again after their use
        self.closed: set[str] = set()  # users whose reply window is closed (-230)
        self.uploads: dict[str, bytes] = {}  # attachment id or file token -> bytes
        self.expired_ids: set[str] = set()
        self.cdn: dict[str, tuple[bytes, str]] = {}
        self.oauth_delay = 0.0
        self.codes: dict[str, str] = {}  # authorisation code -> its PKCE challenge
        self.names: dict[str, str] = {}  # user id -> display name (`user/detail`)
        self.first_pair = self.issue()

    # --- lifecycle

    def routes(self, app: web.Application) -> None:
        """The API paths, OAuth, the CDN."""
        app.router.add_route("*", "/{path:v[0-9.]+/oa/.+}", self._api_call)
        app.router.add_get("/cdn/{name}", self._cdn)

    def connect(self, url: str) -> None:
        """Point the OA's webhook at `url` ("" to stop), posting what waited meanwhile."""
        self.webhook_url = url
        if url and self.pending:
            waiting, self.pending = self.pending, []
            for update in waiting:
                self.queue(update)

    def webhook_post(self, update: Json) -> tuple[Json | bytes, dict[str, str]]:
        """The exact bytes, signed."""
        raw = json.dumps(update, ensure_ascii=False).encode()
        return raw, {SIGNATURE: signature(raw, str(update.get("timestamp", "")))}

    def update_key(self, update: Json) -> object:
        """The msg_id, or the event and its time."""
        message = update.get("message")
        if isinstance(message, dict) and message.get("msg_id"):
            return message["msg_id"]
        return (update.get("event_name"), update.get("timestamp"))

    # --- tokens

    def issue(self) -> tuple[str, str]:
        """A fresh (access, refresh) pair."""
        access, refresh = "acc-" + secrets.token_urlsafe(24), "ref-" + secrets.token_urlsafe(24)
        self.access_tokens[access] = time.monotonic() + self.token_seconds
        self.refresh_tokens[refresh] = True
        return access, refresh

    def expire_access(self) -> None:
        """Every access token issued so far expires now (-220 from then on)."""
        for token in self.access_tokens:
            self.access_tokens[token] = 0.0

    def expire_uploads(self) -> None:
        """Every uploaded attachment id expires (-100), as Zalo's are said to after 7 days."""
        self.expired_ids |= set(self.uploads)

    # --- what users do

    def event(self, user_id: str, name: str, **message: Any) -> Json:
        """A user's event as the OA posts it (a new msg_id, the time in milliseconds)."""
        return {
            "app_id": APP_ID,
            "user_id_by_app": "9" + user_id[1:],
            "event_name": name,
            "sender": {"id": user_id},
            "recipient": {"id": OA_ID},
            "message": {"msg_id": secrets.token_hex(10), **message},
            "timestamp": str(int(time.time() * 1000)),
        }

    def text(self, user_id: str, text: str) -> Json:
        """The user types `text`."""
        return self.queue(self.event(user_id, "user_send_text", text=text))

    def attachment(self, user_id: str, name: str, kind: str, url: str, text: str = "") -> Json:
        """The user sends a file of `kind` at `url` (an image with an optional caption)."""
        item = {"type": kind, "payload": {"url": url, "thumbnail": url}}
        return self.queue(self.event(user_id, name, text=text, attachments=[item]))

    def follow(self, user_id: str, name: str = "follow") -> Json:
        """The user follows (or unfollows) the OA."""
        return self.queue(
            {
                "app_id": APP_ID,
                "oa_id": OA_ID,
                "event_name": name,
                "follower": {"id": user_id},
                "source": "oa_profile",
                "timestamp": str(int(time.time() * 1000)),
            }
        )

    def host(self, data: bytes, content_type: str = "image/jpeg") -> str:
        """Put a file on the CDN; its URL."""
        name = secrets.token_hex(8) + {"audio/aac": ".aac", "application/pdf": ".pdf"}.get(
            content_type, ".jpg"
        )
        self.cdn[name] = (data, content_type)
        return f"{self.url}/cdn/{name}"

    # --- what the OA did

    def sent(self, chat_id: object = None) -> list[Call]:
        """Successful sends (to one user), in order."""
        return [
            call
            for call in self.calls
            if call.method in self.send_methods
            and call.status == 200
            and (chat_id is None or recipient(call) == str(chat_id))
        ]

    def texts(self, chat_id: str) -> list[str]:
        """Every text (or caption) sent to a user."""
        return [str(message(call).get("text") or "") for call in self.sent(chat_id)]

    def called(self, method: str) -> list[Call]:
        """Every call of a path (the contract suite's method names accepted)."""
        return super().called(ALIASES.get(method, method))

    def fail(self, method: str, status: int = 500, **failure: Any) -> None:
        """Fail the next call(s) of a path: a negative `status` is an OA error code."""
        super().fail(ALIASES.get(method, method), status, **failure)

    # --- serving

    async def _cdn(self, request: web.Request) -> web.Response:
        found = self.cdn.get(request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound()
        data, content_type = found
        return web.Response(body=data, content_type=content_type)

    async def _api_call(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        params, files = await read_params(request)
        if "data" in params and isinstance(params["data"], str):
            params.update(json.loads(params["data"]))
        call = Call(path, params, files, status=0)
        self.record(call)
        failure = self.next_failure(path)
        if failure is not None:
            if failure.delay:
                await asyncio.sleep(failure.delay)
            if failure.status >= 500 or failure.body is not None:
                call.status = failure.status
                self.notify()
                return web.Response(status=failure.status, text=failure.body or "Server Error")
            if failure.status != 200:
                return self.oa_error(call, failure.status, failure.description)
        try:
            if path == OAUTH:
                return self._answer(call, await self._oauth(request, params))
            self._check_token(request.headers.get("access_token", ""))
            handler = {
                USER_DETAIL: self._user_detail,
                CS: self._cs,
                TEMPLATE: self._template,
                UPLOAD_IMAGE: self._upload_image,
                UPLOAD_FILE: self._upload_file,
            }.get(path)
            if handler is None:
                raise ApiError(-201, f"unknown API {path}")
            return self._answer(call, handler(params, files))
        except ApiError as error:
            return self.oa_error(call, error.code, error.description)

    def _answer(self, call: Call, data: Json) -> web.Response:
        call.status, call.answer = 200, data
        self.notify()
        if call.method == OAUTH:
            return web.json_response(data)
        return web.json_response({"error": 0, "message": "Success", "data": data})

    def oa_error(self, call: Call, code: int, message: str) -> web.Response:
        """An error envelope (HTTP 200, as the OA answers)."""
        if code > 0:
            code = {429: -32, 403: -217, 400: -201}.get(code, -201)
        call.status, call.answer = code, {"error": code, "message": message}
        self.notify()
        return web.json_response(call.answer)

    async def _oauth(self, request: web.Request, params: Json) -> Json:
        if self.oauth_delay:
            await asyncio.sleep(self.oauth_delay)
        if request.headers.get("secret_key") != APP_SECRET or params.get("app_id") != APP_ID:
            raise ApiError(-14001, "invalid app")
        if params.get("grant_type") == "authorization_code":
            return self._first_pair(params)
        token = str(params.get("refresh_token") or "")
        if params.get("grant_type") != "refresh_token" or token not in self.refresh_tokens:
            raise ApiError(-14014, "Invalid refresh token")
        if not self.refresh_tokens[token]:
            self.reused.append(token)
            raise ApiError(-14014, "Refresh token has been used")
        self.refresh_tokens[token] = False
        self.refreshes.append(token)
        access, refresh = self.issue()
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": str(self.token_seconds),
        }

    def grant(self, challenge: str) -> str:
        """An admin allowed the app on the consent page opened with `challenge`: the code."""
        code = secrets.token_urlsafe(16)
        self.codes[code] = challenge
        return code

    def _first_pair(self, params: Json) -> Json:
        code, verifier = str(params.get("code") or ""), str(params.get("code_verifier") or "")
        challenge = self.codes.pop(code, None)  # single use
        digest = hashlib.sha256(verifier.encode()).digest()
        if (
            challenge is None
            or base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != challenge
        ):
            raise ApiError(-14019, "Invalid code or code verifier")
        access, refresh = self.issue()
        return {"access_token": access, "refresh_token": refresh, "expires_in": "90000"}

    def _check_token(self, token: str) -> None:
        if token not in self.access_tokens:
            raise ApiError(-216, "Access token is invalid")
        if self.access_tokens[token] <= time.monotonic():
            raise ApiError(-220, "access_token is expired or removed")

    def _cs(self, params: Json, files: dict[str, bytes]) -> Json:
        user = str((params.get("recipient") or {}).get("user_id") or "")
        if not user:
            raise ApiError(-201, "recipient.user_id is required")
        if user in self.blocked:
            raise ApiError(-217, "User has blocked invitation from OA")
        if user in self.closed:
            raise ApiError(-230, "User has not interacted with the OA in the past 7 days")
        content = params.get("message") or {}
        text = content.get("text")
        if text is not None and not 1 <= utf16_len(str(text)) <= 2000:
            raise ApiError(-201, "text must be 1-2000 characters")
        for element in _elements(content):
            if element.get("attachment_id") in self.expired_ids:
                raise ApiError(-100, "attachment_id is expired")
            if element.get("attachment_id") and element["attachment_id"] not in self.uploads:
                raise ApiError(-201, "unknown attachment_id")
        return {"message_id": secrets.token_hex(10), "user_id": user}

    def _user_detail(self, params: Json, files: dict[str, bytes]) -> Json:
        user = str(params.get("user_id") or "")
        if user not in self.names:
            raise ApiError(-213, "User has not followed OA")
        return {"user_id": user, "display_name": self.names[user], "user_is_follower": True}

    def _template(self, params: Json, files: dict[str, bytes]) -> Json:
        if not params.get("template_id") or not isinstance(params.get("template_data"), dict):
            raise ApiError(-201, "template_id and template_data are required")
        return {"msg_id": secrets.token_hex(10)}

    def _upload_image(self, params: Json, files: dict[str, bytes]) -> Json:
        data = files.get("file")
        if data is None or len(data) > 1024 * 1024:
            raise ApiError(-201, "an image of at most 1 MB is required")
        attachment_id = secrets.token_hex(12)
        self.uploads[attachment_id] = data
        return {"attachment_id": attachment_id}

    def _upload_file(self, params: Json, files: dict[str, bytes]) -> Json:
        data = files.get("file")
        if data is None or len(data) > 5 * 1024 * 1024:
            raise ApiError(-201, "a file of at most 5 MB is required")
        token = secrets.token_hex(16)
        self.uploads[token] = data
        return {"token": token}


def message(call: Call) -> Json:
    """The `message` a CS call sent."""
    content = call.params.get("message")
    return content if isinstance(content, dict) else {}


def recipient(call: Call) -> str:
    """The user a send went to."""
    if call.method == TEMPLATE:
        return str(call.params.get("user_id") or "")
    return str((call.params.get("recipient") or {}).get("user_id") or "")


def _elements(content: Json) -> list[Json]:
    payload = (content.get("attachment") or {}).get("payload") or {}
    elements = payload.get("elements") if isinstance(payload, dict) else None
    return [e for e in elements or [] if isinstance(e, dict)]
