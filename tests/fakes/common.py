"""What both fake Bot API servers share: the HTTP server, the `/bot<token>/<method>` dispatch
with injected failures, call records, and updates handed out by getUpdates or the webhook."""

from __future__ import annotations

import abc
import asyncio
import json
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

Json = dict[str, Any]


@dataclass
class Call:
    """One request the fake answered."""

    method: str
    params: Json
    files: dict[str, bytes] = field(default_factory=dict)
    status: int = 200
    answer: Any = None

    @property
    def ok(self) -> bool:
        """Whether the call succeeded."""
        return self.status == 200 and isinstance(self.answer, dict) and bool(self.answer.get("ok"))


@dataclass
class Failure:
    """An injected answer for the next call of a method."""

    status: int = 500
    description: str = "Internal Server Error"
    retry_after: int | None = None
    delay: float = 0.0  # sleep first (a timeout, when longer than the client waits)
    body: str | None = None  # a raw body instead of the JSON envelope (a proxy's page)
    http_status: int | None = None  # the HTTP status, when it differs from error_code
    until: asyncio.Event | None = None  # hold the call (arrived, unanswered) until it is set


class ApiError(Exception):
    """An error answer: `{ok: false, error_code, description}` (HTTP `http_status` or the code)."""

    def __init__(
        self,
        code: int,
        description: str,
        retry_after: int | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.http_status = http_status


class FakeServer(abc.ABC):
    """A Bot API on 127.0.0.1 with a random port, recording every call.

    `/bot<token>/<method>` calls the subclass's `_m_<snake_case_method>(params, files)`; what it
    returns is the `result`, an `ApiError` it raises the error answer.
    """

    send_methods: frozenset[str]  # the methods that show the user something
    webhook_attempts = 1  # how often one update is POSTed before the platform gives up
    secret_header: str

    def __init__(self, token: str, max_poll_wait: float) -> None:
        self.token = token
        self.max_poll_wait = max_poll_wait
        self.pending: list[Json] = []  # updates not yet handed out by getUpdates
        self.webhook_url = ""
        self.webhook_answers: list[tuple[object, int]] = []  # (update's id, HTTP status)
        self.blocked: set[Any] = set()  # chats whose user blocked the bot
        self._webhook_queue: asyncio.Queue[Json] = asyncio.Queue()
        self._pusher_started = False
        self.calls: list[Call] = []
        self._failures: dict[str, deque[Failure]] = {}
        self._changed = asyncio.Event()
        self._arrived = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.client: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # --- lifecycle

    def routes(self, app: web.Application) -> None:
        """`/bot<token>/<method>`; subclasses add their own."""
        app.router.add_route("*", "/bot{token}/{method}", self._api)

    async def start(self) -> None:
        """Listen on a free port."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.client = aiohttp.ClientSession()

    async def close(self) -> None:
        """Stop serving."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.client is not None:
            await self.client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:4711."""
        return f"http://127.0.0.1:{self.port}"

    def spawn(self, coro: Any) -> None:
        """Run a background task owned by the fake."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- updates

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

    @abc.abstractmethod
    def webhook_post(self, update: Json) -> tuple[Json | bytes, dict[str, str]]:
        """The body (JSON, or the exact bytes) and headers `update` is POSTed with."""

    @abc.abstractmethod
    def update_key(self, update: Json) -> object:
        """What identifies `update` in `webhook_answers`."""

    async def _push_webhooks(self) -> None:
        assert self.client is not None
        while True:
            update = await self._webhook_queue.get()
            body, headers = self.webhook_post(update)
            payload: dict[str, Any] = {"data": body} if isinstance(body, bytes) else {"json": body}
            for attempt in range(self.webhook_attempts):
                try:
                    async with self.client.post(
                        self.webhook_url, headers=headers, **payload
                    ) as response:
                        status = response.status
                except aiohttp.ClientError:
                    status = 0
                self.webhook_answers.append((self.update_key(update), status))
                self.notify()
                if 200 <= status < 300 or not self.webhook_url:
                    break
                await asyncio.sleep(0.1 * (attempt + 1))

    # --- the API

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, files = await read_params(request)
        call = Call(method, params, files, status=0)  # recorded on arrival: 0 = no answer yet
        self.record(call)
        if request.match_info["token"] != self.token:
            return self.answer(call, ApiError(401, "Unauthorized"))
        failure = self.next_failure(method)
        if failure is not None:
            if failure.until is not None:
                await failure.until.wait()
            if failure.delay:
                await asyncio.sleep(failure.delay)
            if failure.body is not None:
                call.status, call.answer = failure.status, failure.body
                self.notify()
                return web.Response(status=failure.status, text=failure.body)
            if failure.status != 200:
                error = ApiError(
                    failure.status, failure.description, failure.retry_after, failure.http_status
                )
                return self.answer(call, error)
        refusal = self.refuse(method)
        if refusal is not None:
            return self.answer(call, refusal)
        handler = getattr(self, "_m_" + re.sub(r"(?<!^)(?=[A-Z])", "_", method).lower(), None)
        if handler is None:
            return self.answer(call, ApiError(404, "Not Found"))
        try:
            result = await handler(params, files)
        except ApiError as error:
            return self.answer(call, error)
        return self.result(request, call, result)

    def refuse(self, method: str) -> ApiError | None:
        """An error the platform gives on its own (flood control) before handling `method`."""
        return None

    def result(self, request: web.Request, call: Call, result: Any) -> web.Response:
        """The answer to a call that worked."""
        return self.answer(call, result)

    def answer(self, call: Call, outcome: Any) -> web.Response:
        """Answer `call` with the envelope of a result or of an `ApiError`."""
        status = 200
        if isinstance(outcome, ApiError):
            body: Json = {
                "ok": False,
                "error_code": outcome.code,
                "description": outcome.description,
            }
            if outcome.retry_after is not None:
                body["parameters"] = {"retry_after": outcome.retry_after}
            call.status = outcome.code
            status = outcome.http_status or outcome.code
        else:
            body = {"ok": True, "result": outcome}
            call.status = 200
        call.answer = body
        self.notify()
        return web.json_response(body, status=status)

    # --- failures

    def fail(
        self,
        method: str,
        status: int = 500,
        *,
        times: int = 1,
        description: str | None = None,
        retry_after: int | None = None,
        delay: float = 0.0,
        body: str | None = None,
        http_status: int | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` with this failure (or delay them)."""
        text = description or {
            400: "Bad Request",
            403: "Forbidden",
            429: "Too Many Requests",
            500: "Internal Server Error",
            502: "Bad Gateway",
        }.get(status, "Error")
        queue = self._failures.setdefault(method, deque())
        for _ in range(times):
            queue.append(Failure(status, text, retry_after, delay, body, http_status))

    def hold(self, method: str, *, after: int = 0) -> asyncio.Event:
        """Let `after` more calls of `method` through, then keep the next one in flight — it
        has arrived, its answer waits — until the returned event is set (then it is handled,
        as a request the platform received is, whoever still listens for the answer)."""
        queue = self._failures.setdefault(method, deque())
        queue.extend(Failure(200) for _ in range(after))
        release = asyncio.Event()
        queue.append(Failure(200, until=release))
        return release

    def next_failure(self, method: str) -> Failure | None:
        """The injected failure for this call, if any."""
        queue = self._failures.get(method)
        return queue.popleft() if queue else None

    # --- records

    def record(self, call: Call) -> None:
        """Keep a call and wake whoever waits for one."""
        self.calls.append(call)
        self.notify()

    def notify(self) -> None:
        """Wake waiters (state changed)."""
        self._changed.set()
        self._arrived.set()

    async def updates_or_timeout(self, has_updates: Callable[[], bool], wait: float) -> None:
        """Hold a long poll until `has_updates()` or `wait` seconds have passed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while not has_updates() and (remaining := deadline - loop.time()) > 0:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                return

    def called(self, method: str) -> list[Call]:
        """Every call of `method`, in order."""
        return [call for call in self.calls if call.method == method]

    def sent(self, chat_id: object = None) -> list[Call]:
        """Successful sends (to one chat), in order."""
        return [
            call
            for call in self.calls
            if call.method in self.send_methods
            and call.ok
            and (chat_id is None or str(call.params.get("chat_id")) == str(chat_id))
        ]

    async def wait_sent(self, chat_id: object, count: int, within: float = 10.0) -> list[Call]:
        """Wait until at least `count` messages were sent to the chat."""
        await self.wait_for(lambda: len(self.sent(chat_id)) >= count, within)
        return self.sent(chat_id)

    async def wait_for(self, predicate: Callable[[], Any], within: float = 10.0) -> Any:
        """Wait until `predicate()` is truthy; returns its value."""
        async with asyncio.timeout(within):
            while True:
                value = predicate()
                if value:
                    return value
                self._changed.clear()
                await self._changed.wait()


async def read_params(request: web.Request) -> tuple[Json, dict[str, bytes]]:
    """Parameters from the query, a JSON body, a form or multipart; uploaded files apart."""
    params: Json = dict(request.query)
    files: dict[str, bytes] = {}
    if not request.body_exists:
        return params, files
    ctype = request.content_type
    if ctype == "application/json":
        raw = await request.read()
        if raw.strip():
            body = json.loads(raw)
            if isinstance(body, dict):
                params.update(body)
        return params, files
    if ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = value.file.read()
            else:
                params[key] = _maybe_json(str(value))
    return params, files


def _maybe_json(value: str) -> Any:
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def utf16_len(text: str) -> int:
    """Length as the Bot APIs count it."""
    return len(text.encode("utf-16-le")) // 2


async def post_webhook(
    session: aiohttp.ClientSession,
    url: str,
    body: Any,
    *,
    header: str,
    secret: str | None,
    raw: bytes | None = None,
) -> tuple[int, str]:
    """POST an update to a webhook as the platform would; (status, body text)."""
    headers = {} if secret is None else {header: secret}
    if raw is not None:
        async with session.post(url, data=raw, headers=headers) as response:
            return response.status, await response.text()
    async with session.post(url, json=body, headers=headers) as response:
        return response.status, await response.text()
