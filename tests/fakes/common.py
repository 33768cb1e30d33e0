"""What both fake Bot API servers share: the HTTP server, call records, injected failures."""

from __future__ import annotations

import abc
import asyncio
import json
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


class FakeServer(abc.ABC):
    """An aiohttp server on 127.0.0.1 with a random port, recording every call."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._failures: dict[str, deque[Failure]] = {}
        self._changed = asyncio.Event()
        self._arrived = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.client: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # --- lifecycle

    @abc.abstractmethod
    def routes(self, app: web.Application) -> None:
        """Add the fake's routes."""

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
