"""What the channel contract suite needs from an adapter: one driver per channel.

A driver plays one user on one channel through the real adapter: it starts the adapter (against
its fake server over HTTP, or the console in-process), makes the user type, tap, send photos
or voice, and reads back what the user saw as `Shown` messages, menus included. A behaviour a
platform does not have is declared in `lacks` with the reason, and the contract test skips.
A new adapter passes the suite by adding one driver module and listing it in `conftest.py`.
"""

from __future__ import annotations

import abc
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
import pytest

from bot.app import Loa
from bot.core.chat import Reply
from bot.core.config import Settings
from bot.delivery.outbox import Delivery
from bot.runtime import Runtime
from tests.fakes.common import Call, FakeServer, Json
from tests.fakes.runtime import channel_settings, free_port, running

Mode = str  # how updates reach Loa: "polling", "webhook", or the console's "stdin"


@dataclass(frozen=True)
class Shown:
    """One message as the user sees it: its text, and the options of its menu ("1. Tiếng Việt")."""

    text: str
    options: tuple[str, ...] = ()


def numbered(text: str) -> tuple[str, ...]:
    """The numbered lines ("1. …") that end a text menu."""
    options: list[str] = []
    for line in reversed(text.splitlines()):
        number, dot, _ = line.strip().partition(". ")
        if not (dot and number.isdigit()):
            break
        options.insert(0, line.strip())
    return tuple(options)


class Driver(abc.ABC):
    """One user on one channel, driven through the channel's real adapter."""

    name: ClassVar[str]
    modes: ClassVar[tuple[Mode, ...]]  # the first is the default
    lacks: ClassVar[Mapping[str, str]] = {}  # behaviour -> why this channel does not have it
    text_limit: ClassVar[int]

    def __init__(self, settings: Settings, mode: Mode) -> None:
        self.base = settings
        self.mode = mode

    @classmethod
    @asynccontextmanager
    async def opened(cls, settings: Settings, mode: Mode, folder: Path) -> AsyncIterator[Driver]:
        """A driver ready to run (its fake server listening), for files under `folder`."""
        yield cls(settings, mode)

    def need(self, behaviour: str) -> None:
        """Skip the calling test when this channel does not have `behaviour`."""
        if behaviour in self.lacks:
            pytest.skip(f"{self.name}: {self.lacks[behaviour]}")

    def api(self) -> ApiDriver:
        """This driver as a Bot API platform's (skipping the test on a channel without one)."""
        self.need("api")
        assert isinstance(self, ApiDriver)
        return self

    @abc.abstractmethod
    def running(
        self, loa: Loa, *, mode: Mode | None = None, **overrides: Any
    ) -> AbstractAsyncContextManager[None]:
        """The adapter started on `loa` (in `mode`, settings changed by `overrides`)."""

    @abc.abstractmethod
    async def say(self, text: str) -> None:
        """The user types `text`."""

    @abc.abstractmethod
    async def pick(self, label: str) -> None:
        """The user answers the last menu with the option labelled `label` (tap or number)."""

    @abc.abstractmethod
    async def photo(self, pictures: Sequence[bytes], caption: str = "") -> str | None:
        """The user sends one picture, or several as one album; the platform's id of the first."""

    @abc.abstractmethod
    def messages(self) -> list[Shown]:
        """Every message the user has received, in order."""

    @abc.abstractmethod
    async def wait_messages(self, count: int, within: float = 10.0) -> list[Shown]:
        """Wait until the user has received at least `count` messages."""

    @abc.abstractmethod
    async def deliver(self, reply: Reply) -> Delivery:
        """Send `reply` to the user through the running adapter's sender."""

    async def skip_commune_question(self) -> None:
        """Answer "Bỏ qua" (skip) when the last message asks for the user's commune."""
        if any("Bỏ qua" in option for option in self.menu()):
            count = len(self.messages())
            await self.pick("Bỏ qua")
            await self.wait_messages(count + 1)

    async def choose_vietnamese(self) -> None:
        """/start, pick Vietnamese, and get past what a first contact is asked: the main menu."""
        await self.say("/start")
        await self.wait_messages(1)
        await self.pick("Tiếng Việt")
        await self.wait_messages(2)
        await self.skip_commune_question()

    def texts(self) -> list[str]:
        """The text of every message received."""
        return [shown.text for shown in self.messages()]

    def menu(self) -> tuple[str, ...]:
        """The options of the last message that had a menu."""
        for shown in reversed(self.messages()):
            if shown.options:
                return shown.options
        return ()

    def number(self, label: str) -> str:
        """The number of the option labelled `label` in the last menu."""
        for option in self.menu():
            number, _, rest = option.partition(". ")
            if label.casefold() in rest.casefold():
                return number
        raise AssertionError(f"no option {label!r} in {self.menu()}")


class ApiDriver(Driver):
    """A driver for a Bot-API-style platform: a fake server, polling or webhook, retries."""

    modes = ("polling", "webhook")
    token_variable: ClassVar[str]
    secret_header: ClassVar[str]
    gives_retry_after: ClassVar[bool]  # whether the platform's 429 says how long to wait
    user: Any

    fake_server: ClassVar[type[FakeServer]]

    def __init__(self, settings: Settings, mode: Mode, fake: FakeServer) -> None:
        super().__init__(settings, mode)
        self.fake = fake
        self.config = settings
        self.runtime: Runtime | None = None

    @classmethod
    @asynccontextmanager
    async def opened(cls, settings: Settings, mode: Mode, folder: Path) -> AsyncIterator[Driver]:
        """A driver whose fake server listens."""
        async with cls.fake_server() as fake:
            yield cls(settings, mode, fake)

    @abc.abstractmethod
    def mode_settings(self, mode: Mode, port: int) -> dict[str, object]:
        """The settings of `mode` (webhook mode listens on `port`)."""

    @abc.abstractmethod
    async def voice(self, data: bytes) -> None:
        """The user sends a voice message holding `data`."""

    @abc.abstractmethod
    async def sticker(self) -> None:
        """The user sends a sticker."""

    @abc.abstractmethod
    async def unsupported(self) -> None:
        """The user sends something Loa cannot use (a video, a protected message…)."""

    @abc.abstractmethod
    def bad_token(self) -> dict[str, object]:
        """Settings with a token the platform refuses."""

    @abc.abstractmethod
    def update(self, text: str) -> Json:
        """A fresh update in which the user typed `text`, as the platform posts it."""

    @abc.abstractmethod
    def from_group(self, text: str) -> Json:
        """An update in which the user wrote `text` in a group chat with the bot."""

    @abc.abstractmethod
    def from_bot(self, text: str) -> Json:
        """An update in which another bot wrote `text`."""

    @abc.abstractmethod
    def not_messages(self) -> list[Any]:
        """Bodies the platform may send that are no user's message (other events, garbage)."""

    def queue(self, update: Json) -> None:
        """Hand `update` to Loa (again): by getUpdates or the webhook, as the fake is set."""
        self.fake.queue(update)

    def sent(self) -> list[Call]:
        """The platform calls that delivered something to the user."""
        return self.fake.sent(self.user)

    @abc.abstractmethod
    def shown(self, call: Call) -> Shown:
        """How the user sees what `call` sent."""

    def settings(self, mode: Mode | None = None, **overrides: Any) -> Settings:
        """Settings for running against the fake in `mode`."""
        values = self.mode_settings(mode or self.mode, free_port()) | overrides
        return channel_settings(self.base, **values)

    @asynccontextmanager
    async def running(
        self, loa: Loa, *, mode: Mode | None = None, register: bool = True, **overrides: Any
    ) -> AsyncIterator[None]:
        """The real runtime with this channel, on `loa` (`register`: set the webhook URL)."""
        if not register:
            overrides[f"{self.name}_webhook_url"] = None  # the fake then posts nothing itself
        self.config = self.settings(mode, **overrides)
        async with running(self.config, loa) as runtime:
            self.runtime = runtime
            yield

    async def say(self, text: str) -> None:
        """The user types `text`."""
        self.queue(self.update(text))

    async def say_twice(self, text: str) -> None:
        """The platform hands Loa the same update twice (a redelivery)."""
        update = self.update(text)
        self.queue(update)
        self.queue(update)

    def messages(self) -> list[Shown]:
        """Every message the user has received, in order."""
        return [self.shown(call) for call in self.sent()]

    async def wait_messages(self, count: int, within: float = 10.0) -> list[Shown]:
        """Wait until the user has received at least `count` messages."""
        await self.fake.wait_for(lambda: len(self.sent()) >= count, within)
        return self.messages()

    async def deliver(self, reply: Reply) -> Delivery:
        """Send `reply` to the user through the running adapter's sender."""
        assert self.runtime is not None
        delivery: Delivery = await self.runtime.senders[self.name].deliver(str(self.user), reply)
        return delivery

    def fail(self, method: str, status: int, **failure: Any) -> None:
        """Make the platform answer the next call(s) of `method` with `status`."""
        self.fake.fail(method, status, **failure)

    def statuses(self, method: str) -> list[int]:
        """The HTTP status of every call of `method`, in order."""
        return [call.status for call in self.fake.called(method)]

    def block(self) -> None:
        """The user blocks the bot (sends to them are refused with 403)."""
        self.fake.blocked.add(self.user)  # type: ignore[attr-defined]

    @property
    def webhook_url(self) -> str:
        """Where Loa takes this channel's webhook."""
        return f"http://{self.config.webhook_listen}/webhook/{self.name}"

    @property
    def secret(self) -> str:
        """The webhook secret Loa expects."""
        value = getattr(self.config, f"{self.name}_webhook_secret")
        return str(value.get_secret_value())

    async def post(
        self,
        http: aiohttp.ClientSession,
        body: Json | None,
        *,
        secret: str | None,
        raw: bytes | None = None,
    ) -> int:
        """POST a body to Loa's webhook as the platform would (with `secret`); the status."""
        data = raw if raw is not None else json.dumps(body).encode()
        headers = self.signed(data, body, secret)
        if raw is None:
            headers["Content-Type"] = "application/json"
        async with http.post(self.webhook_url, data=data, headers=headers) as response:
            return response.status

    def signed(self, data: bytes, body: Json | None, secret: str | None) -> dict[str, str]:
        """The headers that make `data` come from the platform, by its scheme (None: none)."""
        return {} if secret is None else {self.secret_header: secret}
