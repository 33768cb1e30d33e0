"""The web desk under test: Loa with the desk and a fake Telegram, people on it, a browser.

`DeskSite` is a running Loa (polling the fake Telegram, WEB_LISTEN on a free port, so the
desk and its sign-in links are real) with helpers to put people on it and sign them in:
over plain HTTP (`DeskClient`) or in Chromium (`BrowserPage`, tests/web/browser.py).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from itertools import count
from pathlib import Path
from typing import Any

import aiohttp

from bot.app import Loa
from bot.core.clock import FrozenClock
from bot.core.config import Settings
from bot.engine import Engine, Signal
from bot.reports.media import MediaChecks
from db.models import Role
from db.repositories import Repos
from tests.fakes.runtime import channel_settings, free_port, running
from tests.fakes.telegram import TOKEN, FakeTelegram
from tests.fixtures.reporting import invite_codes
from tests.helpers import Chat
from tests.test_review import _submit as submit_report

LINK = re.compile(r"https?://\S+/desk/signin/\S+")
_users = count(9_100_001)


@dataclass
class Person:
    """Someone on Telegram (the fake): their chat id and their conversation through the engine."""

    telegram_id: int
    chat: Chat
    role: Role
    unit: str | None


class FormFields(HTMLParser):
    """The hidden inputs of a page's forms (name → value): enough to find a CSRF token."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("type") == "hidden" and values.get("name"):
            self.fields[str(values["name"])] = values.get("value") or ""


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden form fields of `html`."""
    parser = FormFields()
    parser.feed(html)
    return parser.fields


class DeskSite:
    """A running Loa serving the desk, with the fake Telegram its people use."""

    def __init__(
        self, loa: Loa, fake: FakeTelegram, base_url: str, clock: FrozenClock, public: str
    ) -> None:
        self.loa = loa
        self.fake = fake
        self.base_url = base_url  # where the desk listens
        self.public = public  # PUBLIC_BASE_URL: where links point (the same unless overridden)
        self.clock = clock

    async def person(self, role: Role, unit: str | None = None) -> Person:
        """A new Telegram user who chose Vietnamese and, for a role, joined with an invite."""
        telegram_id = next(_users)
        chat = Chat(self.loa.engine, user=str(telegram_id), channel="telegram")
        await chat.send("/start")
        await chat.press("Tiếng Việt")
        if role is not Role.villager:
            assert unit is not None or role is Role.admin
            (code,) = await invite_codes(self.loa, role, unit or "ia-hdrai")
            await chat.send(f"/join {code}")
            assert "Chào mừng" in chat.text, chat.text
        return Person(telegram_id, chat, role, unit)

    async def link_for(self, person: Person) -> str:
        """The sign-in link Loa sends `person` on Telegram when they send /desk."""
        before = len(self.fake.sent(person.telegram_id))
        self.fake.text(person.telegram_id, "/desk")
        sent = await self.fake.wait_sent(person.telegram_id, before + 1)
        text = self.fake.texts(person.telegram_id)[len(sent) - 1]
        found = LINK.search(text)
        assert found, text
        return found.group(0)

    async def user_id(self, person: Person) -> int:
        """`person`'s user number in Loa."""
        async with self.loa.db.session() as session:
            user = await Repos.of(session).users.find("telegram", str(person.telegram_id))
        assert user is not None
        return user.id

    async def report(self, reporter: Person, folder: Path, name: str = "photo") -> int:
        """`reporter` files a complete report with one photo in chat; its number."""
        await submit_report(reporter.chat, folder, name)
        reporter_id = await self.user_id(reporter)  # (SQLite: one session at a time)
        async with self.loa.db.session() as session:
            reports = await Repos.of(session).reports.for_reporter(reporter_id, limit=1)
        return reports[0].id

    def messages_to(self, person: Person) -> list[str]:
        """Every text Telegram delivered to `person`."""
        return self.fake.texts(person.telegram_id)

    async def wait_message(self, person: Person, containing: str) -> str:
        """Wait until Telegram delivered `person` a message containing `containing`."""

        def found() -> str | None:
            return next((t for t in self.messages_to(person) if containing in t), None)

        return str(await self.fake.wait_for(found))

    @asynccontextmanager
    async def client(self, person: Person | None = None) -> AsyncIterator[DeskClient]:
        """An HTTP client with its own cookies; signed in as `person` when given."""
        jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
        async with aiohttp.ClientSession(self.base_url, cookie_jar=jar) as session:
            client = DeskClient(self, session)
            if person is not None:
                await client.sign_in(await self.link_for(person))
            yield client


class DeskClient:
    """A browser without a browser: plain HTTP with cookies, for the security tests."""

    def __init__(self, site: DeskSite, session: aiohttp.ClientSession) -> None:
        self.site = site
        self.session = session
        self.csrf = ""

    async def get(self, path: str) -> tuple[int, str]:
        """GET `path`: the status and the body (redirects not followed)."""
        async with self.session.get(path, allow_redirects=False) as response:
            body = await response.text() if _is_text(response) else ""
            return response.status, body

    async def get_bytes(self, path: str) -> tuple[int, str, bytes]:
        """GET `path`: the status, content type and raw body."""
        async with self.session.get(path, allow_redirects=False) as response:
            return response.status, response.content_type, await response.read()

    async def post(self, path: str, data: dict[str, str]) -> tuple[int, str, str]:
        """POST a form to `path`: the status, where it redirects, and the body."""
        async with self.session.post(path, data=data, allow_redirects=False) as response:
            body = await response.text() if _is_text(response) else ""
            return response.status, response.headers.get("Location", ""), body

    async def sign_in(self, link: str) -> int:
        """Open the link and press its button; the status of the press (303 when signed in)."""
        path = link.removeprefix(self.site.public)
        _status, page = await self.get(path)
        status, location, _body = await self.post(path, hidden_fields(page))
        if status == 303:
            _ok, home = await self.get(location)
            self.csrf = hidden_fields(home).get("csrf", "")
        return status


def _is_text(response: aiohttp.ClientResponse) -> bool:
    return response.content_type.startswith("text/")


def desk_settings(base: Settings, fake: FakeTelegram, **overrides: Any) -> Settings:
    """Polling the fake Telegram, with WEB_LISTEN on a free port and PUBLIC_BASE_URL there."""
    port = free_port()
    values: dict[str, Any] = {
        "telegram_token": TOKEN,
        "telegram_api_base": fake.url,
        "web_listen": f"127.0.0.1:{port}",
        "public_base_url": f"http://127.0.0.1:{port}",
    }
    return channel_settings(base, **(values | overrides))


def with_settings(loa: Loa, config: Settings) -> Loa:
    """`loa` (its database, content and catalogs) running with other settings.

    Starting a second Loa would load the same content again: seconds per test.
    """
    services = dataclasses.replace(
        loa.services, settings=config, queued=Signal(), media=MediaChecks(config)
    )
    return Loa(config, loa.db, services, Engine(loa.db, services, loa.engine.routers))


@asynccontextmanager
async def desk_site(loa: Loa, base: Settings, **overrides: Any) -> AsyncIterator[DeskSite]:
    """`loa` (started on a wiped database) serving the desk and polling a fake Telegram."""
    async with FakeTelegram() as fake:
        config = desk_settings(base, fake, **overrides)
        served = with_settings(loa, config)
        clock = served.services.clock
        assert isinstance(clock, FrozenClock)
        async with running(config, served):
            assert config.public_base_url is not None and config.web_listen is not None
            address = f"http://{config.web_listen}"
            yield DeskSite(served, fake, address, clock, config.public_base_url)


ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "desk"
