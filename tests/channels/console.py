"""The console driver: the real `ConsoleChannel` in-process, reading typed lines, printing."""

from __future__ import annotations

import io
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, ClassVar

from bot.app import Loa
from bot.channels.console import ConsoleChannel, ConsoleSender, render
from bot.core.chat import Incoming, Reply
from bot.core.config import Settings
from bot.delivery.outbox import Delivery
from tests.channels.driver import Driver, Mode, Shown, numbered

USER = "y-blong"
NO_API = "the console prints to a terminal; there is no platform API to fail, limit or block"


class ConsoleDriver(Driver):
    """Y Blong at the terminal: numbered menus, `/photo PATH`, nothing downloaded."""

    name = "console"
    modes = ("stdin",)
    text_limit = 4096
    lacks: ClassVar[Mapping[str, str]] = {
        "webhook": "the console reads its terminal; there is no webhook",
        "redelivery": "a typed line is read once; nothing delivers it again",
        "api": NO_API,
        "token": "the console needs no token",
        "albums": "`/photo PATH` sends one picture",
        "downloads": "`/photo PATH` hands over a local file; nothing is downloaded",
        "voice": "the console sends text and pictures only",
        "split": "a terminal has no message size limit",
    }

    def __init__(self, settings: Settings, mode: Mode, folder: Path) -> None:
        super().__init__(settings, mode)
        self.folder = folder
        self.out = io.StringIO()
        self.shown: list[Shown] = []
        self.channel: ConsoleChannel | None = None
        self._files = itertools.count(1)
        self._replies: list[Reply] = []

    @classmethod
    @asynccontextmanager
    async def opened(cls, settings: Settings, mode: Mode, folder: Path) -> AsyncIterator[Driver]:
        """A driver that saves pictures under `folder`."""
        yield cls(settings, mode, folder)

    @asynccontextmanager
    async def running(
        self, loa: Loa, *, mode: Mode | None = None, **overrides: Any
    ) -> AsyncIterator[None]:
        """A console channel on `loa`'s engine."""
        self.channel = ConsoleChannel(self._handle_with(loa), self.out, user=USER)
        yield

    def _handle_with(self, loa: Loa) -> Callable[[Incoming], Awaitable[list[Reply]]]:
        async def handle(event: Incoming) -> list[Reply]:
            self._replies = await loa.engine.handle(event)
            return self._replies

        return handle

    async def say(self, text: str) -> None:
        """Type a line; what the terminal printed is read back one block a reply."""
        assert self.channel is not None
        self._replies = []
        printed = await self.channel.send(text)
        blocks = [render([reply]) for reply in self._replies]
        assert printed == "\n\n".join(blocks)
        self.shown.extend(Shown(block, numbered(block)) for block in blocks)

    async def pick(self, label: str) -> None:
        """Type the number of the menu line labelled `label`."""
        await self.say(self.number(label))

    async def photo(self, pictures: Sequence[bytes], caption: str = "") -> str | None:
        """`/photo PATH` with the picture saved to a file (the console makes its own id)."""
        (picture,) = pictures
        path = self.folder / f"picture-{next(self._files)}.jpg"
        path.write_bytes(picture)
        await self.say(f"/photo {path}")
        return None

    def messages(self) -> list[Shown]:
        """Every reply printed, in order."""
        return list(self.shown)

    async def wait_messages(self, count: int, within: float = 10.0) -> list[Shown]:
        """The console answers before `say` returns: nothing to wait for."""
        assert len(self.shown) >= count, self.shown
        return self.messages()

    async def deliver(self, reply: Reply) -> Delivery:
        """Print a proactive message, as the outbox does for console users."""
        return await ConsoleSender(self.out).deliver(USER, reply)
