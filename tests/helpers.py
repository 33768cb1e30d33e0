"""Test helpers: play a user through the engine and read what they see."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.core.chat import Incoming, Kind, MediaRef, Reply, to_plain
from bot.core.config import MAP_2022, ROOT, Settings
from bot.engine import Engine
from bot.translations import catalogs

_ids = itertools.count(1)


def isolated_settings(database_url: str, media_dir: Path, **overrides: Any) -> Settings:
    """Settings that read nothing from the developer's environment or `.env`; no channels.

    On the plan's 2022 map unless `org_file` says otherwise (see the `settings` fixture).
    """
    values: dict[str, Any] = {
        "telegram_token": None,
        "zalo_token": None,
        "org_file": MAP_2022,
        **overrides,
    }
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        media_dir=media_dir,
        **values,
    )


def fresh_update_id() -> str:
    """A new update id, unique in this test run."""
    return f"u{next(_ids)}"


def tree_with_xtest(root: Path) -> Path:
    """Copy locales/ and content/ under `root`, adding the test-only language xtest (empty)."""
    shutil.copytree(ROOT / "locales", root / "locales")
    shutil.copytree(ROOT / "content", root / "content")
    with (root / "locales" / "languages.yaml").open("a", encoding="utf-8") as handle:
        handle.write('- code: xtest\n  name: "Test language"\n  native: null\n  formats: vi\n')
    catalogs.update(root / "locales", ["xtest"])
    return root


class Chat:
    """One user on one channel, with what Loa last said to them."""

    def __init__(self, engine: Engine, user: str = "user-1", channel: str = "test") -> None:
        self.engine = engine
        self.user = user
        self.channel = channel
        self.last: list[Reply] = []

    async def send(self, text: str, update_id: str | None = None) -> list[Reply]:
        """Type `text` (a command if it starts with /)."""
        event = Incoming.from_text(self.channel, self.user, update_id or fresh_update_id(), text)
        return await self.deliver(event)

    async def deliver(self, event: Incoming) -> list[Reply]:
        """Hand any event to the engine and remember the answer."""
        self.last = await self.engine.handle(event)
        return self.last

    async def event(self, kind: Kind, **fields: object) -> list[Reply]:
        """Send a non-text event (photo, sticker, …)."""
        event = Incoming(self.channel, self.user, fresh_update_id(), kind, **fields)  # type: ignore[arg-type]
        return await self.deliver(event)

    async def photo(self, ref: str = "file-1") -> list[Reply]:
        """Send a photo."""
        return await self.event(Kind.photo, media=(MediaRef(ref),))

    async def press(self, label: str) -> list[Reply]:
        """Press the button whose label contains `label` (as Telegram would send it)."""
        payload = self.choice(label)
        event = Incoming(self.channel, self.user, fresh_update_id(), Kind.choice, choice=payload)
        return await self.deliver(event)

    async def script(self, *steps: str) -> list[Reply]:
        """Play steps in a row: "[label]" presses that button, anything else is typed."""
        for step in steps:
            if step.startswith("[") and step.endswith("]"):
                await self.press(step[1:-1])
            else:
                await self.send(step)
        return self.last

    async def then(self, step: str, *seen: str) -> list[Reply]:
        """Play one step (as `script` does) and check that the user then reads each of `seen`."""
        await self.script(step)
        for expected in seen:
            assert expected in self.text, f"{expected!r} not in {self.text!r}"
        return self.last

    def choice(self, label: str) -> str:
        """The payload of the shown choice whose label contains `label`."""
        for choice in self.choices:
            if label.casefold() in choice.label.casefold():
                return choice.payload
        raise AssertionError(f"no choice {label!r} in {[c.label for c in self.choices]}")

    def number(self, label: str) -> str:
        """The number a Zalo or console user types to pick `label`."""
        for n, choice in enumerate(self.choices, 1):
            if label.casefold() in choice.label.casefold():
                return str(n)
        raise AssertionError(f"no choice {label!r} in {[c.label for c in self.choices]}")

    @property
    def choices(self) -> Sequence:  # type: ignore[type-arg]
        """The choices of the last reply that had any."""
        for reply in reversed(self.last):
            if reply.choices:
                return reply.choices
        return ()

    @property
    def text(self) -> str:
        """Everything the user just read, as plain text."""
        return "\n\n".join(to_plain(reply.text) for reply in self.last)


class RecordingSender:
    """A channel sender that records what it was asked to send, or fails as told."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Reply]] = []
        self.script: list[object] = []  # Delivery outcomes to return before succeeding

    async def deliver(self, chat_id: str, reply: Reply) -> object:
        """Record the reply; return the next scripted outcome, else success."""
        from bot.delivery.outbox import Delivery, DeliveryStatus

        if self.script:
            outcome = self.script.pop(0)
            if isinstance(outcome, Exception):
                raise outcome
            return outcome
        self.sent.append((chat_id, reply))
        return Delivery(DeliveryStatus.sent)

    def texts(self, chat_id: str | None = None) -> list[str]:
        """Plain texts sent (to one chat, or to all)."""
        return [to_plain(r.text) for c, r in self.sent if chat_id is None or c == chat_id]


async def outbox_replies(engine: Engine, channel: str, external_id: str) -> list[list[Reply]]:
    """The messages queued for a user, each as its list of replies (oldest first)."""
    from bot.delivery.outbox import from_payload, messages_for
    from db.repositories import Repos

    async with engine.db.session() as session:
        user = await Repos.of(session).users.find(channel, external_id)
    if user is None:
        return []
    return [from_payload(row.payload) for row in await messages_for(engine.db, user.id)]
